// The routes over a store that answers later, from a thread of its own (as
// a database store does): every route suspends its exchange and is resumed
// by the store's answer, with the very responses the memory store gives;
// pipelined requests are answered in order; a store that cannot be
// reached is a 503. (concurrency_test.cpp runs many clients over it.)

#include "fixture.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <string>
#include <vector>

using namespace test_server;

namespace {

/// `res` with what differs from run to run masked: ids (user_, order_,
/// req_ and 22 characters), the cursors that hold them, the Date.
std::string masked(response const& res) {
    static std::regex const ids("(user|order|req)_[0-9A-Za-z]{22}");
    static std::regex const cursor(R"("next_cursor":"[^"]*")");
    std::string out = std::to_string(res.result_int());
    for (auto const* name : {"Content-Type", "Location", "Allow"})
        if (auto const it = res.find(name); it != res.end())
            out.append("\n").append(name).append(": ").append(it->value());
    out.append("\n\n").append(res.body());
    out = std::regex_replace(out, ids, "$1_*");
    return std::regex_replace(out, cursor, R"("next_cursor":"*")");
}

/// Runs the same requests, one of every outcome of every route, and
/// returns each response, masked. `{ada}` in a target is the id of the
/// first user signed up, `{book}` that of her first order.
std::vector<std::string> every_outcome(running_server& server) {
    client c(server.port());
    server.authorize(c);
    std::vector<std::string> out;
    std::string ada, book;
    auto send = [&](http::verb method, std::string target, std::string body = {},
                    std::string_view type = "application/json") {
        if (auto const at = target.find("{ada}"); at != std::string::npos)
            target.replace(at, 5, ada);
        if (auto const at = target.find("{book}"); at != std::string::npos)
            target.replace(at, 6, book);
        auto const res = c.request(method, target, std::move(body), type);
        out.push_back(masked(res));
        return res;
    };
    auto const get = http::verb::get;
    auto const post = http::verb::post;

    auto const created =
        send(post, "/users",
             R"({"email":"ada@example.com","name":"Ada","password":"correct horse battery"})");
    REQUIRE(created.result_int() == 201);
    ada = std::string(body_json(created).at("id").as_string());
    send(post, "/users",
         R"({"email":"ADA@example.com","name":"Ada","password":"correct horse battery"})");   // 409
    send(post, "/users", R"({"email":"nope","name":"","password":"correct horse battery"})"); // 422
    send(post, "/users", R"({"email":"a@b.co","name":"A","password":"correct horse battery"})",
         "text/plain");              // 415
    send(post, "/users", "[1]");     // 400
    send(get, "/users/{ada}");       // 200
    send(get, "/users/user_nobody"); // 404
    auto const ordered = send(post, "/users/{ada}/orders", R"({"item":"book","quantity":3})");
    REQUIRE(ordered.result_int() == 201);
    book = std::string(body_json(ordered).at("id").as_string());
    send(post, "/users/{ada}/orders", R"({"item":"pen","quantity":1})");        // 201
    send(post, "/users/{ada}/orders", "{}");                                    // 422
    send(post, "/users/{ada}/orders", "[1]");                                   // 400
    send(post, "/users/user_nobody/orders", R"({"item":"book","quantity":1})"); // 404
    send(post, "/users/user_nobody/orders", "{}");                              // 404 first
    send(get, "/users/{ada}/orders");                                           // 200
    send(get, "/users/{ada}/orders?limit=1");                                   // 200, more
    send(get, "/users/{ada}/orders?limit=0");                                   // 422
    send(get, "/users/user_nobody/orders");                                     // 404
    send(get, "/users/user_nobody/orders?limit=0&cursor=junk");                 // 404 first
    send(post, "/users",
         R"({"email":"bob@example.com","name":"Bob","password":"correct horse battery"})"); // 201
    send(get, "/users");                                                                    // 200
    send(get, "/users?limit=1");                          // 200, more
    send(get, "/users?limit=1001");                       // 422
    send(get, "/users?cursor=junk");                      // 400
    send(get, "/users?page=2&per_page=1");                // 200
    send(get, "/users?page=0");                           // 422
    send(get, "/users?page=1&limit=5");                   // 422
    send(get, "/users/{ada}/orders?page=2&per_page=1");   // 200
    send(get, "/users/{ada}/orders?page=0");              // 422
    send(get, "/users/{ada}/orders?per_page=1&cursor=x"); // 422
    send(get, "/users/user_nobody/orders?page=1");        // 404
    send(get, "/users/{ada}/orders/{book}");              // 200
    send(get, "/users/{ada}/orders/order_nothing");       // 404
    send(get, "/users/user_nobody/orders/{book}");        // 404
    send(http::verb::delete_, "/users/{ada}");            // 405
    send(get, "/healthz");                                // 200
    return out;
}

} // namespace

TEST_CASE(
    "a store that answers later: every route's outcome is the memory store's, byte for byte") {
    running_server memory;
    running_server later(1, std::nullopt, users_in::later);
    REQUIRE(later.later() != nullptr);
    auto const expected = every_outcome(memory);
    std::vector<std::string> statuses;
    for (auto const& e : expected)
        statuses.push_back(e.substr(0, 3));
    CHECK(statuses == std::vector<std::string>{"201", "409", "422", "415", "400", "200", "404",
                                               "201", "201", "422", "400", "404", "404", "200",
                                               "200", "422", "404", "404", "201", "200", "200",
                                               "422", "400", "200", "422", "422", "200", "422",
                                               "422", "404", "200", "404", "404", "405", "200"});
    auto const got = every_outcome(later);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        CHECK(got[i] == expected[i]);
    }
    // Every store operation went through the store's thread, the routes
    // suspended meanwhile: one per request that reached the store (a bad
    // query or body under /users/:id asks whether the user exists first).
    CHECK(later.later()->calls() == 26);
}

