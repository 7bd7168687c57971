#include <apikit/ratelimit/limiter.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;
using rl_test::clock_ref;
using rl_test::manual;

namespace {

using test_limiter = limiter<memory_store, clock_ref>;

policy free_plan() {
    return policy{limit{"default", 10, per_second(1)}};
}
policy pro_plan() {
    return policy{limit{"burst", 1000, per_second(100)}, limit{"daily", 100'000, per_day(100'000)}};
}

} // namespace

TEST_CASE("limiter: reads its clock once per call, or takes the caller's time point") {
    manual mc{rl_test::start};
    test_limiter lim{rl_test::reference_policy(), clock_ref(mc)};
    for (int i = 0; i < 100; ++i)
        REQUIRE(lim.try_acquire("user_1").value().allowed);
    CHECK_FALSE(lim.try_acquire("user_1").value().allowed);
    mc.advance(100ms);
    CHECK(lim.try_acquire("user_1").value().allowed);
    // A time point the request read once; the limiter's clock is not read.
    CHECK(lim.try_acquire("user_1", 10, mc.now() + 1s).value().allowed);
    CHECK(lim.try_acquire("user_2", 101).error() == apikit::errc::cost_exceeds_capacity);
}

TEST_CASE("limiter: a key carries its plan, and plans change while running") {
    manual mc{rl_test::start};
    test_limiter lim{free_plan(), clock_ref(mc)};
    lim.quotas().set_plan("pro", pro_plan());
    CHECK(lim.quotas().assign("acme", "pro"));
    CHECK_FALSE(lim.quotas().assign("acme", "no-such-plan"));

    auto const pro = lim.try_acquire("acme", 500).value();
    CHECK(pro.allowed);
    CHECK(pro.limits().size() == 2);
    CHECK(pro.limit == 1000);
    CHECK(lim.try_acquire("someone", 10).value().allowed);
    CHECK_FALSE(lim.try_acquire("someone", 1).value().allowed);

    // The pro plan is cut to 600: acme owes 5 s of it already.
    lim.quotas().set_plan("pro", policy{limit{"burst", 600, per_second(100)}});
    auto const cut = lim.try_acquire("acme", 0).value();
    CHECK(cut.limit == 600);
    CHECK(cut.remaining == 100);

    lim.quotas().unassign("acme");
    CHECK(lim.try_acquire("acme", 0).value().limit == 10);

    // The default changes for everyone not on a plan.
    lim.quotas().set_default(policy{limit{"default", 50, per_second(1)}});
    CHECK(lim.try_acquire("fresh", 50).value().allowed);
}

TEST_CASE("limiter: a plan known from the request is passed directly") {
    manual mc{rl_test::start};
    test_limiter lim{free_plan(), clock_ref(mc)};
    lim.quotas().set_plan("pro", pro_plan());
    auto const* pro = lim.quotas().plan("pro");
    REQUIRE(pro != nullptr);
    CHECK(lim.quotas().plan("gold") == nullptr);
    CHECK(lim.try_acquire("user_9", *pro, 1000, mc.now()).value().allowed);
    CHECK_FALSE(lim.try_acquire("user_9", *pro, 1, mc.now()).value().allowed);
}

TEST_CASE("limiter: async_acquire answers through the store's handler") {
    manual mc{rl_test::start};
    test_limiter lim{rl_test::reference_policy(), clock_ref(mc)};
    int calls = 0;
    lim.async_acquire("k", 100, mc.now(), [&](boost::system::error_code ec, policy_decision d) {
        ++calls;
        CHECK_FALSE(ec);
        CHECK(d.allowed);
    });
    lim.async_acquire("k", 101, mc.now(), [&](boost::system::error_code ec, policy_decision) {
        ++calls;
        CHECK(ec == apikit::errc::cost_exceeds_capacity);
    });
    CHECK(calls == 2);
}

TEST_CASE("limiter: limits change while threads decide, and every decision sees one policy") {
    manual mc{rl_test::start};
    test_limiter lim{policy{limit{"default", 10, per_second(1)}}, clock_ref(mc)};
    std::atomic<bool> done{false};
    std::atomic<int> odd{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50'000 && !done.load(std::memory_order_relaxed); ++i) {
                auto const d = lim.try_acquire("k" + std::to_string(t * 7 + i % 7), 0).value();
                // Either the old policy or the new one, never a mix.
                if (!(d.limit == 10 && d.limits().size() == 1) &&
                    !(d.limit == 20 && d.limits().size() == 2))
                    ++odd;
            }
        });
    for (int i = 0; i < 200; ++i) {
        if (i % 2 == 0)
            lim.quotas().set_default(
                policy{limit{"default", 20, per_second(1)}, limit{"daily", 100, per_day(100)}});
        else
            lim.quotas().set_default(policy{limit{"default", 10, per_second(1)}});
        std::this_thread::yield();
    }
    done = true;
    for (auto& t : threads)
        t.join();
    CHECK(odd == 0);
}
