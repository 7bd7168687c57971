// The sample server's routes over real HTTP: every status of the contract
// and the exact JSON shapes.

#include "fixture.hpp"

#include <doctest/doctest.h>

using namespace test_server;
using namespace std::chrono_literals;

TEST_CASE("GET /healthz answers {\"status\":\"ok\"}") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const res = c.get("/healthz");
    CHECK(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res.body() == R"({"status":"ok"})");
    CHECK_FALSE(res["X-Request-Id"].empty());

    // HEAD runs the GET route without a body.
    auto const head = c.request(http::verb::head, "/healthz");
    CHECK(head.result_int() == 200);
    CHECK(head[http::field::content_length] == "15");
    CHECK(head.body().empty());
    CHECK(c.get("/healthz").body() == R"({"status":"ok"})"); // the connection is still in step
}

TEST_CASE("POST /users creates a user: 201, Location, the user's JSON") {
    running_server server;
    server.clock().advance(1234ms);
    client c(server.port());
    server.authorize(c);
    auto const res = c.post(
        "/users",
        R"({"email":"ada@example.com","name":"Ada Lovelace","password":"correct horse battery"})");
    REQUIRE(res.result_int() == 201);
    CHECK(res[http::field::content_type] == "application/json");
    auto const body = body_json(res);
    check_user_shape(body);
    auto const id = body.at("id").as_string();
    CHECK(res[http::field::location] == "/users/" + std::string(id));
    CHECK(body.at("email").as_string() == "ada@example.com");
    CHECK(body.at("name").as_string() == "Ada Lovelace");
    CHECK(body.at("created_at").as_string() == "2024-01-15T10:00:01.234Z");
    CHECK(body.at("version").as_int64() == 1);

    // The user is there, with the same JSON.
    auto const got = c.get(res[http::field::location]);
    CHECK(got.result_int() == 200);
    CHECK(body_json(got) == body);
}

TEST_CASE("POST /users ignores members it does not know") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const res = c.post(
        "/users",
        R"({"id":"user_chosen","email":"ada@example.com","name":"Ada","password":"correct horse battery","version":7,"admin":true})");
    REQUIRE(res.result_int() == 201);
    auto const body = body_json(res);
    check_user_shape(body);
    CHECK(body.at("id").as_string() != "user_chosen");
    CHECK(body.at("version").as_int64() == 1);
    CHECK_FALSE(body.as_object().contains("admin"));
}

TEST_CASE("POST /users: a bad field is a 422 naming it, both when both are bad") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    using fields = std::vector<std::string>;
    CHECK(invalid_fields(c.post(
              "/users",
              R"({"email":"not-an-email","name":"Ada","password":"correct horse battery"})")) ==
          fields{"email"});
    CHECK(invalid_fields(c.post(
              "/users",
              R"({"email":"ada@example.com","name":"   ","password":"correct horse battery"})")) ==
          fields{"name"});
    CHECK(invalid_fields(c.post(
              "/users", R"({"email":"ada@","name":"","password":"correct horse battery"})")) ==
          fields{"email", "name"});
    CHECK(invalid_fields(c.post("/users", R"({})")) == fields{"email", "name", "password"});
    CHECK(invalid_fields(c.post(
              "/users", R"({"email":42,"name":["Ada"],"password":"correct horse battery"})")) ==
          fields{"email", "name"});
    CHECK(invalid_fields(c.post(
              "/users", R"({"email":null,"name":null,"password":"correct horse battery"})")) ==
          fields{"email", "name"});
    auto const long_name = json::value{
        {"email", "ada@example.com"}, {"name", std::string(201, 'a')}, {"password", test_password}};
    CHECK(invalid_fields(c.post_json("/users", long_name)) == fields{"name"});

    // The messages say what is wrong.
    auto const res =
        c.post("/users", R"({"email":"ada example.com","password":"correct horse battery"})");
    auto const details = details_of(check_error(res, 422, "validation_error"));
    REQUIRE(details.size() == 2);
    CHECK(details[0] == std::pair<std::string, std::string>{"email", "Invalid format"});
    CHECK(details[1] == std::pair<std::string, std::string>{"name", "is required"});

    // Nothing was stored.
    CHECK(body_json(c.get("/users")).at("data").as_array().empty());
}

