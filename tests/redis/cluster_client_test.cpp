// The cluster client against real servers: the fixture's single redis-server
// (the client is then one connection), the fixture's 3-primary cluster
// (routing of every command shape apikit's backends send, cross-slot
// refusals), and private clusters for what must not be done to a shared one:
// a slot migrated under a stream of decisions (MOVED, ASK, TRYAGAIN) and a
// primary killed until its replica takes over.

#include <apikit/redis/cluster_client.hpp>

#include "../services/redis_cluster.hpp"
#include "support.hpp"

#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace redis_test;
using apikit_test::redis_cluster;

using cluster_client = redis::cluster_client;

redis::cluster_options quick_cluster(std::uint16_t seed) {
    redis::cluster_options o(cluster_seed_options(seed));
    o.min_refresh_interval = 20ms;
    return o;
}

struct cluster_at {
    asio::io_context io;
    cluster_client client;

    explicit cluster_at(std::uint16_t seed) : client(io.get_executor(), quick_cluster(seed)) {
        REQUIRE_FALSE(connect(io, client));
    }
    redis::reply ok(redis::command c) { return redis_test::ok(io, client, std::move(c)); }
    outcome exec(redis::command c) { return redis_test::exec(io, client, std::move(c)); }
};

// A key in each of `n` different slots, in turn over the three primaries'
// ranges.
std::vector<std::string> spread_keys(std::string_view base, int n) {
    std::vector<std::string> keys;
    std::set<std::uint16_t> slots;
    for (int i = 0; static_cast<int>(keys.size()) < n; ++i) {
        auto k = fmt::format("{}:{}", base, i);
        if (slots.insert(redis::hash_slot(k)).second)
            keys.push_back(std::move(k));
    }
    return keys;
}

// INCR through a script: a decision whose outcome tells how many came
// before it on the same key.
redis::script const incr_script("return redis.call('INCR', KEYS[1])");

} // namespace

TEST_CASE("redis cluster client: on a Redis that is not in a cluster it is one connection") {
    cluster_at c(shared_port());
    CHECK(c.client.mode() == redis::cluster_mode::single);
    auto const a = unique_key("a");
    auto const b = unique_key("b");
    REQUIRE(redis::hash_slot(a) != redis::hash_slot(b));
    // One Redis runs keys of any slots together, as the connection does.
    CHECK(c.ok({"MSET", a, "1", b, "2"}).is_status());
    CHECK(c.ok({"MGET", a, b}).elements().size() == 2);
    // A script's keys must still share a slot, so that it runs on a cluster.
    std::optional<outcome> out;
    c.client.async_eval(incr_script, {a, b}, {}, [&](error_code ec, redis::reply r) {
        out = outcome{ec, std::move(r)};
    });
    REQUIRE(run_until(c.io, [&] { return out.has_value(); }));
    CHECK(out->ec == redis::error::cross_slot);
    auto const s = c.client.cluster_stats();
    CHECK(s.mode == redis::cluster_mode::single);
    CHECK(s.nodes == 1);
    CHECK(c.client.stats().state == redis::connection_state::ready);
}

TEST_CASE("redis cluster client: finds the map from any node and sends each key to its owner") {
    auto const ports = shared_cluster_ports();
    for (auto seed : {ports[0], ports[4]}) { // a primary, and a replica
        CAPTURE(seed);
        cluster_at c(seed);
        auto const before = c.client.cluster_stats();
        CHECK(before.mode == redis::cluster_mode::cluster);
        CHECK(before.primaries == 3);
        CHECK(before.slots_covered == redis::slot_count);

        auto const keys = spread_keys(unique_key("spread"), 200);
        for (auto const& k : keys)
            CHECK(c.ok({"SET", k, k}).is_status());
        for (auto const& k : keys)
            CHECK(c.ok({"GET", k}).text() == k);
        CHECK(c.ok({"DEL", keys[0], keys[0]}).integer() == 1);
        // Had a command reached a node that does not own its slot, the node
        // would have answered MOVED.
        auto const after = c.client.cluster_stats();
        CHECK(after.moved == 0);
        CHECK(after.ask == 0);
        CHECK(c.client.stats().state == redis::connection_state::ready);
    }
}

