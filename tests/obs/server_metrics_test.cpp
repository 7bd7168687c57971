// http::server::stats() and obs::add_server_metrics over a real server: what
// the workers count (connections, requests, the server's own 408s and 400s,
// 5xx, busy time) and the USE metrics a scrape reads from it, served at
// /metrics in the text format.

#include "../http/test_app.hpp"

#include <apikit/obs/http_metrics.hpp>
#include <apikit/obs/prometheus.hpp>
#include <apikit/obs/server_metrics.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>

namespace obs_server_metrics_test {

namespace obs = apikit::obs;
namespace ht = http_test;
namespace http = apikit::http;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

http::server_options quick_timeouts() {
    auto o = ht::test_options();
    o.header_timeout = 200ms; // the 408 below comes within ~250 ms
    return o;
}

bool has_line(std::string const& text, std::string_view line) {
    return text.find("\n" + std::string(line) + "\n") != std::string::npos;
}

TEST_CASE("server stats count connections, requests and the server's own error responses") {
    ht::app_probe probe;
    ht::running_server server{quick_timeouts(), http::chain{ht::make_test_app(probe)}};
    auto const before = server.get().stats();
    REQUIRE(before.workers.size() == 2);
    CHECK(before.total().requests_started == 0);
    {
        ht::client c(server.port());
        CHECK(c.request(bhttp::verb::get, "/healthz").result_int() == 200);
        CHECK(c.request(bhttp::verb::get, "/healthz").result_int() == 200);
        CHECK(c.request(bhttp::verb::get, "/throw").result_int() == 500);
    }
    {
        ht::client c(server.port());
        c.send_raw(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        CHECK(c.read().result_int() == 400);
    }
    {
        ht::client c(server.port());
        c.send_raw("GET /healthz HTTP/1.1\r\n"); // and nothing more
        CHECK(c.read().result_int() == 408);
    }
    auto const t = server.get().stats().total();
    CHECK(t.connections_opened == 3);
    CHECK(t.connections_pending == 0);
    CHECK(t.connections_refused == 0);
    CHECK(t.requests_started == 5);
    CHECK(t.requests_completed == 5);
    CHECK(t.requests_active() == 0);
    CHECK(t.bad_requests == 1);
    CHECK(t.request_timeouts == 1);
    CHECK(t.server_errors == 1);
    CHECK(t.write_failures == 0);
    CHECK(t.busy > 0ns);
}

TEST_CASE("a request still in its handler is active until it is answered") {
    ht::app_probe probe;
    ht::running_server server{ht::test_options(), http::chain{ht::make_test_app(probe)}};
    ht::client c(server.port());
    c.send_raw("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(probe.wait_slow_started(1));
    CHECK(server.get().stats().total().requests_active() == 1);
    {
        std::lock_guard lock(probe.mutex);
        REQUIRE(probe.held);
        (*probe.held)();
        probe.held.reset();
    }
    CHECK(c.read().result_int() == 200);
    CHECK(server.get().stats().total().requests_active() == 0);
}

TEST_CASE("add_server_metrics reports the USE metrics at /metrics in the text format") {
    obs::registry reg;
    ht::app_probe probe;
    auto app = ht::make_test_app(probe);
    app.get("/metrics", obs::metrics_handler(reg));
    ht::running_server server{ht::test_options(),
                              http::chain{obs::http_metrics{reg}, std::move(app)}};
    auto const id = obs::add_server_metrics(reg, server.get());
    ht::client c(server.port());
    CHECK(c.request(bhttp::verb::get, "/healthz").result_int() == 200);
    auto const res = c.request(bhttp::verb::get, "/metrics");
    CHECK(res.result_int() == 200);
    CHECK(res[bhttp::field::content_type] == obs::prometheus_content_type);
    CHECK(res[bhttp::field::cache_control] == "no-store");
    auto const text = "\n" + res.body();
    CHECK(has_line(text, "# TYPE http_server_request_duration_seconds histogram"));
    CHECK(has_line(
        text,
        R"(http_server_request_duration_seconds_count{http_request_method="GET",http_route="/healthz",http_response_status_code="200"} 1)"));
    CHECK(has_line(text, "apikit_http_worker_threads 2"));
    CHECK(has_line(text, "# TYPE apikit_http_worker_busy_seconds_total counter"));
    CHECK(text.find("apikit_http_worker_busy_seconds_total{worker=\"1\"} ") != std::string::npos);
    // The /metrics request itself is in its handler while the text is made.
    CHECK(has_line(text, "http_server_active_requests 1"));
    CHECK(has_line(text, "apikit_http_server_connections_pending 0"));
    CHECK(has_line(text, "apikit_http_server_connections_open 1"));
    CHECK(has_line(text, "apikit_http_server_connections_accepted_total 1"));
    CHECK(has_line(text, "apikit_http_server_connections_refused_total 0"));
    CHECK(has_line(text, R"(apikit_http_server_errors_total{error_type="request_timeout"} 0)"));
    CHECK(has_line(text, R"(apikit_http_server_errors_total{error_type="server_error"} 0)"));
    reg.remove_collector(id); // before the server goes
}

} // namespace obs_server_metrics_test
