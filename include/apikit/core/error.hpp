#ifndef APIKIT_CORE_ERROR_HPP
#define APIKIT_CORE_ERROR_HPP

// apikit's error codes: one enum, one error_category, and one table that maps
// each code to its HTTP status, its envelope `code` and its default message.
// Every layer reports failure as a boost::system::error_code of this category,
// and the HTTP layer turns it into a response through this table alone, so a
// code cannot mean 409 in one place and 400 in another.
//
// An area with codes of its own (redis::error, …) keeps them in a category of
// its own, made from a table by core/error_category.hpp; each of its codes
// names the errc it is answered with, and to_errc() reads that. Conditions
// (apikit::condition) group codes of many categories by what a caller does
// about them: `ec == condition::backend_unavailable` is true for every way a
// backend can fail to answer, whichever backend it is.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace apikit {

enum class errc : int {
    // 0 is success in every error_category; no errc value uses it.
    validation_error = 1,   ///< 422: the request is well-formed but its values are not
    malformed_request,      ///< 400: the request cannot be parsed (bad JSON, bad framing)
    invalid_cursor,         ///< 400: a pagination cursor was tampered with, truncated or foreign
    unauthorized,           ///< 401: no or bad credentials
    forbidden,              ///< 403: credentials that do not allow this
    not_found,              ///< 404: no such resource or route
    method_not_allowed,     ///< 405: the route exists, the method does not
    request_timeout,        ///< 408: the client was too slow to send its request
    conflict,               ///< 409: the request conflicts with the resource's state
    payload_too_large,      ///< 413: the body exceeds the configured limit
    unsupported_media_type, ///< 415: the body's Content-Type is not accepted
    rate_limited,           ///< 429: the caller is over its limit
    cost_exceeds_capacity,  ///< 422: one request asks more of a limit than it can ever grant
    headers_too_large,      ///< 431: the header section exceeds the configured limit
    internal_error,         ///< 500: a bug or an unexpected failure; details stay in the log
    not_implemented,        ///< 501: the request needs what the server does not implement
    service_unavailable,    ///< 503: a dependency is down or the server is shutting down
};

/// What the HTTP layer needs to know about one `errc`.
struct errc_info {
    unsigned status;          ///< HTTP status code
    std::string_view code;    ///< the envelope's `code`, stable, snake_case
    std::string_view message; ///< the default human-readable message
};

namespace detail {

// Indexed by the enum's value; the static_assert below keeps it in step.
inline constexpr std::array<errc_info, 18> errc_table{{
    {500, "internal_error", "Internal server error"}, // 0: not an errc; never used
    {422, "validation_error", "Invalid request parameters"},
    {400, "malformed_request", "The request could not be parsed"},
    {400, "invalid_cursor", "The pagination cursor is invalid"},
    {401, "unauthorized", "Authentication is required"},
    {403, "forbidden", "You are not allowed to do this"},
    {404, "not_found", "The resource was not found"},
    {405, "method_not_allowed", "The method is not allowed on this resource"},
    {408, "request_timeout", "The request was not received in time"},
    {409, "conflict", "The request conflicts with the current state of the resource"},
    {413, "payload_too_large", "The request body is too large"},
    {415, "unsupported_media_type", "The request body's content type is not supported"},
    {429, "rate_limited", "Too many requests"},
    {422, "cost_exceeds_capacity", "The request costs more than the rate limit can ever allow"},
    {431, "headers_too_large", "The request header fields are too large"},
    {500, "internal_error", "Internal server error"},
    {501, "not_implemented", "The request uses a feature the server does not implement"},
    {503, "service_unavailable", "The service is temporarily unavailable"},
}};
static_assert(errc_table.size() == static_cast<std::size_t>(errc::service_unavailable) + 1,
              "every apikit::errc needs exactly one row in detail::errc_table");

// error_category::message(ev, buffer, len): `m`, cut to fit, NUL-terminated.
inline char const* copy_message(std::string_view m, char* buffer, std::size_t len) noexcept {
    if (len == 0)
        return buffer;
    auto const n = m.size() < len - 1 ? m.size() : len - 1;
    m.copy(buffer, n);
    buffer[n] = '\0';
    return buffer;
}

} // namespace detail

/// The row of the table for `e`.
constexpr errc_info const& info(errc e) noexcept {
    auto const i = static_cast<std::size_t>(e);
    return i < detail::errc_table.size() ? detail::errc_table[i] : detail::errc_table[0];
}

/// The category of every apikit error code; its name is "apikit".
class error_category_impl final : public boost::system::error_category {
public:
    // A fixed id makes equality a compare of ids, and keeps the category one
    // even if two shared objects each hold a copy of the inline variable.
    constexpr error_category_impl() noexcept : boost::system::error_category(0xa91c1d5e0f2a7b31) {}

    char const* name() const noexcept override { return "apikit"; }

