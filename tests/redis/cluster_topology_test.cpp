// Reading what a Redis Cluster says about itself: CLUSTER SHARDS and
// CLUSTER SLOTS replies built by hand (replicas, failed primaries, unknown
// endpoints, and every malformed shape), MOVED and ASK errors, and the check
// that a topology covers every slot once; and the fixture cluster's own
// replies, read both ways.

#include "support.hpp"

#include <apikit/redis/detail/cluster_topology.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace redis_test;
using redis::reply;
using redis::detail::cluster_shard;
using redis::detail::cluster_topology;
using redis::detail::covers_all_slots;
using redis::detail::node_address;
using redis::detail::parse_cluster_shards;
using redis::detail::parse_cluster_slots;
using redis::detail::parse_redirect;
using redis::detail::redirect;
using redis::detail::shard_of;
using redis::detail::slot_range;

namespace {

reply str(std::string s) {
    return reply::string(std::move(s));
}
reply num(std::int64_t v) {
    return reply::integer(v);
}
reply arr(std::vector<reply> e) {
    return reply::array(std::move(e));
}

std::string const id1(40, '1'), id2(40, '2'), id3(40, '3'), id4(40, '4'), id5(40, '5');

// A node of CLUSTER SHARDS as Redis 7.0 writes it (RESP2: a flat list of
// names and values).
reply shard_node(std::string id, std::int64_t port, std::string ip, std::string endpoint,
                 std::string role, std::string health) {
    return arr({str("id"), str(std::move(id)), str("port"), num(port), str("ip"),
                str(std::move(ip)), str("endpoint"), str(std::move(endpoint)), str("role"),
                str(std::move(role)), str("replication-offset"), num(72156), str("health"),
                str(std::move(health))});
}

reply shard(std::vector<reply> slots, std::vector<reply> nodes) {
    return arr({str("slots"), arr(std::move(slots)), str("nodes"), arr(std::move(nodes))});
}

// A node of CLUSTER SLOTS: host, port, id, and the metadata map of 7.0.
reply slots_node(std::string host, std::int64_t port, std::string id) {
    return arr({str(std::move(host)), num(port), str(std::move(id)), arr({})});
}

/// The three-shard cluster the fixture makes, each primary with a replica.
reply three_shards() {
    return arr({
        shard({num(0), num(5460)},
              {shard_node(id1, 30001, "127.0.0.1", "127.0.0.1", "master", "online"),
               shard_node(id4, 30004, "127.0.0.1", "127.0.0.1", "replica", "online")}),
        shard({num(5461), num(10922)},
              {shard_node(id5, 30005, "127.0.0.1", "127.0.0.1", "replica", "online"),
               shard_node(id2, 30002, "127.0.0.1", "127.0.0.1", "master", "online")}),
        shard({num(10923), num(16383)},
              {shard_node(id3, 30003, "127.0.0.1", "127.0.0.1", "master", "online")}),
    });
}

bool malformed_shards(reply const& r) {
    auto const t = parse_cluster_shards(r, "10.0.0.1");
    return !t && t.error() == redis::error::unexpected_reply;
}

bool malformed_slots(reply const& r) {
    auto const t = parse_cluster_slots(r, "10.0.0.1");
    return !t && t.error() == redis::error::unexpected_reply;
}

} // namespace

TEST_CASE("cluster_topology: CLUSTER SHARDS, three primaries and their replicas") {
    auto const t = parse_cluster_shards(three_shards(), "10.0.0.1");
    REQUIRE(t.has_value());
    REQUIRE(t->shards.size() == 3);
    CHECK(t->shards[0] ==
          cluster_shard{{{0, 5460}}, {"127.0.0.1", 30001, id1}, {{"127.0.0.1", 30004, id4}}});
    // The primary is found wherever it is in the list.
    CHECK(t->shards[1] ==
          cluster_shard{{{5461, 10922}}, {"127.0.0.1", 30002, id2}, {{"127.0.0.1", 30005, id5}}});
    CHECK(t->shards[2] == cluster_shard{{{10923, 16383}}, {"127.0.0.1", 30003, id3}, {}});
    CHECK(covers_all_slots(*t));
}

