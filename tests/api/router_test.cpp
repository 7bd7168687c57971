// api/router.hpp: REST resource routes.
#include <apikit/api/error_format.hpp>
#include <apikit/api/router.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

namespace api = apikit::api;
using api::method;
using apikit::errc;

// Handlers are names here: a match says which route it found.
using test_router = api::router<std::string>;

test_router users_router() {
    test_router r;
    r.add(method::get, "/users", "list users")
        .add(method::post, "/users", "create user")
        .add(method::get, "/users/:id", "get user")
        .add(method::patch, "/users/:id", "update user")
        .add(method::delete_, "/users/:id", "delete user")
        .add(method::get, "/users/:id/orders", "list orders")
        .add(method::post, "/users/:id/orders", "create order")
        .add(method::get, "/users/:id/orders/:order_id", "get order")
        .add(method::get, "/healthz", "health")
        .add(method::get, "/", "root");
    return r;
}

std::string handler_of(test_router const& r, method m, std::string_view path) {
    auto const found = r.match(m, path);
    return found ? found->handler() : std::string(apikit::info(found.error().code).code);
}

} // namespace

TEST_CASE("resource routes match method and path to their handlers") {
    auto const r = users_router();
    CHECK(handler_of(r, method::get, "/users") == "list users");
    CHECK(handler_of(r, method::post, "/users") == "create user");
    CHECK(handler_of(r, method::get, "/users/user_1") == "get user");
    CHECK(handler_of(r, method::patch, "/users/user_1") == "update user");
    CHECK(handler_of(r, method::delete_, "/users/user_1") == "delete user");
    CHECK(handler_of(r, method::get, "/users/user_1/orders") == "list orders");
    CHECK(handler_of(r, method::post, "/users/user_1/orders") == "create order");
    CHECK(handler_of(r, method::get, "/users/u/orders/o") == "get order");
    CHECK(handler_of(r, method::get, "/healthz") == "health");
    CHECK(handler_of(r, method::get, "/") == "root");
}

TEST_CASE("a match carries the parameters, the pattern and the allowed methods") {
    auto const r = users_router();
    auto const m = r.match(method::get, "/users/user_7/orders/order_9");
    REQUIRE(m.has_value());
    CHECK(m->pattern() == "/users/:id/orders/:order_id");
    auto const& p = m->params();
    REQUIRE(p.size() == 2);
    CHECK(p.name(0) == "id");
    CHECK(p.value(0) == "user_7");
    CHECK(p.name(1) == "order_id");
    CHECK(p.find("order_id") == "order_9");
    CHECK_FALSE(p.find("nope").has_value());
    CHECK(m->allowed() == api::method_set{method::get, method::head});
    CHECK(r.match(method::get, "/users")->params().empty());
}

TEST_CASE("an unknown path is not_found (404)") {
    auto const r = users_router();
    for (std::string_view path :
         {"/nope", "/users/1/2", "/users/1/orders/2/3", "/userss", "/User", "/USERS", "", "users",
          "*", "/users//orders", "//", "/users//", "/healthz/x"}) {
        CAPTURE(path);
        auto const found = r.match(method::get, path);
        REQUIRE(found.has_error());
        CHECK(found.error().code == errc::not_found);
        CHECK(found.error().allowed.empty());
        CHECK(found.error().to_api_error().status() == 404);
        CHECK(r.allowed(path).empty());
    }
    // A route's prefix that is not itself a route is not a resource.
    test_router deep;
    deep.add(method::get, "/a/b/c", "c");
    CHECK(deep.match(method::get, "/a/b").error().code == errc::not_found);
    CHECK(deep.match(method::get, "/").error().code == errc::not_found);
}

TEST_CASE("a known path with the wrong method is method_not_allowed (405) with Allow") {
    auto const r = users_router();
    auto const put = r.match(method::put, "/users");
    REQUIRE(put.has_error());
    CHECK(put.error().code == errc::method_not_allowed);
    CHECK(put.error().allowed.to_string() == "GET, HEAD, POST");
    auto const e = put.error().to_api_error();
    CHECK(e.status() == 405);
    CHECK(e.code_name() == "method_not_allowed");

    auto const post = r.match(method::post, "/users/u1");
    REQUIRE(post.has_error());
    CHECK(post.error().allowed.to_string() == "GET, HEAD, PATCH, DELETE");
    CHECK(r.match(method::options, "/healthz").error().allowed.to_string() == "GET, HEAD");
    CHECK(r.allowed("/users/u1/orders").to_string() == "GET, HEAD, POST");
}

