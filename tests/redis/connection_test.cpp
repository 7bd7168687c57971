// The connection against the fixture's real redis-server: every reply type,
// pipelining, the completion tokens (callbacks, futures, coroutines), the
// threads it may be called from, and the errors it completes with on its own
// (not connected, closed, queue full). Outages are in outage_test.cpp.

#include "support.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace redis_test;
using redis::reply;

TEST_CASE("connection: every reply type, from a real server") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    auto const key = unique_key("types");
    auto const list = unique_key("list");

    CHECK(ok(io, conn, {"SET", key, "hello"}) == reply::status("OK"));
    CHECK(ok(io, conn, {"GET", key}) == reply::string("hello"));
    CHECK(ok(io, conn, {"GET", unique_key("missing")}).is_nil());
    CHECK(ok(io, conn, {"INCR", unique_key("n")}) == reply::integer(1));
    CHECK(ok(io, conn, {"LRANGE", list, 0, -1}) == reply::array({}));
    CHECK(ok(io, conn, {"RPUSH", list, "a", "b"}) == reply::integer(2));
    CHECK(ok(io, conn, {"LRANGE", list, 0, -1}) ==
          reply::array({reply::string("a"), reply::string("b")}));
    CHECK(ok(io, conn, {"MGET", key, unique_key("missing")}) ==
          reply::array({reply::string("hello"), reply::nil()}));
    CHECK(ok(io, conn, {"EVAL", "return {1, {2, 'x'}, {}}", 0}) ==
          reply::array({reply::integer(1), reply::array({reply::integer(2), reply::string("x")}),
                        reply::array({})}));

    // An error reply is a reply: the command ran, and Redis said no.
    auto const unknown = exec(io, conn, {"NO-SUCH-COMMAND"});
    CHECK_FALSE(unknown.ec);
    CHECK(unknown.r.is_error());
    CHECK(unknown.r.is_error_code("ERR"));
    auto const wrong = exec(io, conn, {"INCR", list});
    CHECK_FALSE(wrong.ec);
    CHECK(wrong.r.is_error_code("WRONGTYPE"));
    CHECK(wrong.r.as<std::int64_t>().error() == redis::error::server_error);
    // …and the connection goes on.
    CHECK(ok(io, conn, {"GET", key}).as<std::string>().value() == "hello");
}

TEST_CASE("connection: a 4 MiB binary value goes out and comes back intact") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    std::string value(4 << 20, '\0');
    for (std::size_t i = 0; i < value.size(); ++i)
        value[i] = static_cast<char>((i * 7919) & 0xff);
    auto const key = unique_key("big");
    ok(io, conn, {"SET", key, value});
    auto const got = ok(io, conn, {"GET", key});
    CHECK(got.text().size() == value.size());
    CHECK(got.text() == value);
    ok(io, conn, {"DEL", key});
}

TEST_CASE("connection: 10000 commands in flight, each matched to its own reply, in order") {
    asio::io_context io;
    auto opts = options_for(shared_port());
    opts.max_pending = 1 << 15;
    redis::connection conn(io.get_executor(), opts);
    REQUIRE_FALSE(connect(io, conn));
    auto const counter = unique_key("pipelined");

    constexpr int n = 10000;
    std::vector<int> order;
    std::vector<std::int64_t> counts(n, 0);
    int failures = 0;
    // All are issued before any reply is read: up to n in flight at once.
    for (int i = 0; i < n; ++i) {
        conn.async_exec({"ECHO", i}, [&, i](error_code ec, reply r) {
            auto const echoed = r.as<int>();
            if (ec || !echoed || *echoed != i)
                ++failures;
            order.push_back(i);
        });
        conn.async_exec({"INCR", counter}, [&, i](error_code ec, reply r) {
            if (ec)
                ++failures;
            counts[i] = r.integer();
        });
    }
    REQUIRE(run_until(io, [&] { return order.size() == n; }));
    REQUIRE(run_until(io, [&] { return counts[n - 1] != 0; }));
    CHECK(failures == 0);
    bool in_order = true;
    for (int i = 0; i < n; ++i)
        in_order = in_order && order[i] == i && counts[i] == i + 1;
    CHECK(in_order);
}

TEST_CASE("connection: with C++20 coroutines") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    auto const key = unique_key("coro");
    std::optional<std::int64_t> result;

    // [coroutine]
    auto visit = [&](std::string key) -> asio::awaitable<std::int64_t> {
        co_await conn.async_connect(asio::use_awaitable);
        co_await conn.async_exec({"SET", key, 41}, asio::use_awaitable);
        reply r = co_await conn.async_exec({"INCR", key}, asio::use_awaitable);
        co_return r.as<std::int64_t>().value(); // throws if it is not an integer
    };
    // [coroutine]

    asio::co_spawn(io, visit(key), [&](std::exception_ptr e, std::int64_t v) {
        if (!e)
            result = v;
    });
    REQUIRE(run_until(io, [&] { return result.has_value(); }));
    CHECK(*result == 42);
}

