#ifndef APIKIT_OBS_DETAIL_TRACE_STATE_HPP
#define APIKIT_OBS_DETAIL_TRACE_STATE_HPP

// The grammar of a `tracestate` field value (W3C Trace Context Level 1,
// §3.3.1), read by tables: a list of `key=value` members separated by
// commas, spaces and tabs around a member ignored, empty members allowed.
//
//   key              = simple-key / multi-tenant-key
//   simple-key       = lcalpha 0*255( keychar )
//   multi-tenant-key = tenant-id "@" system-id
//   tenant-id        = ( lcalpha / DIGIT ) 0*240( keychar )
//   system-id        = lcalpha 0*13( keychar )
//   keychar          = lcalpha / DIGIT / "_" / "-" / "*" / "/"
//   value            = 0*255( chr ) nblk-chr
//   nblk-chr         = %x21-2B / %x2D-3C / %x3E-7E      (printable, not ',' '=' ' ')
//   chr              = %x20 / nblk-chr
//
// A value's leading spaces are part of it; its trailing ones are the
// list's optional whitespace.

#include <apikit/core/http_grammar.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace apikit::obs::detail {

inline constexpr std::size_t tracestate_max_key = 256;
inline constexpr std::size_t tracestate_max_tenant = 241;
inline constexpr std::size_t tracestate_max_system = 14;
inline constexpr std::size_t tracestate_max_value = 256;

inline constexpr auto tracestate_key_char = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : std::string_view("abcdefghijklmnopqrstuvwxyz0123456789_-*/"))
        t[c] = true;
    return t;
}();

inline constexpr auto tracestate_value_char = [] {
    std::array<bool, 256> t{};
    for (unsigned c = 0x20; c <= 0x7e; ++c)
        t[c] = c != ',' && c != '=';
    return t;
}();

[[nodiscard]] constexpr bool is_lcalpha(char c) noexcept {
    return c >= 'a' && c <= 'z';
}

// `first` is checked apart (a letter, or a letter or digit), the rest by table.
[[nodiscard]] constexpr bool key_part(std::string_view s, std::size_t max,
                                      bool digit_first) noexcept {
    if (s.empty() || s.size() > max)
        return false;
    char const c = s.front();
    if (!is_lcalpha(c) && !(digit_first && c >= '0' && c <= '9'))
        return false;
    bool ok = true;
    for (char const ch : s.substr(1))
        ok &= tracestate_key_char[static_cast<unsigned char>(ch)];
    return ok;
}

[[nodiscard]] constexpr bool valid_tracestate_key(std::string_view key) noexcept {
    auto const at = key.find('@');
    if (at == std::string_view::npos)
        return key_part(key, tracestate_max_key, false);
    // key_char has no '@': a second one fails the system id.
    return key_part(key.substr(0, at), tracestate_max_tenant, true) &&
           key_part(key.substr(at + 1), tracestate_max_system, false);
}

[[nodiscard]] constexpr bool valid_tracestate_value(std::string_view value) noexcept {
    if (value.empty() || value.size() > tracestate_max_value || value.back() == ' ')
        return false;
    bool ok = true;
    for (char const ch : value)
        ok &= tracestate_value_char[static_cast<unsigned char>(ch)];
    return ok;
}

/// Calls `on_member(key, value)` for each valid member of `list` in order
/// and answers how many non-empty members were invalid (skipped). Empty and
/// whitespace-only members are neither. The list is HTTP's (core/http_grammar):
/// quotes are ordinary characters in a tracestate value.
template <class F>
constexpr std::size_t for_each_tracestate_member(std::string_view list, F&& on_member) {
    std::size_t invalid = 0;
    for (auto const member : grammar::list_elements(list, grammar::quoting::none)) {
        // With no '=', the value is empty: invalid like `key=`.
        auto const [key, value] = grammar::split_name_value(member);
        if (valid_tracestate_key(key) && valid_tracestate_value(value))
            on_member(key, value);
        else
            ++invalid;
    }
    return invalid;
}

} // namespace apikit::obs::detail

#endif
