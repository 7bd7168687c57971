// Graceful shutdown: stop accepting, finish what is in flight (its response
// says Connection: close), close idle connections, and return within the
// grace period whatever happens.

#include "support.hpp"
#include "test_app.hpp"

#include <csignal>
#include <future>

using namespace http_test;

namespace {

using clock_type = std::chrono::steady_clock;

auto make_chain(app_probe& probe, std::chrono::milliseconds slow = 300ms) {
    return http::chain{http::request_id{}, make_test_app(probe, slow)};
}

bool refuses_connections(std::uint16_t port) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    return ec == asio::error::connection_refused;
}

} // namespace

TEST_CASE("stop(): in-flight requests finish with Connection: close, idle ones close") {
    app_probe probe;
    http::server server(test_options(), make_chain(probe));
    REQUIRE(server.start().has_value());
    auto const port = server.port();

    client idle(port);
    CHECK(idle.get("/healthz").result_int() == 200);

    client busy(port);
    busy.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(probe.wait_slow_started(1));

    auto const start = clock_type::now();
    server.stop();

    auto const res = busy.read();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == R"({"slow":true})");
    CHECK(res[bhttp::field::connection] == "close");
    CHECK(busy.closed_by_server());
    CHECK(idle.closed_by_server());

    server.wait();
    CHECK(clock_type::now() - start < 5s);
    CHECK(refuses_connections(port));
}

TEST_CASE("stop() during a pipeline: the request in flight is answered, the rest are not") {
    app_probe probe;
    http::server server(test_options(), make_chain(probe));
    REQUIRE(server.start().has_value());
    client c(server.port());
    c.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(probe.wait_slow_started(1));
    server.stop();
    auto const res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res[bhttp::field::connection] == "close");
    CHECK(c.closed_by_server());
    server.wait();
    CHECK(probe.handled == 0); // /echo never ran
}

TEST_CASE("the grace period bounds a shutdown whose request never completes") {
    app_probe probe;
    auto o = test_options();
    o.shutdown_grace = 300ms;
    http::server server(o, make_chain(probe));
    REQUIRE(server.start().has_value());
    client c(server.port());
    c.send_raw("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(probe.wait_slow_started(1));
    auto const start = clock_type::now();
    server.stop();
    server.wait();
    auto const took = clock_type::now() - start;
    CHECK(took >= 300ms);
    CHECK(took < 3s);
    CHECK(c.closed_by_server());
    probe.held.reset(); // before the server goes
}

TEST_CASE("SIGTERM stops the server gracefully") {
    app_probe probe;
    auto o = test_options();
    o.handle_signals = true;
    http::server server(o, make_chain(probe));
    REQUIRE(server.start().has_value());
    client c(server.port());
    c.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(probe.wait_slow_started(1));
    // The server's signal_set has taken SIGTERM over since start().
    std::raise(SIGTERM);
    auto const res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res[bhttp::field::connection] == "close");
    CHECK(c.closed_by_server());
    server.wait();
}

TEST_CASE("SIGINT stops the server too") {
    app_probe probe;
    auto o = test_options();
    o.handle_signals = true;
    http::server server(o, make_chain(probe));
    REQUIRE(server.start().has_value());
    std::raise(SIGINT);
    server.wait();
    CHECK(refuses_connections(server.port()));
}

TEST_CASE("stop() may be called from many threads, again, and before start()") {
    app_probe probe;
    {
        http::server never_started(test_options(), make_chain(probe));
        never_started.stop();
        never_started.wait();
    }
    http::server server(test_options(), make_chain(probe));
    REQUIRE(server.start().has_value());
    std::vector<std::thread> stoppers;
    for (int i = 0; i < 4; ++i)
        stoppers.emplace_back([&] { server.stop(); });
    for (auto& t : stoppers)
        t.join();
    server.wait();
    server.stop();
    server.wait();
}

TEST_CASE("start() reports an address that cannot be used") {
    app_probe probe;
    http::server first(test_options(), make_chain(probe));
    REQUIRE(first.start().has_value());

    auto o = test_options();
    o.port = first.port(); // taken
    http::server second(o, make_chain(probe));
    auto const r = second.start();
    REQUIRE(!r.has_value());
    CHECK(r.error() == boost::system::errc::address_in_use);

    o.address = "not an address";
    http::server third(o, make_chain(probe));
    CHECK(!third.start().has_value());
}

TEST_CASE("options no server can run with are refused at construction") {
    app_probe probe;
    auto o = test_options();
    o.threads = 0;
    CHECK_THROWS_AS(http::server(o, make_chain(probe)), std::invalid_argument);
    o = test_options();
    o.header_timeout = 0ms;
    CHECK_THROWS_AS(http::server(o, make_chain(probe)), std::invalid_argument);
    o = test_options();
    o.header_limit = 0;
    CHECK_THROWS_AS(http::server(o, make_chain(probe)), std::invalid_argument);
}
