#include "support.hpp"

#include <apikit/core/clock_ref.hpp>

using namespace http_test;

namespace {

using sys_manual = apikit::manual_clock<std::chrono::system_clock>;
using log_t = http::access_log<apikit::memory_sink, apikit::clock_ref<sys_manual>>;

// 2024-01-15T10:00:00.123Z
sys_manual::time_point const t0 =
    sys_manual::time_point(std::chrono::milliseconds(1'705'312'800'123));

tcp::endpoint const peer(asio::ip::make_address("192.0.2.7"), 50123);

// The context of the line `format` writes for `h` now.
json::object context_of(exchange_harness& h) {
    std::string line;
    log_t::format(line, h.ex(), t0, h.ex().start_time());
    return parse_json(line).at("context").as_object();
}

} // namespace

TEST_CASE("access_log formats the structured line") {
    sys_manual clock(t0);
    exchange_harness h;
    h.load("DELETE /users/9?token=secret HTTP/1.1\r\nHost: h\r\nUser-Agent: curl/8.5.0\r\n\r\n",
           true, peer);
    h.req().request_id("req_abc");
    h.req().route("/users/:id", {});
    h.res().status(204);
    auto const start = h.ex().start_time();

    std::string line;
    log_t::format(line, h.ex(), clock.now(), start + std::chrono::microseconds(1234567));
    CHECK(line == R"({"timestamp":"2024-01-15T10:00:00.123Z","level":"info","message":"request",)"
                  R"("context":{"request_id":"req_abc","method":"DELETE","path":"/users/9",)"
                  R"("route":"/users/:id","status":204,"duration_ms":1234.567,)"
                  R"("body_bytes_sent":0,"remote_addr":"192.0.2.7","user_agent":"curl/8.5.0"}})"
                  "\n");

    line.clear();
    log_t::format(line, h.ex(), clock.now(), start + std::chrono::microseconds(5));
    CHECK(line.find(R"("duration_ms":0.005,)") != std::string::npos);
}

TEST_CASE("access_log: what is unknown is null, not an empty string") {
    exchange_harness h;
    // No route ran (a 404), no User-Agent, no peer address (port 0).
    h.load("GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n");
    h.res().error(apikit::errc::not_found);
    auto const ctx = context_of(h);
    CHECK(ctx.at("route").is_null());
    CHECK(ctx.at("remote_addr").is_null());
    CHECK(ctx.at("user_agent").is_null());
    // A User-Agent that is there but empty is the empty string.
    h.load("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: \r\n\r\n");
    CHECK(context_of(h).at("user_agent") == "");
}

