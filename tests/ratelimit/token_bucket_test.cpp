#include <apikit/ratelimit/token_bucket.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;
using rl_test::clock_ref;
using rl_test::manual;

TEST_CASE("token_bucket: 100 tokens, then refills at 10 per second") {
    manual mc{rl_test::start};
    token_bucket<clock_ref> b{rl_test::reference_limit(), clock_ref(mc)};
    for (int i = 0; i < 100; ++i)
        REQUIRE(b.try_acquire().value().allowed);
    auto const denied = b.try_acquire().value();
    CHECK_FALSE(denied.allowed);
    CHECK(denied.retry_after == 100ms);
    mc.advance(99ms);
    CHECK_FALSE(b.try_acquire().value().allowed);
    mc.advance(1ms);
    CHECK(b.try_acquire().value().allowed);
    CHECK_FALSE(b.try_acquire().value().allowed);
    mc.advance(1s);
    auto const peek = b.peek(mc.now());
    CHECK(peek.remaining == 10);
    CHECK(peek.reset_after == 9s);
    CHECK(b.try_acquire(10).value().allowed);
    CHECK_FALSE(b.try_acquire().value().allowed);
    b.reset();
    CHECK(b.peek(mc.now()).remaining == 100);
}

TEST_CASE("token_bucket: the time point overload reads no clock") {
    manual mc{rl_test::start};
    token_bucket<clock_ref> b{rl_test::reference_limit(), clock_ref(mc)};
    auto const t = mc.now() + 1h; // the manual clock stays where it is
    CHECK(b.try_acquire(100, t).value().allowed);
    CHECK_FALSE(b.try_acquire(1, t).value().allowed);
    CHECK(b.try_acquire(1, t + 100ms).value().allowed);
}

TEST_CASE("token_bucket: a cost above the capacity is an error, not a denial") {
    manual mc{rl_test::start};
    token_bucket<clock_ref> b{rl_test::reference_limit(), clock_ref(mc)};
    auto const r = b.try_acquire(101);
    REQUIRE(r.has_error());
    CHECK(r.error() == apikit::errc::cost_exceeds_capacity);
    CHECK(apikit::http_status(r.error()) == 422);
    CHECK(b.peek(mc.now()).remaining == 100); // nothing taken
    CHECK(b.try_acquire(100).value().allowed);
}

TEST_CASE("token_bucket: a clock stepping back never lets more through") {
    manual mc{rl_test::start};
    token_bucket<clock_ref> b{rl_test::reference_limit(), clock_ref(mc)};
    CHECK(b.try_acquire(100).value().allowed);
    mc.advance(5s); // 50 tokens back
    CHECK(b.try_acquire(50).value().allowed);
    mc.advance(-1h);
    auto const d = b.try_acquire().value();
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == 1h + 100ms);
    mc.advance(1h);
    CHECK_FALSE(b.try_acquire().value().allowed); // nothing gained by the detour
    mc.advance(100ms);
    CHECK(b.try_acquire().value().allowed);
}

TEST_CASE("token_bucket: threads on a frozen clock get exactly the capacity") {
    manual mc{rl_test::start};
    token_bucket<clock_ref> b{limit{"x", 1000, per_second(10)}, clock_ref(mc)};
    std::atomic<long> granted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            long mine = 0;
            for (int i = 0; i < 2000; ++i)
                mine += b.try_acquire().value().allowed;
            granted += mine;
        });
    for (auto& t : threads)
        t.join();
    CHECK(granted == 1000);
}

TEST_CASE("token_bucket: threads never get more than capacity + elapsed x rate") {
    // 50 tokens, one back every millisecond; a driver moves the clock 1 ms at
    // a time while four threads ask for weighted costs as fast as they can.
    manual mc{rl_test::start};
    token_bucket<clock_ref> b{limit{"x", 50, per_second(1000)}, clock_ref(mc)};
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> granted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            std::uint64_t mine = 0;
            rl_test::splitmix64 rng{static_cast<std::uint64_t>(t)};
            for (int i = 0; i < 400'000 && (i < 1000 || !done.load(std::memory_order_relaxed));
                 ++i) {
                auto const cost = 1 + rng.below(3);
                if (b.try_acquire(cost).value().allowed)
                    mine += cost;
            }
            granted += mine;
        });
    auto const t0 = mc.now();
    for (int step = 0; step < 300; ++step) {
        mc.advance(1ms);
        std::this_thread::yield();
    }
    auto const elapsed = mc.now() - t0;
    done = true;
    for (auto& t : threads)
        t.join();
    auto const bound = 50 + static_cast<std::uint64_t>(elapsed / 1ms);
    CAPTURE(granted.load());
    CHECK(granted <= bound);
    CHECK(granted >= 50); // the first 50 at least: the test did run
}
