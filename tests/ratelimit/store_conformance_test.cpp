// The behaviour every ratelimit::store must have, run against each store.
#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/limit.hpp>

#include "store_fixtures.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <string>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;

namespace {

constexpr nanoseconds t0 = 1000h;

} // namespace

TEST_CASE_TEMPLATE("store: the reference bucket grants 100, then 10 per second", Store,
                   APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    auto const p = rl_test::reference_policy();
    for (int i = 0; i < 100; ++i) {
        auto const d = rl_test::acquire(f, "user_1", p, 1, t0).value();
        REQUIRE(d.allowed);
        CHECK(d.remaining == static_cast<std::uint64_t>(99 - i));
    }
    auto const denied = rl_test::acquire(f, "user_1", p, 1, t0).value();
    CHECK_FALSE(denied.allowed);
    CHECK(denied.limit == 100);
    CHECK(denied.remaining == 0);
    CHECK(denied.retry_after == 100ms);
    CHECK(denied.reset_after == 10s);
    CHECK_FALSE(rl_test::acquire(f, "user_1", p, 1, t0 + 99ms).value().allowed);
    CHECK(rl_test::acquire(f, "user_1", p, 1, t0 + 100ms).value().allowed);
    auto const later = rl_test::acquire(f, "user_1", p, 1, t0 + 2100ms).value();
    CHECK(later.allowed);
    CHECK(later.remaining == 19);
}

TEST_CASE_TEMPLATE("store: keys are limited independently", Store, APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    auto const p = rl_test::reference_policy();
    CHECK(rl_test::acquire(f, "user_1", p, 100, t0).value().allowed);
    CHECK_FALSE(rl_test::acquire(f, "user_1", p, 1, t0).value().allowed);
    CHECK(rl_test::acquire(f, "user_2", p, 100, t0).value().allowed);
    CHECK(rl_test::acquire(f, "", p, 100, t0).value().allowed); // the empty key is a key too
    CHECK_FALSE(rl_test::acquire(f, "user_2", p, 1, t0).value().allowed);
}

TEST_CASE_TEMPLATE("store: a weighted request takes its whole cost", Store,
                   APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    auto const p = rl_test::reference_policy();
    auto const a = rl_test::acquire(f, "k", p, 30, t0).value();
    CHECK(a.allowed);
    CHECK(a.remaining == 70);
    CHECK(a.reset_after == 3s);
    auto const b = rl_test::acquire(f, "k", p, 71, t0).value();
    CHECK_FALSE(b.allowed);
    CHECK(b.remaining == 70);
    CHECK(b.retry_after == 100ms);
    CHECK(rl_test::acquire(f, "k", p, 70, t0).value().allowed);
}

TEST_CASE_TEMPLATE("store: a cost some limit could never grant is its own error and takes nothing",
                   Store, APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    policy const p{limit{"burst", 10, per_second(10)}, limit{"daily", 1000, per_day(1000)}};
    auto const r = rl_test::acquire(f, "k", p, 11, t0);
    REQUIRE(r.has_error());
    CHECK(r.error() == apikit::errc::cost_exceeds_capacity);
    auto const d = rl_test::acquire(f, "k", p, 10, t0).value();
    CHECK(d.allowed);
    CHECK(d.limits()[1].remaining == 990);
}

TEST_CASE_TEMPLATE("store: a cost of zero takes nothing", Store, APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    auto const p = rl_test::reference_policy();
    CHECK(rl_test::acquire(f, "k", p, 40, t0).value().allowed);
    auto const z = rl_test::acquire(f, "k", p, 0, t0).value();
    CHECK(z.allowed);
    CHECK(z.remaining == 60);
    CHECK(rl_test::acquire(f, "k", p, 60, t0).value().allowed);
}

TEST_CASE_TEMPLATE("store: several limits are decided all or nothing", Store,
                   APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    policy const p{limit{"burst", 5, per_second(5)}, limit{"daily", 8, per_day(8)}};
    for (int i = 0; i < 5; ++i)
        REQUIRE(rl_test::acquire(f, "k", p, 1, t0).value().allowed);
    auto const by_burst = rl_test::acquire(f, "k", p, 1, t0).value();
    CHECK_FALSE(by_burst.allowed);
    REQUIRE(by_burst.limits().size() == 2);
    CHECK(by_burst.limits()[0].name == "burst");
    CHECK_FALSE(by_burst.limits()[0].allowed);
    CHECK(by_burst.limits()[0].retry_after == 200ms);
    CHECK(by_burst.limits()[1].name == "daily");
    CHECK(by_burst.limits()[1].allowed);
    CHECK(by_burst.limits()[1].remaining == 3); // the denial took nothing from it
    CHECK(by_burst.retry_after == 200ms);

    // A second later the burst is full and the daily limit binds.
    auto const t1 = t0 + 1s;
    for (int i = 0; i < 3; ++i)
        REQUIRE(rl_test::acquire(f, "k", p, 1, t1).value().allowed);
    auto const by_daily = rl_test::acquire(f, "k", p, 1, t1).value();
    CHECK_FALSE(by_daily.allowed);
    CHECK(by_daily.limit == 8);
    CHECK(by_daily.limits()[0].allowed);
    CHECK(by_daily.limits()[0].remaining == 2); // not consumed by the denial
    CHECK(by_daily.retry_after > 1h);
    // Denials do not drain the burst limit either: still two there.
    CHECK_FALSE(rl_test::acquire(f, "k", p, 1, t1).value().allowed);
    CHECK(rl_test::acquire(f, "k", p, 1, t1).value().limits()[0].remaining == 2);
}