TEST_CASE("access_log: a 5xx is level error and carries the log detail") {
    sys_manual clock(t0);
    exchange_harness h;
    h.load("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
    h.res().error(apikit::errc::internal_error);
    h.ex().log_detail("db said \"no\"\n");
    std::string line;
    log_t::format(line, h.ex(), clock.now(), h.ex().start_time());
    auto const v = parse_json(line);
    CHECK(v.at("level") == "error");
    CHECK(v.at("context").at("status") == 500);
    CHECK(v.at("context").at("error") == "db said \"no\"\n");
}

TEST_CASE("access_log: body_bytes_sent is the body the server writes") {
    exchange_harness h;
    h.load("GET /users HTTP/1.1\r\nHost: h\r\n\r\n");
    h.res().json_text(R"({"data":[]})");
    CHECK(context_of(h).at("body_bytes_sent") == 11);

    // An error's envelope, stamped with the request id, as it is rendered
    // when the response is sent.
    h.load("GET /users/1 HTTP/1.1\r\nHost: h\r\n\r\n");
    h.req().request_id("req_abc");
    h.res().error(apikit::errc::not_found, "No user has this id");
    apikit::api::api_error sent(apikit::errc::not_found, "No user has this id");
    sent.request_id = "req_abc";
    auto const envelope = apikit::api::render(sent);
    CHECK(context_of(h).at("body_bytes_sent") == envelope.size());
    CHECK(h.res().body().empty()); // measuring it rendered nothing into the response

    // HEAD, 204 and 304 carry no body, whatever the handler wrote.
    h.load("HEAD /users HTTP/1.1\r\nHost: h\r\n\r\n");
    h.res().json_text(R"({"data":[]})");
    CHECK(context_of(h).at("body_bytes_sent") == 0);
    for (unsigned const status : {204u, 304u}) {
        h.load("GET /users HTTP/1.1\r\nHost: h\r\n\r\n");
        h.res().text("dropped");
        h.res().status(status);
        CHECK(context_of(h).at("body_bytes_sent") == 0);
    }
}

TEST_CASE("access_log: remote_addr is the TCP peer's address, without its port") {
    exchange_harness h;
    auto const addr_of = [&](asio::ip::address const& address, std::uint16_t port = 443) {
        h.load("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n", true,
               tcp::endpoint(address, port));
        return std::string(context_of(h).at("remote_addr").as_string());
    };
    auto const ip = [](char const* text) { return asio::ip::make_address(text); };
    // X-Forwarded-For is not believed: the line says who connected.
    CHECK(addr_of(ip("10.0.0.1")) == "10.0.0.1");
    CHECK(addr_of(ip("0.0.0.0")) == "0.0.0.0");
    CHECK(addr_of(ip("255.255.255.255")) == "255.255.255.255");
    CHECK(addr_of(ip("127.0.0.1"), 1) == "127.0.0.1");
    CHECK(addr_of(ip("::1")) == "::1");
    CHECK(addr_of(ip("2001:db8::42:1")) == "2001:db8::42:1");
    CHECK(addr_of(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) ==
          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    auto const link_local = ip("fe80::1").to_v6().to_bytes();
    CHECK(addr_of(asio::ip::address_v6(link_local, 7)) == "fe80::1%7");
    // The longest address there is, with the longest scope id.
    asio::ip::address_v6::bytes_type widest;
    widest.fill(0xab);
    CHECK(addr_of(asio::ip::address_v6(widest, 4294967295u)) ==
          "abab:abab:abab:abab:abab:abab:abab:abab%4294967295");
    // Every octet value, in every position, as Asio writes it.
    for (unsigned v = 0; v < 256; ++v) {
        auto const o = [](unsigned x) { return static_cast<unsigned char>(x); };
        asio::ip::address_v4 const a({o(v), o(255 - v), o(v / 2), o((v * 7) % 256)});
        REQUIRE(addr_of(a) == a.to_string());
    }
    // An IPv4 client of a dual-stack socket is logged as IPv4.
    CHECK(addr_of(ip("::ffff:192.0.2.7")) == "192.0.2.7");
}

TEST_CASE("access_log: user_agent is escaped and bounded") {
    exchange_harness h;
    auto const agent_of = [&](std::string const& ua) {
        h.load("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: " + ua + "\r\nUser-Agent: second\r\n\r\n");
        return std::string(context_of(h).at("user_agent").as_string());
    };
    CHECK(agent_of("Mozilla/5.0 (X11; Linux x86_64)") == "Mozilla/5.0 (X11; Linux x86_64)");
    // What the client controls is escaped; ill-formed UTF-8 becomes U+FFFD
    // (a field value may hold obs-text and, for Beast, a tab).
    CHECK(agent_of("a\"b\\c\td\xff") == "a\"b\\c\td\xef\xbf\xbd");

    auto const limit = http::max_logged_user_agent;
    std::string const exact(limit, 'a');
    CHECK(agent_of(exact) == exact);
    CHECK(agent_of(exact + "bcd") == exact);
    // A character that the bound would cut is left out whole, not logged as
    // U+FFFD: here "é" (2 bytes) and "𝄞" (4 bytes) straddle it.
    std::string const before(limit - 1, 'a');
    CHECK(agent_of(before + "\xc3\xa9z") == before);
    std::string const three_before(limit - 3, 'a');
    CHECK(agent_of(three_before + "\xf0\x9d\x84\x9ez") == three_before);
    CHECK(agent_of(std::string(limit - 4, 'a') + "\xf0\x9d\x84\x9ez") ==
          std::string(limit - 4, 'a') + "\xf0\x9d\x84\x9e");
    // A header of any size makes a line of a bounded size.
    h.load("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: " + std::string(3000, '"') + "\r\n\r\n");
    std::string line;
    log_t::format(line, h.ex(), t0, h.ex().start_time());
    CHECK(line.size() < 2 * limit + 400);
    CHECK(parse_json(line).at("context").at("user_agent").as_string() == std::string(limit, '"'));
}

TEST_CASE("access_log escapes what the client controls") {
    sys_manual clock(t0);
    exchange_harness h;
    h.load("GET /a%22b/\xc3\xa9\xff HTTP/1.1\r\nHost: h\r\n\r\n", false);
    h.req().request_id("id");
    std::string line;
    log_t::format(line, h.ex(), clock.now(), h.ex().start_time());
    auto const v = parse_json(line); // valid JSON whatever the bytes
    CHECK(v.at("context").at("path") == "/a%22b/\xc3\xa9\xef\xbf\xbd");
}

TEST_CASE("access_log writes through its writer, stamped by its clock") {
    sys_manual clock(t0);
    apikit::memory_sink sink;
    {
        log_t const log(sink, {}, apikit::clock_ref(clock));
        exchange_harness h;
        h.load("GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
        log.on_response(h.ex());
        clock.advance(std::chrono::seconds(1));
        h.load("GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        log.on_response(h.ex());
    } // the writer flushes on destruction
    auto const lines = sink.lines();
    REQUIRE(lines.size() == 2);
    CHECK(parse_json(lines[0]).at("timestamp") == "2024-01-15T10:00:00.123Z");
    CHECK(parse_json(lines[1]).at("timestamp") == "2024-01-15T10:00:01.123Z");
    CHECK(parse_json(lines[1]).at("context").at("path") == "/b");
    CHECK(sink.writes() == 1); // one batch
}

TEST_CASE("access_log: the context carries the request's log context after its own fields") {
    sys_manual clock(t0);
    exchange_harness h;
    h.load("GET /orders HTTP/1.1\r\nHost: h\r\n\r\n");
    h.req().request_id("req_1");
    auto& ctx = h.ex().log_context();
    ctx.set("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
    ctx.set("span_id", "00f067aa0ba902b7");
    ctx.set("status", 999); // one of the line's own keys: left out, the server's status stays
    ctx.set("user_id", "user_7");
    ctx.set("password", "hunter2");
    std::string line;
    log_t::format(line, h.ex(), clock.now(), h.ex().start_time());
    CHECK(line.ends_with(R"(,"user_agent":null,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",)"
                         R"("span_id":"00f067aa0ba902b7","user_id":"user_7",)"
                         R"("password":"[REDACTED]"}})"
                         "\n"));
    auto const context = parse_json(line).at("context").as_object();
    CHECK(context.at("status") == 200);
    CHECK(context.size() == 13);

    // The next request starts with an empty context.
    h.load("GET /orders HTTP/1.1\r\nHost: h\r\n\r\n");
    line.clear();
    log_t::format(line, h.ex(), clock.now(), h.ex().start_time());
    CHECK(line.find("trace_id") == std::string::npos);
    CHECK(line.ends_with(R"("user_agent":null}})"
                         "\n"));
}
