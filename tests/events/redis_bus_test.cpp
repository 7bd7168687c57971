// What the Redis bus adds to the conformance suite: the stream's layout,
// consumer groups (shared work, a group that goes on where it was), events a
// crashed consumer left pending claimed by another, a subscriber that
// throws, an entry apikit did not write — each on one Redis and on the
// fixture's Redis Cluster — and an outage.
//
// Claims. Redis decides that an event may be claimed from how long it has
// been pending, by its own clock; tests do not wait for that. A bus with
// claim_after = 1 h shows that a fresh pending event is not taken, and a bus
// with claim_after = 0 (and claim_interval = 0, so it looks on every round)
// shows that a pending one is: the test decides when the timeout has passed
// by choosing the bus that claims.
#include "bus_fixtures.hpp"

#include <apikit/events/redis_bus.hpp>

#include "redis/support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace bus_test;
using namespace std::chrono_literals;
namespace events = apikit::events;
namespace redis = apikit::redis;

namespace {

template <class Fixture>
events::redis_bus_options same_stream(Fixture const& f, std::chrono::milliseconds claim_after) {
    events::redis_bus_options o;
    o.stream = std::string(redis::hash_tag(f.bus.key()));
    o.poll_interval = 1ms;
    o.claim_after = claim_after;
    o.claim_interval = 0ms;
    return o;
}

events::subscribe_options in_group(std::string group, std::string consumer) {
    events::subscribe_options o;
    o.group = std::move(group);
    o.consumer = std::move(consumer);
    return o;
}

// How many events the group has delivered and not seen acknowledged.
template <class Fixture>
std::int64_t pending(Fixture& f, std::string const& group) {
    auto const r = redis_test::ok(f.io, f.conn, {"XPENDING", f.bus.key(), group});
    return r.elements()[0].integer();
}

} // namespace

// The bus on one Redis, and on the fixture's cluster.
#define APIKIT_EVENTS_REDIS_BUSES apikit::events::redis_bus, bus_test::cluster_redis_bus

TEST_CASE_TEMPLATE(
    "redis bus: one hash-tagged stream, entries of type and envelope, bounded length", Bus,
    APIKIT_EVENTS_REDIS_BUSES) {
    bus_fixture<Bus> f;
    CHECK(f.bus.key().starts_with("apikit:events:{test-"));
    CHECK(f.bus.key().ends_with("}"));
    auto const e = make("user.created", 1);
    auto const p = publish(f, e).value();
    auto const r = redis_test::ok(f.io, f.conn, {"XRANGE", f.bus.key(), "-", "+"});
    REQUIRE(r.elements().size() == 1);
    CHECK(r.elements()[0].elements()[0].text() == p.to_string());
    auto const fields = r.elements()[0].elements()[1].elements();
    REQUIRE(fields.size() == 4);
    CHECK(fields[0].text() == "type");
    CHECK(fields[1].text() == "user.created");
    CHECK(fields[2].text() == "event");
    CHECK(events::parse_event(fields[3].text()).value() == e);

    events::basic_redis_bus small(f.conn,
                                  {.stream = apikit::random_id("small-"), .max_length = 10});
    for (int i = 0; i < 1000; ++i)
        small.async_publish(make("user.created", i),
                            [](boost::system::error_code, events::position) {});
    auto const len = redis_test::ok(f.io, f.conn, {"XLEN", small.key()}).integer();
    CHECK(len < 1000); // MAXLEN ~ trims whole nodes: about 10, never all
    CHECK(len >= 10);

    CHECK_THROWS_AS(Bus(f.conn, {.stream = ""}), std::invalid_argument);
    CHECK_THROWS_AS(Bus(f.conn, {.stream = "a}"}), std::invalid_argument);
    CHECK_THROWS_AS(Bus(f.conn, {.key_prefix = "{"}), std::invalid_argument);
    CHECK_THROWS_AS(Bus(f.conn, {.max_length = 0}), std::invalid_argument);
}

