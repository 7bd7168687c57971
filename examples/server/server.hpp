#ifndef APIKIT_SERVER_SERVER_HPP
#define APIKIT_SERVER_SERVER_HPP

// The sample server, built from the parts it is made of (server_parts,
// read top to bottom in the order a request meets them). main.cpp and the
// integration tests build the very same server from here.
//
// Every backend is erased once, where it is plugged in: the rate limiter as
// an apikit::ratelimit::any_limiter (memory, Redis, or none at all), the
// users as an any_user_store (memory, or a database), the events as an
// events::any_bus (memory, or Redis Streams). So the chain below is one type
// whichever backends the command line chose, and an area that adds a
// backend adds one instantiation — its own — not a product of them. Only
// the clock of the rate limiter and the log's sink are template
// parameters: the tests drive the one and read the other.
//
// Every /users and /events route is rate limited per client (a token
// bucket, by default 100 tokens refilled 10 per second): its responses
// carry the limiter's headers, and a client over its limit gets a 429
// `rate_limited`. /healthz and /metrics are not limited, so a load
// balancer's probes and a Prometheus scraper never are.
//
// Observability (observability.hpp): every request gets a trace
// (obs::tracing, its traceparent on every response), one access-log line
// at the logger's level, and its duration in the RED histogram; the
// server's figures, the bus's and the log's are read at each scrape of
// GET /metrics.

#include "any_user_store.hpp"
#include "app.hpp"
#include "auth_service.hpp"
#include "events_routes.hpp"
#include "observability.hpp"
#include "options.hpp"
#include "user_store.hpp"

#include <apikit/api/signed_cursor.hpp>
#include <apikit/auth/middleware.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/events/any_bus.hpp>
#include <apikit/events/memory_bus.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/http/options.hpp>
#include <apikit/http/request_id.hpp>
#include <apikit/http/server.hpp>
#include <apikit/obs/access_log.hpp>
#include <apikit/obs/logger.hpp>
#include <apikit/obs/metrics.hpp>
#include <apikit/obs/middleware.hpp>
#include <apikit/obs/server_metrics.hpp>
#include <apikit/ratelimit/any_limiter.hpp>
#include <apikit/ratelimit/client_key.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/middleware.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace sample {

/// What the server is made of, in the order a request meets it. Every
/// member has a default but `log` and `cursor_key`.
template <class Clock = apikit::steady_clock, class Sink = apikit::fd_sink>
struct server_parts {
    /// Where it listens, on how many threads, with which timeouts.
    http::server_options http;
    /// Where the access log, the routes' lines and the server's own lines
    /// go: one writer, so that they reach the sink in order and in batches.
    std::shared_ptr<apikit::log_writer<Sink>> log;
    /// Who is asking: keys, tokens, refresh tokens, passwords, and which
    /// routes need which scope. Required.
    std::shared_ptr<auth_service> auth;
    /// The limit of every /users route, per user once signed in and per
    /// client address before, its store chosen at run time (memory or
    /// Redis); empty, nothing is limited (`--rate-limit off`).
    apikit::ratelimit::basic_any_limiter<Clock> rate_limit;
    /// The limit of POST /auth/login per client address, against guessing
    /// passwords: apart from the other one, so that browsing does not use up
    /// logins nor failed logins the browsing. Empty: not limited.
    apikit::ratelimit::basic_any_limiter<Clock> login_limit;
    /// Proxies whose X-Forwarded-For names the client the limit keys by.
    apikit::ratelimit::trusted_proxies trusted_proxies;
    /// The users and their orders: in this process's memory unless another
    /// store is plugged in.
    any_user_store users{std::in_place_type<memory_user_store<>>};
    /// The secret pagination cursors are signed with, at least 32 bytes.
    std::string cursor_key;
    /// The structured logger, over `log` (any other writer is refused): its
    /// minimum level is every line's, the access log's included. Empty: one
    /// at `info`.
    std::shared_ptr<obs::basic_logger<Sink>> logger{};
    /// false: the chain's observability layers do nothing (no trace, no
    /// RED series, no line of any request): `--observability off`.
    bool observability = true;
    /// Where events are published and listed from: in this process's
    /// memory unless another bus is plugged in (Redis Streams, --redis).
    apikit::events::any_bus events{std::in_place_type<apikit::events::memory_bus>};
    /// What GET /metrics shows; the server adds its own figures. Empty: a
    /// registry of the server's own.
    std::shared_ptr<obs::registry> metrics{};
};

/// The logger of a server whose log goes to `Sink`.
template <class Sink>
using logger_type = obs::basic_logger<Sink>;