TEST_CASE("connection: a failure reaches a coroutine as an exception with its code") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    std::optional<error_code> caught;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            try {
                // Never connected: fails fast.
                co_await conn.async_exec({"PING"}, asio::use_awaitable);
            } catch (boost::system::system_error const& e) {
                caught = e.code();
            }
        },
        asio::detached);
    REQUIRE(run_until(io, [&] { return caught.has_value(); }));
    CHECK(*caught == redis::error::not_connected);
}

TEST_CASE("connection: called from many threads while the io_context runs on two") {
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    std::vector<std::thread> runners;
    for (int i = 0; i < 2; ++i)
        runners.emplace_back([&] { io.run(); });

    REQUIRE_NOTHROW(conn.async_connect(asio::use_future).get());
    auto const key = unique_key("threads");
    constexpr int threads = 4, per_thread = 500;

    // Futures from four threads at once.
    std::vector<std::thread> callers;
    std::atomic<int> failed{0};
    for (int t = 0; t < threads; ++t)
        callers.emplace_back([&] {
            std::vector<std::future<reply>> replies;
            for (int i = 0; i < per_thread; ++i)
                replies.push_back(conn.async_exec({"INCR", key}, asio::use_future));
            for (auto& f : replies) {
                try {
                    if (!f.get().is_integer())
                        ++failed;
                } catch (...) {
                    ++failed;
                }
            }
        });
    for (auto& t : callers)
        t.join();
    CHECK(failed == 0);

    // Default handlers run on the connection's strand: never two at once,
    // so this plain int needs no lock (ThreadSanitizer checks the claim).
    int seen = 0;
    std::atomic<int> done{0};
    std::atomic<bool> off_strand{false};
    for (int i = 0; i < 1000; ++i)
        conn.async_exec({"PING"}, [&](error_code, reply) {
            if (!conn.get_executor().running_in_this_thread())
                off_strand = true;
            ++seen;
            ++done;
        });
    while (done.load() < 1000)
        std::this_thread::yield();
    CHECK(seen == 1000);
    CHECK_FALSE(off_strand.load());

    CHECK(conn.async_exec({"GET", key}, asio::use_future).get().as<int>().value() ==
          threads * per_thread);
    guard.reset();
    conn.close();
    for (auto& t : runners)
        t.join();
}

TEST_CASE("connection: a handler bound to another executor runs there") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    auto other = asio::make_strand(io);
    std::optional<bool> on_other;
    conn.async_exec({"PING"}, asio::bind_executor(other, [&](error_code, reply) {
                        on_other = other.running_in_this_thread();
                    }));
    REQUIRE(run_until(io, [&] { return on_other.has_value(); }));
    CHECK(*on_other);
}

TEST_CASE("connection: a handler that throws does not stall the replies read with its own") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    std::vector<int> done;
    // Three commands in one write: their replies come in one read.
    conn.async_exec({"ECHO", 1}, [&](error_code, reply) {
        done.push_back(1);
        throw std::runtime_error("handler failed");
    });
    conn.async_exec({"ECHO", 2}, [&](error_code, reply) { done.push_back(2); });
    conn.async_exec({"ECHO", 3}, [&](error_code, reply) { done.push_back(3); });
    // The exception leaves run_one(), as from any Asio handler.
    bool thrown = false;
    for (int i = 0; i < 1000 && !thrown && done.empty(); ++i) {
        try {
            io.run_one_for(std::chrono::milliseconds(20));
        } catch (std::runtime_error const&) {
            thrown = true;
        }
    }
    CHECK(thrown);
    REQUIRE(run_until(io, [&] { return done.size() == 3; }));
    CHECK(done == std::vector<int>{1, 2, 3});
    CHECK(ok(io, conn, {"PING"}) == reply::status("PONG"));
}

TEST_CASE("connection: before it is connected, a command fails fast, unsent") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    CHECK(conn.state() == redis::connection_state::idle);
    auto const o = exec(io, conn, {"PING"});
    CHECK(o.ec == redis::error::not_connected);
    CHECK(o.ec == apikit::condition::backend_unavailable);
    CHECK(apikit::to_errc(o.ec) == apikit::errc::service_unavailable);
    CHECK(o.r.is_nil());
}

TEST_CASE("connection: the state and the count of connections") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    CHECK(conn.connects() == 0);
    conn.start();
    CHECK(conn.state() == redis::connection_state::idle); // start() posts
    io.poll_one();
    CHECK(conn.state() == redis::connection_state::connecting);
    REQUIRE_FALSE(connect(io, conn));
    CHECK(conn.state() == redis::connection_state::ready);
    CHECK(conn.connects() == 1);
    conn.close();
    settle(io);
    CHECK(conn.state() == redis::connection_state::closed);
}

TEST_CASE("connection: close fails what is in flight with operation_aborted, then everything "
          "with closed") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    std::optional<error_code> blocked;
    // Blocks on the server until its connection goes away.
    conn.async_exec({"BLPOP", unique_key("never"), 0}, [&](error_code ec, reply) { blocked = ec; });
    settle(io);
    conn.close();
    REQUIRE(run_until(io, [&] { return blocked.has_value(); }));
    CHECK(*blocked == asio::error::operation_aborted);
    CHECK(exec(io, conn, {"PING"}).ec == redis::error::closed);
    CHECK(connect(io, conn) == redis::error::closed);
}

