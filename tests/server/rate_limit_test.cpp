// The sample server's rate limit over real HTTP: every /users route shares a
// token bucket per client (100 tokens, 10 per second, unless told otherwise),
// its responses carry the limiter's headers, a client over its limit gets a
// 429 `rate_limited` envelope with Retry-After, and /healthz is never limited.
// The limiter runs on the fixture's manual clock, so time moves only when
// the test moves it.

#include "fixture.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace test_server;
using namespace std::chrono_literals;

namespace {

std::string field(response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string("(none)") : std::string(it->value());
}

} // namespace

TEST_CASE("rate limit: the /users routes allow 100 per client, then answer 429 rate_limited") {
    running_server server(1, sample::rate_limit_spec{});
    client c(server.port());
    server.authorize(c);
    for (int i = 0; i < 100; ++i) {
        auto const r = c.get("/users?limit=1");
        REQUIRE(r.result_int() == 200);
        CHECK(field(r, "X-RateLimit-Limit") == "100");
        CHECK(field(r, "X-RateLimit-Remaining") == std::to_string(99 - i));
        CHECK(field(r, "RateLimit-Policy") == R"("default";q=100;w=10)");
    }
    auto const denied = c.get("/users");
    auto const error = check_error(denied, 429, "rate_limited");
    CHECK(error.at("message").as_string() == "Too many requests: retry in 1 second");
    CHECK(field(denied, "Retry-After") == "1");
    CHECK(field(denied, "X-RateLimit-Remaining") == "0");
    // Full again 10 s after the start: 2024-01-15T10:00:10Z.
    CHECK(field(denied, "X-RateLimit-Reset") == "1705312810");
    CHECK(field(denied, "RateLimit") == R"("default";r=0;t=1)");

    // Every route under /users draws from the same bucket, a POST and a 404 too.
    check_error(
        c.post("/users",
               R"({"email":"a@example.com","name":"A","password":"correct horse battery"})"),
        429, "rate_limited");
    check_error(c.get("/users/user_nobody"), 429, "rate_limited");
    // /healthz is not limited, and carries no rate-limit header.
    auto const health = c.get("/healthz");
    CHECK(health.result_int() == 200);
    CHECK(field(health, "X-RateLimit-Limit") == "(none)");

    // One token comes back every 100 ms.
    server.clock().advance(99ms);
    check_error(c.get("/users"), 429, "rate_limited");
    server.clock().advance(1ms);
    auto const refilled = c.post(
        "/users", R"({"email":"b@example.com","name":"B","password":"correct horse battery"})");
    CHECK(refilled.result_int() == 201);
    CHECK(field(refilled, "X-RateLimit-Remaining") == "0");
    // Full at 10.1 s now, rounded up to whole seconds.
    CHECK(field(refilled, "X-RateLimit-Reset") == "1705312811");
    server.clock().advance(10s);
    CHECK(field(c.get("/users/user_nobody"), "X-RateLimit-Remaining") == "99");
}

TEST_CASE("rate limit: --rate-limit sets the bucket, and the Retry-After follows the refill") {
    running_server server(1, sample::rate_limit_spec{3, 1});
    client c(server.port());
    server.authorize(c);
    for (int i = 0; i < 3; ++i) {
        auto const r = c.get("/users");
        CHECK(r.result_int() == 200);
        CHECK(field(r, "RateLimit-Policy") == R"("default";q=3;w=3)");
    }
    auto const denied = c.get("/users");
    check_error(denied, 429, "rate_limited");
    CHECK(field(denied, "Retry-After") == "1");
    server.clock().advance(1s);
    CHECK(c.get("/users").result_int() == 200);
}

TEST_CASE("rate limit: off, nothing is limited and no header is sent") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    for (int i = 0; i < 150; ++i) {
        auto const r = c.get("/users?limit=1");
        REQUIRE(r.result_int() == 200);
        CHECK(field(r, "X-RateLimit-Limit") == "(none)");
    }
}
