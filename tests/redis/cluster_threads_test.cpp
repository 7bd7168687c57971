// One cluster client shared by threads while its map changes under them:
// commands are routed on the callers' threads, lock-free, while the client's
// strand rewrites the map after MOVED and refreshes. Run under
// ThreadSanitizer too (the file names std::thread).

#include <apikit/redis/cluster_client.hpp>

#include "../services/redis_cluster.hpp"
#include "support.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace redis_test;

} // namespace

TEST_CASE("redis cluster client: threads share one client while a slot moves under them") {
    apikit_test::redis_cluster cluster(3, 0);
    asio::io_context io;
    redis::cluster_options opts(cluster_seed_options(cluster.primary_ports()[0]));
    opts.min_refresh_interval = 5ms;
    redis::cluster_client client(io.get_executor(), opts);
    REQUIRE_FALSE(connect(io, client));

    // Keys in the slot that moves, and keys elsewhere.
    std::vector<std::string> keys;
    for (int i = 0; i < 8; ++i)
        keys.push_back(fmt::format("threads:{{t}}:{}", i));
    for (int i = 0; i < 8; ++i)
        keys.push_back(fmt::format("threads:other:{}", i));
    auto const slot = redis::hash_slot(keys[0]);
    auto const source = cluster.primary_of_slot(slot);
    std::uint16_t target = 0;
    for (auto p : cluster.primary_ports())
        if (p != source)
            target = p;

    auto work = asio::make_work_guard(io);
    std::vector<std::thread> runners;
    for (int i = 0; i < 2; ++i)
        runners.emplace_back([&] { io.run(); });

    constexpr int per_thread = 400;
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 2; ++t)
        callers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                auto const& k = keys[static_cast<std::size_t>((i + t) % 16)];
                client.async_exec({"INCR", k}, [&](error_code ec, redis::reply r) {
                    if (ec || !r.is_integer())
                        failed.fetch_add(1);
                    done.fetch_add(1);
                });
                if (i % 50 == 0)
                    std::this_thread::yield();
            }
        });

    // The slot moves while the callers send: every key of it, then the slot.
    auto const source_id = cluster.node_id(source);
    auto const target_id = cluster.node_id(target);
    auto const s = std::to_string(slot);
    cluster.command(target, {"CLUSTER", "SETSLOT", s, "IMPORTING", source_id});
    cluster.command(source, {"CLUSTER", "SETSLOT", s, "MIGRATING", target_id});
    for (int i = 0; i < 8; ++i)
        cluster.command(source, {"MIGRATE", "127.0.0.1", std::to_string(target),
                                 keys[static_cast<std::size_t>(i)], "0", "5000"});
    for (auto p : cluster.primary_ports())
        cluster.command(p, {"CLUSTER", "SETSLOT", s, "NODE", target_id});

    for (auto& c : callers)
        c.join();
    auto const end = std::chrono::steady_clock::now() + 20s;
    while (done.load() < 2 * per_thread && std::chrono::steady_clock::now() < end)
        std::this_thread::yield();
    work.reset();
    REQUIRE(done.load() == 2 * per_thread);

    // Whatever node ran them, every INCR counted once.
    std::int64_t total = 0;
    for (auto const& k : keys) {
        std::atomic<bool> got{false};
        std::int64_t v = 0;
        client.async_exec({"GET", k}, [&](error_code ec, redis::reply r) {
            if (!ec && r.is_string())
                v = std::stoll(std::string(r.text()));
            got.store(true);
        });
        auto const until = std::chrono::steady_clock::now() + 20s;
        while (!got.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::yield();
        REQUIRE(got.load());
        total += v;
    }
    client.close();
    for (auto& r : runners)
        r.join();
    CHECK(failed.load() == 0);
    CHECK(total == 2 * per_thread);
}
