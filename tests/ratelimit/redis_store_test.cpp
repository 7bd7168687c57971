// The Redis store beyond the conformance suite: exactness past 2^53 ns,
// Redis's own clock, key layout, expiry, NOSCRIPT, outages, handler
// association, two "processes" sharing one limit, and clients whose buckets
// live on every primary of a cluster. Against a real redis-server: the
// ctest fixture's (or its Redis Cluster), or a private one for tests that
// stop or flush their server.
#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/redis_store.hpp>

#include "redis/support.hpp"
#include "store_fixtures.hpp"
#include "support.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;
using redis_test::error_code;
namespace redis = apikit::redis;
namespace rl = apikit::ratelimit;

namespace {

struct redis_outcome {
    error_code ec;
    policy_decision d;
    int calls = 0;
};

// One decision, driven to completion; checks that it did not complete
// inside the call.
redis_outcome decide(boost::asio::io_context& io, redis_store& s, std::string_view key,
                     policy const& p, std::uint64_t cost, nanoseconds now) {
    redis_outcome out;
    s.async_acquire(key, p, cost, now, [&](error_code ec, policy_decision d) {
        ++out.calls;
        out.ec = ec;
        out.d = d;
    });
    REQUIRE(out.calls == 0);
    REQUIRE(redis_test::run_until(io, [&] { return out.calls > 0; }));
    redis_test::settle(io);
    REQUIRE(out.calls == 1);
    return out;
}

redis_store_options client_time(std::string prefix = rl_test::unique_prefix()) {
    return {.time = time_source::client, .key_prefix = std::move(prefix)};
}

struct shared_redis : rl_test::redis_connection {
    redis::reply cmd(redis::command c) { return redis_test::ok(io, conn, std::move(c)); }
};

} // namespace

TEST_CASE("redis store: exact to the nanosecond above 2^53 ns and with windows over 104 days") {
    shared_redis r;
    redis_store store(r.conn, client_time());
    // 7 ns per token: a double near 1.8e18 (spacing 256 ns) could not tell
    // these instants apart. A year-long window (> 2^53 ns) beside it.
    policy const p{limit{"fine", 5, rate{1, 7ns}}, limit{"year", 365, per_day(1)}};
    auto const base = nanoseconds(1'800'000'000'123'456'789);
    REQUIRE(base.count() > (std::int64_t{1} << 60));

    std::array<std::int64_t, 2> model{gcra::full, gcra::full};
    auto step = [&](nanoseconds now, std::uint64_t cost) {
        auto const got = decide(r.io, store, "exact", p, cost, now);
        REQUIRE_FALSE(got.ec);
        bool all = true;
        std::array<gcra::step, 2> steps;
        for (std::size_t i = 0; i < 2; ++i) {
            steps[i] = gcra::evaluate(model[i], now.count(), cost, gcra::params::of(p[i]));
            all = all && steps[i].d.allowed;
        }
        REQUIRE(got.d.allowed == all);
        REQUIRE(got.d.limits().size() == 2);
        for (std::size_t i = 0; i < 2; ++i) {
            auto const expect =
                all ? steps[i].d
                    : gcra::standing(model[i], now.count(), cost, gcra::params::of(p[i]));
            CAPTURE(i);
            CHECK(static_cast<decision const&>(got.d.limits()[i]) == expect);
            if (all && cost > 0)
                model[i] = steps[i].tat;
        }
        return got.d;
    };

    CHECK(step(base, 5).allowed); // fine: TAT = base + 35 ns
    auto const early = step(base + 6ns, 1);
    CHECK_FALSE(early.allowed);
    CHECK(early.retry_after == 1ns);
    CHECK(step(base + 7ns, 1).allowed);
    CHECK(step(base + 7ns, 0).allowed);
    CHECK(step(base + 100ns, 2).allowed);
    // The stored TATs are the exact decimal nanoseconds.
    CHECK(r.cmd({"GET", store.redis_key("exact", p[0])}).text() == std::to_string(model[0]));
    CHECK(r.cmd({"GET", store.redis_key("exact", p[1])}).text() == std::to_string(model[1]));
    // The year limit: 8 of 365 taken, so it owes 8 days to the nanosecond.
    auto const d = step(base + 200ns, 0);
    CHECK(d.limits()[1].remaining == 357);
    CHECK(d.limits()[1].reset_after == nanoseconds(model[1] - (base + 200ns).count()));
    CHECK(store.failures() == 0);
}

