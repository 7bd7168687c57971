// The behaviour every events::bus and events::event_log must have, run
// against each bus. The memory bus delivers on threads of its own (and the
// slow-subscriber case runs the Redis bus's io_context on a std::thread too),
// so this file runs under ThreadSanitizer as well.
#include "bus_fixtures.hpp"

#include <apikit/events/bus.hpp>
#include <apikit/events/event.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace bus_test;
using namespace std::chrono_literals;
namespace events = apikit::events;

TEST_CASE_TEMPLATE("bus: a subscriber gets the events of its exact type or entity wildcard", Bus,
                   APIKIT_EVENTS_BUSES) {
    bus_fixture<Bus> f;
    collector created, users, orders, all;
    auto s1 = f.bus.subscribe("user.created", {}, created.subscriber());
    auto s2 = f.bus.subscribe("user.*", {}, users.subscriber());
    auto s3 = f.bus.subscribe("order.placed", {}, orders.subscriber());
    auto s4 = f.bus.subscribe("*", {}, all.subscriber());

    REQUIRE(publish(f, make("user.created", 1)));
    REQUIRE(publish(f, make("user.deleted", 2)));
    REQUIRE(publish(f, make("order.placed", 3)));
    REQUIRE(publish(f, make("order.cancelled", 4)));
    REQUIRE(publish(f, make("username.created", 5))); // not of entity `user`
    // Last, one each: once a subscriber has it, it has had all before it.
    REQUIRE(publish(f, make("user.created", 6)));
    REQUIRE(publish(f, make("order.placed", 7)));

    REQUIRE(f.until([&] {
        return created.size() >= 2 && users.size() >= 3 && orders.size() >= 2 && all.size() >= 7;
    }));
    CHECK(created.ns() == std::vector<int>{1, 6});
    CHECK(users.ns() == std::vector<int>{1, 2, 6});
    CHECK(orders.ns() == std::vector<int>{3, 7});
    CHECK(all.ns() == std::vector<int>{1, 2, 3, 4, 5, 6, 7});
}

TEST_CASE_TEMPLATE("bus: a subscriber gets the event as published, with its position", Bus,
                   APIKIT_EVENTS_BUSES) {
    bus_fixture<Bus> f;
    collector got;
    auto s = f.bus.subscribe("user.*", {}, got.subscriber());
    auto e = make("user.created", 42);
    e.metadata.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    auto const p = publish(f, e).value();
    REQUIRE(f.until([&] { return got.size() == 1; }));
    auto const item = got.items().front();
    CHECK(item.event == e);
    CHECK(item.pos == p);
}

TEST_CASE_TEMPLATE("bus: positions grow and each subscriber gets events in publication order", Bus,
                   APIKIT_EVENTS_BUSES) {
    bus_fixture<Bus> f;
    collector a, b;
    auto s1 = f.bus.subscribe("*", {}, a.subscriber());
    auto s2 = f.bus.subscribe("order.*", {}, b.subscriber());
    std::vector<events::position> positions;
    for (int i = 0; i < 60; ++i)
        positions.push_back(
            publish(f, make(i % 2 ? events::type_name("order.placed") : "user.created", i))
                .value());
    for (std::size_t i = 1; i < positions.size(); ++i)
        REQUIRE(positions[i - 1] < positions[i]);

    REQUIRE(f.until([&] { return a.size() == 60 && b.size() == 30; }));
    auto const items = a.items();
    for (std::size_t i = 0; i < items.size(); ++i) {
        CHECK(n_of(items[i].event) == static_cast<int>(i));
        CHECK(items[i].pos == positions[i]);
    }
    auto const odd = b.ns();
    for (std::size_t i = 0; i < odd.size(); ++i)
        CHECK(odd[i] == static_cast<int>(2 * i + 1));
}

TEST_CASE_TEMPLATE("bus: a subscription gets nothing published before it or after it ended", Bus,
                   APIKIT_EVENTS_BUSES) {
    bus_fixture<Bus> f;
    REQUIRE(publish(f, make("user.created", 1)));
    collector got, witness;
    auto w = f.bus.subscribe("*", {}, witness.subscriber());
    {
        auto s = f.bus.subscribe("user.*", {}, got.subscriber());
        REQUIRE(publish(f, make("user.created", 2)));
        REQUIRE(f.until([&] { return got.size() == 1; }));
    }
    REQUIRE(publish(f, make("user.created", 3)));
    REQUIRE(f.until([&] { return witness.size() == 2; }));
    CHECK(got.ns() == std::vector<int>{2});
}

