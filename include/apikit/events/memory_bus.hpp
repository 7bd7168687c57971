#ifndef APIKIT_EVENTS_MEMORY_BUS_HPP
#define APIKIT_EVENTS_MEMORY_BUS_HPP

// The in-process bus: the embedded default, bounded and thread-safe. It
// models `events::bus` and `events::event_log`, and answers at once: each
// handler is called before async_publish or async_list returns (publish()
// and list() are the same without a handler).
//
//     events::memory_bus bus;
//     auto sub = bus.subscribe("user.*", {}, [](events::event const& e, events::position) {
//         enqueue_welcome_email(e);
//     });
//     auto pos = bus.publish(std::move(e)).value();
//
// Delivery. Each subscription has a buffer of its own (subscribe_options::
// buffer events) and a thread of its own that calls the subscriber, one
// event at a time, in position order. Publishing only appends to the
// buffers of the subscriptions it matches, under one lock, and never waits
// for a subscriber: a slow subscriber fills its own buffer and nobody
// else's. When its buffer is full, its overflow policy drops the oldest
// event waiting or the one being published, and counts it; nothing ever
// blocks a publisher (publishers run on request threads). A subscriber that
// throws loses that event (counted as failed), not its subscription. So
// delivery is at most once, and exactly once for a subscriber that keeps up.
//
// Positions are {ms, seq} like Redis stream ids, from the clock's
// milliseconds since its epoch: within one millisecond, or when the clock
// steps back, the last ms is kept and seq grows. They only grow.
//
// History. The last `history` events (10 000 by default) are kept, in a
// ring, for async_list and for replay (subscribe_options::after). An older
// cursor finds nothing before it: an empty page.
//
// Threads. Every member may be called from any thread, a subscriber
// included (it may publish, subscribe, or destroy its own subscription).
// Destroying a subscription (or calling unsubscribe()) waits for the call in
// progress, if any, so that what the subscriber refers to may go right
// after; from inside the subscriber itself it cannot wait, and the thread
// ends when that call returns. Destroying the bus ends every subscription
// that is left, likewise. Events still waiting are then discarded.
//
// Time. Only positions read the clock (system_clock by default: positions
// are then comparable with the Redis bus's).

#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/events/bus.hpp>
#include <apikit/events/detail/function.hpp>
#include <apikit/events/detail/memory_subscriber.hpp>
#include <apikit/events/event.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace apikit::events {

struct memory_bus_options {
    /// The most events kept for async_list and replay; 0 keeps none.
    std::size_t history = 10000;
};

/// One subscription's figures.
struct subscription_stats {
    std::string pattern;
    std::uint64_t delivered = 0; ///< calls that returned
    std::uint64_t dropped = 0;   ///< events its overflow policy dropped
    std::uint64_t failed = 0;    ///< calls that threw
    std::size_t depth = 0;       ///< events waiting now
    std::size_t capacity = 0;    ///< its buffer's bound
};

/// The bus's figures, for metrics: bus_stats over every subscription, those
/// that are gone included (queue_depth: the events waiting in every buffer),
/// and each subscription's.
struct memory_bus_stats : bus_stats {
    std::size_t history = 0; ///< events kept for the log
    std::vector<subscription_stats> subscriptions;
};

template <class Clock = apikit::system_clock>
class basic_memory_bus {
    static_assert(apikit::clock<Clock>,
                  "apikit::events::basic_memory_bus's Clock must model apikit::clock");

    struct core;

public:
    using clock_type = Clock;

    /// A subscription: delivery lasts as long as it does (move-only).
    class subscription {
    public:
        subscription() noexcept = default;
        subscription(subscription&&) noexcept = default;
        subscription& operator=(subscription&& o) noexcept {
            if (this != &o) {
                unsubscribe();
                core_ = std::move(o.core_);
                sub_ = std::move(o.sub_);
            }
            return *this;
        }
        ~subscription() { unsubscribe(); }

        /// Ends delivery (see the header's comment); idempotent.
        void unsubscribe() noexcept {
            if (auto c = std::exchange(core_, nullptr))
                c->remove(sub_);
            if (auto s = std::exchange(sub_, nullptr))
                s->stop();
        }

        [[nodiscard]] bool active() const noexcept { return sub_ != nullptr; }

        /// This subscription's figures.
        [[nodiscard]] subscription_stats stats() const {
            return sub_ ? stats_of(*sub_) : subscription_stats{};
        }

    private:
        friend class basic_memory_bus;
        subscription(std::shared_ptr<core> c, std::shared_ptr<detail::memory_subscriber> s)
            : core_(std::move(c))
            , sub_(std::move(s)) {}

        std::shared_ptr<core> core_;
        std::shared_ptr<detail::memory_subscriber> sub_;
    };

    explicit basic_memory_bus(memory_bus_options o = {}, Clock clock = {})
        : core_(std::make_shared<core>(o, std::move(clock))) {}

    basic_memory_bus(basic_memory_bus const&) = delete;
    basic_memory_bus& operator=(basic_memory_bus const&) = delete;

    /// Ends every subscription left.
    ~basic_memory_bus() { core_->stop_all(); }

    /// Stores `e`, offers it to every subscription it matches, and returns
    /// its position. Never fails, never waits for a subscriber.
    [[nodiscard]] result<position> publish(event e) { return core_->publish(std::move(e)); }

    /// The same, calling `handler(error_code, position)` before returning.
    template <class Handler>
    void async_publish(event e, Handler&& handler) {
        auto const p = core_->publish(std::move(e));
        std::forward<Handler>(handler)(boost::system::error_code{}, p);
    }

