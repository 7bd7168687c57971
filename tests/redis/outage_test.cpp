// Outages: late replies, a server that stops, one that never answers, one
// that is not Redis, wrong credentials. Timeouts and backoff run on simulated
// time (the connection's timers read sim_time), so each test moves the clock
// to exactly where a timer must fire — or must not yet — and never sleeps.
// Tests that stop or reconfigure a server use a private one.

#include "support.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace redis_test;
using redis::connection_state;
using redis::reply;
using tcp = asio::ip::tcp;

namespace {

redis::connection_options sim_options(std::uint16_t port) {
    auto o = options_for(port);
    o.command_timeout = 1s;
    o.connect_timeout = 10s;
    o.reconnect.initial = 100ms;
    o.reconnect.max = 400ms;
    o.reconnect.multiplier = 2;
    o.reconnect.jitter = 0; // exact delays, so the test knows when to look
    return o;
}

// A port that refuses connections: bound once by the kernel, then released.
std::uint16_t closed_port(asio::io_context& io) {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    return a.local_endpoint().port();
}

// A listener on loopback that accepts connections and does `on_accept` with
// each: hold it silently (a server that hangs), or write bytes to it.
class fake_server {
public:
    explicit fake_server(asio::io_context& io, std::string greeting = {})
        : acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0))
        , greeting_(std::move(greeting)) {
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::size_t accepted() const { return held_.size(); }

private:
    void accept() {
        acceptor_.async_accept([this](error_code ec, tcp::socket s) {
            if (ec)
                return;
            held_.push_back(std::make_unique<tcp::socket>(std::move(s)));
            if (!greeting_.empty())
                asio::async_write(*held_.back(), asio::buffer(greeting_),
                                  [](error_code, std::size_t) {});
            accept();
        });
    }

    tcp::acceptor acceptor_;
    std::string greeting_;
    std::vector<std::unique_ptr<tcp::socket>> held_;
};

} // namespace

TEST_CASE("outage: a late reply fails its command with timeout and resets the connection") {
    asio::io_context io;
    sim_connection conn(io.get_executor(), sim_options(shared_port()));
    REQUIRE_FALSE(connect(io, conn));

    std::optional<error_code> late, behind;
    // BLPOP on an empty list holds the reply back: a server that is slow.
    conn.async_exec({"BLPOP", unique_key("empty"), 0}, [&](error_code ec, reply) { late = ec; });
    conn.async_exec({"PING"}, 5s, [&](error_code ec, reply) { behind = ec; });
    settle(io);

    sim_time.advance(999ms);
    settle(io);
    CHECK_FALSE(late.has_value()); // not a moment early
    CHECK_FALSE(behind.has_value());

    sim_time.advance(2ms);
    REQUIRE(run_until(io, [&] { return late && behind; }));
    CHECK(*late == redis::error::timeout);
    // Sent, in time, but its reply can no longer be matched: it may have run.
    CHECK(*behind == redis::error::connection_lost);
    CHECK(*late == apikit::condition::backend_unavailable);

    // A broken connection is replaced at once, no backoff.
    REQUIRE(run_until(io, [&] { return conn.connects() == 2; }));
    CHECK(ok(io, conn, {"PING"}) == reply::status("PONG"));
}

TEST_CASE("outage: a server that stalls (DEBUG SLEEP) times out what is in flight, and is "
          "reconnected when it wakes") {
    redis_server server; // DEBUG stalls every client: not on the shared server
    asio::io_context io;
    sim_connection conn(io.get_executor(), sim_options(server.port()));
    REQUIRE_FALSE(connect(io, conn));
    std::optional<error_code> sleeper, behind;
    conn.async_exec({"DEBUG", "SLEEP", 0.3}, [&](error_code ec, reply) { sleeper = ec; });
    conn.async_exec({"PING"}, 5s, [&](error_code ec, reply) { behind = ec; });
    settle(io);
    sim_time.advance(1001ms);
    REQUIRE(run_until(io, [&] { return sleeper && behind; }));
    CHECK(*sleeper == redis::error::timeout);
    CHECK(*behind == redis::error::connection_lost);
    // The new connection's handshake is answered once the server wakes.
    REQUIRE(run_until(io, [&] { return conn.connects() == 2; }));
    CHECK(ok(io, conn, {"PING"}) == reply::status("PONG"));
}