TEST_CASE("redis store: a TAT below 1 s and near now is written and read back exactly") {
    shared_redis r;
    redis_store store(r.conn, client_time());
    policy const p{limit{"tiny", 3, rate{1, 1ns}}};
    auto const a = decide(r.io, store, "k", p, 2, 5ns);
    REQUIRE(a.d.allowed);
    CHECK(r.cmd({"GET", store.redis_key("k", p[0])}).text() == "7");
    auto const b = decide(r.io, store, "k", p, 2, 5ns);
    CHECK_FALSE(b.d.allowed);
    CHECK(b.d.retry_after == 1ns);
    CHECK(decide(r.io, store, "k", p, 3, 999'999'999ns).d.allowed);
    CHECK(r.cmd({"GET", store.redis_key("k", p[0])}).text() == "1000000002");
}

TEST_CASE("redis store: server time decides with Redis's clock, whatever the caller's") {
    shared_redis r;
    redis_store store(r.conn, {.key_prefix = rl_test::unique_prefix()});
    REQUIRE(store.get_options().time == time_source::server); // the default
    auto const p = rl_test::reference_policy();
    auto redis_now = [&] {
        auto const t = r.cmd({"TIME"}).as<std::vector<std::int64_t>>().value();
        return t.at(0) * 1'000'000'000 + t.at(1) * 1000;
    };
    auto const before = redis_now();
    // The given time is ignored: a nonsense one (even negative) changes nothing.
    auto const a = decide(r.io, store, "k", p, 30, -5h);
    auto const after = redis_now();
    REQUIRE_FALSE(a.ec);
    CHECK(a.d.allowed);
    CHECK(a.d.remaining == 70);
    CHECK(a.d.reset_after == 3s); // exact: computed from the TAT and the same now
    auto const tat = r.cmd({"GET", store.redis_key("k", p[0])}).as<std::int64_t>().value();
    CHECK(tat - 3'000'000'000 >= before);
    CHECK(tat - 3'000'000'000 <= after);

    // Later, on Redis's clock: the bucket has refilled by the time passed.
    auto const b = decide(r.io, store, "k", p, 1, 0ns);
    auto const after_b = redis_now();
    CHECK(b.d.allowed);
    CHECK(b.d.reset_after <= 3100ms);
    CHECK(b.d.reset_after >= 3100ms - nanoseconds(after_b - before));
    // The numbers agree with each other as gcra.hpp computes them.
    auto const params = gcra::params::of(p[0]);
    CHECK(b.d.remaining == params.tokens(params.window - b.d.reset_after.count()));
    CHECK(store.failures() == 0);
}

TEST_CASE("redis store: keys with braces, long keys and the empty key each get one slot and "
          "their own bucket") {
    shared_redis r;
    redis_store store(r.conn, client_time());
    policy const p{limit{"burst", 2, per_second(1)}, limit{"day{x}", 10, per_day(10)}};
    std::string const long_key(300, 'a');
    std::string long_other = long_key;
    long_other.back() = 'b';
    std::vector<std::string> const keys{"",
                                        "user_1",
                                        "a{b}",
                                        "a{b}c",
                                        "{",
                                        "}",
                                        std::string("ctl\x01", 4),
                                        std::string(128, 'x'),
                                        std::string(129, 'x'),
                                        long_key,
                                        long_other,
                                        "~" + redis::sha1_hex(""), // the empty key's digest
                                        redis::sha1_hex(""),
                                        "caf\xc3\xa9"};
    std::set<std::string> seen;
    for (auto const& k : keys) {
        CAPTURE(k);
        auto const k0 = store.redis_key(k, p[0]), k1 = store.redis_key(k, p[1]);
        CHECK(redis::hash_slot(k0) == redis::hash_slot(k1));
        CHECK(k0.size() < 200);
        CHECK(seen.insert(k0).second);
        CHECK(seen.insert(k1).second);
        // Each key has its own full bucket, and the script accepted the keys.
        auto const d = decide(r.io, store, k, p, 2, 1000h);
        REQUIRE_FALSE(d.ec);
        CHECK(d.d.allowed);
        CHECK(d.d.limits().size() == 2);
        CHECK_FALSE(decide(r.io, store, k, p, 1, 1000h).d.allowed);
    }
    CHECK(store.redis_key("user_1", p[0]).ends_with(":rl:{user_1}:burst"));
    CHECK(store.redis_key("", p[0]).ends_with(":rl:{~" + redis::sha1_hex("") + "}:burst"));
    CHECK(store.failures() == 0);
}

TEST_CASE("redis store: writes expire once the bucket is full, plus a margin, and a denial or a "
          "cost of zero writes nothing") {
    shared_redis r;
    redis_store store(r.conn, {.time = time_source::client,
                               .key_prefix = rl_test::unique_prefix(),
                               .expiry_margin = 1500ms});
    auto const p = rl_test::reference_policy();
    auto const key = store.redis_key("k", p[0]);
    auto const now = 1000h;

    CHECK(decide(r.io, store, "k", p, 0, now).d.allowed);
    CHECK(r.cmd({"EXISTS", key}).integer() == 0); // cost 0: nothing written

    CHECK(decide(r.io, store, "k", p, 30, now).d.allowed); // owes 3 s
    auto const ttl = r.cmd({"PTTL", key}).integer();
    CHECK(ttl <= 4500);
    CHECK(ttl > 4000);
    std::string const value(r.cmd({"GET", key}).text()); // a copy: the reply is a temporary

    CHECK_FALSE(decide(r.io, store, "k", p, 71, now).d.allowed);
    CHECK(r.cmd({"GET", key}).text() == value);
    CHECK(r.cmd({"PTTL", key}).integer() <= ttl); // not refreshed by the denial
    CHECK(decide(r.io, store, "k", p, 0, now + 1s).d.remaining == 80);
    CHECK(r.cmd({"GET", key}).text() == value);
}

TEST_CASE("redis store: after SCRIPT FLUSH the script is sent again and the decision is exact") {
    apikit_test::redis_server server;
    boost::asio::io_context io;
    redis::connection conn(io.get_executor(), redis_test::options_for(server.port()));
    REQUIRE_FALSE(redis_test::connect(io, conn));
    redis_store store(conn, client_time());
    auto const p = rl_test::reference_policy();
    CHECK(decide(io, store, "k", p, 40, 1000h).d.remaining == 60);
    redis_test::ok(io, conn, {"SCRIPT", "FLUSH"});
    CHECK(decide(io, store, "k", p, 40, 1000h).d.remaining == 20);
    CHECK(redis_test::ok(io, conn, {"SCRIPT", "EXISTS", redis_store::script().sha1()}) ==
          redis::reply::array({redis::reply::integer(1)}));
    CHECK(store.failures() == 0);
}

TEST_CASE("redis store: when Redis is down it fails open or closed, and counts it") {
    apikit_test::redis_server server;
    boost::asio::io_context io;
    redis::connection conn(io.get_executor(), redis_test::options_for(server.port()));
    REQUIRE_FALSE(redis_test::connect(io, conn));
    auto const prefix = rl_test::unique_prefix();
    redis_store open(conn, client_time(prefix));
    redis_store closed(conn, {.time = time_source::client,
                              .on_outage = outage_policy::fail_closed,
                              .key_prefix = prefix});
    REQUIRE(open.get_options().on_outage == outage_policy::fail_open); // the default
    auto const p = rl_test::reference_policy();
    CHECK(decide(io, open, "k", p, 100, 1000h).d.allowed);
    CHECK_FALSE(decide(io, closed, "k", p, 1, 1000h).d.allowed); // one limit, two stores

    server.stop();
    for (int i = 0; i < 3; ++i) {
        auto const o = decide(io, open, "k", p, 1, 1000h);
        CHECK_FALSE(o.ec);
        CHECK(o.d.allowed);
        CHECK(o.d.limits().empty()); // nothing known: no rate-limit headers
        auto const c = decide(io, closed, "k", p, 1, 1000h);
        CHECK(c.ec == apikit::errc::service_unavailable);
    }
    CHECK(open.outages() == 3);
    CHECK(open.failures() == 3);
    CHECK(closed.outages() == 3);
    CHECK(open.bad_replies() == 0);
    CHECK(open.last_failure() == apikit::condition::backend_unavailable);

    // Back: decisions are Redis's again (the server restarted empty).
    server.restart();
    REQUIRE(
        redis_test::run_until(io, [&] { return conn.state() == redis::connection_state::ready; }));
    auto const back = decide(io, open, "k", p, 1, 1000h);
    CHECK(back.d.allowed);
    CHECK(back.d.limits().size() == 1);
    CHECK(back.d.remaining == 99);
    CHECK(open.failures() == 3);
}

TEST_CASE("redis store: a reply that is not the script's (WRONGTYPE) follows the outage policy") {
    shared_redis r;
    auto const prefix = rl_test::unique_prefix();
    redis_store open(r.conn, client_time(prefix));
    redis_store closed(r.conn, {.time = time_source::client,
                                .on_outage = outage_policy::fail_closed,
                                .key_prefix = prefix});
    auto const p = rl_test::reference_policy();
    r.cmd({"HSET", open.redis_key("k", p[0]), "f", "v"});
    auto const o = decide(r.io, open, "k", p, 1, 1000h);
    CHECK_FALSE(o.ec);
    CHECK(o.d.allowed);
    CHECK(o.d.limits().empty());
    CHECK(open.bad_replies() == 1);
    CHECK(open.outages() == 0);
    CHECK(open.last_failure() == redis::error::server_error);
    CHECK(decide(r.io, closed, "k", p, 1, 1000h).ec == apikit::errc::service_unavailable);
    CHECK(closed.bad_replies() == 1);
    // A string that is not a TAT is refused by the script, not misread.
    r.cmd({"SET", open.redis_key("k2", p[0]), "12abc"});
    CHECK(decide(r.io, open, "k2", p, 1, 1000h).d.limits().empty());
    CHECK(open.bad_replies() == 2);
}

TEST_CASE("redis store: a cost above the capacity and a negative client time fail without a "
          "round trip") {
    boost::asio::io_context io;
    // Never connected: a round trip would fail open instead.
    redis::connection conn(io.get_executor(), redis_test::options_for(1));
    redis_store store(conn, client_time());
    auto const p = rl_test::reference_policy();
    auto const big = decide(io, store, "k", p, 101, 1000h);
    CHECK(big.ec == apikit::errc::cost_exceeds_capacity);
    auto const before_epoch = decide(io, store, "k", p, 1, -1ns);
    CHECK(before_epoch.ec == apikit::errc::validation_error);
    CHECK(store.failures() == 0);
    CHECK(conn.state() == redis::connection_state::idle);
}

TEST_CASE("redis store: the handler runs on its associated executor") {
    shared_redis r;
    redis_store store(r.conn, client_time());
    boost::asio::io_context elsewhere;
    auto const p = rl_test::reference_policy();
    int calls = 0;
    bool on_elsewhere = false;
    auto handler = [&](error_code ec, policy_decision d) {
        ++calls;
        on_elsewhere = elsewhere.get_executor().running_in_this_thread();
        CHECK_FALSE(ec);
        CHECK(d.allowed);
    };
    store.async_acquire("k", p, 1, 1000h,
                        boost::asio::bind_executor(elsewhere.get_executor(), handler));
    // Its refusal too goes through the handler's executor.
    store.async_acquire(
        "k", p, 101, 1000h,
        boost::asio::bind_executor(elsewhere.get_executor(), [&](error_code ec, policy_decision) {
            ++calls;
            CHECK(ec == apikit::errc::cost_exceeds_capacity);
        }));
    // The reply comes on the connection's context (before the PING's, Redis
    // answers in order); the handlers wait for their own executor.
    r.cmd({"PING"});
    redis_test::settle(r.io);
    CHECK(calls == 0);
    REQUIRE(redis_test::run_until(elsewhere, [&] { return calls == 2; }));
    CHECK(on_elsewhere);
}

TEST_CASE("redis store: closing the connection cancels a decision rather than allowing it") {
    shared_redis r;
    redis_store store(r.conn, client_time());
    std::optional<error_code> got;
    store.async_acquire("k", rl_test::reference_policy(), 1, 1000h,
                        [&](error_code ec, policy_decision) { got = ec; });
    r.conn.close();
    REQUIRE(redis_test::run_until(r.io, [&] { return got.has_value(); }));
    CHECK(*got == boost::asio::error::operation_aborted);
    CHECK(store.failures() == 0);
}

TEST_CASE("redis store: two processes on two connections share one limit exactly") {
    shared_redis r;
    redis::connection second(r.io.get_executor(),
                             redis_test::options_for(redis_test::shared_port()));
    REQUIRE_FALSE(redis_test::connect(r.io, second));
    auto const prefix = rl_test::unique_prefix();
    redis_store a(r.conn, client_time(prefix)), b(second, client_time(prefix));
    policy const p{limit{"burst", 100, per_second(10)}, limit{"daily", 150, per_day(150)}};
    int granted = 0, denied = 0, failed = 0;
    for (int i = 0; i < 300; ++i) // all in flight at once, interleaved in Redis
        (i % 2 ? a : b).async_acquire("shared", p, 1, 1000h, [&](error_code ec, policy_decision d) {
            if (ec)
                ++failed;
            else
                ++(d.allowed ? granted : denied);
        });
    REQUIRE(redis_test::run_until(r.io, [&] { return granted + denied + failed == 300; }));
    CHECK(failed == 0);
    CHECK(granted == 100);
    // A minute later on both clocks: 10 s refill the burst, the day is 150.
    int later = 0, done = 0;
    for (int i = 0; i < 120; ++i)
        (i % 2 ? a : b)
            .async_acquire("shared", p, 1, 1000h + 60s, [&](error_code ec, policy_decision d) {
                later += !ec && d.allowed;
                ++done;
            });
    REQUIRE(redis_test::run_until(r.io, [&] { return done == 120; }));
    CHECK(later == 50);
}

TEST_CASE("redis store: a limiter on the system clock, deciding through Redis") {
    shared_redis r;
    auto& conn = r.conn;
    auto& io = r.io;
    std::optional<policy_decision> got;
    // Every server process builds the same limiter on its own connection;
    // Redis holds the buckets, and decides on its own clock by default.
    rl::limiter<rl::redis_store, std::chrono::system_clock> limiter{
        rl::policy{rl::limit{"default", 100, rl::per_second(10)}},
        {},
        conn,
        rl::redis_store_options{.on_outage = rl::outage_policy::fail_open}};
    limiter.async_acquire("user:123", 1, std::chrono::system_clock::now(),
                          [&](boost::system::error_code ec, rl::policy_decision d) {
                              // ec: cost_exceeds_capacity, or service_unavailable
                              // under fail_closed. d.limits() is empty when Redis
                              // could not say (failed open): write no headers.
                              if (!ec)
                                  got = d;
                          });
    REQUIRE(redis_test::run_until(io, [&] { return got.has_value(); }));
    CHECK(got->allowed);
    CHECK(got->limits().size() == 1);
    CHECK(limiter.get_store().failures() == 0);
    r.cmd({"DEL",
           limiter.get_store().redis_key("user:123", limiter.quotas().policy_for("user:123")[0])});
}

TEST_CASE("redis store: a reply the script would not send is an error, never a decision") {
    using redis::reply;
    auto const p = rl_test::reference_policy();
    auto const now_s = reply::integer(3600), now_ns = reply::integer(5);
    auto decide_on = [&](reply r, std::uint64_t cost = 1) {
        return detail::decide_from_reply(r, p, cost);
    };
    // The script's reply: allowed, now, and the TAT seen ("" for none).
    auto const good =
        decide_on(reply::array({reply::integer(1), now_s, now_ns, reply::string("")}));
    REQUIRE(good.has_value());
    CHECK(good->allowed);
    CHECK(good->remaining == 99);

    auto const bad = redis::make_error_code(redis::error::unexpected_reply);
    // The script said allowed where gcra.hpp denies (a full bucket's TAT is
    // 10 s ahead): a disagreement is a bug, reported as one.
    CHECK(
        decide_on(reply::array({reply::integer(1), now_s, now_ns, reply::string("3610000000005")}))
            .error() == bad);
    CHECK(decide_on(reply::array({reply::integer(0), now_s, now_ns, reply::string("")})).error() ==
          bad);
    // Shapes and values the script never sends.
    CHECK(decide_on(reply::error("ERR nope")).error() == redis::error::server_error);
    CHECK(decide_on(reply::integer(1)).error() == bad);
    CHECK(decide_on(reply::array({reply::integer(1), now_s, now_ns})).error() == bad);
    CHECK(decide_on(reply::array({reply::integer(2), now_s, now_ns, reply::string("")})).error() ==
          bad);
    CHECK(decide_on(reply::array({reply::integer(1), now_s, reply::integer(1'000'000'000),
                                  reply::string("")}))
              .error() == bad);
    CHECK(
        decide_on(reply::array({reply::integer(1), reply::integer(-1), now_ns, reply::string("")}))
            .error() == bad);
    CHECK(
        decide_on(reply::array({reply::integer(1), now_s, now_ns, reply::string("12x")})).error() ==
        bad);
    CHECK(
        decide_on(reply::array({reply::integer(1), now_s, now_ns, reply::string("-3")})).error() ==
        bad);
    CHECK(decide_on(reply::array(
                        {reply::integer(1), now_s, now_ns, reply::string("99999999999999999999")}))
              .error() == bad);
    CHECK(decide_on(reply::array({reply::integer(1), now_s, now_ns, reply::nil()})).error() == bad);
}

TEST_CASE("redis store on a cluster: 30 clients, their buckets on every primary, each limited "
          "exactly, none redirected") {
    rl_test::store_fixture<rl_test::cluster_redis_store> f;
    policy const p{limit{"default", 5, per_second(1)}};
    constexpr int clients = 30, requests = 7;
    std::vector<int> granted(clients), denied(clients);
    int failed = 0;
    for (int r = 0; r < requests; ++r) // all in flight at once, on three nodes
        for (int c = 0; c < clients; ++c)
            f.store.async_acquire("client_" + std::to_string(c), p, 1, 1000h,
                                  [&, c](error_code ec, policy_decision d) {
                                      if (ec)
                                          ++failed;
                                      else
                                          ++(d.allowed ? granted : denied)[c];
                                  });
    f.run_until([&] {
        int n = failed;
        for (int c = 0; c < clients; ++c)
            n += granted[c] + denied[c];
        return n == clients * requests;
    });
    CHECK(failed == 0);
    for (int c = 0; c < clients; ++c) {
        CAPTURE(c);
        CHECK(granted[c] == 5);
        CHECK(denied[c] == requests - 5);
    }
    // The map was read before the first decision: nothing was redirected.
    auto const st = f.conn.cluster_stats();
    CHECK(st.primaries == 3);
    CHECK(st.moved == 0);
    CHECK(st.ask == 0);
    CHECK(st.cross_slot == 0);

    // Each bucket is on exactly one primary, the owner of its slot (the
    // others answer MOVED), and the 30 are on all three.
    auto const ports = redis_test::shared_cluster_ports();
    std::vector<std::unique_ptr<redis::connection>> primaries;
    for (int i = 0; i < 3; ++i) {
        primaries.push_back(std::make_unique<redis::connection>(
            f.io.get_executor(), redis_test::options_for(ports[static_cast<std::size_t>(i)])));
        REQUIRE_FALSE(redis_test::connect(f.io, *primaries.back()));
    }
    std::set<int> holders;
    for (int c = 0; c < clients; ++c) {
        auto const key = f.store.redis_key("client_" + std::to_string(c), p[0]);
        CAPTURE(key);
        int found = 0;
        for (int i = 0; i < 3; ++i) {
            auto const o =
                redis_test::exec(f.io, *primaries[static_cast<std::size_t>(i)], {"EXISTS", key});
            REQUIRE_FALSE(o.ec);
            if (o.r.is_error()) {
                CHECK(o.r.is_error_code("MOVED"));
            } else if (o.r.integer() == 1) {
                ++found;
                holders.insert(i);
            }
        }
        CHECK(found == 1);
    }
    CHECK(holders.size() == 3);
}
