// The server end to end, over real loopback connections: keep-alive,
// pipelining, routing, JSON bodies, request ids, the access log, errors.

#include "support.hpp"
#include "test_app.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <string>
#include <vector>

using namespace http_test;

namespace {

auto make_server(app_probe& probe, apikit::memory_sink sink = {},
                 http::server_options o = test_options()) {
    return running_server(
        o, http::chain{http::request_id{}, http::access_log{sink}, make_test_app(probe)});
}

} // namespace

TEST_CASE("a keep-alive connection serves request after request") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    for (int i = 0; i < 5; ++i) {
        auto const res = c.get("/healthz");
        CHECK(res.result_int() == 200);
        CHECK(res.body() == R"({"status":"ok"})");
        CHECK(res[bhttp::field::content_type] == "application/json");
        CHECK(res[bhttp::field::content_length] == "15");
        CHECK(res[bhttp::field::date].size() == 29);
        CHECK(res.keep_alive());
    }
    CHECK(probe.handled == 5);
}

TEST_CASE("pipelined requests are answered in order, in one batch") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    std::string burst;
    for (int i = 1; i <= 20; ++i)
        burst += "GET /echo?n=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    c.send_raw(burst);
    for (int i = 1; i <= 20; ++i) {
        auto const res = c.read();
        CHECK(res.result_int() == 200);
        CHECK(res.body() == std::to_string(i));
    }
}

TEST_CASE("pipelined requests through an asynchronous handler keep their order") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    // slow, fast, slow, fast: each slow one completes from a timer while the
    // fast one behind it waits its turn.
    c.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /echo?n=4 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(c.read().body() == R"({"slow":true})");
    CHECK(c.read().body() == "2");
    CHECK(c.read().body() == R"({"slow":true})");
    CHECK(c.read().body() == "4");
}

namespace {

// Resumes each request from a timer whose delay shrinks with every request:
// later requests would overtake earlier ones if the connection let them.
struct staggered_gate {
    std::shared_ptr<std::atomic<int>> seen = std::make_shared<std::atomic<int>>(0);

    http::flow on_request(http::exchange& ex) const {
        auto k = ex.suspend();
        auto const delay = std::chrono::milliseconds(std::max(0, 60 - 15 * (*seen)++));
        auto t = std::make_shared<asio::steady_timer>(ex.executor(), delay);
        t->async_wait([t, k = std::move(k)](boost::system::error_code) mutable { k(); });
        return http::flow::pending;
    }
};

} // namespace

TEST_CASE("pipelined requests through an asynchronous middleware keep their order") {
    app_probe probe;
    running_server server(test_options(),
                          http::chain{http::request_id{}, staggered_gate{}, make_test_app(probe)});
    client c(server.port());
    std::string burst;
    for (int i = 1; i <= 5; ++i)
        burst += "GET /echo?n=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    c.send_raw(burst);
    for (int i = 1; i <= 5; ++i)
        CHECK(c.read().body() == std::to_string(i));
}

TEST_CASE("routing: path parameters, 404, 405 with Allow, OPTIONS, HEAD") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());

    auto res = c.get("/users/42");
    CHECK(res.result_int() == 200);
    CHECK(parse_json(res.body()) == json::parse(R"({"id":42,"route":"/users/:id"})"));

    res = c.get("/users/042"); // not a canonical integer: no such resource
    CHECK(res.result_int() == 404);
    CHECK(error_of(res).at("code") == "not_found");

    res = c.get("/nowhere");
    CHECK(res.result_int() == 404);
    CHECK(error_of(res).at("code") == "not_found");

    res = c.request(bhttp::verb::delete_, "/healthz");
    CHECK(res.result_int() == 405);
    CHECK(error_of(res).at("code") == "method_not_allowed");
    CHECK(res[bhttp::field::allow] == "GET, HEAD, OPTIONS");

    res = c.request(bhttp::verb::trace, "/healthz"); // a method routes cannot name
    CHECK(res.result_int() == 405);
    CHECK(res[bhttp::field::allow] == "GET, HEAD, OPTIONS");

    res = c.request(bhttp::verb::options, "/users/7");
    CHECK(res.result_int() == 204);
    CHECK(res[bhttp::field::allow] == "GET, HEAD, OPTIONS");
    CHECK(res.body().empty());

    c.send(bhttp::request<bhttp::string_body>(bhttp::verb::head, "/healthz", 11));
    res = c.read_head();
    CHECK(res.result_int() == 200);
    CHECK(res[bhttp::field::content_length] == "15");
    // The connection is still in step: the HEAD response had no body.
    CHECK(c.get("/echo?n=after-head").body() == "after-head");

    res = c.get("/users/a%2");
    CHECK(res.result_int() == 400);
    CHECK(error_of(res).at("code") == "malformed_request");
}

