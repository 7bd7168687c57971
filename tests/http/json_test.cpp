#include "support.hpp"

using namespace http_test;

TEST_CASE("is_json_media_type: application/json, any case, any parameters, UTF-8 only") {
    CHECK(http::is_json_media_type("application/json"));
    CHECK(http::is_json_media_type("Application/JSON"));
    CHECK(http::is_json_media_type("application/json; charset=utf-8"));
    CHECK(http::is_json_media_type("application/json;charset=UTF-8"));
    CHECK(http::is_json_media_type("application/json ; charset=\"utf-8\""));
    CHECK(http::is_json_media_type("application/json; foo=bar"));
    CHECK_FALSE(http::is_json_media_type(""));
    CHECK_FALSE(http::is_json_media_type("text/json"));
    CHECK_FALSE(http::is_json_media_type("application/jsonx"));
    CHECK_FALSE(http::is_json_media_type("application/json-patch+json"));
    CHECK_FALSE(http::is_json_media_type("application/x-www-form-urlencoded"));
    CHECK_FALSE(http::is_json_media_type("application/json; charset=latin1"));
    CHECK_FALSE(http::is_json_media_type("application/json; charset=utf-16"));
}

TEST_CASE("is_json_media_type reads parameters as RFC 9110 writes them") {
    // A quoted value may escape, and hold a ';' that separates nothing.
    CHECK(http::is_json_media_type(R"(application/json; charset="utf\-8")"));
    CHECK(http::is_json_media_type(R"(application/json; foo="a;charset=latin1")"));
    CHECK(http::is_json_media_type("application/json;; ;charset=utf-8;"));
    // Parameters other than charset are not judged; a charset must be UTF-8.
    CHECK(http::is_json_media_type("application/json; foo"));
    CHECK(http::is_json_media_type("application/json; charset =latin1")); // not `charset`
    CHECK_FALSE(http::is_json_media_type("application/json; charset= utf-8"));
    CHECK_FALSE(http::is_json_media_type("application/json; charset="));
    CHECK_FALSE(http::is_json_media_type(R"(application/json; charset="utf-8)"));
    CHECK_FALSE(http::is_json_media_type("application/json; charset=utf-8; charset=latin1"));
    CHECK_FALSE(http::is_json_media_type("application/json; charset=utf-8-but-longer"));
}

namespace {

apikit::api::api_error error_for(std::string const& raw) {
    exchange_harness h;
    h.load(raw);
    auto const v = http::read_json(h.req());
    REQUIRE(!v.has_value());
    return v.error();
}

} // namespace

TEST_CASE("read_json: 415 for another media type, 400 for an empty or broken body") {
    CHECK(error_for("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}").code ==
          apikit::errc::unsupported_media_type);
    CHECK(error_for("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\n"
                    "Content-Length: 2\r\n\r\n{}")
              .code == apikit::errc::unsupported_media_type);
    CHECK(error_for("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                    "Content-Length: 0\r\n\r\n")
              .code == apikit::errc::malformed_request);
    for (std::string body : {"{", "{\"a\":}", "nul", "[1,]", "{\"a\":1} x", "\"\xff\""}) {
        CAPTURE(body);
        auto const e = error_for("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                                 "Content-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
        CHECK(e.code == apikit::errc::malformed_request);
        CHECK(e.public_message().starts_with("The request body is not valid JSON"));
    }
    // Nested deeper than Boost.JSON's limit (32): refused, not a stack overflow.
    std::string const deep = std::string(10000, '[') + std::string(10000, ']');
    CHECK(error_for("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                    "Content-Length: " +
                    std::to_string(deep.size()) + "\r\n\r\n" + deep)
              .code == apikit::errc::malformed_request);
}

TEST_CASE("read_json and read_json_object: the value") {
    exchange_harness h;
    h.load("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
           "Content-Length: 13\r\n\r\n{\"a\":[1,2.5]}");
    auto const v = http::read_json(h.req());
    REQUIRE(v.has_value());
    CHECK(*v == json::parse(R"({"a":[1,2.5]})"));
    auto const o = http::read_json_object(h.req());
    REQUIRE(o.has_value());
    CHECK(o->at("a").as_array().size() == 2);

    h.load("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
           "Content-Length: 5\r\n\r\n[1,2]");
    CHECK(http::read_json(h.req()).has_value());
    auto const not_object = http::read_json_object(h.req());
    REQUIRE(!not_object.has_value());
    CHECK(not_object.error().code == apikit::errc::malformed_request);
    CHECK(not_object.error().public_message() == "The request body must be a JSON object");
}
