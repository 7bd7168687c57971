#ifndef APIKIT_AUTH_COOKIE_HPP
#define APIKIT_AUTH_COOKIE_HPP

// The refresh token's cookie: the Set-Cookie value that carries it, the one
// that clears it on logout, and finding it again in a Cookie header.
//
//     __Secure-refresh=<token>; Max-Age=<s>; Path=/auth; Secure; HttpOnly; SameSite=Strict
//
// Each attribute is there for a reason (RFC 6265bis):
//   - `__Secure-` prefix: a browser accepts the cookie only with Secure, from
//     a secure origin, so a network attacker on plain HTTP cannot plant or
//     overwrite it (§4.1.3.1).
//   - Secure: sent over HTTPS only.
//   - HttpOnly: no script can read it, so an XSS cannot steal the refresh
//     token (the access token, in memory, lives 15 minutes).
//   - SameSite=Strict: never sent on a request another site starts, so a
//     cross-site form cannot make the browser refresh or log out (CSRF).
//   - Path=/auth: sent only to /auth/refresh and /auth/logout, not with
//     every API call, where it would only be exposed.
//   - Max-Age: the token's remaining life (the family's absolute expiry
//     minus now), so the browser drops it when the server would refuse it.
//     Max-Age=0 with an empty value removes it (logout). No Expires: Max-Age
//     wins over it in every current browser and needs no clock agreement.
//   - No Domain: a host-only cookie, not sent to sibling subdomains.
//
// Pure functions of their arguments: any thread, no clock, no failure but
// the documented ones.

#include <apikit/core/http_grammar.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace apikit::auth {

struct cookie_options {
    /// Keep the `__Secure-` prefix (or `__Host-` with path "/") unless the
    /// server is reached over plain HTTP in development.
    std::string name = "__Secure-refresh";
    std::string path = "/auth";
};

namespace detail {

[[nodiscard]] inline std::string set_cookie(std::string_view value, std::int64_t max_age,
                                            cookie_options const& o) {
    char digits[24];
    auto const end = std::to_chars(digits, digits + sizeof digits, max_age).ptr;
    std::string out;
    out.reserve(o.name.size() + value.size() + o.path.size() + 64);
    out.append(o.name).append("=").append(value);
    out.append("; Max-Age=").append(digits, end);
    out.append("; Path=").append(o.path);
    out.append("; Secure; HttpOnly; SameSite=Strict");
    return out;
}

} // namespace detail

/// The Set-Cookie value carrying `token` for `max_age` (a negative one is
/// written as 0: the cookie is removed).
[[nodiscard]] inline std::string
refresh_cookie(std::string_view token, std::chrono::seconds max_age, cookie_options const& o = {}) {
    return detail::set_cookie(token, max_age.count() < 0 ? 0 : max_age.count(), o);
}

/// The Set-Cookie value that removes the refresh cookie (logout): an empty
/// value and Max-Age=0, with the same name, path and attributes (a browser
/// matches a cookie to replace by name, domain and path, and refuses a
/// `__Secure-` one without Secure).
[[nodiscard]] inline std::string expired_refresh_cookie(cookie_options const& o = {}) {
    return detail::set_cookie({}, 0, o);
}

/// The value of the first cookie named `name` (case-sensitive, RFC 6265
/// §5.4) in a Cookie field value, as grammar::cookies splits it; std::nullopt
/// when there is none. A quoted value keeps its quotes (a refresh token never
/// has them: parse_refresh_token then refuses it).
[[nodiscard]] constexpr std::optional<std::string_view>
find_cookie(std::string_view cookie_field, std::string_view name) noexcept {
    for (auto const c : grammar::cookies(cookie_field))
        if (c.name == name)
            return c.value;
    return std::nullopt;
}

} // namespace apikit::auth

#endif