TEST_CASE_TEMPLATE(
    "redis bus: the consumers of one group share its events, each event to one of them", Bus,
    APIKIT_EVENTS_REDIS_BUSES) {
    bus_fixture<Bus> f;
    collector a, b, other;
    auto sa = f.bus.subscribe("user.*", in_group("mailer", "a"), a.subscriber());
    auto sb = f.bus.subscribe("user.*", in_group("mailer", "b"), b.subscriber());
    auto so = f.bus.subscribe("user.*", in_group("audit", "a"), other.subscriber());
    for (int i = 0; i < 40; ++i)
        REQUIRE(publish(f, make("user.created", i)).has_value());
    REQUIRE(f.until([&] { return a.size() + b.size() == 40 && other.size() == 40; }));
    auto got = a.ns();
    auto const bs = b.ns();
    got.insert(got.end(), bs.begin(), bs.end());
    std::sort(got.begin(), got.end());
    for (int i = 0; i < 40; ++i)
        CHECK(got[static_cast<std::size_t>(i)] == i); // each once
    REQUIRE(f.until([&] { return pending(f, "mailer") == 0 && pending(f, "audit") == 0; }));
}

TEST_CASE_TEMPLATE(
    "redis bus: a named group goes on from where it was, and its own group starts anew", Bus,
    APIKIT_EVENTS_REDIS_BUSES) {
    bus_fixture<Bus> f;
    collector first, second;
    {
        auto s = f.bus.subscribe("user.*", in_group("g", "c1"), first.subscriber());
        REQUIRE(publish(f, make("user.created", 1)).has_value());
        REQUIRE(f.until([&] { return first.size() == 1; }));
        REQUIRE(f.until([&] { return pending(f, "g") == 0; }));
    }
    // No consumer of g reads these; g keeps its place.
    REQUIRE(publish(f, make("user.created", 2)).has_value());
    REQUIRE(publish(f, make("user.created", 3)).has_value());
    auto s = f.bus.subscribe("user.*", in_group("g", "c2"), second.subscriber());
    REQUIRE(f.until([&] { return second.size() == 2; }));
    CHECK(second.ns() == std::vector<int>{2, 3});

    // A subscription of no group had one of its own, destroyed with it.
    auto const groups = [&] {
        return redis_test::ok(f.io, f.conn, {"XINFO", "GROUPS", f.bus.key()}).elements().size();
    };
    std::size_t const before = groups();
    {
        collector anon;
        auto a = f.bus.subscribe("*", {}, anon.subscriber());
        CHECK(groups() == before + 1);
    }
    REQUIRE(f.until([&] { return groups() == before; }));
}

TEST_CASE_TEMPLATE("redis bus: what a crashed consumer read and never acknowledged goes to another",
                   Bus, APIKIT_EVENTS_REDIS_BUSES) {
    bus_fixture<Bus> f;
    collector survivor;
    // The group exists; "crashed" reads three events and dies before XACK.
    redis_test::ok(f.io, f.conn, {"XGROUP", "CREATE", f.bus.key(), "workers", "$", "MKSTREAM"});
    for (int i = 0; i < 3; ++i)
        REQUIRE(publish(f, make("order.placed", i)).has_value());
    auto const read = redis_test::ok(
        f.io, f.conn,
        {"XREADGROUP", "GROUP", "workers", "crashed", "COUNT", 10, "STREAMS", f.bus.key(), ">"});
    REQUIRE(read.elements()[0].elements()[1].elements().size() == 3);
    CHECK(pending(f, "workers") == 3);

    // A consumer that claims after an hour: the three are not idle that long.
    events::basic_redis_bus patient(f.conn, same_stream(f, 1h));
    collector early;
    {
        auto s = patient.subscribe("order.*", in_group("workers", "patient"), early.subscriber());
        REQUIRE(publish(f, make("order.placed", 3)).has_value());
        REQUIRE(f.until([&] { return early.size() == 1; }));
        CHECK(early.ns() == std::vector<int>{3});
        CHECK(s.stats().claimed == 0);
    }
    CHECK(pending(f, "workers") == 3);

    // Past the claim timeout (0 here): the survivor gets them, once each.
    events::basic_redis_bus claiming(f.conn, same_stream(f, 0ms));
    auto s = claiming.subscribe("order.*", in_group("workers", "survivor"), survivor.subscriber());
    REQUIRE(f.until([&] { return survivor.size() == 3; }));
    CHECK(survivor.ns() == std::vector<int>{0, 1, 2});
    REQUIRE(f.until([&] { return pending(f, "workers") == 0; }));
    CHECK(s.stats().claimed == 3);
    CHECK(s.stats().delivered == 3);
    CHECK(claiming.stats().claimed == 3);
}

