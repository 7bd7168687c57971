// The Redis concepts: a minimal stand-in (archetype) for each, the real types
// that model them, the near misses that do not, and a backend built on each
// stand-in, without a server: the rate limiter's store on a script
// connection, the event bus on a client.

#include <apikit/redis/client.hpp>
#include <apikit/redis/cluster_client.hpp>
#include <apikit/redis/command_keys.hpp>
#include <apikit/redis/connection.hpp>
#include <apikit/redis/key.hpp>

#include <apikit/events/redis_bus.hpp>
#include <apikit/ratelimit/redis_store.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace redis = apikit::redis;
namespace rl = apikit::ratelimit;
namespace events = apikit::events;
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

// What a backend that sends commands needs of a client, and nothing more: a
// script connection that also runs commands, with or without a timeout of
// their own. It records each command's arguments and completes it, later,
// with the code and reply it was given. Its executor is no strand, as a
// client's need not be.
struct client_archetype {
    boost::asio::io_context::executor_type ex;
    error_code answer;
    redis::reply reply = {};
    std::vector<std::vector<std::string>> sent = {};
    std::vector<redis::command_slot> slots = {};
    std::vector<std::optional<std::chrono::nanoseconds>> timeouts = {};

    boost::asio::io_context::executor_type get_executor() const noexcept { return ex; }

    template <class Handler>
    void async_eval(redis::script const&, std::span<redis::arg const>, std::span<redis::arg const>,
                    Handler&& handler) {
        boost::asio::post(ex, boost::asio::append(std::forward<Handler>(handler), answer, reply));
    }

    template <class Handler>
    void async_exec(redis::command cmd, Handler&& handler) {
        record(cmd, std::nullopt);
        boost::asio::post(ex, boost::asio::append(std::forward<Handler>(handler), answer, reply));
    }

    template <class Handler>
    void async_exec(redis::command cmd, std::chrono::nanoseconds timeout, Handler&& handler) {
        record(cmd, timeout);
        boost::asio::post(ex, boost::asio::append(std::forward<Handler>(handler), answer, reply));
    }

    void record(redis::command const& cmd, std::optional<std::chrono::nanoseconds> timeout) {
        std::vector<std::string> args;
        redis::detail::resp_arguments a(cmd.resp());
        for (std::string_view v; a.next(v);)
            args.emplace_back(v);
        sent.push_back(std::move(args));
        slots.push_back(redis::slot_of(cmd));
        timeouts.push_back(timeout);
    }
};

// Near misses of a client: commands without a timeout of their own, and
// only with one; and a script connection that sends no commands at all.
struct client_without_timeout {
    boost::asio::io_context::executor_type ex;
    boost::asio::io_context::executor_type get_executor() const noexcept { return ex; }
    template <class Handler>
    void async_eval(redis::script const&, std::span<redis::arg const>, std::span<redis::arg const>,
                    Handler&&) {}
    template <class Handler>
    void async_exec(redis::command, Handler&&) {}
};

struct client_with_timeout_only {
    boost::asio::io_context::executor_type ex;
    boost::asio::io_context::executor_type get_executor() const noexcept { return ex; }
    template <class Handler>
    void async_eval(redis::script const&, std::span<redis::arg const>, std::span<redis::arg const>,
                    Handler&&) {}
    template <class Handler>
    void async_exec(redis::command, std::chrono::nanoseconds, Handler&&) {}
};

struct sim_clock : std::chrono::steady_clock {};

} // namespace

static_assert(redis::script_connection<script_connection_archetype>);
static_assert(redis::script_connection<redis::connection>);
static_assert(redis::script_connection<redis::basic_connection<sim_clock>>);
static_assert(redis::script_connection<redis::cluster_client>);
static_assert(redis::script_connection<redis::basic_cluster_client<sim_clock>>);
static_assert(!redis::script_connection<connection_without_eval>, "a backend runs scripts");
static_assert(!redis::script_connection<connection_without_executor>,
              "errors found before a round trip complete on the connection's executor");

