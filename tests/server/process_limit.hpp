#ifndef APIKIT_TESTS_SERVER_PROCESS_LIMIT_HPP
#define APIKIT_TESTS_SERVER_PROCESS_LIMIT_HPP

// The rate limit of apikit-server processes that keep their buckets in
// Redis (--redis), seen over real HTTP: a server started with a limit and a
// Redis URL, the checks of a response the limiter let through and of one it
// refused (the headers and the 429 envelope of the in-process tests,
// rate_limit_test.cpp), and the line in which a server says which Redis it
// found. Used by the tests on one private redis-server (redis_limit_test.cpp)
// and on the fixture's Redis Cluster (redis_cluster_test.cpp).

#include "fixture.hpp"
#include "process_auth.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace test_process {

/// The value of header `name`, or "(none)".
inline std::string header_of(apikit_test::http_response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string("(none)") : std::string(it->value());
}

/// The key every server of the limit tests signs with, and their clients'
/// tokens (`bearer(subject)`), whose subject the limit keys by.
inline signing_key_file const& limit_key() {
    static signing_key_file const key;
    return key;
}

/// An apikit-server on a free port, limited to `limit` (C:R) through the
/// Redis at 127.0.0.1:`redis_port` (one server or any node of a cluster),
/// with `more` arguments.
struct limited_server : server_process {
    limited_server(std::string const& limit, std::uint16_t redis_port,
                   std::vector<std::string> const& more = {})
        : server_process(APIKIT_SERVER_BINARY, args(limit, redis_port, more)) {}

private:
    static std::vector<std::string> args(std::string const& limit, std::uint16_t redis_port,
                                         std::vector<std::string> const& more) {
        std::vector<std::string> a{
            "--port",       "0",
            "--rate-limit", limit,
            "--redis",      "redis://127.0.0.1:" + std::to_string(redis_port),
            "--jwt-key",    limit_key().path()};
        a.insert(a.end(), more.begin(), more.end());
        return a;
    }
};

/// Checks that the limiter let `r` through with `remaining` of a bucket of
/// `capacity` tokens that fills in `window_s` seconds (its route answered:
/// the status is the route's or the guard's).
inline void check_passed(apikit_test::http_response const& r, std::uint64_t capacity,
                         std::uint64_t remaining, std::uint64_t window_s) {
    CHECK(r.result_int() != 429);
    CHECK(header_of(r, "X-RateLimit-Limit") == std::to_string(capacity));
    CHECK(header_of(r, "X-RateLimit-Remaining") == std::to_string(remaining));
    CHECK(header_of(r, "RateLimit-Policy") ==
          "\"default\";q=" + std::to_string(capacity) + ";w=" + std::to_string(window_s));
}

/// Checks that the limiter refused `r`, a client that has spent a bucket of
/// `capacity` tokens filled one a second: 429 `rate_limited` in the error
/// envelope, retry in a second, nothing left.
inline void check_denied(apikit_test::http_response const& r, std::uint64_t capacity) {
    auto const error = test_server::check_error(r, 429, "rate_limited");
    CHECK(error.at("message").as_string() == "Too many requests: retry in 1 second");
    CHECK(header_of(r, "Retry-After") == "1");
    CHECK(header_of(r, "X-RateLimit-Limit") == std::to_string(capacity));
    CHECK(header_of(r, "X-RateLimit-Remaining") == "0");
    CHECK(header_of(r, "RateLimit") == R"("default";r=0;t=1)");
}

/// Spends one client's bucket of `capacity` tokens, filled one a second,
/// across two servers that share it: `capacity` GET /users alternating
/// between `to_a` and `to_b`, each passed with one token fewer left, then one
/// more to each, both refused — either alone would have allowed `capacity`.
/// All within the second before a token comes back.
inline void check_shared_limit(apikit_test::http_client& to_a, apikit_test::http_client& to_b,
                               std::uint64_t capacity) {
    auto const first = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < capacity; ++i) {
        auto const r = (i % 2 == 0 ? to_a : to_b).get("/users");
        CHECK(r.result_int() == 200);
        check_passed(r, capacity, capacity - 1 - i, capacity);
    }
    auto const denied_a = to_a.get("/users");
    auto const denied_b = to_b.get("/users");
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() - first < std::chrono::seconds(1),
                    "loopback requests took a second: the machine is too slow for this test's "
                    "timing");
    check_denied(denied_a, capacity);
    check_denied(denied_b, capacity);
}

/// The context of the line in which `server` said which Redis it found
/// ("connected to Redis", before "listening"); an empty object, failing the
/// check, when there is none.
inline boost::json::object redis_found(server_process const& server) {
    for (auto const& line : server.startup) {
        auto const v = boost::json::parse(line);
        if (v.at("message") == "connected to Redis") {
            CHECK(v.at("level") == "info");
            return v.at("context").as_object();
        }
    }
    FAIL_CHECK("no \"connected to Redis\" line before \"listening\"");
    return {};
}

} // namespace test_process

#endif
