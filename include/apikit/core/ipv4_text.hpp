#ifndef APIKIT_CORE_IPV4_TEXT_HPP
#define APIKIT_CORE_IPV4_TEXT_HPP

// An IPv4 address as dotted-decimal text (`192.0.2.7`), written straight
// into an output buffer. The access log writes the client's address on every
// line and the rate limiter keys every request by it; both share this writer.
// Each byte value's digits come from a table, where dividing by 10 and 100
// took a hundred instructions per address. Pure function, no allocation.

#include <array>
#include <cstddef>
#include <cstring>
#include <string>

namespace apikit {

/// The room `write_ipv4` needs: the longest address, `255.255.255.255`
/// (15 characters), with room to spare for its last octet's fixed 4-byte
/// copy, which may write past the address's end (at most to byte 16).
inline constexpr std::size_t ipv4_text_room = 17;

namespace detail {

// Each byte value's decimal digits followed by a dot, and how many digits.
struct octet_text {
    std::array<char, 4> text{};
    std::size_t digits = 0;
};

inline constexpr auto octet_texts = [] {
    std::array<octet_text, 256> t{};
    for (unsigned v = 0; v < 256; ++v) {
        auto& e = t[v];
        if (v >= 100)
            e.text[e.digits++] = static_cast<char>('0' + v / 100);
        if (v >= 10)
            e.text[e.digits++] = static_cast<char>('0' + v / 10 % 10);
        e.text[e.digits++] = static_cast<char>('0' + v % 10);
        e.text[e.digits] = '.';
    }
    return t;
}();

} // namespace detail

/// Writes the four bytes at `b` (network order) as `a.b.c.d` to `o`, which
/// has room for `ipv4_text_room` characters, and returns the end of the
/// text. The bytes past the end it may have written are the caller's to
/// overwrite: each octet is one fixed 4-byte copy.
[[nodiscard]] inline char* write_ipv4(char* o, unsigned char const* b) noexcept {
    for (int i = 0; i < 4; ++i) {
        auto const& t = detail::octet_texts[b[i]];
        std::memcpy(o, t.text.data(), 4);
        o += t.digits + 1;
    }
    return o - 1; // the last octet's dot is not part of the address
}

/// Appends the four bytes at `b` as `a.b.c.d` to `out`.
inline void append_ipv4(std::string& out, unsigned char const* b) {
    auto const at = out.size();
    out.resize(at + ipv4_text_room);
    auto const* end = write_ipv4(out.data() + at, b);
    out.resize(static_cast<std::size_t>(end - out.data()));
}

} // namespace apikit

#endif
