#include "support.hpp"

#include <apikit/core/clock_ref.hpp>

using namespace http_test;

namespace {

using sys_manual = apikit::manual_clock<std::chrono::system_clock>;
using log_t = http::access_log<apikit::memory_sink, apikit::clock_ref<sys_manual>>;

// 2024-01-15T10:00:00.123Z
sys_manual::time_point const t0 =
    sys_manual::time_point(std::chrono::milliseconds(1'705'312'800'123));

} // namespace

TEST_CASE("access_log formats the structured line") {
    sys_manual clock(t0);
    exchange_harness h;
    h.load("DELETE /users/9?token=secret HTTP/1.1\r\nHost: h\r\n\r\n");
    h.req().request_id("req_abc");
    h.res().status(204);
    auto const start = h.ex().start_time();

    std::string line;
    log_t::format(line, h.ex(), clock.now(), start + std::chrono::microseconds(1234567));
    CHECK(line == R"({"timestamp":"2024-01-15T10:00:00.123Z","level":"info","message":"request",)"
                  R"("context":{"request_id":"req_abc","method":"DELETE","path":"/users/9",)"
                  R"("status":204,"duration_ms":1234.567}})"
                  "\n");

    line.clear();
    log_t::format(line, h.ex(), clock.now(), start + std::chrono::microseconds(5));
    CHECK(line.find(R"("duration_ms":0.005})") != std::string::npos);
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
