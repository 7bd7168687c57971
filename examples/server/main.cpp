// apikit-server: the sample service (README.md in this directory is its
// reference), with in-memory storage; its rate limiters keep their buckets,
// its refresh tokens their families and its events their log in memory too,
// or in Redis with --redis.
//
//   apikit-server --address 127.0.0.1 --port 8080 --threads 4
//   apikit-server --rate-limit 100:10 --redis redis://127.0.0.1:6379
//   apikit-server --redis redis://127.0.0.1:7000   # any node of a Redis Cluster
//   apikit-server --jwt-key signing.pem --admin-email ada@example.com
//
// Standard output holds JSON lines only, so that `apikit-server | jq` reads
// all of it: the server's own lines through the structured logger (the
// Redis it found, a single one or a cluster, or a warning that it is
// unreachable; "listening" with the port, which matters with --port 0;
// "stopped"), one access-log line per request, and the routes' lines
// ("Order placed"), all at or above --log-level. It stops gracefully on
// SIGINT or SIGTERM and exits 0.
//
// Two things are plain text instead, because they are for the person at
// the terminal and come before anything runs: --help (on stdout, exit 0),
// and a refused command line or APIKIT_CURSOR_KEY (the reason and the
// usage on stderr, exit 2), as is a --jwt-key file that holds no usable
// private key. A server that cannot start — an address it cannot listen
// on — logs an "error" line and exits 1.

#include "any_refresh_store.hpp"
#include "auth_service.hpp"
#include "options.hpp"
#include "server.hpp"
#if APIKIT_SERVER_REDIS
#include "redis_link.hpp"
#endif

#include <apikit/auth/key.hpp>
#include <apikit/auth/memory_refresh_store.hpp>
#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/core/random.hpp>
#include <apikit/obs/logger.hpp>
#include <apikit/obs/metrics.hpp>
#if APIKIT_SERVER_REDIS
#include <apikit/obs/redis_metrics.hpp>
#endif
#include <apikit/ratelimit/any_limiter.hpp>
#include <apikit/ratelimit/limiter.hpp>

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace rl = apikit::ratelimit;

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

// The key access tokens are signed with: --jwt-key's, whose type says its
// algorithm, else a fresh RS256 key.
boost::system::result<apikit::auth::key, sample::usage_error>
signing_key(sample::server_options const& o) {
    namespace auth = apikit::auth;
    if (o.jwt_key_file.empty()) {
        auto k = auth::key::generate(auth::algorithm::rs256);
        if (!k)
            return sample::usage_error{"cannot generate a signing key: " + k.error().message()};
        return {boost::system::in_place_value, std::move(*k)};
    }
    std::ifstream in(o.jwt_key_file, std::ios::binary);
    std::string const pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        return sample::usage_error{"--jwt-key: cannot read " + o.jwt_key_file};
    for (auto alg : {auth::algorithm::rs256, auth::algorithm::es256, auth::algorithm::eddsa})
        if (auto k = auth::key::from_pem(alg, pem); k && k->can_sign())
            return {boost::system::in_place_value, std::move(*k)};
    return sample::usage_error{"--jwt-key: " + o.jwt_key_file +
                               " holds no private key this server signs with (RSA of 2048 bits "
                               "or more, P-256, or Ed25519, in PEM)"};
}

