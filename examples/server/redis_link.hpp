#ifndef APIKIT_SERVER_REDIS_LINK_HPP
#define APIKIT_SERVER_REDIS_LINK_HPP

// apikit-server's link to Redis (--redis): one apikit::redis::cluster_client
// on a thread of its own, shared by every backend that keeps its state in
// Redis: the rate limiters' buckets, the refresh tokens' families and the
// events' stream. Each answer is handed back to the HTTP connection that
// asked, on its own executor.
//
// The URL may name a single Redis or any node of a Redis Cluster: the client
// asks the node which it is. A single Redis gets one connection; a cluster
// gets one connection per primary, each command sent to the primary
// that owns its key's slot (every backend's keys carry a hash tag, so one
// decision, one token family or the events' stream each live on one node).
//
// The first connection is waited for (at most its connect timeout; for a
// cluster, until its slot map is read and every primary has been tried), so
// that a server whose Redis is up limits its very first request. If Redis is
// down the server starts anyway (main() logs a warning with
// first_connect_error()), and the client keeps trying; meanwhile each
// backend follows its outage policy, as it does for the slots of a primary
// that cannot be reached.
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
#include <apikit/redis/cluster_client.hpp>
#include <apikit/redis/options.hpp>
#include <apikit/redis/url.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <string_view>
#include <thread>
#include <utility>

namespace sample {

class redis_link {
public:
    /// The one client every Redis backend of the server shares.
    using client_type = apikit::redis::cluster_client;

    /// Connects to `url` (already checked by parse_options) and waits until
    /// the client is ready, at most its connect timeout.
    explicit redis_link(std::string_view url)
        : options_(options_for(url))
        , client_(io_.get_executor(), options_) {
        thread_ = std::thread([this] { io_.run(); });
        std::promise<boost::system::error_code> connected;
        client_.async_connect(
            [&connected](boost::system::error_code ec) { connected.set_value(ec); });
        first_connect_error_ = connected.get_future().get();
    }

    redis_link(redis_link const&) = delete;
    redis_link& operator=(redis_link const&) = delete;

    /// Closes the client and joins its thread: after every backend that
    /// uses it is gone.
    ~redis_link() {
        client_.close();
        work_.reset();
        thread_.join();
    }

    [[nodiscard]] client_type& client() noexcept { return client_; }

    /// Where it connects (its password, if any, prints as `***`).
    [[nodiscard]] apikit::redis::endpoint const& server() const noexcept { return options_.server; }

    /// Why the first connection failed, or success; the client keeps trying
    /// either way.
    [[nodiscard]] boost::system::error_code first_connect_error() const noexcept {
        return first_connect_error_;
    }

    /// What the URL named: a single Redis or a cluster (`discovering` while
    /// the first connection has failed).
    [[nodiscard]] apikit::redis::cluster_mode mode() const noexcept { return client_.mode(); }

    /// The primaries that own slots in the cluster's map (a single Redis: 0).
    [[nodiscard]] std::uint64_t primaries() const noexcept {
        return client_.cluster_stats().primaries;
    }

    /// A rate limiter of `policy` whose buckets are in this Redis, shared by
    /// every instance that uses it.
    [[nodiscard]] apikit::ratelimit::any_limiter rate_limiter(apikit::ratelimit::policy policy) {
        namespace rl = apikit::ratelimit;
        // [redis-limiter]
        // Redis's own clock decides (time_source::server), so instances on
        // machines whose clocks disagree still enforce one limit; while Redis
        // cannot be reached, requests go through (fail open) and the access
        // log says why. On a cluster, a key's bucket is on the primary that
        // owns its slot, and that node's clock decides.
        rl::redis_store_options store;
        store.time = rl::time_source::server;
        store.on_outage = rl::outage_policy::fail_open;
        return rl::any_limiter(std::in_place_type<rl::limiter<rl::basic_redis_store<client_type>>>,
                               std::move(policy), apikit::steady_clock{}, client_, store);
        // [redis-limiter]
    }

    /// The refresh tokens' store in this Redis: every instance that uses it
    /// rotates the others' tokens, reuse detection included. While Redis
    /// cannot be reached, login, refresh and logout answer 503; access
    /// tokens still verify (they need no store).
    [[nodiscard]] any_refresh_store refresh_store() {
        return any_refresh_store(
            std::in_place_type<apikit::auth::basic_redis_refresh_store<client_type>>, client_);
    }

    /// The events' bus on this Redis: one stream (`apikit:events:{all}`,
    /// about 10 000 events kept, on one node of a cluster) that every
    /// instance using it publishes to and lists, so each lists the others'
    /// events. While Redis cannot be reached, publishing fails (the routes
    /// log and count it) and GET /events answers 503. Redis commands carry
    /// no trace context (RESP has no headers): an event carries its
    /// request's traceparent in its metadata instead.
    [[nodiscard]] apikit::events::any_bus event_bus() {
        return apikit::events::any_bus(
            std::in_place_type<apikit::events::basic_redis_bus<client_type>>, client_);
    }

private:
    static apikit::redis::connection_options options_for(std::string_view url) {
        apikit::redis::connection_options o;
        o.server = apikit::redis::parse_url(url).value();
        // A decision waits at most this long for Redis before the outage
        // policy answers (on a cluster, its redirections included): a slow
        // limiter must not become a slow API.
        o.command_timeout = std::chrono::milliseconds(250);
        return o;
    }

    apikit::redis::connection_options options_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    client_type client_;
    std::thread thread_;
    boost::system::error_code first_connect_error_;
};

} // namespace sample

#endif
