// What the tokens tests (claims, jwt, key_set, verifier, verification_cache,
// issuer) share: the RFC 7515 A.1 token and key, a manual system clock,
// keys made once per run (an RSA key takes a while), and a token writer
// that signs whatever header and payload a test wants.

#ifndef APIKIT_TESTS_AUTH_TOKENS_SUPPORT_HPP
#define APIKIT_TESTS_AUTH_TOKENS_SUPPORT_HPP

#include <apikit/auth/claims.hpp>
#include <apikit/auth/jwt.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/auth/key_set.hpp>
#include <apikit/core/base64url.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace tokens_test {

namespace auth = apikit::auth;

// RFC 7515 Appendix A.1: an HS256 JWS, its header with a CR LF inside, no kid.
inline constexpr std::string_view rfc7515_a1_token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
inline constexpr std::string_view rfc7515_a1_key =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
inline constexpr std::int64_t rfc7515_a1_exp = 1300819380;

using system_manual_clock = apikit::manual_clock<std::chrono::system_clock>;
using clock_ref = apikit::clock_ref<system_manual_clock>;

// An instant as a system time point.
inline std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

// The time the tokens of these tests are made at.
inline constexpr std::int64_t t0 = 1'800'000'000;

inline auth::key hs_key(std::string kid, char fill = 's') {
    return auth::key::from_secret(std::string(32, fill), std::move(kid)).value();
}

// One RSA key per run: generating one costs tens of milliseconds.
inline auth::key const& rsa_key() {
    static auth::key const k = auth::key::generate(auth::algorithm::rs256, "rsa-1").value();
    return k;
}

// A token of `header` and `payload` (JSON texts, written as given) signed
// by `k`, whatever they say.
inline std::string raw_token(auth::key const& k, std::string_view header,
                             std::string_view payload) {
    std::string t = apikit::base64url::encode(header);
    t += '.';
    apikit::base64url::encode_to(t, payload);
    auto const sig = k.sign(t).value();
    t += '.';
    apikit::base64url::encode_to(t, sig);
    return t;
}

// Claims of an access token made at t0, valid 15 minutes.
inline auth::claims access_claims(std::string sub = "user_1") {
    auth::claims c;
    c.iss = "https://issuer.test";
    c.sub = std::move(sub);
    c.aud = {"api"};
    c.iat = t0;
    c.exp = t0 + 900;
    c.jti = "jti-1";
    c.scope = {"read", "write"};
    return c;
}

inline std::string access_token(auth::key const& k, auth::claims const& c = access_claims()) {
    return auth::sign(k, c, "at+jwt").value();
}

} // namespace tokens_test

#endif
