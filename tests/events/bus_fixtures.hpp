// One fixture per bus for the conformance suite. A fixture owns a bus and
// publishes and lists through its completion-handler form — the one every
// bus has — turning the answer back into a result. `until(pred)` waits
// (20 s at most, never for a fixed time) until `pred` holds: the memory bus
// delivers on its subscriptions' threads, the Redis bus on the io_context
// the fixture drives.
//
// The Redis bus is in the suite when the build has apikit::redis
// (APIKIT_TEST_WITH_REDIS), on a connection to the ctest fixture's
// redis-server and on a cluster client of the fixture's Redis Cluster
// (3 primaries: each fixture's stream lives on the primary of its slot); on
// a stream of its own per fixture, polling every millisecond.
#ifndef APIKIT_TESTS_EVENTS_BUS_FIXTURES_HPP
#define APIKIT_TESTS_EVENTS_BUS_FIXTURES_HPP

#include <apikit/core/random.hpp>
#include <apikit/events/any_bus.hpp>
#include <apikit/events/bus.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/memory_bus.hpp>

#if APIKIT_TEST_WITH_REDIS
#include <apikit/events/redis_bus.hpp>
#include <apikit/redis/cluster_client.hpp>

#include "redis/support.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#endif

#include <boost/json/value.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

// doctest prints positions (and results of them) as their text.
namespace apikit::events {
inline std::ostream& operator<<(std::ostream& out, position const& p) {
    return out << p.to_string();
}
} // namespace apikit::events

namespace bus_test {

namespace events = apikit::events;
using namespace std::chrono_literals;

/// An event of `type` whose data is `{"n": n}`.
inline events::event make(events::type_name type, int n) {
    events::metadata m;
    m.correlation_id = "req_test";
    return events::make_event(type, boost::json::object{{"n", n}}, std::move(m),
                              std::chrono::system_clock::now());
}

inline int n_of(events::event const& e) {
    return static_cast<int>(e.data.as_object().at("n").as_int64());
}

/// What a subscriber got, in order; safe to read while it is being called.
struct collector {
    struct item {
        events::event event;
        events::position pos;
    };

    auto subscriber() {
        return [this](events::event const& e, events::position p) {
            std::lock_guard lk(m);
            got.push_back({e, p});
        };
    }
    std::size_t size() const {
        std::lock_guard lk(m);
        return got.size();
    }
    std::vector<item> items() const {
        std::lock_guard lk(m);
        return got;
    }
    std::vector<int> ns() const {
        std::vector<int> out;
        for (auto const& i : items())
            out.push_back(n_of(i.event));
        return out;
    }

    mutable std::mutex m;
    std::vector<item> got;
};

/// The buses of the suite: each bus, and each behind an any_bus.
struct any_memory_bus {};
struct any_redis_bus {};
#if APIKIT_TEST_WITH_REDIS
/// The Redis bus on a cluster.
using cluster_redis_bus = events::basic_redis_bus<apikit::redis::cluster_client>;
#endif

template <class Bus>
struct bus_fixture;

template <class Bus>
struct memory_fixture {
    static constexpr bool answers_later = false;
    /// A subscriber that falls behind loses events (its overflow policy).
    static constexpr bool drops_when_slow = true;

    Bus bus = [] {
        if constexpr (std::is_same_v<Bus, events::memory_bus>)
            return events::memory_bus();
        else
            return events::any_bus(std::in_place_type<events::memory_bus>);
    }();

    events::memory_bus& memory() {
        if constexpr (std::is_same_v<Bus, events::memory_bus>)
            return bus;
        else
            return *bus.template target<events::memory_bus>();
    }

    /// Subscribers run on threads of their own already.
    void run_in_background() {}

    template <class Pred>
    bool until(Pred done) {
        auto const end = std::chrono::steady_clock::now() + 20s;
        while (!done()) {
            if (std::chrono::steady_clock::now() > end)
                return false;
            (void)memory().wait_idle(10ms);
            std::this_thread::yield();
        }
        return true;
    }
};

template <>
struct bus_fixture<events::memory_bus> : memory_fixture<events::memory_bus> {};
template <>
struct bus_fixture<any_memory_bus> : memory_fixture<events::any_bus> {};

#if APIKIT_TEST_WITH_REDIS
/// A Redis bus (or an any_bus holding one) on `Link`'s client (`conn`),
/// driven by its io_context.
template <class Link, class Bus>
struct redis_fixture : Link {
    using client_type = std::remove_reference_t<decltype(std::declval<Link&>().conn)>;

