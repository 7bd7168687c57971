#ifndef APIKIT_REDIS_CLUSTER_CLIENT_HPP
#define APIKIT_REDIS_CLUSTER_CLIENT_HPP

// One client for a single Redis and for a Redis Cluster. Given the address of
// any node, it asks the node for the cluster's shards; a Redis that is not in
// a cluster says so, and the client is then one redis::connection, with the
// same behaviour and the same cost. A node of a cluster answers with the
// slot map, and the client keeps one pipelined connection per primary and
// sends each command to the primary that owns its key's slot:
//
//     redis::cluster_client redis(io.get_executor(), opts);  // any node
//     co_await redis.async_connect(asio::use_awaitable);
//     auto r = co_await redis.async_exec({"INCR", key}, asio::use_awaitable);
//
// Routing. A command's keys are found from its name (command_keys.hpp: GET,
// XADD, … their first argument; EVAL and EVALSHA their numkeys keys); keys
// in two slots are refused with error::cross_slot, unsent, as the cluster
// would refuse them with CROSSSLOT. A command without keys goes to any
// primary. The slot map is read without a lock, from any thread: routing
// costs a few loads beside the connection's own work.
//
// Redirections. MOVED (the slot has a new owner) updates the map, asks for
// the whole map again, and resends the command to the new owner; ASK (the
// slot is being migrated and this key has moved already) resends it once to
// the named node after ASKING, and leaves the map alone. TRYAGAIN (a
// multi-key command mid-migration) and CLUSTERDOWN (a failover in progress)
// are retried after a backoff (cluster_options::retry). All of it happens
// within the command's own timeout; a command completes once, with the
// reply of the node that finally ran it, or with its last redirection.
//
// Failures. A node that does not answer fails its commands as a connection
// does (not_connected, connection_lost, timeout: error.hpp), so each backend's
// outage policy answers at once — the client does not wait for a failover.
// Such a failure also asks for the map again (rate-limited,
// cluster_options::min_refresh_interval), so once the cluster has promoted a
// replica the client follows it; the map is also asked for every
// refresh_interval. A node unreachable at start leaves its slots failing
// with not_connected while the other nodes serve theirs.
//
// Threads, time, lifetime: as basic_connection (connection.hpp). Every member
// function may be called from any thread; a handler runs on its associated
// executor, by default the strand of the node connection that answered.
// Until discovery has ended (async_connect), commands fail with
// not_connected. Destroying the client closes every node's connection.

#include <apikit/redis/client.hpp>
#include <apikit/redis/cluster_options.hpp>
#include <apikit/redis/command.hpp>
#include <apikit/redis/command_keys.hpp>
#include <apikit/redis/connection.hpp>
#include <apikit/redis/detail/request.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/key.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/wait_traits.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

namespace apikit::redis {

/// What a cluster client has found its server to be.
enum class cluster_mode : std::uint8_t {
    discovering, ///< not yet known: the seed has not answered CLUSTER SHARDS
    single,      ///< a Redis that is not in a cluster: one connection
    cluster,     ///< a Redis Cluster: one connection per primary
    closed,      ///< closed by its owner; final
};

/// What a cluster client has done; readable from any thread, each figure
/// exact, the set not one atomic snapshot. (stats() sums its connections'.)
struct cluster_stats {
    cluster_mode mode = cluster_mode::discovering;
    std::uint64_t nodes = 0;         ///< nodes it has a connection to (a seed, primaries)
    std::uint64_t primaries = 0;     ///< nodes that own slots in the current map
    std::uint64_t slots_covered = 0; ///< slots whose owner the map names (16384 when whole)
    std::uint64_t moved = 0;         ///< MOVED redirections followed
    std::uint64_t ask = 0;           ///< ASK redirections followed
    std::uint64_t retries = 0;       ///< TRYAGAIN and CLUSTERDOWN retried
    std::uint64_t cross_slot = 0;    ///< commands refused, unsent, for keys in two slots
    std::uint64_t refreshes = 0;     ///< slot maps read
    std::uint64_t refresh_failures = 0;
};

namespace detail {
template <class Clock, class WaitTraits>
class cluster_impl; // detail/cluster_impl.hpp, included below
} // namespace detail

template <class Clock = std::chrono::steady_clock,
          class WaitTraits = boost::asio::wait_traits<Clock>>
class basic_cluster_client {
    using impl_type = detail::cluster_impl<Clock, WaitTraits>;

public:
    using executor_type = boost::asio::strand<boost::asio::any_io_executor>;
    using clock_type = Clock;
    using connection_type = basic_connection<Clock, WaitTraits>;

