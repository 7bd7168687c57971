#include <apikit/ratelimit/gcra.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t sec = 1000 * ms;

gcra::params reference() {
    return gcra::params::of(rl_test::reference_limit());
}

} // namespace

TEST_CASE("a fresh bucket is full and a request takes its cost") {
    auto const r = gcra::evaluate(gcra::full, 5 * sec, 1, reference());
    CHECK(r.d.allowed);
    CHECK(r.d.limit == 100);
    CHECK(r.d.remaining == 99);
    CHECK(r.d.reset_after == 100ms);
    CHECK(r.d.retry_after == 0ns);
    CHECK(r.tat == 5 * sec + 100 * ms);
}

TEST_CASE("a drained bucket denies and says when one token is back") {
    std::int64_t tat = gcra::full;
    std::int64_t const now = 5 * sec;
    for (int i = 0; i < 100; ++i) {
        auto const r = gcra::evaluate(tat, now, 1, reference());
        REQUIRE(r.d.allowed);
        CHECK(r.d.remaining == static_cast<std::uint64_t>(99 - i));
        tat = r.tat;
    }
    auto const denied = gcra::evaluate(tat, now, 1, reference());
    CHECK_FALSE(denied.d.allowed);
    CHECK(denied.d.remaining == 0);
    CHECK(denied.d.reset_after == 10s);
    CHECK(denied.d.retry_after == 100ms);
    CHECK(denied.tat == tat); // a denial changes nothing
}

TEST_CASE("tokens come back at the refill rate, rounded down") {
    std::int64_t const now = 5 * sec;
    std::int64_t const empty = now + 10 * sec; // TAT of a bucket drained at `now`
    CHECK(gcra::standing(empty, now + 99 * ms, 1, reference()).remaining == 0);
    CHECK(gcra::standing(empty, now + 100 * ms, 1, reference()).remaining == 1);
    CHECK(gcra::standing(empty, now + 250 * ms, 1, reference()).remaining == 2);
    CHECK(gcra::standing(empty, now + 10 * sec, 1, reference()).remaining == 100);
    CHECK(gcra::standing(empty, now + 1000 * sec, 1, reference()).remaining == 100);
    auto const two = gcra::evaluate(empty, now + 250 * ms, 2, reference());
    CHECK(two.d.allowed);
    CHECK(two.d.remaining == 0);
    CHECK_FALSE(gcra::evaluate(two.tat, now + 250 * ms, 1, reference()).d.allowed);
}

TEST_CASE("a weighted request takes its whole cost or nothing") {
    auto const a = gcra::evaluate(gcra::full, 0, 30, reference());
    CHECK(a.d.allowed);
    CHECK(a.d.remaining == 70);
    CHECK(a.d.reset_after == 3s);
    auto const b = gcra::evaluate(a.tat, 0, 71, reference());
    CHECK_FALSE(b.d.allowed);
    CHECK(b.d.remaining == 70);
    CHECK(b.d.retry_after == 100ms); // one more token
    auto const c = gcra::evaluate(a.tat, 100 * ms, 71, reference());
    CHECK(c.d.allowed);
    CHECK(c.d.remaining == 0);
}

TEST_CASE("a cost of zero asks and takes nothing") {
    auto const a = gcra::evaluate(gcra::full, 0, 40, reference());
    auto const z = gcra::evaluate(a.tat, 0, 0, reference());
    CHECK(z.d.allowed);
    CHECK(z.d.remaining == 60);
    CHECK(z.tat == a.tat);
}

TEST_CASE("a clock that steps back sees fewer tokens, never more") {
    std::int64_t tat = gcra::full;
    for (int i = 0; i < 100; ++i)
        tat = gcra::evaluate(tat, 100 * sec, 1, reference()).tat;
    // Five seconds later, half the bucket is back...
    CHECK(gcra::standing(tat, 105 * sec, 1, reference()).remaining == 50);
    // ...but a clock stepped back five seconds before the drain sees none,
    // and is told to wait for the time it lost as well.
    auto const back = gcra::evaluate(tat, 95 * sec, 1, reference());
    CHECK_FALSE(back.d.allowed);
    CHECK(back.d.remaining == 0);
    CHECK(back.d.retry_after == 5s + 100ms);
    CHECK(back.d.reset_after == 15s);
}

