#ifndef APIKIT_TESTS_SERVER_PROCESS_HPP
#define APIKIT_TESTS_SERVER_PROCESS_HPP

// A child process with its stdout on a pipe, for the test that runs the
// real apikit-server binary. Every wait is bounded by a deadline through
// poll(2) on the pipe, never a sleep: the child's stdout reaches EOF when it
// exits, and only then is it reaped.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace test_process {

class child {
public:
    enum class stderr_to { test, pipe };

    /// Starts `path` with `args`; its stdout comes back through the pipe, and
    /// its stderr too when asked (else it goes to the test's).
    child(std::string const& path, std::vector<std::string> const& args,
          stderr_to err = stderr_to::test) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(path.c_str()));
        for (auto const& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0)
            throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::dup2(fds[1], STDOUT_FILENO);
            if (err == stderr_to::pipe)
                ::dup2(fds[1], STDERR_FILENO);
            ::execv(path.c_str(), argv.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = fds[0];
    }

    child(child const&) = delete;
    child& operator=(child const&) = delete;

    ~child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0)
            ::close(out_);
    }

    /// The next line of the child's stdout, or nothing at EOF or when the
    /// deadline passes first.
    std::optional<std::string> read_line(std::chrono::milliseconds within) {
        auto const deadline = std::chrono::steady_clock::now() + within;
        for (;;) {
            if (auto const nl = pending_.find('\n'); nl != std::string::npos) {
                std::string line = pending_.substr(0, nl);
                pending_.erase(0, nl + 1);
                return line;
            }
            if (fill(deadline) != got::data)
                return std::nullopt;
        }
    }

    void signal(int sig) { ::kill(pid_, sig); }

    /// What the child wrote that read_line() has not returned.
    std::string const& output() const noexcept { return pending_; }

    /// Waits for the child's exit; its exit status, or nothing when it is
    /// still running at the deadline or died of a signal. What it wrote
    /// meanwhile is kept for output().
    std::optional<int> wait_exit(std::chrono::milliseconds within) {
        auto const deadline = std::chrono::steady_clock::now() + within;
        got g;
        while ((g = fill(deadline)) == got::data) {
        }
        if (g != got::eof)
            return std::nullopt;
        int status = 0;
        if (::waitpid(pid_, &status, 0) != pid_)
            return std::nullopt;
        pid_ = -1;
        if (!WIFEXITED(status))
            return std::nullopt;
        return WEXITSTATUS(status);
    }

private:
    enum class got { data, eof, timeout };

    // Appends what the child wrote, waiting for it until the deadline.
    got fill(std::chrono::steady_clock::time_point deadline) {
        for (;;) {
            auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return got::timeout;
            pollfd p{out_, POLLIN, 0};
            int const ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                return got::timeout;
            char buf[4096];
            auto const n = ::read(out_, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return got::eof; // EOF, or an error that ends the stream alike
            pending_.append(buf, static_cast<std::size_t>(n));
            return got::data;
        }
    }

    pid_t pid_ = -1;
    int out_ = -1;
    std::string pending_;
};

} // namespace test_process

#endif
