#ifndef APIKIT_OBS_SERVER_METRICS_HPP
#define APIKIT_OBS_SERVER_METRICS_HPP

// USE metrics of the HTTP server — Utilization, Saturation and Errors of
// its two resources, the worker threads and the connections — read from
// `http::server::stats()` at every scrape by a registry collector:
//
//   apikit_http_worker_threads                      gauge    worker threads
//   apikit_http_worker_busy_seconds_total{worker}   counter  each worker thread's CPU
//                                                            time: rate() is its
//                                                            utilization (1 = always busy)
//   http_server_active_requests                     gauge    requests received, not yet
//                                                            answered (OpenTelemetry's
//                                                            http.server.active_requests)
//   apikit_http_server_connections_pending          gauge    connections accepted and dealt
//                                                            to a worker that has not yet
//                                                            taken them on: saturation
//   apikit_http_server_errors_total{error_type}     counter  request_timeout (the server's
//                                                            408s), bad_request (its 400,
//                                                            413, 431), server_error (any
//                                                            5xx), write_failure (a
//                                                            connection whose write failed
//                                                            or timed out)
//   apikit_http_server_connections_open             gauge    connections open now
//   apikit_http_server_connections_accepted_total   counter  connections taken on
//   apikit_http_server_connections_refused_total    counter  accept() failures (out of
//                                                            descriptors) and connections
//                                                            that came during shutdown
//
// The server counts in per-worker cells and the busy time is the kernel's
// per-thread CPU clock, so none of this costs a request anything beyond
// two increments its worker makes anyway; a scrape reads them all.
//
// The server must outlive the collector: remove it (registry::remove_collector
// with the id returned) before destroying the server, or destroy the
// registry first.

#include <apikit/http/stats.hpp>
#include <apikit/obs/metrics.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace apikit::obs {

/// Reports `server.stats()` as the metrics above, at every scrape of `reg`.
/// `Server` is an http::server (anything with `stats()` giving
/// http::server_stats).
template <class Server>
collector_id add_server_metrics(registry& reg, Server const& server) {
    return reg.add_collector([&server](sample_writer& w) {
        http::server_stats const s = server.stats();
        auto const t = s.total();
        w.gauge("apikit_http_worker_threads", "Worker threads of the HTTP server.",
                static_cast<double>(s.workers.size()));
        for (std::size_t i = 0; i < s.workers.size(); ++i) {
            auto const id = std::to_string(i);
            w.counter("apikit_http_worker_busy_seconds_total",
                      "CPU time of each HTTP worker thread; its rate is the thread's utilization.",
                      std::chrono::duration<double>(s.workers[i].busy).count(), {{"worker", id}});
        }
        w.gauge("http_server_active_requests", "Requests received and not yet answered.",
                static_cast<double>(t.requests_active()));
        w.gauge("apikit_http_server_connections_pending",
                "Connections accepted and dealt to a worker that has not yet taken them on.",
                static_cast<double>(t.connections_pending));
        constexpr auto errors_help = "Errors of the HTTP server, by type.";
        w.counter("apikit_http_server_errors_total", errors_help,
                  static_cast<double>(t.request_timeouts), {{"error_type", "request_timeout"}});
        w.counter("apikit_http_server_errors_total", errors_help,
                  static_cast<double>(t.bad_requests), {{"error_type", "bad_request"}});
        w.counter("apikit_http_server_errors_total", errors_help,
                  static_cast<double>(t.server_errors), {{"error_type", "server_error"}});
        w.counter("apikit_http_server_errors_total", errors_help,
                  static_cast<double>(t.write_failures), {{"error_type", "write_failure"}});
        w.gauge("apikit_http_server_connections_open", "Connections open now.",
                static_cast<double>(t.connections_open()));
        w.counter("apikit_http_server_connections_accepted_total",
                  "Connections the server has taken on.",
                  static_cast<double>(t.connections_opened));
        w.counter("apikit_http_server_connections_refused_total",
                  "Connections refused: accept failures and connections during shutdown.",
                  static_cast<double>(t.connections_refused));
    });
}

} // namespace apikit::obs

#endif
