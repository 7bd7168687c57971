// Helpers shared by the rate-limit tests: a manual clock plugged in by
// reference, and the reference configuration (100 tokens, 10 per second).
#ifndef APIKIT_TESTS_RATELIMIT_SUPPORT_HPP
#define APIKIT_TESTS_RATELIMIT_SUPPORT_HPP

#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>
#include <apikit/ratelimit/limit.hpp>

#include <chrono>
#include <cstdint>

namespace rl_test {

using namespace std::chrono_literals;
using manual = apikit::manual_clock<>;
using clock_ref = apikit::clock_ref<manual>;
using time_point = manual::time_point;

inline apikit::ratelimit::limit reference_limit() {
    return apikit::ratelimit::limit{"default", 100, apikit::ratelimit::per_second(10)};
}

inline apikit::ratelimit::policy reference_policy() {
    return apikit::ratelimit::policy{reference_limit()};
}

/// A start far from the clock's epoch, so tests also cover large TATs.
inline constexpr time_point start{std::chrono::hours(24 * 365)};

/// A deterministic PRNG (splitmix64) for traces and random keys.
struct splitmix64 {
    std::uint64_t state;
    std::uint64_t operator()() noexcept {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, n).
    std::uint64_t below(std::uint64_t n) noexcept { return (*this)() % n; }
};

} // namespace rl_test

#endif