/// Which requests the limiter sees: those of the /users and /events
/// routes, keyed by the signed-in user (`user:<sub>`), else by client
/// address (through X-Forwarded-For from trusted proxies only), cost 1.
class users_limit {
    using by_subject = apikit::ratelimit::by_subject<apikit::auth::principal,
                                                     apikit::ratelimit::by_client_address>;
    using under_path = apikit::ratelimit::under_path<by_subject>;

public:
    using needs = http::needs_of_t<by_subject>;

    explicit users_limit(by_subject classify)
        : users_("/users", classify)
        , events_("/events", std::move(classify)) {}

    template <class Exchange>
    requires apikit::ratelimit::request_classifier<under_path, Exchange>
    [[nodiscard]] std::optional<std::uint64_t> operator()(Exchange const& ex,
                                                          std::string& key) const {
        if (auto const cost = users_(ex, key))
            return cost;
        return events_(ex, key);
    }

private:
    under_path users_, events_;
};
/// Which requests the login limiter sees: POST /auth/login, by address.
using login_limit = apikit::ratelimit::under_path<apikit::ratelimit::by_client_address>;

// [chain]
/// Every request passes the request-id middleware (so every response and
/// error envelope carries an id), then tracing (the request's trace, in
/// every log line of it and on every response), then the access log (so a
/// 401 or a 429 is logged too), then the RED metrics (their hook sees every
/// response), then bearer authentication (who is asking: it never answers
/// by itself), then the rate limits (a user's own budget once signed in),
/// then the guard (401 or 403 by the route's scope), then the routes, which
/// read the trace from the exchange's slot. One type, whatever the
/// backends: each is erased where it is plugged in; the observability
/// layers are switchable (`--observability off`).
template <class Clock, class Sink>
using chain_type = http::chain<
    http::request_id, switchable<obs::tracing>, switchable<obs::access_log<Sink>>,
    switchable<obs::http_metrics>, apikit::auth::bearer<auth_service::verifier_type>,
    apikit::ratelimit::middleware<apikit::ratelimit::basic_any_limiter<Clock>, users_limit>,
    apikit::ratelimit::middleware<apikit::ratelimit::basic_any_limiter<Clock>, login_limit>,
    apikit::auth::guard, service_app>;
// [chain]

/// The chain over `parts`, its cursors signed by `cursors`: basic_server's,
/// and the request fuzz target's. It refers to both, which must outlive it.
/// It gives `parts` a logger and a metrics registry where they have none,
/// and registers the routes' own metrics in the registry.
template <class Clock, class Sink>
[[nodiscard]] chain_type<Clock, Sink> make_chain(server_parts<Clock, Sink>& parts,
                                                 api::signed_cursor const& cursors) {
    namespace rl = apikit::ratelimit;
    if (!parts.logger)
        parts.logger = std::make_shared<logger_type<Sink>>(parts.log);
    if (!parts.metrics)
        parts.metrics = std::make_shared<obs::registry>();
    auto& auth = *parts.auth;
    bool const on = parts.observability;
    app_services<logger_type<Sink>> const services{
        .log = on ? parts.logger.get() : nullptr,
        .events = &parts.events,
        .unpublished = &parts.metrics->add_counter(
            "apikit_events_unpublished_total",
            "Events the bus did not take; their requests succeeded (logged at error)."),
        .metrics = parts.metrics.get(),
    };
    rl::by_client_address const by_address(parts.trusted_proxies);
    return chain_type<Clock, Sink>(
        http::request_id{}, switchable<obs::tracing>(obs::tracing{}, on),
        switchable<obs::access_log<Sink>>(obs::access_log<Sink>(parts.logger), on),
        switchable<obs::http_metrics>(obs::http_metrics(*parts.metrics), on),
        apikit::auth::bearer<auth_service::verifier_type>(auth.verifier()),
        rl::middleware<rl::basic_any_limiter<Clock>, users_limit>(
            parts.rate_limit, users_limit(rl::by_subject<apikit::auth::principal>(by_address))),
        rl::middleware<rl::basic_any_limiter<Clock>, login_limit>(
            parts.login_limit, login_limit("/auth/login", by_address)),
        apikit::auth::guard(auth.rules()), make_app(parts.users, cursors, auth, services));
}

/// The login limit's policy: a burst of 10 attempts per client address,
/// then one every 6 seconds (10 a minute).
inline apikit::ratelimit::policy login_limit_policy() {
    namespace rl = apikit::ratelimit;
    return rl::policy{rl::limit{"login", 10, rl::per_minute(10)}};
}

/// The limit of `spec` as the limiter's policy: one bucket, "default".
inline apikit::ratelimit::policy rate_limit_policy(rate_limit_spec const& spec) {
    namespace rl = apikit::ratelimit;
    return rl::policy{rl::limit{"default", spec.capacity, rl::per_second(spec.refill_per_second)}};
}

