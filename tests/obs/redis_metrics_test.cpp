// redis::connection::stats() and obs::add_redis_metrics against the test
// fixture's redis-server: replies, failures by code, connects and failed
// attempts, commands in flight, and the USE metrics a scrape reads from them.

#include "redis/support.hpp"

#include <apikit/obs/prometheus.hpp>
#include <apikit/obs/redis_metrics.hpp>

#include <doctest/doctest.h>

#include <boost/asio/ip/tcp.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace obs_redis_metrics_test {

namespace obs = apikit::obs;
namespace redis = apikit::redis;
namespace asio = boost::asio;
using namespace std::chrono_literals;

bool has_line(std::string const& text, std::string_view line) {
    return ("\n" + text).find("\n" + std::string(line) + "\n") != std::string::npos;
}

TEST_CASE("a connection's stats count replies, connects and the commands in flight") {
    redis_test::shared_connection s;
    for (int i = 0; i < 3; ++i)
        (void)redis_test::ok(s.io, s.conn, {"PING"});
    // Sent and not yet answered: in flight until the reply is read.
    std::optional<boost::system::error_code> done;
    s.conn.async_exec({"PING"}, [&](boost::system::error_code ec, redis::reply) { done = ec; });
    redis_test::settle(s.io);
    s.run_until([&] { return done.has_value(); });
    auto const st = s.conn.stats();
    CHECK(st.state == redis::connection_state::ready);
    CHECK(st.replies == 4); // the handshake's PING is not a command
    CHECK(st.in_flight == 0);
    CHECK(st.failures.total() == 0);
    CHECK(st.connects == 1);
    CHECK(st.connect_failures == 0);
    CHECK(st.disconnects == 0);
}

TEST_CASE("a command on a connection that is not connected counts as a not_connected failure") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), redis_test::options_for(redis_test::shared_port()));
    // Not started: refused at once, unsent.
    auto const o = redis_test::exec(io, conn, {"PING"});
    CHECK(o.ec == redis::error::not_connected);
    auto const st = conn.stats();
    CHECK(st.failures.not_connected == 1);
    CHECK(st.failures.total() == 1);
    CHECK(st.replies == 0);
    CHECK(st.state == redis::connection_state::idle);
}

TEST_CASE("a connection to a port nobody listens on counts its failed attempts") {
    // A port the kernel gave and took back: nothing listens there now.
    std::uint16_t port = 0;
    {
        asio::io_context tmp;
        asio::ip::tcp::acceptor a(tmp, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    asio::io_context io;
    redis::connection conn(io.get_executor(), redis_test::options_for(port));
    CHECK(redis_test::connect(io, conn)); // refused
    CHECK(conn.stats().connect_failures >= 1);
    CHECK(conn.stats().connects == 0);
    CHECK(conn.stats().state != redis::connection_state::ready);
}

TEST_CASE("add_redis_metrics reports the connection's figures labelled with its name") {
    redis_test::shared_connection s;
    (void)redis_test::ok(s.io, s.conn, {"PING"});
    obs::registry reg;
    auto const id = obs::add_redis_metrics(reg, s.conn, "main");
    std::string text;
    reg.write_prometheus(text);
    CHECK(has_line(text, R"(apikit_redis_connection_up{connection="main"} 1)"));
    CHECK(has_line(text, R"(apikit_redis_commands_in_flight{connection="main"} 0)"));
    CHECK(has_line(text, R"(apikit_redis_replies_total{connection="main"} 1)"));
    CHECK(has_line(text, "# TYPE apikit_redis_command_failures_total counter"));
    CHECK(has_line(
        text, R"(apikit_redis_command_failures_total{connection="main",error_type="timeout"} 0)"));
    CHECK(has_line(text, R"(apikit_redis_connects_total{connection="main"} 1)"));
    CHECK(has_line(text, R"(apikit_redis_connect_failures_total{connection="main"} 0)"));
    CHECK(has_line(text, R"(apikit_redis_reconnects_total{connection="main"} 0)"));
    reg.remove_collector(id);
}

TEST_CASE("add_redis_metrics reports a cluster client's connections summed and its cluster") {
    redis_test::shared_cluster s;
    auto const a = redis_test::unique_key("a");
    auto const b = redis_test::unique_key("b");
    REQUIRE(redis::hash_slot(a) != redis::hash_slot(b));
    (void)redis_test::ok(s.io, s.conn, {"SET", a, 1});
    (void)redis_test::ok(s.io, s.conn, {"SET", b, 1});
    CHECK(redis_test::exec(s.io, s.conn, {"MSET", a, 1, b, 2}).ec == redis::error::cross_slot);
    obs::registry reg;
    auto const id = obs::add_redis_metrics(reg, s.conn, "cluster");
    std::string text;
    reg.write_prometheus(text);
    CHECK(has_line(text, R"(apikit_redis_connection_up{connection="cluster"} 1)"));
    CHECK(has_line(text, R"(apikit_redis_connects_total{connection="cluster"} 3)"));
    CHECK(has_line(text, R"(apikit_redis_cluster_primaries{connection="cluster"} 3)"));
    CHECK(has_line(text, R"(apikit_redis_cluster_slots_covered{connection="cluster"} 16384)"));
    CHECK(has_line(text,
                   R"(apikit_redis_cluster_redirects_total{connection="cluster",kind="moved"} 0)"));
    CHECK(has_line(text, R"(apikit_redis_cluster_cross_slot_total{connection="cluster"} 1)"));
    CHECK(has_line(text,
                   R"(apikit_redis_cluster_refreshes_total{connection="cluster",outcome="ok"} 1)"));
    reg.remove_collector(id);

    // A client in front of one Redis has no cluster series.
    redis_test::shared_connection one;
    redis::cluster_client single(one.io.get_executor(),
                                 redis_test::options_for(redis_test::shared_port()));
    REQUIRE_FALSE(redis_test::connect(one.io, single));
    obs::registry reg1;
    auto const id1 = obs::add_redis_metrics(reg1, single, "single");
    text.clear();
    reg1.write_prometheus(text);
    CHECK(has_line(text, R"(apikit_redis_connection_up{connection="single"} 1)"));
    CHECK(text.find("apikit_redis_cluster_") == std::string::npos);
    reg1.remove_collector(id1);
}

} // namespace obs_redis_metrics_test
