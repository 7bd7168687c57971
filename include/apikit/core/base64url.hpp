#ifndef APIKIT_CORE_BASE64URL_HPP
#define APIKIT_CORE_BASE64URL_HPP

// Strict base64url (RFC 4648 §5). Strict means a decoder accepts one spelling
// per byte string: only the URL-safe alphabet, no white space, padding either
// absent or exactly right, and the unused low bits of the last character zero.
// Tokens and cursors are compared and signed as text, so a lenient decoder
// would let two different strings carry the same bytes.

#include <apikit/core/error.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace apikit::base64url {

enum class padding : bool { omit, include };

namespace detail {

inline constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline constexpr std::array<std::int8_t, 256> reverse = [] {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}();

} // namespace detail

/// The length of the encoding of `n` bytes.
[[nodiscard]] constexpr std::size_t encoded_size(std::size_t n,
                                                 padding p = padding::omit) noexcept {
    return p == padding::include ? (n + 2) / 3 * 4 : n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/// Appends the encoding of `bytes` to `out`.
inline void encode_to(std::string& out, std::string_view bytes, padding p = padding::omit) {
    auto const start = out.size();
    out.resize(start + encoded_size(bytes.size(), p));
    char* o = out.data() + start;
    auto const* in = reinterpret_cast<unsigned char const*>(bytes.data());
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t const v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
        *o++ = detail::alphabet[(v >> 18) & 63];
        *o++ = detail::alphabet[(v >> 12) & 63];
        *o++ = detail::alphabet[(v >> 6) & 63];
        *o++ = detail::alphabet[v & 63];
    }
    auto const rest = bytes.size() - i;
    if (rest == 0)
        return;
    std::uint32_t v = in[i] << 16;
    if (rest == 2)
        v |= in[i + 1] << 8;
    *o++ = detail::alphabet[(v >> 18) & 63];
    *o++ = detail::alphabet[(v >> 12) & 63];
    if (rest == 2)
        *o++ = detail::alphabet[(v >> 6) & 63];
    if (p == padding::include) {
        *o++ = '=';
        if (rest == 1)
            *o++ = '=';
    }
}

[[nodiscard]] inline std::string encode(std::string_view bytes, padding p = padding::omit) {
    std::string out;
    encode_to(out, bytes, p);
    return out;
}

/// Decodes `text`, with or without its padding. Any other spelling — a
/// character outside the alphabet, a stray or partial `=`, a length no
/// encoding has, non-zero unused bits — is `errc::malformed_request`.
[[nodiscard]] inline result<std::string> decode(std::string_view text) {
    auto const bad = make_error_code(errc::malformed_request);
    if (text.size() % 4 == 0 && !text.empty() && text.back() == '=') {
        text.remove_suffix(1);
        if (text.back() == '=')
            text.remove_suffix(1);
        if (text.size() % 4 == 1 || text.size() % 4 == 0)
            return bad; // the padding did not complete a quantum
    }
    if (text.size() % 4 == 1)
        return bad; // one character carries 6 bits: less than a byte
    std::string out;
    out.resize(text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1));
    char* o = out.data();
    auto const* in = reinterpret_cast<unsigned char const*>(text.data());
    std::size_t i = 0;
    for (; i + 4 <= text.size(); i += 4) {
        int const a = detail::reverse[in[i]], b = detail::reverse[in[i + 1]],
                  c = detail::reverse[in[i + 2]], d = detail::reverse[in[i + 3]];
        if ((a | b | c | d) < 0)
            return bad;
        std::uint32_t const v = (a << 18) | (b << 12) | (c << 6) | d;
        *o++ = static_cast<char>(v >> 16);
        *o++ = static_cast<char>(v >> 8);
        *o++ = static_cast<char>(v);
    }
    auto const rest = text.size() - i;
    if (rest == 0)
        return out;
    int const a = detail::reverse[in[i]], b = detail::reverse[in[i + 1]];
    int const c = rest == 3 ? detail::reverse[in[i + 2]] : 0;
    if ((a | b | c) < 0)
        return bad;
    std::uint32_t const v = (a << 18) | (b << 12) | (c << 6);
    // The bits past the last whole byte must be zero, or two texts would
    // decode to the same bytes.
    if ((rest == 2 && (v & 0xffff)) || (rest == 3 && (v & 0xff)))
        return bad;
    *o++ = static_cast<char>(v >> 16);
    if (rest == 3)
        *o++ = static_cast<char>(v >> 8);
    return out;
}

} // namespace apikit::base64url

#endif
