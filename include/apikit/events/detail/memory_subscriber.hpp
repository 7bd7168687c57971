#ifndef APIKIT_EVENTS_DETAIL_MEMORY_SUBSCRIBER_HPP
#define APIKIT_EVENTS_DETAIL_MEMORY_SUBSCRIBER_HPP

// One subscription of memory_bus: its bounded buffer, its own thread, its
// counters. The bus offers it each event it matches, under the bus's lock
// (so buffers fill in position order); the thread takes them out one at a
// time and calls the subscriber with no lock held, so a subscriber may
// publish, subscribe or unsubscribe itself from inside its call.
//
// Lock order: the bus's mutex, then a subscriber's; the thread takes only
// its own. stop() joins the thread, or detaches it when called from it (a
// subscriber that unsubscribes itself): the thread then ends as soon as the
// call returns, and owns this state (through a shared_ptr) until then.

#include <apikit/events/bus.hpp>
#include <apikit/events/detail/function.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace apikit::events::detail {

using subscriber_fn = move_function<void(event const&, position)>;

// An event as the bus keeps it: stored once, shared by the history and
// every buffer it waits in.
struct stored_event {
    events::event event;
    events::position position;
};

// Totals over the bus's lifetime, subscriptions gone included.
struct memory_totals {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> failed{0};
};

class memory_subscriber {
public:
    memory_subscriber(type_pattern pattern, subscribe_options const& o, subscriber_fn fn,
                      std::shared_ptr<memory_totals> totals)
        : pattern_(pattern)
        , capacity_(o.buffer == 0 ? 1 : o.buffer)
        , overflow_(o.overflow)
        , fn_(std::move(fn))
        , totals_(std::move(totals)) {}

    memory_subscriber(memory_subscriber const&) = delete;
    memory_subscriber& operator=(memory_subscriber const&) = delete;

    // The last owner may be the thread itself (a subscriber that
    // unsubscribed itself): it cannot join itself, and ends on its own.
    ~memory_subscriber() {
        stop();
        if (worker_.joinable())
            worker_.detach();
    }

    // Separate from the constructor: the thread needs the shared_ptr.
    static void start(std::shared_ptr<memory_subscriber> const& self) {
        self->worker_ = std::thread([s = self] { s->run(); });
    }

    [[nodiscard]] type_pattern const& pattern() const noexcept { return pattern_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

    // Called with the bus's lock held: never waits for the subscriber.
    void offer(std::shared_ptr<stored_event const> const& e) {
        {
            std::lock_guard lk(m_);
            if (stopping_)
                return;
            if (queue_.size() >= capacity_) {
                count_drop();
                if (overflow_ == overflow_policy::drop_newest)
                    return;
                queue_.pop_front();
            }
            queue_.push_back(e);
        }
        cv_.notify_all();
    }

    // Ends delivery: events still waiting are discarded, the call in
    // progress (if any) finishes before this returns — unless this is that
    // call, which then ends the thread when it returns. Idempotent; safe
    // from several threads at once (the bus's destructor and the
    // subscription's).
    void stop() {
        {
            std::lock_guard lk(m_);
            stopping_ = true;
            queue_.clear();
        }
        cv_.notify_all();
        if (thread_id_.load(std::memory_order_acquire) == std::this_thread::get_id())
            return;
        std::lock_guard g(join_m_);
        if (worker_.joinable())
            worker_.join();
    }

    // Until nothing waits and no call runs, or `deadline`.
    [[nodiscard]] bool wait_idle(std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lk(m_);
        return cv_.wait_until(lk, deadline,
                              [&] { return stopping_ || (queue_.empty() && !busy_); });
    }

    [[nodiscard]] std::size_t depth() const {
        std::lock_guard lk(m_);
        return queue_.size();
    }
    [[nodiscard]] std::uint64_t delivered() const noexcept {
        return delivered_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t dropped() const noexcept {
        return dropped_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t failed() const noexcept {
        return failed_.load(std::memory_order_relaxed);
    }

private:
    void count_drop() noexcept {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        totals_->dropped.fetch_add(1, std::memory_order_relaxed);
    }

    void run() {
        thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
        std::unique_lock lk(m_);
        for (;;) {
            cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_)
                break;
            auto e = std::move(queue_.front());
            queue_.pop_front();
            busy_ = true;
            lk.unlock();
            // A subscriber that throws loses that event, not its
            // subscription: counted, and the next one comes.
            try {
                fn_(e->event, e->position);
                delivered_.fetch_add(1, std::memory_order_relaxed);
                totals_->delivered.fetch_add(1, std::memory_order_relaxed);
            } catch (...) {
                failed_.fetch_add(1, std::memory_order_relaxed);
                totals_->failed.fetch_add(1, std::memory_order_relaxed);
            }
            e.reset();
            lk.lock();
            busy_ = false;
            if (queue_.empty())
                cv_.notify_all(); // wait_idle
        }
    }

    type_pattern const pattern_;
    std::size_t const capacity_;
    overflow_policy const overflow_;
    subscriber_fn fn_;
    std::shared_ptr<memory_totals> const totals_;

    mutable std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<stored_event const>> queue_;
    bool stopping_ = false;
    bool busy_ = false;
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<std::thread::id> thread_id_{};
    std::mutex join_m_;
    std::thread worker_;
};

} // namespace apikit::events::detail

#endif
