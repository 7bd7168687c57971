#ifndef APIKIT_AUTH_ISSUER_HPP
#define APIKIT_AUTH_ISSUER_HPP

// The access tokens a server hands out, in the JWT profile of RFC 9068:
// header `typ` "at+jwt" (so that a token of another kind — an ID token —
// cannot pass for one, RFC 8725 §3.11), claims `iss`, `sub`, `aud`, `iat` =
// now, `exp` = iat + lifetime (15 minutes by default, the reference's),
// `jti` (22 random base62 characters: 131 bits from the CSPRNG) and `scope`
// as an array. Signed by the key set's signing key at the time of the call,
// so a rotation (key_set::use_for_signing) takes effect on the next token.
//
// Threads: issue() is const and safe from any number of threads at once.
// Time: the clock policy's now, in whole Unix seconds (rounded down).
// Failures: error::key_cannot_sign when the set has no key that can sign.

#include <apikit/auth/claims.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/auth/jwt.hpp>
#include <apikit/auth/key_set.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/random.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::auth {

struct issue_options {
    std::string issuer;
    std::string audience;
    std::chrono::seconds lifetime{900};
    std::string type = "at+jwt";
};

template <class Clock = std::chrono::system_clock>
class issuer {
    static_assert(apikit::clock<Clock>, "apikit::auth::issuer's Clock must model apikit::clock");
    static_assert(std::is_same_v<typename Clock::time_point::clock, std::chrono::system_clock>,
                  "apikit::auth::issuer's Clock must tell system time: exp and iat are Unix "
                  "times");

public:
    /// Signs with `keys.signing_key()`; `keys` must outlive the issuer.
    issuer(key_set const& keys, issue_options o, Clock clock = {})
        : keys_(keys)
        , o_(std::move(o))
        , clock_(std::move(clock)) {}

    /// An access token for `subject` with `scope`.
    [[nodiscard]] result<std::string> issue(std::string_view subject,
                                            std::span<std::string const> scope) const {
        claims c;
        c.sub = subject;
        c.scope.assign(scope.begin(), scope.end());
        return issue(std::move(c));
    }

    /// A token of `c`, its iss, aud, iat, exp and jti set as for any access
    /// token (what `c` held of them is replaced); other claims, nbf among
    /// them, as they are.
    [[nodiscard]] result<std::string> issue(claims c) const {
        auto const k = keys_.signing_key();
        if (!k)
            return error::key_cannot_sign;
        auto const now =
            std::chrono::floor<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
        c.iss = o_.issuer;
        c.aud.clear();
        if (!o_.audience.empty())
            c.aud.push_back(o_.audience);
        c.iat = now;
        c.exp = now + o_.lifetime.count();
        c.jti.clear();
        append_random_id(c.jti);
        return sign(*k, c, o_.type);
    }

    [[nodiscard]] std::chrono::seconds lifetime() const noexcept { return o_.lifetime; }
    [[nodiscard]] issue_options const& options() const noexcept { return o_; }

private:
    key_set const& keys_;
    issue_options o_;
    [[no_unique_address]] Clock clock_;
};

} // namespace apikit::auth

#endif