TEST_CASE("GCRA matches a token counter on random traffic") {
    // The reference model: tokens counted in nanoseconds of refill, capped at
    // the window. Equivalent to GCRA for a clock that never steps back.
    auto const p = gcra::params::of(limit{"r", 7, per_second(3)});
    rl_test::splitmix64 rng{42};
    std::int64_t tat = gcra::full;
    std::int64_t avail = p.window;
    std::int64_t now = 1000 * sec, last = now;
    for (int i = 0; i < 20000; ++i) {
        now += static_cast<std::int64_t>(rng.below(400 * ms));
        avail = std::min(p.window, avail + (now - last));
        last = now;
        auto const cost = rng.below(8);
        auto const r = gcra::evaluate(tat, now, cost, p);
        bool const model = avail >= static_cast<std::int64_t>(cost) * p.interval;
        REQUIRE(r.d.allowed == model);
        if (model) {
            avail -= static_cast<std::int64_t>(cost) * p.interval;
            tat = r.tat;
        }
        // After the request when allowed, before it when denied.
        REQUIRE(r.d.remaining == static_cast<std::uint64_t>(avail / p.interval));
        REQUIRE(r.d.reset_after.count() == p.window - avail);
        if (!model)
            REQUIRE(r.d.retry_after.count() ==
                    static_cast<std::int64_t>(cost) * p.interval - avail);
    }
}

TEST_CASE("gcra::take decides as evaluate does, and moves the TAT only when it grants") {
    auto const p = gcra::params::of(limit{"r", 7, per_second(3)});
    rl_test::splitmix64 rng{7};
    std::atomic<std::int64_t> bucket{gcra::full};
    std::int64_t tat = gcra::full;
    std::int64_t now = 1000 * sec;
    for (int i = 0; i < 20000; ++i) {
        now += static_cast<std::int64_t>(rng.below(400 * ms));
        auto const cost = rng.below(8);
        auto const expected = gcra::evaluate(tat, now, cost, p);
        REQUIRE(gcra::take(bucket, now, cost, p) == expected.d);
        if (cost != 0) // a cost of zero writes nothing
            tat = expected.tat;
        REQUIRE(bucket.load() == tat);
    }
}

TEST_CASE("gcra::all_or_nothing grants only when every limit grants") {
    policy const p{limit{"burst", 10, per_second(1)}, limit{"hour", 20, per_hour(20)}};
    std::int64_t const now = 5000 * sec;
    gcra::all_or_nothing ev(p, now, 4);
    auto const burst = gcra::params::of(p[0]), hour = gcra::params::of(p[1]);
    auto const hour_tat = now + 17 * 180 * sec; // 3 of 20 left: 4 do not fit
    CHECK(ev.judge(0, gcra::full));
    CHECK_FALSE(ev.judge(1, hour_tat));
    CHECK_FALSE(ev.allowed());
    auto const denied = ev.decision();
    CHECK_FALSE(denied.allowed);
    REQUIRE(denied.limits().size() == 2);
    // The burst would have granted it, but nothing is taken: it stands full.
    CHECK(denied.limits()[0].allowed);
    CHECK(denied.limits()[0].remaining == 10);
    CHECK(static_cast<decision const&>(denied.limits()[0]) ==
          gcra::standing(gcra::full, now, 4, burst));
    CHECK(static_cast<decision const&>(denied.limits()[1]) ==
          gcra::standing(hour_tat, now, 4, hour));
    CHECK(denied.limits()[1].name == "hour");
    CHECK(denied.retry_after == 180s); // the denying limit binds

    // Judged again at a TAT where it fits (as a store does after a failed
    // compare-and-swap), every limit grants and says what it left.
    CHECK(ev.judge(1, now + 16 * 180 * sec));
    CHECK(ev.allowed());
    CHECK(ev.seen(1) == now + 16 * 180 * sec);
    CHECK(ev.next_tat(0) == gcra::evaluate(gcra::full, now, 4, burst).tat);
    CHECK(ev.next_tat(1) == now + 20 * 180 * sec);
    auto const granted = ev.decision();
    CHECK(granted.allowed);
    CHECK(granted.limits()[0].remaining == 6);
    CHECK(granted.limits()[1].remaining == 0);
    CHECK(granted.remaining == 0); // the limit with the fewest tokens left binds
    CHECK(granted.limit == 20);
}
