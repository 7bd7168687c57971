// apikit-server: the sample service, with in-memory storage; its rate
// limiter keeps its buckets in memory too, or in Redis with --redis.
//
//   apikit-server --address 127.0.0.1 --port 8080 --threads 4
//   apikit-server --rate-limit 100:10 --redis redis://127.0.0.1:6379
//
// Prints one JSON line when it listens (with the port, which matters with
// --port 0), then one access-log line per request; stops gracefully on
// SIGINT or SIGTERM and exits 0. A bad command line exits 2; a failure to
// listen exits 1.

#include "app.hpp"
#include "options.hpp"

#include <apikit/api/signed_cursor.hpp>
#include <apikit/core/random.hpp>
#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/http/options.hpp>
#include <apikit/ratelimit/limiter.hpp>
#if APIKIT_SERVER_REDIS
#include <apikit/ratelimit/redis_store.hpp>
#include <apikit/redis/connection.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <future>
#include <thread>
#endif

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// The key cursors are signed with: the flag's, else APIKIT_CURSOR_KEY's,
// else 32 fresh random bytes (cursors then die with the process).
boost::system::result<std::string, sample::usage_error>
cursor_secret(sample::server_options const& o) {
    if (!o.cursor_key.empty())
        return {boost::system::in_place_value, o.cursor_key};
    if (char const* env = std::getenv("APIKIT_CURSOR_KEY"); env && *env)
        return sample::decode_cursor_key(env, "APIKIT_CURSOR_KEY");
    std::string key(sample::min_cursor_key_bytes, '\0');
    apikit::random_bytes(key.data(), key.size());
    return {boost::system::in_place_value, std::move(key)};
}

// Serves until SIGINT or SIGTERM with the limiter given; every other part
// is the same whichever store the limiter keeps its buckets in.
template <class Limiter>
int serve(sample::server_options const& o, std::string secret, Limiter& limiter) {
    sample::memory_user_store<> store;
    apikit::api::signed_cursor const cursors(std::move(secret));
    // One writer for the access log and the server's own lines, so they
    // reach stdout in order and in batches.
    auto log =
        std::make_shared<apikit::log_writer<apikit::fd_sink>>(apikit::fd_sink{});

    sample::users_limit scope;
    if (o.rate_limit) {
        std::vector<std::string_view> entries(o.trusted_proxies.begin(), o.trusted_proxies.end());
        scope = sample::users_limit(apikit::ratelimit::trusted_proxies::parse(entries).value());
    }

    apikit::http::server_options http;
    http.address = o.address;
    http.port = o.port;
    http.threads = o.threads;
    auto server = sample::make_server(http, store, cursors, log, limiter, std::move(scope));
    if (auto started = server.start(); !started) {
        fmt::print(stderr, "apikit-server: cannot listen on {} port {}: {}\n", o.address, o.port,
                   started.error().message());
        return 1;
    }
    log->append(sample::listening_line(server.local_endpoint(), o.threads));
    log->flush(); // whoever started us is waiting for this line

    server.wait(); // until SIGINT or SIGTERM has drained every request
    log->append(sample::log_line("info", "stopped", ""));
    return 0; // the writer flushes what is left when it is destroyed
}

#if APIKIT_SERVER_REDIS
// The limiter's buckets in Redis, shared by every instance that uses it. The
// connection runs on a thread of its own; each decision's answer is handed
// back to the HTTP connection that asked. Redis's own clock decides
// (time_source::server), so instances on machines whose clocks disagree
// still enforce one limit; while Redis cannot be reached, requests go
// through (fail open) and the access log says why.
int serve_on_redis(sample::server_options const& o, std::string secret,
                   apikit::ratelimit::policy const& policy) {
    namespace rl = apikit::ratelimit;
    apikit::redis::connection_options redis;
    redis.server = apikit::redis::parse_url(o.redis_url).value();
    // A decision waits at most this long for Redis before the outage policy
    // answers: a slow limiter must not become a slow API.
    redis.command_timeout = std::chrono::milliseconds(250);

    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);
    apikit::redis::connection conn(io.get_executor(), redis);
    std::thread redis_thread([&io] { io.run(); });
    // The first connection is waited for (at most its connect timeout), so
    // that a server whose Redis is up limits its very first request. If it
    // is down the server starts anyway, failing open, and keeps trying.
    std::promise<boost::system::error_code> connected;
    conn.async_connect([&connected](boost::system::error_code ec) { connected.set_value(ec); });
    if (auto const ec = connected.get_future().get())
        fmt::print(stderr,
                   "apikit-server: Redis at {} is unreachable ({}); requests are let through "
                   "unlimited until it is back\n",
                   redis.server, ec.message());

    int rc = 1;
    {
        // [redis-limiter]
        rl::redis_store_options store;
        store.time = rl::time_source::server;
        store.on_outage = rl::outage_policy::fail_open;
        rl::limiter<rl::redis_store, std::chrono::system_clock> limiter(
            policy, std::chrono::system_clock{}, conn, store);
        // [redis-limiter]
        rc = serve(o, std::move(secret), limiter);
    }
    conn.close();
    work.reset();
    redis_thread.join();
    return rc;
}
#endif

int run(sample::server_options const& o) {
    auto secret = cursor_secret(o);
    if (!secret) {
        fmt::print(stderr, "apikit-server: {}\n", secret.error().message);
        return 2;
    }
    // With the limit off the limiter is never asked; it exists so that the
    // chain has one shape.
    auto const policy = sample::rate_limit_policy(o.rate_limit.value_or(sample::rate_limit_spec{}));
    if (o.redis_url.empty() || !o.rate_limit) {
        apikit::ratelimit::limiter<> limiter{policy};
        return serve(o, std::move(*secret), limiter);
    }
#if APIKIT_SERVER_REDIS
    return serve_on_redis(o, std::move(*secret), policy);
#else
    fmt::print(stderr, "apikit-server: --redis: this build has no Redis support (hiredis)\n");
    return 2;
#endif
}

} // namespace

int main(int argc, char** argv) {
    // A client or a log reader that goes away must not kill the server: a
    // write to a closed pipe is an error to handle, not a signal.
    std::signal(SIGPIPE, SIG_IGN);

    auto options = sample::parse_options(
        std::span<char const* const>(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0)));
    if (!options) {
        fmt::print(stderr, "apikit-server: {}\n\n{}", options.error().message, sample::usage_text);
        return 2;
    }
    if (options->help) {
        fmt::print("{}", sample::usage_text);
        return 0;
    }
    try {
        return run(*options);
    } catch (std::exception const& e) {
        fmt::print(stderr, "apikit-server: {}\n", e.what());
        return 1;
    }
}
