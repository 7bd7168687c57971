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

// Sends `raw`, expects one error response with `status` and `code` (and
// `message`, when one is given), then the end of the connection.
void expect_refused(std::uint16_t port, std::string_view raw, unsigned status,
                    std::string_view code, std::string_view message = {}) {
    client c(port);
    c.send_raw(raw);
    auto const res = c.read();
    CHECK(res.result_int() == status);
    auto const e = error_of(res);
    CHECK(e.at("code").as_string() == code);
    if (!message.empty())
        CHECK(e.at("message").as_string() == message);
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

// A POST /size whose header has these Transfer-Encoding lines, then `body`.
std::string with_te(std::string_view fields, std::string_view body = "3\r\nabc\r\n0\r\n\r\n",
                    std::string_view version = "HTTP/1.1") {
    return "POST /size " + std::string(version) + "\r\nHost: x\r\n" + std::string(fields) +
           "\r\n\r\n" + std::string(body);
}

TEST_CASE("a transfer coding other than chunked is a 501, in any position or field") {
    app_probe probe;
    auto server = make_framing_server(probe);
    for (std::string const fields : {
             "Transfer-Encoding: gzip, chunked",
             "Transfer-Encoding: x-unknown, chunked",
             "Transfer-Encoding: gzip",
             "Transfer-Encoding: chunked, gzip",
             "Transfer-Encoding: identity",
             "Transfer-Encoding: identity, chunked",
             "Transfer-Encoding: GZIP, Chunked",
             "Transfer-Encoding: chunked;ext=1",
             "Transfer-Encoding: chunked ; ext=\"a, b\"",
             "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
             "Transfer-Encoding: gzip, chunked\r\nTransfer-Encoding: chunked",
             // Beast refuses the second field as it reads it; the codings
             // of both decide.
             "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip",
             "Transfer-Encoding: chunked\r\ntransfer-encoding: x-unknown, chunked",
             "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked, gzip",
         }) {
        CAPTURE(fields);
        expect_refused(server.port(), with_te(fields), 501, "not_implemented");
    }
    client c(server.port());
    c.send_raw(with_te("Transfer-Encoding: gzip, chunked"));
    auto const res = c.read();
    CHECK(res.result_int() == 501);
    CHECK(res.reason() == "Not Implemented");
    // A 5xx's own text is the log's; the client reads the code's message.
    CHECK(error_of(res).at("message").as_string() ==
          apikit::info(apikit::errc::not_implemented).message);
}

TEST_CASE("a 501 for a transfer coding is decided from the header, and runs no handler") {
    app_probe probe;
    auto server = make_framing_server(probe);
    // The header alone: the answer does not wait for a body it will not read.
    expect_refused(server.port(),
                   "GET /echo?n=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                   501, "not_implemented");
    // With the body, pipelined after a good request: that one is answered,
    // then the 501, then the connection closes, and the request after it is
    // never read.
    client c(server.port());
    c.send_raw("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /echo?n=2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x-unknown, chunked\r\n"
               "\r\n3\r\nabc\r\n0\r\n\r\n"
               "GET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(c.read().body() == "1");
    auto const res = c.read();
    CHECK(res.result_int() == 501);
    CHECK(res[bhttp::field::connection] == "close");
    CHECK(c.closed_by_server());
    CHECK(probe.handled == 1);
}

TEST_CASE("Transfer-Encoding framing the RFC calls faulty is a 400") {
    app_probe probe;
    auto server = make_framing_server(probe);
    struct refused {
        std::string raw;
        std::string_view message;
    };
    for (auto const& r : {
             // RFC 9112 §6.1: HTTP/1.0 has no transfer codings; checked first.
             refused{with_te("Transfer-Encoding: chunked", "3\r\nabc\r\n0\r\n\r\n", "HTTP/1.0"),
                     "Transfer-Encoding is not allowed in an HTTP/1.0 request"},
             refused{with_te("Transfer-Encoding: gzip", "", "HTTP/1.0"),
                     "Transfer-Encoding is not allowed in an HTTP/1.0 request"},
             refused{
                 with_te("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip", "", "HTTP/1.0"),
                 "Transfer-Encoding is not allowed in an HTTP/1.0 request"},
             // §7: chunked once, and only once.
             refused{with_te("Transfer-Encoding: chunked, chunked"),
                     "Transfer-Encoding applies chunked more than once"},
             refused{with_te("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"),
                     "Transfer-Encoding applies chunked more than once"},
             // A list with no coding in it.
             refused{with_te("Transfer-Encoding: ,", "abc"),
                     "Transfer-Encoding names no transfer coding"},
             refused{with_te("Transfer-Encoding:", "abc"),
                     "Transfer-Encoding names no transfer coding"},
             refused{with_te("Transfer-Encoding: , ,\t,", "abc"),
                     "Transfer-Encoding names no transfer coding"},
             // Elements that are no transfer coding, even beside a coding
             // apikit does not implement.
             refused{with_te("Transfer-Encoding: \"chunked\""),
                     "Transfer-Encoding is not a list of transfer codings"},
             refused{with_te("Transfer-Encoding: chunked chunked"),
                     "Transfer-Encoding is not a list of transfer codings"},
             refused{with_te("Transfer-Encoding: chunked;"),
                     "Transfer-Encoding is not a list of transfer codings"},
             refused{with_te("Transfer-Encoding: gzip;q, chunked"),
                     "Transfer-Encoding is not a list of transfer codings"},
             refused{with_te("Transfer-Encoding: x/y, gzip, chunked"),
                     "Transfer-Encoding is not a list of transfer codings"},
             // With Content-Length, whichever comes first and whatever the
             // coding (§6.3): the envelope's default message.
             refused{with_te("Transfer-Encoding: gzip\r\nContent-Length: 3", "abc"),
                     "The request could not be parsed"},
             refused{with_te("Content-Length: 3\r\nTransfer-Encoding: gzip", "abc"),
                     "The request could not be parsed"},
             refused{with_te("Transfer-Encoding: gzip, chunked\r\nContent-Length: 3", "abc"),
                     "The request could not be parsed"},
             // A field after the one that ends in chunked, naming nothing.
             refused{with_te("Transfer-Encoding: chunked\r\nTransfer-Encoding: ,"),
                     "The request could not be parsed"},
         }) {
        CAPTURE(r.raw);
        expect_refused(server.port(), r.raw, 400, "malformed_request", r.message);
    }
}

TEST_CASE("chunked is a coding name in any case, with empty list elements skipped") {
    app_probe probe;
    auto server = make_framing_server(probe);
    for (std::string const fields : {
             "Transfer-Encoding: chunked",
             "Transfer-Encoding: Chunked",
             "Transfer-Encoding: CHUNKED",
             "Transfer-Encoding: \t chunked \t",
             "Transfer-Encoding: , chunked",
             "Transfer-Encoding: ,\r\nTransfer-Encoding: chunked",
         }) {
        CAPTURE(fields);
        client c(server.port());
        c.send_raw(with_te(fields));
        auto const res = c.read();
        CHECK(res.result_int() == 200);
        CHECK(res.body() == "3"); // the body, read as chunked
        CHECK(res[bhttp::field::connection] != "close");
    }
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

TEST_CASE("one empty line before a request line is ignored, a second is a 400") {
    app_probe probe;
    auto server = make_framing_server(probe);
    // RFC 9112 §2.2: some clients end a POST's body with an extra CRLF; the
    // next request on the connection is read as if it were not there.
    client c(server.port());
    c.send_raw("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\r\n"
               "GET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "3");
    res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "2");

    // The CRLF may arrive in pieces, before the first request too.
    c.send_raw("\r");
    c.send_raw("\nGET /echo?n=3 HTTP/1.1\r\nHost: x\r\n\r\n");
    res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "3");

    expect_refused(server.port(), "\r\n\r\nGET /echo?n=4 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                   "malformed_request");
    expect_refused(server.port(), "\nGET /echo?n=5 HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                   "malformed_request");
    CHECK(probe.handled == 2);
}
