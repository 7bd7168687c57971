// The Asio wait, on simulated time: the limiter and the timer read one
// manual clock, and the io_context is only ever polled, so no test sleeps.
#include <apikit/ratelimit/async_wait.hpp>
#include <apikit/ratelimit/limiter.hpp>

#include "support.hpp"

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/wait_traits.hpp>

#include <doctest/doctest.h>

#include <optional>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// The time both the limiter and the timer see.
rl_test::manual sim_time{rl_test::start};

// A clock for Asio's timer: Asio calls a static now().
struct sim_clock {
    using rep = rl_test::manual::rep;
    using period = rl_test::manual::period;
    using duration = rl_test::manual::duration;
    using time_point = rl_test::manual::time_point;
    static time_point now() noexcept { return sim_time.now(); }
};

// Asio asks how long to block for a timer; simulated time never arrives by
// blocking, so the answer is "not at all" and each poll() re-checks expiry.
struct sim_wait_traits {
    static sim_clock::duration to_wait_duration(sim_clock::duration) { return {}; }
    static sim_clock::duration to_wait_duration(sim_clock::time_point const&) { return {}; }
};

using sim_timer = asio::basic_waitable_timer<sim_clock, sim_wait_traits>;
using sim_limiter = limiter<memory_store, rl_test::clock_ref>;

struct outcome {
    boost::system::error_code ec;
    policy_decision d;
};

auto record(std::optional<outcome>& out) {
    return [&out](boost::system::error_code ec, policy_decision d) { out = outcome{ec, d}; };
}

void poll_at(asio::io_context& io, std::chrono::nanoseconds advance) {
    sim_time.advance(advance);
    for (int i = 0; i < 3; ++i) {
        io.restart();
        io.poll();
    }
}

} // namespace

TEST_CASE("async_acquire_wait: granted at once completes on the executor, not inline") {
    asio::io_context io;
    sim_limiter lim{rl_test::reference_policy(), rl_test::clock_ref(sim_time)};
    sim_timer timer{io};
    std::optional<outcome> out;
    async_acquire_wait(lim, timer, "k", 1, {}, record(out));
    CHECK_FALSE(out); // never inside the initiating call
    poll_at(io, 0ns);
    REQUIRE(out);
    CHECK_FALSE(out->ec);
    CHECK(out->d.allowed);
    CHECK(out->d.remaining == 99);
}

TEST_CASE("async_acquire_wait: waits for the refill, then takes the tokens") {
    asio::io_context io;
    sim_limiter lim{rl_test::reference_policy(), rl_test::clock_ref(sim_time)};
    REQUIRE(lim.try_acquire("k", 100).value().allowed);
    sim_timer timer{io};
    std::optional<outcome> out;
    async_acquire_wait(lim, timer, "k", 3, {}, record(out));
    poll_at(io, 0ns);
    CHECK_FALSE(out);
    poll_at(io, 299ms);
    CHECK_FALSE(out); // three tokens take 300 ms
    poll_at(io, 1ms);
    REQUIRE(out);
    CHECK_FALSE(out->ec);
    CHECK(out->d.allowed);
    CHECK(out->d.remaining == 0);
    CHECK_FALSE(lim.try_acquire("k").value().allowed); // they were taken
}

TEST_CASE("async_acquire_wait: cancelled by the timer or a slot, nothing taken") {
    asio::io_context io;
    sim_limiter lim{rl_test::reference_policy(), rl_test::clock_ref(sim_time)};
    REQUIRE(lim.try_acquire("k", 100).value().allowed);
    sim_timer timer{io};
    std::optional<outcome> out;
    async_acquire_wait(lim, timer, "k", 1, {}, record(out));
    poll_at(io, 0ns);
    timer.cancel();
    poll_at(io, 0ns);
    REQUIRE(out);
    CHECK(out->ec == asio::error::operation_aborted);

    asio::cancellation_signal signal;
    std::optional<outcome> out2;
    async_acquire_wait(lim, timer, "k", 1, {},
                       asio::bind_cancellation_slot(signal.slot(), record(out2)));
    poll_at(io, 0ns);
    signal.emit(asio::cancellation_type::partial);
    poll_at(io, 0ns);
    REQUIRE(out2);
    CHECK(out2->ec == asio::error::operation_aborted);
    poll_at(io, 100ms);
    CHECK(lim.try_acquire("k").value().allowed); // the cancelled waiters took nothing
}

TEST_CASE("async_acquire_wait: a wait past max_wait is refused at once, with the denial") {
    asio::io_context io;
    sim_limiter lim{rl_test::reference_policy(), rl_test::clock_ref(sim_time)};
    REQUIRE(lim.try_acquire("k", 100).value().allowed);
    sim_timer timer{io};
    std::optional<outcome> out;
    async_acquire_wait(lim, timer, "k", 50, {.max_wait = 2s}, record(out));
    poll_at(io, 0ns);
    REQUIRE(out);
    CHECK(out->ec == apikit::errc::rate_limited);
    CHECK(out->d.retry_after == 5s);

    std::optional<outcome> too_big;
    async_acquire_wait(lim, timer, "k", 101, {}, record(too_big));
    poll_at(io, 0ns);
    REQUIRE(too_big);
    CHECK(too_big->ec == apikit::errc::cost_exceeds_capacity);
}

TEST_CASE("async_acquire_wait: jitter only ever wakes later, within its bound") {
    asio::io_context io;
    sim_limiter lim{rl_test::reference_policy(), rl_test::clock_ref(sim_time)};
    sim_timer timer{io};
    for (int round = 0; round < 20; ++round) {
        lim.get_store().clear();
        REQUIRE(lim.try_acquire("k", 100).value().allowed);
        std::optional<outcome> out;
        async_acquire_wait(lim, timer, "k", 1, {.jitter = 50ms}, record(out));
        poll_at(io, 0ns);
        poll_at(io, 99ms);
        CHECK_FALSE(out); // never before the retry-after
        poll_at(io, 51ms);
        REQUIRE(out); // never after retry-after + jitter
        CHECK(out->d.allowed);
    }
}
