#include "support.hpp"

#include <cmath>

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
    // Nested far deeper than max_json_depth: refused, not a stack overflow.
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

// Names of their own: the area's test files may be compiled as one unit.
namespace json_body_tests {

// The answer to a JSON POST of `body`: the value, or the error.
apikit::api::api_result<json::object> object_for(std::string const& body) {
    exchange_harness h;
    h.load("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body);
    return http::read_json_object(h.req());
}

// The message of the 400 `malformed_request` that `body` gets.
std::string refusal_of(std::string const& body) {
    auto const o = object_for(body);
    REQUIRE_MESSAGE(!o.has_value(), body);
    CHECK(o.error().code == apikit::errc::malformed_request);
    return std::string(o.error().public_message());
}

std::string nested(std::size_t depth) {
    return "{\"a\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
}

TEST_CASE("A member name twice in one object is a 400 naming the member (I-JSON)") {
    CHECK(refusal_of(R"({"email":"a@example.com","name":"A","name":"B"})") ==
          R"(Duplicate member "name" in the JSON body)");
    // Names are compared once unescaped, as RFC 8259 §8.3 compares them.
    CHECK(refusal_of(R"({"a":1,"\u0061":2})") == R"(Duplicate member "a" in the JSON body)");
    CHECK(refusal_of(R"({"":1,"":2})") == R"(Duplicate member "" in the JSON body)");
    // The same member twice with the same value is still two.
    CHECK(refusal_of(R"({"a":1,"b":2,"a":1})") == R"(Duplicate member "a" in the JSON body)");
}

TEST_CASE("A duplicate member at any depth is a 400 naming it") {
    CHECK(refusal_of(R"({"user":{"name":"A","tags":[],"name":"B"}})") ==
          R"(Duplicate member "name" in the JSON body)");
    CHECK(refusal_of(R"({"items":[{"id":1},{"id":2,"qty":1,"id":3}]})") ==
          R"(Duplicate member "id" in the JSON body)");
    CHECK(refusal_of(R"({"a":[[[{"deep":{"x":1,"x":1}}]]]})") ==
          R"(Duplicate member "x" in the JSON body)");
    // read_json, for bodies that are not objects, holds the same rule.
    exchange_harness h;
    std::string const array = R"([{"k":1,"k":2}])";
    h.load("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(array.size()) + "\r\n\r\n" + array);
    auto const v = http::read_json(h.req());
    REQUIRE(!v.has_value());
    CHECK(v.error().public_message() == R"(Duplicate member "k" in the JSON body)");
}

TEST_CASE("The same name in sibling or nested objects is no duplicate") {
    auto const o = object_for(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":{"b":1}})");
    REQUIRE(o.has_value());
    CHECK(*o == json::parse(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":{"b":1}})"));
    CHECK(object_for(R"({"a":1,"A":2,"a ":3})").has_value()); // names match exactly or not
}

TEST_CASE("A duplicate's name is quoted as a JSON string, its first 64 bytes only") {
    // Quotes and control characters read unambiguously; the envelope escapes
    // the message again when it is sent.
    CHECK(refusal_of(R"({"a\"b\n":1,"a\"b\n":2})") ==
          R"(Duplicate member "a\"b\n" in the JSON body)");
    std::string const long_name(1000, 'n');
    CHECK(refusal_of("{\"" + long_name + "\":1,\"" + long_name + "\":2}") ==
          "Duplicate member \"" + std::string(64, 'n') + "\"… in the JSON body");
    // Cut between UTF-8 sequences: "é" (2 bytes) at bytes 63 and 64 goes whole.
    std::string const accented = std::string(63, 'n') + "\xc3\xa9" + "tail";
    CHECK(refusal_of("{\"" + accented + "\":1,\"" + accented + "\":2}") ==
          "Duplicate member \"" + std::string(63, 'n') + "\"… in the JSON body");
}

TEST_CASE("Nesting: max_json_depth levels are accepted, one more is a 400 saying so") {
    static_assert(http::max_json_depth == 32);
    auto const at_limit = object_for(nested(http::max_json_depth));
    CHECK(at_limit.has_value());
    CHECK(refusal_of(nested(http::max_json_depth + 1)) ==
          "The request body nests arrays and objects deeper than 32 levels");
}

TEST_CASE("A lone surrogate escape is a 400, a surrogate pair is a character") {
    for (std::string body :
         {R"({"a":"\ud800"})", R"({"a":"\udc00"})", R"({"a":"x\ud83d"})", R"({"a":"\ud800\u0041"})",
          R"({"\udfff":1})", R"({"a":"\ud83d\ud83d"})"}) {
        CAPTURE(body);
        CHECK(refusal_of(body) ==
              "The request body is not valid JSON: a \\u escape is half a surrogate pair");
    }
    auto const pair = object_for(R"({"a":"\ud83d\ude00","\\ud800":"\\udc00"})");
    REQUIRE(pair.has_value());
    CHECK(pair->at("a").as_string() == "\xf0\x9f\x98\x80"); // U+1F600
    CHECK(pair->at("\\ud800").as_string() == "\\udc00");    // an escaped backslash, no escape
}

TEST_CASE("Ill-formed UTF-8 anywhere in the body is a 400") {
    for (std::string body : {"{\"a\":\"\xff\"}", "{\"\xc0\xaf\":1}", "{\"a\":\"\xed\xa0\x80\"}",
                             "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xe2\x82\"}",
                             "{\"a\":1}\x80", "{\"a\":\"\xc3\"}"}) {
        CAPTURE(body);
        CHECK(refusal_of(body) == "The request body is not valid JSON: it is not UTF-8");
    }
    auto const ok = object_for("{\"caf\xc3\xa9\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}");
    REQUIRE(ok.has_value());
    CHECK(ok->at("caf\xc3\xa9").as_string() == "\xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST_CASE("A number past a double's range is a 400, a zero with a huge exponent is zero") {
    // Boost.JSON 1.81 reads these as Infinity and NaN, which JSON cannot
    // write back.
    for (std::string body :
         {R"({"a":1e999})", R"({"a":-1e309})", R"({"a":[1e99999999999999999999]})"}) {
        CAPTURE(body);
        CHECK(refusal_of(body) == "The request body holds a number beyond the range of a double");
    }
    auto const zeros = object_for(R"({"a":0e479,"b":-0.0E400,"c":1e-999})");
    REQUIRE(zeros.has_value());
    CHECK(zeros->at("a").as_double() == 0.0);
    CHECK(std::signbit(zeros->at("b").as_double()));
    CHECK(zeros->at("b").as_double() == 0.0);
    CHECK(zeros->at("c").as_double() == 0.0);
    CHECK(json::serialize(*zeros) == R"({"a":0E0,"b":-0E0,"c":0E0})");
}

TEST_CASE("parse_json_body holds the same rules without a request") {
    CHECK(http::parse_json_body(R"({"a":[1,{"b":null}]})").has_value());
    CHECK(http::parse_json_body("7").has_value());
    for (std::string body : {std::string(), std::string("{"), std::string(R"({"a":1,"a":1})"),
                             nested(33), std::string("\"\xff\"")}) {
        CAPTURE(body);
        auto const v = http::parse_json_body(body);
        REQUIRE(!v.has_value());
        CHECK(v.error().code == apikit::errc::malformed_request);
    }
}

} // namespace json_body_tests
