// http::app without a server: routing decisions and the handler shapes.

#include "support.hpp"

using namespace http_test;

namespace {

// Runs `app` as a server does: as the handler of a chain.
void run(http::chain<http::app> const& c, exchange_harness& h, std::string const& raw) {
    h.load(raw);
    c.start(h.ex());
}

} // namespace

TEST_CASE("app: the three handler shapes") {
    http::app app;
    app.get("/sync", [](http::request const& req, http::response& res) {
        res.text(std::string(req.path()));
    });
    app.get("/exchange/:x", [](http::exchange& ex) {
        ex.response().text(std::string(*ex.request().params().find("x")));
    });
    app.get("/later", [](http::request const&, http::response& res, http::continuation k) {
        res.text("later");
        k();
    });
    http::chain const c{std::move(app)};
    exchange_harness h;
    run(c, h, "GET /sync HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().body() == "/sync");
    run(c, h, "GET /exchange/a%20b HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().body() == "a b");
    CHECK(h.req().route() == "/exchange/:x");
    run(c, h, "GET /later HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.ex().suspended());
    CHECK(h.res().body() == "later");
}

TEST_CASE("app: what the router decides becomes an error response") {
    http::app app;
    app.get("/users", [](http::request const&, http::response& res) { res.text("list"); });
    app.post("/users", [](http::request const&, http::response& res) { res.text("made"); });
    http::chain const c{std::move(app)};
    exchange_harness h;

    run(c, h, "PUT /users HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().status() == 405);
    CHECK(h.res().header("Allow") == "GET, HEAD, POST, OPTIONS"); // the list OPTIONS gives
    REQUIRE(h.res().error());
    CHECK(h.res().error()->code == apikit::errc::method_not_allowed);

    run(c, h, "GET /other HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().status() == 404);

    run(c, h, "PROPFIND /other HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().status() == 404);

    run(c, h, "PROPFIND /users HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().status() == 405);

    run(c, h, "OPTIONS /users HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().status() == 204);
    CHECK(h.res().header("Allow") == "GET, HEAD, POST, OPTIONS");

    run(c, h, "HEAD /users HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().status() == 200);
    CHECK(h.res().body() == "list"); // the server drops it on the wire

    run(c, h, "GET /users/ HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().body() == "list");

    // Absolute-form targets route by their path.
    run(c, h, "GET http://example.com/users?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(h.res().body() == "list");
}

TEST_CASE("app: a registration the router refuses throws") {
    http::app app;
    auto const h = [](http::request const&, http::response&) {};
    app.get("/users/:id", h);
    CHECK_THROWS_AS(app.get("/users/:id", h), std::invalid_argument);
    CHECK_THROWS_AS(app.get("/users/:uid/orders", h), std::invalid_argument);
    CHECK_THROWS_AS(app.get("users", h), std::invalid_argument);
}

TEST_CASE("app: the request records the pattern of the route whose handler runs") {
    http::app app;
    auto const ok = [](http::request const&, http::response& res) { res.text("ok"); };
    app.get("/users/:id/orders", ok);
    app.get("/users/me", ok);
    app.get("/", ok);
    app.get("/users/:id", [](http::request const& req, http::response& res) {
        // A handler that refuses its parameter answers on its route.
        if (!req.param<std::int64_t>("id"))
            return res.error(apikit::errc::not_found);
        res.text("ok");
    });
    http::chain const c{std::move(app)};
    exchange_harness h;
    auto const route_of = [&](std::string const& request_line) {
        run(c, h, request_line + "\r\nHost: h\r\n\r\n");
        return std::string(h.req().route());
    };
    // The pattern, not the path: what the access log and per-route figures
    // group by.
    CHECK(route_of("GET /users/42/orders?limit=2 HTTP/1.1") == "/users/:id/orders");
    CHECK(route_of("GET /users/me HTTP/1.1") == "/users/me");
    CHECK(route_of("GET /users/m%65/ HTTP/1.1") == "/users/me");
    CHECK(route_of("GET / HTTP/1.1") == "/");
    CHECK(route_of("HEAD /users/42 HTTP/1.1") == "/users/:id"); // GET's handler runs
    CHECK(route_of("GET /users/0042 HTTP/1.1") == "/users/:id");
    CHECK(h.res().status() == 404);
    // No handler ran: no route, whatever the router found.
    CHECK(route_of("GET /nowhere HTTP/1.1").empty());
    CHECK(route_of("DELETE /users/42 HTTP/1.1").empty());  // 405
    CHECK(route_of("OPTIONS /users/42 HTTP/1.1").empty()); // the app's own 204
    CHECK(route_of("PROPFIND /users/42 HTTP/1.1").empty());
}
