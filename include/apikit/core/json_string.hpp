#ifndef APIKIT_CORE_JSON_STRING_HPP
#define APIKIT_CORE_JSON_STRING_HPP

// Writing a JSON string literal straight into an output buffer. Envelopes and
// log lines that run on every request are appended by hand rather than built
// as a boost::json::value first; this is the one escaper they share. Its input
// may come from a client (a field name, a header), so it never emits invalid
// JSON: bytes that are not UTF-8 become U+FFFD rather than passing through.

#include <cstddef>
#include <string>
#include <string_view>

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

} // namespace detail

/// Appends `s` to `out` as a JSON string literal, quotes included. `"`, `\`
/// and the control characters are escaped (the common ones by their short
/// forms); well-formed UTF-8 is copied as is; each ill-formed byte becomes
/// `\ufffd`, so the output is valid JSON whatever bytes come in.
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out.reserve(out.size() + s.size() + 2);
    out.push_back('"');
    std::size_t run = 0; // start of the bytes not yet copied
    std::size_t i = 0;
    while (i < s.size()) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            if (auto const n = detail::utf8_sequence_size(s, i); n != 0) {
                i += n;
                continue;
            }
        }
        out.append(s.data() + run, i - run);
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        default:
            if (c < 0x20) {
                char const esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                out.append(esc, sizeof esc);
            } else {
                out.append("\\ufffd");
            }
        }
        run = ++i;
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

} // namespace apikit

#endif
