// apikit-server with --redis naming one node of a Redis Cluster (the
// fixture's: 3 primaries, each with a replica) limits every client exactly,
// whichever node holds the client's bucket: the scenario of issue 11, where
// 20 of 30 clients were never limited because the node named by the URL
// answered MOVED for the others' keys and the store failed open. A server
// seeded from a primary and one seeded from a replica both find the whole
// cluster; two servers seeded from different nodes share each client's
// limit, and each other's refresh tokens and events. The servers are the
// real binary.
//
// Every client's bucket is chosen to be on a known primary: its limiter key
// (`ip:<address>` or `user:<subject>`, the hash tag of its Redis key) is
// hashed to its slot, and the clients are picked so that each primary holds
// the same number. Names carry a number drawn per run, so a run right after
// another finds no bucket of the last one's (the cluster is shared by every
// test of the run, and its keys outlive a test).

#include "process_limit.hpp"

#include "redis/support.hpp"
#include "support/http_client.hpp"

#include <apikit/redis/key.hpp>

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace redis_cluster_test {

using namespace std::chrono_literals;
using test_process::limited_server;
namespace beast_http = boost::beast::http;

/// Which of the fixture's primaries owns `slot`: its index in
/// shared_cluster_ports(), whose primaries own 0-5460, 5461-10922 and
/// 10923-16383 in that order.
std::size_t primary_of(std::uint16_t slot) {
    return slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
}

/// A number of this run, in every name it makes.
std::uint32_t run_number() {
    static std::uint32_t const n = std::random_device{}();
    return n;
}

/// `per_primary` names for each of the 3 primaries: `name(i)` for i = 0, 1,
/// …, each kept while the primary that owns the slot of `key_of(name)` has
/// fewer than `per_primary`.
template <class Name, class Key>
std::vector<std::string> spread_over_primaries(std::size_t per_primary, Name name, Key key_of) {
    std::array<std::size_t, 3> held{};
    std::vector<std::string> names;
    for (std::uint32_t i = 0; names.size() < 3 * per_primary; ++i) {
        REQUIRE(i < 100'000);
        auto n = name(i);
        auto& count = held[primary_of(apikit::redis::hash_slot(key_of(n)))];
        if (count < per_primary) {
            ++count;
            names.push_back(std::move(n));
        }
    }
    return names;
}

/// 30 client addresses, 10 whose buckets are on each primary; `series`
/// keeps one test's sets apart.
std::vector<std::string> addresses(std::uint32_t series) {
    return spread_over_primaries(
        10,
        [&](std::uint32_t i) {
            std::uint32_t const v = (run_number() + series * 0x10000 + i) & 0xFFFFFF;
            return fmt::format("10.{}.{}.{}", v >> 16, (v >> 8) & 0xFF, v & 0xFF);
        },
        [](std::string const& address) { return "ip:" + address; });
}

/// `per_primary` subjects for each primary's slots.
std::vector<std::string> subjects(std::string_view series, std::size_t per_primary) {
    return spread_over_primaries(
        per_primary,
        [&](std::uint32_t i) { return fmt::format("user_{}_{:08x}_{}", series, run_number(), i); },
        [](std::string const& subject) { return "user:" + subject; });
}

/// GET /users as the client at `address` behind the trusted proxy (this
/// loopback connection), with `authorization` if not empty.
apikit_test::http_response get_users(apikit_test::http_client& c, std::string const& address,
                                     std::string const& authorization = {}) {
    apikit_test::http_request req(beast_http::verb::get, "/users", 11);
    req.set("X-Forwarded-For", address);
    if (!authorization.empty())
        req.set(beast_http::field::authorization, authorization);
    return c.request(std::move(req));
}

/// POST `target` with a JSON `body` as the client at `address`, with its
/// refresh token's cookie if `refresh_token` is not empty.
apikit_test::http_response post_from(apikit_test::http_client& c, std::string const& address,
                                     std::string_view target, std::string body,
                                     std::string const& refresh_token = {}) {
    apikit_test::http_request req(beast_http::verb::post, target, 11);
    req.set("X-Forwarded-For", address);
    req.set(beast_http::field::content_type, "application/json");
    if (!refresh_token.empty())
        req.set(beast_http::field::cookie, "__Secure-refresh=" + refresh_token);
    req.body() = std::move(body);
    return c.request(std::move(req));
}

/// The refresh token a response sets in its cookie.
std::string refresh_token_of(apikit_test::http_response const& r) {
    auto const cookie = test_process::header_of(r, "Set-Cookie");
    REQUIRE(cookie.starts_with("__Secure-refresh="));
    auto const start = cookie.find('=') + 1;
    return cookie.substr(start, cookie.find(';') - start);
}

/// Starts a server limited to `limit` through the cluster node at `seed`,
/// trusting X-Forwarded-For from loopback (its cursor key every such
/// server's), and checks that it says it found the cluster's 3 primaries.
struct seeded_server : limited_server {
    explicit seeded_server(std::uint16_t seed, std::string const& limit = "5:1")
        : limited_server(limit, seed,
                         {"--trusted-proxy", "127.0.0.1", "--cursor-key",
                          "c2FtZSBrZXkgZm9yIGJvdGggaW5zdGFuY2VzLCAzMiBieXRlcw"}) {
        CHECK(test_process::redis_found(*this) ==
              boost::json::object{{"redis", "redis://127.0.0.1:" + std::to_string(seed)},
                                  {"mode", "cluster"},
                                  {"primaries", 3}});
    }
};

/// Sends each client's 7 requests in a row (`send(client)`) and checks that
/// its first 5 passed with 4, 3, …, 0 left (each then checked by
/// `check_route`) and its last 2 were refused: a bucket of 5 filled one a
/// second, all 7 within that second.
template <class Send, class CheckRoute>
void expect_each_limited_to_5(std::vector<std::string> const& clients, Send send,
                              CheckRoute check_route) {
    std::size_t exact = 0;
    for (auto const& client : clients) {
        CAPTURE(client);
        std::vector<apikit_test::http_response> answers;
        auto const first = std::chrono::steady_clock::now();
        for (int i = 0; i < 7; ++i)
            answers.push_back(send(client));
        REQUIRE_MESSAGE(std::chrono::steady_clock::now() - first < 1s,
                        "seven loopback requests took a second: the machine is too slow for "
                        "this test's timing");
        std::size_t passed = 0, refused = 0;
        for (std::size_t i = 0; i < 7; ++i) {
            if (i < 5) {
                test_process::check_passed(answers[i], 5, 4 - i, 5);
                check_route(answers[i]);
            } else {
                test_process::check_denied(answers[i], 5);
            }
            (answers[i].result_int() == 429 ? refused : passed) += 1;
        }
        exact += passed == 5 && refused == 2 ? 1 : 0;
    }
    CHECK(exact == clients.size());
}

/// Stops `server` and checks that its log shows `refused` requests refused
/// and none let through for want of Redis.
void stop_and_check_log(limited_server& server, std::size_t refused) {
    auto const log = server.stop();
    CHECK(log.find("rate limit store unavailable") == std::string::npos);
    std::size_t count = 0;
    for (auto at = log.find(R"("route":null,"status":429)"); at != std::string::npos;
         at = log.find(R"("route":null,"status":429)", at + 1))
        ++count;
    CHECK(count == refused);
}

} // namespace redis_cluster_test

TEST_CASE("apikit-server --redis on a cluster: 30 clients told apart by X-Forwarded-For are each "
          "limited exactly, whichever node holds their bucket") {
    namespace t = redis_cluster_test;
    auto const ports = redis_test::shared_cluster_ports();
    // The first primary, then the replica of the second: a server finds
    // the whole cluster from either.
    std::uint32_t series = 0;
    for (auto const seed : {ports[0], ports[4]}) {
        CAPTURE(seed);
        t::seeded_server server(seed);
        apikit_test::http_client c(server.port);
        // Anonymous: the limiter keys them by address and lets 5 through to
        // the guard, which wants a token.
        t::expect_each_limited_to_5(
            t::addresses(series++),
            [&](std::string const& address) { return t::get_users(c, address); },
            [](apikit_test::http_response const& r) {
                test_server::check_error(r, 401, "unauthorized");
            });
        c.close();
        t::stop_and_check_log(server, 60);
    }
}

TEST_CASE("apikit-server --redis on a cluster: 30 signed-in users are each limited exactly, "
          "whichever node holds their bucket") {
    namespace t = redis_cluster_test;
    auto const ports = redis_test::shared_cluster_ports();
    for (auto const seed : {ports[1], ports[5]}) {
        CAPTURE(seed);
        t::seeded_server server(seed);
        apikit_test::http_client c(server.port);
        // One address for all: the limiter keys a signed-in user by subject.
        auto const users = t::subjects(seed == ports[1] ? "primary" : "replica", 10);
        t::expect_each_limited_to_5(
            users,
            [&](std::string const& subject) {
                return t::get_users(c, "10.0.0.1", test_process::limit_key().bearer(subject));
            },
            [](apikit_test::http_response const& r) {
                CHECK(r.result_int() == 200);
                CHECK(apikit_test::body_json(r).at("data").is_array());
            });
        c.close();
        t::stop_and_check_log(server, 60);
    }
}

TEST_CASE("apikit-server --redis on a cluster: two processes seeded from different nodes enforce "
          "one combined limit per user") {
    namespace t = redis_cluster_test;
    auto const ports = redis_test::shared_cluster_ports();
    t::seeded_server a(ports[2], "10:1"); // a primary
    t::seeded_server b(ports[3], "10:1"); // another's replica
    apikit_test::http_client to_a(a.port);
    apikit_test::http_client to_b(b.port);

    // Two users whose buckets are on each primary; each user's requests
    // alternate between the servers: one bucket of 10 drains across both,
    // and both then refuse.
    for (auto const& subject : t::subjects("two", 2)) {
        CAPTURE(subject);
        auto const bearer = test_process::limit_key().bearer(subject);
        to_a.authorization(bearer);
        to_b.authorization(bearer);
        test_process::check_shared_limit(to_a, to_b, 10);
    }
    to_a.close();
    to_b.close();
    t::stop_and_check_log(a, 6);
    t::stop_and_check_log(b, 6);
}

TEST_CASE("apikit-server --redis on a cluster: two processes share refresh tokens, reuse "
          "detection and events, and show the cluster in their metrics") {
    namespace t = redis_cluster_test;
    namespace json = boost::json;
    auto const ports = redis_test::shared_cluster_ports();
    t::seeded_server a(ports[0], "100:10"); // a primary
    t::seeded_server b(ports[4], "100:10"); // another's replica
    apikit_test::http_client to_a(a.port);
    apikit_test::http_client to_b(b.port);
    // This run's own address and email: the login limit's bucket (10 a
    // minute per address) and the users are the run's alone.
    auto const n = t::run_number();
    std::string const address = fmt::format("192.168.{}.{}", (n >> 8) & 0xFF, n & 0xFF);
    std::string const email = fmt::format("ada.{:08x}@example.com", n);
    std::string const password = "correct horse battery";

    // Signed up and logged in on A; the sign-up's event is in the stream.
    auto const created = t::post_from(
        to_a, address, "/users",
        json::serialize(json::value{{"email", email}, {"name", "Ada"}, {"password", password}}));
    REQUIRE(created.result_int() == 201);
    auto const login =
        t::post_from(to_a, address, "/auth/login",
                     json::serialize(json::value{{"email", email}, {"password", password}}));
    REQUIRE(login.result_int() == 200);
    auto const access = std::string(apikit_test::body_json(login).at("access_token").as_string());

    // B lists A's event (newest first: among the first page, whatever the
    // cluster's other tests published meanwhile).
    to_b.authorization("Bearer " + access);
    auto const listed = to_b.get("/events");
    REQUIRE(listed.result_int() == 200);
    auto const page = apikit_test::body_json(listed);
    auto const& events = page.at("data").as_array();
    auto const same = std::find_if(events.begin(), events.end(), [&](json::value const& e) {
        return e.at("type") == "user.created" && e.at("data") == json::parse(created.body());
    });
    CHECK(same != events.end());

    // A's refresh token rotates on B, B's on A.
    auto const first = t::refresh_token_of(login);
    auto const on_b = t::post_from(to_b, address, "/auth/refresh", "", first);
    REQUIRE(on_b.result_int() == 200);
    auto const second = t::refresh_token_of(on_b);
    auto const on_a = t::post_from(to_a, address, "/auth/refresh", "", second);
    REQUIRE(on_a.result_int() == 200);
    auto const third = t::refresh_token_of(on_a);
    // The first token again, on A: reuse. The family is revoked for both,
    // the newest token included.
    test_server::check_error(t::post_from(to_a, address, "/auth/refresh", "", first), 401,
                             "unauthorized");
    test_server::check_error(t::post_from(to_b, address, "/auth/refresh", "", third), 401,
                             "unauthorized");

    // The client's figures in /metrics: every primary's connection up, the
    // whole slot map.
    auto const metrics = to_a.get("/metrics");
    REQUIRE(metrics.result_int() == 200);
    for (std::string_view series :
         {R"(apikit_redis_connection_up{connection="default"} 1)",
          R"(apikit_redis_cluster_primaries{connection="default"} 3)",
          R"(apikit_redis_cluster_slots_covered{connection="default"} 16384)"}) {
        CAPTURE(series);
        CHECK(metrics.body().find(std::string(series) + "\n") != std::string::npos);
    }

    to_a.close();
    to_b.close();
    for (auto* server : {&a, &b}) {
        auto const log = server->stop();
        CHECK(log.find("not published") == std::string::npos);
        CHECK(log.find("unavailable") == std::string::npos);
    }
}