TEST_CASE("cluster_topology: CLUSTER SHARDS, hosts from endpoint, ip or the node asked") {
    auto const one = [](std::string ip, std::string endpoint) {
        auto const t = parse_cluster_shards(
            arr({shard(
                {num(0), num(16383)},
                {shard_node(id1, 7000, std::move(ip), std::move(endpoint), "master", "online")})}),
            "10.0.0.1");
        REQUIRE(t.has_value());
        REQUIRE(t->shards.size() == 1);
        return t->shards[0].primary.host;
    };
    CHECK(one("127.0.0.2", "redis-1.local") == "redis-1.local");
    CHECK(one("127.0.0.2", "?") == "127.0.0.2");
    CHECK(one("127.0.0.2", "") == "127.0.0.2");
    CHECK(one("", "") == "10.0.0.1");
    CHECK(one("?", "?") == "10.0.0.1");
    CHECK(one("::1", "") == "::1");
}

TEST_CASE("cluster_topology: CLUSTER SHARDS, a failed primary and a promoted replica") {
    // Mid-failover: the old primary failed, no replica promoted yet. Its
    // slots are nobody's until a refresh finds their new owner.
    auto const failing = parse_cluster_shards(
        arr({shard({num(0), num(8191)},
                   {shard_node(id1, 7001, "127.0.0.1", "127.0.0.1", "master", "fail"),
                    shard_node(id3, 7003, "127.0.0.1", "127.0.0.1", "replica", "online")}),
             shard({num(8192), num(16383)},
                   {shard_node(id2, 7002, "127.0.0.1", "127.0.0.1", "master", "online")})}),
        "10.0.0.1");
    REQUIRE(failing.has_value());
    REQUIRE(failing->shards.size() == 1);
    CHECK(failing->shards[0].primary.port == 7002);
    CHECK_FALSE(covers_all_slots(*failing));

    // After it: the replica is the primary, the old one still listed (and
    // still "master" in its own last word) but not online.
    auto const after = parse_cluster_shards(
        arr({shard({num(0), num(8191)},
                   {shard_node(id1, 7001, "127.0.0.1", "127.0.0.1", "master", "fail"),
                    shard_node(id3, 7003, "127.0.0.1", "127.0.0.1", "master", "online")}),
             shard({num(8192), num(16383)},
                   {shard_node(id2, 7002, "127.0.0.1", "127.0.0.1", "master", "online"),
                    shard_node(id4, 7004, "127.0.0.1", "127.0.0.1", "replica", "loading")})}),
        "10.0.0.1");
    REQUIRE(after.has_value());
    REQUIRE(after->shards.size() == 2);
    CHECK(after->shards[0].primary == node_address{"127.0.0.1", 7003, id3});
    CHECK(after->shards[0].replicas.empty());
    // A replica that is not online is not listed.
    CHECK(after->shards[1].replicas.empty());
    CHECK(covers_all_slots(*after));
}

TEST_CASE("cluster_topology: CLUSTER SHARDS, shards without slots or nodes are left out") {
    auto const t = parse_cluster_shards(
        arr({shard({}, {shard_node(id1, 7001, "127.0.0.1", "", "master", "online")}),
             shard({num(0), num(99), num(200), num(16383)},
                   {shard_node(id2, 7002, "127.0.0.1", "", "master", "online")}),
             shard({num(100), num(199)}, {})}),
        "10.0.0.1");
    REQUIRE(t.has_value());
    REQUIRE(t->shards.size() == 1);
    CHECK(t->shards[0].slots == std::vector<slot_range>{{0, 99}, {200, 16383}});
    CHECK_FALSE(covers_all_slots(*t));
    CHECK(parse_cluster_shards(arr({}), "h").value().shards.empty());
}