TEST_CASE("a target that is not a URI reference is a 400, and the connection stays open") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    c.send_raw("GET /echo?n=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto const res = c.read();
    CHECK(res.result_int() == 400);
    CHECK(error_of(res).at("code") == "malformed_request");
    CHECK(res.keep_alive());
    CHECK(c.get("/echo?n=ok").body() == "ok");
}

TEST_CASE("query parameters are percent-decoded") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    CHECK(c.get("/echo?x=1&n=a%20b%2Fc").body() == "a b/c");
    CHECK(c.get("/echo").body() == "none");
}

TEST_CASE("JSON bodies: 415 for another media type, 400 for bad JSON, the value otherwise") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());

    auto res = c.request(bhttp::verb::post, "/json", R"({"a":[1,2]})");
    CHECK(res.result_int() == 200);
    CHECK(parse_json(res.body()) == json::parse(R"({"a":[1,2]})"));

    res = c.request(bhttp::verb::post, "/json", R"({"a":1})", "application/json; charset=UTF-8");
    CHECK(res.result_int() == 200);

    res = c.request(bhttp::verb::post, "/json", R"({"a":1})", "text/plain");
    CHECK(res.result_int() == 415);
    CHECK(error_of(res).at("code") == "unsupported_media_type");

    res = c.request(bhttp::verb::post, "/json", R"({"a":1})", "application/json; charset=latin1");
    CHECK(res.result_int() == 415);

    res = c.request(bhttp::verb::post, "/json", R"({"a":1)");
    CHECK(res.result_int() == 400);
    CHECK(error_of(res).at("code") == "malformed_request");

    res = c.request(bhttp::verb::post, "/object", R"([1,2])");
    CHECK(res.result_int() == 400);
    CHECK(error_of(res).at("code") == "malformed_request");

    res = c.request(bhttp::verb::post, "/object", R"({"name":"x"})");
    CHECK(res.result_int() == 201);

    // No Content-Type at all.
    c.send_raw("POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
    CHECK(c.read().result_int() == 415);
    // JSON, but empty.
    c.send_raw("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 0\r\n\r\n");
    CHECK(c.read().result_int() == 400);
}

TEST_CASE("a handler that throws is a 500 that does not show what it said") {
    app_probe probe;
    apikit::memory_sink sink;
    auto server = make_server(probe, sink);
    client c(server.port());
    auto const res = c.get("/throw");
    CHECK(res.result_int() == 500);
    auto const e = error_of(res);
    CHECK(e.at("code") == "internal_error");
    CHECK(e.at("message") == "Internal server error");
    CHECK(res.body().find("secret") == std::string::npos);
    // The connection survives, and the text went to the log.
    CHECK(c.get("/healthz").result_int() == 200);
    REQUIRE(sink.wait_for_lines(2, 10s));
    auto const line = parse_json(sink.lines().at(0));
    CHECK(line.at("level") == "error");
    CHECK(line.at("context").at("error") == "secret internal detail");
    CHECK(line.at("context").at("status") == 500);
}

TEST_CASE("a handler that drops its continuation is a 500, not a hang") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    auto const res = c.get("/dropped");
    CHECK(res.result_int() == 500);
    CHECK(error_of(res).at("code") == "internal_error");
    CHECK(c.get("/healthz").result_int() == 200);
}

TEST_CASE("request id: a valid client id is kept, anything else replaced, always echoed") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    auto const with_id = [&](std::string_view target, std::optional<std::string> id) {
        bhttp::request<bhttp::string_body> req(bhttp::verb::get, target, 11);
        if (id)
            req.set("X-Request-Id", *id);
        c.send(std::move(req));
        return c.read();
    };

    auto res = with_id("/id", "abc-123_X.y:z");
    CHECK(res["X-Request-Id"] == "abc-123_X.y:z");
    CHECK(res.body() == "abc-123_X.y:z"); // the handler sees the same id

    std::string const longest(128, 'a');
    CHECK(with_id("/id", longest)["X-Request-Id"] == longest);

    for (std::string const& bad :
         {std::string(129, 'a'), std::string("has space"), std::string("slash/no"),
          std::string("quote\"no"), std::string("caf\xc3\xa9"), std::string("semi;colon")}) {
        CAPTURE(bad);
        res = with_id("/id", bad);
        auto const id = std::string(res["X-Request-Id"]);
        CHECK(id.starts_with("req_"));
        CHECK(id.size() == 4 + apikit::id_random_length);
        CHECK(res.body() == id);
    }

    res = with_id("/id", std::nullopt);
    CHECK(std::string(res["X-Request-Id"]).starts_with("req_"));

    // Empty: Beast drops an empty field value's whitespace; the id is generated.
    c.send_raw("GET /id HTTP/1.1\r\nHost: x\r\nX-Request-Id: \r\n\r\n");
    CHECK(std::string(c.read()["X-Request-Id"]).starts_with("req_"));

    // Two ids of their own are never equal.
    auto const a = std::string(with_id("/id", std::nullopt)["X-Request-Id"]);
    auto const b = std::string(with_id("/id", std::nullopt)["X-Request-Id"]);
    CHECK(a != b);

    // An error envelope carries the id.
    res = with_id("/nowhere", "trace-me");
    CHECK(error_of(res).at("request_id") == "trace-me");
}

