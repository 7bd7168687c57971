#ifndef APIKIT_CORE_LOG_SINK_HPP
#define APIKIT_CORE_LOG_SINK_HPP

// Where batches of log lines go. A sink receives whole lines, each ending in
// '\n', several at a time, from one thread at a time (the log_writer
// serializes its calls, on its flusher thread: a sink may block, no request
// waits for it). Three sinks come with apikit: a file descriptor it does not
// own (standard output, the default), a file it opens and owns, and memory,
// for tests. A write that fails (a closed stdout, a full disk) loses that
// batch and nothing else: logging must not take the server down.

#include <apikit/core/error.hpp>

#include <cerrno>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace apikit {

namespace detail {

// Writes all of `lines` to `fd`, one write(2) when the descriptor takes it
// whole; gives up on an error other than EINTR.
inline void write_all(int fd, std::string_view lines) noexcept {
    while (!lines.empty()) {
        auto const n = ::write(fd, lines.data(), lines.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        lines.remove_prefix(static_cast<std::size_t>(n));
    }
}

} // namespace detail

template <class S>
concept log_sink = std::move_constructible<S> && requires(S& s, std::string_view lines) {
    { s.write(lines) } -> std::same_as<void>;
};

/// Writes to a file descriptor it does not own: standard output unless told
/// otherwise. A batch is one write(2) when the descriptor takes it whole.
class fd_sink {
public:
    explicit fd_sink(int fd = STDOUT_FILENO) noexcept : fd_(fd) {}

    void write(std::string_view lines) noexcept { detail::write_all(fd_, lines); }

private:
    int fd_;
};

/// Appends to a file it opens and owns (`O_APPEND`, so lines from several
/// processes sharing the file never overwrite each other; created with mode
/// 0640 when missing: logs may say more than the world should read).
/// Move-only. Opened with `open`, which returns the error rather than
/// throwing: a path from the command line that cannot be opened is an
/// operator's mistake the program reports its own way at start-up.
class file_sink {
public:
    [[nodiscard]] static result<file_sink> open(std::filesystem::path const& path) noexcept {
        int const fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            return boost::system::error_code(errno, boost::system::generic_category());
        return file_sink(fd);
    }

    file_sink(file_sink&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    file_sink& operator=(file_sink&& o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    file_sink(file_sink const&) = delete;
    file_sink& operator=(file_sink const&) = delete;
    ~file_sink() { close(); }

    void write(std::string_view lines) noexcept { detail::write_all(fd_, lines); }

    /// The descriptor it owns; -1 once moved from.
    [[nodiscard]] int fd() const noexcept { return fd_; }

private:
    explicit file_sink(int fd) noexcept : fd_(fd) {}
    void close() noexcept {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

    int fd_;
};

/// Keeps every line in memory; copies share the lines. For tests.
class memory_sink {
public:
    memory_sink() : state_(std::make_shared<state>()) {}

    void write(std::string_view lines) {
        {
            std::lock_guard lock(state_->mutex);
            state_->text.append(lines);
            ++state_->writes;
        }
        state_->changed.notify_all();
    }

    /// Everything written so far.
    std::string text() const {
        std::lock_guard lock(state_->mutex);
        return state_->text;
    }

    /// The lines written so far, without their '\n'.
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::string_view t;
        auto const copy = text();
        t = copy;
        while (!t.empty()) {
            auto const eol = t.find('\n');
            out.emplace_back(t.substr(0, eol));
            if (eol == std::string_view::npos)
                break;
            t.remove_prefix(eol + 1);
        }
        return out;
    }

    /// How many times write() was called: one per batch.
    std::size_t writes() const {
        std::lock_guard lock(state_->mutex);
        return state_->writes;
    }

    /// Waits until at least `n` lines are in, or `timeout` has passed; true
    /// when they are.
    bool wait_for_lines(std::size_t n, std::chrono::milliseconds timeout) const {
        std::unique_lock lock(state_->mutex);
        return state_->changed.wait_for(lock, timeout, [&] {
            std::size_t count = 0;
            for (char c : state_->text)
                count += c == '\n';
            return count >= n;
        });
    }

private:
    struct state {
        mutable std::mutex mutex;
        std::condition_variable changed;
        std::string text;
        std::size_t writes = 0;
    };
    std::shared_ptr<state> state_;
};

static_assert(log_sink<fd_sink>, "apikit::fd_sink must model apikit::log_sink");
static_assert(log_sink<file_sink>, "apikit::file_sink must model apikit::log_sink");
static_assert(log_sink<memory_sink>, "apikit::memory_sink must model apikit::log_sink");

} // namespace apikit

#endif
