#ifndef APIKIT_EVENTS_BUS_HPP
#define APIKIT_EVENTS_BUS_HPP

// Where events go and where they are read back: the `events::bus` and
// `events::event_log` concepts, and the vocabulary both backends share
// (positions, subscription patterns and options, pages of the log).
//
// A bus publishes an event and delivers it to every subscription whose
// pattern matches its type: an exact type (`user.created`) or an entity
// wildcard (`user.*`, every action of one entity). Publishing reports through
// a completion handler, as ratelimit::store does, so the one concept fits a
// bus that answers at once (memory_bus calls the handler before returning)
// and one that answers after a round trip (redis_bus calls it later, on the
// handler's executor). An Asio completion handler with the right signature
// is such a handler; the concept itself needs no Asio.
//
// Every published event gets a `position` in its bus: a Redis stream id
// (`<ms>-<seq>`), and the same shape in memory. Positions only grow, in
// publication order, so they are the cursor of the event log: `async_list`
// pages newest first, each page ending where the next begins.
//
// Delivery. Each subscription gets the events it matches in position order,
// one at a time, on a thread (memory) or an executor (Redis) that is not the
// publisher's: a publisher never waits for a subscriber. What a backend does
// when a subscriber falls behind is its own, documented policy (memory_bus:
// a bounded buffer per subscription and an overflow policy, every drop
// counted; redis_bus: the stream's bounded length). The guarantee is at most
// once in memory and at least once on Redis, where a subscriber must be
// ready for the same event twice: it recognises one by `event.id`.
//
// Failures. A backend that cannot answer completes with an error code equal
// to apikit::condition::backend_unavailable; the caller answers 503 (a
// publish that timed out may still have been stored).

#include <apikit/core/error.hpp>
#include <apikit/events/error.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/type_name.hpp>

#include <boost/system/error_code.hpp>

#include <charconv>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::events {

/// Where an event is in its bus: a Redis stream id, `<ms>-<seq>`, the
/// milliseconds of its publication and a sequence number within that
/// millisecond. Ordered as the events were published.
struct position {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;

    [[nodiscard]] friend constexpr auto operator<=>(position const&, position const&) = default;

    /// The text form, `"1705312800000-0"`.
    [[nodiscard]] std::string to_string() const {
        std::string out(41, '\0');
        auto r = std::to_chars(out.data(), out.data() + 20, ms);
        *r.ptr++ = '-';
        r = std::to_chars(r.ptr, out.data() + out.size(), seq);
        out.resize(static_cast<std::size_t>(r.ptr - out.data()));
        return out;
    }

    /// Reads `<ms>-<seq>` (both decimal, no sign, no spaces);
    /// error::invalid_position for anything else.
    [[nodiscard]] static result<position> parse(std::string_view text) noexcept {
        position p;
        auto const* const end = text.data() + text.size();
        auto const a = std::from_chars(text.data(), end, p.ms);
        if (a.ec != std::errc{} || a.ptr == text.data() || a.ptr == end || *a.ptr != '-')
            return make_error_code(error::invalid_position);
        auto const b = std::from_chars(a.ptr + 1, end, p.seq);
        if (b.ec != std::errc{} || b.ptr == a.ptr + 1 || b.ptr != end)
            return make_error_code(error::invalid_position);
        return p;
    }

    /// The position just before this one (the greatest smaller one), for an
    /// exclusive range; position{} has none and stays itself.
    [[nodiscard]] constexpr position previous() const noexcept {
        if (seq > 0)
            return {ms, seq - 1};
        if (ms > 0)
            return {ms - 1, std::numeric_limits<std::uint64_t>::max()};
        return *this;
    }
};

/// What a subscriber does when its buffer is full (memory_bus). Either way
/// the publisher goes on at once and the drop is counted; blocking the
/// publisher is not offered, since publishers run on request threads.
enum class overflow_policy : std::uint8_t {
    drop_oldest, ///< the oldest event waiting is dropped: a subscriber sees the latest
    drop_newest, ///< the event published is dropped: a subscriber sees an unbroken prefix
};

