// Archetypes: the least a type must provide to model each core concept. If a
// concept grows a requirement, the archetype stops compiling here first.
#include <apikit/core/clock.hpp>

#include <doctest/doctest.h>

#include <chrono>

namespace {

struct clock_archetype {
    using rep = long;
    using period = std::milli;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<clock_archetype, duration>;
    time_point now() const { return time_point{}; }
};

struct clock_without_now {
    using rep = long;
    using period = std::milli;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<clock_without_now, duration>;
};

struct clock_with_wrong_now : clock_archetype {
    long now() const { return 0; }
};

} // namespace

static_assert(apikit::clock<clock_archetype>, "the archetype must model apikit::clock");
static_assert(!apikit::clock<clock_without_now>, "a clock needs now()");
static_assert(!apikit::clock<clock_with_wrong_now>, "now() must return the time_point");
static_assert(apikit::clock<std::chrono::steady_clock>, "the standard clocks plug in as they are");

TEST_CASE("the clock archetype works where a clock is expected") {
    auto read = [](apikit::clock auto const& c) { return c.now(); };
    CHECK(read(clock_archetype{}) == clock_archetype::time_point{});
}
