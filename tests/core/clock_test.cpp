#include <apikit/core/clock.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("manual_clock starts where it is told and moves only when told") {
    apikit::manual_clock<> clock;
    auto const t0 = clock.now();
    CHECK(t0.time_since_epoch().count() == 0);
    CHECK(clock.now() == t0);

    clock.advance(1500ms);
    CHECK(clock.now() - t0 == 1500ms);

    clock.advance(-2s); // a clock may step backwards
    CHECK(clock.now() - t0 == -500ms);

    auto const later = t0 + 1h;
    clock.set(later);
    CHECK(clock.now() == later);
}

TEST_CASE("manual_clock over the system clock gives wall-clock time points") {
    using sys = std::chrono::system_clock;
    auto const start = sys::time_point(std::chrono::seconds(1'704'067'200));
    apikit::manual_clock<sys> clock(start);
    static_assert(std::is_same_v<decltype(clock.now()), sys::time_point>);
    CHECK(clock.now() == start);
    clock.advance(60s);
    CHECK(
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count() ==
        1'704'067'260);
}

TEST_CASE("manual_clock is safe to read while another thread advances it") {
    apikit::manual_clock<> clock;
    constexpr int steps = 10'000;
    std::thread writer([&] {
        for (int i = 0; i < steps; ++i)
            clock.advance(1ns);
    });
    // Readers see a clock that never goes back while it only moves forward.
    auto last = clock.now();
    for (int i = 0; i < steps; ++i) {
        auto const now = clock.now();
        REQUIRE(now >= last);
        last = now;
    }
    writer.join();
    CHECK(clock.now().time_since_epoch() == std::chrono::nanoseconds(steps));
}

TEST_CASE("steady_clock and system_clock read the standard clocks") {
    apikit::steady_clock steady;
    auto const a = steady.now();
    auto const b = std::chrono::steady_clock::now();
    CHECK(b >= a);

    apikit::system_clock wall;
    auto const w = wall.now();
    CHECK(std::chrono::system_clock::now() >= w);
}