TEST_CASE("cluster_topology: CLUSTER SHARDS, fields in any order, unknown ones ignored, "
          "numbers as strings") {
    auto const node =
        arr({str("health"), str("online"), str("hostname"), str("redis-1"), str("tls-port"), num(0),
             str("role"), str("master"), str("port"), str("7001"), str("endpoint"),
             str("127.0.0.1"), str("id"), str(id1), str("future-field"), arr({num(1)})});
    auto const t = parse_cluster_shards(
        arr({arr({str("nodes"), arr({node}), str("slots"), arr({str("0"), str("16383")}),
                  str("future"), reply::nil()})}),
        "10.0.0.1");
    REQUIRE(t.has_value());
    CHECK(*t == cluster_topology{{{{{0, 16383}}, {"127.0.0.1", 7001, id1}, {}}}});
}

TEST_CASE("cluster_topology: CLUSTER SHARDS, malformed replies are unexpected_reply") {
    auto const good_node = shard_node(id1, 7001, "127.0.0.1", "", "master", "online");
    auto const with_slots = [&](std::vector<reply> slots) {
        return arr({shard(std::move(slots), {good_node})});
    };
    auto const with_node = [](reply node) { return arr({shard({num(0), num(16383)}, {node})}); };
    auto const with_port = [&](reply port) {
        return with_node(arr({str("id"), str(id1), str("port"), std::move(port), str("role"),
                              str("master"), str("health"), str("online")}));
    };
    REQUIRE_FALSE(malformed_shards(with_slots({num(0), num(16383)})));

    // Not arrays, or arrays of the wrong things.
    CHECK(malformed_shards(reply::nil()));
    CHECK(malformed_shards(reply::error("ERR This instance has cluster support disabled")));
    CHECK(malformed_shards(str("slots")));
    CHECK(malformed_shards(arr({num(1)})));
    CHECK(malformed_shards(arr({arr({str("slots")})})));
    CHECK(malformed_shards(arr({arr({num(1), arr({}), str("nodes"), arr({})})})));
    CHECK(malformed_shards(arr({arr({str("slots"), arr({num(0), num(1)})})})));
    CHECK(malformed_shards(arr({arr({str("nodes"), arr({good_node})})})));
    CHECK(malformed_shards(arr({arr({str("slots"), num(0), str("nodes"), arr({good_node})})})));
    CHECK(malformed_shards(arr({arr({str("slots"), arr({}), str("nodes"), str("x")})})));

    // Slots.
    CHECK(malformed_shards(with_slots({num(0)})));
    CHECK(malformed_shards(with_slots({num(0), num(100), num(200)})));
    CHECK(malformed_shards(with_slots({num(100), num(99)})));
    CHECK(malformed_shards(with_slots({num(0), num(16384)})));
    CHECK(malformed_shards(with_slots({num(-1), num(10)})));
    CHECK(malformed_shards(with_slots({str("zero"), num(10)})));
    CHECK(malformed_shards(with_slots({arr({}), num(10)})));
    CHECK(malformed_shards(with_slots({reply::nil(), num(10)})));

    // Nodes.
    CHECK(malformed_shards(with_node(num(1))));
    CHECK(malformed_shards(with_node(arr({str("id")}))));
    CHECK(malformed_shards(with_node(arr({num(1), str("x")}))));
    CHECK(malformed_shards(with_node(arr({str("role"), num(1)}))));
    CHECK(malformed_shards(with_node(arr({str("id"), arr({}), str("port"), num(7001)}))));
    CHECK(malformed_shards(with_port(num(0))));
    CHECK(malformed_shards(with_port(num(65536))));
    CHECK(malformed_shards(with_port(num(-7001))));
    CHECK(malformed_shards(with_port(str("seven"))));
    CHECK(malformed_shards(with_port(arr({}))));
    // The primary without a port (a TLS-only node: apikit speaks no TLS).
    CHECK(malformed_shards(
        with_node(arr({str("id"), str(id1), str("tls-port"), num(7001), str("role"), str("master"),
                       str("health"), str("online")}))));
    REQUIRE_FALSE(malformed_shards(with_port(num(65535))));
}