TEST_CASE("outage: a command with a shorter timeout than those before it is still timed") {
    asio::io_context io;
    sim_connection conn(io.get_executor(), sim_options(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    std::optional<error_code> first, second;
    conn.async_exec({"BLPOP", unique_key("empty"), 0}, 10s,
                    [&](error_code ec, reply) { first = ec; });
    conn.async_exec({"PING"}, 100ms, [&](error_code ec, reply) { second = ec; });
    settle(io);
    sim_time.advance(101ms);
    REQUIRE(run_until(io, [&] { return first && second; }));
    CHECK(*second == redis::error::timeout);
    CHECK(*first == redis::error::connection_lost);
}

TEST_CASE("outage: while the server is down commands fail fast, and it comes back by itself") {
    redis_server server;
    asio::io_context io;
    sim_connection conn(io.get_executor(), sim_options(server.port()));
    REQUIRE_FALSE(connect(io, conn));
    CHECK(ok(io, conn, {"PING"}) == reply::status("PONG"));

    server.stop();
    // The close is seen, the immediate reconnect is refused, and the
    // connection waits out its first backoff (100 ms of simulated time).
    REQUIRE(run_until(io, [&] { return conn.state() == connection_state::backoff; }));

    // [fail-fast]
    // Redis is down: every command fails at once, none waits for it.
    int refused = 0;
    for (int i = 0; i < 1000; ++i)
        conn.async_exec({"PING"}, [&](error_code ec, reply) {
            if (ec == redis::error::not_connected)
                ++refused;
        });
    // [fail-fast]
    REQUIRE(run_until(io, [&] { return refused == 1000; }));

    // The next attempt comes after exactly the backoff, and fails.
    std::optional<error_code> attempt;
    conn.async_connect([&](error_code ec) { attempt = ec; });
    sim_time.advance(99ms);
    settle(io);
    CHECK_FALSE(attempt.has_value());
    sim_time.advance(2ms);
    REQUIRE(run_until(io, [&] { return attempt.has_value(); }));
    CHECK(*attempt == asio::error::connection_refused);
    CHECK(*attempt == apikit::condition::backend_unavailable);

    // Back up: the attempt after the second backoff (200 ms) connects.
    server.restart();
    attempt.reset();
    conn.async_connect([&](error_code ec) { attempt = ec; });
    sim_time.advance(199ms);
    settle(io);
    CHECK_FALSE(attempt.has_value());
    sim_time.advance(2ms);
    REQUIRE(run_until(io, [&] { return attempt.has_value(); }));
    CHECK_FALSE(*attempt);
    CHECK(conn.state() == connection_state::ready);
    CHECK(conn.connects() == 2);
    CHECK(ok(io, conn, {"PING"}) == reply::status("PONG"));
}

TEST_CASE("outage: the backoff doubles up to its cap while nothing listens") {
    asio::io_context io;
    auto const port = closed_port(io);
    sim_connection conn(io.get_executor(), sim_options(port));
    // The first attempt is made at once.
    REQUIRE(connect(io, conn) == asio::error::connection_refused);
    for (auto wait : {100ms, 200ms, 400ms, 400ms, 400ms}) {
        std::optional<error_code> attempt;
        conn.async_connect([&](error_code ec) { attempt = ec; });
        sim_time.advance(wait - 1ms);
        settle(io);
        CHECK_MESSAGE(!attempt.has_value(), "an attempt before ", wait.count(), " ms");
        sim_time.advance(1ms);
        REQUIRE(run_until(io, [&] { return attempt.has_value(); }));
        CHECK(*attempt == asio::error::connection_refused);
    }
}

TEST_CASE("outage: a server that accepts and never answers hits the connect timeout") {
    asio::io_context io;
    fake_server hangs(io);
    auto opts = sim_options(hangs.port());
    opts.offline_queue = 4;
    sim_connection conn(io.get_executor(), opts);

    std::optional<error_code> attempt, queued;
    conn.async_connect([&](error_code ec) { attempt = ec; });
    REQUIRE(run_until(io, [&] { return hangs.accepted() == 1; }));
    CHECK(conn.state() == connection_state::connecting);

    // A command queued while connecting times out alone; the attempt goes on.
    conn.async_exec({"PING"}, [&](error_code ec, reply) { queued = ec; });
    settle(io);
    sim_time.advance(1001ms);
    REQUIRE(run_until(io, [&] { return queued.has_value(); }));
    CHECK(*queued == redis::error::timeout);
    CHECK(conn.state() == connection_state::connecting);
    CHECK_FALSE(attempt.has_value());

    // The handshake's PING is never answered: after connect_timeout, the
    // attempt fails and the connection backs off.
    sim_time.advance(9s);
    REQUIRE(run_until(io, [&] { return attempt.has_value(); }));
    CHECK(*attempt == redis::error::timeout);
    CHECK(conn.state() == connection_state::backoff);
}

TEST_CASE("outage: a server that does not speak RESP is a protocol error") {
    asio::io_context io;
    fake_server http(io, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    sim_connection conn(io.get_executor(), sim_options(http.port()));
    CHECK(connect(io, conn) == redis::error::protocol_error);
    CHECK(conn.state() == connection_state::backoff);
}

TEST_CASE("outage: a reply nobody asked for drops the connection") {
    asio::io_context io;
    // Answers the handshake's PING, then sends a reply to no command.
    fake_server chatty(io, "+PONG\r\n+UNASKED\r\n");
    sim_connection conn(io.get_executor(), sim_options(chatty.port()));
    REQUIRE_FALSE(connect(io, conn));
    // Each connection is dropped as soon as the stray reply is read, and
    // replaced: the stream is never trusted out of step.
    REQUIRE(run_until(io, [&] { return conn.connects() >= 3 && chatty.accepted() >= 3; }));
    conn.close();
    settle(io);
    CHECK(conn.state() == connection_state::closed);
}

TEST_CASE("outage: close while waiting to reconnect ends the waiters") {
    asio::io_context io;
    sim_connection conn(io.get_executor(), sim_options(closed_port(io)));
    REQUIRE(connect(io, conn) == asio::error::connection_refused);
    std::optional<error_code> attempt;
    conn.async_connect([&](error_code ec) { attempt = ec; });
    settle(io);
    CHECK_FALSE(attempt.has_value());
    conn.close();
    REQUIRE(run_until(io, [&] { return attempt.has_value(); }));
    CHECK(*attempt == asio::error::operation_aborted);
    CHECK(conn.state() == connection_state::closed);
}

TEST_CASE("handshake: AUTH with the password of the URL, and its failures") {
    redis_server server(
        {"--requirepass", "sekret", "--user", "alice", "on", ">wonderland", "~*", "&*", "+@all"});
    asio::io_context io;
    auto with_url = [&](std::string const& url) {
        auto o = sim_options(server.port());
        o.server = redis::parse_url(url).value();
        return o;
    };
    auto const base = fmt::format("127.0.0.1:{}", server.port());

    sim_connection by_password(io.get_executor(), with_url("redis://:sekret@" + base));
    REQUIRE_FALSE(connect(io, by_password));
    CHECK(ok(io, by_password, {"ACL", "WHOAMI"}) == reply::string("default"));

    sim_connection by_user(io.get_executor(), with_url("redis://alice:wonderland@" + base));
    REQUIRE_FALSE(connect(io, by_user));
    CHECK(ok(io, by_user, {"ACL", "WHOAMI"}) == reply::string("alice"));

    sim_connection wrong(io.get_executor(), with_url("redis://:nope@" + base));
    CHECK(connect(io, wrong) == redis::error::auth_failed);
    sim_connection wrong_user(io.get_executor(), with_url("redis://alice:nope@" + base));
    CHECK(connect(io, wrong_user) == redis::error::auth_failed);
    sim_connection none(io.get_executor(), with_url("redis://" + base));
    CHECK(connect(io, none) == redis::error::auth_failed);
    CHECK(make_error_code(redis::error::auth_failed) == apikit::condition::backend_unavailable);
}

TEST_CASE("handshake: a database the server does not have fails the attempt") {
    asio::io_context io;
    auto o = sim_options(shared_port());
    o.server.database = 99; // the default configuration has 16
    sim_connection conn(io.get_executor(), o);
    CHECK(connect(io, conn) == redis::error::handshake_failed);
}

TEST_CASE("handshake: a host name is resolved") {
    asio::io_context io;
    auto o = options_for(shared_port());
    o.server.host = "localhost";
    redis::connection conn(io.get_executor(), o);
    REQUIRE_FALSE(connect(io, conn));
    CHECK(ok(io, conn, {"PING"}) == reply::status("PONG"));
}
