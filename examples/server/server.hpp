#ifndef APIKIT_SERVER_SERVER_HPP
#define APIKIT_SERVER_SERVER_HPP

// The sample server, built from the parts it is made of (server_parts,
// read top to bottom in the order a request meets them). main.cpp and the
// integration tests build the very same server from here.
//
// Every backend is erased once, where it is plugged in: the rate limiter as
// an apikit::ratelimit::any_limiter (memory, Redis, or none at all), the
// users as an any_user_store (memory, or a database). So the chain below is
// one type whichever backends the command line chose, and an area that
// adds a backend adds one instantiation — its own — not a product of them.
// Only the clock of the rate limiter and the log's sink are template
// parameters: the tests drive the one and read the other.
//
// Every /users route is rate limited per client (a token bucket, by default
// 100 tokens refilled 10 per second): its responses carry the limiter's
// headers, and a client over its limit gets a 429 `rate_limited`. /healthz
// is not limited, so a load balancer's probes never are.

#include "any_user_store.hpp"
#include "app.hpp"
#include "auth_service.hpp"
#include "options.hpp"
#include "user_store.hpp"

#include <apikit/api/signed_cursor.hpp>
#include <apikit/auth/middleware.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/core/timestamp.hpp>
#include <apikit/http/access_log.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/http/options.hpp>
#include <apikit/http/request_id.hpp>
#include <apikit/http/server.hpp>
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
    /// Where the access log and the server's own lines go: one writer, so
    /// that they reach the sink in order and in batches.
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
};

/// Which requests the limiter sees: those of the /users routes, keyed by
/// the signed-in user (`user:<sub>`), else by client address (through
/// X-Forwarded-For from trusted proxies only), cost 1.
using users_limit = apikit::ratelimit::under_path<
    apikit::ratelimit::by_subject<apikit::auth::principal, apikit::ratelimit::by_client_address>>;
/// Which requests the login limiter sees: POST /auth/login, by address.
using login_limit = apikit::ratelimit::under_path<apikit::ratelimit::by_client_address>;

// [chain]
/// Every request passes the request-id middleware (so every response and
/// error envelope carries an id), then the access log (so a 401 or a 429 is
/// logged too), then bearer authentication (who is asking: it never answers
/// by itself), then the rate limits (a user's own budget once signed in),
/// then the guard (401 or 403 by the route's scope), then the routes. One
/// type, whatever the backends: each is erased where it is plugged in.
template <class Clock, class Sink>
using chain_type = http::chain<
    http::request_id, http::access_log<Sink>, apikit::auth::bearer<auth_service::verifier_type>,
    apikit::ratelimit::middleware<apikit::ratelimit::basic_any_limiter<Clock>, users_limit>,
    apikit::ratelimit::middleware<apikit::ratelimit::basic_any_limiter<Clock>, login_limit>,
    apikit::auth::guard, http::app>;
// [chain]

/// The chain over `parts`, its cursors signed by `cursors`: basic_server's,
/// and the request fuzz target's. It refers to both, which must outlive it.
template <class Clock, class Sink>
[[nodiscard]] chain_type<Clock, Sink> make_chain(server_parts<Clock, Sink>& parts,
                                                 api::signed_cursor const& cursors) {
    namespace rl = apikit::ratelimit;
    auto& auth = *parts.auth;
    rl::by_client_address const by_address(parts.trusted_proxies);
    return chain_type<Clock, Sink>(
        http::request_id{}, http::access_log<Sink>(parts.log),
        apikit::auth::bearer<auth_service::verifier_type>(auth.verifier()),
        rl::middleware<rl::basic_any_limiter<Clock>, users_limit>(
            parts.rate_limit,
            users_limit("/users", rl::by_subject<apikit::auth::principal>(by_address))),
        rl::middleware<rl::basic_any_limiter<Clock>, login_limit>(
            parts.login_limit, login_limit("/auth/login", by_address)),
        apikit::auth::guard(auth.rules()), make_app(parts.users, cursors, auth));
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

/// The service's server: it owns its parts and runs the chain over them.
/// Not movable (the chain refers to its parts).
template <class Clock = apikit::steady_clock, class Sink = apikit::fd_sink>
class basic_server {
    static_assert(apikit::log_sink<Sink>,
                  "sample::basic_server's Sink must model apikit::log_sink");

public:
    using parts_type = server_parts<Clock, Sink>;

    /// Throws std::invalid_argument without a log or an auth_service, with a cursor key
    /// shorter than 32 bytes, and for options no server can run with.
    explicit basic_server(parts_type parts)
        : parts_(checked(std::move(parts)))
        , cursors_(std::move(parts_.cursor_key))
        , http_(parts_.http, make_chain(parts_, cursors_)) {}

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

private:
    static parts_type checked(parts_type parts) {
        if (!parts.log)
            throw std::invalid_argument("sample::basic_server: no log");
        if (!parts.auth)
            throw std::invalid_argument("sample::basic_server: no auth_service");
        return parts;
    }

    parts_type parts_; // first: the chain refers to it
    api::signed_cursor cursors_;
    http::server<chain_type<Clock, Sink>> http_;
};

/// The server apikit-server runs.
using server = basic_server<>;

/// A structured log line of the service's own (not a request's), in the
/// access log's shape: `{"timestamp","level","message","context":{…}}`.
/// `context_members` is the inside of the context object, already JSON.
inline std::string log_line(std::string_view level, std::string_view message,
                            std::string_view context_members) {
    std::string line = R"({"timestamp":")";
    apikit::append_rfc3339_ms(line, std::chrono::system_clock::now());
    line.append(R"(","level":)");
    apikit::append_json_string(line, level);
    line.append(R"(,"message":)");
    apikit::append_json_string(line, message);
    line.append(R"(,"context":{)");
    line.append(context_members);
    line.append("}}\n");
    return line;
}

/// The line that says the server is up, with what a script needs to reach
/// it: `"context":{"address":"127.0.0.1","port":8080,"threads":1}`.
inline std::string listening_line(boost::asio::ip::tcp::endpoint const& ep, unsigned threads) {
    std::string context = R"("address":)";
    apikit::append_json_string(context, ep.address().to_string());
    context.append(R"(,"port":)");
    context.append(std::to_string(ep.port()));
    context.append(R"(,"threads":)");
    context.append(std::to_string(threads));
    return log_line("info", "listening", context);
}

} // namespace sample

#endif
