// Two apikit-server processes on one Redis share one event log: each lists
// the events the other published (GET /events), newest first, with a cursor
// either one accepts; with Redis gone, a sign-up still succeeds and its
// event is logged as not published. The servers are the real binary; Redis
// is a private redis-server on loopback (tests/services/redis_server.hpp).

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

namespace redis_events_test {

std::string const server_binary = APIKIT_SERVER_BINARY;

test_process::signing_key_file const& events_key() {
    static test_process::signing_key_file const key;
    return key;
}

std::string header_of(apikit_test::http_response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string() : std::string(it->value());
}

/// An apikit-server on a free port whose events are in the Redis of `redis_port`.
struct events_server : test_process::server_process {
    explicit events_server(std::uint16_t redis_port)
        : server_process(server_binary, {"--port", "0", "--redis",
                                         "redis://127.0.0.1:" + std::to_string(redis_port),
                                         "--jwt-key", events_key().path(), "--cursor-key",
                                         "c2FtZSBrZXkgZm9yIGJvdGggaW5zdGFuY2VzLCAzMiBieXRlcw"}) {}
};

apikit_test::http_response sign_up(apikit_test::http_client& c, std::string const& email) {
    return c.post_json(
        "/users",
        json::value{{"email", email}, {"name", "Ada"}, {"password", "correct horse battery"}});
}

json::array events_of(apikit_test::http_client& c, std::string const& target = "/events") {
    auto const r = c.get(target);
    REQUIRE(r.result_int() == 200);
    return json::parse(r.body()).at("data").as_array();
}

TEST_CASE("apikit-server --redis: a second process lists the first one's events") {
    apikit_test::redis_server redis;
    events_server a(redis.port());
    events_server b(redis.port());
    apikit_test::http_client to_a(a.port);
    apikit_test::http_client to_b(b.port);
    to_a.authorization(events_key().bearer());
    to_b.authorization(events_key().bearer());

    auto const created = sign_up(to_a, "ada@example.com");
    REQUIRE(created.result_int() == 201);
    // The 201 came after the bus stored the event: B finds it at once.
    auto const seen_by_b = events_of(to_b);
    REQUIRE(seen_by_b.size() == 1);
    auto const& e = seen_by_b[0].as_object();
    CHECK(e.at("type").as_string() == "user.created");
    CHECK(e.at("data") == json::parse(created.body()));
    CHECK(e.at("metadata").at("correlation_id").as_string() == header_of(created, "X-Request-Id"));
    CHECK(e.at("metadata").at("trace_id").as_string() ==
          header_of(created, "traceparent").substr(3, 32));

    // B's event, then A lists both, newest first, a page at a time.
    auto const user_id = std::string(json::parse(created.body()).at("id").as_string());
    auto const placed = to_b.post_json("/users/" + user_id + "/orders",
                                       json::value{{"item", "book"}, {"quantity", 1}});
    // B keeps its users in its own memory: it knows no such user, and
    // publishes nothing for the 404.
    CHECK(placed.result_int() == 404);
    REQUIRE(sign_up(to_b, "bob@example.com").result_int() == 201);
    auto const first = to_a.get("/events?limit=1");
    REQUIRE(first.result_int() == 200);
    auto const page = json::parse(first.body());
    REQUIRE(page.at("data").as_array().size() == 1);
    CHECK(page.at("data").at(0).at("data").at("email").as_string() == "bob@example.com");
    REQUIRE(page.at("has_more").as_bool());
    // The cursor A signed is good on B (one --cursor-key): the older event.
    auto const cursor = std::string(page.at("next_cursor").as_string());
    auto const rest = events_of(to_b, "/events?limit=1&cursor=" + cursor);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].at("data").at("email").as_string() == "ada@example.com");

    // Each process's /metrics has its Redis connection and what it published.
    auto const metrics = to_b.get("/metrics").body();
    CHECK(metrics.find("\napikit_events_published_total 1\n") != std::string::npos);
    CHECK(metrics.find("apikit_redis_connection_up{connection=\"default\"} 1") !=
          std::string::npos);

    to_a.close();
    to_b.close();
    a.stop();
    b.stop();
}

TEST_CASE("apikit-server --redis: with Redis gone a sign-up succeeds and its event is logged") {
    std::optional<apikit_test::redis_server> redis(std::in_place);
    events_server server(redis->port());
    apikit_test::http_client c(server.port);
    c.authorization(events_key().bearer());
    REQUIRE(sign_up(c, "ada@example.com").result_int() == 201);

    redis.reset(); // stopped
    auto const created = sign_up(c, "bob@example.com");
    CHECK(created.result_int() == 201);
    auto const listed = c.get("/events");
    CHECK(listed.result_int() == 503);
    CHECK(json::parse(listed.body()).at("error").at("code").as_string() == "service_unavailable");
    CHECK(c.get("/metrics").body().find("\napikit_events_unpublished_total 1\n") !=
          std::string::npos);
    c.close();

    auto const log = server.stop();
    bool found = false;
    std::string_view rest = log;
    while (!rest.empty()) {
        auto const nl = rest.find('\n');
        auto const line = json::parse(rest.substr(0, nl));
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        if (line.at("message") != "event not published")
            continue;
        found = true;
        CHECK(line.at("level") == "error");
        CHECK(line.at("context").at("request_id").as_string() ==
              header_of(created, "X-Request-Id"));
        CHECK(line.at("context").at("event_type").as_string() == "user.created");
    }
    CHECK(found);
}

} // namespace redis_events_test
