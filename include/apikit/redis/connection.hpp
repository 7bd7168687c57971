#ifndef APIKIT_REDIS_CONNECTION_HPP
#define APIKIT_REDIS_CONNECTION_HPP

// An asynchronous Redis connection over Asio. hiredis is used for the RESP
// protocol only (its reply reader and its command formatter); the socket,
// the pipeline, the timers and the reconnects are Asio's and this file's.
//
//     redis::connection conn(io.get_executor(), opts);
//     co_await conn.async_connect(asio::use_awaitable);
//     auto r = co_await conn.async_exec({"INCR", key}, asio::use_awaitable);
//
// Pipelining. Any number of commands (up to options.max_pending) may be in
// flight on one connection. Each is appended to an output buffer as it
// comes; one write carries everything appended since the last one, so a
// burst of commands costs one system call, not one each. Commands issued by
// handlers as replies are handed out leave in groups of 16, so Redis works
// on them while the rest are handed out. Redis answers in order, so replies
// are matched to commands by position.
//
// Timeouts. Every command has a deadline (options.command_timeout, or its
// own). A command whose reply has not come by then fails with
// error::timeout, and the connection is reset: its replies can no longer be
// matched to commands, since the late one may still come. The other commands
// in flight fail with error::connection_lost (sent; they may have run) or
// error::not_connected (never sent; safe to retry).
//
// Reconnects. A broken connection is reconnected at once; a failed attempt
// is retried after an exponential, capped, jittered backoff
// (options.reconnect). While there is no connection, a command fails at once
// with error::not_connected — it does not wait for a server that may be gone
// for minutes, so a component can follow its outage policy (fail open, fail
// closed) instead of hanging the request. options.offline_queue lets a
// bounded number of commands wait while a connection is being made.
//
// Threads. The connection lives on a strand of the executor it is given:
// every member function may be called from any thread at any time (they post
// to the strand, or called on it, queue at once), except that the destructor
// must not run concurrently with other calls on the same object. Completion handlers run on their
// associated executor — by default the connection's strand, and then they
// run directly when the reply is read, with no extra post. Destroying the
// connection closes it: operations in flight complete with
// asio::error::operation_aborted. The executor's context must outlive it.
//
// Figures. stats() tells, from any thread, what the connection has done:
// commands in flight, replies, failures by kind, connects, failed attempts
// and lost connections — plain counts for a monitoring layer to read
// (obs/redis_metrics.hpp); counting is a relaxed atomic add on the strand.
//
// Time comes from Clock through Asio's timers, so tests drive timeouts and
// backoff with a simulated clock and never sleep.

#include <apikit/redis/client.hpp>
#include <apikit/redis/command.hpp>
#include <apikit/redis/detail/request.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/key.hpp>
#include <apikit/redis/options.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/executor.hpp>
#include <boost/asio/is_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/wait_traits.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>

namespace apikit::redis {

/// What a connection is doing; a snapshot, readable from any thread.
enum class connection_state : std::uint8_t {
    idle,       ///< constructed, not started
    connecting, ///< TCP connect and handshake (AUTH, SELECT, PING) in progress
    ready,      ///< commands are sent
    backoff,    ///< the last attempt failed; waiting before the next
    closed,     ///< closed by its owner; final
};

/// Commands that completed with an error code and no reply, by code.
struct command_failures {
    std::uint64_t not_connected = 0;
    std::uint64_t queue_full = 0;
    std::uint64_t timeout = 0;
    std::uint64_t connection_lost = 0;
    std::uint64_t closed = 0;
    std::uint64_t other = 0; ///< aborted by close(), cross_slot, protocol_error, …

    [[nodiscard]] std::uint64_t total() const noexcept {
        return not_connected + queue_full + timeout + connection_lost + closed + other;
    }
};

/// What a connection has done since it was made; readable from any thread,
/// each figure exact, the set not one atomic snapshot.
struct connection_stats {
    connection_state state = connection_state::idle;
    std::uint64_t in_flight = 0;        ///< commands queued or waiting for their reply
    std::uint64_t replies = 0;          ///< commands answered (an error reply is a reply)
    command_failures failures;          ///< commands that got no reply
    std::uint64_t connects = 0;         ///< connections made (a reconnect counts)
    std::uint64_t connect_failures = 0; ///< attempts that failed
    std::uint64_t disconnects = 0;      ///< ready connections lost; each is reconnected
};

namespace detail {

template <class Clock, class WaitTraits>
class connection_impl; // detail/connection_impl.hpp, included below

// How a cluster client (cluster_client.hpp) reaches the implementation of
// its nodes' connections: to send a request it keeps for a redirection.
struct connection_access;

} // namespace detail

template <class Clock = std::chrono::steady_clock,
          class WaitTraits = boost::asio::wait_traits<Clock>>
class basic_connection {
    using impl_type = detail::connection_impl<Clock, WaitTraits>;

public:
    using executor_type = boost::asio::strand<boost::asio::any_io_executor>;
    using clock_type = Clock;

