#ifndef APIKIT_REDIS_CLUSTER_OPTIONS_HPP
#define APIKIT_REDIS_CLUSTER_OPTIONS_HPP

// How a redis::cluster_client behaves. Every node's connection is made with
// `node` (the timeouts, the credentials, the backoff, the queue bounds), its
// server replaced by the node's address; `node.server` itself is the seed,
// the one node the client is told of (the `--redis` URL), which may be any
// node of the cluster, or a Redis that is not in a cluster at all.

#include <apikit/redis/options.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

namespace apikit::redis {

struct cluster_options {
    /// The seed's address and the settings of every node's connection.
    connection_options node;
    /// The slot map is asked for again this often, whatever happens, so that
    /// a topology change that sends no redirection (a new replica, a node
    /// that came back) is seen.
    std::chrono::nanoseconds refresh_interval = std::chrono::seconds(10);
    /// A redirection or a node that does not answer asks for the map at
    /// once, but not more often than this: a thousand MOVED replies in one
    /// burst cost one CLUSTER SHARDS.
    std::chrono::nanoseconds min_refresh_interval = std::chrono::milliseconds(100);
    /// MOVED and ASK followed for one command before its last redirection is
    /// its reply (a cluster that redirects in a loop is misconfigured).
    unsigned max_redirects = 16;
    /// TRYAGAIN (a multi-key command during a slot's migration) and
    /// CLUSTERDOWN (a failover in progress) are retried after this backoff,
    /// for as long as the command's timeout allows; then the error reply is
    /// the command's reply.
    backoff retry{.initial = std::chrono::milliseconds(10),
                  .max = std::chrono::milliseconds(200),
                  .multiplier = 2.0,
                  .jitter = 0.5};

    cluster_options() = default;
    /// The options of a seed, the rest by default: what `--redis URL` makes.
    cluster_options(connection_options seed) : node(std::move(seed)) {}

    /// Throws std::invalid_argument when the options make no sense.
    void validate() const {
        node.validate();
        auto fail = [](char const* what) {
            throw std::invalid_argument(std::string("apikit::redis::cluster_options: ") + what);
        };
        if (refresh_interval.count() <= 0 || min_refresh_interval.count() <= 0 ||
            min_refresh_interval > refresh_interval)
            fail("refresh intervals need 0 < min_refresh_interval <= refresh_interval");
        if (retry.initial.count() <= 0 || retry.max < retry.initial)
            fail("retry backoff needs 0 < initial <= max");
        if (!(retry.multiplier >= 1.0) || !(retry.jitter >= 0.0 && retry.jitter <= 1.0))
            fail("retry backoff needs multiplier >= 1 and jitter in [0, 1]");
    }
};

} // namespace apikit::redis

#endif
