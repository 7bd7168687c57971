// What the memory bus adds to the conformance suite: its overflow policies,
// its bounded history, its positions on a clock that stalls or steps back,
// its figures, and publishers and subscribers on many threads at once
// (std::thread: this file runs under ThreadSanitizer); and any_bus over it.
#include "bus_fixtures.hpp"

#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>
#include <apikit/events/any_bus.hpp>
#include <apikit/events/memory_bus.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace bus_test;
using namespace std::chrono_literals;
namespace events = apikit::events;

namespace {

// A subscriber held in its first call until released, as a slow one is.
struct gate {
    std::mutex m;
    std::condition_variable cv;
    bool entered = false, open = false;

    void pass() {
        std::unique_lock lk(m);
        entered = true;
        cv.notify_all();
        cv.wait(lk, [&] { return open; });
    }
    bool wait_entered() {
        std::unique_lock lk(m);
        return cv.wait_for(lk, 20s, [&] { return entered; });
    }
    void release() {
        {
            std::lock_guard lk(m);
            open = true;
        }
        cv.notify_all();
    }
};

using manual_system_clock = apikit::manual_clock<std::chrono::system_clock>;

} // namespace

TEST_CASE("memory_bus: drop_oldest keeps the latest events of a full buffer, and counts") {
    events::memory_bus bus;
    gate g;
    collector got;
    events::subscribe_options o;
    o.buffer = 3;
    o.overflow = events::overflow_policy::drop_oldest;
    auto s = bus.subscribe("user.*", o, [&](events::event const& e, events::position p) {
        if (n_of(e) == 0)
            g.pass();
        got.subscriber()(e, p);
    });
    REQUIRE(bus.publish(make("user.created", 0)));
    REQUIRE(g.wait_entered());
    for (int i = 1; i < 10; ++i)
        REQUIRE(bus.publish(make("user.created", i)));
    auto st = bus.stats();
    CHECK(st.published == 10);
    CHECK(st.dropped == 6);
    CHECK(st.queue_depth == 3);
    REQUIRE(st.subscriptions.size() == 1);
    CHECK(st.subscriptions[0].pattern == "user.*");
    CHECK(st.subscriptions[0].capacity == 3);
    g.release();
    REQUIRE(bus.wait_idle(20s));
    CHECK(got.ns() == std::vector<int>{0, 7, 8, 9});
    st = bus.stats();
    CHECK(st.delivered == 4);
    CHECK(st.queue_depth == 0);
}

TEST_CASE("memory_bus: a subscriber that throws loses that event, not its subscription") {
    events::memory_bus bus;
    collector got;
    auto s = bus.subscribe("user.*", {}, [&](events::event const& e, events::position p) {
        if (n_of(e) == 1)
            throw std::runtime_error("boom");
        got.subscriber()(e, p);
    });
    for (int i = 0; i < 3; ++i)
        REQUIRE(bus.publish(make("user.created", i)));
    REQUIRE(bus.wait_idle(20s));
    CHECK(got.ns() == std::vector<int>{0, 2});
    CHECK(s.stats().failed == 1);
    CHECK(s.stats().delivered == 2);
    CHECK(bus.stats().failed == 1);
}

TEST_CASE("memory_bus: a subscriber may unsubscribe itself and publish from its call") {
    events::memory_bus bus;
    collector echoes;
    auto echo = bus.subscribe("order.*", {}, echoes.subscriber());
    auto self = std::make_shared<events::memory_bus::subscription>();
    std::atomic<int> calls{0};
    std::atomic<bool> unsubscribed{false};
    *self = bus.subscribe("user.*", {}, [&, self](events::event const& e, events::position) {
        ++calls;
        REQUIRE(bus.publish(make("order.placed", n_of(e))));
        self->unsubscribe(); // from its own thread: does not wait for itself
        unsubscribed.store(true);
    });
    REQUIRE(bus.publish(make("user.created", 1)));
    // The subscription left the bus: wait_idle no longer waits for it.
    auto const end = std::chrono::steady_clock::now() + 20s;
    while (!unsubscribed.load() && std::chrono::steady_clock::now() < end)
        std::this_thread::yield();
    REQUIRE(unsubscribed.load());
    REQUIRE(bus.wait_idle(20s));
    REQUIRE(bus.publish(make("user.created", 2)));
    REQUIRE(bus.wait_idle(20s));
    CHECK(calls.load() == 1);
    CHECK_FALSE(self->active());
    CHECK(echoes.ns() == std::vector<int>{1});
}

TEST_CASE("memory_bus: the history keeps the last N events, and an older cursor finds nothing") {
    events::memory_bus bus({.history = 3});
    std::vector<events::position> p;
    for (int i = 0; i < 5; ++i)
        p.push_back(bus.publish(make("user.created", i)).value());
    auto const all = bus.list(10);
    REQUIRE(all.events.size() == 3);
    CHECK(n_of(all.events.front()) == 4);
    CHECK(n_of(all.events.back()) == 2);
    CHECK_FALSE(all.next);
    CHECK(bus.list(10, p[2]).events.empty());
    CHECK(bus.stats().history == 3);

    events::memory_bus none({.history = 0});
    REQUIRE(none.publish(make("user.created", 0)));
    CHECK(none.list(10).events.empty());
}