TEST_CASE("cluster_topology: CLUSTER SLOTS, ranges, replicas, hosts") {
    auto const r = arr({
        arr({num(0), num(5460), slots_node("127.0.0.1", 30001, id1),
             slots_node("127.0.0.1", 30004, id4)}),
        arr({num(5461), num(10922), slots_node("", 30002, id2), slots_node("?", 30005, id5)}),
        arr({num(10923), num(16383), slots_node("redis-3.local", 30003, id3)}),
    });
    auto const t = parse_cluster_slots(r, "10.0.0.1");
    REQUIRE(t.has_value());
    CHECK(*t == cluster_topology{{
                    {{{0, 5460}}, {"127.0.0.1", 30001, id1}, {{"127.0.0.1", 30004, id4}}},
                    {{{5461, 10922}}, {"10.0.0.1", 30002, id2}, {{"10.0.0.1", 30005, id5}}},
                    {{{10923, 16383}}, {"redis-3.local", 30003, id3}, {}},
                }});
    CHECK(covers_all_slots(*t));

    // One primary with several ranges is one shard; nodes of older servers
    // have no id, or no metadata.
    auto const merged = parse_cluster_slots(
        arr({arr({num(0), num(99), slots_node("127.0.0.1", 7001, id1)}),
             arr({num(100), num(16283), arr({str("127.0.0.1"), num(7002)})}),
             arr({num(16284), num(16383), arr({str("127.0.0.1"), num(7001), str(id1)})})}),
        "10.0.0.1");
    REQUIRE(merged.has_value());
    REQUIRE(merged->shards.size() == 2);
    CHECK(merged->shards[0].slots == std::vector<slot_range>{{0, 99}, {16284, 16383}});
    CHECK(merged->shards[1].primary == node_address{"127.0.0.1", 7002, ""});
    CHECK(covers_all_slots(*merged));
    CHECK(parse_cluster_slots(arr({}), "h").value().shards.empty());
}

TEST_CASE("cluster_topology: CLUSTER SLOTS, malformed replies are unexpected_reply") {
    auto const node = slots_node("127.0.0.1", 7001, id1);
    REQUIRE_FALSE(malformed_slots(arr({arr({num(0), num(16383), node})})));
    CHECK(malformed_slots(reply::nil()));
    CHECK(malformed_slots(reply::error("ERR unknown subcommand")));
    CHECK(malformed_slots(arr({num(0)})));
    CHECK(malformed_slots(arr({arr({num(0), num(16383)})})));
    CHECK(malformed_slots(arr({arr({num(16383), num(0), node})})));
    CHECK(malformed_slots(arr({arr({num(0), num(16384), node})})));
    CHECK(malformed_slots(arr({arr({num(-1), num(5), node})})));
    CHECK(malformed_slots(arr({arr({str("a"), num(5), node})})));
    CHECK(malformed_slots(arr({arr({num(0), num(5), str("127.0.0.1:7001")})})));
    CHECK(malformed_slots(arr({arr({num(0), num(5), arr({str("127.0.0.1")})})})));
    CHECK(malformed_slots(arr({arr({num(0), num(5), arr({num(1), num(7001)})})})));
    CHECK(malformed_slots(arr({arr({num(0), num(5), arr({str("h"), num(7001), num(3)})})})));
    CHECK(malformed_slots(arr({arr({num(0), num(5), slots_node("h", 0, id1)})})));
    CHECK(malformed_slots(arr({arr({num(0), num(5), slots_node("h", 65536, id1)})})));
    // A bad replica spoils the reply too.
    CHECK(malformed_slots(arr({arr({num(0), num(5), node, slots_node("h", 0, id2)})})));
    CHECK(malformed_slots(arr({arr({num(0), num(5), node, num(7)})})));
}

