#ifndef APIKIT_OBS_REDIS_METRICS_HPP
#define APIKIT_OBS_REDIS_METRICS_HPP

// USE metrics of a Redis connection, read from `redis::connection::stats()`
// at every scrape by a registry collector; every series is labelled
// `connection` with the name given, so that several connections report into
// one family each:
//
//   apikit_redis_connection_up{connection}                     gauge    1 when ready for commands
//   apikit_redis_commands_in_flight{connection}                gauge    queued or waiting for a
//                                                                       reply: utilization and,
//                                                                       near max_pending,
//                                                                       saturation
//   apikit_redis_replies_total{connection}                     counter  commands answered
//   apikit_redis_command_failures_total{connection,error_type} counter  commands that got no reply:
//                                                                       not_connected, queue_full,
//                                                                       timeout, connection_lost,
//                                                                       closed, other
//   apikit_redis_connects_total{connection}                    counter  connections made
//   apikit_redis_connect_failures_total{connection}            counter  attempts that failed
//   apikit_redis_reconnects_total{connection}                  counter  ready connections lost
//                                                                       (each one is reconnected)
//
// A redis::cluster_client in front of a cluster reports its connections'
// figures summed (up: every primary's connection is ready), and the
// cluster's own:
//
//   apikit_redis_cluster_primaries{connection}                 gauge    primaries in the slot map
//   apikit_redis_cluster_slots_covered{connection}             gauge    slots with a known owner
//                                                                       (16384 when whole)
//   apikit_redis_cluster_redirects_total{connection,kind}      counter  MOVED and ASK followed
//   apikit_redis_cluster_retries_total{connection}             counter  TRYAGAIN, CLUSTERDOWN
//   retried apikit_redis_cluster_cross_slot_total{connection}          counter  commands refused,
//   unsent,
//                                                                       for keys in two slots
//   apikit_redis_cluster_refreshes_total{connection,outcome}   counter  slot maps read: ok, failed
//
// The connection counts with relaxed atomics on its strand; a scrape reads
// them. The connection must outlive the collector (or be removed from the
// registry first, with the id returned); it must not be moved from while
// registered.

#include <apikit/obs/metrics.hpp>
#include <apikit/redis/cluster_client.hpp>
#include <apikit/redis/connection.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace apikit::obs {

/// Reports `conn.stats()` as the metrics above, labelled `connection="<name>"`,
/// at every scrape of `reg`. `Connection` is a redis::basic_connection or a
/// redis::basic_cluster_client (anything with `stats()` giving
/// redis::connection_stats; with `cluster_stats()` too, the cluster's series
/// while it is in front of a cluster).
template <class Connection>
collector_id add_redis_metrics(registry& reg, Connection const& conn,
                               std::string name = "default") {
    return reg.add_collector([&conn, name = std::move(name)](sample_writer& w) {
        redis::connection_stats const s = conn.stats();
        auto const num = [](auto v) { return static_cast<double>(v); };
        w.gauge("apikit_redis_connection_up", "1 when the Redis connection is ready for commands.",
                s.state == redis::connection_state::ready ? 1 : 0, {{"connection", name}});
        w.gauge("apikit_redis_commands_in_flight",
                "Redis commands queued or waiting for their reply.", num(s.in_flight),
                {{"connection", name}});
        w.counter("apikit_redis_replies_total", "Redis commands answered.", num(s.replies),
                  {{"connection", name}});
        constexpr auto failures_help = "Redis commands that got no reply, by error.";
        auto const failure = [&](char const* type, std::uint64_t v) {
            w.counter("apikit_redis_command_failures_total", failures_help, num(v),
                      {{"connection", name}, {"error_type", type}});
        };
        failure("not_connected", s.failures.not_connected);
        failure("queue_full", s.failures.queue_full);
        failure("timeout", s.failures.timeout);
        failure("connection_lost", s.failures.connection_lost);
        failure("closed", s.failures.closed);
        failure("other", s.failures.other);
        w.counter("apikit_redis_connects_total", "Redis connections made.", num(s.connects),
                  {{"connection", name}});
        w.counter("apikit_redis_connect_failures_total", "Redis connection attempts that failed.",
                  num(s.connect_failures), {{"connection", name}});
        w.counter("apikit_redis_reconnects_total",
                  "Ready Redis connections lost, each reconnected.", num(s.disconnects),
                  {{"connection", name}});
        if constexpr (requires { conn.cluster_stats(); }) {
            redis::cluster_stats const c = conn.cluster_stats();
            if (c.mode != redis::cluster_mode::cluster)
                return;
            w.gauge("apikit_redis_cluster_primaries", "Primaries in the Redis Cluster's slot map.",
                    num(c.primaries), {{"connection", name}});
            w.gauge("apikit_redis_cluster_slots_covered",
                    "Redis Cluster slots whose owner the slot map names (16384 when whole).",
                    num(c.slots_covered), {{"connection", name}});
            constexpr auto redirects_help = "Redis Cluster redirections followed, by kind.";
            w.counter("apikit_redis_cluster_redirects_total", redirects_help, num(c.moved),
                      {{"connection", name}, {"kind", "moved"}});
            w.counter("apikit_redis_cluster_redirects_total", redirects_help, num(c.ask),
                      {{"connection", name}, {"kind", "ask"}});
            w.counter("apikit_redis_cluster_retries_total",
                      "Redis commands retried after TRYAGAIN or CLUSTERDOWN.", num(c.retries),
                      {{"connection", name}});
            w.counter("apikit_redis_cluster_cross_slot_total",
                      "Redis commands refused, unsent, for keys in two hash slots.",
                      num(c.cross_slot), {{"connection", name}});
            constexpr auto refresh_help = "Redis Cluster slot maps read, by outcome.";
            w.counter("apikit_redis_cluster_refreshes_total", refresh_help, num(c.refreshes),
                      {{"connection", name}, {"outcome", "ok"}});
            w.counter("apikit_redis_cluster_refreshes_total", refresh_help, num(c.refresh_failures),
                      {{"connection", name}, {"outcome", "failed"}});
        }
    });
}

} // namespace apikit::obs

#endif
