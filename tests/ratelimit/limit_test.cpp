#include <apikit/ratelimit/limit.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;

TEST_CASE("a limit turns its rate into an emission interval and a window") {
    auto const l = rl_test::reference_limit();
    CHECK(l.name() == "default");
    CHECK(l.capacity() == 100);
    CHECK(l.emission_interval() == 100ms);
    CHECK(l.window() == 10s);
    CHECK(l.admits(100));
    CHECK_FALSE(l.admits(101));
}

TEST_CASE("an emission interval that does not divide evenly is rounded up, never down") {
    limit const l{"thirds", 3, per_second(3)};
    CHECK(l.emission_interval() == 333'333'334ns);
    CHECK(l.window() == 1'000'000'002ns);
    limit const daily{"daily", 10'000, per_day(10'000)};
    CHECK(daily.emission_interval() == 8640ms);
    CHECK(daily.window() == 24h);
}

TEST_CASE("a limit no request could use is refused when it is built") {
    CHECK_THROWS_AS(limit("x", 0, per_second(10)), std::invalid_argument);
    CHECK_THROWS_AS(limit("x", 10, per_second(0)), std::invalid_argument);
    CHECK_THROWS_AS(limit("x", 10, rate{1, 0s}), std::invalid_argument);
    CHECK_THROWS_AS(limit("x", 10, rate{1, -1s}), std::invalid_argument);
    CHECK_THROWS_AS(limit("", 10, per_second(1)), std::invalid_argument);
    CHECK_THROWS_AS(limit("tab\there", 10, per_second(1)), std::invalid_argument);
    CHECK_THROWS_AS(limit("caf\xc3\xa9", 10, per_second(1)), std::invalid_argument);
    // A window past 2^62 ns (146 years) could overflow now + window.
    CHECK_THROWS_AS(limit("x", std::uint64_t{1} << 40, per_day(1)), std::invalid_argument);
    CHECK_NOTHROW(limit("x", 1000, per_day(1)));
}

TEST_CASE("a policy holds one to four limits with distinct names") {
    auto const burst = limit{"burst", 10, per_second(10)};
    auto const daily = limit{"daily", 1000, per_day(1000)};
    policy const p{burst, daily};
    CHECK(p.size() == 2);
    CHECK(p.max_cost() == 10);
    CHECK(p[1].name() == "daily");
    CHECK_THROWS_AS(policy(std::vector<limit>{}), std::invalid_argument);
    CHECK_THROWS_AS((policy{burst, burst}), std::invalid_argument);
    CHECK_THROWS_AS((policy{limit{"a", 1, per_second(1)}, limit{"b", 1, per_second(1)},
                            limit{"c", 1, per_second(1)}, limit{"d", 1, per_second(1)},
                            limit{"e", 1, per_second(1)}}),
                    std::invalid_argument);
}

TEST_CASE("a policy decision reports its binding limit") {
    policy_decision d;
    limit_status a;
    static_cast<decision&>(a) = decision{true, 100, 40, 6s, 0s};
    a.name = "burst";
    limit_status b;
    static_cast<decision&>(b) = decision{true, 1000, 900, 8640s, 0s};
    b.name = "daily";
    d.add(a);
    d.add(b);
    d.summarize();
    CHECK(d.allowed);
    CHECK(d.limit == 100); // fewest tokens left
    CHECK(d.remaining == 40);
    b.allowed = false;
    b.retry_after = 86s;
    a.allowed = false;
    a.retry_after = 1s;
    policy_decision denied;
    denied.add(a);
    denied.add(b);
    denied.summarize();
    CHECK_FALSE(denied.allowed);
    CHECK(denied.limit == 1000); // the longest wait
    CHECK(denied.retry_after == 86s);
}

TEST_CASE("the emission-interval divider is exact for every numerator") {
    rl_test::splitmix64 rng{17};
    std::uint64_t const divisors[] = {1,
                                      2,
                                      3,
                                      7,
                                      100'000'000,
                                      333'333'334,
                                      8'640'000'000'000,
                                      (std::uint64_t{1} << 62) - 1,
                                      std::uint64_t{1} << 62,
                                      ~std::uint64_t{0}};
    for (auto d : divisors) {
        detail::divider const div(d);
        CAPTURE(d);
        for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, d - 1, d, d + 1, 2 * d - 1,
                                ~std::uint64_t{0}, ~std::uint64_t{0} - 1})
            REQUIRE(div.divide(n) == n / d);
        for (int i = 0; i < 20'000; ++i) {
            auto const n = rng() >> rng.below(64);
            REQUIRE(div.divide(n) == n / d);
        }
    }
    for (int i = 0; i < 2'000; ++i) {
        auto const d = (rng() >> rng.below(64)) | 1;
        detail::divider const div(d);
        for (int j = 0; j < 50; ++j) {
            auto const n = rng() >> rng.below(64);
            REQUIRE(div.divide(n) == n / d);
        }
    }
}