/// How a subscription is made. Each backend reads what applies to it.
struct subscribe_options {
    /// Redis: the consumer group. Empty (the default): a group of its own,
    /// so the subscription gets every event it matches, as in memory, and
    /// the group is destroyed when it ends. Named: subscriptions of one
    /// group share its events (each goes to one of them, in whichever
    /// process), and the group outlives them. Memory: unused.
    std::string group;
    /// Redis: this consumer's name in the group; empty: a random one. A
    /// consumer that restarts under its own name gets its pending events first.
    std::string consumer;
    /// Memory: events waiting for this subscriber, at most.
    std::size_t buffer = 1024;
    /// Memory: what happens to the next event when the buffer is full.
    overflow_policy overflow = overflow_policy::drop_oldest;
    /// Replay: deliver the events after this position first (memory: those
    /// still in its history; Redis: a new group starts there). Unset: only
    /// events published from now on (Redis: a group that exists goes on from
    /// where it was).
    std::optional<position> after;
};

/// The figures every bus keeps, for metrics (each backend adds its own).
/// Counters count from the bus's start; queue_depth is now.
struct bus_stats {
    std::uint64_t published = 0; ///< events this bus object published
    std::uint64_t delivered = 0; ///< subscriber calls that returned
    std::uint64_t dropped = 0;   ///< events a subscriber never got (overflow, trimmed)
    std::uint64_t failed = 0;    ///< subscriber calls that threw
    std::size_t queue_depth = 0; ///< events taken from the bus, waiting for a subscriber
};

/// One page of the event log, newest first.
struct page {
    std::vector<event> events;
    std::vector<position> positions; ///< positions[i] is events[i]'s
    /// Where the next (older) page starts: pass it as `before`. Unset on the
    /// last page.
    std::optional<position> next;
};

namespace detail {

// The least a bus may assume of a completion handler: callable once with the
// outcome, movable.
struct publish_handler_archetype {
    publish_handler_archetype() = default;
    publish_handler_archetype(publish_handler_archetype&&) = default;
    publish_handler_archetype& operator=(publish_handler_archetype&&) = default;
    void operator()(boost::system::error_code, position) && {}
};

struct list_handler_archetype {
    list_handler_archetype() = default;
    list_handler_archetype(list_handler_archetype&&) = default;
    list_handler_archetype& operator=(list_handler_archetype&&) = default;
    void operator()(boost::system::error_code, page) && {}
};

// A subscriber is called many times, once per event, one call at a time.
struct subscriber_archetype {
    subscriber_archetype() = default;
    subscriber_archetype(subscriber_archetype&&) = default;
    subscriber_archetype& operator=(subscriber_archetype&&) = default;
    void operator()(event const&, position) {}
};

} // namespace detail

/// A bus of events.
///
/// - `b.async_publish(e, handler)` stores and delivers `e` and calls
///   `handler(ec, position)` exactly once, with the event's position, or
///   with `ec` set when the bus could not take it. The bus copies what it
///   keeps before it returns.
/// - `b.subscribe(pattern, options, subscriber)` calls
///   `subscriber(event const&, position)` for each event published whose
///   type `pattern` matches, one call at a time, in position order, never on
///   the publisher's thread, until the returned subscription is destroyed
///   (it unsubscribes: a movable RAII handle).
template <class B>
concept bus = requires(B& b, event const& e, type_pattern const& p, subscribe_options const& o,
                       detail::publish_handler_archetype h, detail::subscriber_archetype s) {
    b.async_publish(e, std::move(h));
    { b.subscribe(p, o, std::move(s)) } -> std::movable;
};

/// The events a bus keeps, read back newest first.
///
/// `l.async_list(limit, before, handler)` calls `handler(ec, page)` exactly
/// once with at most `limit` events, the newest first, all before `before`
/// when it is set (from the newest otherwise), and the next page's start.
/// What is kept is bounded (memory: the last N events; Redis: the stream's
/// MAXLEN), so an old cursor may point past what remains: the page is then
/// empty, not an error.
template <class L>
concept event_log = requires(L& l, std::size_t limit, std::optional<position> before,
                             detail::list_handler_archetype h) {
    l.async_list(limit, before, std::move(h));
};

} // namespace apikit::events

#endif
