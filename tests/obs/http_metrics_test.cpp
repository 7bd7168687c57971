// obs::http_metrics over real HTTP: every response is timed into
// http_server_request_duration_seconds with the method (_OTHER beyond the
// known ones), the route template (never the raw path; none when no route
// matched) and the status code, error_type on a 5xx — the server's own 400s
// included.

#include "../http/test_app.hpp"

#include <apikit/obs/http_metrics.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace obs_http_metrics_test {

namespace obs = apikit::obs;
namespace ht = http_test;
namespace http = apikit::http;
namespace bhttp = boost::beast::http;

// The series with exactly these labels (values in the family's order; ""
// for a label left out).
std::optional<obs::histogram_value> series_of(obs::registry const& reg, std::string method,
                                              std::string route, std::string code,
                                              std::string error = "") {
    std::vector<obs::label> want;
    if (!method.empty())
        want.push_back({"http_request_method", method});
    if (!route.empty())
        want.push_back({"http_route", route});
    if (!code.empty())
        want.push_back({"http_response_status_code", code});
    if (!error.empty())
        want.push_back({"error_type", error});
    for (auto const& f : reg.collect())
        if (f.name == "http_server_request_duration_seconds")
            for (auto const& s : f.series)
                if (s.labels == want)
                    return s.histogram;
    return std::nullopt;
}

std::uint64_t count_of(obs::registry const& reg, std::string method, std::string route,
                       std::string code, std::string error = "") {
    auto const h =
        series_of(reg, std::move(method), std::move(route), std::move(code), std::move(error));
    return h ? h->count : 0;
}

TEST_CASE("http_metrics times every response by method, route template and status code") {
    obs::registry reg;
    ht::app_probe probe;
    ht::running_server server{ht::test_options(),
                              http::chain{obs::http_metrics{reg}, ht::make_test_app(probe)}};
    ht::client c(server.port());
    CHECK(c.request(bhttp::verb::get, "/users/42").result_int() == 200);
    CHECK(c.request(bhttp::verb::get, "/users/7").result_int() == 200);
    CHECK(c.request(bhttp::verb::get, "/users/x").result_int() == 404); // routed, no such id
    CHECK(c.request(bhttp::verb::get, "/nope").result_int() == 404);
    CHECK(c.request(bhttp::verb::get, "/throw").result_int() == 500);
    CHECK(c.request(bhttp::verb::delete_, "/healthz").result_int() == 405);

    CHECK(count_of(reg, "GET", "/users/:id", "200") == 2);
    CHECK(count_of(reg, "GET", "/users/:id", "404") == 1);
    CHECK(count_of(reg, "GET", "", "404") == 1); // no route matched: no http_route
    CHECK(count_of(reg, "GET", "/throw", "500", "500") == 1);
    CHECK(count_of(reg, "DELETE", "", "405") == 1);

    auto const h = series_of(reg, "GET", "/users/:id", "200");
    REQUIRE(h);
    CHECK(h->bounds == std::vector<double>(obs::http_duration_buckets.begin(),
                                           obs::http_duration_buckets.end()));
    CHECK(h->sum >= 0);
    CHECK(h->sum < 10); // two loopback requests
    // Nothing was ever labelled with a raw path.
    for (auto const& f : reg.collect())
        for (auto const& s : f.series)
            for (auto const& l : s.labels)
                CHECK(l.value.find("42") == std::string::npos);
}

TEST_CASE("http_metrics labels a method outside the known ones _OTHER and a TRACE as TRACE") {
    obs::registry reg;
    ht::app_probe probe;
    ht::running_server server{ht::test_options(),
                              http::chain{obs::http_metrics{reg}, ht::make_test_app(probe)}};
    ht::client c(server.port());
    c.send_raw("PROPFIND /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto const r1 = c.read();
    c.send_raw("TRACE /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto const r2 = c.read();
    auto const code1 = std::to_string(r1.result_int());
    auto const code2 = std::to_string(r2.result_int());
    CHECK(count_of(reg, "_OTHER", "", code1) == 1);
    CHECK(count_of(reg, "TRACE", "", code2) == 1);
}

TEST_CASE("http_metrics times the server's own responses, such as a 400 for broken framing") {
    obs::registry reg;
    ht::app_probe probe;
    ht::running_server server{ht::test_options(),
                              http::chain{obs::http_metrics{reg}, ht::make_test_app(probe)}};
    ht::client c(server.port());
    // Two Content-Lengths that disagree: the server answers 400 itself.
    c.send_raw(
        "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    CHECK(c.read().result_int() == 400);
    CHECK(count_of(reg, "POST", "", "400") == 1);
}

TEST_CASE("http_metrics registers its family once per registry") {
    obs::registry reg;
    obs::http_metrics m{reg};
    CHECK(m.durations().label_names() ==
          std::vector<std::string>{"http_request_method", "http_route", "http_response_status_code",
                                   "error_type"});
    CHECK_THROWS_AS(obs::http_metrics{reg}, std::invalid_argument);
}

} // namespace obs_http_metrics_test
