// The Redis client as a program uses it: a redis:// URL, a connection with
// its options, commands and their typed replies, a Lua script sent by its
// SHA1, and how an outage is recognised. docs/redis.md quotes this file.
//
// Usage: apikit-example-redis [redis://host:port] (redis://127.0.0.1:6379 by
// default). It writes and deletes the keys apikit:example:*. Exits 1 if
// anything is not as expected — Redis unreachable, a reply that is not the
// one it should be — so that ctest, which runs it against the test fixture's
// redis-server, fails.
#include <apikit/redis.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace redis = apikit::redis;
using redis::reply;
using namespace std::chrono_literals;

namespace {

// Anything unexpected ends the run with a failure.
void expect(bool ok, std::string_view what) {
    if (!ok)
        throw std::runtime_error(std::string(what));
}

// A loopback port where nothing listens: bound by the system, then released.
[[nodiscard]] std::uint16_t closed_port(asio::io_context& io) {
    asio::ip::tcp::acceptor a(io, {asio::ip::address_v4::loopback(), 0});
    return a.local_endpoint().port();
}

asio::awaitable<void> tour(redis::connection& conn) {
    // [commands]
    // use_awaitable throws an error code (no reply: see "The rule for errors");
    // an error reply from Redis is a reply.
    redis::key_space const example("example"); // keys apikit:example:…
    std::string const greeting = example.key("greeting");

    reply set = co_await conn.async_exec({"SET", greeting, "hello", "EX", 60}, asio::use_awaitable);
    reply get = co_await conn.async_exec({"GET", greeting}, asio::use_awaitable);
    reply ttl = co_await conn.async_exec({"TTL", greeting}, asio::use_awaitable);
    reply none = co_await conn.async_exec({"GET", example.key("none")}, asio::use_awaitable);
    reply wrong = co_await conn.async_exec({"INCR", greeting}, asio::use_awaitable);

    fmt::print("SET: {}\n", set.text());                          // SET: OK
    fmt::print("GET: {}\n", get.as<std::string>().value());       // GET: hello
    fmt::print("TTL: {} s\n", ttl.as<std::int64_t>().value());    // TTL: 60 s
    auto missing = none.as<std::optional<std::string>>().value(); // nil is nullopt
    fmt::print("GET none: {}\n", missing.value_or("(nil)"));      // GET none: (nil)
    fmt::print("INCR: {}\n", wrong.text()); // INCR: ERR value is not an integer or out of range
    // [commands]
    expect(set.is_status() && set.text() == "OK", "SET answers OK");
    expect(get.as<std::string>().value() == "hello", "GET answers what SET wrote");
    auto const seconds = ttl.as<std::int64_t>();
    expect(seconds && *seconds > 0 && *seconds <= 60, "the key expires within 60 s");
    expect(missing == std::nullopt, "a missing key is nil");
    expect(wrong.is_error_code("ERR") && !wrong.as<std::int64_t>(),
           "INCR of a string is an error reply");

    // A run that failed half-way may have left its count behind.
    std::string const visits = example.tagged("user_42", "visits");
    co_await conn.async_exec({"DEL", visits}, asio::use_awaitable);

    // [script]
    // Sent by its SHA1 (EVALSHA); on NOSCRIPT — the first call on this
    // server, or after a restart or SCRIPT FLUSH — the connection sends the
    // source once by EVAL, and this code never sees the miss. The keys of one
    // call share a hash tag, so the script also runs on a cluster.
    static redis::script const count_visit(R"(
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return n)");

    // visits is example.tagged("user_42", "visits"): apikit:example:{user_42}:visits
    for (int i = 0; i < 3; ++i) {
        reply r = co_await conn.async_eval(count_visit, {visits}, {60000}, asio::use_awaitable);
        fmt::print("visit {}\n", r.as<std::int64_t>().value()); // visit 1, visit 2, visit 3
    }
    reply cached =
        co_await conn.async_exec({"SCRIPT", "EXISTS", count_visit.sha1()}, asio::use_awaitable);
    fmt::print("cached: {}\n", cached.as<std::vector<bool>>().value().at(0)); // cached: true
    // [script]
    reply n = co_await conn.async_exec({"GET", visits}, asio::use_awaitable);
    expect(n.as<std::int64_t>().value() == 3, "the script counted three visits");
    expect(cached.as<std::vector<bool>>().value() == std::vector<bool>{true},
           "the script is in the server's cache");

    reply del = co_await conn.async_exec({"DEL", greeting, visits}, asio::use_awaitable);
    expect(del.as<std::int64_t>().value() == 2, "both keys are deleted");
}

asio::awaitable<void> outage(asio::io_context& io) {
    // [outage]
    // Nothing listens there: the connect fails, the connection keeps trying
    // in the background, and meanwhile every command fails at once.
    redis::connection_options opts;
    opts.server = redis::parse_url(fmt::format("redis://127.0.0.1:{}", closed_port(io))).value();
    redis::connection down(io.get_executor(), opts);

    auto [connect_ec] = co_await down.async_connect(asio::as_tuple(asio::use_awaitable));
    auto [ec, r] = co_await down.async_exec({"PING"}, asio::as_tuple(asio::use_awaitable));
    fmt::print("connect: {}\n", connect_ec.message()); // connect: Connection refused
    fmt::print("PING: {}\n", ec.message()); // PING: redis: not connected (the command was not sent)
    if (ec == apikit::condition::backend_unavailable)
        fmt::print("Redis is unavailable: fail open or closed, answer 503\n");
    // [outage]
    down.close();
    expect(connect_ec == apikit::condition::backend_unavailable, "a refused connect is an outage");
    expect(ec == redis::error::not_connected,
           "a command fails at once while there is no connection");
    expect(ec == apikit::condition::backend_unavailable, "not_connected is an outage");
}

} // namespace

int main(int argc, char** argv) {
    // [connect]
    auto const url = redis::parse_url(argc > 1 ? argv[1] : "redis://127.0.0.1:6379");
    if (!url) { // each wrong part is its own error: url_scheme, url_port…
        fmt::print(stderr, "{}\n", url.error().message());
        return 2;
    }
    asio::io_context io;
    redis::connection_options opts;
    opts.server = *url;
    opts.command_timeout = 2s;                       // 1 s by default
    opts.reconnect.max = 1s;                         // backoff cap, 5 s by default
    redis::connection conn(io.get_executor(), opts); // does not connect yet

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await conn.async_connect(asio::use_awaitable); // throws if the attempt fails
            fmt::print("connected to {}\n", opts.server);     // the password, if any, is ***
            co_await tour(conn);
            co_await outage(io);
            conn.close(); // else it would stay connected, and io.run() would not return
        },
        [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e); // out of io.run()
        });
    // [connect]
    try {
        io.run();
    } catch (boost::system::system_error const& e) { // no reply, or not of the type asked for
        fmt::print(stderr, "failed: {}\n", e.code().message());
        return EXIT_FAILURE;
    } catch (std::exception const& e) { // from expect(): not the reply expected
        fmt::print(stderr, "failed: {}\n", e.what());
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
