#ifndef APIKIT_OBS_DETAIL_TRACE_HEX_HPP
#define APIKIT_OBS_DETAIL_TRACE_HEX_HPP

// Lower-case hex for trace context ids and flags, by table: W3C Trace
// Context accepts `0-9a-f` only (an upper-case digit makes a traceparent
// invalid), so decoding is one lookup per character and no case folding.
// Decoding ORs the table's "not a digit" bit of every character and tests it
// once at the end: a valid header, the usual case, has no branch per digit.

#include <array>
#include <cstddef>
#include <cstdint>

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

/// Decodes `2 * N` characters at `in` into `out`; false when one is not a
/// lower-case hex digit (`out` then holds garbage).
template <std::size_t N>
[[nodiscard]] constexpr bool decode_hex(char const* in, std::array<std::uint8_t, N>& out) noexcept {
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