    /// Calls `subscriber(event const&, position)` for each event whose type
    /// `pattern` matches, on the subscription's own thread, until the
    /// subscription returned is destroyed. With `o.after`, the matching
    /// events after it that the history still holds come first (through the
    /// same buffer, so at most `o.buffer` of them wait at once).
    template <class Subscriber>
    [[nodiscard]] subscription subscribe(type_pattern pattern, subscribe_options const& o,
                                         Subscriber&& subscriber) {
        auto s = std::make_shared<detail::memory_subscriber>(
            pattern, o, detail::subscriber_fn(std::forward<Subscriber>(subscriber)), core_->totals);
        core_->add(s, o.after);
        return subscription(core_, std::move(s));
    }

    /// At most `limit` events before `before` (from the newest when unset),
    /// newest first.
    [[nodiscard]] page list(std::size_t limit, std::optional<position> before = {}) const {
        return core_->list(limit, before);
    }

    /// The same, calling `handler(error_code, page)` before returning.
    template <class Handler>
    void async_list(std::size_t limit, std::optional<position> before, Handler&& handler) const {
        std::forward<Handler>(handler)(boost::system::error_code{}, core_->list(limit, before));
    }

    /// The figures for metrics: a snapshot, each number read once.
    [[nodiscard]] memory_bus_stats stats() const { return core_->stats(); }

    /// Waits until no subscription has an event waiting or a call running,
    /// or until `timeout` has passed (then false). For tests and an orderly
    /// shutdown; a publisher never needs it.
    [[nodiscard]] bool wait_idle(std::chrono::steady_clock::duration timeout) const {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        for (auto const& s : core_->snapshot())
            if (!s->wait_idle(deadline))
                return false;
        return true;
    }

    [[nodiscard]] Clock const& clock() const noexcept { return core_->clock; }

private:
    static subscription_stats stats_of(detail::memory_subscriber const& s) {
        return {std::string(s.pattern().view()),
                s.delivered(),
                s.dropped(),
                s.failed(),
                s.depth(),
                s.capacity()};
    }

    // What subscriptions share with the bus: they unsubscribe through it,
    // and it may be gone first.
    struct core {
        core(memory_bus_options o, Clock c) : options(o), clock(std::move(c)) {}

        position publish(event e) {
            auto stored =
                std::make_shared<detail::stored_event>(detail::stored_event{std::move(e), {}});
            auto const ms = static_cast<std::uint64_t>(
                std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                              clock.now().time_since_epoch())
                                              .count()));
            std::lock_guard lk(m);
            last = ms > last.ms ? position{ms, 0} : position{last.ms, last.seq + 1};
            stored->position = last;
            std::shared_ptr<detail::stored_event const> const shared = std::move(stored);
            ++published;
            if (options.history > 0) {
                if (history.size() == options.history)
                    history.pop_front();
                history.push_back(shared);
            }
            for (auto const& s : subs)
                if (s->pattern().matches(shared->event.type))
                    s->offer(shared);
            return last;
        }

        void add(std::shared_ptr<detail::memory_subscriber> const& s,
                 std::optional<position> after) {
            std::lock_guard lk(m);
            if (after)
                for (auto const& e : history)
                    if (e->position > *after && s->pattern().matches(e->event.type))
                        s->offer(e);
            detail::memory_subscriber::start(s);
            subs.push_back(s);
        }

        void remove(std::shared_ptr<detail::memory_subscriber> const& s) noexcept {
            std::lock_guard lk(m);
            std::erase(subs, s);
        }

        void stop_all() {
            std::vector<std::shared_ptr<detail::memory_subscriber>> gone;
            {
                std::lock_guard lk(m);
                gone.swap(subs);
            }
            for (auto const& s : gone)
                s->stop();
        }

        std::vector<std::shared_ptr<detail::memory_subscriber>> snapshot() const {
            std::lock_guard lk(m);
            return subs;
        }

        page list(std::size_t limit, std::optional<position> before) const {
            page out;
            std::lock_guard lk(m);
            auto it = history.rbegin();
            if (before)
                it = std::find_if(it, history.rend(),
                                  [&](auto const& e) { return e->position < *before; });
            out.events.reserve(std::min<std::size_t>(limit, history.size()));
            for (; it != history.rend() && out.events.size() < limit; ++it) {
                out.events.push_back((*it)->event);
                out.positions.push_back((*it)->position);
            }
            if (it != history.rend() && !out.positions.empty())
                out.next = out.positions.back();
            return out;
        }

        memory_bus_stats stats() const {
            memory_bus_stats out;
            std::lock_guard lk(m);
            out.published = published;
            out.delivered = totals->delivered.load(std::memory_order_relaxed);
            out.dropped = totals->dropped.load(std::memory_order_relaxed);
            out.failed = totals->failed.load(std::memory_order_relaxed);
            out.history = history.size();
            out.subscriptions.reserve(subs.size());
            for (auto const& s : subs) {
                out.subscriptions.push_back(stats_of(*s));
                out.queue_depth += out.subscriptions.back().depth;
            }
            return out;
        }

        memory_bus_options const options;
        Clock const clock;
        std::shared_ptr<detail::memory_totals> const totals =
            std::make_shared<detail::memory_totals>();

        mutable std::mutex m;
        position last;
        std::uint64_t published = 0;
        std::deque<std::shared_ptr<detail::stored_event const>> history;
        std::vector<std::shared_ptr<detail::memory_subscriber>> subs;
    };

    std::shared_ptr<core> core_;
};

/// The memory bus on the system clock.
using memory_bus = basic_memory_bus<>;

static_assert(bus<memory_bus>, "apikit::events::memory_bus must model apikit::events::bus");
static_assert(event_log<memory_bus>,
              "apikit::events::memory_bus must model apikit::events::event_log");

} // namespace apikit::events

#endif
