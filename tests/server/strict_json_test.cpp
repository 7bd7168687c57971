// The JSON body rules (http/json.hpp: I-JSON) over real HTTP, on the route
// that stores what it reads: a body with a duplicate member, nested too
// deep, or with a string that is not Unicode is refused before the store
// sees it.

#include "fixture.hpp"

#include <doctest/doctest.h>

using namespace test_server;

// Names of their own: the area's test files may be compiled as one unit.
namespace strict_json_tests {

std::size_t users_listed(client& c) {
    auto const res = c.get("/users");
    REQUIRE(res.result_int() == 200);
    return body_json(res).at("data").as_array().size();
}

TEST_CASE("POST /users with a member twice is a 400 naming it, and creates no user") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const res = c.post(
        "/users",
        R"({"email":"a@example.com","name":"A","name":"B","password":"correct horse battery"})");
    auto const error = check_error(res, 400, "malformed_request");
    CHECK(error.at("message").as_string() == R"(Duplicate member "name" in the JSON body)");
    CHECK(users_listed(c) == 0);

    // The same email without the duplicate is then free.
    CHECK(c.post("/users",
                 R"({"email":"a@example.com","name":"A","password":"correct horse battery"})")
              .result_int() == 201);
    CHECK(users_listed(c) == 1);
}

TEST_CASE("POST /users refuses too deep, lone-surrogate and non-UTF-8 bodies with a 400") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    std::string const deep = R"({"email":"a@example.com","name":"A","x":)" + std::string(40, '[') +
                             std::string(40, ']') + "}";
    for (std::string const& body :
         {deep,
          std::string(
              R"({"email":"a@example.com","name":"\ud800","password":"correct horse battery"})"),
          std::string("{\"email\":\"a@example.com\",\"name\":\"\xff\"}"),
          std::string(R"({"email":"a@example.com","name":"A","x":{"k":1,"k":2}})")}) {
        CAPTURE(body);
        check_error(c.post("/users", body), 400, "malformed_request");
    }
    CHECK(users_listed(c) == 0);
}

} // namespace strict_json_tests
