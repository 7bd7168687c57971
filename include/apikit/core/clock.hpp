#ifndef APIKIT_CORE_CLOCK_HPP
#define APIKIT_CORE_CLOCK_HPP

// Time as a policy. Every pattern that reads the time (a limiter's refill, a
// token's expiry, a log line's timestamp) takes a clock object rather than
// calling std::chrono directly, so that tests drive time by hand and never
// sleep.

#include <atomic>
#include <chrono>
#include <concepts>

namespace apikit {

/// A clock object: `c.now()` returns its `time_point`. Unlike the standard
/// Cpp17Clock requirement, `now()` is called on an object, so a clock may carry
/// state (a manual clock, a clock shifted for a test); the standard clocks,
/// whose `now()` is static, model it too.
template <class C>
concept clock = requires(C const& c) {
    typename C::rep;
    typename C::period;
    typename C::duration;
    typename C::time_point;
    { c.now() } -> std::same_as<typename C::time_point>;
};

/// The standard clocks model `apikit::clock` as they are: a static `now()` is
/// callable on an object too. These names are for code that spells its
/// defaults in apikit's namespace.
using steady_clock = std::chrono::steady_clock; ///< intervals, timeouts, limiters
using system_clock = std::chrono::system_clock; ///< timestamps, epoch seconds sent to clients

/// A clock that moves only when told to. Its `time_point` is the base clock's,
/// so it plugs in wherever the base clock does. Safe to read from many
/// threads while one thread advances it, so concurrency tests can use it too;
/// it may be set backwards, to test code against a clock that steps back.
template <class BaseClock = std::chrono::steady_clock>
class manual_clock {
public:
    using rep = typename BaseClock::rep;
    using period = typename BaseClock::period;
    using duration = typename BaseClock::duration;
    using time_point = typename BaseClock::time_point;

    constexpr manual_clock() noexcept = default;
    constexpr explicit manual_clock(time_point start) noexcept
        : ticks_(start.time_since_epoch().count()) {}

    [[nodiscard]] time_point now() const noexcept {
        return time_point(duration(ticks_.load(std::memory_order_acquire)));
    }

    /// Moves the clock by `d`; a negative `d` moves it back.
    template <class Rep, class Period>
    void advance(std::chrono::duration<Rep, Period> d) noexcept {
        ticks_.fetch_add(std::chrono::duration_cast<duration>(d).count(),
                         std::memory_order_acq_rel);
    }

    void set(time_point t) noexcept {
        ticks_.store(t.time_since_epoch().count(), std::memory_order_release);
    }

private:
    std::atomic<rep> ticks_{0};
};

static_assert(clock<std::chrono::steady_clock>,
              "std::chrono::steady_clock must model apikit::clock");
static_assert(clock<std::chrono::system_clock>,
              "std::chrono::system_clock must model apikit::clock");
static_assert(clock<manual_clock<>>, "apikit::manual_clock must model apikit::clock");

} // namespace apikit

#endif