    /// Does not connect: call start() or async_connect(). Throws
    /// std::invalid_argument when `opts` make no sense.
    basic_cluster_client(boost::asio::any_io_executor ex, cluster_options opts)
        : impl_(std::make_shared<impl_type>(std::move(ex), std::move(opts))) {}

    basic_cluster_client(basic_cluster_client&&) noexcept = default;
    basic_cluster_client& operator=(basic_cluster_client&& o) noexcept {
        if (this != &o) {
            if (impl_)
                impl_->close();
            impl_ = std::move(o.impl_);
        }
        return *this;
    }

    ~basic_cluster_client() {
        if (impl_)
            impl_->close();
    }

    /// The client's own strand: where it completes what fails before any
    /// node is asked, and where it keeps its map.
    [[nodiscard]] executor_type get_executor() const noexcept { return impl_->strand(); }
    [[nodiscard]] cluster_options const& options() const noexcept { return impl_->options(); }
    [[nodiscard]] cluster_mode mode() const noexcept { return impl_->mode(); }
    /// Its connections' figures, summed; `state` is `ready` when every
    /// primary's connection is (single: the one connection's state).
    [[nodiscard]] connection_stats stats() const noexcept { return impl_->stats(); }
    [[nodiscard]] redis::cluster_stats cluster_stats() const noexcept {
        return impl_->cluster_stats();
    }

    /// Starts discovering, in the background.
    void start() { impl_->start(); }

    /// Completes with void(error_code) once the client is ready: a single
    /// Redis connected, or a cluster's map read and every primary's first
    /// connection attempt ended (a primary that could not be reached leaves
    /// its slots failing, and does not fail this). An error when the seed
    /// could not be reached or asked; the client keeps trying.
    template <class CompletionToken>
    auto async_connect(CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [](auto handler, std::shared_ptr<impl_type> const& impl) {
                impl->wait_ready(detail::wait_completion(std::move(handler), impl->strand()));
            },
            token, impl_);
    }

    /// Sends `cmd` to the node that owns its keys; completes with
    /// void(error_code, reply).
    template <class CompletionToken>
    auto async_exec(command cmd, CompletionToken&& token) {
        auto const timeout = impl_->options().node.command_timeout;
        return async_exec(std::move(cmd), timeout, std::forward<CompletionToken>(token));
    }

    /// As above, with this command's own timeout, which covers its
    /// redirections and retries too.
    template <class CompletionToken>
    auto async_exec(command cmd, std::chrono::nanoseconds timeout, CompletionToken&& token) {
        detail::request rq;
        // A single Redis runs keys of any slots together: only a cluster's
        // routing asks where the keys are.
        auto const where = impl_->mode() == cluster_mode::single ? command_slot{} : slot_of(cmd);
        rq.cmd = std::move(cmd);
        rq.timeout = timeout;
        return initiate(std::move(rq), where, std::forward<CompletionToken>(token));
    }

    /// Runs `code` by EVALSHA on the node of its keys' slot (by EVAL after
    /// NOSCRIPT, as basic_connection does). Keys in two slots complete with
    /// error::cross_slot, unsent, on one Redis as on a cluster.
    template <class CompletionToken>
    auto async_eval(script const& code, arg_list const& keys, arg_list const& args,
                    CompletionToken&& token) {
        detail::request rq;
        rq.timeout = impl_->options().node.command_timeout;
        command_slot where;
        if (!same_slot(keys.view())) {
            rq.refused = make_error_code(error::cross_slot);
        } else {
            if (keys.size() > 0)
                where = {command_slot::kind::slot, hash_slot(keys.view().front().view())};
            rq.code = code;
            rq.tail = script::call_tail(keys.view(), args.view());
            rq.n = keys.size() + args.size();
        }
        return initiate(std::move(rq), where, std::forward<CompletionToken>(token));
    }

    /// Closes every connection: commands waiting complete with
    /// asio::error::operation_aborted; later calls fail with error::closed.
    void close() { impl_->close(); }

private:
    template <class CompletionToken>
    auto initiate(detail::request rq, command_slot where, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, reply)>(
            [](auto handler, std::shared_ptr<impl_type> const& impl, detail::request rq,
               command_slot where) { impl->exec(std::move(rq), where, std::move(handler)); },
            token, impl_, std::move(rq), where);
    }

    std::shared_ptr<impl_type> impl_;
};

/// The cluster client on the steady clock.
using cluster_client = basic_cluster_client<>;

} // namespace apikit::redis

#include <apikit/redis/detail/cluster_impl.hpp>

#endif