TEST_CASE_TEMPLATE("store: a changed limit keeps the time owed", Store, APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    CHECK(rl_test::acquire(f, "k", rl_test::reference_policy(), 100, t0).value().allowed);
    // Same name, twice the capacity: the key still owes 10 s, which under the
    // new limit is 100 of its 200 tokens.
    policy const bigger{limit{"default", 200, per_second(10)}};
    auto const d = rl_test::acquire(f, "k", bigger, 0, t0).value();
    CHECK(d.limit == 200);
    CHECK(d.remaining == 100);
    CHECK(rl_test::acquire(f, "k", bigger, 100, t0).value().allowed);
    CHECK_FALSE(rl_test::acquire(f, "k", bigger, 1, t0).value().allowed);
    // A limit with another name is another bucket.
    policy const other{limit{"other", 5, per_second(1)}};
    CHECK(rl_test::acquire(f, "k", other, 5, t0).value().allowed);
}

TEST_CASE_TEMPLATE("store: a clock stepping back never lets more through", Store,
                   APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    auto const p = rl_test::reference_policy();
    CHECK(rl_test::acquire(f, "k", p, 100, t0).value().allowed);
    auto const back = rl_test::acquire(f, "k", p, 1, t0 - 1h).value();
    CHECK_FALSE(back.allowed);
    CHECK(back.retry_after == 1h + 100ms);
    CHECK_FALSE(rl_test::acquire(f, "k", p, 1, t0).value().allowed);
    CHECK(rl_test::acquire(f, "k", p, 1, t0 + 100ms).value().allowed);
}

TEST_CASE_TEMPLATE("store: statuses carry each limit's name and window", Store,
                   APIKIT_RATELIMIT_STORES) {
    rl_test::store_fixture<Store> f;
    policy const p{limit{"burst", 100, per_second(10)}, limit{"daily", 1000, per_day(1000)}};
    auto const d = rl_test::acquire(f, "k", p, 1, t0).value();
    REQUIRE(d.limits().size() == 2);
    CHECK(d.limits()[0].window == 10s);
    CHECK(d.limits()[1].window == 24h);
    CHECK(d.limits()[1].remaining == 999);
    CHECK(d.limits()[1].reset_after == 86400ms);
}

TEST_CASE_TEMPLATE("store: matches the GCRA model on random traffic", Store,
                   APIKIT_RATELIMIT_STORES) {
    // Three keys, a policy of three limits, random weights and random steps
    // of time, some backwards: every decision must be the model's, where the
    // model is gcra::evaluate applied to each limit, all or nothing.
    rl_test::store_fixture<Store> f;
    policy const p{limit{"burst", 20, per_second(10)}, limit{"minute", 50, per_minute(50)},
                   limit{"hour", 200, per_hour(200)}};
    std::array<std::array<std::int64_t, 3>, 3> model{};
    for (auto& k : model)
        k.fill(gcra::full);
    rl_test::splitmix64 rng{31};
    auto now = t0;
    int allowed = 0, denied = 0;
    for (int i = 0; i < 3000; ++i) {
        now += nanoseconds(static_cast<std::int64_t>(rng.below(2'000'000'000))) -
               (rng.below(20) == 0 ? 3s : 0s);
        auto const key = rng.below(3);
        auto const cost = rng.below(21);
        auto const d = rl_test::acquire(f, "key" + std::to_string(key), p, cost, now).value();
        bool all = true;
        std::array<gcra::step, 3> steps;
        for (std::size_t l = 0; l < 3; ++l) {
            steps[l] = gcra::evaluate(model[key][l], now.count(), cost, gcra::params::of(p[l]));
            all = all && steps[l].d.allowed;
        }
        REQUIRE(d.allowed == all);
        REQUIRE(d.limits().size() == 3);
        for (std::size_t l = 0; l < 3; ++l) {
            auto const expect =
                all ? steps[l].d
                    : gcra::standing(model[key][l], now.count(), cost, gcra::params::of(p[l]));
            CAPTURE(l);
            REQUIRE(static_cast<decision const&>(d.limits()[l]) == expect);
            if (all && cost > 0)
                model[key][l] = steps[l].tat;
        }
        (all ? allowed : denied) += 1;
    }
    CHECK(allowed > 300);
    CHECK(denied > 300);
}