TEST_CASE_TEMPLATE("bus: replay delivers the events after a position first", Bus,
                   APIKIT_EVENTS_BUSES) {
    bus_fixture<Bus> f;
    std::vector<events::position> p;
    for (int i = 0; i < 5; ++i)
        p.push_back(publish(f, make(i == 2 ? events::type_name("order.placed") : "user.created", i))
                        .value());
    collector got;
    events::subscribe_options o;
    o.after = p[1];
    auto s = f.bus.subscribe("user.*", o, got.subscriber());
    REQUIRE(publish(f, make("user.created", 5)));
    REQUIRE(f.until([&] { return got.size() >= 3; }));
    CHECK(got.ns() == std::vector<int>{3, 4, 5});
    CHECK(got.items().front().pos == p[3]);
}

TEST_CASE_TEMPLATE("event log: newest first, a page at a time, to the oldest", Bus,
                   APIKIT_EVENTS_BUSES) {
    bus_fixture<Bus> f;
    CHECK(list(f, 10).value().events.empty());
    std::vector<events::position> p;
    for (int i = 0; i < 5; ++i)
        p.push_back(publish(f, make("user.created", i)).value());

    auto const first = list(f, 2).value();
    REQUIRE(first.events.size() == 2);
    CHECK(n_of(first.events[0]) == 4);
    CHECK(n_of(first.events[1]) == 3);
    CHECK(first.positions == std::vector<events::position>{p[4], p[3]});
    REQUIRE(first.next);
    CHECK(*first.next == p[3]);

    auto const second = list(f, 2, first.next).value();
    REQUIRE(second.events.size() == 2);
    CHECK(n_of(second.events[0]) == 2);
    CHECK(n_of(second.events[1]) == 1);
    REQUIRE(second.next);

    auto const last = list(f, 2, second.next).value();
    REQUIRE(last.events.size() == 1);
    CHECK(n_of(last.events[0]) == 0);
    CHECK_FALSE(last.next);

    auto const whole = list(f, 5).value();
    CHECK(whole.events.size() == 5);
    CHECK_FALSE(whole.next); // exactly the rest: no empty page after it
    CHECK(list(f, 0).value().events.empty());
    CHECK(list(f, 10, events::position{1, 0}).value().events.empty()); // before them all
}

TEST_CASE_TEMPLATE("bus: a slow subscriber blocks neither the publisher nor other subscribers", Bus,
                   APIKIT_EVENTS_BUSES) {
    bus_fixture<Bus> f;
    // The slow one waits in its first call until released.
    std::mutex m;
    std::condition_variable cv;
    bool entered = false, released = false;
    collector slow, fast;
    events::subscribe_options o;
    o.buffer = 4;
    o.overflow = events::overflow_policy::drop_newest;
    auto s1 = f.bus.subscribe("user.*", o, [&](events::event const& e, events::position p) {
        std::unique_lock lk(m);
        entered = true;
        cv.notify_all();
        cv.wait(lk, [&] { return released; });
        lk.unlock();
        slow.subscriber()(e, p);
    });
    auto s2 = f.bus.subscribe("user.*", {}, fast.subscriber());

    // The Redis bus's subscribers run on its io_context: from here two
    // threads run it, and the slow one holds one of them.
    f.run_in_background();

    REQUIRE(publish(f, make("user.created", 0)));
    {
        std::unique_lock lk(m);
        REQUIRE(cv.wait_for(lk, 20s, [&] { return entered; }));
    }
    // The slow one is inside its call: every publish still completes.
    for (int i = 1; i < 10; ++i)
        REQUIRE(publish(f, make("user.created", i)));
    REQUIRE(f.until([&] { return fast.size() == 10; }));
    CHECK(fast.ns() == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(slow.size() == 0);

    if constexpr (bus_fixture<Bus>::drops_when_slow) {
        // Its buffer of 4 took 1 to 4; drop_newest dropped 5 to 9.
        auto const st = f.bus.stats();
        CHECK(st.dropped == 5);
        CHECK(st.queue_depth == 4);
    }
    {
        std::lock_guard lk(m);
        released = true;
    }
    cv.notify_all();
    if constexpr (bus_fixture<Bus>::drops_when_slow) {
        REQUIRE(f.until([&] { return slow.size() == 5; }));
        CHECK(slow.ns() == std::vector<int>{0, 1, 2, 3, 4});
    } else {
        REQUIRE(f.until([&] { return slow.size() == 10; }));
        CHECK(slow.ns() == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    }
    CHECK(f.bus.stats().published == 10);
}