TEST_CASE("HEAD is served by GET unless registered, and allowed wherever GET is") {
    test_router r;
    r.add(method::get, "/a", "get a")
        .add(method::get, "/b", "get b")
        .add(method::head, "/b", "head b");
    r.add(method::post, "/c", "post c");
    CHECK(handler_of(r, method::head, "/a") == "get a");
    CHECK(handler_of(r, method::head, "/b") == "head b");
    CHECK(r.match(method::head, "/c").error().code == errc::method_not_allowed);
    CHECK(r.allowed("/c").to_string() == "POST");
}

TEST_CASE("typed path parameters") {
    test_router r;
    r.add(method::get, "/items/:id", "item");
    auto get = [&](std::string_view path) { return r.match(method::get, path).value(); };

    CHECK(get("/items/42").params().get<std::int64_t>("id").value() == 42);
    CHECK(get("/items/-7").params().get<int>("id").value() == -7);
    CHECK(get("/items/255").params().get<std::uint8_t>("id").value() == 255);
    CHECK(get("/items/abc").params().get<std::string_view>("id").value() == "abc");
    CHECK(get("/items/abc").params().get<std::string>("id").value() == "abc");

    // Not an integer of that type, or not written canonically: no such resource.
    for (std::string_view bad : {"/items/abc", "/items/4x", "/items/+42", "/items/042", "/items/-0",
                                 "/items/1.0", "/items/%2042", "/items/99999999999999999999"}) {
        CAPTURE(bad);
        auto const v = get(bad).params().get<std::int64_t>("id");
        REQUIRE(v.has_error());
        CHECK(v.error() == errc::not_found);
    }
    // An escaped digit is that digit (RFC 3986 §6.2.2.2).
    CHECK(get("/items/4%32").params().get<int>("id").value() == 42);
    CHECK(get("/items/256").params().get<std::uint8_t>("id").error() == errc::not_found);
    CHECK(get("/items/-1").params().get<unsigned>("id").error() == errc::not_found);
    CHECK(get("/items/0").params().get<unsigned>("id").value() == 0);
    // A name the route does not have is the handler's bug.
    CHECK(get("/items/1").params().get<int>("idd").error() == errc::internal_error);
}

TEST_CASE("trailing slashes, queries and fragments") {
    auto const r = users_router();
    CHECK(handler_of(r, method::get, "/users/") == "list users");
    CHECK(handler_of(r, method::get, "/users/u1/") == "get user");
    CHECK(handler_of(r, method::get, "/users?limit=20&cursor=abc") == "list users");
    CHECK(handler_of(r, method::get, "/users/?limit=20") == "list users");
    CHECK(handler_of(r, method::get, "/users/u1#frag") == "get user");
    CHECK(handler_of(r, method::get, "/?x=1") == "root");
    CHECK(r.match(method::get, "/users/u1?x=/y").value().params().value(0) == "u1");
}

TEST_CASE("percent-encoding is decoded per segment, after splitting") {
    auto const r = users_router();
    CHECK(handler_of(r, method::get, "/%75sers") == "list users");
    CHECK(handler_of(r, method::get, "/%75%73%65%72%73/") == "list users");
    CHECK(handler_of(r, method::get, "/user%73/x/%6Frders") == "list orders");

    auto const m = r.match(method::get, "/users/a%2Fb%20c%25/orders/%E2%82%AC");
    REQUIRE(m.has_value());
    CHECK(m->params().value(0) == "a/b c%");
    CHECK(m->params().value(1) == "€");
    CHECK(r.match(method::get, "/users/%2F").value().params().value(0) == "/");
    // Decoded values outlive a move of the match.
    auto moved = std::move(*m);
    CHECK(moved.params().find("id") == "a/b c%");

    for (std::string_view bad :
         {"/users/%zz", "/users/%4", "/users/%", "/%7", "/users/u%2/orders", "/users/%G0"}) {
        CAPTURE(bad);
        auto const found = r.match(method::get, bad);
        REQUIRE(found.has_error());
        CHECK(found.error().code == errc::malformed_request);
        CHECK(found.error().to_api_error().status() == 400);
    }
}