TEST_CASE("cluster_topology: covers_all_slots and shard_of") {
    auto const topology = [](std::vector<std::vector<slot_range>> shards) {
        cluster_topology t;
        for (auto& s : shards)
            t.shards.push_back({std::move(s), {"127.0.0.1", 7000, ""}, {}});
        return t;
    };
    CHECK(covers_all_slots(topology({{{0, 16383}}})));
    CHECK(covers_all_slots(topology({{{0, 0}, {2, 16383}}, {{1, 1}}})));
    CHECK_FALSE(covers_all_slots(topology({})));
    CHECK_FALSE(covers_all_slots(topology({{{0, 16382}}})));
    CHECK_FALSE(covers_all_slots(topology({{{1, 16383}}})));
    CHECK_FALSE(covers_all_slots(topology({{{0, 100}}, {{100, 16383}}})));
    CHECK_FALSE(covers_all_slots(topology({{{0, 16383}}, {{5, 5}}})));
    // Values no parser makes, built by hand.
    CHECK_FALSE(covers_all_slots(topology({{{0, 16383}, {200, 100}}})));
    CHECK_FALSE(covers_all_slots(topology({{{0, 16383}, {16384, 16384}}})));

    auto const t = topology({{{0, 99}, {200, 16383}}, {{100, 199}}});
    CHECK(shard_of(t, 0) == 0u);
    CHECK(shard_of(t, 99) == 0u);
    CHECK(shard_of(t, 100) == 1u);
    CHECK(shard_of(t, 199) == 1u);
    CHECK(shard_of(t, 16383) == 0u);
    CHECK_FALSE(shard_of(topology({{{0, 99}}}), 100).has_value());
}

TEST_CASE("cluster_topology: MOVED and ASK") {
    CHECK(parse_redirect("MOVED 3999 127.0.0.1:6381", "10.0.0.1") ==
          redirect{redirect::kind::moved, 3999, "127.0.0.1", 6381});
    CHECK(parse_redirect("ASK 3999 127.0.0.1:6381", "10.0.0.1") ==
          redirect{redirect::kind::ask, 3999, "127.0.0.1", 6381});
    CHECK(parse_redirect("MOVED 0 redis-2.local:7000", "10.0.0.1") ==
          redirect{redirect::kind::moved, 0, "redis-2.local", 7000});
    CHECK(parse_redirect("MOVED 16383 :6381", "10.0.0.1") ==
          redirect{redirect::kind::moved, 16383, "10.0.0.1", 6381});
    // IPv6: the port is after the last ':'.
    CHECK(parse_redirect("ASK 1 ::1:6381", "10.0.0.1") ==
          redirect{redirect::kind::ask, 1, "::1", 6381});
    CHECK(parse_redirect("MOVED 1 2001:db8::2:65535", "10.0.0.1") ==
          redirect{redirect::kind::moved, 1, "2001:db8::2", 65535});
    CHECK(parse_redirect("MOVED 1 [::1]:6381", "10.0.0.1") ==
          redirect{redirect::kind::moved, 1, "::1", 6381});
}

