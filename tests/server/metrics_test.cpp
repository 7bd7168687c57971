// The sample server's GET /metrics over real HTTP: the RED histogram by
// route template and status code (never a raw path), the server's, the
// bus's and the log's figures, the text `promtool check metrics` accepts;
// and the trace context on every response.

#include "fixture.hpp"

#include <apikit/obs/prometheus.hpp>
#include <apikit/obs/trace_context.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace test_server;

namespace metrics_test {

constexpr std::string_view red = "http_server_request_duration_seconds";

std::string header(response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string() : std::string(it->value());
}

/// GET /metrics, checked to be the text format.
std::string scrape(client& c) {
    auto const res = c.get("/metrics");
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::content_type] == apikit::obs::prometheus_content_type);
    return res.body();
}

/// The lines of `text` that are samples of `name` (its _count series for a
/// histogram), comments left out.
std::vector<std::string> samples(std::string_view text, std::string_view name) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto const nl = text.find('\n');
        auto const line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.starts_with(name) && line.size() > name.size() &&
            (line[name.size()] == '{' || line[name.size()] == ' '))
            out.emplace_back(line);
    }
    return out;
}

/// The value of the one sample of `text` that starts with `series` (a
/// name and its labels, as written).
double value_of(std::string_view text, std::string const& series) {
    auto const at = text.find("\n" + series + " ");
    REQUIRE_MESSAGE(at != std::string_view::npos, series);
    auto const start = at + series.size() + 2;
    return std::stod(std::string(text.substr(start, text.find('\n', start) - start)));
}

std::string count_series(std::string_view method, std::string_view route, std::string_view code) {
    std::string s(red);
    s += "_count{http_request_method=\"" + std::string(method) + "\"";
    if (!route.empty())
        s += ",http_route=\"" + std::string(route) + "\"";
    s += ",http_response_status_code=\"" + std::string(code) + "\"}";
    return s;
}

TEST_CASE("GET /metrics: RED by route template and status code, never a raw path") {
    running_server server;
    client c(server.port());
    auto const ada = id_of(sign_up(c, "ada@example.com"));
    auto const bob = id_of(sign_up(c, "bob@example.com"));
    CHECK(c.get("/users").result_int() == 401); // no token: the guard's 401
    server.authorize(c);
    for (auto const& id : {ada, bob, ada})
        CHECK(c.get("/users/" + id).result_int() == 200);
    CHECK(c.get("/users/user_nobody").result_int() == 404);
    CHECK(c.get("/nowhere/at/all").result_int() == 404);
    CHECK(c.post_json("/users/" + ada + "/orders", json::value{{"item", "book"}, {"quantity", 1}})
              .result_int() == 201);

    auto const text = scrape(c);
    // Every series of the histogram names a route template, or none.
    for (auto const& line : samples(text, std::string(red) + "_count")) {
        CAPTURE(line);
        CHECK(line.find("user_") == std::string::npos);
        CHECK(line.find("/nowhere") == std::string::npos);
    }
    CHECK(value_of(text, count_series("GET", "/users/:id", "200")) == 3);
    CHECK(value_of(text, count_series("GET", "/users/:id", "404")) == 1);
    // The guard answers before routing: a 401 names no route, as a path no
    // route matched does not.
    CHECK(value_of(text, count_series("GET", "", "401")) == 1);
    CHECK(value_of(text, count_series("POST", "/users", "201")) == 2);
    CHECK(value_of(text, count_series("POST", "/users/:id/orders", "201")) == 1);
    CHECK(value_of(text, count_series("GET", "", "404")) == 1);
    // The buckets are OpenTelemetry's advisory ones, 5 ms to 10 s.
    CHECK(text.find("le=\"0.005\"") != std::string::npos);
    CHECK(text.find("le=\"10\"") != std::string::npos);

    // The other figures: the server's USE, the bus's, the log's.
    CHECK(value_of(text, "apikit_events_published_total") == 3);
    CHECK(value_of(text, "apikit_events_unpublished_total") == 0);
    CHECK(value_of(text, "apikit_log_dropped_lines_total") == 0);
    CHECK(value_of(text, "apikit_http_worker_threads") == 1);
    CHECK(value_of(text, "apikit_http_server_connections_open") >= 1);

    // The scrape itself is counted once it is answered.
    CHECK(value_of(scrape(c), count_series("GET", "/metrics", "200")) == 1);
}

