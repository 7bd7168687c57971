// Hostile framing, sent as raw bytes: each is answered with an envelope
// and the connection is closed after it (RFC 9112: after a framing error
// the rest of the stream cannot be trusted), and the server keeps serving
// everyone else.

#include "support.hpp"
#include "test_app.hpp"

#include <string>

using namespace http_test;

namespace {

auto make_framing_server(app_probe& probe, http::server_options o = test_options()) {
    return running_server(o, http::chain{http::request_id{}, make_test_app(probe)});
}

// Sends `raw`, expects one error response with `status` and `code`, then
// the end of the connection.
void expect_refused(std::uint16_t port, std::string_view raw, unsigned status,
                    std::string_view code) {
    client c(port);
    c.send_raw(raw);
    auto const res = c.read();
    CHECK(res.result_int() == status);
    auto const e = error_of(res);
    CHECK(e.at("code").as_string() == code);
    CHECK(e.at("request_id").as_string().starts_with("req_"));
    CHECK(res[bhttp::field::connection] == "close");
    CHECK(res["X-Request-Id"] == e.at("request_id").as_string());
    CHECK(c.closed_by_server());
}

} // namespace

TEST_CASE("a header section over the limit is a 431, and the connection closes") {
    app_probe probe;
    auto o = test_options();
    o.header_limit = 4096;
    auto server = make_framing_server(probe, o);
    std::string raw =
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fill: " + std::string(5000, 'a') + "\r\n\r\n";
    expect_refused(server.port(), raw, 431, "headers_too_large");

    // Many small fields add up the same way.
    raw = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 600; ++i)
        raw += "X-" + std::to_string(i) + ": v\r\n";
    expect_refused(server.port(), raw + "\r\n", 431, "headers_too_large");

    // A request line alone can be too long; the server does not wait for
    // the rest of it.
    expect_refused(server.port(), "GET /" + std::string(5000, 'a'), 431, "headers_too_large");

    // Just under the limit is fine.
    client c(server.port());
    c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fill: " + std::string(3900, 'a') +
               "\r\n\r\n");
    CHECK(c.read().result_int() == 200);
    CHECK(probe.handled == 1);
}

TEST_CASE("a body over the limit is a 413, decided from Content-Length before the body") {
    app_probe probe;
    auto o = test_options();
    o.body_limit = 1000;
    auto server = make_framing_server(probe, o);
    // Only the header is sent: the answer cannot have waited for the body.
    expect_refused(server.port(), "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n",
                   413, "payload_too_large");
    // A huge length is no different.
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n", 413,
                   "payload_too_large");
    // A chunked body is measured as it comes.
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3e8\r\n" +
                       std::string(1000, 'a') + "\r\n1\r\nb\r\n0\r\n\r\n",
                   413, "payload_too_large");
    // The limit itself is allowed.
    client c(server.port());
    c.send_raw("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" +
               std::string(1000, 'z'));
    auto const res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "1000");
    CHECK(probe.handled == 0); // /size does not count; nothing else ran
}

TEST_CASE("a body over the limit is answered even while the client keeps sending it") {
    app_probe probe;
    auto o = test_options();
    o.body_limit = 1000;
    auto server = make_framing_server(probe, o);
    client c(server.port());
    // The body arrives with the header; the lingering close lets the client
    // read the 413 instead of a reset.
    c.send_raw("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" +
               std::string(200000, 'a'));
    auto const res = c.read();
    CHECK(res.result_int() == 413);
}

TEST_CASE("Content-Length with Transfer-Encoding is a 400, in either order") {
    app_probe probe;
    auto server = make_framing_server(probe);
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                   400, "malformed_request");
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   "Content-Length: 5\r\n\r\n0\r\n\r\n",
                   400, "malformed_request");
    CHECK(probe.handled == 0);
}

TEST_CASE("two different Content-Lengths are a 400, two equal ones are one") {
    app_probe probe;
    auto server = make_framing_server(probe);
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                   "Content-Length: 4\r\n\r\nabcd",
                   400, "malformed_request");
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400,
                   "malformed_request");
    expect_refused(server.port(), "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                   400, "malformed_request");
    expect_refused(server.port(), "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
                   400, "malformed_request");
    // RFC 9110 §8.6 lets a recipient take a list of identical values as one.
    client c(server.port());
    c.send_raw("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
               "Content-Length: 3\r\n\r\nabc");
    auto const res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "3");
}

TEST_CASE("a Transfer-Encoding that does not end in chunked is a 400") {
    app_probe probe;
    auto server = make_framing_server(probe);
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400,
                   "malformed_request");
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                   400, "malformed_request");
    expect_refused(server.port(),
                   "POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                   400, "malformed_request");
}

TEST_CASE("an HTTP/1.1 request needs exactly one Host") {
    app_probe probe;
    auto server = make_framing_server(probe);
    expect_refused(server.port(), "GET /healthz HTTP/1.1\r\n\r\n", 400, "malformed_request");
    expect_refused(server.port(), "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
                   "malformed_request");
    CHECK(probe.handled == 0);
}

TEST_CASE("syntax errors are 400s, never a crash") {
    app_probe probe;
    auto server = make_framing_server(probe);
    for (std::string const& raw : {
             std::string("GARBAGE\r\n\r\n"),
             std::string("GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
             std::string("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"),
             std::string("GET /healthz HTTP/1.1\r\nHost x\r\n\r\n"),
             std::string("GET /healthz HTTP/1.1\r\nBad Name: v\r\nHost: x\r\n\r\n"),
             std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n"),
             std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), // a TLS hello
             std::string("POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "zz\r\nabc\r\n0\r\n\r\n"),
             std::string("POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabcX\r\n0\r\n\r\n"),
         }) {
        CAPTURE(raw);
        expect_refused(server.port(), raw, 400, "malformed_request");
    }
    // And the server still serves.
    client c(server.port());
    CHECK(c.get("/healthz").result_int() == 200);
}

TEST_CASE("a framing error in a pipeline answers what came before it, then closes") {
    app_probe probe;
    auto server = make_framing_server(probe);
    client c(server.port());
    c.send_raw("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
               "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
               "GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(c.read().body() == "1");
    auto const res = c.read();
    CHECK(res.result_int() == 400);
    CHECK(res[bhttp::field::connection] == "close");
    CHECK(c.closed_by_server());
    CHECK(probe.handled == 1);
}