TEST_CASE_TEMPLATE(
    "redis bus: an event whose subscriber threw stays pending and is delivered again", Bus,
    APIKIT_EVENTS_REDIS_BUSES) {
    bus_fixture<Bus> f;
    events::basic_redis_bus bus(f.conn, same_stream(f, 0ms));
    std::vector<int> calls;
    auto s =
        bus.subscribe("user.*", in_group("g", "c"), [&](events::event const& e, events::position) {
            calls.push_back(n_of(e));
            if (calls.size() == 1)
                throw std::runtime_error("not this time");
        });
    REQUIRE(publish(f, make("user.created", 7)).has_value());
    REQUIRE(f.until([&] { return calls.size() >= 2; }));
    CHECK(calls == std::vector<int>{7, 7}); // at least once: the same event twice
    REQUIRE(f.until([&] { return pending(f, "g") == 0; }));
    CHECK(s.stats().failed == 1);
    CHECK(s.stats().delivered == 1);
}

TEST_CASE_TEMPLATE(
    "redis bus: an entry apikit did not write is left out of the log and acknowledged", Bus,
    APIKIT_EVENTS_REDIS_BUSES) {
    bus_fixture<Bus> f;
    collector got;
    auto s = f.bus.subscribe("*", in_group("g", "c"), got.subscriber());
    redis_test::ok(f.io, f.conn, {"XADD", f.bus.key(), "*", "type", "user.created", "event", "{"});
    redis_test::ok(f.io, f.conn, {"XADD", f.bus.key(), "*", "hello", "world"});
    REQUIRE(publish(f, make("user.created", 1)).has_value());
    REQUIRE(f.until([&] { return got.size() == 1; }));
    REQUIRE(f.until([&] { return pending(f, "g") == 0; }));
    CHECK(s.stats().failed == 2);
    auto const page = list(f, 10).value();
    REQUIRE(page.events.size() == 1);
    CHECK(n_of(page.events[0]) == 1);
}

TEST_CASE("redis bus: when Redis is down, publish and list are backend_unavailable, "
          "and subscriptions wait and go on") {
    apikit_test::redis_server server;
    boost::asio::io_context io;
    redis::connection conn(io.get_executor(), redis_test::options_for(server.port()));
    REQUIRE_FALSE(redis_test::connect(io, conn));
    events::redis_bus bus(conn, {.poll_interval = 1ms});
    collector got;
    auto s = bus.subscribe("user.*", in_group("g", "c"), got.subscriber());
    auto publish_one = [&](int n) {
        std::optional<boost::system::error_code> out;
        bus.async_publish(make("user.created", n),
                          [&](boost::system::error_code ec, events::position) { out = ec; });
        REQUIRE(redis_test::run_until(io, [&] { return out.has_value(); }));
        return *out;
    };
    REQUIRE_FALSE(publish_one(1));
    REQUIRE(redis_test::run_until(io, [&] { return got.size() == 1; }));

    server.stop();
    auto const ec = publish_one(2);
    CHECK(ec == apikit::condition::backend_unavailable);
    CHECK(apikit::http_status(ec) == 503);
    std::optional<boost::system::error_code> listed;
    bus.async_list(10, {}, [&](boost::system::error_code e, events::page) { listed = e; });
    REQUIRE(redis_test::run_until(io, [&] { return listed.has_value(); }));
    CHECK(*listed == apikit::condition::backend_unavailable);
    // The subscription fails, counts it, and tries again later.
    REQUIRE(redis_test::run_until(io, [&] { return s.stats().errors >= 2; }));
    CHECK(bus.stats().publish_errors == 1);

    // Back (empty: the server lost everything): the group is made again.
    server.restart();
    REQUIRE(
        redis_test::run_until(io, [&] { return conn.state() == redis::connection_state::ready; }));
    REQUIRE(redis_test::run_until(io, [&] {
        auto const r = publish_one(3);
        return !r && got.size() >= 2;
    }));
    CHECK(got.ns().back() == 3);
}
