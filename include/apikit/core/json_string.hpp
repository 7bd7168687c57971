#ifndef APIKIT_CORE_JSON_STRING_HPP
#define APIKIT_CORE_JSON_STRING_HPP

// Writing a JSON string literal straight into an output buffer. Envelopes and
// log lines that run on every request are appended by hand rather than built
// as a boost::json::value first; this is the one escaper they share. Its input
// may come from a client (a field name, a header), so it never emits invalid
// JSON: bytes that are not UTF-8 become U+FFFD rather than passing through.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace apikit {

namespace detail {

// The length of the well-formed UTF-8 sequence (RFC 3629, Table 3-7 of the
// Unicode standard) starting at `s[i]`, whose first byte is ≥ 0x80, or 0 when
// it is ill-formed: a stray continuation byte, an overlong form, a surrogate,
// a code point past U+10FFFF or a truncated sequence.
[[nodiscard]] constexpr std::size_t utf8_sequence_size(std::string_view s, std::size_t i) noexcept {
    auto const at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    auto const cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xbf) {
        return k < s.size() && at(k) >= lo && at(k) <= hi;
    };
    unsigned const b = at(i);
    if (b >= 0xc2 && b <= 0xdf)
        return cont(i + 1) ? 2 : 0;
    if (b >= 0xe0 && b <= 0xef) {
        unsigned const lo = b == 0xe0 ? 0xa0 : 0x80; // overlong
        unsigned const hi = b == 0xed ? 0x9f : 0xbf; // surrogates
        return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
    }
    if (b >= 0xf0 && b <= 0xf4) {
        unsigned const lo = b == 0xf0 ? 0x90 : 0x80; // overlong
        unsigned const hi = b == 0xf4 ? 0x8f : 0xbf; // past U+10FFFF
        return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    }
    return 0;
}

// The bytes write_json_string copies as they are: printable ASCII but `"`
// and `\`.
inline constexpr auto json_plain_byte = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x80; ++c)
        t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return t;
}();

// The bytes of `w` that write_json_string does not copy as they are, each
// flagged by its top bit: below 0x20, `"`, `\` or above 0x7f. A flag above
// a flagged byte may be false (a borrow), the lowest one never is, so the
// first byte to escape is countr_zero(flags) / 8.
[[nodiscard]] inline std::uint64_t json_special_bytes(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101u;
    constexpr std::uint64_t high = 0x8080808080808080u;
    auto const has_zero = [](std::uint64_t v) { return (v - ones) & ~v & high; };
    return ((w - ones * 0x20) & ~w & high) | (w & high) | has_zero(w ^ (ones * '"')) |
           has_zero(w ^ (ones * '\\'));
}

} // namespace detail

/// The longest prefix of `s` of at most `n` bytes that does not end inside a
/// UTF-8 sequence, for text cut to a bound before it is written (a cut
/// sequence would be written as U+FFFD). `s[n]`, the first byte cut, may
/// continue a sequence begun at most 3 bytes before it: the cut moves before
/// that sequence's lead byte; where there is none, it stays at `n`.
[[nodiscard]] constexpr std::string_view utf8_prefix(std::string_view s, std::size_t n) noexcept {
    if (s.size() <= n)
        return s;
    auto const continuation = [&](std::size_t i) {
        return (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80;
    };
    std::size_t cut = n;
    while (cut > 0 && n - cut < 3 && continuation(cut))
        --cut;
    return s.substr(0, continuation(cut) ? n : cut);
}

/// The most `write_json_string` writes for `n` bytes of input: each may
/// become a six-character escape, and two quotes.
[[nodiscard]] constexpr std::size_t json_string_max_size(std::size_t n) noexcept {
    return 6 * n + 2;
}

/// Writes `s` to `o` as a JSON string literal, quotes included, and returns
/// the end; `o` has room for `json_string_max_size(s.size())` characters,
/// and those past the end returned may be overwritten. `"`, `\` and the
/// control characters are escaped (the common ones by their short forms);
/// well-formed UTF-8 is copied as is; each ill-formed byte becomes
/// `\ufffd`, so the output is valid JSON whatever bytes come in.
///
/// It runs over every string of every log line, most of them a request id,
/// a path or a key with nothing to escape, so plain bytes are scanned and
/// copied in one pass, sixteen (SSE2) or eight at a time: a block is stored
/// whole before it is tested, and when it holds a byte to escape only the
/// bytes before that one count. While a block remains, at most 1 + 6·i
/// characters were written for the first i bytes, so a 16-byte store ends
/// within the 6·n + 2 bound.
[[nodiscard]] inline char* write_json_string(char* o, std::string_view s) noexcept {
    static constexpr char hex[] = "0123456789abcdef";
    auto const put = [&o](std::string_view piece) {
        std::memcpy(o, piece.data(), piece.size());
        o += piece.size();
    };
    char const* const p = s.data();
    std::size_t const n = s.size();
    std::size_t i = 0;
    *o++ = '"';
    for (;;) {
#if defined(__SSE2__)
        while (i + 16 <= n) {
            __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p + i));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o), v);
            // A signed compare: bytes above 0x7f are negative, so below 0x20 too.
            __m128i const special =
                _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
            auto const flags = static_cast<unsigned>(_mm_movemask_epi8(special));
            auto const plain = flags == 0 ? 16u : static_cast<unsigned>(std::countr_zero(flags));
            i += plain;
            o += plain;
            if (flags != 0)
                break;
        }
#endif
        while (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            std::memcpy(o, &w, 8);
            auto const flags = detail::json_special_bytes(w);
            auto const plain =
                flags == 0 ? std::size_t{8} : static_cast<std::size_t>(std::countr_zero(flags) / 8);
            i += plain;
            o += plain;
            if (flags != 0)
                break;
        }
        while (i < n && detail::json_plain_byte[static_cast<unsigned char>(p[i])])
            *o++ = p[i++];
        if (i == n)
            break;
        auto const c = static_cast<unsigned char>(p[i]);
        if (c >= 0x80) {
            if (auto const size = detail::utf8_sequence_size(s, i); size != 0) {
                for (auto const stop = i + size; i != stop;)
                    *o++ = p[i++];
                continue;
            }
        }
        switch (c) {
        case '"':
            put("\\\"");
            break;
        case '\\':
            put("\\\\");
            break;
        case '\b':
            put("\\b");
            break;
        case '\f':
            put("\\f");
            break;
        case '\n':
            put("\\n");
            break;
        case '\r':
            put("\\r");
            break;
        case '\t':
            put("\\t");
            break;
        default:
            if (c < 0x20) {
                char const esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                put({esc, sizeof esc});
            } else {
                put("\\ufffd");
            }
        }
        ++i;
    }
    *o++ = '"';
    return o;
}

/// Appends `s` to `out` as a JSON string literal, as `write_json_string`
/// writes it.
inline void append_json_string(std::string& out, std::string_view s) {
    auto const at = out.size();
    out.resize(at + json_string_max_size(s.size()));
    char* const end = write_json_string(out.data() + at, s);
    out.resize(static_cast<std::size_t>(end - out.data()));
}

} // namespace apikit

#endif
