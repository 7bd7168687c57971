#ifndef APIKIT_REDIS_ERROR_HPP
#define APIKIT_REDIS_ERROR_HPP

// The Redis client's own error codes, in a category of their own ("apikit.redis"):
// they say more than apikit::errc can (was the command sent? may it have
// run?). The table below is the one place that says what each means to a
// client (the apikit::errc that apikit::to_errc answers it with) and which
// of them mean "Redis did not answer": those compare equal to
// apikit::condition::backend_unavailable, the condition a backend's outage
// policy (fail open, fail closed) decides on. The rest (a reply of the wrong
// type, keys in two slots, a bad URL) are bugs or bad configuration, and
// stay errors, answered 500.
//
// The rule a caller reasons with: a command that completes with an error code
// is one whose reply apikit does not have. Whether it ran on the server is
// told by the code — `not_connected`, `queue_full` and `closed` were never
// sent; `timeout` and `connection_lost` were sent and may have run. A reply
// that Redis sends as an error (`-ERR …`, `-NOSCRIPT …`) is not an error code:
// the command completed, and its reply says what Redis thought of it.

#include <apikit/core/error.hpp>
#include <apikit/core/error_category.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstdint>
#include <string_view>

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
    cross_slot, ///< the keys of one script, or of one command on a cluster, are in two hash slots

    // Parsing a redis:// URL.
    url_syntax,      ///< not a URL (RFC 3986)
    url_scheme,      ///< the scheme is not redis:// (rediss:// is not supported)
    url_host,        ///< no host
    url_port,        ///< the port is not a number in 1–65535
    url_database,    ///< the path is not /N with N a database number
    url_credentials, ///< a user name without a password
    url_unsupported, ///< a query or fragment: no option is read from a URL
};

} // namespace apikit::redis

/// redis::error's table: each code's message, the apikit::errc a client is
/// answered with, and whether it means that Redis did not answer.
template <>
struct apikit::error_table<apikit::redis::error> {
    using error = redis::error;
    static constexpr char const* name = "apikit.redis";
    static constexpr std::uint64_t id = 0x6a7e2d1c9b35f047;
    static constexpr std::string_view unknown = "redis: unknown error";
    static constexpr auto unavailable = condition::backend_unavailable;
    static constexpr std::array<error_row<error>, 18> rows{{
        {error::not_connected, "redis: not connected (the command was not sent)",
         errc::service_unavailable, unavailable},
        {error::queue_full, "redis: too many commands waiting (the command was not sent)",
         errc::service_unavailable, unavailable},
        {error::timeout, "redis: no reply in time (the command may have run)",
         errc::service_unavailable, unavailable},
        {error::connection_lost,
         "redis: the connection was lost with the command in flight (it may have run)",
         errc::service_unavailable, unavailable},
        {error::closed, "redis: the connection is closed", errc::service_unavailable, unavailable},
        {error::protocol_error, "redis: the server's reply is not valid RESP",
         errc::service_unavailable, unavailable},
        {error::handshake_failed, "redis: the server refused SELECT or PING on connect",
         errc::service_unavailable, unavailable},
        {error::auth_failed,
         "redis: authentication failed (a wrong user or password, or none given)",
         errc::service_unavailable, unavailable},
        {error::server_error, "redis: the server answered with an error", errc::internal_error},
        {error::unexpected_reply, "redis: the reply's type or value is not the one asked for",
         errc::internal_error},
        {error::cross_slot,
         "redis: the keys of one script or cluster command must share a hash slot (use one hash "
         "tag)",
         errc::internal_error},
        {error::url_syntax,
         "redis URL: not a valid URL (expected redis://[user:password@]host[:port][/db])",
         errc::internal_error},
        {error::url_scheme, "redis URL: the scheme must be redis:// (rediss:// is not supported)",
         errc::internal_error},
        {error::url_host, "redis URL: the host is missing", errc::internal_error},
        {error::url_port, "redis URL: the port must be a number from 1 to 65535",
         errc::internal_error},
        {error::url_database, "redis URL: the path must be /N, N a database number",
         errc::internal_error},
        {error::url_credentials, "redis URL: a user name needs a password (user:password@)",
         errc::internal_error},
        {error::url_unsupported, "redis URL: query strings and fragments are not supported",
         errc::internal_error},
    }};
};

namespace apikit::redis {

/// The category of `redis::error`; its name is "apikit.redis".
[[nodiscard]] inline boost::system::error_category const& error_category() noexcept {
    return error_category_of<error>();
}

using apikit::make_error_code;

} // namespace apikit::redis

#endif
