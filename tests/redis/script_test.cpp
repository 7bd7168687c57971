// Lua scripts by SHA1: EVALSHA, the transparent reload after NOSCRIPT (told
// apart by the server's own command statistics), and the hash-slot check.
// Tests that flush the script cache or read statistics use a private server.

#include "support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <charconv>
#include <string>
#include <vector>

using namespace redis_test;
using redis::reply;

namespace {

// How many times the server ran `command`, from INFO commandstats.
long calls(asio::io_context& io, redis::connection& conn, std::string_view command) {
    auto const info = ok(io, conn, {"INFO", "commandstats"}).as<std::string>().value();
    auto const tag = fmt::format("cmdstat_{}:calls=", command);
    auto const at = info.find(tag);
    if (at == std::string::npos)
        return 0;
    long n = 0;
    auto const begin = info.data() + at + tag.size();
    std::from_chars(begin, info.data() + info.size(), n);
    return n;
}

} // namespace

TEST_CASE("async_eval: keys and arguments reach the script") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    redis::script const echo("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}");
    redis::key_space const space("test");
    auto const a = space.tagged("t", "a"), b = space.tagged("t", "b");
    std::optional<outcome> got;
    conn.async_eval(echo, {a, b}, {1, "x"}, [&](error_code ec, reply r) {
        got = outcome{ec, std::move(r)};
    });
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    CHECK_FALSE(got->ec);
    CHECK(got->r == reply::array({reply::string(a), reply::string(b), reply::string("1"),
                                  reply::string("x")}));
}

TEST_CASE("async_eval: with a coroutine, as a limiter calls it") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    std::string const user = apikit::random_id("user_");
    std::vector<std::int64_t> counts;

    // [eval]
    static redis::script const count_hit(R"(
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return n)");
    redis::key_space const hits("hits");

    auto hit = [&](std::string user) -> asio::awaitable<std::int64_t> {
        reply r = co_await conn.async_eval(count_hit, {hits.tagged(user, "minute")}, {60000},
                                           asio::use_awaitable);
        co_return r.as<std::int64_t>().value();
    };
    // [eval]

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await conn.async_connect(asio::use_awaitable);
            for (int i = 0; i < 3; ++i)
                counts.push_back(co_await hit(user));
        },
        [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    REQUIRE(run_until(io, [&] { return counts.size() == 3; }));
    CHECK(counts == std::vector<std::int64_t>{1, 2, 3});
    auto const ttl = ok(io, conn, {"PTTL", redis::key_space("hits").tagged(user, "minute")});
    CHECK(ttl.integer() > 0);
    CHECK(ttl.integer() <= 60000);
}

TEST_CASE("async_eval: after NOSCRIPT the source is sent once, and EVALSHA works again after") {
    redis_server server;
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(server.port()));
    REQUIRE_FALSE(connect(io, conn));
    redis::script const add("return tonumber(ARGV[1]) + tonumber(ARGV[2])");
    auto eval = [&](int x, int y) {
        std::optional<outcome> got;
        conn.async_eval(add, {}, {x, y}, [&](error_code ec, reply r) {
            got = outcome{ec, std::move(r)};
        });
        REQUIRE(run_until(io, [&] { return got.has_value(); }));
        REQUIRE_FALSE(got->ec);
        return got->r;
    };

    // A fresh server has no scripts: EVALSHA misses, EVAL runs and caches.
    CHECK(eval(1, 2) == reply::integer(3));
    CHECK(calls(io, conn, "evalsha") == 1);
    CHECK(calls(io, conn, "eval") == 1);
    CHECK(ok(io, conn, {"SCRIPT", "EXISTS", add.sha1()}) == reply::array({reply::integer(1)}));

    // Cached now: EVALSHA alone.
    CHECK(eval(2, 3) == reply::integer(5));
    CHECK(calls(io, conn, "evalsha") == 2);
    CHECK(calls(io, conn, "eval") == 1);

    // Flushed (as by a restart or a failover): one more EVAL.
    ok(io, conn, {"SCRIPT", "FLUSH"});
    CHECK(eval(4, 5) == reply::integer(9));
    CHECK(calls(io, conn, "evalsha") == 3);
    CHECK(calls(io, conn, "eval") == 2);
}

TEST_CASE("async_eval: a hundred calls in flight all meet NOSCRIPT, and all succeed") {
    redis_server server;
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(server.port()));
    REQUIRE_FALSE(connect(io, conn));
    redis::script const twice("return 2 * tonumber(ARGV[1])");
    std::vector<std::int64_t> got(100, -1);
    int done = 0;
    for (int i = 0; i < 100; ++i)
        conn.async_eval(twice, {}, {i}, [&, i](error_code ec, reply r) {
            ++done;
            if (!ec)
                got[i] = r.integer();
        });
    REQUIRE(run_until(io, [&] { return done == 100; }));
    bool right = true;
    for (int i = 0; i < 100; ++i)
        right = right && got[i] == 2 * i;
    CHECK(right);
    CHECK(calls(io, conn, "eval") == 100);
}

TEST_CASE("async_eval: a script's own error is its reply, and is not retried") {
    redis_server server;
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(server.port()));
    REQUIRE_FALSE(connect(io, conn));
    redis::script const fails("return redis.error_reply('LIMIT over quota')");
    CHECK(ok(io, conn, fails.load_command()).as<std::string>().value() == fails.sha1());
    std::optional<outcome> got;
    conn.async_eval(fails, {}, {}, [&](error_code ec, reply r) {
        got = outcome{ec, std::move(r)};
    });
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    CHECK_FALSE(got->ec);
    CHECK(got->r.is_error_code("LIMIT"));
    CHECK(calls(io, conn, "eval") == 0);
}

TEST_CASE("async_eval: keys in two hash slots are refused, unsent") {
    redis_server server;
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(server.port()));
    REQUIRE_FALSE(connect(io, conn));
    redis::script const s("return 1");
    redis::key_space const rl("rl");
    std::optional<outcome> got;
    conn.async_eval(s, {rl.tagged("alice", "a"), rl.tagged("bob", "a")}, {},
                    [&](error_code ec, reply r) {
                        got = outcome{ec, std::move(r)};
                    });
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    CHECK(got->ec == redis::error::cross_slot);
    CHECK(got->ec != apikit::condition::backend_unavailable);
    CHECK(apikit::to_errc(got->ec) == apikit::errc::internal_error);
    CHECK(calls(io, conn, "evalsha") == 0);
    CHECK(calls(io, conn, "eval") == 0);
}

TEST_CASE("async_eval: the operation keeps its own copy of the script") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    std::optional<outcome> got;
    {
        redis::script const temporary("return 'still here'");
        conn.async_eval(temporary, {}, {}, [&](error_code ec, reply r) {
            got = outcome{ec, std::move(r)};
        });
    }
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    CHECK_FALSE(got->ec);
    CHECK(got->r == reply::string("still here"));
}
