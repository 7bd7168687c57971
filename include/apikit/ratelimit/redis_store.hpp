#ifndef APIKIT_RATELIMIT_REDIS_STORE_HPP
#define APIKIT_RATELIMIT_REDIS_STORE_HPP

// The Redis store of per-key token buckets: one limit shared by every server
// process that talks to one Redis. It models `ratelimit::store` (the
// completion-handler form only: every decision is a round trip) and plugs
// into `limiter<redis_store, std::chrono::system_clock>`. On a Redis
// Cluster it is basic_redis_store<redis::cluster_client>, the same code:
// each decision goes to the primary of its key's slot (see Keys).
//
// One decision is one EVALSHA of one Lua script (loaded once; after NOSCRIPT
// the connection resends its source), so a decision is atomic in Redis: every
// limit of the policy is read, judged and — if all grant it — written, with
// nothing in between.
//
// Exactness. Redis's Lua 5.1 has only doubles, and nanoseconds since the Unix
// epoch (~1.8e18) exceed 2^53. So the script never holds a whole 64-bit time:
// every instant and duration travels as whole seconds and nanoseconds, added
// and compared with a carry. It mirrors gcra::evaluate's test exactly —
// allowed iff max(TAT, now) + cost·T <= now + W for every limit — and
// returns the TAT each limit had and the `now` it used; the decision's numbers
// are then computed here, by gcra.hpp on int64 nanoseconds, as memory_store
// computes them. Should the script's verdict and this recomputation ever
// differ, that is a bug, and it is reported as a failure, not a decision.
//
// Keys. `apikit:rl:{<tag>}:<limit name>`: one Redis string per (key, limit),
// holding the TAT in decimal nanoseconds. The hash tag puts all of a key's
// limits in one slot (the script reads them together; a Redis Cluster
// requires it). The tag is the caller's key when it is 1–128 bytes with no
// brace, no control character and no leading '~'; any other key — empty,
// long, or with braces — is tagged `~<sha1 of the key>`, which every process
// derives alike and which cannot collide with a literal tag.
//
// Memory. Every write sets PX to the time until the bucket is full again
// plus a margin (expiry_margin, 1 s by default, for clocks apart): a key that
// goes idle expires once it carries nothing, so Redis holds only the keys
// active within their window.
//
// Time. time_source::server (the default) decides with Redis's own clock
// (TIME): one clock for every process, whatever their clocks say.
// time_source::client uses the `now` given — the limiter's clock, which
// across processes must be system_clock (one epoch); processes whose clocks
// are δ apart can then grant about δ × rate more than the limit.
//
// Outages. A failure of the store — Redis not connected, a timeout, a lost
// connection, or a reply that is not what the script returns — follows
// on_outage: fail_open (the default) answers "allowed" with no limit
// statuses (nothing is known: write no rate-limit headers); fail_closed
// completes with errc::service_unavailable. The limiter protects the service;
// an outage of the limiter must not take the API down with it, hence open by
// default. Failures are counted. A cancellation (operation_aborted, when the
// connection is closed) is passed through as it is.
//
// Threads. async_acquire may be called from any thread (the connection's
// own rule). The handler runs on its associated executor — by default the
// connection's strand — never inside async_acquire.

#include <apikit/core/error.hpp>
#include <apikit/ratelimit/detail/redis_script.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/store.hpp>
#include <apikit/redis/command.hpp>
#include <apikit/redis/connection.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/key.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::ratelimit {

/// Whose clock a Redis decision reads.
enum class time_source : std::uint8_t {
    client, ///< the `now` given to async_acquire (the limiter's clock)
    server, ///< Redis's TIME: one clock for every process
};

/// What a decision is when the store fails (Redis unreachable, a bad reply).
enum class outage_policy : std::uint8_t {
    fail_open,   ///< allowed, with no limit statuses: the API keeps serving
    fail_closed, ///< errc::service_unavailable: nothing is served unlimited
};

struct redis_store_options {
    time_source time = time_source::server;
    outage_policy on_outage = outage_policy::fail_open;
    /// The first part of every key, `<key_prefix>:rl:…`; another prefix lets
    /// two applications share one Redis.
    std::string key_prefix = "apikit";
    /// Added to each key's expiry beyond the instant its bucket is full
    /// again, so that processes whose clocks are apart do not see a key
    /// expire while another still counts on it.
    std::chrono::milliseconds expiry_margin{1000};
};

