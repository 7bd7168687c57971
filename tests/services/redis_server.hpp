#ifndef APIKIT_TESTS_SERVICES_REDIS_SERVER_HPP
#define APIKIT_TESTS_SERVICES_REDIS_SERVER_HPP

// A private redis-server, for tests that stop, pause, flush or reconfigure
// their server (and must not do it to the shared fixture's), and for the
// benchmark. It runs on 127.0.0.1 and a free port, in a temporary directory,
// with no persistence; it is started in the constructor and stopped (SIGTERM,
// waited for) in the destructor. Readiness is Redis's own log line "Ready to
// accept connections" on a pipe, read with a bound of 20 s: nothing sleeps.
//
// The binary is $APIKIT_REDIS_SERVER, else redis-server on the PATH.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace apikit_test {

class redis_server {
public:
    /// Starts a server; `extra` are more `--name value` arguments
    /// (e.g. {"--requirepass", "secret"}). Throws std::runtime_error, with
    /// the server's output, when it cannot start.
    explicit redis_server(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
        char tmpl[] = "/tmp/apikit-redis-test.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::string output;
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = free_port();
            if (spawn(output))
                return;
        }
        std::filesystem::remove_all(dir_);
        throw std::runtime_error("redis-server did not start:\n" + output);
    }

    redis_server(redis_server const&) = delete;
    redis_server& operator=(redis_server const&) = delete;

    ~redis_server() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    std::uint16_t port() const noexcept { return port_; }
    bool running() const noexcept { return pid_ > 0; }
    /// The server's process id (-1 when stopped), e.g. to read its CPU time.
    pid_t pid() const noexcept { return pid_; }

    /// Stops the server (SIGTERM, as an operator would) and waits for it.
    void stop() noexcept {
        if (pid_ <= 0)
            return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
    }

    /// Starts it again on the same port, after stop().
    void restart() {
        stop();
        std::string output;
        if (!spawn(output))
            throw std::runtime_error("redis-server did not restart:\n" + output);
    }

    static std::string binary() {
        char const* env = std::getenv("APIKIT_REDIS_SERVER");
        return env && *env ? env : "redis-server";
    }

private:
    // A port the kernel just handed out: free now, and not reused at once.
    static std::uint16_t free_port() {
        int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            throw std::runtime_error("socket failed");
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            ::close(fd);
            throw std::runtime_error("bind to 127.0.0.1:0 failed");
        }
        ::close(fd);
        return ntohs(a.sin_port);
    }

    bool spawn(std::string& output) {
        std::vector<std::string> args{binary(),
                                      "--port",
                                      std::to_string(port_),
                                      "--bind",
                                      "127.0.0.1",
                                      "--save",
                                      "",
                                      "--appendonly",
                                      "no",
                                      "--dir",
                                      dir_.string(),
                                      "--daemonize",
                                      "no",
                                      "--logfile",
                                      "",
                                      "--enable-debug-command",
                                      "local"};
        args.insert(args.end(), extra_.begin(), extra_.end());
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);

        int pipefd[2];
        if (::pipe2(pipefd, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
        posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
        // The test's own sockets (Asio does not open them close-on-exec) stay
        // out of the server, or a connection closed by a test would stay open.
        posix_spawn_file_actions_addclosefrom_np(&actions, 3);
        pid_t pid = -1;
        int const rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(pipefd[1]);
        if (rc != 0) {
            ::close(pipefd[0]);
            throw std::runtime_error(binary() + " could not be run (" + std::strerror(rc) +
                                     "): './dev deps' installs redis-server");
        }
        pid_ = pid;
        bool const ready = wait_ready(pipefd[0], output);
        // Later log lines go nowhere: Redis ignores SIGPIPE, and a pipe that
        // nobody drains must not fill up and stall it.
        ::close(pipefd[0]);
        if (!ready)
            stop();
        return ready;
    }

    static bool wait_ready(int fd, std::string& output) {
        auto const limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        char buf[4096];
        while (output.find("Ready to accept connections") == std::string::npos) {
            auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
                limit - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd p{fd, POLLIN, 0};
            int const n = ::poll(&p, 1, static_cast<int>(left.count()));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            ssize_t const got = ::read(fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return false; // it exited: the port was taken, or a bad argument
            output.append(buf, static_cast<std::size_t>(got));
        }
        return true;
    }

    std::vector<std::string> extra_;
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace apikit_test

#endif
