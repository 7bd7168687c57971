// Two apikit-server processes sharing one Redis enforce one combined rate
// limit; with Redis gone they keep answering (fail open). The servers are the
// real binary; Redis is a private redis-server on loopback, started and
// stopped by the test (tests/services/redis_server.hpp).

#include "process_limit.hpp"

#include "services/redis_server.hpp"
#include "support/http_client.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using test_process::header_of;
using test_process::limit_key;
using test_process::limited_server;

TEST_CASE("apikit-server --redis: two processes enforce one combined limit") {
    apikit_test::redis_server redis;
    limited_server a("10:1", redis.port());
    limited_server b("10:1", redis.port());
    // Each says it found one Redis, not a cluster.
    for (auto const* server : {&a, &b})
        CHECK(test_process::redis_found(*server) ==
              boost::json::object{{"redis", "redis://127.0.0.1:" + std::to_string(redis.port())},
                                  {"mode", "single"}});
    apikit_test::http_client to_a(a.port);
    apikit_test::http_client to_b(b.port);
    to_a.authorization(limit_key().bearer());
    to_b.authorization(limit_key().bearer());

    // Ten requests of one user, alternating: one bucket of 10 drains across
    // both, and both then refuse.
    test_process::check_shared_limit(to_a, to_b, 10);
    // /healthz is never limited.
    CHECK(to_b.get("/healthz").result_int() == 200);

    to_a.close();
    to_b.close();
    auto const log_a = a.stop();
    auto const log_b = b.stop();
    // Refused before routing: no route's handler ran.
    CHECK(log_a.find(R"("path":"/users","route":null,"status":429)") != std::string::npos);
    CHECK(log_b.find(R"("path":"/users","route":null,"status":429)") != std::string::npos);
}

TEST_CASE("apikit-server --redis: with Redis gone, requests go through without limit headers") {
    std::optional<apikit_test::redis_server> redis(std::in_place);
    limited_server server("2:1", redis->port());
    apikit_test::http_client c(server.port);
    c.authorization(limit_key().bearer());
    auto const limited = c.get("/users");
    CHECK(limited.result_int() == 200);
    CHECK(header_of(limited, "X-RateLimit-Remaining") == "1");

    redis.reset(); // stopped
    for (int i = 0; i < 5; ++i) {
        auto const r = c.get("/users");
        CHECK(r.result_int() == 200);
        CHECK(header_of(r, "X-RateLimit-Limit") == "(none)");
    }
    CHECK(c.get("/healthz").result_int() == 200);
    c.close();
    auto const log = server.stop();
    // The access log says why those requests were not limited.
    CHECK(log.find("rate limit store unavailable") != std::string::npos);
}

TEST_CASE("apikit-server --redis: a server whose Redis is down at start serves unlimited") {
    // A port nothing listens on: a private server's, once it has stopped.
    std::uint16_t port = 0;
    {
        apikit_test::redis_server gone;
        port = gone.port();
    }
    limited_server server("1:1", port);
    apikit_test::http_client c(server.port);
    c.authorization(limit_key().bearer());
    for (int i = 0; i < 3; ++i) {
        auto const r = c.get("/users");
        CHECK(r.result_int() == 200);
        CHECK(header_of(r, "X-RateLimit-Limit") == "(none)");
    }
    c.close();
    server.stop();
}
