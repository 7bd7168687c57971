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
// response it reads the clock once, finds the series and observes. A
// series, once found, is the same for those label values for as long as the
// family lives, so each thread remembers the last few it found by (method,
// status, route text) in a small thread_local memo and asks the family
// (hashing the four values, comparing them, without a lock: metrics.hpp)
// only on a miss: on a busy route the hook compares one route string and
// two integers instead. The memo holds copies of the routes, never views, so
// a route string freed meanwhile cannot match by its address. The series
// are bounded by routes × methods × codes; the family's max_series (1000
// unless told) catches the rest.
//
// `metrics_handler(registry)` is the handler of `GET /metrics`: the
// registry in Prometheus' text format, with its content type.

#include <apikit/api/method.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/obs/metrics.hpp>
#include <apikit/obs/prometheus.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
              std::move(opts.buckets), opts.series))
        , id_(next_id()) {}

    void on_response(http::exchange& ex) const {
        auto const end = std::chrono::steady_clock::now();
        auto const elapsed = std::chrono::duration<double>(end - ex.start_time()).count();
        series(ex.request(), ex.response().status()).observe(elapsed < 0 ? 0 : elapsed);
    }

    /// The histogram family, to read it in tests or add series up front.
    [[nodiscard]] family<histogram>& durations() const noexcept { return *durations_; }

private:
    // One remembered series. `owner` tells the middleware (copies share it,
    // as they share the family) so that a memo entry never outlives the
    // family it points into in a way that could be read: ids are never
    // reused. Routes longer than `route` holds are not remembered.
    struct memo_entry {
        std::uint64_t owner = 0; // 0: empty
        histogram* series = nullptr;
        unsigned status = 0;
        std::uint8_t method = 0;
        std::uint8_t route_size = 0;
        char route[46];
    };
    static constexpr std::size_t memo_size = 16; // a power of two

    [[nodiscard]] static std::uint64_t next_id() noexcept {
        static std::atomic<std::uint64_t> last{0};
        return last.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    [[nodiscard]] histogram& series(http::request const& req, unsigned status) const {
        auto const m = req.method();
        auto const route = req.route();
        if (!m || route.size() > sizeof memo_entry::route) // TRACE, _OTHER, a long route
            return lookup(req, status);
        thread_local std::array<memo_entry, memo_size> memo{};
        auto const method = static_cast<std::uint8_t>(*m);
        auto& e = memo[(status * 7 + method * 3 + route.size()) & (memo_size - 1)];
        if (e.owner == id_ && e.status == status && e.method == method &&
            e.route_size == route.size() &&
            (route.empty() || std::memcmp(e.route, route.data(), route.size()) == 0))
            return *e.series;
        auto& s = lookup(req, status);
        e.owner = id_;
        e.series = &s;
        e.status = status;
        e.method = method;
        e.route_size = static_cast<std::uint8_t>(route.size());
        if (!route.empty())
            std::memcpy(e.route, route.data(), route.size());
        return s;
    }

    [[nodiscard]] histogram& lookup(http::request const& req, unsigned status) const {
        char code[10];
        auto const n =
            static_cast<std::size_t>(std::to_chars(code, code + sizeof code, status).ptr - code);
        std::string_view const code_text(code, n);
        std::array<std::string_view, 4> const values{http_method_label(req), req.route(), code_text,
                                                     status >= 500 ? code_text
                                                                   : std::string_view()};
        return durations_->with(values);
    }

    family<histogram>* durations_;
    std::uint64_t id_;
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
