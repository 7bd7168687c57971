#include "support.hpp"

using namespace http_test;

TEST_CASE("is_valid_request_id: 1 to 128 characters from A-Z a-z 0-9 - _ . :") {
    CHECK(http::is_valid_request_id("a"));
    CHECK(http::is_valid_request_id("req_4UM1pQy0r8hV3kX9cTn2Lb"));
    CHECK(http::is_valid_request_id("AZaz09-_.:"));
    CHECK(http::is_valid_request_id(std::string(128, 'x')));
    CHECK_FALSE(http::is_valid_request_id(""));
    CHECK_FALSE(http::is_valid_request_id(std::string(129, 'x')));
    static constexpr char bad[] = " \t\r\n\"'/\\;,=+%@!#$&*()[]{}<>?|~`^\x7f\x01";
    static_assert(sizeof bad - 1 == 34);
    for (char c : std::string_view(bad, sizeof bad - 1)) {
        CAPTURE(static_cast<int>(c));
        CHECK_FALSE(http::is_valid_request_id(std::string("ab") + c + "cd"));
    }
    CHECK_FALSE(http::is_valid_request_id("caf\xc3\xa9"));
    CHECK_FALSE(http::is_valid_request_id(std::string_view("a\0b", 3)));
}

TEST_CASE("request_id keeps a valid id, replaces a bad one, and echoes it") {
    http::request_id const mw;
    exchange_harness h;

    h.load("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: client-42\r\n\r\n");
    mw.on_begin(h.ex());
    CHECK(h.req().request_id() == "client-42");
    mw.on_response(h.ex());
    CHECK(h.res().header("X-Request-Id") == "client-42");

    h.load("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: bad id\r\n\r\n");
    mw.on_begin(h.ex());
    auto const generated = std::string(h.req().request_id());
    CHECK(generated.starts_with("req_"));
    CHECK(generated.size() == 26);
    CHECK(http::is_valid_request_id(generated));
    mw.on_response(h.ex());
    CHECK(h.res().header("X-Request-Id") == generated);

    h.load("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    mw.on_begin(h.ex());
    CHECK(h.req().request_id().starts_with("req_"));
    CHECK(h.req().request_id() != generated);
}

TEST_CASE("request_id echoes the id once, even if a handler set the field") {
    http::request_id const mw;
    exchange_harness h;
    h.load("GET / HTTP/1.1\r\nHost: h\r\nx-request-id: from-client\r\n\r\n");
    mw.on_begin(h.ex());
    CHECK(h.req().request_id() == "from-client");
    h.res().set("X-Request-Id", "handler's");
    mw.on_response(h.ex());
    CHECK(h.res().fields() == "X-Request-Id: from-client\r\n");
}

TEST_CASE("request_id stamps the server's own error responses too") {
    http::chain const c{http::request_id{}, [](http::exchange&) {}};
    exchange_harness h;
    h.load("GET / HTTP/1.1\r\nHost: h\r\nX-Request-Id: early\r\n\r\n");
    h.res().error(apikit::errc::request_timeout);
    c.respond(h.ex()); // no on_request runs; on_begin and on_response do
    CHECK(h.req().request_id() == "early");
    CHECK(h.res().header("X-Request-Id") == "early");
}

TEST_CASE("request_id reads another header when told, and refuses a bad name") {
    http::request_id const mw("X-Correlation-Id");
    exchange_harness h;
    h.load("GET / HTTP/1.1\r\nHost: h\r\nX-Correlation-Id: corr-1\r\n\r\n");
    mw.on_begin(h.ex());
    mw.on_response(h.ex());
    CHECK(h.res().header("X-Correlation-Id") == "corr-1");
    CHECK_THROWS_AS(http::request_id("Bad Name"), std::invalid_argument);
    CHECK_THROWS_AS(http::request_id(""), std::invalid_argument);
    CHECK_THROWS_AS(http::request_id("Content-Length"), std::invalid_argument);
}
