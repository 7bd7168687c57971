#ifndef APIKIT_OBS_DETAIL_TRACE_HEX_HPP
#define APIKIT_OBS_DETAIL_TRACE_HEX_HPP

// Lower-case hex for trace context ids and flags: W3C Trace Context accepts
// `0-9a-f` only (an upper-case digit makes a traceparent invalid), so there
// is no case folding. Every request with a traceparent decodes 26 bytes and
// encodes as many, so the ids go 8 characters at a time in a 64-bit word
// (SWAR: each byte compared and converted in its own lane, no carry between
// lanes); single bytes, and constant evaluation, go by table. Either way the
// validity of every character is gathered and tested once at the end: a
// valid header, the usual case, has no branch per digit.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace apikit::obs::detail {

// The value of a lower-case hex digit, or 0x10 for any other byte.
inline constexpr std::uint8_t not_hex = 0x10;
inline constexpr auto hex_value = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t)
        v = not_hex;
    for (unsigned c = '0'; c <= '9'; ++c)
        t[c] = static_cast<std::uint8_t>(c - '0');
    for (unsigned c = 'a'; c <= 'f'; ++c)
        t[c] = static_cast<std::uint8_t>(c - 'a' + 10);
    return t;
}();

inline constexpr char hex_digits[] = "0123456789abcdef";

inline constexpr std::uint64_t lanes_low = 0x0101010101010101u;
inline constexpr std::uint64_t lanes_high = 0x8080808080808080u;

// The high bit of each lane whose byte is >= n; for bytes below 0x80 (the
// caller checks) and n <= 0x80: `| lanes_high` keeps every lane from
// borrowing from its neighbour.
[[nodiscard]] constexpr std::uint64_t lanes_at_least(std::uint64_t x, std::uint8_t n) noexcept {
    return ((x | lanes_high) - n * lanes_low) & lanes_high;
}

// 8 characters into 4 bytes; false when one is not a lower-case hex digit.
[[nodiscard]] inline bool decode_hex_word(char const* in, std::uint8_t* out) noexcept {
    std::uint64_t x;
    std::memcpy(&x, in, sizeof x);
    auto const digit = lanes_at_least(x, '0') & ~lanes_at_least(x, '9' + 1);
    auto const letter = lanes_at_least(x, 'a') & ~lanes_at_least(x, 'f' + 1);
    bool const ok = ((digit | letter) == lanes_high) & ((x & lanes_high) == 0);
    // '0'-'9' are 0x30-0x39, 'a'-'f' 0x61-0x66: the low nibble, plus 9 for a letter.
    auto const nibbles = (x & (0x0f * lanes_low)) + (letter >> 7) * 9;
    // Lane 2j takes its nibble high and lane 2j+1's low; then the even lanes close up.
    auto t = ((nibbles << 4) | (nibbles >> 8)) & 0x00ff00ff00ff00ffu;
    t = (t | (t >> 8)) & 0x0000ffff0000ffffu;
    t = (t | (t >> 16)) & 0x00000000ffffffffu;
    auto const bytes = static_cast<std::uint32_t>(t);
    std::memcpy(out, &bytes, sizeof bytes);
    return ok;
}

// 4 bytes into 8 characters.
inline void encode_hex_word(std::uint8_t const* in, char* out) noexcept {
    std::uint32_t bytes;
    std::memcpy(&bytes, in, sizeof bytes);
    std::uint64_t u = bytes;
    // Byte j to lane 2j, then its high nibble stays and its low one moves up a lane.
    u = (u | (u << 16)) & 0x0000ffff0000ffffu;
    u = (u | (u << 8)) & 0x00ff00ff00ff00ffu;
    auto const n = ((u >> 4) & 0x000f000f000f000fu) | ((u & 0x000f000f000f000fu) << 8);
    auto const letter = ((n + 0x76 * lanes_low) & lanes_high) >> 7; // 1 where n >= 10
    auto const chars = n + '0' * lanes_low + letter * ('a' - '0' - 10);
    std::memcpy(out, &chars, sizeof chars);
}

inline constexpr bool words_ok = std::endian::native == std::endian::little;

/// Decodes `2 * N` characters at `in` into `out`; false when one is not a
/// lower-case hex digit (`out` then holds garbage).
template <std::size_t N>
[[nodiscard]] constexpr bool decode_hex(char const* in, std::array<std::uint8_t, N>& out) noexcept {
    if constexpr (words_ok && N % 4 == 0) {
        if (!std::is_constant_evaluated()) {
            bool ok = true;
            for (std::size_t i = 0; i < N; i += 4)
                ok &= decode_hex_word(in + 2 * i, out.data() + i);
            return ok;
        }
    }
    unsigned bad = 0;
    for (std::size_t i = 0; i < N; ++i) {
        auto const hi = hex_value[static_cast<unsigned char>(in[2 * i])];
        auto const lo = hex_value[static_cast<unsigned char>(in[2 * i + 1])];
        bad |= hi | lo;
        out[i] = static_cast<std::uint8_t>((hi << 4) | (lo & 0x0f));
    }
    return (bad & not_hex) == 0;
}

/// One byte from two characters; false when either is not a lower-case hex digit.
[[nodiscard]] constexpr bool decode_hex_byte(char const* in, std::uint8_t& out) noexcept {
    auto const hi = hex_value[static_cast<unsigned char>(in[0])];
    auto const lo = hex_value[static_cast<unsigned char>(in[1])];
    out = static_cast<std::uint8_t>((hi << 4) | (lo & 0x0f));
    return ((hi | lo) & not_hex) == 0;
}

/// Writes `2 * N` lower-case hex characters at `out`.
template <std::size_t N>
constexpr void encode_hex(std::array<std::uint8_t, N> const& in, char* out) noexcept {
    if constexpr (words_ok && N % 4 == 0) {
        if (!std::is_constant_evaluated()) {
            for (std::size_t i = 0; i < N; i += 4)
                encode_hex_word(in.data() + i, out + 2 * i);
            return;
        }
    }
    for (std::size_t i = 0; i < N; ++i) {
        out[2 * i] = hex_digits[in[i] >> 4];
        out[2 * i + 1] = hex_digits[in[i] & 0x0f];
    }
}

constexpr void encode_hex_byte(std::uint8_t in, char* out) noexcept {
    out[0] = hex_digits[in >> 4];
    out[1] = hex_digits[in & 0x0f];
}

/// True when every byte is zero: no branch per byte.
template <std::size_t N>
[[nodiscard]] constexpr bool all_zero(std::array<std::uint8_t, N> const& bytes) noexcept {
    unsigned any = 0;
    for (auto const b : bytes)
        any |= b;
    return any == 0;
}

} // namespace apikit::obs::detail

#endif
