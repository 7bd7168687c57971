#ifndef APIKIT_AUTH_REDIS_REFRESH_STORE_HPP
#define APIKIT_AUTH_REDIS_REFRESH_STORE_HPP

// The Redis store of refresh-token families: one set of logins shared by
// every server process that talks to one Redis, so a token issued by one is
// rotated by another, reuse detection included. It models
// `auth::refresh_store` (the completion-handler form only: every operation
// is one round trip). On a Redis Cluster it is
// basic_redis_refresh_store<redis::cluster_client>, the same code: each
// operation goes to the primary of its family's slot.
//
// Keys, per family, hash-tagged by the family id so that both live in one
// slot (a script must see them together; Redis Cluster requires it):
//   apikit:auth:rt:{<family>}       a hash: user, exp (Unix s), cur (the
//                                   current secret's SHA-256, 32 bytes)
//   apikit:auth:rt:{<family>}:used  a list: the last `max_rotated` rotated
//                                   hashes, newest first
// Both expire at the family's absolute expiry (EXPIREAT, set at creation
// and on each rotation — never moved), so Redis forgets a dead family by
// itself. No token and no secret is ever sent to Redis.
//
// Atomicity. Each operation is one EVALSHA of one Lua script (loaded once;
// after NOSCRIPT the connection resends its source). Rotation reads the
// family, compares the presented hash with `cur` and with the rotated list,
// and writes — swap and remember, or delete the family on reuse — with
// nothing in between: two processes rotating one token at once get one
// `rotated` and one `reused`. Hashes are compared inside Redis with Lua's
// `==`: what its timing could reveal is a prefix of a SHA-256 of a secret,
// which leads nowhere.
//
// Clocks. The keys expire by Redis's clock; the script also refuses a
// family once the caller's `now` (refresh_tokens' clock, Unix seconds)
// reaches exp. Whichever comes first ends the login, so clocks δ apart can
// shorten a login by δ, never lengthen it.
//
// Outages. When Redis does not answer (not connected, a timeout, a lost
// connection) the handler gets the connection's error, which compares equal
// to apikit::condition::backend_unavailable: the caller answers 503 and the
// client keeps its cookie (a rotation that timed out may have run; the
// client's next try is then `reused` — logging in again is the cure, never
// a silent acceptance). A reply that is not the script's (a WRONGTYPE on a
// key someone else wrote) is redis::error::server_error or
// unexpected_reply (500). A cancellation (operation_aborted, the connection
// closed) is passed through as it is. There is no fail-open: an auth store
// that cannot answer must not let anyone in.
//
// Threads. Any member may be called from any thread (the connection's own
// rule). The handler runs on its associated executor — by default the
// connection's strand — never inside the call.

#include <apikit/auth/detail/redis_refresh_script.hpp>
#include <apikit/auth/detail/refresh_ops.hpp>
#include <apikit/auth/refresh_store.hpp>
#include <apikit/core/error.hpp>
#include <apikit/redis/command.hpp>
#include <apikit/redis/connection.hpp>
#include <apikit/redis/key.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::auth {

struct redis_refresh_store_options {
    /// The first part of every key, `<key_prefix>:auth:rt:…`.
    std::string key_prefix = "apikit";
    /// The most rotated hashes remembered per family.
    std::size_t max_rotated = 32;
};

namespace detail {

// The completion of a create or a revoke: void(error_code).
template <class Handler>
struct redis_refresh_done_op {
    Handler handler;
    void operator()(boost::system::error_code ec, redis::reply r) {
        std::move(handler)(ec ? ec : done_from_reply(r));
    }
};

// The completion of a rotation: void(error_code, rotation).
template <class Handler>
struct redis_refresh_rotate_op {
    Handler handler;
    void operator()(boost::system::error_code ec, redis::reply r) {
        if (ec)
            return std::move(handler)(ec, rotation{});
        auto out = rotation_from_reply(r);
        if (!out)
            return std::move(handler)(out.error(), rotation{});
        std::move(handler)(boost::system::error_code{}, std::move(*out));
    }
};

// An operation's associations are those of the handler it carries, as
// Asio's own wrappers have it.
template <template <class, class> class Associator, class Op, class DefaultCandidate>
struct refresh_associator : Associator<decltype(Op::handler), DefaultCandidate> {
    using inner = Associator<decltype(Op::handler), DefaultCandidate>;
    static typename inner::type get(Op const& op) noexcept { return inner::get(op.handler); }
    static auto get(Op const& op, DefaultCandidate const& c) noexcept
        -> decltype(inner::get(op.handler, c)) {
        return inner::get(op.handler, c);
    }
};

} // namespace detail

template <class Connection = redis::connection>
class basic_redis_refresh_store {
    static_assert(redis::script_connection<Connection>,
                  "apikit::auth::basic_redis_refresh_store's Connection must model "
                  "apikit::redis::script_connection");

public:
    using connection_type = Connection;
    using options = redis_refresh_store_options;

    /// A store on `conn`, which it does not own and which must outlive it.
    /// Throws std::invalid_argument on a key_prefix that is empty or holds a
    /// brace, or a max_rotated of 0.
    explicit basic_redis_refresh_store(Connection& conn, options o = {})
        : conn_(&conn)
        , keys_("auth:rt", o.key_prefix)
        , max_rotated_(o.max_rotated) {
        if (max_rotated_ == 0)
            throw std::invalid_argument(
                "apikit::auth::redis_refresh_store: max_rotated must be at least 1");
    }

