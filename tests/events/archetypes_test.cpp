// Archetypes: the least a type must provide to model events::bus and
// events::event_log, and near misses that do not.
#include <apikit/events/bus.hpp>
#include <apikit/events/memory_bus.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <optional>
#include <utility>

namespace events = apikit::events;

namespace {

// A bus that answers at once and delivers nothing: publish, and subscribe
// returning a movable handle.
struct bus_archetype {
    struct subscription {
        subscription() = default;
        subscription(subscription&&) = default;
        subscription& operator=(subscription&&) = default;
    };
    template <class Handler>
    void async_publish(events::event const&, Handler&& h) {
        std::move(h)(boost::system::error_code{}, events::position{});
    }
    template <class Subscriber>
    subscription subscribe(events::type_pattern, events::subscribe_options const&, Subscriber&&) {
        return {};
    }
};

struct event_log_archetype {
    template <class Handler>
    void async_list(std::size_t, std::optional<events::position>, Handler&& h) {
        std::move(h)(boost::system::error_code{}, events::page{});
    }
};

struct bus_without_subscribe {
    template <class Handler>
    void async_publish(events::event const&, Handler&&) {}
};

struct bus_without_publish {
    template <class Subscriber>
    bus_archetype::subscription subscribe(events::type_pattern, events::subscribe_options const&,
                                          Subscriber&&) {
        return {};
    }
};

// A subscription that cannot move cannot be handed back to the caller.
struct bus_with_pinned_subscription : bus_without_subscribe {
    struct pinned {
        pinned() = default;
        pinned(pinned const&) = delete;
        pinned& operator=(pinned const&) = delete;
    };
    template <class Subscriber>
    pinned& subscribe(events::type_pattern, events::subscribe_options const&, Subscriber&&) {
        static pinned p;
        return p;
    }
};

// Lists without a cursor: no way to page.
struct log_without_cursor {
    template <class Handler>
    void async_list(std::size_t, Handler&&) {}
};

} // namespace

static_assert(events::bus<bus_archetype>, "bus_archetype must model apikit::events::bus");
static_assert(events::event_log<event_log_archetype>,
              "event_log_archetype must model apikit::events::event_log");
static_assert(!events::bus<bus_without_subscribe>);
static_assert(!events::bus<bus_without_publish>);
static_assert(!events::bus<bus_with_pinned_subscription>);
static_assert(!events::event_log<log_without_cursor>);
static_assert(!events::event_log<bus_archetype>);
static_assert(!events::bus<event_log_archetype>);

static_assert(events::bus<events::memory_bus>);
static_assert(events::event_log<events::memory_bus>);

TEST_CASE("events archetypes: the bus archetype publishes and subscribes through the concept") {
    bus_archetype b;
    events::position got{1, 1};
    b.async_publish(events::make_event("user.created", 1, {}, std::chrono::system_clock::now()),
                    [&](boost::system::error_code ec, events::position p) {
                        CHECK_FALSE(ec);
                        got = p;
                    });
    CHECK(got == events::position{});
    auto s = b.subscribe("user.*", {}, [](events::event const&, events::position) {});
    auto moved = std::move(s);
    (void)moved;
}

TEST_CASE("events position: text form, parse and order") {
    events::position const p{1705312800000, 7};
    CHECK(p.to_string() == "1705312800000-7");
    CHECK(events::position::parse("1705312800000-7").value() == p);
    CHECK(events::position::parse("0-0").value() == events::position{});
    CHECK(events::position::parse("18446744073709551615-18446744073709551615").value() ==
          events::position{UINT64_MAX, UINT64_MAX});
    CHECK(events::position{UINT64_MAX, UINT64_MAX}.to_string() ==
          "18446744073709551615-18446744073709551615");
    for (auto bad : {"", "1", "1-", "-1", "1-2-3", "a-1", "1-a", " 1-2", "1-2 ", "+1-2", "1--2",
                     "18446744073709551616-0"}) {
        CAPTURE(bad);
        auto const r = events::position::parse(bad);
        REQUIRE(r.has_error());
        CHECK(r.error() == events::error::invalid_position);
        CHECK(apikit::to_errc(r.error()) == apikit::errc::invalid_cursor);
    }
    CHECK(events::position{1, 2} < events::position{1, 3});
    CHECK(events::position{1, 9} < events::position{2, 0});
    CHECK(events::position{2, 1}.previous() == events::position{2, 0});
    CHECK(events::position{2, 0}.previous() == events::position{1, UINT64_MAX});
    CHECK(events::position{}.previous() == events::position{});
}