namespace detail {

// What the store's operations share with the store, and may outlive it by:
// an operation completing after the store is gone still counts somewhere.
struct redis_store_state {
    redis_store_options opts;
    redis::key_space keys;
    std::atomic<std::uint64_t> outages{0};
    std::atomic<std::uint64_t> bad_replies{0};
    mutable std::mutex last_mutex; // taken on failures only
    boost::system::error_code last;

    explicit redis_store_state(redis_store_options o)
        : opts(std::move(o))
        , keys("rl", opts.key_prefix) {}

    void record(boost::system::error_code ec) {
        (ec == condition::backend_unavailable ? outages : bad_replies)
            .fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(last_mutex);
        last = ec;
    }
};

// The completion of one decision: turns the script's reply into the
// caller's outcome. It carries the caller's handler and, through the
// associator below, its executor, allocator and cancellation slot, so the
// connection runs it where the caller's handler wants to run.
template <class Handler>
struct redis_acquire_op {
    Handler handler;
    std::shared_ptr<redis_store_state> state;
    policy const* p;
    std::uint64_t cost;

    void operator()(boost::system::error_code ec, redis::reply r) {
        if (ec == boost::asio::error::operation_aborted)
            return std::move(handler)(ec, policy_decision{});
        if (!ec) {
            auto d = decide_from_reply(r, *p, cost);
            if (d)
                return std::move(handler)(boost::system::error_code{}, std::move(*d));
            ec = d.error();
        }
        state->record(ec);
        if (state->opts.on_outage == outage_policy::fail_closed)
            return std::move(handler)(make_error_code(errc::service_unavailable),
                                      policy_decision{});
        policy_decision unknown; // allowed, no statuses: nothing is known
        unknown.allowed = true;
        std::move(handler)(boost::system::error_code{}, unknown);
    }
};

} // namespace detail

template <class Connection = redis::connection>
class basic_redis_store {
    static_assert(redis::script_connection<Connection>,
                  "apikit::ratelimit::basic_redis_store's Connection must model "
                  "apikit::redis::script_connection");

public:
    using connection_type = Connection;
    using options = redis_store_options;

    /// A store deciding through `conn`, which it does not own (the cache and
    /// the other Redis backends may share it) and which must outlive it.
    /// Throws std::invalid_argument on a key_prefix that is empty or holds
    /// a brace, or a negative expiry_margin.
    explicit basic_redis_store(Connection& conn, options o = {})
        : conn_(&conn)
        , state_(std::make_shared<detail::redis_store_state>(std::move(o))) {
        if (state_->opts.expiry_margin.count() < 0)
            throw std::invalid_argument(
                "apikit::ratelimit::redis_store: expiry_margin must not be negative");
    }

    // Not copied: two copies would count failures apart. Moved, it leaves
    // a store that may only be destroyed or assigned to.
    basic_redis_store(basic_redis_store const&) = delete;
    basic_redis_store& operator=(basic_redis_store const&) = delete;
    basic_redis_store(basic_redis_store&&) noexcept = default;
    basic_redis_store& operator=(basic_redis_store&&) noexcept = default;

