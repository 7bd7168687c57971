#ifndef APIKIT_OBS_HTTP_METRICS_HPP
#define APIKIT_OBS_HTTP_METRICS_HPP

// RED metrics for the HTTP server: a middleware that times every response
// into one histogram, as OpenTelemetry's HTTP server semantic conventions
// name it once exported to Prometheus:
//
//   http_server_request_duration_seconds{http_request_method="GET",
//       http_route="/users/:id",http_response_status_code="200"}
//
// from which a dashboard reads the Rate (its _count), the Errors (the
// series with a 5xx code, which also carry `error_type`, the code again, as
// the conventions ask) and the Duration (its buckets).
//
//   http_request_method        GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS,
//                              CONNECT, TRACE as sent; any other method is
//                              `_OTHER`, so a client cannot add series
//   http_route                 the route template that matched
//                              (`request::route()`: `/users/:id`), never the
//                              raw path; left out when no route matched (a
//                              404, a 405, the server's own 400s and 408s,
//                              a response a middleware gave before routing)
//   http_response_status_code  the status sent
//   error_type                 the status code for a 5xx, else left out
//
// `url_scheme` and `network_protocol_version`, which the conventions also
// list, are left out: the server speaks HTTP/1.1 over TCP only, so they
// would be the same on every series.
//
// The duration runs from the end of the request's header
// (`exchange::start_time()`) to the moment the response is final, in
// seconds. The buckets are the conventions' advisory ones,
// `http_duration_buckets`: 5 ms to 10 s.
//
// It is an on_response hook, so it sees every response the connection
// sends, the server's own included, with the status the other layers
// settled on; put it first in the chain (its hook then runs last). Per
// response it reads the clock once, formats the status into a stack
// buffer, finds the series without a lock (metrics.hpp) and observes. The
// series are bounded by routes × methods × codes; the family's max_series
// (1000 unless told) catches the rest.
//
// `metrics_handler(registry)` is the handler of `GET /metrics`: the
// registry in Prometheus' text format, with its content type.

#include <apikit/api/method.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/obs/metrics.hpp>
#include <apikit/obs/prometheus.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::obs {

/// OpenTelemetry's advisory bucket bounds for http.server.request.duration,
/// in seconds.
inline constexpr std::array<double, 14> http_duration_buckets{
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};

struct http_metrics_options {
    std::vector<double> buckets{http_duration_buckets.begin(), http_duration_buckets.end()};
    family_options series{};
};

/// The method as the `http_request_method` label has it.
[[nodiscard]] inline std::string_view http_method_label(http::request const& req) noexcept {
    if (auto const m = req.method())
        return api::to_string(*m);
    auto const s = req.method_string();
    if (s == "CONNECT" || s == "TRACE")
        return s;
    return "_OTHER";
}

class http_metrics {
public:
    /// Registers `http_server_request_duration_seconds` in `reg`, which must
    /// outlive the middleware.
    explicit http_metrics(registry& reg, http_metrics_options opts = {})
        : durations_(&reg.add_histogram_family(
              "http_server_request_duration_seconds", "Duration of HTTP server requests.",
              {"http_request_method", "http_route", "http_response_status_code", "error_type"},
              std::move(opts.buckets), opts.series)) {}

    void on_response(http::exchange& ex) const {
        auto const end = std::chrono::steady_clock::now();
        auto const& req = ex.request();
        auto const status = ex.response().status();
        char code[10];
        auto const n =
            static_cast<std::size_t>(std::to_chars(code, code + sizeof code, status).ptr - code);
        std::string_view const code_text(code, n);
        std::array<std::string_view, 4> const values{http_method_label(req), req.route(), code_text,
                                                     status >= 500 ? code_text
                                                                   : std::string_view()};
        auto const elapsed = std::chrono::duration<double>(end - ex.start_time()).count();
        durations_->with(values).observe(elapsed < 0 ? 0 : elapsed);
    }

    /// The histogram family, to read it in tests or add series up front.
    [[nodiscard]] family<histogram>& durations() const noexcept { return *durations_; }

private:
    family<histogram>* durations_;
};

/// The handler of `GET /metrics`: every metric of `reg` (which must outlive
/// it) in the text format 0.0.4, written straight into the response's body,
/// with `Cache-Control: no-store`.
[[nodiscard]] inline auto metrics_handler(registry const& reg) {
    return [&reg](http::request const&, http::response& res) {
        res.body().clear();
        reg.write_prometheus(res.body());
        res.content_type(prometheus_content_type);
        res.set("Cache-Control", "no-store"); // a reading of now, never to be reused
    };
}

static_assert(http::middleware<http_metrics>,
              "apikit::obs::http_metrics must model apikit::http::middleware");

} // namespace apikit::obs

#endif