TEST_CASE("POST /users: a taken email, in any case, is a 409") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    sign_up(c, "ada@example.com");
    for (auto const* email : {"ada@example.com", "ADA@Example.COM"}) {
        CAPTURE(email);
        auto const res = c.post_json(
            "/users",
            json::value{{"email", email}, {"name", "Other"}, {"password", test_password}});
        auto const error = check_error(res, 409, "conflict");
        auto const details = details_of(error);
        REQUIRE(details.size() == 1);
        CHECK(details[0].first == "email");
    }
    CHECK(body_json(c.get("/users")).at("data").as_array().size() == 1);
}

TEST_CASE("POST /users: a body that is not a JSON object is refused") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    check_error(c.request(http::verb::post, "/users",
                          R"({"email":"a@b.co","name":"A","password":"correct horse battery"})",
                          "text/plain"),
                415, "unsupported_media_type");
    check_error(c.request(http::verb::post, "/users", "email=a@b.co&name=A",
                          "application/x-www-form-urlencoded"),
                415, "unsupported_media_type");
    check_error(c.post("/users", R"({"email":"a@b.co",)"), 400, "malformed_request");
    check_error(c.post("/users", R"([{"email":"a@b.co","name":"A"}])"), 400, "malformed_request");
    check_error(c.post("/users", ""), 400, "malformed_request");
    check_error(c.post("/users", "\"just a string\""), 400, "malformed_request");
    CHECK(body_json(c.get("/users")).at("data").as_array().empty());
}

TEST_CASE("GET /users/:id finds a user, or answers 404") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = sign_up(c, "ada@example.com");
    auto const res = c.get("/users/" + id_of(ada));
    CHECK(res.result_int() == 200);
    CHECK(body_json(res) == ada);

    check_error(c.get("/users/user_doesnotexist"), 404, "not_found");
    check_error(c.get("/users/" + id_of(ada) + "x"), 404, "not_found");
    check_error(c.get("/users/%2e%2e"), 404, "not_found");
    check_error(c.get("/users/%00"), 404, "not_found");
}