    /// Decides a request of `cost` by `key` against every limit of `p` in one
    /// round trip, all or nothing, and calls `handler(error_code,
    /// policy_decision)` once, on the handler's associated executor (by
    /// default the connection's), never inside this call. Errors:
    /// errc::cost_exceeds_capacity (no round trip); errc::validation_error
    /// for a negative `now` with time_source::client; errc::service_unavailable
    /// when the store fails under fail_closed; operation_aborted when the
    /// connection is closed. `p` must outlive the call; `key` is copied.
    template <class Handler>
    void async_acquire(std::string_view key, policy const& p, std::uint64_t cost, nanoseconds now,
                       Handler&& handler) {
        using op_type = detail::redis_acquire_op<std::decay_t<Handler>>;
        bool const client_time = state_->opts.time == time_source::client;
        if (cost > p.max_cost() || (client_time && now.count() < 0)) [[unlikely]] {
            auto const ec = make_error_code(cost > p.max_cost() ? errc::cost_exceeds_capacity
                                                                : errc::validation_error);
            boost::asio::post(
                conn_->get_executor(),
                boost::asio::append(std::forward<Handler>(handler), ec, policy_decision{}));
            return;
        }

        // The keys, in one buffer: on the stack unless the names are long.
        auto const n = p.size();
        std::string digest;
        auto const tag = detail::hash_tag_of(key, digest);
        auto const prefix = state_->keys.prefix();
        std::size_t total = 0;
        for (auto const& l : p.limits())
            total += prefix.size() + tag.size() + 3 + l.name().size();
        std::array<char, 512> stack;
        std::string heap;
        char* buf = stack.data();
        if (total > stack.size()) {
            heap.resize(total);
            buf = heap.data();
        }
        std::array<redis::arg, max_limits> keys;
        char* at = buf;
        for (std::size_t i = 0; i < n; ++i) {
            char* const start = at;
            auto put = [&](std::string_view s) { at = std::copy(s.begin(), s.end(), at); };
            put(prefix);
            put("{");
            put(tag);
            put("}:");
            put(p[i].name());
            keys[i] = redis::arg(std::string_view(start, static_cast<std::size_t>(at - start)));
        }

        // The arguments, each written by to_chars into its own arg.
        std::array<redis::arg, 3 + 4 * max_limits> args;
        if (client_time) {
            args[0] = redis::arg(now.count() / detail::ns_per_s);
            args[1] = redis::arg(now.count() % detail::ns_per_s);
        } // else "" and "": Redis's TIME
        args[2] = redis::arg(state_->opts.expiry_margin.count());
        for (std::size_t i = 0; i < n; ++i) {
            // cost <= capacity, so cost·T <= W <= 2^62: no overflow.
            auto const inc = static_cast<std::int64_t>(cost) * p[i].emission_interval().count();
            auto const w = p[i].window().count();
            args[3 + 4 * i] = redis::arg(inc / detail::ns_per_s);
            args[4 + 4 * i] = redis::arg(inc % detail::ns_per_s);
            args[5 + 4 * i] = redis::arg(w / detail::ns_per_s);
            args[6 + 4 * i] = redis::arg(w % detail::ns_per_s);
        }
        conn_->async_eval(script(), std::span<redis::arg const>(keys.data(), n),
                          std::span<redis::arg const>(args.data(), 3 + 4 * n),
                          op_type{std::forward<Handler>(handler), state_, &p, cost});
    }

    /// The Lua script of every decision, e.g. to SCRIPT LOAD it ahead of
    /// time or to benchmark it.
    [[nodiscard]] static redis::script const& script() {
        static redis::script const s{std::string(detail::redis_gcra_source)};
        return s;
    }

    /// The Redis key holding `key`'s state for limit `l`.
    [[nodiscard]] std::string redis_key(std::string_view key, limit const& l) const {
        std::string digest;
        return state_->keys.tagged(detail::hash_tag_of(key, digest), l.name());
    }

    [[nodiscard]] options const& get_options() const noexcept { return state_->opts; }
    [[nodiscard]] Connection& connection() const noexcept { return *conn_; }

    /// Decisions made without Redis because it could not be reached
    /// (condition::backend_unavailable: not connected, timeout, connection
    /// lost…).
    [[nodiscard]] std::uint64_t outages() const noexcept {
        return state_->outages.load(std::memory_order_relaxed);
    }
    /// Decisions made without Redis because its reply was not the script's
    /// (an error reply such as WRONGTYPE, a malformed reply).
    [[nodiscard]] std::uint64_t bad_replies() const noexcept {
        return state_->bad_replies.load(std::memory_order_relaxed);
    }
    /// Every decision the outage policy made: outages() + bad_replies().
    [[nodiscard]] std::uint64_t failures() const noexcept { return outages() + bad_replies(); }
    /// The error of the last failure, for the logs; empty if none yet.
    [[nodiscard]] boost::system::error_code last_failure() const {
        std::lock_guard lock(state_->last_mutex);
        return state_->last;
    }

private:
    Connection* conn_;
    std::shared_ptr<detail::redis_store_state> state_;
};

/// The Redis store on the steady-clock connection.
using redis_store = basic_redis_store<>;

static_assert(store<redis_store>,
              "apikit::ratelimit::redis_store must model apikit::ratelimit::store");
static_assert(!sync_store<redis_store>, "redis_store answers after a round trip only");

} // namespace apikit::ratelimit

/// The completion of a decision has the associations of the caller's handler
/// (executor, allocator, cancellation slot), as Asio's own wrappers do.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, apikit::ratelimit::detail::redis_acquire_op<Handler>,
                               DefaultCandidate> : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type
    get(apikit::ratelimit::detail::redis_acquire_op<Handler> const& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }
    static auto get(apikit::ratelimit::detail::redis_acquire_op<Handler> const& h,
                    DefaultCandidate const& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

#endif