TEST_CASE("redis cluster client: routes every command shape the backends send") {
    cluster_at c(shared_cluster_ports()[1]);
    auto const tag = apikit::random_id("");
    auto const stream = fmt::format("apikit:test:{{{}}}:stream", tag);
    auto const other = fmt::format("apikit:test:{{{}}}:n", tag);

    // Scripts: EVALSHA by the slot of their keys (NOSCRIPT → EVAL on the
    // owner); a script without keys on any primary.
    std::optional<outcome> out;
    auto eval = [&](redis::script const& s, redis::arg_list const& keys) {
        out.reset();
        c.client.async_eval(s, keys, {}, [&](error_code ec, redis::reply r) {
            out = outcome{ec, std::move(r)};
        });
        REQUIRE(run_until(c.io, [&] { return out.has_value(); }));
        REQUIRE_FALSE(out->ec);
        return out->r;
    };
    CHECK(eval(incr_script, {other}).integer() == 1);
    CHECK(eval(incr_script, {other}).integer() == 2);
    redis::script const two_keys(
        "redis.call('SET', KEYS[2], 'x') return redis.call('INCR', KEYS[1])");
    CHECK(eval(two_keys, {other, stream + ":side"}).integer() == 3);
    redis::script const keyless("return 7");
    CHECK(eval(keyless, {}).integer() == 7);

    // The event bus on Streams.
    CHECK(c.ok({"XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"}).is_status());
    auto const id = c.ok({"XADD", stream, "MAXLEN", "~", 1000, "*", "type", "user.created"});
    CHECK(id.is_string());
    CHECK(c.ok({"XRANGE", stream, "-", "+"}).elements().size() == 1);
    CHECK(c.ok({"XREVRANGE", stream, "+", "-", "COUNT", 1}).elements().size() == 1);
    auto const read = c.ok({"XREADGROUP", "GROUP", "g", "c1", "COUNT", 10, "STREAMS", stream, ">"});
    REQUIRE(read.elements().size() == 1);
    CHECK(c.ok({"XACK", stream, "g", id.text()}).integer() == 1);
    CHECK(c.ok({"XAUTOCLAIM", stream, "g", "c2", 0, "0-0"}).is_array());
    CHECK(c.ok({"XINFO", "GROUPS", stream}).elements().size() == 1);
    CHECK(c.ok({"XLEN", stream}).integer() == 1);
    CHECK(c.ok({"XGROUP", "DESTROY", stream, "g"}).integer() == 1);
    // Keys, expiry, multi-key commands within one tag, keyless commands.
    CHECK(c.ok({"EXPIRE", stream, 60}).integer() == 1);
    CHECK(c.ok({"MGET", other, stream + ":side"}).elements().size() == 2);
    CHECK(c.ok({"PING"}).text() == "PONG");
    CHECK(c.ok({"TIME"}).elements().size() == 2);
    CHECK(c.ok(incr_script.load_command()).text() == incr_script.sha1());

    auto const s = c.client.cluster_stats();
    CHECK(s.moved == 0);
    CHECK(s.ask == 0);
}

TEST_CASE("redis cluster client: keys in two slots are refused unsent, as CROSSSLOT would be") {
    cluster_at c(shared_cluster_ports()[2]);
    auto const a = unique_key("a");
    auto const b = unique_key("b");
    REQUIRE(redis::hash_slot(a) != redis::hash_slot(b));
    auto const replies = c.client.stats().replies;
    auto const o = c.exec({"MSET", a, "1", b, "2"});
    CHECK(o.ec == redis::error::cross_slot);
    CHECK(apikit::to_errc(o.ec) == apikit::errc::internal_error);
    CHECK(c.client.stats().replies == replies); // nothing went out
    CHECK(c.client.cluster_stats().cross_slot == 1);
    CHECK(c.exec({"GET", a}).r.is_nil()); // and the client carries on
}