TEST_CASE("memory_bus: positions only grow, on a clock that stalls or steps back") {
    manual_system_clock clock{std::chrono::system_clock::time_point(1705312800000ms)};
    events::basic_memory_bus<apikit::clock_ref<manual_system_clock>> bus({},
                                                                         apikit::clock_ref(clock));
    auto const a = bus.publish(make("user.created", 0)).value();
    auto const b = bus.publish(make("user.created", 1)).value();
    clock.advance(-5s);
    auto const c = bus.publish(make("user.created", 2)).value();
    clock.advance(1h);
    auto const d = bus.publish(make("user.created", 3)).value();
    CHECK(a == events::position{1705312800000, 0});
    CHECK(b == events::position{1705312800000, 1});
    CHECK(c == events::position{1705312800000, 2});
    CHECK(d == events::position{1705312800000 + 3595000, 0});
}

TEST_CASE("memory_bus: replay is bounded by the buffer, under its policy") {
    events::memory_bus bus;
    for (int i = 0; i < 6; ++i)
        REQUIRE(bus.publish(make("user.created", i)));
    collector got;
    events::subscribe_options o;
    o.after = events::position{};
    o.buffer = 2;
    o.overflow = events::overflow_policy::drop_newest;
    auto s = bus.subscribe(
        "user.*", o, [&](events::event const& e, events::position p) { got.subscriber()(e, p); });
    REQUIRE(bus.wait_idle(20s));
    // The replay offers all six before the thread runs: two fit.
    CHECK(got.ns() == std::vector<int>{0, 1});
    CHECK(s.stats().dropped == 4);
}

TEST_CASE("memory_bus: publishers and subscribers on many threads lose nothing that fits") {
    events::memory_bus bus({.history = 100});
    constexpr int publishers = 4, each = 250;
    collector all, users;
    events::subscribe_options o;
    o.buffer = publishers * each;
    auto s1 = bus.subscribe("*", o, all.subscriber());
    auto s2 = bus.subscribe("user.*", o, users.subscriber());
    std::vector<std::thread> threads;
    for (int t = 0; t < publishers; ++t)
        threads.emplace_back([&bus, t] {
            for (int i = 0; i < each; ++i)
                (void)bus.publish(
                    make(t % 2 ? events::type_name("order.placed") : "user.created", t * each + i));
        });
    // Readers of the log and the figures at the same time.
    std::atomic<bool> done{false};
    std::thread reader([&] {
        while (!done.load()) {
            auto const page = bus.list(10);
            for (std::size_t i = 1; i < page.positions.size(); ++i)
                CHECK(page.positions[i] < page.positions[i - 1]);
            (void)bus.stats();
        }
    });
    for (auto& t : threads)
        t.join();
    done.store(true);
    reader.join();
    REQUIRE(bus.wait_idle(20s));
    CHECK(all.size() == publishers * each);
    CHECK(users.size() == publishers * each / 2);
    auto const items = all.items();
    for (std::size_t i = 1; i < items.size(); ++i)
        REQUIRE(items[i - 1].pos < items[i].pos);
    auto const st = bus.stats();
    CHECK(st.published == publishers * each);
    CHECK(st.delivered == publishers * each * 3 / 2);
    CHECK(st.dropped == 0);
}

TEST_CASE("memory_bus: destroying the bus ends its subscriptions, which may outlive it") {
    collector got;
    events::memory_bus::subscription s;
    {
        events::memory_bus bus;
        s = bus.subscribe("user.*", {}, got.subscriber());
        REQUIRE(bus.publish(make("user.created", 1)));
        REQUIRE(bus.wait_idle(20s));
    }
    CHECK(got.size() == 1);
    s.unsubscribe();
    CHECK_FALSE(s.active());
}

TEST_CASE("any_bus: empty until given a bus, and answers within the call over a memory bus") {
    events::any_bus empty;
    CHECK_FALSE(empty);
    events::any_bus bus(std::in_place_type<events::memory_bus>,
                        events::memory_bus_options{.history = 2});
    REQUIRE(bus);
    CHECK(bus.synchronous());
    REQUIRE(bus.target<events::memory_bus>() != nullptr);
    CHECK(bus.target<events::any_bus>() == nullptr);
    int calls = 0;
    for (int i = 0; i < 3; ++i)
        bus.async_publish(make("user.created", i),
                          [&](boost::system::error_code ec, events::position) {
                              CHECK_FALSE(ec);
                              ++calls;
                          });
    CHECK(calls == 3); // within each call
    bus.async_list(10, {}, [&](boost::system::error_code ec, events::page p) {
        CHECK_FALSE(ec);
        CHECK(p.events.size() == 2); // its history of 2
        ++calls;
    });
    CHECK(calls == 4);
    CHECK(bus.stats().published == 3);
    events::any_bus moved = std::move(bus);
    CHECK(moved);
    CHECK_FALSE(bus); // NOLINT(bugprone-use-after-move): moved from is empty
}
