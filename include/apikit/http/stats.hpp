#ifndef APIKIT_HTTP_STATS_HPP
#define APIKIT_HTTP_STATS_HPP

// What an http::server tells of itself (`server::stats()`): plain figures
// per worker thread, for a monitoring layer to turn into metrics (the obs
// area's server_metrics.hpp reads them at every scrape). The HTTP layer
// knows no metrics library: it counts, and whoever reads decides.
//
// Each worker counts in cells only its own thread writes (a relaxed load
// and store, on cache lines of their own), so counting costs a request two
// increments and no shared write; a reader on any thread loads them
// relaxed. Figures read together are not one atomic snapshot: a request may
// be counted as started and not yet as completed.

#include <chrono>
#include <cstdint>
#include <vector>

namespace apikit::http {

/// One worker thread's figures since the server was constructed.
struct worker_stats {
    /// Connections this worker has taken on, and closed.
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_closed = 0;
    /// Connections dealt to this worker by the acceptor that it has not yet
    /// taken on: accepted work waiting for a busy thread (saturation).
    std::uint64_t connections_pending = 0;
    /// Connections refused: accept() failed on this worker's listening
    /// socket (out of descriptors or memory, so the kernel's queue waits),
    /// or a connection arrived after the shutdown began.
    std::uint64_t connections_refused = 0;
    /// Requests whose header was complete (or that the server answered
    /// itself), and requests whose response was serialized.
    std::uint64_t requests_started = 0;
    std::uint64_t requests_completed = 0;
    /// Responses the server made itself: 408 for a request too slow to
    /// arrive, and 400, 413, 431 for one that was malformed or too large.
    std::uint64_t request_timeouts = 0;
    std::uint64_t bad_requests = 0;
    /// Responses with a 5xx status, whoever set it.
    std::uint64_t server_errors = 0;
    /// Connections closed because a write failed or timed out.
    std::uint64_t write_failures = 0;
    /// CPU time of the worker's thread (CLOCK_THREAD_CPUTIME_ID): its busy
    /// time, read from the kernel, so the hot path pays nothing for it.
    std::chrono::nanoseconds busy{0};

    [[nodiscard]] std::uint64_t connections_open() const noexcept {
        return connections_opened >= connections_closed ? connections_opened - connections_closed
                                                        : 0;
    }
    /// Requests received and not yet answered, suspended ones included.
    [[nodiscard]] std::uint64_t requests_active() const noexcept {
        return requests_started >= requests_completed ? requests_started - requests_completed : 0;
    }
};

struct server_stats {
    std::vector<worker_stats> workers; // in the order of the worker threads

    /// The figures of every worker added up.
    [[nodiscard]] worker_stats total() const noexcept {
        worker_stats t;
        for (auto const& w : workers) {
            t.connections_opened += w.connections_opened;
            t.connections_closed += w.connections_closed;
            t.connections_pending += w.connections_pending;
            t.connections_refused += w.connections_refused;
            t.requests_started += w.requests_started;
            t.requests_completed += w.requests_completed;
            t.request_timeouts += w.request_timeouts;
            t.bad_requests += w.bad_requests;
            t.server_errors += w.server_errors;
            t.write_failures += w.write_failures;
            t.busy += w.busy;
        }
        return t;
    }
};

} // namespace apikit::http

#endif