TEST_CASE("unknown paths are 404 and known paths with another method 405 with Allow") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = sign_up(c, "ada@example.com");

    check_error(c.get("/nope"), 404, "not_found");
    check_error(c.get("/users/" + id_of(ada) + "/nope"), 404, "not_found");
    check_error(c.get("/"), 404, "not_found");

    auto const del = c.request(http::verb::delete_, "/users/" + id_of(ada));
    check_error(del, 405, "method_not_allowed");
    CHECK(del[http::field::allow] == "GET, HEAD, OPTIONS");
    auto const put = c.request(http::verb::put, "/users", "{}");
    check_error(put, 405, "method_not_allowed");
    CHECK(put[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    auto const orders = c.request(http::verb::patch, "/users/" + id_of(ada) + "/orders", "{}");
    check_error(orders, 405, "method_not_allowed");
    CHECK(orders[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    auto const health = c.post("/healthz", "{}");
    check_error(health, 405, "method_not_allowed");
    CHECK(health[http::field::allow] == "GET, HEAD, OPTIONS");
}

TEST_CASE("POST /users/:id/orders creates an order, and GET lists them newest first") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = sign_up(c, "ada@example.com");
    auto const bob = sign_up(c, "bob@example.com");
    auto const orders = "/users/" + id_of(ada) + "/orders";

    server.clock().advance(42ms);
    auto const res = c.post(orders, R"({"item":"book","quantity":3,"note":"ignored"})");
    REQUIRE(res.result_int() == 201);
    CHECK(res[http::field::content_type] == "application/json");
    auto const first = body_json(res);
    auto const& o = first.as_object();
    CHECK(res[http::field::location] == orders + "/" + std::string(o.at("id").as_string()));
    CHECK(o.size() == 5);
    CHECK(o.at("id").as_string().starts_with("order_"));
    CHECK(o.at("id").as_string().size() == 6 + apikit::id_random_length);
    CHECK(o.at("user_id").as_string() == id_of(ada));
    CHECK(o.at("item").as_string() == "book");
    CHECK(o.at("quantity").as_int64() == 3);
    CHECK(o.at("created_at").as_string() == "2024-01-15T10:00:00.042Z");

    auto const second = c.post(orders, R"({"item":"pen","quantity":1000})");
    REQUIRE(second.result_int() == 201);

    auto const list = c.get(orders);
    REQUIRE(list.result_int() == 200);
    auto const page = body_json(list);
    CHECK(page.as_object().size() == 3);
    auto const& data = page.at("data").as_array();
    REQUIRE(data.size() == 2);
    CHECK(data[0] == body_json(second));
    CHECK(data[1] == first);
    CHECK(page.at("next_cursor").is_null());
    CHECK(page.at("has_more").as_bool() == false);

    // Bob has none of them.
    auto const bobs = body_json(c.get("/users/" + id_of(bob) + "/orders"));
    CHECK(bobs.at("data").as_array().empty());
}

TEST_CASE("orders: bad fields are a 422 naming them, and an unknown user is a 404") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = sign_up(c, "ada@example.com");
    auto const orders = "/users/" + id_of(ada) + "/orders";
    using fields = std::vector<std::string>;

    CHECK(invalid_fields(c.post(orders, R"({"item":"","quantity":1})")) == fields{"item"});
    for (auto const* q : {"0", "1001", "-5", "1.5", "2.0", "\"3\"", "null", "true"}) {
        CAPTURE(q);
        CHECK(invalid_fields(c.post(orders, fmt::format(R"({{"item":"book","quantity":{}}})",
                                                        q))) == fields{"quantity"});
    }
    CHECK(invalid_fields(c.post(orders, "{}")) == fields{"item", "quantity"});
    CHECK(invalid_fields(c.post(orders, R"({"item":7,"quantity":"many"})")) ==
          fields{"item", "quantity"});
    check_error(c.post(orders, "[1]"), 400, "malformed_request");
    check_error(c.request(http::verb::post, orders, "item=book", "text/plain"), 415,
                "unsupported_media_type");
    CHECK(body_json(c.get(orders)).at("data").as_array().empty());

    check_error(c.post("/users/user_nobody/orders", R"({"item":"book","quantity":1})"), 404,
                "not_found");
    check_error(c.post("/users/user_nobody/orders", "{}"), 404, "not_found");
    check_error(c.get("/users/user_nobody/orders"), 404, "not_found");
    // The resource comes first: no one's orders are a 404 whatever the query.
    check_error(c.get("/users/user_nobody/orders?limit=0&cursor=junk"), 404, "not_found");
}

TEST_CASE("every response carries a request id, and a client's valid id is kept") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    http::request<http::string_body> req(http::verb::get, "/users/user_nobody", 11);
    req.set("X-Request-Id", "trace-123.abc:7");
    auto const res = c.request(std::move(req));
    auto const error = check_error(res, 404, "not_found");
    CHECK(res["X-Request-Id"] == "trace-123.abc:7");
    CHECK(error.at("request_id").as_string() == "trace-123.abc:7");

    // One access-log line per request, with that id.
    REQUIRE(server.log().wait_for_lines(1, 10s));
    auto const line = json::parse(server.log().lines().front());
    CHECK(line.at("context").at("request_id").as_string() == "trace-123.abc:7");
    CHECK(line.at("context").at("status").as_int64() == 404);
}

