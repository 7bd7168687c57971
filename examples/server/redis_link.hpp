#ifndef APIKIT_SERVER_REDIS_LINK_HPP
#define APIKIT_SERVER_REDIS_LINK_HPP

// apikit-server's connection to Redis (--redis): one apikit::redis::connection
// on a thread of its own, shared by every backend that keeps its state in
// Redis: the rate limiters' buckets, the refresh tokens' families and the
// events' stream. Each answer is handed back to the HTTP connection that
// asked, on its own executor.
//
// The first connection is waited for (at most its connect timeout), so that
// a server whose Redis is up limits its very first request. If Redis is
// down the server starts anyway (main() logs a warning with
// first_connect_error()), and the connection keeps trying; meanwhile each
// backend follows its outage policy.
//
// Built only with hiredis (APIKIT_SERVER_REDIS).

#include "any_refresh_store.hpp"

#include <apikit/auth/redis_refresh_store.hpp>
#include <apikit/events/any_bus.hpp>
#include <apikit/events/redis_bus.hpp>
#include <apikit/ratelimit/any_limiter.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/redis_store.hpp>
#include <apikit/redis/connection.hpp>
#include <apikit/redis/url.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <future>
#include <string_view>
#include <thread>
#include <utility>

namespace sample {

class redis_link {
public:
    /// Connects to `url` (already checked by parse_options) and waits for
    /// the first connection, at most its connect timeout.
    explicit redis_link(std::string_view url)
        : options_(options_for(url))
        , conn_(io_.get_executor(), options_) {
        thread_ = std::thread([this] { io_.run(); });
        std::promise<boost::system::error_code> connected;
        conn_.async_connect(
            [&connected](boost::system::error_code ec) { connected.set_value(ec); });
        first_connect_error_ = connected.get_future().get();
    }

    redis_link(redis_link const&) = delete;
    redis_link& operator=(redis_link const&) = delete;

    /// Closes the connection and joins its thread: after every backend that
    /// uses it is gone.
    ~redis_link() {
        conn_.close();
        work_.reset();
        thread_.join();
    }

    [[nodiscard]] apikit::redis::connection& connection() noexcept { return conn_; }

    /// Where it connects (its password, if any, prints as `***`).
    [[nodiscard]] apikit::redis::endpoint const& server() const noexcept { return options_.server; }

    /// Why the first connection failed, or success; the connection keeps
    /// trying either way.
    [[nodiscard]] boost::system::error_code first_connect_error() const noexcept {
        return first_connect_error_;
    }

    /// A rate limiter of `policy` whose buckets are in this Redis, shared by
    /// every instance that uses it.
    [[nodiscard]] apikit::ratelimit::any_limiter rate_limiter(apikit::ratelimit::policy policy) {
        namespace rl = apikit::ratelimit;
        // [redis-limiter]
        // Redis's own clock decides (time_source::server), so instances on
        // machines whose clocks disagree still enforce one limit; while Redis
        // cannot be reached, requests go through (fail open) and the access
        // log says why.
        rl::redis_store_options store;
        store.time = rl::time_source::server;
        store.on_outage = rl::outage_policy::fail_open;
        return rl::any_limiter(std::in_place_type<rl::limiter<rl::redis_store>>, std::move(policy),
                               apikit::steady_clock{}, conn_, store);
        // [redis-limiter]
    }

    /// The refresh tokens' store in this Redis: every instance that uses it
    /// rotates the others' tokens, reuse detection included. While Redis
    /// cannot be reached, login, refresh and logout answer 503; access
    /// tokens still verify (they need no store).
    [[nodiscard]] any_refresh_store refresh_store() {
        return any_refresh_store(std::in_place_type<apikit::auth::redis_refresh_store>, conn_);
    }

    /// The events' bus on this Redis: one stream (`apikit:events:{all}`,
    /// about 10 000 events kept) that every instance using it publishes to
    /// and lists, so each lists the others' events. While Redis cannot be
    /// reached, publishing fails (the routes log and count it) and GET
    /// /events answers 503. Redis commands carry no trace context (RESP has
    /// no headers): an event carries its request's traceparent in its
    /// metadata instead.
    [[nodiscard]] apikit::events::any_bus event_bus() {
        return apikit::events::any_bus(std::in_place_type<apikit::events::redis_bus>, conn_);
    }

private:
    static apikit::redis::connection_options options_for(std::string_view url) {
        apikit::redis::connection_options o;
        o.server = apikit::redis::parse_url(url).value();
        // A decision waits at most this long for Redis before the outage
        // policy answers: a slow limiter must not become a slow API.
        o.command_timeout = std::chrono::milliseconds(250);
        return o;
    }

    apikit::redis::connection_options options_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    apikit::redis::connection conn_;
    std::thread thread_;
    boost::system::error_code first_connect_error_;
};

} // namespace sample

#endif