TEST_CASE("a header value cannot smuggle a second field through the request id") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    // A bare LF inside the value is not a line end in HTTP/1.1: Beast refuses
    // the request rather than splitting it.
    c.send_raw("GET /id HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\nX-Evil: 1\r\n\r\n");
    auto const res = c.read();
    CHECK(res.find("X-Evil") == res.end());
    CHECK(res.result_int() == 400);
}

TEST_CASE("the access log writes one JSON line per request") {
    app_probe probe;
    apikit::memory_sink sink;
    std::size_t users_body = 0, not_found_body = 0, bad_framing_body = 0;
    {
        auto server = make_server(probe, sink);
        client c(server.port());
        bhttp::request<bhttp::string_body> req(bhttp::verb::get, "/users/7?secret=1", 11);
        req.set("X-Request-Id", "log-test-1");
        req.set(bhttp::field::user_agent, "apikit-test/1.0 (\"quoted\")");
        req.set("X-Forwarded-For", "203.0.113.9");
        c.send(std::move(req));
        auto const users = c.read();
        CHECK(users.result_int() == 200);
        users_body = users.body().size();
        // Not a valid URI (a quote), so a 400; the log escapes the path.
        CHECK(c.get("/nowhere/\"quoted\"").result_int() == 400);
        // A HEAD sends no body; a path no route has is a 404 envelope.
        c.send_raw("HEAD /users/7 HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(c.read_head().result_int() == 200);
        auto const not_found = c.get("/nowhere");
        CHECK(not_found.result_int() == 404);
        not_found_body = not_found.body().size();
        c.send_raw("GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        auto const bad_framing = c.read();
        CHECK(bad_framing.result_int() == 400);
        bad_framing_body = bad_framing.body().size();
    } // the server's destruction flushes the log
    auto const lines = sink.lines();
    REQUIRE(lines.size() == 5);

    auto const first = parse_json(lines[0]);
    REQUIRE(first.is_object());
    auto const& o = first.as_object();
    CHECK(o.size() == 4);
    CHECK(o.at("timestamp").as_string().size() == apikit::rfc3339_ms_size);
    CHECK(o.at("level") == "info");
    CHECK(o.at("message") == "request");
    auto const& ctx = o.at("context").as_object();
    CHECK(ctx.size() == 9);
    CHECK(ctx.at("request_id") == "log-test-1");
    CHECK(ctx.at("method") == "GET");
    CHECK(ctx.at("path") == "/users/7"); // no query: it may hold secrets
    CHECK(ctx.at("route") == "/users/:id");
    CHECK(ctx.at("status") == 200);
    CHECK(ctx.at("duration_ms").is_double());
    CHECK(ctx.at("duration_ms").as_double() >= 0);
    CHECK(ctx.at("body_bytes_sent") == users_body);
    CHECK(ctx.at("remote_addr") == "127.0.0.1"); // the peer, not X-Forwarded-For
    CHECK(ctx.at("user_agent") == "apikit-test/1.0 (\"quoted\")");

    auto const second = parse_json(lines[1]).at("context");
    CHECK(second.at("path") == "/nowhere/\"quoted\"");
    CHECK(second.at("route").is_null());
    CHECK(second.at("status") == 400);
    CHECK(second.at("user_agent").is_null());
    CHECK(lines[1].find(R"(/nowhere/\"quoted\")") != std::string::npos);

    auto const head = parse_json(lines[2]).at("context");
    CHECK(head.at("method") == "HEAD");
    CHECK(head.at("route") == "/users/:id");
    CHECK(head.at("body_bytes_sent") == 0);

    // An error's envelope is counted as it was sent.
    auto const not_found = parse_json(lines[3]).at("context");
    CHECK(not_found.at("status") == 404);
    CHECK(not_found.at("route").is_null());
    CHECK(not_found_body > 0);
    CHECK(not_found.at("body_bytes_sent") == not_found_body);

    // The server's own 400 is logged too, with an id of its own.
    auto const third = parse_json(lines[4]).at("context");
    CHECK(third.at("status") == 400);
    CHECK(third.at("request_id").as_string().starts_with("req_"));
    CHECK(third.at("body_bytes_sent") == bad_framing_body);
    CHECK(third.at("remote_addr") == "127.0.0.1");
}

TEST_CASE("the access log counts an error's body in the server's own format") {
    // Not apikit's envelope: the size is the connection's to tell.
    app_probe probe;
    apikit::memory_sink sink;
    std::size_t sent = 0;
    {
        http::chain chain{http::request_id{}, http::access_log{sink}, make_test_app(probe)};
        http::server<decltype(chain), apikit::api::problem_json_format> server(test_options(),
                                                                               std::move(chain));
        REQUIRE(server.start().has_value());
        client c(server.port());
        auto const res = c.get("/nowhere");
        CHECK(res.result_int() == 404);
        CHECK(res[bhttp::field::content_type] == "application/problem+json");
        sent = res.body().size();
    }
    auto const lines = sink.lines();
    REQUIRE(lines.size() == 1);
    CHECK(sent > 0);
    CHECK(parse_json(lines[0]).at("context").at("body_bytes_sent") == sent);
}

namespace {

// Edits the error in place on the way back, after the access log measured it.
struct error_editor {
    void on_response(http::exchange& ex) const {
        if (auto* e = ex.response().error())
            e->message = "edited after the log";
    }
};

} // namespace

TEST_CASE("an error changed after the access log measured it is sent as changed") {
    app_probe probe;
    apikit::memory_sink sink;
    auto server = running_server(
        test_options(), http::chain{error_editor{}, http::access_log{sink}, make_test_app(probe)});
    client c(server.port());
    for (int i = 0; i < 2; ++i) { // the second finds the first's rendering on its thread
        auto const res = c.get("/nowhere");
        CHECK(res.result_int() == 404);
        CHECK(error_of(res).at("message") == "edited after the log");
    }
}

TEST_CASE("Expect: 100-continue gets its interim response before the body is sent") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    c.send_raw("POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               "Expect: 100-continue\r\n\r\n");
    std::string interim(25, '\0');
    asio::read(c.socket(), asio::buffer(interim));
    CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send_raw("hello");
    auto const res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "5");
}

TEST_CASE("HTTP/1.0: closed after the response unless the client asks for keep-alive") {
    app_probe probe;
    auto server = make_server(probe);
    {
        client c(server.port());
        c.send_raw("GET /echo?n=1 HTTP/1.0\r\n\r\n");
        auto const res = c.read();
        CHECK(res.body() == "1");
        CHECK(res[bhttp::field::connection] == "close");
        CHECK(c.closed_by_server());
    }
    {
        client c(server.port());
        c.send_raw("GET /echo?n=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        auto const res = c.read();
        CHECK(res[bhttp::field::connection] == "keep-alive");
        CHECK(c.get("/echo?n=2").body() == "2");
    }
}

TEST_CASE("Connection: close from the client closes after the response") {
    app_probe probe;
    auto server = make_server(probe);
    client c(server.port());
    c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto const res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res[bhttp::field::connection] == "close");
    CHECK(c.closed_by_server());
}

TEST_CASE("bodies up to the limit are read whole, chunked or not") {
    app_probe probe;
    auto o = test_options();
    o.body_limit = 256 * 1024;
    auto server = make_server(probe, {}, o);
    client c(server.port());
    auto res = c.request(bhttp::verb::post, "/size", std::string(256 * 1024, 'a'), "text/plain");
    CHECK(res.result_int() == 200);
    CHECK(res.body() == std::to_string(256 * 1024));

    c.send_raw("POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    res = c.read();
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "11");

    // And a large response, after them, on the same connection.
    res = c.get("/big?mib=2");
    CHECK(res.body().size() == 2u * 1024 * 1024);
}

TEST_CASE("many clients on several threads are all served") {
    app_probe probe;
    auto o = test_options();
    o.threads = 3;
    auto server = make_server(probe, {}, o);
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    for (int t = 0; t < 6; ++t)
        clients.emplace_back([&, t] {
            client c(server.port());
            for (int i = 0; i < 50; ++i) {
                auto const n = std::to_string(t * 1000 + i);
                if (c.get("/echo?n=" + n).body() == n)
                    ++ok;
            }
        });
    for (auto& t : clients)
        t.join();
    CHECK(ok == 300);
}
