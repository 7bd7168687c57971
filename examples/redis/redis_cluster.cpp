// The cluster client as a program uses it: the URL of any node of a Redis
// Cluster — or of a single Redis, where the same code runs on one
// connection — what the client found there, commands sent to the primary
// that owns their key's slot, hash tags that keep the keys of one command or
// script in one slot, a command whose keys span two slots refused before it
// is sent, and the client's figures. docs/redis.md may quote this file.
//
// Usage: apikit-example-redis-cluster [redis://host:port] (any node;
// redis://127.0.0.1:7000 by default). It writes and deletes the keys
// apikit:example:*. Exits 1 if anything is not as expected, so that ctest,
// which runs it against the test fixture's cluster and its single Redis
// alike, fails.
#include <apikit/redis.hpp>
#include <apikit/redis/cluster_client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

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

asio::awaitable<void> tour(redis::cluster_client& redis) {
    bool const cluster = redis.mode() == redis::cluster_mode::cluster;
    redis::key_space const example("example"); // keys apikit:example:…

    // [routing]
    // Each user's key has its own hash tag, so its own slot (ada 5938, alan
    // 13343, donald 4138, grace 7988: on three primaries that split the
    // slots evenly, each holds one or two): each INCR goes to the primary
    // that owns its slot, with no code here that knows which that is.
    std::set<std::uint16_t> slots;
    for (std::string_view user : {"ada", "alan", "donald", "grace"}) {
        std::string const visits = example.tagged(user, "visits");
        reply n = co_await redis.async_exec({"INCR", visits}, asio::use_awaitable);
        co_await redis.async_exec({"PEXPIRE", visits, 60000}, asio::use_awaitable);
        fmt::print("{} (slot {}): {}\n", visits, redis::hash_slot(visits),
                   n.as<std::int64_t>().value());
        slots.insert(redis::hash_slot(visits));
    }
    // [routing]
    expect(slots.size() == 4, "four hash tags, four slots");

    // [cross-slot]
    // The keys of one command must share a slot on a cluster: two users'
    // keys are refused, unsent (a single Redis runs them). Keys of one tag
    // always share it.
    std::string const ada = example.tagged("ada", "visits");
    std::string const grace = example.tagged("grace", "visits");
    auto [ec, both] =
        co_await redis.async_exec({"MGET", ada, grace}, asio::as_tuple(asio::use_awaitable));
    fmt::print("MGET of two slots: {}\n", ec ? ec.message() : "sent");
    // on a cluster: redis: the keys of one script or cluster command must
    // share a hash slot (use one hash tag)
    std::string const ada_last = example.tagged("ada", "last");
    reply one = co_await redis.async_exec({"MSET", ada_last, "today", ada, 1}, asio::use_awaitable);
    fmt::print("MSET of one tag: {}\n", one.text()); // MSET of one tag: OK
    // [cross-slot]
    expect(cluster ? ec == redis::error::cross_slot : !ec && both.is_array(),
           "a cross-slot command is refused on a cluster and runs on one Redis");
    expect(one.is_status() && one.text() == "OK", "keys of one tag run together");

    // [script]
    // A script's keys decide its node: all of one tag, one slot.
    static redis::script const touch(R"(
        redis.call('SET', KEYS[2], ARGV[1])
        return redis.call('INCR', KEYS[1]))");
    reply n = co_await redis.async_eval(touch, {ada, ada_last}, {"now"}, asio::use_awaitable);
    fmt::print("script on ada's slot: {}\n", n.as<std::int64_t>().value()); // …: 2
    // [script]
    expect(n.as<std::int64_t>().value() == 2, "the script ran on the slot's node");

    for (std::string_view user : {"ada", "alan", "donald", "grace"})
        co_await redis.async_exec({"DEL", example.tagged(user, "visits")}, asio::use_awaitable);
    reply del = co_await redis.async_exec({"DEL", ada_last}, asio::use_awaitable);
    expect(del.as<std::int64_t>().value() == 1, "the keys are deleted");

    // [figures]
    // What it found and what it did: the connections' figures summed
    // (obs::add_redis_metrics reports them), and the cluster's own.
    redis::connection_stats const s = redis.stats();
    redis::cluster_stats const c = redis.cluster_stats();
    fmt::print("replies: {}, primaries: {}, slots covered: {}, MOVED: {}, refused: {}\n", s.replies,
               c.primaries, c.slots_covered, c.moved, c.cross_slot);
    // [figures]
    expect(s.replies >= 12, "every command was answered");
    expect(cluster ? c.primaries >= 1 && c.slots_covered == 16384 && c.cross_slot == 1
                   : c.primaries == 0,
           "a whole cluster's map, or none for one Redis");
}

} // namespace

int main(int argc, char** argv) {
    // [connect]
    auto const url = redis::parse_url(argc > 1 ? argv[1] : "redis://127.0.0.1:7000");
    if (!url) {
        fmt::print(stderr, "{}\n", url.error().message());
        return 2;
    }
    asio::io_context io;
    redis::connection_options node; // every node's connection, the seed's address
    node.server = *url;
    node.command_timeout = 2s;
    redis::cluster_client redis(io.get_executor(), node); // does not connect yet

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            // Ready once it knows what the seed is: one Redis connected, or a
            // cluster's slot map read and every primary tried.
            co_await redis.async_connect(asio::use_awaitable);
            bool const cluster = redis.mode() == redis::cluster_mode::cluster;
            fmt::print("{} at {}\n", cluster ? "a cluster" : "a single Redis", node.server);
            co_await tour(redis);
            redis.close(); // else its connections stay, and io.run() would not return
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