TEST_CASE("cluster_topology: errors that are not a MOVED or an ASK, or a malformed one") {
    for (std::string_view text : {
             "",
             "ERR unknown command",
             "MOVED",
             "MOVED ",
             "MOVED 3999",
             "MOVED 3999 ",
             "MOVED 3999 127.0.0.1",
             "MOVED 3999 127.0.0.1:",
             "MOVED 3999 127.0.0.1:0",
             "MOVED 3999 127.0.0.1:65536",
             "MOVED 3999 127.0.0.1:99999999",
             "MOVED 3999 127.0.0.1:6381x",
             "MOVED 3999 127.0.0.1:-1",
             "MOVED 16384 127.0.0.1:6381",
             "MOVED -1 127.0.0.1:6381",
             "MOVED x 127.0.0.1:6381",
             "MOVED  3999 127.0.0.1:6381",
             "MOVED 3999  127.0.0.1:6381",
             "MOVED 3999 127.0.0.1:6381 ",
             "MOVED 3999 127.0.0.1:6381 extra",
             "MOVED 3999 127.0.0.1:6381\r\n",
             "moved 3999 127.0.0.1:6381",
             "ASKING 3999 127.0.0.1:6381",
             "TRYAGAIN Multiple keys request during rehashing of slot",
             "CLUSTERDOWN The cluster is down",
             "-MOVED 3999 127.0.0.1:6381",
         }) {
        CAPTURE(text);
        CHECK_FALSE(parse_redirect(text, "10.0.0.1").has_value());
    }
}

namespace {

/// The shards in slot order, each one's ranges in order too: CLUSTER SHARDS
/// and CLUSTER SLOTS need not list them alike.
cluster_topology sorted(cluster_topology t) {
    for (auto& s : t.shards) {
        std::ranges::sort(s.slots, {}, &slot_range::first);
        std::ranges::sort(s.replicas, {}, &node_address::port);
    }
    std::ranges::sort(t.shards, {}, [](cluster_shard const& s) { return s.slots.at(0).first; });
    return t;
}

} // namespace

TEST_CASE("cluster_topology: the fixture cluster's CLUSTER SHARDS and CLUSTER SLOTS agree, and "
          "its MOVED errors point at the owner") {
    auto const ports = shared_cluster_ports();
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(ports.at(0)));
    REQUIRE_FALSE(connect(io, conn));
    auto shards = parse_cluster_shards(ok(io, conn, {"CLUSTER", "SHARDS"}), "127.0.0.1");
    auto slots = parse_cluster_slots(ok(io, conn, {"CLUSTER", "SLOTS"}), "127.0.0.1");
    REQUIRE(shards.has_value());
    REQUIRE(slots.has_value());
    CHECK(covers_all_slots(*shards));
    CHECK(covers_all_slots(*slots));
    CHECK(shards->shards.size() == 3);
    auto const by_shards = sorted(*shards);
    auto const by_slots = sorted(*slots);
    REQUIRE(by_shards.shards.size() == by_slots.shards.size());
    for (std::size_t i = 0; i < by_shards.shards.size(); ++i) {
        auto const& a = by_shards.shards[i];
        auto const& b = by_slots.shards[i];
        CHECK(a.slots == b.slots);
        CHECK(a.primary == b.primary);
        CHECK(a.primary.host == "127.0.0.1");
        CHECK(a.primary.id.size() == 40);
        // SHARDS lists the replicas that are online, SLOTS every one it
        // knows: one that is still syncing is in SLOTS alone.
        for (auto const& r : a.replicas)
            CHECK(std::ranges::find(b.replicas, r) != b.replicas.end());
    }

    // Every primary answers a key it does not own with MOVED to its owner.
    auto const key = unique_key("moved");
    auto const owner = shard_of(*shards, redis::hash_slot(key));
    REQUIRE(owner.has_value());
    int moved = 0;
    for (auto const& s : shards->shards) {
        redis::connection node(io.get_executor(), options_for(s.primary.port));
        REQUIRE_FALSE(connect(io, node));
        auto const o = exec(io, node, {"GET", key});
        REQUIRE_FALSE(o.ec);
        if (&s == &shards->shards[*owner]) {
            CHECK(o.r.is_nil());
            continue;
        }
        REQUIRE(o.r.is_error_code("MOVED"));
        auto const to = parse_redirect(o.r.text(), "127.0.0.1");
        REQUIRE(to.has_value());
        CHECK(*to == redirect{redirect::kind::moved, redis::hash_slot(key), "127.0.0.1",
                              shards->shards[*owner].primary.port});
        ++moved;
        node.close();
    }
    CHECK(moved == 2);
    conn.close();
}
