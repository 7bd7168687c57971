#include <apikit/ratelimit/memory_store.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;

namespace {

constexpr nanoseconds origin = 1000h;

std::string random_key(rl_test::splitmix64& rng) {
    return "ip:" + std::to_string(rng());
}

} // namespace

TEST_CASE("memory_store: endless random keys cannot grow it past its bound") {
    memory_store s{{.max_keys = 1000, .shards = 4}};
    CHECK(s.max_keys() == 1000);
    auto const p = rl_test::reference_policy();
    rl_test::splitmix64 rng{7};
    auto now = origin;
    std::size_t peak = 0;
    for (int i = 0; i < 100'000; ++i) {
        // Each key takes one token and comes back 100 ms later: none is idle
        // when the next arrives, so the bound is reached by eviction.
        REQUIRE(s.try_acquire(random_key(rng), p, 1, now).value().allowed);
        now += 1us;
        if (i % 1000 == 0)
            peak = std::max(peak, s.size());
    }
    CHECK(peak <= s.max_keys());
    CHECK(s.size() <= s.max_keys());
    CHECK(s.size() >= s.max_keys() / 2); // it did fill up
    CHECK(s.memory_bytes() <= s.max_memory_bytes());
}

TEST_CASE("memory_store: a flood evicts idle and nearly idle keys before a busy one") {
    memory_store s{{.max_keys = 512, .shards = 1}};
    auto const p = rl_test::reference_policy();
    REQUIRE(s.try_acquire("busy", p, 100, origin).value().allowed); // owes 10 s
    rl_test::splitmix64 rng{11};
    for (int i = 0; i < 20'000; ++i)
        REQUIRE(s.try_acquire(random_key(rng), p, 1, origin + 1ms).value().allowed);
    CHECK(s.size() <= 512);
    // Its state survived: still drained.
    CHECK_FALSE(s.try_acquire("busy", p, 1, origin + 1ms).value().allowed);
}

TEST_CASE("memory_store: idle keys carry nothing and are dropped") {
    memory_store s{{.max_keys = 4096, .shards = 4}};
    auto const p = rl_test::reference_policy();
    rl_test::splitmix64 rng{3};
    for (int i = 0; i < 1000; ++i)
        REQUIRE(s.try_acquire(random_key(rng), p, 10, origin).value().allowed);
    REQUIRE(s.try_acquire("drained", p, 100, origin).value().allowed);
    CHECK(s.size() == 1001);
    CHECK(s.purge(origin + 1s) == 1000); // their buckets are full again
    CHECK(s.size() == 1);
    CHECK_FALSE(s.try_acquire("drained", p, 11, origin + 1s).value().allowed); // 10 back
    CHECK(s.purge(origin + 10s) == 1);
    CHECK(s.size() == 0);
    // Growth drops idle keys too: a steady trickle of keys that are full
    // again a second later never grows the table past its first size.
    memory_store t{{.max_keys = 1 << 16, .shards = 1}};
    auto now = origin;
    for (int i = 0; i < 50'000; ++i, now += 10ms)
        REQUIRE(t.try_acquire(random_key(rng), p, 1, now).value().allowed);
    CHECK(t.size() <= 48);
    CHECK(t.memory_bytes() < 4096);
}

TEST_CASE("memory_store: memory per key is at most 64 bytes") {
    memory_store s{{.max_keys = 1 << 16, .shards = 16}};
    auto const p = rl_test::reference_policy();
    rl_test::splitmix64 rng{5};
    for (std::size_t n = 1; n <= s.max_keys(); ++n) {
        REQUIRE(s.try_acquire(random_key(rng), p, 1, origin).value().allowed);
        if (n >= 4096 && (n & (n - 1)) == 0) {
            CAPTURE(n);
            CHECK(s.memory_bytes() <= 64 * n);
        }
    }
    // At the bound: about 32 bytes each, and never more than 64.
    auto const per_key = static_cast<double>(s.memory_bytes()) / static_cast<double>(s.size());
    MESSAGE("memory per key at the bound: " << per_key << " bytes");
    CHECK(per_key <= 64.0);
    CHECK(s.max_memory_bytes() <= 64 * s.max_keys());
}

TEST_CASE("memory_store: a shard count that is not a power of two is refused") {
    CHECK_THROWS_AS(memory_store({.max_keys = 100, .shards = 3}), std::invalid_argument);
    CHECK_THROWS_AS(memory_store({.max_keys = 100, .shards = 0}), std::invalid_argument);
    CHECK_NOTHROW(memory_store({.max_keys = 1, .shards = 1}));
}

TEST_CASE("memory_store: peek reports without taking or adding") {
    memory_store s{{.max_keys = 64, .shards = 1}};
    auto const p = rl_test::reference_policy();
    auto const before = s.peek("k", p, 1, origin).value();
    CHECK(before.allowed);
    CHECK(before.remaining == 100);
    CHECK(s.size() == 0);
    REQUIRE(s.try_acquire("k", p, 60, origin).value().allowed);
    CHECK(s.peek("k", p, 1, origin).value().remaining == 40);
    CHECK_FALSE(s.peek("k", p, 41, origin).value().allowed);
    CHECK(s.peek("k", p, 101, origin).error() == apikit::errc::cost_exceeds_capacity);
    s.clear();
    CHECK(s.peek("k", p, 1, origin).value().remaining == 100);
}

TEST_CASE("memory_store: threads on one key never exceed any limit of the policy") {
    // burst: 20 tokens, 1 per ms; slow: 60 tokens, 1 per 10 ms. Each granted
    // request took from both; a denied one may have taken from "burst" only
    // if it lost a race (never more than allowed).
    memory_store s{{.max_keys = 64, .shards = 1}};
    policy const p{limit{"burst", 20, per_second(1000)}, limit{"slow", 60, per_second(100)}};
    rl_test::manual mc{rl_test::start};
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> granted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            std::uint64_t mine = 0;
            for (int i = 0; i < 200'000 && (i < 1000 || !done.load(std::memory_order_relaxed));
                 ++i) {
                auto const now = nanoseconds(apikit::ratelimit::to_ns(mc.now()));
                mine += s.try_acquire("hot", p, 1, now).value().allowed;
            }
            granted += mine;
        });
    auto const t_start = mc.now();
    for (int step = 0; step < 400; ++step) {
        mc.advance(1ms);
        std::this_thread::yield();
    }
    auto const elapsed = mc.now() - t_start;
    done = true;
    for (auto& t : threads)
        t.join();
    CAPTURE(granted.load());
    CHECK(granted <= 20 + static_cast<std::uint64_t>(elapsed / 1ms));
    CHECK(granted <= 60 + static_cast<std::uint64_t>(elapsed / 10ms));
    CHECK(granted >= 20);
}

