#ifndef APIKIT_CORE_SIPHASH_HPP
#define APIKIT_CORE_SIPHASH_HPP

// SipHash (Aumasson & Bernstein), a keyed 64-bit hash. A table keyed by text
// that outsiders choose (client IPs, user ids, cache keys) must not let them
// pick keys that collide: with a secret random key, finding a collision is as
// hard as guessing the key. SipHash-1-3 is the variant hash tables use (Rust's
// HashMap, CPython); SipHash-2-4 is the paper's, kept for its test vectors.

#include <apikit/core/random.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace apikit {

/// The 128-bit secret of a SipHash instance.
struct siphash_key {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;

    /// A fresh key from the CSPRNG.
    [[nodiscard]] static siphash_key random() {
        siphash_key k;
        random_bytes(&k, sizeof k);
        return k;
    }
};

namespace detail {

[[nodiscard]] inline std::uint64_t load_le64(unsigned char const* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big)
        v = __builtin_bswap64(v);
    return v;
}

struct sip_state {
    std::uint64_t v0, v1, v2, v3;

    void round() noexcept {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }
};

} // namespace detail

/// SipHash-c-d of `data` under `key`.
template <int CompressionRounds, int FinalizationRounds>
[[nodiscard]] std::uint64_t siphash(siphash_key const& key, std::string_view data) noexcept {
    detail::sip_state s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
                        key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
    auto const* p = reinterpret_cast<unsigned char const*>(data.data());
    std::size_t const n = data.size();
    std::size_t const whole = n & ~std::size_t{7};
    for (std::size_t i = 0; i < whole; i += 8) {
        std::uint64_t const m = detail::load_le64(p + i);
        s.v3 ^= m;
        for (int r = 0; r < CompressionRounds; ++r)
            s.round();
        s.v0 ^= m;
    }
    // The last block holds the remaining bytes and, in its top byte, the length.
    std::uint64_t b = static_cast<std::uint64_t>(n) << 56;
    for (std::size_t i = 0; i < n - whole; ++i)
        b |= static_cast<std::uint64_t>(p[whole + i]) << (8 * i);
    s.v3 ^= b;
    for (int r = 0; r < CompressionRounds; ++r)
        s.round();
    s.v0 ^= b;
    s.v2 ^= 0xff;
    for (int r = 0; r < FinalizationRounds; ++r)
        s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/// SipHash-1-3: the variant for hash tables.
[[nodiscard]] inline std::uint64_t siphash13(siphash_key const& key,
                                             std::string_view data) noexcept {
    return siphash<1, 3>(key, data);
}

/// SipHash-2-4: the variant of the paper and its test vectors.
[[nodiscard]] inline std::uint64_t siphash24(siphash_key const& key,
                                             std::string_view data) noexcept {
    return siphash<2, 4>(key, data);
}

} // namespace apikit

#endif