TEST_CASE("a literal wins over a parameter, falling back when the rest does not match") {
    test_router r;
    r.add(method::get, "/users/:id", "user")
        .add(method::get, "/users/me", "me")
        .add(method::get, "/users/me/settings", "my settings")
        .add(method::get, "/users/:id/orders", "orders");
    CHECK(handler_of(r, method::get, "/users/me") == "me");
    CHECK(handler_of(r, method::get, "/users/you") == "user");
    CHECK(handler_of(r, method::get, "/users/me/settings") == "my settings");
    auto const fallback = r.match(method::get, "/users/me/orders");
    REQUIRE(fallback.has_value());
    CHECK(fallback->handler() == "orders");
    CHECK(fallback->params().find("id") == "me");
    // The path picks the resource before the method does: /users/me is its
    // own resource, so DELETE there is 405, not the parameter route.
    r.add(method::delete_, "/users/:id", "delete user");
    CHECK(r.match(method::delete_, "/users/me").error().code == errc::method_not_allowed);
    CHECK(handler_of(r, method::delete_, "/users/you") == "delete user");
}

TEST_CASE("malformed, duplicate and ambiguous registrations throw, and change nothing") {
    auto throws = [](std::string_view pattern) {
        CAPTURE(pattern);
        test_router r;
        CHECK_THROWS_AS(r.add(method::get, pattern, "x"), std::invalid_argument);
    };
    for (std::string_view p :
         {"", "users", "/users/", "//", "/users//orders", "/:", "/:1id", "/:id-x", "/a/:id/b/:id",
          "/a b", "/a%20b", "/a?b", "/a#b", "/./a", "/a/..", "/ü", "/a/:id:x",
          "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19/20/21/22/23/24/25/26/27/28/29/30/31/32/"
          "33",
          "/:a/:b/:c/:d/:e/:f/:g/:h/:i"})
        throws(p);

    test_router r;
    r.add(method::get, "/users/:id", "get user");
    CHECK_THROWS_AS(r.add(method::get, "/users/:id", "again"), std::invalid_argument);
    CHECK_THROWS_AS(r.add(method::get, "/users/:uid", "renamed"), std::invalid_argument);
    CHECK_THROWS_AS(r.add(method::post, "/users/:uid/orders", "renamed below"),
                    std::invalid_argument);
    // A failed add left no trace: the renamed subtree can still be added
    // under the right name, and nothing half-built answers.
    CHECK(r.match(method::post, "/users/1/orders").error().code == errc::not_found);
    CHECK_NOTHROW(r.add(method::post, "/users/:id/orders", "create order"));
    CHECK(handler_of(r, method::post, "/users/1/orders") == "create order");
    CHECK_NOTHROW(r.add(method::post, "/users/:id", "another method"));

    test_router fresh;
    CHECK_THROWS_AS(fresh.add(method::get, "/a/:x/:x", "dup"), std::invalid_argument);
    CHECK_NOTHROW(fresh.add(method::get, "/a/:y", "ok")); // no leftover `:x` at that position
}

TEST_CASE("the limits are inclusive: 8 parameters, 32 segments") {
    test_router r;
    r.add(method::get, "/:a/:b/:c/:d/:e/:f/:g/:h", "eight");
    auto const m = r.match(method::get, "/1/2/3/4/5/6/7/8");
    REQUIRE(m.has_value());
    CHECK(m->params().size() == 8);
    CHECK(m->params().find("h") == "8");
    std::string deep;
    for (int i = 0; i < 32; ++i)
        deep += "/s";
    r.add(method::get, deep, "deep");
    CHECK(handler_of(r, method::get, deep) == "deep");
    CHECK(handler_of(r, method::get, deep + "/s") == "not_found");
    // A path far deeper than any route is turned away before any comparison.
    std::string huge;
    for (int i = 0; i < 10000; ++i)
        huge += "/s";
    CHECK(handler_of(r, method::get, huge) == "not_found");
}

TEST_CASE("the router works with std::function handlers and move-only handlers") {
    api::router<std::function<int(api::path_params const&)>> r;
    r.add(method::get, "/n/:v",
          [](api::path_params const& p) { return p.get<int>("v").value() * 2; });
    auto const m = r.match(method::get, "/n/21");
    REQUIRE(m.has_value());
    CHECK(m->handler()(m->params()) == 42);

    api::router<std::unique_ptr<int>> owning;
    owning.add(method::get, "/x", std::make_unique<int>(5));
    CHECK(*owning.match(method::get, "/x")->handler() == 5);
}

TEST_CASE("routing_error: value() on a failed match throws with the apikit code") {
    auto const r = users_router();
    auto const found = r.match(method::get, "/nope");
    CHECK_THROWS_AS((void)found.value(), boost::system::system_error);
}
