#ifndef APIKIT_AUTH_KEY_HPP
#define APIKIT_AUTH_KEY_HPP

// One signing or verifying key, bound to one algorithm for its whole life
// (RFC 8725 §3.1). A token's `alg` never chooses how a key is used: the
// verifier finds the key by `kid` and asks it to verify; a key made for RS256
// verifies RS256 and nothing else. That is what makes `alg: none` and the
// RS256/HS256 confusion (an RSA public key used as an HMAC secret)
// impossible by construction, not by a check someone could forget.
//
// Keys are checked when they are made, never per token: an HS256 secret has
// at least 32 bytes (RFC 7518 §3.2), an RSA modulus 2048 to 8192 bits and
// its public exponent odd, at least 3 and at most 64 bits (the upper bounds
// cap what one verification can cost), ES256 is P-256, EdDSA is
// Ed25519; any other key is error::invalid_key. Everything OpenSSL can
// prepare is prepared then too: the EVP_PKEY, and a verify context
// (EVP_DigestVerifyInit done once) that each verification copies; an HS256
// key keeps its HMAC's keyed states (hmac_sha256_key), and its MAC is
// compared with constant_time_equal.
//
// Copying the prepared context into a per-thread scratch one, rather than
// EVP_DigestVerifyInit per token, was measured: 10-15 % less per RS256
// check, the same for ES256 and EdDSA (bench/auth_bench.cpp, docs/auth.md).
//
// Threads: a key is an immutable value behind a shared pointer — cheap to
// copy, and usable from any number of threads at once. Each thread signs
// and verifies in scratch contexts of its own; the key's prepared context
// is only read (copying it takes reference counts, which are atomic). A
// moved-from key may only be assigned to or destroyed.
//
// Failures: verify() answers false for every signature that does not
// verify, including one of the wrong length (ES256 and EdDSA signatures are
// 64 bytes, HS256's 32) and on an allocation failure. sign() is
// error::key_cannot_sign for a public key. No secret appears in an error;
// an HS256 key's secret is cleansed from memory when the last copy of the
// key goes (OpenSSL clears a private EVP_PKEY's when it frees it).

#include <apikit/auth/algorithm.hpp>
#include <apikit/auth/detail/jwk.hpp>
#include <apikit/auth/detail/openssl.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/core/constant_time.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/hmac_key.hpp>
#include <apikit/core/random.hpp>

#include <boost/json/object.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::auth {

namespace detail {

inline constexpr std::size_t min_secret_size = 32; // RFC 7518 §3.2: the hash's size
inline constexpr int min_rsa_bits = 2048;          // RFC 7518 §3.3
inline constexpr int max_rsa_bits = 8192;          // bounds a verification's cost
inline constexpr std::size_t hs256_signature = 32; // SHA-256's output
inline constexpr std::size_t curve_signature = 64; // ES256's R || S; Ed25519's R || S

struct key_state {
    algorithm alg = algorithm::hs256;
    bool has_private = false;
    std::string kid;
    std::string secret; // HS256 only; cleansed on destruction
    std::optional<hmac_sha256_key> mac;
    pkey_ptr pkey;
    md_ctx_ptr verify_ctx; // EVP_DigestVerifyInit done once; copied per verification

    key_state() = default;
    key_state(key_state const&) = delete;
    key_state& operator=(key_state const&) = delete;
    ~key_state() { OPENSSL_cleanse(secret.data(), secret.size()); }
};

/// True when `k` is a key `a` may use (see the header comment).
[[nodiscard]] inline bool fits(algorithm a, EVP_PKEY* k) {
    switch (a) {
    case algorithm::hs256:
        return false;
    case algorithm::rs256: {
        if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || EVP_PKEY_get_bits(k) < min_rsa_bits ||
            EVP_PKEY_get_bits(k) > max_rsa_bits)
            return false;
        // e odd and at least 3: with e = 1 a signature is its own message,
        // which anyone can write.
        auto const e = bn_param(k, OSSL_PKEY_PARAM_RSA_E);
        return !e.empty() && e.size() <= max_rsa_exponent_bytes && (e.back() & 1) != 0 &&
               (e.size() > 1 || static_cast<unsigned char>(e[0]) >= 3);
    }
    case algorithm::es256:
        return EVP_PKEY_get_base_id(k) == EVP_PKEY_EC && group_name(k) == "prime256v1";
    case algorithm::eddsa:
        return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519;
    }
    return false;
}