    /// Does not connect: call start() or async_connect(). Throws
    /// std::invalid_argument when `opts` make no sense (options::validate).
    basic_connection(boost::asio::any_io_executor ex, connection_options opts)
        : impl_(std::make_shared<impl_type>(std::move(ex), std::move(opts))) {}

    basic_connection(basic_connection&&) noexcept = default;
    basic_connection& operator=(basic_connection&& o) noexcept {
        if (this != &o) {
            if (impl_)
                impl_->close();
            impl_ = std::move(o.impl_);
        }
        return *this;
    }

    ~basic_connection() {
        if (impl_)
            impl_->close();
    }

    [[nodiscard]] executor_type get_executor() const noexcept { return impl_->strand(); }
    [[nodiscard]] connection_options const& options() const noexcept { return impl_->options(); }
    /// Where the connection is; read from any thread, it may be stale by the
    /// time it is used, so it is for health checks and tests, not decisions.
    [[nodiscard]] connection_state state() const noexcept { return impl_->state(); }
    /// How many times a connection has been made (a reconnect counts).
    [[nodiscard]] std::uint64_t connects() const noexcept { return impl_->connects(); }
    /// What the connection has done (connection_stats); from any thread.
    [[nodiscard]] connection_stats stats() const noexcept { return impl_->stats(); }

    /// Starts connecting, in the background; reconnects follow by themselves.
    void start() { impl_->start(); }

    /// Completes with void(error_code) once the connection is ready: at once
    /// if it is; otherwise when the attempt in progress (or the next one, in
    /// a backoff) ends — with its error if it failed (then the connection
    /// keeps trying). Starts connecting if not started.
    template <class CompletionToken>
    auto async_connect(CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [](auto handler, std::shared_ptr<impl_type> const& impl) {
                impl->wait_ready(detail::wait_completion(std::move(handler), impl->strand()));
            },
            token, impl_);
    }

    /// Sends `cmd`; completes with void(error_code, reply). An error reply
    /// from Redis is a reply, not an error code (see error.hpp).
    template <class CompletionToken>
    auto async_exec(command cmd, CompletionToken&& token) {
        return async_exec(std::move(cmd), impl_->options().command_timeout,
                          std::forward<CompletionToken>(token));
    }

    /// As above, with this command's own timeout (a non-positive one fails
    /// at once with error::timeout, unsent).
    template <class CompletionToken>
    auto async_exec(command cmd, std::chrono::nanoseconds timeout, CompletionToken&& token) {
        detail::request rq;
        rq.cmd = std::move(cmd);
        rq.timeout = timeout;
        return initiate(std::move(rq), std::forward<CompletionToken>(token));
    }

    /// Runs `code` by EVALSHA; if the server answers NOSCRIPT (a restart, a
    /// failover, SCRIPT FLUSH), sends its source once by EVAL and completes
    /// with that reply. The keys must share one hash slot, else it completes
    /// with error::cross_slot, unsent. Completes with void(error_code, reply).
    template <class CompletionToken>
    auto async_eval(script const& code, arg_list const& keys, arg_list const& args,
                    CompletionToken&& token) {
        detail::request rq;
        rq.timeout = impl_->options().command_timeout;
        if (!same_slot(keys.view())) {
            rq.refused = make_error_code(error::cross_slot);
        } else {
            rq.code = code;
            rq.tail = script::call_tail(keys.view(), args.view());
            rq.n = keys.size() + args.size();
        }
        return initiate(std::move(rq), std::forward<CompletionToken>(token));
    }

    /// Closes the connection: commands waiting for replies and async_connect
    /// waiters complete with asio::error::operation_aborted; later calls
    /// fail with error::closed. Final.
    void close() { impl_->close(); }

private:
    friend struct detail::connection_access;

    template <class CompletionToken>
    auto initiate(detail::request rq, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, reply)>(
            [](auto handler, std::shared_ptr<impl_type> const& impl, detail::request rq) {
                detail::exec_completion done(std::move(handler), impl->strand());
                if (rq.refused)
                    return impl->refuse(std::move(done), rq.refused);
                impl->submit(std::move(rq), std::move(done));
            },
            token, impl_, std::move(rq));
    }

    std::shared_ptr<impl_type> impl_;
};

/// The connection on the steady clock.
using connection = basic_connection<>;

} // namespace apikit::redis

// The implementation, after the interface it serves (Beast's impl/ manner).
#include <apikit/redis/detail/connection_impl.hpp>

#endif