TEST_CASE("redis cluster client: a slot migrated under a stream of decisions loses none and "
          "makes none twice") {
    redis_cluster cluster(3, 0);
    cluster_at c(cluster.primary_ports()[0]);
    constexpr int key_count = 40;
    std::vector<std::string> keys;
    for (int i = 0; i < key_count; ++i)
        keys.push_back(fmt::format("decisions:{{m}}:{}", i));
    auto const slot = redis::hash_slot(keys[0]);
    auto const source = cluster.primary_of_slot(slot);
    std::uint16_t target = 0;
    for (auto p : cluster.primary_ports())
        if (p != source)
            target = p;
    for (auto const& k : keys)
        c.ok({"SET", k, 0});

    // Decisions: each INCR's reply is its position on its key; every one
    // sent must come back once, the positions of a key 1, 2, 3, …
    std::map<std::string, std::vector<std::int64_t>> seen;
    int sent = 0;
    int done = 0;
    int errors = 0;
    std::int64_t rounds_sent = 0;
    auto decide = [&](int rounds) {
        rounds_sent += rounds;
        for (int r = 0; r < rounds; ++r)
            for (auto const& k : keys) {
                ++sent;
                c.client.async_eval(incr_script, {k}, {}, [&, k](error_code ec, redis::reply rep) {
                    ++done;
                    if (ec || !rep.is_integer()) {
                        ++errors;
                        MESSAGE(k << ": " << ec.message() << " " << fmt::format("{}", rep));
                        return;
                    }
                    seen[k].push_back(rep.integer());
                });
            }
    };
    auto drive = [&] { c.io.poll(); };

    decide(2);
    drive();
    auto const source_id = cluster.node_id(source);
    auto const target_id = cluster.node_id(target);
    cluster.command(target, {"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", source_id});
    cluster.command(source, {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", target_id});
    decide(2);
    drive();
    // Half the keys move; decisions on them now meet ASK at the source.
    for (int i = 0; i < key_count / 2; ++i) {
        cluster.command(source,
                        {"MIGRATE", "127.0.0.1", std::to_string(target), keys[i], "0", "5000"});
        if (i % 5 == 0) {
            decide(1);
            drive();
        }
    }
    REQUIRE(run_until(c.io, [&] { return done == sent; }));
    CHECK(c.client.cluster_stats().ask > 0);

    // A multi-key command over a moved and an unmoved key: TRYAGAIN, retried
    // until the migration ends.
    std::optional<outcome> both;
    c.client.async_exec({"MGET", keys[0], keys[key_count - 1]}, [&](error_code ec, redis::reply r) {
        both = outcome{ec, std::move(r)};
    });
    for (int i = 0; i < 50 && c.client.cluster_stats().retries == 0; ++i)
        c.io.run_one_for(std::chrono::milliseconds(20));
    CHECK(c.client.cluster_stats().retries > 0);

    for (int i = key_count / 2; i < key_count; ++i)
        cluster.command(source,
                        {"MIGRATE", "127.0.0.1", std::to_string(target), keys[i], "0", "5000"});
    for (auto p : cluster.primary_ports())
        cluster.command(p, {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", target_id});
    REQUIRE(run_until(c.io, [&] { return both.has_value(); }));
    REQUIRE_FALSE(both->ec);
    CHECK(both->r.elements().size() == 2);

    // The slot's new owner was learnt from a MOVED (the MGET's last retry,
    // or these decisions), and is used from then on.
    decide(2);
    REQUIRE(run_until(c.io, [&] { return done == sent; }));
    CHECK(c.client.cluster_stats().moved > 0);
    auto const moved = c.client.cluster_stats().moved;
    decide(1);
    REQUIRE(run_until(c.io, [&] { return done == sent; }));
    CHECK(c.client.cluster_stats().moved == moved);
    CHECK(errors == 0);
    for (auto const& k : keys) {
        CAPTURE(k);
        auto const& v = seen[k];
        REQUIRE(static_cast<std::int64_t>(v.size()) == rounds_sent);
        std::set<std::int64_t> unique(v.begin(), v.end());
        CHECK(unique.size() == v.size());
        CHECK(*unique.begin() == 1);
        CHECK(*unique.rbegin() == rounds_sent);
        CHECK(c.ok({"GET", k}).text() == std::to_string(rounds_sent));
    }
}

TEST_CASE("redis cluster client: a killed primary fails fast until its replica takes over, "
          "then the client follows it") {
    redis_cluster cluster(3, 1);
    cluster_at c(cluster.primary_ports()[1]);
    auto const key = std::string("failover:{f}");
    auto const victim = cluster.primary_of_slot(redis::hash_slot(key));
    std::string survivor_key;
    for (int i = 0; survivor_key.empty(); ++i) {
        auto k = fmt::format("survivor:{}", i);
        if (cluster.primary_of_slot(redis::hash_slot(k)) != victim)
            survivor_key = k;
    }
    c.ok({"SET", key, "kept"});
    c.ok({"SET", survivor_key, "here"});
    // Replicated before the kill: only an acknowledged write survives one.
    CHECK(c.ok({"WAIT", 1, 5000}).integer() == 1);

    cluster.kill(victim);
    auto const t0 = std::chrono::steady_clock::now();
    int failures = 0;
    std::optional<std::string> value;
    while (!value && std::chrono::steady_clock::now() - t0 < 30s) {
        std::optional<outcome> out;
        auto const sent = std::chrono::steady_clock::now();
        c.client.async_exec({"GET", key}, 500ms, [&](error_code ec, redis::reply r) {
            out = outcome{ec, std::move(r)};
        });
        REQUIRE(run_until(
            c.io, [&] { return out.has_value(); }, 5s)); // never a hang
        CHECK(std::chrono::steady_clock::now() - sent < 3s);
        if (out->ec) {
            CHECK(out->ec == apikit::condition::backend_unavailable);
            ++failures;
            // The other primaries serve their slots meanwhile.
            CHECK(c.ok({"GET", survivor_key}).text() == "here");
            c.io.run_for(20ms);
        } else if (out->r.is_error()) {
            MESSAGE(fmt::format("{}", out->r)); // CLUSTERDOWN past its retries
            c.io.run_for(20ms);
        } else {
            value = std::string(out->r.text());
        }
    }
    REQUIRE(value.has_value());
    CHECK(*value == "kept");
    CHECK(failures > 0);
    auto const s = c.client.cluster_stats();
    CHECK(s.refreshes > 1);
    CHECK(s.slots_covered == redis::slot_count);
    CHECK(c.ok({"SET", key, "new"}).is_status());
}

TEST_CASE("redis cluster client: a node unreachable at start leaves the others serving") {
    redis_cluster cluster(3, 0, {"--cluster-require-full-coverage", "no"});
    auto const dead = cluster.primary_ports()[2];
    auto const keys = spread_keys("start", 30);
    std::map<std::string, std::uint16_t> owner;
    for (auto const& k : keys)
        owner[k] = cluster.primary_of_slot(redis::hash_slot(k));
    cluster.kill(dead);
    cluster_at c(cluster.primary_ports()[0]);
    int served = 0;
    int refused = 0;
    for (auto const& k : keys) {
        auto const o = c.exec({"SET", k, 1});
        if (owner[k] == dead) {
            CHECK(o.ec == apikit::condition::backend_unavailable);
            ++refused;
        } else {
            CHECK_FALSE(o.ec);
            CHECK(o.r.is_status());
            ++served;
        }
    }
    CHECK(served > 0);
    CHECK(refused > 0);
}

TEST_CASE("redis cluster client: closing completes what waits and refuses what follows") {
    cluster_at c(shared_cluster_ports()[0]);
    std::optional<outcome> out;
    c.client.async_exec({"PING"}, [&](error_code ec, redis::reply r) {
        out = outcome{ec, std::move(r)};
    });
    c.client.close();
    REQUIRE(run_until(c.io, [&] { return out.has_value(); }));
    auto const after = c.exec({"GET", "x"});
    CHECK(after.ec == redis::error::closed);
    CHECK(c.client.mode() == redis::cluster_mode::closed);
}
