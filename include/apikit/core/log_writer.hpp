#ifndef APIKIT_CORE_LOG_WRITER_HPP
#define APIKIT_CORE_LOG_WRITER_HPP

// Batches log lines for a sink, so that a busy server makes one write(2) per
// batch rather than one per request. Lines are appended to a buffer under a
// lock (a copy of a few hundred bytes); a flusher thread hands the buffer to
// the sink when it holds `flush_bytes`, or when its first line is
// `flush_interval` old, and once more when the writer is destroyed, so no
// line is lost at shutdown. If the sink falls behind and the buffer reaches
// `max_bytes`, appenders wait for the flusher: lines are delayed, never
// dropped.

#include <apikit/core/log_sink.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
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

    /// Appends whole lines (each ending in '\n').
    void append(std::string_view lines) {
        bool wake;
        {
            std::unique_lock lock(mutex_);
            if (buffer_.size() >= opts_.max_bytes)
                drained_.wait(lock, [&] { return buffer_.size() < opts_.max_bytes; });
            bool const was_empty = buffer_.empty();
            if (was_empty)
                first_line_ = std::chrono::steady_clock::now();
            buffer_.append(lines);
            // The flusher sleeps until a batch starts, then until it is full
            // or old: wake it for those two events only.
            wake = was_empty || (buffer_.size() >= opts_.flush_bytes &&
                                 buffer_.size() - lines.size() < opts_.flush_bytes);
        }
        if (wake)
            ready_.notify_one();
    }

    /// Hands everything buffered to the sink now.
    void flush() {
        std::lock_guard write_lock(write_mutex_);
        write_batch();
    }

    Sink& sink() noexcept { return sink_; }

private:
    // Swaps the buffer out and writes it; the caller holds write_mutex_, so
    // batches reach the sink one at a time and in order.
    void write_batch() {
        {
            std::lock_guard lock(mutex_);
            if (buffer_.empty())
                return;
            std::swap(buffer_, spare_);
        }
        drained_.notify_all();
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
    std::condition_variable drained_;
    std::string buffer_;
    std::string spare_;
    std::chrono::steady_clock::time_point first_line_{};
    std::jthread flusher_; // last: starts once everything it uses exists
};

} // namespace apikit

#endif
