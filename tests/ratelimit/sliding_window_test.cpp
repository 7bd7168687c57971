#include <apikit/ratelimit/sliding_window.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <string>
#include <vector>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t s = 1'000'000'000;

window_limit per_10s(std::uint64_t n) {
    return window_limit{"w", n, 10s};
}

} // namespace

TEST_CASE("window_limit refuses what no window could hold") {
    CHECK_THROWS_AS(window_limit("w", 0, 1s), std::invalid_argument);
    CHECK_THROWS_AS(window_limit("w", std::uint64_t{1} << 32, 1s), std::invalid_argument);
    CHECK_THROWS_AS(window_limit("w", 10, 0s), std::invalid_argument);
    CHECK_THROWS_AS(window_limit("w", 10, -1s), std::invalid_argument);
    CHECK_THROWS_AS(window_limit("", 10, 1s), std::invalid_argument);
    CHECK_THROWS_AS((sliding_window<sliding_log>(window_limit("w", 100'000, 1s))),
                    std::invalid_argument);
    CHECK_NOTHROW((sliding_window<sliding_counter>(window_limit("w", 100'000, 1s))));
}

TEST_CASE("sliding_log: exact at the window's edge") {
    sliding_log log;
    auto const l = per_10s(3);
    CHECK(log.try_acquire(0, 1, l).allowed);
    CHECK(log.try_acquire(1 * s, 1, l).allowed);
    auto const third = log.try_acquire(2 * s, 1, l);
    CHECK(third.allowed);
    CHECK(third.remaining == 0);
    CHECK(third.reset_after == 10s); // the last one leaves at 12 s
    auto const denied = log.try_acquire(3 * s, 1, l);
    CHECK_FALSE(denied.allowed);
    CHECK(denied.retry_after == 7s); // the first one leaves at 10 s
    CHECK_FALSE(log.try_acquire(10 * s - 1, 1, l).allowed);
    CHECK(log.try_acquire(10 * s, 1, l).allowed);
    CHECK_FALSE(log.try_acquire(10 * s, 1, l).allowed);
    CHECK(log.try_acquire(12 * s, 2, l).allowed); // 1 s and 2 s have left
}

TEST_CASE("sliding_log: a weighted request needs room for its whole cost") {
    sliding_log log;
    auto const l = per_10s(3);
    CHECK(log.try_acquire(0, 2, l).allowed);
    CHECK(log.try_acquire(4 * s, 1, l).allowed);
    auto const d = log.try_acquire(5 * s, 2, l);
    CHECK_FALSE(d.allowed);
    CHECK(d.remaining == 0);
    CHECK(d.retry_after == 5s); // both tokens of the first request leave at 10 s
    CHECK(log.try_acquire(10 * s, 2, l).allowed);
}

TEST_CASE("sliding_log: a clock stepping back never lets more through") {
    sliding_log log;
    auto const l = per_10s(3);
    for (int i = 0; i < 3; ++i)
        CHECK(log.try_acquire(100 * s, 1, l).allowed);
    auto const back = log.try_acquire(50 * s, 1, l);
    CHECK_FALSE(back.allowed);
    CHECK(back.retry_after == 60s);
    CHECK_FALSE(log.try_acquire(109 * s, 1, l).allowed);
    CHECK(log.try_acquire(110 * s, 1, l).allowed);
}

TEST_CASE("sliding_counter: weighs the previous window by what is left of it") {
    sliding_counter c;
    window_limit const l{"w", 10, 60s};
    for (int i = 0; i < 10; ++i)
        REQUIRE(c.try_acquire(0, 1, l).allowed);
    auto const denied = c.try_acquire(0, 1, l);
    CHECK_FALSE(denied.allowed);
    CHECK(denied.remaining == 0);
    // Next window: the ten weigh 10 × (60 - e) / 60; one more fits from e = 6 s.
    CHECK(denied.retry_after == 66s);
    auto probe = c;
    CHECK_FALSE(probe.try_acquire(66 * s - 1, 1, l).allowed);
    probe = c;
    CHECK(probe.try_acquire(66 * s, 1, l).allowed);
    // Half way through the next window, 5 of the 10 still count.
    auto const half = c.try_acquire(90 * s, 1, l);
    CHECK(half.allowed);
    CHECK(half.remaining == 4);
    // Two windows later nothing counts.
    auto const fresh = c.try_acquire(180 * s, 10, l);
    CHECK(fresh.allowed);
}

TEST_CASE("sliding_counter: a clock stepping back is judged where the estimate is highest") {
    sliding_counter c;
    window_limit const l{"w", 10, 60s};
    for (int i = 0; i < 10; ++i)
        REQUIRE(c.try_acquire(30 * s, 1, l).allowed);
    // At 90 s half the window is gone: 5 fit. Stepping back into window 0
    // must not reopen it.
    auto copy = c;
    CHECK(copy.try_acquire(90 * s, 5, l).allowed);
    CHECK_FALSE(copy.try_acquire(20 * s, 1, l).allowed);
    CHECK_FALSE(c.try_acquire(-5 * s, 1, l).allowed);
}

TEST_CASE("sliding_counter: retry_after is the exact wait on random traffic") {
    window_limit const l{"w", 20, 7s};
    rl_test::splitmix64 rng{99};
    sliding_counter c;
    std::int64_t now = 3 * s;
    int denials = 0;
    for (int i = 0; i < 5000; ++i) {
        now += static_cast<std::int64_t>(rng.below(800'000'000));
        auto const cost = 1 + rng.below(6);
        auto before = c;
        auto const d = c.try_acquire(now, cost, l);
        if (d.allowed)
            continue;
        ++denials;
        auto const r = d.retry_after.count();
        REQUIRE(r > 0);
        auto early = before;
        REQUIRE_FALSE(early.try_acquire(now + r - 1, cost, l).allowed);
        auto on_time = before;
        REQUIRE(on_time.try_acquire(now + r, cost, l).allowed);
    }
    CHECK(denials > 100);
}

TEST_CASE("sliding_log: retry_after is the exact wait on random traffic") {
    window_limit const l{"w", 20, 7s};
    rl_test::splitmix64 rng{98};
    sliding_log log;
    std::deque<std::pair<std::int64_t, std::uint64_t>> history; // to rebuild copies
    std::int64_t now = 3 * s;
    auto replay = [&] {
        sliding_log copy;
        for (auto [t, cost] : history)
            (void)copy.try_acquire(t, cost, l);
        return copy;
    };
    int denials = 0;
    for (int i = 0; i < 800; ++i) {
        now += static_cast<std::int64_t>(rng.below(800'000'000));
        auto const cost = 1 + rng.below(6);
        auto const d = log.try_acquire(now, cost, l);
        if (d.allowed) {
            history.emplace_back(now, cost);
            while (history.size() > 40)
                history.pop_front();
            continue;
        }
        ++denials;
        auto const r = d.retry_after.count();
        auto early = replay();
        REQUIRE_FALSE(early.try_acquire(now + r - 1, cost, l).allowed);
        auto on_time = replay();
        REQUIRE(on_time.try_acquire(now + r, cost, l).allowed);
    }
    CHECK(denials > 50);
}

TEST_CASE("sliding_window: keys are independent and the map is bounded") {
    rl_test::manual mc{rl_test::start};
    sliding_window<sliding_log, rl_test::clock_ref> w{
        window_limit{"minute", 100, 60s}, {.max_keys = 256, .shards = 4}, rl_test::clock_ref(mc)};
    for (int i = 0; i < 100; ++i)
        REQUIRE(w.try_acquire("user_1").value().allowed);
    auto const d = w.try_acquire("user_1").value();
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == 60s);
    REQUIRE(d.limits().size() == 1);
    CHECK(d.limits()[0].name == "minute");
    CHECK(d.limits()[0].window == 60s);
    CHECK(w.try_acquire("user_2").value().allowed);
    CHECK(w.try_acquire("user_2", 101).error() == apikit::errc::cost_exceeds_capacity);
    rl_test::splitmix64 rng{1};
    for (int i = 0; i < 10'000; ++i) {
        mc.advance(1ms);
        REQUIRE(w.try_acquire("ip:" + std::to_string(rng())).value().allowed);
    }
    CHECK(w.size() <= w.max_keys());
    CHECK(w.max_keys() == 256);
}

namespace {

struct trace_errors {
    long requests = 0;
    long log_allowed = 0;
    long counter_allowed = 0;
    long wrong_allow = 0;  // the counter, given the log's history, would allow what it denies
    long wrong_deny = 0;   // ... would deny what it allows
    std::size_t worst = 0; // most the counter admitted (on its own) in any true window
};

// Runs one trace through the exact log and through the counter. Two error
// measures: per decision, the counter judged on the log's own history (a
// shadow counter fed exactly what the log admitted, so one disagreement does
// not snowball); and, running the counter on its own, the most it admitted
// in any true sliding window.
template <class Trace>
trace_errors measure(window_limit const& l, Trace&& next_gap, long requests) {
    sliding_log log;
    sliding_counter counter;
    // A counter with a limit it never reaches, fed what the log admits: its
    // `remaining` reads the counter's estimate on the log's history.
    window_limit const unbounded{"u", std::numeric_limits<std::uint32_t>::max(), l.window()};
    sliding_counter shadow;
    std::vector<std::int64_t> admitted;
    trace_errors e;
    std::int64_t now = 1000 * s;
    for (long r = 0; r < requests; ++r) {
        now += next_gap();
        ++e.requests;
        bool const exact = log.try_acquire(now, 1, l).allowed;
        auto probe = shadow;
        auto const estimate = unbounded.limit() - probe.try_acquire(now, 0, unbounded).remaining;
        bool const would = estimate + 1 <= l.limit();
        e.wrong_allow += would && !exact;
        e.wrong_deny += !would && exact;
        if (exact)
            (void)shadow.try_acquire(now, 1, unbounded);
        e.log_allowed += exact;
        if (counter.try_acquire(now, 1, l).allowed) {
            ++e.counter_allowed;
            admitted.push_back(now);
        }
    }
    for (std::size_t i = 0, j = 0; j < admitted.size(); ++j) {
        while (admitted[i] <= admitted[j] - l.window_ns())
            ++i;
        e.worst = std::max(e.worst, j - i + 1);
    }
    return e;
}

void report(std::string const& name, trace_errors const& e) {
    auto const pct = [&](long x) {
        return 100.0 * static_cast<double>(x) / static_cast<double>(e.requests);
    };
    MESSAGE(name << ": " << e.requests << " requests; log admitted " << e.log_allowed
                 << ", counter admitted " << e.counter_allowed << "; counter wrong on the log's "
                 << "history: allowed " << pct(e.wrong_allow) << "%, denied " << pct(e.wrong_deny)
                 << "%; most in any true window " << e.worst);
}

} // namespace

TEST_CASE("sliding_counter against the exact log on a bursty trace") {
    // 100 per minute. Bursts (a client firing 20 to 300 requests at 2 to 50
    // per second) separated by pauses of 0 to 120 s, from a fixed seed.
    window_limit const l{"minute", 100, 60s};
    rl_test::splitmix64 rng{2024};
    std::uint64_t left = 0;
    std::int64_t gap = 0;
    auto const next = [&]() -> std::int64_t {
        std::int64_t pause = 0;
        if (left == 0) {
            left = 20 + rng.below(281);
            gap = static_cast<std::int64_t>(s / (2 + rng.below(49)));
            pause = static_cast<std::int64_t>(rng.below(120)) * s;
        }
        --left;
        return pause + gap;
    };
    auto const e = measure(l, next, 300'000);
    report("bursty", e);
    // The counter over-admits when a burst sat at the end of the previous
    // window (it assumes the burst was spread evenly), but never reaches
    // twice the limit: what it admits in the current window is at most
    // limit - prev·(w - e)/w, and the true window holds at most prev more.
    CHECK(e.worst > 100);
    CHECK(e.worst < 200);
    // Measured with this seed (docs/ratelimit.md): a client hammering at and
    // over its limit keeps the estimate at the threshold, where a quarter of
    // the decisions go the other way; in total the counter admits within 2 %
    // of the log. The bounds leave room for a changed trace, not for a broken
    // counter.
    CHECK(e.wrong_allow + e.wrong_deny < e.requests * 35 / 100);
    CHECK(e.counter_allowed < e.log_allowed * 102 / 100);
    CHECK(e.counter_allowed > e.log_allowed * 98 / 100);
}

TEST_CASE("sliding_counter against the exact log on steady traffic") {
    // 100 per minute; requests arrive at random (exponential gaps averaging
    // 0.5 s: 120 per minute, 20 % over the limit).
    window_limit const l{"minute", 100, 60s};
    rl_test::splitmix64 rng{7};
    auto const next = [&]() -> std::int64_t {
        // Inverse transform of a uniform in (0, 1].
        double const u = static_cast<double>(rng.below(1u << 30) + 1) / double(1u << 30);
        return static_cast<std::int64_t>(-std::log(u) * 0.5e9);
    };
    auto const e = measure(l, next, 300'000);
    report("steady", e);
    CHECK(e.worst < 200);
    CHECK(e.wrong_allow + e.wrong_deny < e.requests * 40 / 100);
    CHECK(e.counter_allowed < e.log_allowed * 102 / 100);
}

TEST_CASE("sliding_counter against the exact log under the limit") {
    // 100 per minute; bursts of 5 to 40 requests, 1 to 10 per second, then
    // pauses of 0 to 60 s: mostly under the limit, sometimes at it.
    window_limit const l{"minute", 100, 60s};
    rl_test::splitmix64 rng{3};
    std::uint64_t left = 0;
    std::int64_t gap = 0;
    auto const next = [&]() -> std::int64_t {
        std::int64_t pause = 0;
        if (left == 0) {
            left = 5 + rng.below(36);
            gap = static_cast<std::int64_t>(s / (1 + rng.below(10)));
            pause = static_cast<std::int64_t>(rng.below(60)) * s;
        }
        --left;
        return pause + gap;
    };
    auto const e = measure(l, next, 300'000);
    report("under the limit", e);
    CHECK(e.worst < 200);
    CHECK(e.wrong_allow + e.wrong_deny < e.requests * 5 / 100);
}