TEST_CASE("GET /metrics needs no token and is never rate limited") {
    running_server server(1, sample::rate_limit_spec{2, 1});
    client c(server.port());
    for (int i = 0; i < 10; ++i) {
        auto const res = c.get("/metrics");
        CHECK(res.result_int() == 200);
        CHECK(header(res, "X-RateLimit-Limit").empty());
    }
    // /events is limited like /users: two, then a 429.
    server.authorize(c);
    CHECK(c.get("/events").result_int() == 200);
    CHECK(header(c.get("/events"), "X-RateLimit-Remaining") == "0");
    check_error(c.get("/events"), 429, "rate_limited");
}

TEST_CASE("every response carries the request's trace with the server's own span") {
    running_server server;
    client c(server.port());
    constexpr std::string_view caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    apikit_test::http_request req(http::verb::get, "/healthz", 11);
    req.set("traceparent", caller);
    req.set("tracestate", "congo=t61rcWkgMzE");
    auto const continued = c.request(std::move(req));
    auto const answered = apikit::obs::parse_traceparent(header(continued, "traceparent"));
    REQUIRE(answered.has_value());
    CHECK(answered->trace.hex().view() == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(answered->parent.hex().view() != "00f067aa0ba902b7"); // never the caller's span
    CHECK(header(continued, "tracestate") == "congo=t61rcWkgMzE");

    // An error the guard answers, and one the router answers, carry it too.
    for (std::string_view target : {"/users", "/nowhere"}) {
        auto const res = c.get(target);
        CHECK(res.result_int() >= 400);
        CHECK(apikit::obs::parse_traceparent(header(res, "traceparent")).has_value());
    }

    // An invalid traceparent starts a new trace; the request is served.
    apikit_test::http_request bad(http::verb::get, "/healthz", 11);
    bad.set("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
    auto const fresh = c.request(std::move(bad));
    CHECK(fresh.result_int() == 200);
    auto const started = apikit::obs::parse_traceparent(header(fresh, "traceparent"));
    REQUIRE(started.has_value());
    CHECK(started->trace.valid());
    CHECK(header(fresh, "tracestate").empty());
}

TEST_CASE("--observability off: no trace, no RED series, no line of any request") {
    server_setup setup;
    setup.observability = false;
    running_server server(std::move(setup));
    client c(server.port());
    auto const ada = sign_up(c, "ada@example.com");
    server.authorize(c);
    auto const res = c.get("/users/" + id_of(ada));
    CHECK(res.result_int() == 200);
    CHECK(header(res, "traceparent").empty());
    auto const text = scrape(c);
    CHECK(samples(text, std::string(red) + "_count").empty());
    // The rest of /metrics stays.
    CHECK(value_of(text, "apikit_events_published_total") == 1);
    server.server().parts().log->flush();
    CHECK(server.log().text().empty());
    // The events still say where they came from, without a trace.
    auto const page = body_json(c.get("/events"));
    auto const& meta = page.at("data").at(0).at("metadata").as_object();
    CHECK(meta.at("correlation_id").as_string().starts_with("req_"));
    CHECK_FALSE(meta.contains("trace_id"));
}

TEST_CASE("GET /metrics passes promtool check metrics") {
    std::string const promtool = APIKIT_PROMTOOL;
    bool const found = !promtool.empty() && promtool.find("NOTFOUND") == std::string::npos;
    REQUIRE_MESSAGE(found, "promtool was not found: ./dev deps puts it in build/tools/");
    running_server server;
    client c(server.port());
    auto const ada = sign_up(c, "ada@example.com");
    server.authorize(c);
    CHECK(c.get("/users/" + id_of(ada)).result_int() == 200);
    CHECK(c.get("/users/nobody").result_int() == 404);
    CHECK(c.get("/events").result_int() == 200);
    auto const text = scrape(c);

    char const* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/apikit-metrics-XXXXXX";
    int const fd = ::mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    std::ofstream(pattern, std::ios::binary) << text;
    // promtool reads the text on stdin; a lint complaint is printed and fails.
    std::string const command = "'" + promtool + "' check metrics < '" + pattern + "' 2>&1";
    FILE* p = ::popen(command.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string said;
    char buf[512];
    while (auto const n = std::fread(buf, 1, sizeof buf, p))
        said.append(buf, n);
    int const status = ::pclose(p);
    std::remove(pattern.c_str());
    CAPTURE(said);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(said.empty());
}

} // namespace metrics_test
