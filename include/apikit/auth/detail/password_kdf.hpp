#ifndef APIKIT_AUTH_DETAIL_PASSWORD_KDF_HPP
#define APIKIT_AUTH_DETAIL_PASSWORD_KDF_HPP

// The two password KDFs through OpenSSL 3's EVP_KDF API (EVP_KDF-SCRYPT(7),
// EVP_KDF-PBKDF2(7)), and the PHC string format's base64 (the standard
// alphabet without padding). The callers (password.hpp) bound the
// parameters first; these only run them.
//
// Each EVP_KDF is fetched once per process and shared (OpenSSL's fetched
// algorithms may be used from any thread); each derivation makes a context
// of its own, so any number of threads derive at once. A derivation that
// fails (memory refused, an OpenSSL without scrypt) returns false and leaves
// no error on OpenSSL's per-thread error queue for the next caller to find.

#include <apikit/core/base64url.hpp>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::auth::detail {

struct evp_kdf_ctx_free {
    void operator()(EVP_KDF_CTX* ctx) const noexcept { EVP_KDF_CTX_free(ctx); }
};

// The fetched algorithm, once per process; never freed (it lives as long as
// OpenSSL's default library context). Null when OpenSSL lacks it.
[[nodiscard]] inline EVP_KDF* password_scrypt_kdf() noexcept {
    static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_SCRYPT, nullptr);
    return kdf;
}

[[nodiscard]] inline EVP_KDF* password_pbkdf2_kdf() noexcept {
    static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_PBKDF2, nullptr);
    return kdf;
}

// An octet-string parameter. OpenSSL tells an empty password from a missing
// one by the pointer, so an empty view still points somewhere.
[[nodiscard]] inline OSSL_PARAM password_octets(char const* name, std::string_view bytes) noexcept {
    static char empty = 0;
    void* data = bytes.empty() ? &empty : const_cast<char*>(bytes.data());
    return OSSL_PARAM_construct_octet_string(name, data, bytes.size());
}

[[nodiscard]] inline bool password_derive(EVP_KDF* kdf, OSSL_PARAM const* params,
                                          unsigned char* out, std::size_t out_size) noexcept {
    if (kdf == nullptr) {
        ERR_clear_error();
        return false;
    }
    std::unique_ptr<EVP_KDF_CTX, evp_kdf_ctx_free> ctx(EVP_KDF_CTX_new(kdf));
    if (ctx && EVP_KDF_derive(ctx.get(), out, out_size, params) == 1)
        return true;
    ERR_clear_error();
    return false;
}

/// scrypt (RFC 7914) of `password` and `salt` into out[0, out_size).
[[nodiscard]] inline bool scrypt_derive(std::string_view password, std::string_view salt,
                                        std::uint64_t n, std::uint64_t r, std::uint64_t p,
                                        unsigned char* out, std::size_t out_size) noexcept {
    // What scrypt allocates: V (128·r·(N+2) bytes, OpenSSL's count) and B
    // (128·r·p). Given exactly, so OpenSSL's own default ceiling (1 GiB)
    // never decides for us.
    std::uint64_t maxmem = 128 * r * (n + 2) + 128 * r * p;
    OSSL_PARAM const params[] = {
        password_octets(OSSL_KDF_PARAM_PASSWORD, password),
        password_octets(OSSL_KDF_PARAM_SALT, salt),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    return password_derive(password_scrypt_kdf(), params, out, out_size);
}

/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of `password` and `salt`.
[[nodiscard]] inline bool pbkdf2_sha256_derive(std::string_view password, std::string_view salt,
                                               std::uint64_t iterations, unsigned char* out,
                                               std::size_t out_size) noexcept {
    static char digest[] = "SHA256";
    OSSL_PARAM const params[] = {
        password_octets(OSSL_KDF_PARAM_PASSWORD, password),
        password_octets(OSSL_KDF_PARAM_SALT, salt),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iterations),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    return password_derive(password_pbkdf2_kdf(), params, out, out_size);
}

/// Appends the PHC format's base64 of `bytes`: RFC 4648 §4's alphabet
/// (`+` `/`), no padding.
inline void phc_base64_append(std::string& out, std::string_view bytes) {
    auto const start = out.size();
    base64url::encode_to(out, bytes);
    for (auto i = start; i < out.size(); ++i) {
        if (out[i] == '-')
            out[i] = '+';
        else if (out[i] == '_')
            out[i] = '/';
    }
}

/// The bytes of a PHC base64 field; nullopt for any other spelling (the
/// URL-safe characters, padding, stray bits), so one hash has one string.
[[nodiscard]] inline std::optional<std::string> phc_base64_decode(std::string_view text) {
    std::string url(text);
    for (char& c : url) {
        if (c == '+')
            c = '-';
        else if (c == '/')
            c = '_';
        else if (c == '-' || c == '_' || c == '=')
            return std::nullopt;
    }
    auto bytes = base64url::decode(url);
    if (!bytes)
        return std::nullopt;
    return std::move(*bytes);
}

} // namespace apikit::auth::detail

#endif