TEST_CASE("connection: destroyed with commands in flight, it completes them") {
    asio::io_context io;
    std::optional<error_code> blocked;
    {
        redis::connection conn(io.get_executor(), options_for(shared_port()));
        REQUIRE_FALSE(connect(io, conn));
        conn.async_exec({"BLPOP", unique_key("never"), 0},
                        [&](error_code ec, reply) { blocked = ec; });
        settle(io);
    }
    REQUIRE(run_until(io, [&] { return blocked.has_value(); }));
    CHECK(*blocked == asio::error::operation_aborted);
}

TEST_CASE("connection: beyond max_pending, a command fails at once with queue_full") {
    asio::io_context io;
    auto opts = options_for(shared_port());
    opts.max_pending = 4;
    redis::connection conn(io.get_executor(), opts);
    REQUIRE_FALSE(connect(io, conn));
    std::vector<error_code> results;
    // Issued together: the first four wait for replies when the rest arrive.
    for (int i = 0; i < 10; ++i)
        conn.async_exec({"PING"}, [&](error_code ec, reply) { results.push_back(ec); });
    REQUIRE(run_until(io, [&] { return results.size() == 10; }));
    int full = 0, fine = 0;
    for (auto const& ec : results) {
        full += ec == redis::error::queue_full;
        fine += !ec;
    }
    CHECK(fine == 4);
    CHECK(full == 6);
    // Nothing is left pending: the bound frees up as replies come.
    CHECK(ok(io, conn, {"PING"}) == reply::status("PONG"));
}

TEST_CASE("connection: the offline queue holds a bounded number while connecting") {
    asio::io_context io;
    auto opts = options_for(shared_port());
    opts.offline_queue = 3;
    redis::connection conn(io.get_executor(), opts);
    conn.start();
    std::vector<error_code> results;
    for (int i = 0; i < 5; ++i)
        conn.async_exec({"PING"}, [&](error_code ec, reply) { results.push_back(ec); });
    REQUIRE(run_until(io, [&] { return results.size() == 5; }));
    // The two beyond the queue failed first, at once; the three queued were
    // sent once the connection was up.
    CHECK(results[0] == redis::error::not_connected);
    CHECK(results[1] == redis::error::not_connected);
    CHECK_FALSE(results[2]);
    CHECK_FALSE(results[3]);
    CHECK_FALSE(results[4]);
}

TEST_CASE("connection: a non-positive timeout fails that command alone, unsent") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    std::optional<error_code> got;
    conn.async_exec({"PING"}, 0s, [&](error_code ec, reply) { got = ec; });
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    CHECK(*got == redis::error::timeout);
    CHECK(conn.connects() == 1);
    CHECK(ok(io, conn, {"PING"}) == reply::status("PONG"));
    CHECK(conn.connects() == 1);
}

TEST_CASE("connection: a database from the URL is SELECTed on connect") {
    asio::io_context io;
    auto const url = fmt::format("redis://127.0.0.1:{}/5", shared_port());

    // [url]
    redis::connection_options opts;
    opts.server = redis::parse_url(url).value(); // throws on a bad URL, naming the bad part
    opts.command_timeout = 5s;                   // 1 s by default
    opts.reconnect.max = 2s;                     // backoff cap, 5 s by default
    redis::connection db5(io.get_executor(), opts);
    // [url]

    redis::connection db0(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, db5));
    REQUIRE_FALSE(connect(io, db0));
    auto const key = unique_key("db");
    ok(io, db5, {"SET", key, 1});
    CHECK(ok(io, db5, {"EXISTS", key}) == reply::integer(1));
    CHECK(ok(io, db0, {"EXISTS", key}) == reply::integer(0));
    ok(io, db5, {"DEL", key});
}

TEST_CASE("connection: after CLIENT KILL it reconnects by itself") {
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(shared_port()));
    redis::connection admin(io.get_executor(), options_for(shared_port()));
    REQUIRE_FALSE(connect(io, conn));
    REQUIRE_FALSE(connect(io, admin));
    auto const id = ok(io, conn, {"CLIENT", "ID"}).integer();

    CHECK(ok(io, admin, {"CLIENT", "KILL", "ID", id}) == reply::integer(1));
    // The next command meets the closed connection, or a new one, depending
    // on whether the close was read first: either way it does not hang.
    auto const after = exec(io, conn, {"CLIENT", "ID"});
    if (after.ec) {
        CHECK(
            (after.ec == redis::error::connection_lost || after.ec == redis::error::not_connected));
        REQUIRE_FALSE(connect(io, conn));
    }
    auto const new_id = ok(io, conn, {"CLIENT", "ID"}).integer();
    CHECK(new_id != id);
    CHECK(conn.connects() == 2);
}
