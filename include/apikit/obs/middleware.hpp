#ifndef APIKIT_OBS_MIDDLEWARE_HPP
#define APIKIT_OBS_MIDDLEWARE_HPP

// The observability area's HTTP middleware: `http_metrics` (RED metrics,
// obs/http_metrics.hpp, included here so that both are found in one place)
// and `tracing`, which carries W3C Trace Context (obs/trace_context.hpp)
// through the server:
//
//     http::chain chain{obs::http_metrics{registry}, http::request_id{}, obs::tracing{},
//                       http::access_log{sink}, app};
//
// For every exchange, the server's own 400s, 408s and 431s included, its
// `on_begin` fills the request's `obs::request_trace` slot before any other
// layer's `on_request` runs:
//
//   exactly one valid `traceparent`   the caller's trace continues: same trace
//                                     id, the caller's span as the parent, its
//                                     sampled flag; `tracestate` is read (every
//                                     field, joined as one list)
//   none, an invalid one, or two      a new trace (new trace id, sampled), and
//                                     no `tracestate`: the spec forbids reading
//                                     it without a valid traceparent. Never a
//                                     failed request: tracing is advice.
//
// and a span id of the server's own, new for each request. It sets
// `trace_id` and `span_id` in the exchange's log context, so the access log
// line and every line logged for the request carry them. Its `on_response`
// gives every response `traceparent: 00-<trace id>-<server's span id>-<flags>`
// (the caller's span id is never echoed: the caller learns which span
// answered) and the `tracestate` when there is one. A response hook runs for
// the layers the request reached, so put `tracing` before any layer that may
// answer early (a rate limiter's 429, a guard's 401), as above: then every
// response carries a traceparent.
//
// What is propagated where:
//
//   HTTP responses    `traceparent` (and `tracestate`), by this middleware.
//   log lines         `trace_id` and `span_id` in `context`, from the log context.
//   events            `metadata.trace_id` and `metadata.traceparent`
//                     (`request_trace::traceparent()`, the server's span as
//                     parent), set by whoever publishes (the sample server);
//                     CloudEvents carry the same as the Distributed Tracing
//                     extension's `traceparent` attribute.
//   Redis             nothing: commands are RESP, which has no headers, and
//                     a Redis server keeps no trace. An event stored in a
//                     Redis Stream carries its traceparent in its metadata,
//                     so whoever consumes it continues the trace
//                     (`request_trace::continue_from`).
//   outgoing HTTP     `request_trace::traceparent()` (and `state.text()`) is
//                     what a handler sends on a call it makes.
//
// Cost, per request: one field lookup each for traceparent and tracestate,
// a 55-character parse, 24 random bytes from the per-thread pool, two log
// context members and one response field, none of which allocates once the
// connection's first request has grown its buffers; a tracestate, when one
// came, is copied into the slot's string (which keeps its capacity too).
// Hooks are const and keep no state: any number of workers run them at once.

#include <apikit/http/context.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/obs/http_metrics.hpp>
#include <apikit/obs/trace_context.hpp>

#include <iterator>
#include <utility>

namespace apikit::obs {

struct tracing_options {
    /// The sampled flag of a trace this server starts. Every request is in
    /// the logs with its trace id, so it is set by default; a caller's
    /// decision is kept as it came.
    bool sample_new_traces = true;
};

class tracing {
public:
    using provides = http::slots<request_trace>;

    explicit tracing(tracing_options o = {}) noexcept : options_(o) {}

    template <class Exchange>
    void on_begin(Exchange& ex) const {
        auto& t = http::slot<request_trace>(ex);
        auto const& msg = ex.request().message();
        auto const parents = msg.equal_range(traceparent_field);
        // Two traceparent fields cannot be one list: which one holds is
        // unknowable, so neither does (the W3C test suite's rule).
        bool continued = false;
        if (parents.first != parents.second && std::next(parents.first) == parents.second) {
            if (auto const caller = parse_traceparent(parents.first->value())) {
                t.continue_from(*caller);
                auto const states = msg.equal_range(tracestate_field);
                for (auto it = states.first; it != states.second; ++it)
                    t.state.append(it->value());
                continued = true;
            }
        }
        if (!continued)
            t.start(options_.sample_new_traces);
        auto& log = ex.log_context();
        // Constant keys and hex values: nothing to escape, nothing secret.
        static constexpr log_key trace_key{"trace_id"}, span_key{"span_id"};
        log.set(trace_key, log_value::plain(t.trace.hex().view()));
        log.set(span_key, log_value::plain(t.span.hex().view()));
    }

    template <class Exchange>
    void on_response(Exchange& ex) const {
        auto const& t = http::slot<request_trace>(std::as_const(ex));
        if (!t.valid())
            return; // a layer cleared it: there is no trace to name
        auto& res = ex.response();
        // A traceparent is `00-<hex>-<hex>-<hex>` under a token's name: no
        // field check to run. Set, not added: one a handler wrote is replaced.
        http::detail::response_access::set_checked(res, traceparent_field,
                                                   to_chars(t.context()).view());
        if (!t.state.empty())
            res.set(tracestate_field, t.state.text());
    }

    [[nodiscard]] tracing_options const& options() const noexcept { return options_; }

private:
    tracing_options options_;
};

static_assert(http::middleware<tracing, http::exchange_with<request_trace>>,
              "apikit::obs::tracing must model apikit::http::middleware");

} // namespace apikit::obs

#endif