TEST_CASE("memory_store: threads inserting, deciding and evicting keep every key exact") {
    // Many keys in a small store: inserts and evictions run under the
    // exclusive lock while other threads decide under the shared one.
    memory_store s{{.max_keys = 256, .shards = 2}};
    auto const p = policy{limit{"x", 5, per_second(1)}};
    // "hot" is drained first: it owes 5 s, more than any flood key (1 s), so
    // eviction never picks it and it must stay drained throughout.
    REQUIRE(s.try_acquire("hot", p, 5, origin).value().allowed);
    std::vector<std::thread> threads;
    std::atomic<std::uint64_t> granted_hot{0}, denied_new{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            rl_test::splitmix64 rng{100 + static_cast<std::uint64_t>(t)};
            std::uint64_t hot = 0, denied = 0;
            for (int i = 0; i < 20'000; ++i) {
                if (i % 4 == 0)
                    hot += s.try_acquire("hot", p, 1, origin).value().allowed;
                else
                    denied += !s.try_acquire(random_key(rng), p, 1, origin).value().allowed;
            }
            granted_hot += hot;
            denied_new += denied;
        });
    for (auto& t : threads)
        t.join();
    CHECK(s.size() <= s.max_keys());
    CHECK(granted_hot == 0);
    CHECK(denied_new == 0); // every new key starts full
}
