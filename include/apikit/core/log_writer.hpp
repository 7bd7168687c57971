#ifndef APIKIT_CORE_LOG_WRITER_HPP
#define APIKIT_CORE_LOG_WRITER_HPP

// Batches log lines for a sink, so that a busy server makes one write(2) per
// batch rather than one per request. Lines are appended to a buffer under a
// lock (a copy of a few hundred bytes); a flusher thread hands the buffer to
// the sink when it holds `flush_bytes`, or when its first line is
// `flush_interval` old, and once more when the writer is destroyed, so no
// line is lost at shutdown.
//
// A thread that appends never waits for I/O: the sink is written by the
// flusher (or by a caller of flush()) outside the buffer's lock, which an
// appender holds only for the copy. If the sink falls behind and a line
// would take the buffer past `max_bytes`, the line is dropped and counted
// (`dropped_lines()`, `dropped_bytes()`): a request is never delayed by its
// log, and a stalled disk costs lines, not memory or latency. Memory is
// bounded by twice `max_bytes`: the buffer, and the batch being written.
#include <apikit/core/log_sink.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace apikit {

struct log_writer_options {
    std::size_t flush_bytes = 64 * 1024;
    std::chrono::milliseconds flush_interval{100};
    std::size_t max_bytes = 8 * 1024 * 1024;
};

template <class Sink>
class log_writer {
    static_assert(log_sink<Sink>, "apikit::log_writer's Sink must model apikit::log_sink");

public:
    explicit log_writer(Sink sink, log_writer_options opts = {})
        : sink_(std::move(sink))
        , opts_(opts)
        , flusher_([this](std::stop_token st) { run(st); }) {}

    log_writer(log_writer const&) = delete;
    log_writer& operator=(log_writer const&) = delete;

    /// Flushes what is buffered and stops the flusher.
    ~log_writer() {
        flusher_.request_stop();
        flusher_.join();
    }

    /// Appends whole lines (each ending in '\n'), or drops and counts them
    /// when they do not fit in what is left of `max_bytes`.
    void append(std::string_view lines) {
        switch (buffer(lines)) {
        case taken::wake_flusher:
            ready_.notify_one();
            break;
        case taken::dropped:
            drop(lines); // counted outside the lock
            break;
        case taken::buffered:
            break;
        }
    }

    /// The lines and bytes dropped so far because the buffer was full.
    [[nodiscard]] std::uint64_t dropped_lines() const noexcept {
        return dropped_lines_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t dropped_bytes() const noexcept {
        return dropped_bytes_.load(std::memory_order_relaxed);
    }

    /// Hands everything buffered to the sink now.
    void flush() {
        std::lock_guard write_lock(write_mutex_);
        write_batch();
    }

    Sink& sink() noexcept { return sink_; }

private:
    enum class taken { buffered, wake_flusher, dropped };

    // Copies `lines` into the buffer, if they fit.
    [[nodiscard]] taken buffer(std::string_view lines) {
        std::lock_guard lock(mutex_);
        if (lines.size() > opts_.max_bytes - std::min(buffer_.size(), opts_.max_bytes))
            return taken::dropped;
        bool const was_empty = buffer_.empty();
        if (was_empty)
            first_line_ = std::chrono::steady_clock::now();
        buffer_.append(lines);
        // The flusher sleeps until a batch starts, then until it is full or
        // old: wake it for those two events only.
        bool const filled = buffer_.size() >= opts_.flush_bytes &&
                            buffer_.size() - lines.size() < opts_.flush_bytes;
        return was_empty || filled ? taken::wake_flusher : taken::buffered;
    }

    // Counts what append() could not take: a line is a '\n' (a caller's
    // text without one still counts as one line).
    void drop(std::string_view lines) noexcept {
        auto const n = std::max<std::uint64_t>(
            1, static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n')));
        dropped_lines_.fetch_add(n, std::memory_order_relaxed);
        dropped_bytes_.fetch_add(lines.size(), std::memory_order_relaxed);
    }

    // Swaps the buffer out and writes it; the caller holds write_mutex_, so
    // batches reach the sink one at a time and in order.
    void write_batch() {
        {
            std::lock_guard lock(mutex_);
            if (buffer_.empty())
                return;
            std::swap(buffer_, spare_);
        }
        sink_.write(spare_);
        spare_.clear();
    }

    void run(std::stop_token st) {
        std::stop_callback wake_on_stop(st, [this] {
            // Taking the lock orders the notification after the flusher's
            // check of the stop token, so the wake-up cannot be missed.
            std::lock_guard lock(mutex_);
            ready_.notify_all();
        });
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return st.stop_requested() || !buffer_.empty(); });
                if (buffer_.empty())
                    return; // stopping, and everything is written
                auto const due = first_line_ + opts_.flush_interval;
                ready_.wait_until(lock, due, [&] {
                    return st.stop_requested() || buffer_.size() >= opts_.flush_bytes;
                });
            }
            std::lock_guard write_lock(write_mutex_);
            write_batch();
        }
    }

    Sink sink_;
    log_writer_options opts_;
    std::mutex mutex_;       // guards buffer_ and first_line_
    std::mutex write_mutex_; // one batch at a time reaches the sink
    std::condition_variable ready_;
    std::atomic<std::uint64_t> dropped_lines_{0};
    std::atomic<std::uint64_t> dropped_bytes_{0};
    std::string buffer_;
    std::string spare_;
    std::chrono::steady_clock::time_point first_line_{};
    std::jthread flusher_; // last: starts once everything it uses exists
};

} // namespace apikit

#endif
