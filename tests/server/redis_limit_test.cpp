// Two apikit-server processes sharing one Redis enforce one combined rate
// limit; with Redis gone they keep answering (fail open). The servers are the
// real binary; Redis is a private redis-server on loopback, started and
// stopped by the test (tests/services/redis_server.hpp).

#include "process.hpp"
#include "process_auth.hpp"

#include "services/redis_server.hpp"
#include "support/http_client.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string const server_binary = APIKIT_SERVER_BINARY;

std::string header_of(apikit_test::http_response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string("(none)") : std::string(it->value());
}

/// The key every server of these tests signs with, and their clients'
/// tokens: one user, `user_test`, whom the limit keys by.
test_process::signing_key_file const& limit_key() {
    static test_process::signing_key_file const key;
    return key;
}

/// An apikit-server on a free port, limited to `limit` through `redis_port`.
struct limited_server : test_process::server_process {
    limited_server(std::string const& limit, std::uint16_t redis_port)
        : server_process(server_binary, {"--port", "0", "--rate-limit", limit, "--redis",
                                         "redis://127.0.0.1:" + std::to_string(redis_port),
                                         "--jwt-key", limit_key().path()}) {}
};

} // namespace

TEST_CASE("apikit-server --redis: two processes enforce one combined limit") {
    apikit_test::redis_server redis;
    limited_server a("10:1", redis.port());
    limited_server b("10:1", redis.port());
    apikit_test::http_client to_a(a.port);
    apikit_test::http_client to_b(b.port);
    to_a.authorization(limit_key().bearer());
    to_b.authorization(limit_key().bearer());

    // Ten requests of one user, alternating: one bucket of 10 drains across both.
    auto const first = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i) {
        auto const r = (i % 2 == 0 ? to_a : to_b).get("/users");
        REQUIRE(r.result_int() == 200);
        CHECK(header_of(r, "X-RateLimit-Limit") == "10");
        CHECK(header_of(r, "X-RateLimit-Remaining") == std::to_string(9 - i));
        CHECK(header_of(r, "RateLimit-Policy") == R"("default";q=10;w=10)");
    }
    // Either alone would have allowed ten; together they allowed ten, and
    // both now refuse, until a token comes back a second after the first.
    auto const denied_a = to_a.get("/users");
    auto const denied_b = to_b.get("/users");
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() - first < 1s,
                    "twelve loopback requests took a second: the machine is too slow for "
                    "this test's timing");
    for (auto const* r : {&denied_a, &denied_b}) {
        CHECK(r->result_int() == 429);
        CHECK(json::parse(r->body()).at("error").at("code").as_string() == "rate_limited");
        CHECK(header_of(*r, "Retry-After") == "1");
        CHECK(header_of(*r, "X-RateLimit-Remaining") == "0");
    }
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
