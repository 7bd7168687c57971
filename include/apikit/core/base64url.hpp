#ifndef APIKIT_CORE_BASE64URL_HPP
#define APIKIT_CORE_BASE64URL_HPP

// Strict base64url (RFC 4648 §5). Strict means a decoder accepts one spelling
// per byte string: only the URL-safe alphabet, no white space, padding either
// absent or exactly right, and the unused low bits of the last character zero.
// Tokens and cursors are compared and signed as text, so a lenient decoder
// would let two different strings carry the same bytes.
//
// decode_either_alphabet is the one lenient decoder, for bytes a person
// types or pastes, such as a key made by `openssl rand -base64 32`: the
// standard alphabet (RFC 4648 §4, `+` `/`) or the URL-safe one (`-` `_`),
// padded or not, the unused low bits ignored. Where a text is refused, it
// says where and why, without repeating the text (it may be a secret). It
// is not for text that is compared or signed as text: use decode there.

#include <apikit/core/error.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace apikit::base64url {

enum class padding : bool { omit, include };

namespace detail {

inline constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using reverse_table = std::array<std::int8_t, 256>;

// Each character's 6 bits, -1 for a character outside the alphabet.
inline constexpr reverse_table reverse = [] {
    reverse_table table{};
    table.fill(-1);
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}();

// The same, where the standard alphabet's '+' and '/' stand for '-' and '_'.
inline constexpr reverse_table reverse_either = [] {
    reverse_table table = reverse;
    table['+'] = 62;
    table['/'] = 63;
    return table;
}();

// Appends the bytes of `text` (unpadded, of a length other than 4n+1) to
// `out`. False at a character `table` lacks, or, when `strict`, at unused
// low bits that are not zero.
inline bool decode_unpadded(std::string& out, std::string_view text, reverse_table const& table,
                            bool strict) {
    auto const start = out.size();
    out.resize(start + text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1));
    char* o = out.data() + start;
    auto const* in = reinterpret_cast<unsigned char const*>(text.data());
    std::size_t i = 0;
    for (; i + 4 <= text.size(); i += 4) {
        int const a = table[in[i]], b = table[in[i + 1]], c = table[in[i + 2]],
                  d = table[in[i + 3]];
        if ((a | b | c | d) < 0)
            return false;
        std::uint32_t const v = (a << 18) | (b << 12) | (c << 6) | d;
        *o++ = static_cast<char>(v >> 16);
        *o++ = static_cast<char>(v >> 8);
        *o++ = static_cast<char>(v);
    }
    auto const rest = text.size() - i;
    if (rest == 0)
        return true;
    int const a = table[in[i]], b = table[in[i + 1]];
    int const c = rest == 3 ? table[in[i + 2]] : 0;
    if ((a | b | c) < 0)
        return false;
    std::uint32_t const v = (a << 18) | (b << 12) | (c << 6);
    // The bits past the last whole byte must be zero, or two texts would
    // decode to the same bytes.
    if (strict && ((rest == 2 && (v & 0xffff)) || (rest == 3 && (v & 0xff))))
        return false;
    *o++ = static_cast<char>(v >> 16);
    if (rest == 3)
        *o++ = static_cast<char>(v >> 8);
    return true;
}

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

/// The number of whole bytes `n` characters carry, without padding: the
/// inverse of encoded_size (and what 4n+1 characters carry, rounded down).
[[nodiscard]] constexpr std::size_t decoded_size(std::size_t n) noexcept {
    return n * 6 / 8;
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
    if (!detail::decode_unpadded(out, text, detail::reverse, true))
        return bad;
    return out;
}

/// Why decode_either_alphabet refused a text, worded for a person by
/// message(). Positions count from 0; message() counts from 1.
struct text_error {
    enum class problem : unsigned char {
        character,       ///< `position` is in neither alphabet
        mixed_alphabets, ///< `position` is of one alphabet, an earlier character of the other
        padding,         ///< `position` is a '=' that does not pad the text to 4n characters
        length,          ///< the text has 4n+1 characters before its padding, `position` of them
    };
    problem what;
    std::size_t position;
    char character; ///< the one at `position` (none for `length`)

    [[nodiscard]] std::string message() const {
        auto const at = "character " + std::to_string(position + 1);
        switch (what) {
        case problem::character:
            return at + " (" + shown(character) +
                   ") is in neither base64 alphabet (A-Z a-z 0-9 and + / or - _)";
        case problem::mixed_alphabets:
            return at + " (" + shown(character) + ") is " +
                   (character == '-' || character == '_' ? "base64url" : "standard base64") +
                   " but an earlier one is of the other alphabet: a text uses one of them";
        case problem::padding:
            return at + " is a '=' that is not padding: one or two '=' end a text only to "
                        "make its length a multiple of 4";
        case problem::length:
            break;
        }
        return std::to_string(position) +
               " characters is no base64 length (4n, 4n+2 or 4n+3): one is missing or one "
               "too many";
    }

    /// What result::value() throws on a refusal: std::invalid_argument
    /// with message().
    [[noreturn]] friend void throw_exception_from_error(text_error const& e,
                                                        boost::source_location const&) {
        throw std::invalid_argument(e.message());
    }

private:
    // A character as a message shows it: quoted, or named when unprintable.
    static std::string shown(char c) {
        if (c == ' ')
            return "a space";
        if (c == '\n' || c == '\r')
            return "a line break";
        if (c == '\t')
            return "a tab";
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
        }
        return std::string("'") + c + "'";
    }
};

/// Decodes `text` written in either alphabet (not both), with its padding
/// or without, its unused low bits ignored: for bytes a person gives, such
/// as a key. The error says where and why the text is refused.
[[nodiscard]] inline boost::system::result<std::string, text_error>
decode_either_alphabet(std::string_view text) {
    using problem = text_error::problem;
    auto const pad = text.find('=');
    auto const body = text.substr(0, pad);
    char first_specific = 0; // the first '+', '/', '-' or '_': it picks the alphabet
    for (std::size_t i = 0; i < body.size(); ++i) {
        char const c = body[i];
        if (detail::reverse_either[static_cast<unsigned char>(c)] < 0)
            return text_error{problem::character, i, c};
        if (detail::reverse_either[static_cast<unsigned char>(c)] < 62)
            continue;
        bool const url = c == '-' || c == '_';
        if (first_specific == 0)
            first_specific = c;
        else if (url != (first_specific == '-' || first_specific == '_'))
            return text_error{problem::mixed_alphabets, i, c};
    }
    if (pad != std::string_view::npos) {
        auto const pads = text.size() - pad;
        if (text.find_first_not_of('=', pad) != std::string_view::npos || text.size() % 4 != 0 ||
            pads > 2)
            return text_error{problem::padding, pad, '='};
    }
    if (body.size() % 4 == 1)
        return text_error{problem::length, body.size(), 0};
    std::string out;
    (void)detail::decode_unpadded(out, body, detail::reverse_either, false);
    return out;
}

} // namespace apikit::base64url

#endif