static_assert(redis::client<client_archetype>);
static_assert(redis::client<redis::connection>);
static_assert(redis::client<redis::basic_connection<sim_clock>>);
static_assert(redis::client<redis::cluster_client>);
static_assert(redis::client<redis::basic_cluster_client<sim_clock>>);
static_assert(redis::script_connection<client_without_timeout> &&
                  !redis::client<client_without_timeout>,
              "a client sends a command with a timeout of its own");
static_assert(redis::script_connection<client_with_timeout_only> &&
                  !redis::client<client_with_timeout_only>,
              "a client sends a command with the default timeout");
static_assert(!redis::client<script_connection_archetype>, "a client sends commands");
static_assert(!redis::client<connection_without_executor>);

// The backends take either model as it is.
static_assert(events::bus<events::basic_redis_bus<client_archetype>> &&
              events::event_log<events::basic_redis_bus<client_archetype>>);
static_assert(events::bus<events::basic_redis_bus<redis::cluster_client>> &&
              events::event_log<events::basic_redis_bus<redis::cluster_client>>);
static_assert(std::is_same_v<events::redis_bus, events::basic_redis_bus<redis::connection>>);
static_assert(rl::store<rl::basic_redis_store<redis::cluster_client>>);

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

TEST_CASE("redis: the event bus runs on any client, here a stand-in that answers what it is told") {
    boost::asio::io_context io;
    client_archetype conn{.ex = io.get_executor(), .answer = {}};
    events::basic_redis_bus bus(conn, {.poll_interval = std::chrono::hours(1)});
    static_assert(std::is_same_v<decltype(bus), events::basic_redis_bus<client_archetype>>,
                  "the bus's client is deduced");
    CHECK(&bus.connection() == &conn);
    auto const stream_slot =
        redis::command_slot{redis::command_slot::kind::slot, redis::hash_slot(bus.key())};

    // A publish is one XADD of the stream key, with the client's own
    // timeout; the id it answers is the event's position.
    conn.reply = redis::reply::string("1700000000000-7");
    int calls = 0;
    error_code got;
    events::position pos;
    bus.async_publish(events::make_event("user.created", boost::json::object{{"n", 1}}, {},
                                         std::chrono::system_clock::now()),
                      [&](error_code ec, events::position p) {
                          ++calls;
                          got = ec;
                          pos = p;
                      });
    CHECK(calls == 0); // never inside the call
    io.run();
    REQUIRE(calls == 1);
    CHECK_FALSE(got);
    CHECK(pos.to_string() == "1700000000000-7");
    REQUIRE(conn.sent.size() == 1);
    CHECK(conn.sent[0][0] == "XADD");
    CHECK(conn.sent[0][1] == "apikit:events:{all}");
    CHECK(conn.timeouts[0] == std::nullopt);

    // A client that is not connected: the publish fails with its error,
    // which is an outage (503) for the caller.
    conn.answer = redis::error::not_connected;
    io.restart();
    bus.async_publish(events::make_event("user.created", boost::json::object{{"n", 2}}, {},
                                         std::chrono::system_clock::now()),
                      [&](error_code ec, events::position) {
                          ++calls;
                          got = ec;
                      });
    io.run();
    REQUIRE(calls == 2);
    CHECK(got == apikit::condition::backend_unavailable);
    CHECK(bus.stats().publish_errors == 1);

    // A subscription joins its group and, the client failing, counts the
    // error and waits poll_interval (an hour: the test ends first); ended,
    // it destroys the group of its own. Every command names the stream, so
    // a cluster sends each to the stream's node.
    io.restart();
    auto sub = bus.subscribe(events::type_pattern::parse("user.*").value(), {},
                             [](events::event const&, events::position) {});
    while (sub.stats().errors == 0 && io.run_one() > 0) {
    }
    CHECK(sub.stats().errors == 1);
    sub.unsubscribe();
    io.run(); // the wait is cancelled, nothing is left to run
    REQUIRE(conn.sent.size() == 4);
    CHECK(conn.sent[2] == std::vector<std::string>{"XGROUP", "CREATE", "apikit:events:{all}",
                                                   conn.sent[2][3], "$", "MKSTREAM"});
    CHECK(conn.sent[3] ==
          std::vector<std::string>{"XGROUP", "DESTROY", "apikit:events:{all}", conn.sent[2][3]});
    for (auto const& s : conn.slots)
        CHECK(s == stream_slot);
}