int run(sample::server_options const& o) {
    auto secret = cursor_secret(o);
    if (!secret) { // for the person at the terminal: text, before anything is logged
        fmt::print(stderr, "apikit-server: {}\n", secret.error().message);
        return 2;
    }
    auto key = signing_key(o);
    if (!key) {
        fmt::print(stderr, "apikit-server: {}\n", key.error().message);
        return 2;
    }

    // From here on, every line is a JSON log line on stdout.
    // [parts]
    sample::server::parts_type parts;
    parts.http.address = o.address;
    parts.http.port = o.port;
    parts.http.threads = o.threads;
    parts.log = std::make_shared<apikit::log_writer<apikit::fd_sink>>(apikit::fd_sink{});
    // One logger over the one writer: the access log, the routes and the
    // server's own lines all keep its minimum level.
    parts.logger = std::make_shared<apikit::obs::logger>(parts.log, o.log_level);
    parts.observability = o.observability;
    parts.metrics = std::make_shared<apikit::obs::registry>();
    std::vector<std::string_view> proxies(o.trusted_proxies.begin(), o.trusted_proxies.end());
    parts.trusted_proxies = rl::trusted_proxies::parse(proxies).value();
    parts.cursor_key = std::move(*secret);
    // parts.users, parts.events: in memory, the defaults.
    // [parts]
    auto const log = parts.logger;

#if APIKIT_SERVER_REDIS
    std::optional<sample::redis_link> redis; // outlives the server, which uses it
    if (!o.redis_url.empty()) {
        auto& link = redis.emplace(o.redis_url);
        auto const where = fmt::format("{}", link.server());
        if (auto const ec = link.first_connect_error()) {
            log->warn("Redis is unreachable: requests are let through unlimited, and sign-ins "
                      "and events fail, until it is back",
                      {{"redis", where}, {"error", ec.message()}});
        } else if (link.mode() == apikit::redis::cluster_mode::cluster) {
            log->info("connected to Redis",
                      {{"redis", where}, {"mode", "cluster"}, {"primaries", link.primaries()}});
        } else {
            log->info("connected to Redis", {{"redis", where}, {"mode", "single"}});
        }
        // The events go to a Redis Stream every instance on this Redis
        // shares: GET /events on any of them lists all of theirs.
        parts.events = link.event_bus();
        // The client's USE metrics (in flight, errors, reconnects), summed
        // over a cluster's nodes. The registry goes with the server, before
        // the link.
        (void)apikit::obs::add_redis_metrics(*parts.metrics, link.client());
    }
#endif
    // [auth]
    std::string const kid(key->kid());
    sample::auth_settings auth_settings;
    auth_settings.admin_email = o.admin_email;
    auto refresh_store =
#if APIKIT_SERVER_REDIS
        redis ? redis->refresh_store() :
#endif
              sample::any_refresh_store(std::in_place_type<apikit::auth::memory_refresh_store>);
    parts.auth = std::make_shared<sample::auth_service>(std::move(*key), std::move(refresh_store),
                                                        std::move(auth_settings));
    // [auth]
    log->info(o.jwt_key_file.empty() ? "signing access tokens with a key made at start"
                                     : "signing access tokens with the key of --jwt-key",
              {{"kid", kid}, {"alg", apikit::auth::name(parts.auth->keys().signing_key()->alg())}});

    auto limiter = [&](rl::policy policy) {
#if APIKIT_SERVER_REDIS
        if (redis)
            return redis->rate_limiter(std::move(policy));
#endif
        return rl::any_limiter(std::in_place_type<rl::limiter<>>, std::move(policy));
    };
    if (o.rate_limit) // else no limiter at all: nothing is limited
        parts.rate_limit = limiter(sample::rate_limit_policy(*o.rate_limit));
    parts.login_limit = limiter(sample::login_limit_policy());

    sample::server server(std::move(parts));
    if (auto started = server.start(); !started) {
        log->error(
            "cannot listen",
            {{"address", o.address}, {"port", o.port}, {"error", started.error().message()}});
        return 1;
    }
    sample::log_listening(*log, server.local_endpoint(), o.threads);
    log->writer().flush(); // whoever started us is waiting for this line

    server.wait(); // until SIGINT or SIGTERM has drained every request
    log->info("stopped");
    return 0; // the writer flushes what is left when it is destroyed
}

} // namespace

int main(int argc, char** argv) {
    // A client or a log reader that goes away must not kill the server: a
    // write to a closed pipe is an error to handle, not a signal.
    std::signal(SIGPIPE, SIG_IGN);

    // What is for the person at the terminal, before anything is logged.
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
#if !APIKIT_SERVER_REDIS
    if (!options->redis_url.empty()) {
        fmt::print(stderr, "apikit-server: --redis: this build has no Redis support (it needs "
                           "hiredis when built)\n");
        return 2;
    }
#endif
    try {
        return run(*options);
    } catch (std::exception const& e) {
        // The server's log writer flushed what it held when it was
        // destroyed; this line comes after it, on stdout too, through a
        // writer of its own (a fatal line is flushed before log() returns).
        apikit::obs::logger(
            std::make_shared<apikit::log_writer<apikit::fd_sink>>(apikit::fd_sink{}),
            options->log_level)
            .fatal("stopped on an error", {{"error", e.what()}});
        return 1;
    }
}