TEST_CASE("a store that answers later: pipelined requests are answered in order") {
    running_server server(1, std::nullopt, users_in::later);
    client c(server.port());
    server.authorize(c);
    auto const ada = id_of(sign_up(c, "ada@example.com"));
    std::string const json = "Content-Type: application/json\r\n";
    std::string const bearer = "Authorization: Bearer " + server.token() + "\r\n";
    auto post = [&](std::string_view target, std::string_view body) {
        return fmt::format("POST {} HTTP/1.1\r\nHost: x\r\n{}{}Content-Length: {}\r\n\r\n{}",
                           target, bearer, json, body.size(), body);
    };
    auto get = [&](std::string_view target) {
        return fmt::format("GET {} HTTP/1.1\r\nHost: x\r\n{}\r\n", target, bearer);
    };
    c.send_raw(
        post("/users",
             R"({"email":"bob@example.com","name":"Bob","password":"correct horse battery"})") +
        post("/users",
             R"({"email":"BOB@example.com","name":"Bob","password":"correct horse battery"})") +
        get("/users/user_nobody") + get("/healthz") +
        post("/users/" + ada + "/orders", R"({"item":"book","quantity":2})") +
        get("/users/" + ada + "/orders") + get("/users?limit=1") + get("/users?page=1&per_page=5"));
    auto const bob = c.read();
    CHECK(bob.result_int() == 201);
    check_error(c.read(), 409, "conflict");
    check_error(c.read(), 404, "not_found");
    CHECK(c.read().body() == R"({"status":"ok"})");
    auto const order = c.read();
    CHECK(order.result_int() == 201);
    auto const orders = body_json(c.read());
    REQUIRE(orders.at("data").as_array().size() == 1);
    CHECK(orders.at("data").at(0) == body_json(order));
    auto const newest = body_json(c.read());
    CHECK(newest.at("data").at(0) == body_json(bob)); // Bob signed up after Ada
    CHECK(body_json(c.read()).at("total").as_int64() == 2);
}

TEST_CASE("a store that cannot be reached: its routes are a 503, /healthz is not") {
    running_server server(1, std::nullopt, users_in::later);
    client c(server.port());
    server.authorize(c);
    auto const ada = id_of(sign_up(c, "ada@example.com"));
    server.later()->fail_with(apikit::errc::service_unavailable);
    check_error(c.get("/users"), 503, "service_unavailable");
    check_error(c.get("/users?page=1"), 503, "service_unavailable");
    check_error(c.get("/users/" + ada), 503, "service_unavailable");
    check_error(
        c.post("/users",
               R"({"email":"bob@example.com","name":"Bob","password":"correct horse battery"})"),
        503, "service_unavailable");
    check_error(c.get("/users/" + ada + "/orders"), 503, "service_unavailable");
    check_error(c.post("/users/" + ada + "/orders", "{}"), 503, "service_unavailable");
    CHECK(c.get("/healthz").result_int() == 200);
}
