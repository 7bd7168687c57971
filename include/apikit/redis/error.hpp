#ifndef APIKIT_REDIS_ERROR_HPP
#define APIKIT_REDIS_ERROR_HPP

// The Redis client's own error codes, in a category of their own ("apikit.redis"):
// they say more than apikit::errc can (was the command sent? may it have
// run?), and a backend turns them into apikit::errc once, through to_errc().
//
// The rule a caller reasons with: a command that completes with an error code
// is one whose reply apikit does not have. Whether it ran on the server is
// told by the code — `not_connected`, `queue_full` and `closed` were never
// sent; `timeout` and `connection_lost` were sent and may have run. A reply
// that Redis sends as an error (`-ERR …`, `-NOSCRIPT …`) is not an error code:
// the command completed, and its reply says what Redis thought of it.

#include <apikit/core/error.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <type_traits>

namespace apikit::redis {

enum class error : int {
    // Outage: the command got no reply. A backend follows its outage policy
    // (fail open, fail closed, fall through) on these.
    not_connected = 1, ///< not connected (connecting, or waiting to reconnect): not sent
    queue_full,        ///< more commands waiting than the configured bound: not sent
    timeout,           ///< no reply in time; the connection was reset: it may have run
    connection_lost,   ///< the connection broke with the command in flight: it may have run
    closed,            ///< the connection was closed by its owner: not sent
    protocol_error,    ///< the server sent bytes that are not RESP, or a reply nobody asked for
    handshake_failed,  ///< the server refused SELECT or PING (e.g. -LOADING) on connect
    auth_failed,       ///< the server refused AUTH on connect, or wants one (NOAUTH)

    // The reply came, but not as the caller needs it.
    server_error,     ///< reply::as<T>() on an error reply (`-ERR …`): see reply::text()
    unexpected_reply, ///< reply::as<T>() on a reply of another type or value

    // Misuse caught before anything is sent.
    cross_slot, ///< the keys of one script are in different hash slots

    // Parsing a redis:// URL.
    url_syntax,      ///< not a URL (RFC 3986)
    url_scheme,      ///< the scheme is not redis:// (rediss:// is not supported)
    url_host,        ///< no host
    url_port,        ///< the port is not a number in 1–65535
    url_database,    ///< the path is not /N with N a database number
    url_credentials, ///< a user name without a password
    url_unsupported, ///< a query or fragment: no option is read from a URL
};

/// The category of `redis::error`; its name is "apikit.redis".
class error_category_impl final : public boost::system::error_category {
public:
    constexpr error_category_impl() noexcept : boost::system::error_category(0x6a7e2d1c9b35f047) {}

    char const* name() const noexcept override { return "apikit.redis"; }

    std::string message(int ev) const override { return describe(ev); }

    static char const* describe(int ev) noexcept {
        switch (static_cast<error>(ev)) {
        case error::not_connected:
            return "redis: not connected (the command was not sent)";
        case error::queue_full:
            return "redis: too many commands waiting (the command was not sent)";
        case error::timeout:
            return "redis: no reply in time (the command may have run)";
        case error::connection_lost:
            return "redis: the connection was lost with the command in flight (it may have run)";
        case error::closed:
            return "redis: the connection is closed";
        case error::protocol_error:
            return "redis: the server's reply is not valid RESP";
        case error::handshake_failed:
            return "redis: the server refused SELECT or PING on connect";
        case error::auth_failed:
            return "redis: authentication failed (a wrong user or password, or none given)";
        case error::server_error:
            return "redis: the server answered with an error";
        case error::unexpected_reply:
            return "redis: the reply's type or value is not the one asked for";
        case error::cross_slot:
            return "redis: the keys of one script must share a hash slot (use one hash tag)";
        case error::url_syntax:
            return "redis URL: not a valid URL (expected redis://[user:password@]host[:port][/db])";
        case error::url_scheme:
            return "redis URL: the scheme must be redis:// (rediss:// is not supported)";
        case error::url_host:
            return "redis URL: the host is missing";
        case error::url_port:
            return "redis URL: the port must be a number from 1 to 65535";
        case error::url_database:
            return "redis URL: the path must be /N, N a database number";
        case error::url_credentials:
            return "redis URL: a user name needs a password (user:password@)";
        case error::url_unsupported:
            return "redis URL: query strings and fragments are not supported";
        }
        return "redis: unknown error";
    }
};

inline constexpr error_category_impl error_category_instance{};

inline boost::system::error_category const& error_category() noexcept {
    return error_category_instance;
}

inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// True when `ec` means "Redis did not answer": the connection is down,
/// overloaded, timed out, refused the handshake, or was closed — any failure
/// to reach the server, including the system's own (connection refused).
/// Those are the failures a backend's outage policy (fail open / fail closed)
/// decides on; the rest (a reply of the wrong type, keys in two slots) are
/// bugs, and stay errors.
inline bool is_outage(boost::system::error_code const& ec) noexcept {
    if (!ec)
        return false;
    if (ec.category() != error_category())
        return true;
    switch (static_cast<error>(ec.value())) {
    case error::not_connected:
    case error::queue_full:
    case error::timeout:
    case error::connection_lost:
    case error::closed:
    case error::protocol_error:
    case error::handshake_failed:
    case error::auth_failed:
        return true;
    default:
        return false;
    }
}

/// The apikit::errc a failure is answered with over HTTP: an outage is
/// `service_unavailable` (503); anything else is `internal_error` (500), so
/// no Redis message ever reaches a client.
inline errc to_errc(boost::system::error_code const& ec) noexcept {
    return is_outage(ec) ? errc::service_unavailable : errc::internal_error;
}

} // namespace apikit::redis

template <>
struct boost::system::is_error_code_enum<apikit::redis::error> : std::true_type {};

#endif
