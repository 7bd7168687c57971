// The sample server's log over real HTTP: every line a JSON object with
// timestamp, level, message and context; every line of a request with its
// request, trace and span ids; the context a handler adds carried into the
// request's later lines; the minimum level obeyed by every line, the access
// log's included; and no secret anywhere — not the Authorization header's
// token, not a password, not a refresh cookie — while several threads sign
// up, sign in, refresh, order and sign out at once.

#include "fixture.hpp"

#include <apikit/obs/level.hpp>

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace test_server;

namespace logs_test {

std::string header(response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string() : std::string(it->value());
}

/// The refresh token of a response's Set-Cookie (`__Secure-refresh=<token>; …`).
std::string refresh_token_of(response const& r) {
    auto const cookie = header(r, "Set-Cookie");
    auto const start = cookie.find('=') + 1;
    return cookie.substr(start, cookie.find(';') - start);
}

response with_cookie(client& c, std::string_view target, std::string const& token) {
    apikit_test::http_request req(http::verb::post, target, 11);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::cookie, "__Secure-refresh=" + token);
    return c.request(std::move(req));
}

/// Every line the server logged, each checked to be a log line.
std::vector<json::object> log_lines(running_server& server) {
    server.server().parts().log->flush();
    std::vector<json::object> out;
    for (auto const& line : server.log().lines()) {
        CAPTURE(line);
        boost::system::error_code ec;
        auto v = json::parse(line, ec);
        REQUIRE_FALSE(ec);
        REQUIRE(v.is_object());
        auto& o = v.as_object();
        CHECK(o.size() == 4);
        CHECK(o.at("timestamp").as_string().size() == apikit::rfc3339_ms_size);
        CHECK(o.at("timestamp").as_string().ends_with("Z"));
        CHECK(apikit::obs::parse_level(o.at("level").as_string()).has_value());
        CHECK_FALSE(o.at("message").as_string().empty());
        CHECK(o.at("context").is_object());
        out.push_back(std::move(o));
    }
    return out;
}

bool lower_hex(std::string_view s, std::size_t n) {
    return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST_CASE("the log under concurrent requests: JSON lines, each request's ids, no secret") {
    running_server server(2);
    constexpr int threads = 4;
    constexpr int rounds = 3;
    std::mutex m;
    std::vector<std::string> secrets; // every password, token and cookie a client had
    std::atomic<int> failures{0};

    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            try {
                client c(server.port());
                auto expect = [&](response const& r, unsigned status) {
                    if (r.result_int() != status)
                        ++failures;
                };
                std::vector<std::string> mine;
                for (int r = 0; r < rounds; ++r) {
                    auto const email =
                        "user" + std::to_string(t) + "-" + std::to_string(r) + "@example.com";
                    auto const password = "secret password " + std::to_string(t * 100 + r);
                    mine.push_back(password);
                    auto const created = c.post_json(
                        "/users",
                        json::value{{"email", email}, {"name", "Ann"}, {"password", password}});
                    expect(created, 201);
                    auto const id = std::string(body_json(created).at("id").as_string());

                    auto const login = c.post_json(
                        "/auth/login", json::value{{"email", email}, {"password", password}});
                    expect(login, 200);
                    auto const access =
                        std::string(body_json(login).at("access_token").as_string());
                    auto refresh = refresh_token_of(login);
                    mine.push_back(access);
                    mine.push_back(refresh);

                    c.authorization("Bearer " + access);
                    expect(c.get("/users?limit=5"), 200);
                    expect(c.post_json("/users/" + id + "/orders",
                                       json::value{{"item", "book"}, {"quantity", 1}}),
                           201);
                    expect(c.get("/events?limit=2"), 200);
                    c.authorization("Bearer not-a-token." + password); // refused, and secret
                    expect(c.get("/users"), 401);
                    c.authorization("");

                    auto const rotated = with_cookie(c, "/auth/refresh", refresh);
                    expect(rotated, 200);
                    mine.push_back(std::string(body_json(rotated).at("access_token").as_string()));
                    refresh = refresh_token_of(rotated);
                    mine.push_back(refresh);
                    expect(with_cookie(c, "/auth/logout", refresh), 204);
                }
                std::lock_guard lock(m);
                secrets.insert(secrets.end(), mine.begin(), mine.end());
            } catch (...) {
                ++failures;
            }
        });
    }
    for (auto& w : workers)
        w.join();
    REQUIRE(failures.load() == 0);
    REQUIRE(secrets.size() == threads * rounds * 5);

    auto const lines = log_lines(server);
    std::size_t requests = 0, orders = 0;
    std::set<std::string> request_ids;
    for (auto const& line : lines) {
        auto const& ctx = line.at("context").as_object();
        if (!ctx.contains("request_id"))
            continue; // none here: the fixture logs no start-up lines
        // Every line of a request carries its trace.
        CHECK(lower_hex(ctx.at("trace_id").as_string(), 32));
        CHECK(lower_hex(ctx.at("span_id").as_string(), 16));
        if (line.at("message") == "request") {
            ++requests;
            request_ids.insert(std::string(ctx.at("request_id").as_string()));
        }
        if (line.at("message") == "Order placed") {
            ++orders;
            // What the handler set is in its line, after what earlier layers set.
            CHECK(ctx.at("user_id").as_string().starts_with("user_"));
            CHECK(ctx.at("order_id").as_string().starts_with("order_"));
        }
    }
    CHECK(requests == threads * rounds * 8);
    CHECK(request_ids.size() == requests);
    CHECK(orders == threads * rounds);
    CHECK(lines.size() == requests + orders + threads * rounds /* User created */);

    // No secret, anywhere in the log.
    auto const text = server.log().text();
    for (auto const& s : secrets) {
        CAPTURE(s);
        CHECK(text.find(s) == std::string::npos);
    }
    CHECK(text.find("Bearer") == std::string::npos);
    CHECK(text.find("__Secure-refresh") == std::string::npos);
    CHECK(text.find("$scrypt$") == std::string::npos);
}

