// Two apikit-server processes given the same --jwt-key and --redis: each
// accepts the other's access tokens, a refresh token issued by one is
// rotated by the other, and a rotated token presented again to either
// revokes its family for both. With Redis gone, signing in answers 503 and
// access tokens still open the routes (they need no store). The servers are
// the real binary; Redis is a private redis-server on loopback.

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

std::string const auth_server_binary = APIKIT_SERVER_BINARY;

/// An apikit-server on a free port, signing with `key`, sharing `redis_port`.
struct auth_server {
    auth_server(test_process::signing_key_file const& key, std::uint16_t redis_port)
        : process(auth_server_binary, {"--port", "0", "--jwt-key", key.path(), "--redis",
                                       "redis://127.0.0.1:" + std::to_string(redis_port)}) {
        port = test_process::listening_port_of(process);
    }

    void stop() {
        process.signal(SIGTERM);
        auto const status = process.wait_exit(10s);
        REQUIRE(status.has_value());
        CHECK(*status == 0);
    }

    test_process::child process;
    std::uint16_t port = 0;
};

std::string refresh_cookie_token(apikit_test::http_response const& r) {
    auto const it = r.find(boost::beast::http::field::set_cookie);
    REQUIRE(it != r.end());
    std::string const cookie(it->value());
    auto const start = cookie.find('=') + 1;
    return cookie.substr(start, cookie.find(';') - start);
}

apikit_test::http_response refresh(apikit_test::http_client& c, std::string const& token,
                                   std::string_view target = "/auth/refresh") {
    apikit_test::http_request req(boost::beast::http::verb::post, target, 11);
    req.set(boost::beast::http::field::cookie, "__Secure-refresh=" + token);
    return c.request(std::move(req));
}

std::string access_token(apikit_test::http_response const& r) {
    return std::string(json::parse(r.body()).at("access_token").as_string());
}

/// Signs up and logs in on `c`: the login's response.
apikit_test::http_response sign_in(apikit_test::http_client& c, std::string_view email) {
    auto const created = c.post(
        "/users", json::serialize(json::value{
                      {"email", email}, {"name", "Ada"}, {"password", "correct horse battery"}}));
    REQUIRE(created.result_int() == 201);
    auto r = c.post("/auth/login", json::serialize(json::value{
                                       {"email", email}, {"password", "correct horse battery"}}));
    REQUIRE(r.result_int() == 200);
    return r;
}

} // namespace

TEST_CASE("apikit-server --redis --jwt-key: two processes share tokens, rotation and reuse "
          "detection") {
    apikit_test::redis_server redis;
    test_process::signing_key_file key;
    auth_server a(key, redis.port());
    auth_server b(key, redis.port());
    apikit_test::http_client to_a(a.port);
    apikit_test::http_client to_b(b.port);

    auto const login = sign_in(to_a, "ada@example.com");
    // A's access token opens B's routes.
    to_b.authorization("Bearer " + access_token(login));
    CHECK(to_b.get("/users").result_int() == 200);
    to_b.authorization("");

    // A's refresh token rotates on B, B's on A.
    auto const first = refresh_cookie_token(login);
    auto const on_b = refresh(to_b, first);
    REQUIRE(on_b.result_int() == 200);
    auto const second = refresh_cookie_token(on_b);
    auto const on_a = refresh(to_a, second);
    REQUIRE(on_a.result_int() == 200);
    auto const third = refresh_cookie_token(on_a);
    to_a.authorization("Bearer " + access_token(on_a));
    CHECK(to_a.get("/users").result_int() == 200);
    to_a.authorization("");

    // The first token again, on A: reuse. The family is revoked for both,
    // the newest token included.
    CHECK(refresh(to_a, first).result_int() == 401);
    CHECK(refresh(to_b, third).result_int() == 401);

    // Logging out on one ends the login on the other.
    auto const again = refresh_cookie_token(to_a.post(
        "/auth/login", json::serialize(json::value{{"email", "ada@example.com"},
                                                   {"password", "correct horse battery"}})));
    CHECK(refresh(to_b, again, "/auth/logout").result_int() == 204);
    CHECK(refresh(to_a, again).result_int() == 401);

    to_a.close();
    to_b.close();
    a.stop();
    b.stop();
}

TEST_CASE("apikit-server --redis: with Redis gone, signing in is a 503 and tokens still work") {
    std::optional<apikit_test::redis_server> redis(std::in_place);
    test_process::signing_key_file key;
    auth_server server(key, redis->port());
    apikit_test::http_client c(server.port);
    auto const login = sign_in(c, "ada@example.com");

    redis.reset(); // stopped
    auto const refused = refresh(c, refresh_cookie_token(login));
    CHECK(refused.result_int() == 503);
    CHECK(refused[boost::beast::http::field::retry_after] == "1");
    CHECK(json::parse(refused.body()).at("error").at("code").as_string() == "service_unavailable");
    auto const no_login =
        c.post("/auth/login", json::serialize(json::value{{"email", "ada@example.com"},
                                                          {"password", "correct horse battery"}}));
    CHECK(no_login.result_int() == 503);
    // The access token needs no store.
    c.authorization(key.bearer());
    CHECK(c.get("/users").result_int() == 200);
    c.close();
    server.stop();
}
