#ifndef APIKIT_AUTH_ERROR_HPP
#define APIKIT_AUTH_ERROR_HPP

// Why a token, a key, a refresh token or a login was refused: the auth
// area's codes, in a category of their own ("apikit.auth"). They say more
// than apikit::errc can — an operator reading a log wants to know that a
// token expired rather than was forged — while a client is answered with
// only the errc of its row: 401 `unauthorized` for every token that does not
// verify (RFC 6750 `invalid_token`: the reason is not the client's business,
// and telling it helps an attacker), 403 `forbidden` for a missing scope.
//
// The table below is the one place that maps them. Everything here is
// constant and safe from any thread. No Beast, no Asio.

#include <apikit/core/error.hpp>
#include <apikit/core/error_category.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace apikit::auth {

enum class error : int {
    // A bearer token that does not verify: 401, `invalid_token`.
    malformed = 1,   ///< not three base64url parts of JSON objects, or a claim of the wrong type
    token_too_large, ///< longer than the verifier's maximum: refused before any parsing
    unsupported_algorithm, ///< `alg` is none of HS256, RS256, ES256, EdDSA/Ed25519 (`none`
                           ///< included)
    algorithm_mismatch,    ///< `alg` is not the algorithm the key named by `kid` is bound to
    unknown_key,           ///< no key has this `kid` (after the one reload a source may allow)
    bad_signature,         ///< the signature does not match the header and payload
    expired,               ///< now is not before `exp` + leeway
    not_yet_valid,         ///< now is before `nbf` − leeway
    issued_in_future,      ///< `iat` is after now + leeway
    wrong_type,            ///< `typ` is not the one required (`at+jwt` for access tokens)
    wrong_issuer,          ///< `iss` is not the verifier's issuer
    wrong_audience,        ///< no `aud` is one the verifier accepts
    missing_claim,         ///< a required claim is absent

    // Who is asking, and may they.
    missing_token,       ///< no bearer token where one is required: 401, `WWW-Authenticate: Bearer`
    insufficient_scope,  ///< the token lacks the route's scope: 403, `insufficient_scope`
    invalid_credentials, ///< login: no such email, or a wrong password (never said which)

    // Refresh tokens (the cookie): 401.
    refresh_invalid, ///< not a refresh token this server issued, or its family expired or was
                     ///< revoked
    refresh_reused,  ///< a refresh token already rotated was presented again: its family is revoked

    // Keys and key sets, at set-up or on a JWKS reload: the server's, not the client's.
    invalid_key,     ///< a PEM, a JWK or a secret that is not a usable key for its algorithm
    invalid_jwks,    ///< a JWKS document that is not a JSON object with a "keys" array of JWKs
    key_cannot_sign, ///< signing with a key that holds only a public key

    // Passwords (password.hpp).
    password_too_long, ///< hashing a password longer than the KDF is given: 422, naming `password`
    invalid_password_params, ///< KDF parameters outside what one check may cost: the server's
                             ///< config
};

} // namespace apikit::auth

/// auth::error's table: each code's message (for logs, never for clients)
/// and the apikit::errc a client is answered with.
template <>
struct apikit::error_table<apikit::auth::error> {
    using error = auth::error;
    static constexpr char const* name = "apikit.auth";
    static constexpr std::uint64_t id = 0x3c91e57a0d4b28f6;
    static constexpr std::string_view unknown = "auth: unknown error";
    static constexpr std::array<error_row<error>, 23> rows{{
        {error::malformed, "auth: the token is malformed", errc::unauthorized},
        {error::token_too_large, "auth: the token is longer than the verifier accepts",
         errc::unauthorized},
        {error::unsupported_algorithm, "auth: the token's algorithm is not supported",
         errc::unauthorized},
        {error::algorithm_mismatch, "auth: the token's algorithm is not its key's",
         errc::unauthorized},
        {error::unknown_key, "auth: no key has the token's kid", errc::unauthorized},
        {error::bad_signature, "auth: the token's signature does not verify", errc::unauthorized},
        {error::expired, "auth: the token has expired", errc::unauthorized},
        {error::not_yet_valid, "auth: the token is not valid yet (nbf)", errc::unauthorized},
        {error::issued_in_future, "auth: the token was issued in the future (iat)",
         errc::unauthorized},
        {error::wrong_type, "auth: the token's typ is not the one required", errc::unauthorized},
        {error::wrong_issuer, "auth: the token's issuer is not accepted", errc::unauthorized},
        {error::wrong_audience, "auth: the token is not for this audience", errc::unauthorized},
        {error::missing_claim, "auth: the token lacks a required claim", errc::unauthorized},
        {error::missing_token, "auth: no bearer token", errc::unauthorized},
        {error::insufficient_scope, "auth: the token lacks the scope this needs", errc::forbidden},
        {error::invalid_credentials, "auth: wrong email or password", errc::unauthorized},
        {error::refresh_invalid, "auth: the refresh token is unknown, expired or revoked",
         errc::unauthorized},
        {error::refresh_reused,
         "auth: a rotated refresh token was presented again; its family is revoked",
         errc::unauthorized},
        {error::invalid_key, "auth: not a usable key for its algorithm", errc::internal_error},
        {error::invalid_jwks, "auth: not a JWKS document", errc::internal_error},
        {error::key_cannot_sign, "auth: the key holds no private key to sign with",
         errc::internal_error},
        {error::password_too_long, "auth: the password is longer than a password may be",
         errc::validation_error},
        {error::invalid_password_params,
         "auth: the password KDF's parameters are outside the accepted bounds",
         errc::internal_error},
    }};
};

namespace apikit::auth {

/// The category of `auth::error`; its name is "apikit.auth".
[[nodiscard]] inline boost::system::error_category const& error_category() noexcept {
    return error_category_of<error>();
}

using apikit::make_error_code;

} // namespace apikit::auth

#endif