TEST_CASE("a request's lines share its ids, and what the handler adds reaches the access log") {
    running_server server;
    client c(server.port());
    auto const ada = sign_up(c, "ada@example.com");
    server.authorize(c, id_of(ada));
    auto const placed = c.post_json("/users/" + id_of(ada) + "/orders",
                                    json::value{{"item", "book"}, {"quantity", 3}});
    REQUIRE(placed.result_int() == 201);
    auto const order_id = std::string(body_json(placed).at("id").as_string());

    std::vector<json::object> of_request;
    for (auto& line : log_lines(server))
        if (line.at("context").as_object().if_contains("request_id") &&
            line.at("context").at("request_id").as_string() == header(placed, "X-Request-Id"))
            of_request.push_back(std::move(line));
    REQUIRE(of_request.size() == 2);
    auto const& placed_line = of_request[0];
    auto const& access_line = of_request[1];
    CHECK(placed_line.at("message") == "Order placed");
    CHECK(placed_line.at("level") == "info");
    CHECK(access_line.at("message") == "request");
    auto const& a = placed_line.at("context").as_object();
    auto const& b = access_line.at("context").as_object();
    // The reference's shape: request_id first, then what the request carries.
    CHECK(a.begin()->key() == "request_id");
    CHECK(a.at("user_id").as_string() == id_of(ada));
    CHECK(a.at("order_id").as_string() == order_id);
    CHECK(a.at("item").as_string() == "book");
    CHECK(a.at("quantity").as_int64() == 3);
    for (auto const* key : {"trace_id", "span_id", "user_id", "order_id"})
        CHECK(a.at(key) == b.at(key));
    // The trace is the one the response names.
    auto const traceparent = header(placed, "traceparent");
    CHECK(traceparent.substr(3, 32) == a.at("trace_id").as_string());
    CHECK(traceparent.substr(36, 16) == a.at("span_id").as_string());
}

TEST_CASE("the minimum level holds for every line, the access log's included") {
    SUBCASE("warn: a served request writes nothing") {
        server_setup setup;
        setup.log_level = apikit::obs::level::warn;
        running_server server(std::move(setup));
        client c(server.port());
        auto const ada = sign_up(c, "ada@example.com");
        server.authorize(c);
        CHECK(c.post_json("/users/" + id_of(ada) + "/orders",
                          json::value{{"item", "book"}, {"quantity", 1}})
                  .result_int() == 201);
        CHECK(c.get("/nowhere").result_int() == 404);
        CHECK(log_lines(server).empty());
        // Changed at run time, it holds from the next line on.
        server.server().logger().min_level(apikit::obs::level::debug);
        CHECK(c.get("/healthz").result_int() == 200);
        auto const lines = log_lines(server);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].at("message") == "request");
    }
    SUBCASE("info: every request's line, and the handlers' lines") {
        running_server server;
        client c(server.port());
        sign_up(c, "ada@example.com");
        std::vector<std::string> messages;
        for (auto const& line : log_lines(server))
            messages.emplace_back(line.at("message").as_string());
        CHECK(messages == std::vector<std::string>{"User created", "request"});
    }
}

} // namespace logs_test
