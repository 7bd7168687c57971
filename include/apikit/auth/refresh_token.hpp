#ifndef APIKIT_AUTH_REFRESH_TOKEN_HPP
#define APIKIT_AUTH_REFRESH_TOKEN_HPP

// The refresh token as text: opaque, random, and stored only as a hash.
//
//     <family>.<secret>      e.g.  Qm9Kx2…(22).hT1s…(43)
//
// The family is 16 bytes and the secret 32 bytes from apikit::random_bytes
// (OpenSSL's CSPRNG), each in unpadded base64url (RFC 4648 §5): 22 + 1 + 43
// = 66 characters, all of them cookie-octets and token68, so the token goes
// into a cookie or a header unquoted. The family names one login: every
// token a rotation hands out keeps it and gets a fresh secret, so a reused
// token can revoke the whole chain (OAuth 2.0 Security BCP, RFC 9700
// §4.14.2).
//
// Parsing is strict: exactly 22 characters, '.', exactly 43 characters, the
// base64url alphabet only, no padding, and the unused low bits of each part's
// last character zero — one spelling per token, so nothing that is not a
// token this code minted reaches a store, and a refused text costs nothing
// but the check.
//
// What a store keeps is refresh_token_hash(secret): SHA-256 of the secret's
// 43 characters, 32 raw bytes. Never the token, never the secret: a copy of
// the store (a backup, a Redis replica, a memory dump) hands out no token
// that works. A fast hash is enough — 256 random bits cannot be guessed, so
// a slow KDF would only slow the server — and comparing hashes needs no
// constant time to hide the secret, but the stores compare with
// apikit::constant_time_equal anyway where they compare in C++.
//
// Pure functions: any thread, no clock, no I/O. random_bytes throws
// std::runtime_error if the CSPRNG fails; nothing else here fails.

#include <apikit/core/base64url.hpp>
#include <apikit/core/random.hpp>

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <new>
#include <optional>
#include <string>
#include <string_view>

namespace apikit::auth {

/// Random bytes in a family id and in a secret.
inline constexpr std::size_t refresh_family_bytes = 16;
inline constexpr std::size_t refresh_secret_bytes = 32;
/// Their lengths in base64url, and the whole token's.
inline constexpr std::size_t refresh_family_size = base64url::encoded_size(refresh_family_bytes);
inline constexpr std::size_t refresh_secret_size = base64url::encoded_size(refresh_secret_bytes);
inline constexpr std::size_t refresh_token_size = refresh_family_size + 1 + refresh_secret_size;
/// The size of refresh_token_hash(): a SHA-256 digest.
inline constexpr std::size_t refresh_hash_size = 32;

static_assert(refresh_family_size == 22 && refresh_secret_size == 43 && refresh_token_size == 66);

/// The two parts of a token, as views into its text.
struct refresh_token_parts {
    std::string_view family;
    std::string_view secret;
};

namespace detail {

// `n` random bytes in base64url.
[[nodiscard]] inline std::string random_base64url(std::size_t n) {
    std::array<char, refresh_secret_bytes> bytes{};
    random_bytes(bytes.data(), n);
    auto text = base64url::encode(std::string_view(bytes.data(), n));
    bytes.fill(0);
    return text;
}

// True when `text` is the one unpadded base64url spelling of `bytes` bytes.
[[nodiscard]] inline bool is_base64url_of(std::string_view text, std::size_t bytes) {
    if (text.size() != base64url::encoded_size(bytes))
        return false;
    auto const decoded = base64url::decode(text);
    return decoded && decoded->size() == bytes;
}

} // namespace detail

/// A fresh family id: 16 random bytes, 22 characters.
[[nodiscard]] inline std::string new_refresh_family() {
    return detail::random_base64url(refresh_family_bytes);
}

/// A fresh token of `family` (a new login's, or the next of a rotation):
/// `family` '.' 32 random bytes. `family` should be one parse accepts.
[[nodiscard]] inline std::string new_refresh_token(std::string_view family) {
    std::string token;
    token.reserve(refresh_token_size);
    token.append(family).append(".").append(detail::random_base64url(refresh_secret_bytes));
    return token;
}

/// The family and secret of `text`, or std::nullopt when it is not exactly
/// a token of this format.
[[nodiscard]] inline std::optional<refresh_token_parts> parse_refresh_token(std::string_view text) {
    if (text.size() != refresh_token_size || text[refresh_family_size] != '.')
        return std::nullopt;
    refresh_token_parts parts{text.substr(0, refresh_family_size),
                              text.substr(refresh_family_size + 1)};
    if (!detail::is_base64url_of(parts.family, refresh_family_bytes) ||
        !detail::is_base64url_of(parts.secret, refresh_secret_bytes))
        return std::nullopt;
    return parts;
}

/// What a store keeps of a secret: its SHA-256, 32 raw bytes. Throws
/// std::bad_alloc if OpenSSL cannot digest (out of memory).
[[nodiscard]] inline std::string refresh_token_hash(std::string_view secret) {
    std::string out(refresh_hash_size, '\0');
    unsigned int len = 0;
    if (EVP_Digest(secret.data(), secret.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                   EVP_sha256(), nullptr) != 1 ||
        len != refresh_hash_size)
        throw std::bad_alloc();
    return out;
}

} // namespace apikit::auth

#endif