[[nodiscard]] inline EVP_MD const* digest_of(algorithm a) noexcept {
    return a == algorithm::eddsa ? nullptr : EVP_sha256(); // Ed25519 hashes inside
}

} // namespace detail

class key {
public:
    /// HS256 from a secret of at least 32 bytes (RFC 7518 §3.2), else
    /// error::invalid_key. Empty `kid`: the RFC 7638 thumbprint.
    [[nodiscard]] static result<key> from_secret(std::string_view secret, std::string kid) {
        if (secret.size() < detail::min_secret_size)
            return error::invalid_key;
        auto s = std::make_shared<detail::key_state>();
        s->alg = algorithm::hs256;
        s->has_private = true;
        s->secret = secret;
        s->mac.emplace(secret);
        return finish(std::move(s), std::move(kid));
    }

    /// A private key (PKCS#8 or traditional) or a public key (SPKI) in PEM.
    /// Its type must fit `alg` (RSA of 2048–8192 bits for RS256, P-256 for
    /// ES256, Ed25519 for EdDSA; never HS256), else error::invalid_key, as is
    /// an encrypted PEM. Empty `kid`: the RFC 7638 thumbprint.
    [[nodiscard]] static result<key> from_pem(algorithm alg, std::string_view pem,
                                              std::string kid = {}) {
        bool has_private = false;
        auto k = detail::read_pem(pem, has_private);
        if (!k)
            return error::invalid_key;
        return from_pkey(alg, std::move(k), has_private, std::move(kid));
    }

    /// A fresh key: RSA 2048, P-256, Ed25519, or 32 CSPRNG bytes for HS256.
    [[nodiscard]] static result<key> generate(algorithm alg, std::string kid = {}) {
        EVP_PKEY* k = nullptr;
        switch (alg) {
        case algorithm::hs256: {
            std::array<char, detail::min_secret_size> secret{};
            random_bytes(secret.data(), secret.size());
            auto made = from_secret({secret.data(), secret.size()}, std::move(kid));
            OPENSSL_cleanse(secret.data(), secret.size());
            return made;
        }
        case algorithm::rs256:
            k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{detail::min_rsa_bits});
            break;
        case algorithm::es256:
            k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
        case algorithm::eddsa:
            k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
            break;
        }
        if (!detail::cleared(k != nullptr))
            return make_error_code(errc::internal_error);
        return from_pkey(alg, detail::pkey_ptr(k), true, std::move(kid));
    }

    /// One JWK (RFC 7517, RFC 7518 §6, RFC 8037 §2): kty RSA, EC (crv
    /// P-256), OKP (crv Ed25519) or oct (HS256, from `k`). `alg`, if
    /// present, must name the algorithm of the key type; `use`, if present,
    /// must be "sig"; `key_ops`, if present, must hold "verify" or "sign".
    /// Private members (d, and p q dp dq qi for RSA) make a signing key, and
    /// must match the public ones. No `kid`: the RFC 7638 thumbprint.
    [[nodiscard]] static result<key> from_jwk(boost::json::object const& jwk) {
        detail::imported_jwk in;
        if (!detail::import_jwk(jwk, in))
            return error::invalid_key;
        if (in.alg == algorithm::hs256) {
            auto made = from_secret(in.secret, std::move(in.kid));
            OPENSSL_cleanse(in.secret.data(), in.secret.size());
            return made;
        }
        return from_pkey(in.alg, std::move(in.pkey), in.has_private, std::move(in.kid));
    }

    [[nodiscard]] algorithm alg() const noexcept { return s_->alg; }
    [[nodiscard]] std::string_view kid() const noexcept { return s_->kid; }
    /// Holds a private key (an HS256 key always does).
    [[nodiscard]] bool can_sign() const noexcept { return s_->has_private; }
    /// HS256: its key is a secret, never published (public_jwk() is empty).
    [[nodiscard]] bool is_symmetric() const noexcept { return s_->alg == algorithm::hs256; }

    /// The JOSE signature of `signing_input` (raw bytes: 32 for HS256, the
    /// modulus's size for RS256, 64 for ES256 as R || S and for EdDSA).
    [[nodiscard]] result<std::string> sign(std::string_view signing_input) const {
        auto const& s = *s_;
        if (!s.has_private)
            return error::key_cannot_sign;
        std::string sig;
        switch (s.alg) {
        case algorithm::hs256:
            return std::string(as_string_view(s.mac->sign(signing_input)));
        case algorithm::rs256:
        case algorithm::eddsa:
            sig = detail::digest_sign(s.pkey.get(), detail::digest_of(s.alg), signing_input);
            break;
        case algorithm::es256:
            sig = detail::es256_raw(
                detail::digest_sign(s.pkey.get(), detail::digest_of(s.alg), signing_input));
            break;
        }
        if (sig.empty())
            return make_error_code(errc::internal_error);
        return sig;
    }

    /// True when `signature` is this key's signature of `signing_input`.
    /// HS256 compares in constant time; the others verify with the context
    /// prepared when the key was made.
    [[nodiscard]] bool verify(std::string_view signing_input,
                              std::string_view signature) const noexcept {
        auto const& s = *s_;
        switch (s.alg) {
        case algorithm::hs256:
            if (signature.size() != detail::hs256_signature)
                return false;
            try {
                return constant_time_equal(as_string_view(s.mac->sign(signing_input)), signature);
            } catch (...) {
                return false;
            }
        case algorithm::rs256:
            return detail::digest_verify(s.verify_ctx.get(), signing_input,
                                         detail::bytes(signature), signature.size());
        case algorithm::es256: {
            if (signature.size() != detail::curve_signature)
                return false;
            std::array<unsigned char, 72> der;
            auto const n = detail::es256_der(signature, der.data());
            return detail::digest_verify(s.verify_ctx.get(), signing_input, der.data(), n);
        }
        case algorithm::eddsa:
            if (signature.size() != detail::curve_signature)
                return false;
            return detail::digest_verify(s.verify_ctx.get(), signing_input,
                                         detail::bytes(signature), signature.size());
        }
        return false;
    }

    /// The public JWK: {kty, kid, alg, use: "sig"} and n, e (RSA), crv,
    /// x, y (EC) or crv, x (OKP). Empty for HS256, whose key is its secret.
    [[nodiscard]] boost::json::object public_jwk() const {
        if (is_symmetric())
            return {};
        return jwk(false);
    }

    /// The whole JWK, private members too (d, p, q, dp, dq, qi; d; k for
    /// HS256): for storing a key, never for publishing it. A public key's is
    /// its public_jwk().
    [[nodiscard]] boost::json::object private_jwk() const { return jwk(true); }

    /// PKCS#8 PEM of the private key; empty for a public key and for HS256.
    [[nodiscard]] std::string private_pem() const {
        return s_->pkey && s_->has_private ? detail::write_pem(s_->pkey.get(), true)
                                           : std::string();
    }

    /// SPKI PEM of the public key; empty for HS256.
    [[nodiscard]] std::string public_pem() const {
        return s_->pkey ? detail::write_pem(s_->pkey.get(), false) : std::string();
    }

