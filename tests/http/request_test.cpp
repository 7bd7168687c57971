// The request view: target, path, query and parameters.

#include "support.hpp"

using namespace http_test;

namespace {

std::string get(std::string_view target) {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
}

} // namespace

TEST_CASE("request: path and query of an origin-form target") {
    exchange_harness h;
    h.load(get("/users?limit=20&cursor=abc"));
    CHECK(h.req().target() == "/users?limit=20&cursor=abc");
    CHECK(h.req().path() == "/users");
    CHECK(h.req().query_string() == "limit=20&cursor=abc");
    CHECK(h.req().query("limit") == "20");
    CHECK(h.req().query("cursor") == "abc");
    CHECK(!h.req().query("page"));
    CHECK(h.req().method() == apikit::api::method::get);
    CHECK(h.req().method_string() == "GET");

    h.load(get("/users"));
    CHECK(h.req().path() == "/users");
    CHECK(h.req().query_string().empty());
    CHECK(!h.req().query("limit"));
}

TEST_CASE("request::query finds and decodes as Boost.URL's params() decode") {
    exchange_harness h;
    for (std::string const q :
         {"a=1", "a=1&a=2", "a", "a=", "=x&a=y", "a%3Db=1&a=2", "k=a%20b%2Bc+d", "sp+ace=1",
          "sp%20ace=2", "x=%E2%82%AC", "&&a=1&", "a=1=2", "?a=1", "A=1&a=2", "a=%2526"}) {
        CAPTURE(q);
        h.load(get("/p?" + q));
        auto const params = h.req().query();
        for (std::string const key : {"a", "k", "sp ace", "x", "A", "a=b", "", "missing"}) {
            CAPTURE(key);
            std::optional<std::string> expected; // the first whose decoded key is `key`
            for (auto const& p : params)
                if (p.key == key) {
                    expected = p.value;
                    break;
                }
            CHECK(h.req().query(key) == expected);
        }
    }
}

TEST_CASE("request: targets that are not URI references do not bind") {
    exchange_harness h;
    for (std::string const t : {"/a%zz", "/a%4", "/a%", "/a\"b", "/a<b>", "/a{b}", "/a|b", "/a\\b",
                                "/a#frag", "/a?b=%G0", "/caf\xc3\xa9"}) {
        CAPTURE(t);
        h.load("GET " + t + " HTTP/1.1\r\nHost: h\r\n\r\n", false);
        CHECK(!h.req().bind(h.req().message()));
    }
    // Every RFC 3986 pchar, '/' and '?' is fine.
    h.load(get("/a-._~!$&'()*+,;=:@/%41?q=/?:@-._~!$'()*+,;"));
    CHECK(h.req().path() == "/a-._~!$&'()*+,;=:@/%41");
}

TEST_CASE("request: absolute-form targets") {
    exchange_harness h;
    h.load(get("http://example.com/users?limit=5"));
    CHECK(h.req().path() == "/users");
    CHECK(h.req().query("limit") == "5");
    h.load(get("http://example.com"));
    CHECK(h.req().path() == "/");
    CHECK(!h.req().query("limit"));
}

TEST_CASE("request: headers, body, no parameters before routing") {
    exchange_harness h;
    h.load(
        "POST /x HTTP/1.1\r\nHost: h\r\nX-Thing: a\r\nx-thing: b\r\nContent-Length: 3\r\n\r\nabc");
    CHECK(h.req().header("x-THING") == "a");
    CHECK(h.req().header(bhttp::field::host) == "h");
    CHECK(!h.req().header("X-None"));
    CHECK(h.req().body() == "abc");
    CHECK(h.req().params().empty());
    CHECK(h.req().route().empty());
    CHECK(h.req().param("id").error() == apikit::errc::internal_error);
}