    std::string message(int ev) const override {
        return std::string(info(static_cast<errc>(ev)).message);
    }

    char const* message(int ev, char* buffer, std::size_t len) const noexcept override {
        return detail::copy_message(info(static_cast<errc>(ev)).message, buffer, len);
    }
};

inline constexpr error_category_impl error_category_instance{};

inline boost::system::error_category const& error_category() noexcept {
    return error_category_instance;
}

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// The base of an area's error category (core/error_category.hpp makes one
/// from the area's table): a category each of whose codes is answered with
/// one apikit::errc.
class area_error_category : public boost::system::error_category {
public:
    /// The errc code `ev` of this category is answered with over HTTP;
    /// internal_error for a value the area does not define.
    [[nodiscard]] virtual errc answer(int ev) const noexcept = 0;

protected:
    constexpr explicit area_error_category(std::uint64_t id) noexcept
        : boost::system::error_category(id) {}
    ~area_error_category() = default;
};

/// The `errc` an error code stands for: itself when it is apikit's, the row
/// of its area's table when it is an area's (redis::error, …), else
/// `internal_error`, so a foreign failure never leaks its text to a client.
inline errc to_errc(boost::system::error_code const& ec) noexcept {
    if (ec.category() == error_category() && ec.value() > 0 &&
        ec.value() <= static_cast<int>(errc::service_unavailable))
        return static_cast<errc>(ec.value());
    if (auto const* area = dynamic_cast<area_error_category const*>(&ec.category()))
        return area->answer(ec.value());
    return errc::internal_error;
}

/// The HTTP status an error code is answered with.
inline unsigned http_status(boost::system::error_code const& ec) noexcept {
    return info(to_errc(ec)).status;
}

/// Fallible calls return `result<T>`: a value or an apikit error code.
template <class T>
using result = boost::system::result<T, boost::system::error_code>;

/// What a caller does about a failure, whichever component reported it:
/// error conditions, compared with `==` to codes of any category.
enum class condition : int {
    // 0 is "no error" in every category; no condition uses it.

    /// A backend (Redis, PostgreSQL, …) did not answer: not connected, timed
    /// out, the connection lost or refused, the handshake refused. Each
    /// backend's table says which of its codes these are; the system's own
    /// network errors (connection refused or reset, unreachable, timed out)
    /// and an unresolved host name are too. A backend's outage policy
    /// decides on this: fail open, fall through to the source, or fail
    /// closed with errc::service_unavailable (503). A code the condition
    /// holds is not thereby an errc: to_errc answers an area's code from its
    /// table, and any other category's as internal_error.
    backend_unavailable = 1,
};

/// The category of apikit::condition; its name is "apikit.condition".
class condition_category_impl final : public boost::system::error_category {
public:
    constexpr condition_category_impl() noexcept
        : boost::system::error_category(0x3c5b8e0a4d17f962) {}

    char const* name() const noexcept override { return "apikit.condition"; }

    std::string message(int ev) const override { return describe(ev); }

    char const* message(int ev, char*, std::size_t) const noexcept override { return describe(ev); }

    /// The codes of other categories that this category itself recognizes:
    /// the system's ways of not reaching a peer. An area's codes are
    /// recognized by the area's own category, from its table.
    bool equivalent(boost::system::error_code const& code, int ev) const noexcept override {
        if (ev != static_cast<int>(condition::backend_unavailable))
            return code.category() == *this && code.value() == ev;
        auto const generic = code.default_error_condition();
        if (generic.category() == boost::system::generic_category()) {
            switch (static_cast<std::errc>(generic.value())) {
            case std::errc::connection_refused:
            case std::errc::connection_reset:
            case std::errc::connection_aborted:
            case std::errc::not_connected:
            case std::errc::broken_pipe:
            case std::errc::timed_out:
            case std::errc::host_unreachable:
            case std::errc::network_unreachable:
            case std::errc::network_down:
            case std::errc::network_reset:
            case std::errc::address_not_available:
                return true;
            default:
                return false;
            }
        }
        // A host name that did not resolve: Asio's resolver reports it in
        // its own category, which a core header may not include.
        return std::strcmp(code.category().name(), "asio.netdb") == 0;
    }

private:
    static char const* describe(int ev) noexcept {
        switch (static_cast<condition>(ev)) {
        case condition::backend_unavailable:
            return "a backend did not answer (not connected, timed out, or unreachable)";
        }
        return "apikit: unknown condition";
    }
};

inline constexpr condition_category_impl condition_category_instance{};

inline boost::system::error_category const& condition_category() noexcept {
    return condition_category_instance;
}

inline boost::system::error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

} // namespace apikit

template <>
struct boost::system::is_error_code_enum<apikit::errc> : std::true_type {};

template <>
struct boost::system::is_error_condition_enum<apikit::condition> : std::true_type {};

#endif
