// The in-process event bus: subscriptions by exact type and by entity
// wildcard, a slow subscriber that loses events under its overflow policy
// (and nobody else does), and the event log read newest first, a page at a
// time. docs/events.md quotes this file. Exits 1 if something it shows does
// not hold.
#include <apikit/events/any_bus.hpp>
#include <apikit/events/bus.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/memory_bus.hpp>

#include <boost/json/value_from.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <string>
#include <utility>

namespace events = apikit::events;
using namespace std::chrono_literals;

namespace {

struct user {
    std::string id, email;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, user const& u) {
    v = {{"id", u.id}, {"email", u.email}};
}

events::event user_event(events::type_name type, std::string id) {
    events::metadata m;
    m.correlation_id = "req_1"; // the request's X-Request-Id
    return events::make_event(type, user{id, id + "@example.com"}, std::move(m),
                              std::chrono::system_clock::now());
}

} // namespace

int main() {
    bool ok = true;
    auto expect = [&](bool holds, char const* what) {
        if (!holds) {
            fmt::print(stderr, "does not hold: {}\n", what);
            ok = false;
        }
    };

    // [subscribe]
    events::memory_bus bus; // history: the last 10 000 events

    std::atomic<int> welcomed{0}, audited{0};
    // One type, and every action of one entity. Each subscription has its
    // own thread and buffer: the publisher never waits for either.
    auto welcome = bus.subscribe("user.created", {}, [&](events::event const& e, events::position) {
        fmt::print("welcome email for {}\n", e.data.at("email").as_string().c_str());
        ++welcomed;
    });
    auto audit = bus.subscribe("user.*", {}, [&](events::event const& e, events::position p) {
        fmt::print("audit: {} at {}\n", e.type.view(), p.to_string());
        ++audited;
    });

    auto const p = bus.publish(user_event("user.created", "user_1")); // never blocks
    (void)bus.publish(user_event("user.deleted", "user_1"));
    (void)bus.publish(events::make_event("order.placed", 42, {}, std::chrono::system_clock::now()));
    // [subscribe]
    expect(p.has_value() && p->ms > 0, "a position from the clock's milliseconds");
    expect(bus.wait_idle(10s), "the subscribers catch up");
    expect(welcomed == 1, "user.created matches one event");
    expect(audited == 2, "user.* matches both user events, not the order");

    // [overflow]
    std::latch entered(1), release(1);
    std::atomic<int> seen{0};
    events::subscribe_options o;
    o.buffer = 2;                                      // at most 2 events wait for it
    o.overflow = events::overflow_policy::drop_oldest; // then the oldest waiting goes
    auto slow = bus.subscribe("user.*", o, [&](events::event const&, events::position) {
        if (seen++ == 0) {
            entered.count_down();
            release.wait(); // stuck, as a subscriber behind a slow service is
        }
    });
    (void)bus.publish(user_event("user.updated", "user_0"));
    entered.wait();
    for (int i = 1; i < 10; ++i)
        (void)bus.publish(user_event("user.updated", "user_" + std::to_string(i)));
    auto const st = bus.stats(); // published, delivered, dropped, failed, queue depth
    fmt::print("published {}, dropped {}, waiting {}\n", st.published, st.dropped, st.queue_depth);
    release.count_down();
    // [overflow]
    expect(bus.wait_idle(10s), "the slow subscriber catches up");
    // The first event was in its call, two waited, seven were dropped.
    expect(slow.stats().dropped == 7 && seen == 3, "a full buffer drops the oldest, and counts");
    expect(audited == 12, "the audit subscriber lost nothing");

    // [log]
    // GET /events: newest first; `next` is the cursor of the page after.
    auto page = bus.list(5);
    std::size_t total = page.events.size();
    while (page.next) {
        page = bus.list(5, page.next);
        total += page.events.size();
    }
    fmt::print("{} events in the log\n", total);
    // [log]
    expect(total == 13, "the log holds every event published");

    // [any]
    // Memory or Redis, chosen at run time (redis_bus: std::in_place_type<events::redis_bus>,
    // connection, options); publish, list and subscribe as on either.
    events::any_bus erased(std::in_place_type<events::memory_bus>);
    erased.async_publish(user_event("user.created", "user_2"),
                         [](boost::system::error_code ec, events::position p) {
                             fmt::print("{}\n", ec ? ec.message() : p.to_string());
                         });
    // [any]
    expect(erased.stats().published == 1, "any_bus publishes through the bus inside");
    expect(events::position::parse(p->to_string()).value() == *p, "a position's text reads back");
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