TEST_CASE("GET /users/:id/orders/:order_id: the order, or 404 for no user, no order, another's") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = id_of(sign_up(c, "ada@example.com"));
    auto const bob = id_of(sign_up(c, "bob@example.com"));
    auto const placed = c.post("/users/" + ada + "/orders", R"({"item":"book","quantity":3})");
    REQUIRE(placed.result_int() == 201);
    auto const bobs = c.post("/users/" + bob + "/orders", R"({"item":"pen","quantity":1})");
    REQUIRE(bobs.result_int() == 201);

    // The Location of a new order is where it is found.
    auto const location = std::string(placed[http::field::location]);
    auto const res = c.get(location);
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res.body() == placed.body());
    CHECK(body_json(res).at("user_id").as_string() == ada);
    auto const head = c.request(http::verb::head, location);
    CHECK(head.result_int() == 200);
    CHECK(head.body().empty());

    auto const book = id_of(body_json(placed).as_object());
    auto const pen = id_of(body_json(bobs).as_object());
    auto const not_found = [&](std::string const& target, std::string_view message) {
        CAPTURE(target);
        auto const error = check_error(c.get(target), 404, "not_found");
        CHECK(error.at("message").as_string() == message);
    };
    auto const no_order = "No order of this user has this id";
    not_found("/users/" + ada + "/orders/order_nothing", no_order);
    not_found("/users/" + ada + "/orders/" + pen, no_order);  // Bob's
    not_found("/users/" + bob + "/orders/" + book, no_order); // Ada's
    not_found("/users/" + ada + "/orders/" + ada, no_order);  // a user's id
    not_found("/users/user_nobody/orders/" + book, "No user has this id");
    // Malformed ids are what they are under /users/:id: ids of nothing.
    for (std::string const bad : {"%2e%2e", "%00", "%FF", "order_%20", "x%2Fy", "o%3Fx=1"}) {
        CAPTURE(bad);
        check_error(c.get("/users/" + ada + "/orders/" + bad), 404, "not_found");
        check_error(c.get("/users/" + bad + "/orders/" + book), 404, "not_found");
    }
    check_error(c.get("/users/" + ada + "/orders/" + std::string(300, 'o')), 404, "not_found");
}

TEST_CASE("a 405 lists exactly the methods OPTIONS lists, on every route") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = id_of(sign_up(c, "ada@example.com"));
    auto const placed = c.post("/users/" + ada + "/orders", R"({"item":"book","quantity":3})");
    REQUIRE(placed.result_int() == 201);
    std::string const order(placed[http::field::location]);

    struct route {
        std::string target;
        std::string_view allow;
    };
    for (auto const& r :
         {route{"/users", "GET, HEAD, POST, OPTIONS"}, route{"/users/" + ada, "GET, HEAD, OPTIONS"},
          route{"/users/" + ada + "/orders", "GET, HEAD, POST, OPTIONS"},
          route{order, "GET, HEAD, OPTIONS"}, route{"/healthz", "GET, HEAD, OPTIONS"}}) {
        CAPTURE(r.target);
        auto const options = c.request(http::verb::options, r.target);
        CHECK(options.result_int() / 100 == 2);
        CHECK(options[http::field::allow] == r.allow);
        for (auto const method : {http::verb::put, http::verb::patch, http::verb::delete_}) {
            CAPTURE(http::to_string(method));
            auto const refused = c.request(method, r.target, "{}");
            check_error(refused, 405, "method_not_allowed");
            CHECK(refused[http::field::allow] == options[http::field::allow]);
        }
    }
    // POST where only GET is: the new order route too.
    auto const post = c.post(order, R"({"item":"book","quantity":1})");
    check_error(post, 405, "method_not_allowed");
    CHECK(post[http::field::allow] == "GET, HEAD, OPTIONS");
}
