#include <apikit/ratelimit/headers.hpp>
#include <apikit/ratelimit/memory_store.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace apikit::ratelimit;
using namespace std::chrono_literals;

namespace {

constexpr nanoseconds t_start = 1000h;

using fields = std::map<std::string, std::string, std::less<>>;

fields headers_of(policy_decision const& d, std::chrono::system_clock::time_point wall,
                  header_options const& o = {}) {
    fields out;
    int emitted = 0;
    write_headers(
        d, wall,
        [&](std::string_view name, std::string_view value) {
            ++emitted;
            out.emplace(std::string(name), std::string(value));
        },
        o);
    REQUIRE(static_cast<std::size_t>(emitted) == out.size()); // each field once
    return out;
}

std::chrono::system_clock::time_point wall(std::chrono::nanoseconds since_epoch) {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

} // namespace

TEST_CASE("headers: the reference limit after 58 requests") {
    memory_store s{{.max_keys = 64, .shards = 1}};
    auto const p = rl_test::reference_policy();
    policy_decision d;
    for (int i = 0; i < 58; ++i)
        d = s.try_acquire("k", p, 1, t_start).value();
    auto const h = headers_of(d, wall(1704067254s + 200ms));
    CHECK(h.at("X-RateLimit-Limit") == "100");
    CHECK(h.at("X-RateLimit-Remaining") == "42");
    CHECK(h.at("X-RateLimit-Reset") == "1704067260"); // 5.8 s from now: full again
    CHECK(h.at("RateLimit-Policy") == "\"default\";q=100;w=10");
    CHECK(h.at("RateLimit") == "\"default\";r=42;t=6");
    CHECK(h.count("Retry-After") == 0);
    CHECK(h.size() == 5);
}

TEST_CASE("headers: a denied request carries Retry-After, rounded up, never 0") {
    memory_store s{{.max_keys = 64, .shards = 1}};
    auto const p = rl_test::reference_policy();
    (void)s.try_acquire("k", p, 100, t_start).value();
    auto const d = s.try_acquire("k", p, 1, t_start).value();
    REQUIRE_FALSE(d.allowed);
    auto const h = headers_of(d, wall(1704067250s));
    CHECK(h.at("X-RateLimit-Remaining") == "0");
    CHECK(h.at("X-RateLimit-Reset") == "1704067260");
    CHECK(h.at("Retry-After") == "1"); // 100 ms
    CHECK(h.at("RateLimit") == "\"default\";r=0;t=1");
    // A weighted request that needs 2.5 s of refill.
    auto const heavy = s.try_acquire("k", p, 25, t_start).value();
    CHECK(headers_of(heavy, wall(1704067250s)).at("Retry-After") == "3");
}

TEST_CASE("headers: every limit of a policy is listed, the binding one in X-RateLimit") {
    memory_store s{{.max_keys = 64, .shards = 1}};
    policy const p{limit{"burst", 100, per_second(10)}, limit{"daily", 1000, per_day(1000)}};
    auto const d = s.try_acquire("k", p, 10, t_start).value();
    auto const h = headers_of(d, wall(1704067250s));
    CHECK(h.at("RateLimit-Policy") == "\"burst\";q=100;w=10, \"daily\";q=1000;w=86400");
    CHECK(h.at("RateLimit") == "\"burst\";r=90;t=1, \"daily\";r=990;t=864");
    CHECK(h.at("X-RateLimit-Limit") == "100");
    CHECK(h.at("X-RateLimit-Remaining") == "90");

    // Denied by "burst": no t exceeds Retry-After.
    (void)s.try_acquire("k", p, 90, t_start).value();
    auto const denied = s.try_acquire("k", p, 1, t_start).value();
    REQUIRE_FALSE(denied.allowed);
    auto const hd = headers_of(denied, wall(1704067250s));
    CHECK(hd.at("Retry-After") == "1");
    CHECK(hd.at("RateLimit") == "\"burst\";r=0;t=1, \"daily\";r=900;t=1");
}

TEST_CASE("headers: a window under a second is still w=1, a full bucket is t=0") {
    policy_decision d;
    limit_status s;
    static_cast<decision&>(s) = decision{true, 5, 5, 0ns, 0ns};
    s.name = "fast";
    s.window = 50ms;
    d.add(s);
    d.summarize();
    auto const h = headers_of(d, wall(1000s + 1ns));
    CHECK(h.at("RateLimit-Policy") == "\"fast\";q=5;w=1");
    CHECK(h.at("RateLimit") == "\"fast\";r=5;t=0");
    CHECK(h.at("X-RateLimit-Reset") == "1001"); // rounded up, never in the past
}

TEST_CASE("headers: names are written as structured-field strings") {
    policy_decision d;
    limit_status s;
    static_cast<decision&>(s) = decision{true, 1, 1, 0ns, 0ns};
    s.name = "a \"quoted\" \\ name";
    s.window = 1s;
    d.add(s);
    d.summarize();
    auto const h = headers_of(d, wall(0s));
    CHECK(h.at("RateLimit-Policy") == R"("a \"quoted\" \\ name";q=1;w=1)");
}

TEST_CASE("headers: each family can be left out") {
    memory_store s{{.max_keys = 64, .shards = 1}};
    auto const p = rl_test::reference_policy();
    (void)s.try_acquire("k", p, 100, t_start).value();
    auto const d = s.try_acquire("k", p, 1, t_start).value();
    auto const only_draft = headers_of(d, wall(0s), {.x_ratelimit = false, .retry_after = false});
    CHECK(only_draft.size() == 2);
    CHECK(only_draft.count("RateLimit") == 1);
    auto const only_legacy = headers_of(d, wall(0s), {.draft = false});
    CHECK(only_legacy.size() == 4);
    CHECK(only_legacy.count("Retry-After") == 1);
}

TEST_CASE("ceil_seconds rounds up and never below zero") {
    CHECK(ceil_seconds(0ns) == 0);
    CHECK(ceil_seconds(-5s) == 0);
    CHECK(ceil_seconds(1ns) == 1);
    CHECK(ceil_seconds(1s) == 1);
    CHECK(ceil_seconds(1s + 1ns) == 2);
    CHECK(ceil_seconds(5800ms) == 6);
}
