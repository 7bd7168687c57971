// The Redis Cluster the tests stand on: the fixture's shared cluster is
// whole, in the order its ports file documents, and a private cluster
// (tests/services/redis_cluster.hpp) fails over when a primary dies, which
// the cluster client's failover tests rely on. Checked with the plain
// connection and the helper's own client: the cluster client is what these
// fixtures are for, not what they are checked with.

#include "support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using namespace redis_test;
using redis::reply;

namespace {

bool says(reply const& r, std::string_view line) {
    return r.is_string() && r.text().find(std::string(line) + "\r\n") != std::string_view::npos;
}

} // namespace

TEST_CASE("cluster fixture: the shared cluster is ok, 3 primaries then their 3 replicas") {
    auto const ports = shared_cluster_ports();
    asio::io_context io;
    for (std::size_t i = 0; i < 3; ++i) {
        redis::connection primary(io.get_executor(), options_for(ports[i]));
        REQUIRE_FALSE(connect(io, primary));
        auto const info = ok(io, primary, {"CLUSTER", "INFO"});
        CHECK_MESSAGE(says(info, "cluster_state:ok"), fmt::format("{}", info));
        CHECK_MESSAGE(says(info, "cluster_known_nodes:6"), fmt::format("{}", info));
        auto const primary_role = ok(io, primary, {"ROLE"});
        REQUIRE_FALSE(primary_role.elements().empty());
        CHECK(primary_role.elements()[0] == reply::string("master"));

        // ROLE of a replica: slave, its primary's host and port, ...
        redis::connection replica(io.get_executor(), options_for(ports[i + 3]));
        REQUIRE_FALSE(connect(io, replica));
        auto const role = ok(io, replica, {"ROLE"});
        REQUIRE(role.elements().size() >= 3);
        CHECK(role.elements()[0] == reply::string("slave"));
        CHECK(role.elements()[2] == reply::integer(ports[i]));
        primary.close();
        replica.close();
        settle(io);
    }
    // The primaries in the order of their slots.
    redis::connection conn(io.get_executor(), options_for(ports[0]));
    REQUIRE_FALSE(connect(io, conn));
    auto const nodes = ok(io, conn, {"CLUSTER", "NODES"});
    REQUIRE(nodes.is_string());
    char const* const first_slots[] = {"0-", "5461-", "10923-"};
    for (std::size_t i = 0; i < 3; ++i) {
        auto const at = nodes.text().find(":" + std::to_string(ports[i]) + "@");
        REQUIRE(at != std::string_view::npos);
        auto const line = nodes.text().substr(at, nodes.text().find('\n', at) - at);
        CHECK_MESSAGE(line.find(std::string(" connected ") + first_slots[i]) !=
                          std::string_view::npos,
                      fmt::format("{}", nodes));
    }
    conn.close();
    settle(io);
}

TEST_CASE("cluster fixture: a private cluster's replica takes over when its primary is killed") {
    redis_cluster cluster(3, 1);
    REQUIRE(cluster.ports().size() == 6);
    REQUIRE(cluster.primary_ports().size() == 3);
    REQUIRE(cluster.replica_ports().size() == 3);
    auto const victim = cluster.primary_ports()[0];
    REQUIRE(cluster.primary_of_slot(0) == victim);
    auto const replicas = cluster.replicas_of(victim);
    REQUIRE(replicas.size() == 1);
    auto const heir = replicas[0];
    CHECK(cluster.command(heir, {"CLUSTER", "MYID"}) == cluster.node_id(heir));
    auto const victim_pid = cluster.pid(victim);
    REQUIRE(victim_pid > 0);

    cluster.kill(victim);
    CHECK(cluster.pid(victim) == -1);
    CHECK(::kill(victim_pid, 0) != 0); // reaped, not a zombie
    REQUIRE_MESSAGE(cluster.wait_until([&] { return cluster.primary_of_slot(0) == heir; }, 20s),
                    cluster.describe());
    REQUIRE_MESSAGE(cluster.wait_until_ok(20s), cluster.describe());
    CHECK(cluster.command(heir, {"ROLE"}).starts_with("master\n"));

    // The promoted replica serves the slot's keys (a key of slot 0: "{06S}").
    CHECK(cluster.command(heir, {"CLUSTER", "KEYSLOT", "{06S}x"}) == "0");
    CHECK(cluster.command(heir, {"SET", "{06S}x", "1"}) == "OK");
    // A primary that is gone cannot be asked.
    CHECK_THROWS_AS((void)cluster.command(victim, {"PING"}), std::runtime_error);
}
