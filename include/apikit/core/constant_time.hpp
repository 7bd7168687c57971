#ifndef APIKIT_CORE_CONSTANT_TIME_HPP
#define APIKIT_CORE_CONSTANT_TIME_HPP

// Comparing a secret (a MAC, a token hash) with memcmp or == leaks, through
// timing, how many leading bytes matched. These compare in time that depends
// only on the lengths, which are public (a MAC's length is fixed by its
// algorithm).

#include <openssl/crypto.h>

#include <string_view>

namespace apikit {

/// True when `a` and `b` are equal; the time taken depends on their lengths only.
[[nodiscard]] inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    // CRYPTO_memcmp is OpenSSL's comparison that the optimizer cannot shortcut.
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace apikit

#endif
