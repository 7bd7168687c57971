#ifndef APIKIT_AUTH_ALGORITHM_HPP
#define APIKIT_AUTH_ALGORITHM_HPP

// The JWS algorithms apikit signs and verifies (RFC 7518 §3.1, RFC 8037):
// HS256, RS256, ES256 and EdDSA over Ed25519 — the four every JOSE library
// speaks, one per family. The list is closed on purpose (RFC 8725 §3.2:
// "use appropriate algorithms"): no `none`, no HS384/RS512 variants that add
// choice without adding security, no RSA-PSS until a peer needs it.
//
// `parse_algorithm` reads a token header's `alg`. "none" never parses, in
// any case, so a token cannot talk its way out of a signature; "Ed25519"
// (RFC 9864, the fully specified name) parses as eddsa, as "EdDSA" does.
// Names are compared exactly: JOSE algorithm names are case-sensitive.
//
// Everything here is constexpr and safe from any thread.

#include <cstdint>
#include <optional>
#include <string_view>

namespace apikit::auth {

enum class algorithm : std::uint8_t {
    hs256, ///< HMAC-SHA256 under a shared secret of at least 32 bytes
    rs256, ///< RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of at least 2048 bits
    es256, ///< ECDSA over P-256 with SHA-256; the signature is 64 bytes R || S
    eddsa, ///< Ed25519 (RFC 8032); deterministic
};

/// The JOSE name of `a`: "HS256", "RS256", "ES256", "EdDSA".
[[nodiscard]] constexpr std::string_view name(algorithm a) noexcept {
    switch (a) {
    case algorithm::hs256:
        return "HS256";
    case algorithm::rs256:
        return "RS256";
    case algorithm::es256:
        return "ES256";
    case algorithm::eddsa:
        return "EdDSA";
    }
    return "";
}

/// The algorithm a header's `alg` names; std::nullopt for "none" and for
/// every name apikit does not implement.
[[nodiscard]] constexpr std::optional<algorithm> parse_algorithm(std::string_view s) noexcept {
    for (auto const a : {algorithm::hs256, algorithm::rs256, algorithm::es256, algorithm::eddsa})
        if (s == name(a))
            return a;
    if (s == "Ed25519") // RFC 9864 §2.2: the fully specified name of EdDSA over Ed25519
        return algorithm::eddsa;
    return std::nullopt;
}

} // namespace apikit::auth

#endif