private:
    explicit key(std::shared_ptr<detail::key_state const> s) noexcept : s_(std::move(s)) {}

    [[nodiscard]] static result<key> from_pkey(algorithm alg, detail::pkey_ptr k, bool has_private,
                                               std::string kid) {
        if (!detail::fits(alg, k.get()))
            return error::invalid_key;
        auto s = std::make_shared<detail::key_state>();
        s->alg = alg;
        s->has_private = has_private;
        s->verify_ctx = detail::prepare_verify(k.get(), detail::digest_of(alg));
        if (!s->verify_ctx)
            return error::invalid_key;
        s->pkey = std::move(k);
        return finish(std::move(s), std::move(kid));
    }

    [[nodiscard]] static result<key> finish(std::shared_ptr<detail::key_state> s, std::string kid) {
        s->kid =
            kid.empty()
                ? detail::thumbprint(detail::required_members(s->alg, s->pkey.get(), s->secret))
                : std::move(kid);
        return key(std::move(s));
    }

    [[nodiscard]] boost::json::object jwk(bool with_private) const {
        auto const& s = *s_;
        boost::json::object o;
        auto members = detail::required_members(s.alg, s.pkey.get(), s.secret);
        o["kty"] = detail::kty_of(s.alg);
        o["kid"] = s.kid;
        o["alg"] = name(s.alg);
        o["use"] = "sig";
        auto put = [&](std::vector<detail::jwk_member>& ms) {
            for (auto& m : ms) {
                if (m.name != "kty" && (m.name != "k" || with_private))
                    o[m.name] = m.value;
                OPENSSL_cleanse(m.value.data(), m.value.size());
            }
        };
        put(members);
        if (with_private && s.pkey && s.has_private) {
            auto priv = detail::private_members(s.alg, s.pkey.get());
            put(priv);
        }
        return o;
    }

    std::shared_ptr<detail::key_state const> s_;
};

} // namespace apikit::auth

#endif
