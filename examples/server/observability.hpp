#ifndef APIKIT_SERVER_OBSERVABILITY_HPP
#define APIKIT_SERVER_OBSERVABILITY_HPP

// How the sample service is observed: the exchange its routes see, and the
// chain's observability layers as it runs them.
//
// The routes run on the chain's exchange, `service_exchange`, which carries
// the slots its middleware fill: the request's trace (obs::tracing) and who
// is asking (auth::bearer). A route that needs the trace (to put it in an
// event's metadata) reads `http::slot<obs::request_trace>(ex)`; nothing is
// copied into request fields.
//
// One logging path. The logger, the access log and the server's own lines
// write through one log_writer (server_parts::log), and the logger's minimum
// level (--log-level) decides for all of them: obs::access_log writes a
// response's line only when the logger would write a line of its level
// (info, error for a 5xx).
//
// `--observability off` turns the chain's observability layers into no-ops
// (`switchable`): no trace context, no RED series, no line of any request.
// It exists so the benchmark can measure what they cost in the same run; a
// production server keeps them on.
//
// Threads: the layers' hooks are const and read only what was set at
// construction (and the logger's atomic level): any number of workers run
// them at once.

#include <apikit/auth/middleware.hpp>
#include <apikit/http/app.hpp>
#include <apikit/http/context.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/obs/level.hpp>
#include <apikit/obs/metrics.hpp>
#include <apikit/obs/middleware.hpp>
#include <apikit/obs/trace_context.hpp>

#include <memory>
#include <utility>

namespace sample {

namespace http = apikit::http;
namespace obs = apikit::obs;

/// The exchange of the service's chain: the trace, then who is asking.
using service_exchange = http::exchange_with<obs::request_trace, apikit::auth::principal>;
/// The service's routes, over that exchange.
using service_app = http::basic_app<service_exchange>;

/// `M`, or nothing at all when built off: every hook `M` has, forwarded
/// only when on. It provides and needs what `M` does, so the chain's slots
/// are the same either way.
template <class M>
class switchable {
public:
    using provides = http::provides_of_t<M>;
    using needs = http::needs_of_t<M>;

    explicit switchable(M layer, bool on = true) : layer_(std::move(layer)), on_(on) {}

    template <class Exchange>
    requires http::begin_hook<M, Exchange>
    void on_begin(Exchange& ex) const {
        if (on_)
            layer_.on_begin(ex);
    }
    template <class Exchange>
    requires http::request_hook<M, Exchange>
    [[nodiscard]] http::flow on_request(Exchange& ex) const {
        return on_ ? layer_.on_request(ex) : http::flow::next;
    }
    template <class Exchange>
    requires http::response_hook<M, Exchange>
    void on_response(Exchange& ex) const {
        if (on_)
            layer_.on_response(ex);
    }

    [[nodiscard]] bool on() const noexcept { return on_; }
    [[nodiscard]] M const& layer() const noexcept { return layer_; }

private:
    M layer_;
    bool on_;
};

} // namespace sample

#endif