    static constexpr bool answers_later = true;
    /// A subscriber that falls behind reads later: the events wait in Redis.
    static constexpr bool drops_when_slow = false;

    static events::redis_bus_options options() {
        return {.stream = apikit::random_id("test-"), .poll_interval = 1ms};
    }

    Bus bus = [this] {
        if constexpr (std::is_same_v<Bus, events::any_bus>)
            return events::any_bus(std::in_place_type<events::basic_redis_bus<client_type>>,
                                   this->conn, options());
        else
            return Bus(this->conn, options());
    }();

    /// From now on two threads run the io_context (a subscriber may hold
    /// one), and until() only waits.
    void run_in_background() {
        guard.emplace(this->io.get_executor());
        for (int i = 0; i < 2; ++i)
            runners.emplace_back([this] {
                while (!stop.load())
                    this->io.run_one_for(5ms);
            });
    }

    ~redis_fixture() {
        stop.store(true);
        guard.reset();
        for (auto& t : runners)
            t.join();
    }

    template <class Pred>
    bool until(Pred done) {
        if (runners.empty())
            return this->run_quietly_until(done);
        auto const end = std::chrono::steady_clock::now() + 20s;
        while (!done()) {
            if (std::chrono::steady_clock::now() > end)
                return false;
            std::this_thread::yield();
        }
        return true;
    }

    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::atomic<bool> stop{false};
    std::vector<std::thread> runners;
};

template <>
struct bus_fixture<events::redis_bus>
    : redis_fixture<redis_test::shared_connection, events::redis_bus> {};
template <>
struct bus_fixture<any_redis_bus> : redis_fixture<redis_test::shared_connection, events::any_bus> {
};
template <>
struct bus_fixture<cluster_redis_bus>
    : redis_fixture<redis_test::shared_cluster, cluster_redis_bus> {};
#endif

// A handler's one answer, handed from whichever thread ran it.
template <class T>
struct answer {
    std::optional<apikit::result<T>> value;
    std::atomic<int> calls{0};
    std::atomic<bool> inside{true};
    std::atomic<bool> ran_inside{false};
    std::thread::id caller = std::this_thread::get_id();

    void set(boost::system::error_code ec, T v) {
        if (inside.load() && std::this_thread::get_id() == caller)
            ran_inside.store(true);
        if (ec)
            value.emplace(ec);
        else
            value.emplace(std::move(v));
        calls.fetch_add(1);
    }

    template <class Fixture>
    apikit::result<T> get(Fixture& f) {
        inside.store(false);
        if constexpr (Fixture::answers_later)
            REQUIRE_FALSE(ran_inside.load()); // never inside the call
        REQUIRE(f.until([&] { return calls.load() > 0; }));
        REQUIRE(calls.load() == 1); // exactly once
        return std::move(*value);
    }
};

template <class Fixture>
apikit::result<events::position> publish(Fixture& f, events::event const& e) {
    static_assert(events::bus<decltype(f.bus)>,
                  "bus_test::publish's bus must model apikit::events::bus");
    answer<events::position> a;
    f.bus.async_publish(e, [&](boost::system::error_code ec, events::position p) { a.set(ec, p); });
    return a.get(f);
}

template <class Fixture>
apikit::result<events::page> list(Fixture& f, std::size_t limit,
                                  std::optional<events::position> before = {}) {
    static_assert(events::event_log<decltype(f.bus)>,
                  "bus_test::list's bus must model apikit::events::event_log");
    answer<events::page> a;
    f.bus.async_list(limit, before, [&](boost::system::error_code ec, events::page p) {
        a.set(ec, std::move(p));
    });
    return a.get(f);
}

} // namespace bus_test

TYPE_TO_STRING(apikit::events::memory_bus);
TYPE_TO_STRING(bus_test::any_memory_bus);

#if APIKIT_TEST_WITH_REDIS
TYPE_TO_STRING(apikit::events::redis_bus);
TYPE_TO_STRING(apikit::events::basic_redis_bus<apikit::redis::cluster_client>);
TYPE_TO_STRING(bus_test::any_redis_bus);
#define APIKIT_EVENTS_BUSES                                                                        \
    apikit::events::memory_bus, apikit::events::redis_bus, bus_test::cluster_redis_bus,            \
        bus_test::any_memory_bus, bus_test::any_redis_bus
#else
#define APIKIT_EVENTS_BUSES apikit::events::memory_bus, bus_test::any_memory_bus
#endif

#endif