/// The figures of the service's own parts, read at every scrape: the
/// event bus's and the log writer's (what the logs dropped).
template <class Writer>
void report_service_figures(obs::sample_writer& out, apikit::events::any_bus const& events,
                            Writer const& log) {
    auto const bus = events.stats();
    out.counter("apikit_events_published_total", "Events this process published.",
                static_cast<double>(bus.published));
    out.counter("apikit_events_delivered_total", "Events delivered to a subscriber.",
                static_cast<double>(bus.delivered));
    out.counter("apikit_events_dropped_total",
                "Events a subscriber never got (its buffer overflowed, or trimmed).",
                static_cast<double>(bus.dropped));
    out.counter("apikit_events_subscriber_failures_total", "Subscriber calls that threw.",
                static_cast<double>(bus.failed));
    out.gauge("apikit_events_queue_depth", "Events taken from the bus, waiting for a subscriber.",
              static_cast<double>(bus.queue_depth));
    out.counter("apikit_log_dropped_lines_total",
                "Log lines dropped because the log's sink fell behind.",
                static_cast<double>(log.dropped_lines()));
    out.counter("apikit_log_dropped_bytes_total",
                "Bytes of log lines dropped because the log's sink fell behind.",
                static_cast<double>(log.dropped_bytes()));
}

/// The service's server: it owns its parts and runs the chain over them.
/// Not movable (the chain refers to its parts).
template <class Clock = apikit::steady_clock, class Sink = apikit::fd_sink>
class basic_server {
    static_assert(apikit::log_sink<Sink>,
                  "sample::basic_server's Sink must model apikit::log_sink");

public:
    using parts_type = server_parts<Clock, Sink>;
    using logger_type = sample::logger_type<Sink>;

    /// Throws std::invalid_argument without a log or an auth_service, with a
    /// logger that writes elsewhere than `log`, with a cursor key shorter
    /// than 32 bytes, and for options no server can run with.
    explicit basic_server(parts_type parts)
        : parts_(checked(std::move(parts)))
        , cursors_(std::move(parts_.cursor_key))
        , http_(parts_.http, make_chain(parts_, cursors_))
        , server_figures_(obs::add_server_metrics(*parts_.metrics, http_))
        , figures_(parts_.metrics->add_collector([this](obs::sample_writer& out) {
            report_service_figures(out, parts_.events, *parts_.log);
        })) {}

    basic_server(basic_server const&) = delete;
    basic_server& operator=(basic_server const&) = delete;

    ~basic_server() {
        parts_.metrics->remove_collector(figures_);
        parts_.metrics->remove_collector(server_figures_);
    }

    /// Binds and listens; the error says why it cannot.
    [[nodiscard]] apikit::result<void> start() { return http_.start(); }
    /// Blocks until a graceful shutdown (stop(), SIGINT, SIGTERM) is over.
    void wait() { http_.wait(); }
    /// Begins a graceful shutdown, from any thread.
    void stop() noexcept { http_.stop(); }

    [[nodiscard]] std::uint16_t port() const { return http_.port(); }
    [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const {
        return http_.local_endpoint();
    }
    /// The parts, to reach a backend (`parts().users.target<S>()`); not to
    /// replace one while the server runs.
    [[nodiscard]] parts_type& parts() noexcept { return parts_; }
    /// The logger every line of the server goes through (its level may be
    /// changed while the server runs).
    [[nodiscard]] logger_type& logger() const noexcept { return *parts_.logger; }
    /// The metrics GET /metrics shows.
    [[nodiscard]] obs::registry& metrics() noexcept { return *parts_.metrics; }
    /// The HTTP server, for its figures.
    [[nodiscard]] http::server<chain_type<Clock, Sink>> const& http_server() const noexcept {
        return http_;
    }

private:
    static parts_type checked(parts_type parts) {
        if (!parts.log)
            throw std::invalid_argument("sample::basic_server: no log");
        if (!parts.auth)
            throw std::invalid_argument("sample::basic_server: no auth_service");
        if (parts.logger && &parts.logger->writer() != parts.log.get())
            throw std::invalid_argument(
                "sample::basic_server: the logger must write through the parts' log");
        return parts;
    }

    parts_type parts_; // first: the chain refers to it
    api::signed_cursor cursors_;
    http::server<chain_type<Clock, Sink>> http_;
    obs::collector_id server_figures_; // the server's USE metrics
    obs::collector_id figures_;        // the bus's and the log's
};

/// The server apikit-server runs.
using server = basic_server<>;

/// Logs the line that says the server is up, with what a script needs to
/// reach it: `"context":{"address":"127.0.0.1","port":8080,"threads":1}`.
template <class Logger>
void log_listening(Logger const& log, boost::asio::ip::tcp::endpoint const& ep, unsigned threads) {
    auto const address = ep.address().to_string();
    log.info("listening", {{"address", address}, {"port", ep.port()}, {"threads", threads}});
}

} // namespace sample

#endif