    /// Stores a new family: handler(error_code). errc::validation_error for
    /// a family id that cannot be a hash tag (empty, over 64 bytes, a brace,
    /// a space or a control character), without a round trip.
    template <class Handler>
    void async_create(family_record const& r, std::int64_t, Handler&& handler) {
        using op = detail::redis_refresh_done_op<std::decay_t<Handler>>;
        if (!detail::redis_family_ok(r.family))
            return refuse(std::forward<Handler>(handler));
        std::array<redis::arg, 3> const args{redis::arg(r.user_id), redis::arg(r.expires_at),
                                             redis::arg(r.token_hash)};
        run(create_script(), r.family, args, op{std::forward<Handler>(handler)});
    }

    /// Rotates (refresh_store.hpp): handler(error_code, rotation). A family
    /// id that cannot be a hash tag is unknown, without a round trip.
    template <class Handler>
    void async_rotate(std::string_view family, std::string_view presented_hash,
                      std::string_view next_hash, std::int64_t now, Handler&& handler) {
        using op = detail::redis_refresh_rotate_op<std::decay_t<Handler>>;
        if (!detail::redis_family_ok(family))
            return boost::asio::post(conn_->get_executor(),
                                     boost::asio::append(std::forward<Handler>(handler),
                                                         boost::system::error_code{}, rotation{}));
        std::array<redis::arg, 4> const args{redis::arg(presented_hash), redis::arg(next_hash),
                                             redis::arg(now), redis::arg(max_rotated_)};
        run(rotate_script(), family, args, op{std::forward<Handler>(handler)});
    }

    /// Forgets `family`: handler(error_code). No such family is no error.
    template <class Handler>
    void async_revoke(std::string_view family, Handler&& handler) {
        using op = detail::redis_refresh_done_op<std::decay_t<Handler>>;
        if (!detail::redis_family_ok(family))
            return boost::asio::post(
                conn_->get_executor(),
                boost::asio::append(std::forward<Handler>(handler), boost::system::error_code{}));
        run(revoke_script(), family, {}, op{std::forward<Handler>(handler)});
    }

    /// The scripts, e.g. to SCRIPT LOAD them ahead of time.
    [[nodiscard]] static redis::script const& create_script() {
        static redis::script const s{std::string(detail::redis_refresh_create_source)};
        return s;
    }
    [[nodiscard]] static redis::script const& rotate_script() {
        static redis::script const s{std::string(detail::redis_refresh_rotate_source)};
        return s;
    }
    [[nodiscard]] static redis::script const& revoke_script() {
        static redis::script const s{std::string(detail::redis_refresh_revoke_source)};
        return s;
    }

    /// The Redis key of `family`'s hash, and of its list of rotated hashes.
    [[nodiscard]] std::string family_key(std::string_view family) const {
        return keys_.tagged(family);
    }
    [[nodiscard]] std::string used_key(std::string_view family) const {
        return keys_.tagged(family, "used");
    }

    [[nodiscard]] std::size_t max_rotated() const noexcept { return max_rotated_; }
    [[nodiscard]] Connection& connection() const noexcept { return *conn_; }

private:
    // Runs `code` on `family`'s two keys.
    template <class Op>
    void run(redis::script const& code, std::string_view family, std::span<redis::arg const> args,
             Op&& op) {
        auto const hash = family_key(family), used = used_key(family);
        std::array<redis::arg, 2> const keys{redis::arg(hash), redis::arg(used)};
        conn_->async_eval(code, std::span<redis::arg const>(keys), args, std::forward<Op>(op));
    }

    template <class Handler>
    void refuse(Handler&& handler) {
        boost::asio::post(conn_->get_executor(),
                          boost::asio::append(std::forward<Handler>(handler),
                                              make_error_code(errc::validation_error)));
    }

    Connection* conn_;
    redis::key_space keys_;
    std::size_t max_rotated_;
};

/// The Redis store on the steady-clock connection.
using redis_refresh_store = basic_redis_refresh_store<>;

static_assert(refresh_store<redis_refresh_store>,
              "apikit::auth::redis_refresh_store must model apikit::auth::refresh_store");
static_assert(!sync_refresh_store<redis_refresh_store>,
              "redis_refresh_store answers after a round trip only");

} // namespace apikit::auth

// The completions of this store, and those refresh_tokens hands any store,
// have the associations of the caller's handler (executor, allocator,
// cancellation slot). refresh_tokens' are here because its header has no
// Asio, and only a store that completes later needs them.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, apikit::auth::detail::redis_refresh_done_op<Handler>,
                               DefaultCandidate>
    : apikit::auth::detail::refresh_associator<
          Associator, apikit::auth::detail::redis_refresh_done_op<Handler>, DefaultCandidate> {};

template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, apikit::auth::detail::redis_refresh_rotate_op<Handler>,
                               DefaultCandidate>
    : apikit::auth::detail::refresh_associator<
          Associator, apikit::auth::detail::redis_refresh_rotate_op<Handler>, DefaultCandidate> {};

template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, apikit::auth::detail::refresh_issue_op<Handler>,
                               DefaultCandidate>
    : apikit::auth::detail::refresh_associator<
          Associator, apikit::auth::detail::refresh_issue_op<Handler>, DefaultCandidate> {};

template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, apikit::auth::detail::refresh_rotate_op<Handler>,
                               DefaultCandidate>
    : apikit::auth::detail::refresh_associator<
          Associator, apikit::auth::detail::refresh_rotate_op<Handler>, DefaultCandidate> {};

#endif
