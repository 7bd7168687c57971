// The Redis concepts: a minimal stand-in (archetype) for each, the real types
// that model them, the near misses that do not, and a backend built on the
// stand-in, without a server.

#include <apikit/redis/connection.hpp>

#include <apikit/ratelimit/redis_store.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace redis = apikit::redis;
namespace rl = apikit::ratelimit;
using boost::system::error_code;

namespace {

// What a script-running backend needs of a connection, and nothing more: it
// records the call and completes it, later, with the code it was given.
struct script_connection_archetype {
    boost::asio::io_context::executor_type ex;
    error_code answer;
    std::string sha1 = {};
    std::vector<std::string> keys = {};
    std::size_t args = 0;

    boost::asio::io_context::executor_type get_executor() const noexcept { return ex; }

    template <class Handler>
    void async_eval(redis::script const& code, std::span<redis::arg const> k,
                    std::span<redis::arg const> a, Handler&& handler) {
        sha1 = code.sha1();
        keys.clear();
        for (auto const& key : k)
            keys.emplace_back(key.view());
        args = a.size();
        boost::asio::post(
            ex, boost::asio::append(std::forward<Handler>(handler), answer, redis::reply{}));
    }
};

// Near misses: commands but no scripts; and no executor to complete on.
struct connection_without_eval {
    boost::asio::io_context::executor_type ex;
    boost::asio::io_context::executor_type get_executor() const noexcept { return ex; }
    template <class Handler>
    void async_exec(redis::command, Handler&&) {}
};

struct connection_without_executor {
    int get_executor() const noexcept { return 0; }
    template <class Handler>
    void async_eval(redis::script const&, std::span<redis::arg const>, std::span<redis::arg const>,
                    Handler&&) {}
};

struct sim_clock : std::chrono::steady_clock {};

} // namespace

static_assert(redis::script_connection<script_connection_archetype>);
static_assert(redis::script_connection<redis::connection>);
static_assert(redis::script_connection<redis::basic_connection<sim_clock>>);
static_assert(!redis::script_connection<connection_without_eval>, "a backend runs scripts");
static_assert(!redis::script_connection<connection_without_executor>,
              "errors found before a round trip complete on the connection's executor");

TEST_CASE("redis: a store runs on any script connection, here a stand-in that is never connected") {
    boost::asio::io_context io;
    script_connection_archetype conn{.ex = io.get_executor(),
                                     .answer = redis::error::not_connected};
    rl::basic_redis_store<script_connection_archetype> store(conn);
    rl::policy const p{rl::limit{"burst", 10, rl::per_second(10)},
                       rl::limit{"hour", 1000, rl::per_hour(1000)}};

    int calls = 0;
    error_code got;
    rl::policy_decision d;
    store.async_acquire("alice", p, 1, rl::nanoseconds(0),
                        [&](error_code ec, rl::policy_decision r) {
                            ++calls;
                            got = ec;
                            d = r;
                        });
    CHECK(calls == 0); // never inside the call
    io.run();
    REQUIRE(calls == 1);

    // The call the store made: its script, one key per limit under one hash
    // tag, and three arguments plus four per limit.
    CHECK(conn.sha1 == store.script().sha1());
    CHECK(conn.keys ==
          std::vector<std::string>{"apikit:rl:{alice}:burst", "apikit:rl:{alice}:hour"});
    CHECK(conn.args == 3 + 4 * p.size());

    // The stand-in is never connected: the store fails open, and counts an outage.
    CHECK_FALSE(got);
    CHECK(d.allowed);
    CHECK(d.limits().empty());
    CHECK(store.outages() == 1);
    CHECK(store.bad_replies() == 0);
    CHECK(store.last_failure() == apikit::condition::backend_unavailable);
}
