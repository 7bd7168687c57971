#ifndef APIKIT_CORE_HMAC_HPP
#define APIKIT_CORE_HMAC_HPP

// HMAC-SHA256 (RFC 2104) through OpenSSL's libcrypto: signed cursors today,
// HS256 tokens and webhook signatures later.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <new>
#include <string_view>

namespace apikit {

using sha256_digest = std::array<unsigned char, 32>;

/// HMAC-SHA256 of `data` under `key`.
[[nodiscard]] inline sha256_digest hmac_sha256(std::string_view key, std::string_view data) {
    sha256_digest out{};
    unsigned int len = 0;
    // The one-shot HMAC() is not deprecated in OpenSSL 3 and needs no context
    // object; it fails only on allocation failure.
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<unsigned char const*>(data.data()), data.size(), out.data(),
             &len) == nullptr ||
        len != out.size())
        throw std::bad_alloc();
    return out;
}

[[nodiscard]] inline std::string_view as_string_view(sha256_digest const& d) noexcept {
    return {reinterpret_cast<char const*>(d.data()), d.size()};
}

} // namespace apikit

#endif
