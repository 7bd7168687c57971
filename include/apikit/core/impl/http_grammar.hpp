#ifndef APIKIT_CORE_IMPL_HTTP_GRAMMAR_HPP
#define APIKIT_CORE_IMPL_HTTP_GRAMMAR_HPP

// The definitions behind <apikit/core/http_grammar.hpp>: one table of
// character classes, one escape decoder, one quote scanner and one list
// splitter, which everything public is written with.

#include <apikit/core/http_grammar.hpp>

#include <array>
#include <cstddef>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace apikit::grammar {

namespace detail {

enum char_class : unsigned char {
    tchar = 1,            // RFC 9110 §5.6.2
    qdtext = 2,           // §5.6.4: HTAB, SP, %x21, %x23-5B, %x5D-7E, obs-text
    quoted_pair_char = 4, // §5.6.4: HTAB, SP, VCHAR, obs-text
    unreserved = 8,       // RFC 3986 §2.3
    token68 = 16,         // §11.2, before the '=' padding
    etagc = 32,           // §8.8.3: %x21, %x23-7E, obs-text
    sf_key_char = 64,     // RFC 9651 §3.1.2, after the first character
    base64 = 128,         // RFC 4648 §4 with its padding
};

inline constexpr auto char_classes = [] {
    std::array<unsigned char, 256> t{};
    auto const add = [&t](std::string_view chars, unsigned char k) {
        for (char const c : chars)
            t[static_cast<unsigned char>(c)] |= k;
    };
    constexpr std::string_view alpha_digit = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789";
    add(alpha_digit, tchar | unreserved | token68 | base64);
    add("!#$%&'*+-.^_`|~", tchar);
    add("-._~", unreserved);
    add("-._~+/", token68);
    add("+/=", base64);
    add("abcdefghijklmnopqrstuvwxyz0123456789_-.*", sf_key_char);
    for (int c = 0; c < 256; ++c) {
        bool const obs_text = c >= 0x80;
        if (c == '\t' || (c >= 0x20 && c <= 0x7e) || obs_text)
            t[static_cast<std::size_t>(c)] |= quoted_pair_char;
        if ((c == '\t' || c >= 0x20) && c != '"' && c != '\\' && c != 0x7f)
            t[static_cast<std::size_t>(c)] |= qdtext;
        if ((c >= 0x21 && c != '"' && c != 0x7f))
            t[static_cast<std::size_t>(c)] |= etagc;
    }
    return t;
}();

constexpr bool is(char c, char_class k) noexcept {
    return (char_classes[static_cast<unsigned char>(c)] & k) != 0;
}

constexpr bool all_of(std::string_view s, char_class k) noexcept {
    for (char const c : s)
        if (!is(c, k))
            return false;
    return true;
}

// The byte that `s` encodes at `i`, leaving `i` past it; -1 for a malformed
// escape.
constexpr int decode_at(std::string_view s, std::size_t& i, plus_means plus) noexcept {
    char const c = s[i++];
    if (c == '%') {
        if (s.size() - i < 2)
            return -1;
        int const hi = hex_value(s[i]);
        int const lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        i += 2;
        return hi * 16 + lo;
    }
    if (c == '+' && plus == plus_means::space)
        return ' ';
    return static_cast<unsigned char>(c);
}

// `content` (between the quotes, escapes checked) with each `\x` read as
// `x`: `content` itself when it has none, else the front of `buffer`.
constexpr std::optional<std::string_view> unescape(std::string_view content,
                                                   std::span<char> buffer) noexcept {
    if (content.find('\\') == std::string_view::npos)
        return content;
    std::size_t n = 0;
    for (std::size_t i = 0; i < content.size(); ++i) {
        if (n == buffer.size())
            return std::nullopt;
        if (content[i] == '\\')
            ++i;
        buffer[n++] = content[i];
    }
    return std::string_view(buffer.data(), n);
}

// The index past the quoted text that opens at `s[i] == '"'`, or s.size()
// when it is not closed.
constexpr std::size_t skip_quoted(std::string_view s, std::size_t i, quoting q) noexcept {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '"')
            return i + 1;
        if (s[i] == '\\' && q == quoting::quoted_string)
            ++i;
    }
    return s.size();
}

// Takes the next non-empty element, trimmed, off the front of `rest`; an
// empty view when there is none.
constexpr std::string_view next_element(std::string_view& rest, char delimiter,
                                        quoting q) noexcept {
    while (!rest.empty()) {
        std::size_t i = 0;
        while (i < rest.size() && rest[i] != delimiter)
            i = rest[i] == '"' && q != quoting::none ? skip_quoted(rest, i, q) : i + 1;
        auto const element = trim_ows(rest.substr(0, i));
        rest = i < rest.size() ? rest.substr(i + 1) : std::string_view{};
        if (!element.empty())
            return element;
    }
    return {};
}

constexpr std::string_view element_as(std::string_view e, std::string_view const*) noexcept {
    return e;
}
constexpr name_value element_as(std::string_view e, name_value const*) noexcept {
    return split_name_value(e);
}
constexpr std::optional<entity_tag> element_as(std::string_view e,
                                               std::optional<entity_tag> const*) noexcept {
    return parse_entity_tag(e);
}

} // namespace detail

// ---- Characters ------------------------------------------------------------

constexpr bool is_tchar(char c) noexcept {
    return detail::is(c, detail::tchar);
}

constexpr bool is_token(std::string_view s) noexcept {
    return !s.empty() && detail::all_of(s, detail::tchar);
}

constexpr bool is_token68(std::string_view s) noexcept {
    auto const end = s.find_last_not_of('=');
    return end != std::string_view::npos && detail::all_of(s.substr(0, end + 1), detail::token68);
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

constexpr bool is_lower_hex(std::string_view s) noexcept {
    if (s.empty())
        return false;
    for (char const c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

constexpr bool is_field_value(std::string_view s) noexcept {
    for (char const ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

// ---- Percent-encoding ------------------------------------------------------

constexpr bool has_valid_percent_escapes(std::string_view s) noexcept {
    for (std::size_t i = s.find('%'); i != std::string_view::npos; i = s.find('%', i))
        if (detail::decode_at(s, i, plus_means::plus) < 0)
            return false;
    return true;
}

constexpr bool percent_decoded_equals(std::string_view encoded, std::string_view plain,
                                      plus_means plus) noexcept {
    std::size_t k = 0;
    for (std::size_t i = 0; i < encoded.size(); ++k)
        if (k == plain.size() ||
            detail::decode_at(encoded, i, plus) != static_cast<unsigned char>(plain[k]))
            return false;
    return k == plain.size();
}

constexpr std::optional<std::string_view>
percent_decode(std::string_view encoded, std::span<char> out, plus_means plus) noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < encoded.size(); ++n) {
        int const b = detail::decode_at(encoded, i, plus);
        if (b < 0 || n == out.size())
            return std::nullopt;
        out[n] = static_cast<char>(b);
    }
    return std::string_view(out.data(), n);
}

inline bool append_percent_decoded(std::string& out, std::string_view encoded, plus_means plus) {
    auto const old_size = out.size();
    out.reserve(old_size + encoded.size());
    for (std::size_t i = 0; i < encoded.size();) {
        int const b = detail::decode_at(encoded, i, plus);
        if (b < 0) {
            out.resize(old_size);
            return false;
        }
        out.push_back(static_cast<char>(b));
    }
    return true;
}

inline void append_percent_encoded(std::string& out, std::string_view plain, plus_means plus) {
    constexpr char hex[] = "0123456789ABCDEF";
    out.reserve(out.size() + plain.size());
    for (char const c : plain) {
        if (detail::is(c, detail::unreserved)) {
            out.push_back(c);
        } else if (c == ' ' && plus == plus_means::space) {
            out.push_back('+');
        } else {
            auto const b = static_cast<unsigned char>(c);
            char const escape[] = {'%', hex[b >> 4], hex[b & 15]};
            out.append(escape, sizeof escape);
        }
    }
}

// ---- Quoted strings --------------------------------------------------------

constexpr std::size_t quoted_string_size(std::string_view s) noexcept {
    if (s.empty() || s.front() != '"')
        return 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '"')
            return i + 1;
        if (s[i] == '\\') {
            if (++i == s.size() || !detail::is(s[i], detail::quoted_pair_char))
                return 0;
        } else if (!detail::is(s[i], detail::qdtext)) {
            return 0;
        }
    }
    return 0;
}

constexpr std::optional<std::string_view> unquote(std::string_view quoted,
                                                  std::span<char> buffer) noexcept {
    if (quoted.empty() || quoted_string_size(quoted) != quoted.size())
        return std::nullopt;
    return detail::unescape(quoted.substr(1, quoted.size() - 2), buffer);
}

constexpr std::optional<std::string_view> token_or_quoted_string(std::string_view value,
                                                                 std::span<char> buffer) noexcept {
    if (is_token(value))
        return value;
    return unquote(value, buffer);
}

// ---- Lists, parameters, cookies --------------------------------------------

constexpr name_value split_name_value(std::string_view element) noexcept {
    auto const eq = element.find('=');
    if (eq == std::string_view::npos)
        return {element, {}};
    return {element.substr(0, eq), element.substr(eq + 1)};
}

constexpr bool is_valid_parameter(name_value const& p) noexcept {
    return is_token(p.name) &&
           (is_token(p.value) ||
            (!p.value.empty() && quoted_string_size(p.value) == p.value.size()));
}

template <class Element>
class element_range<Element>::iterator {
public:
    using value_type = Element;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::forward_iterator_tag;

    constexpr iterator() noexcept = default;

    constexpr Element operator*() const noexcept {
        return detail::element_as(current_, static_cast<Element const*>(nullptr));
    }
    constexpr iterator& operator++() noexcept {
        current_ = detail::next_element(rest_, delimiter_, quoting_);
        return *this;
    }
    constexpr iterator operator++(int) noexcept {
        auto const before = *this;
        ++*this;
        return before;
    }
    // Elements are never empty, so a position is its element's first byte.
    friend constexpr bool operator==(iterator const& a, iterator const& b) noexcept {
        return a.current_.data() == b.current_.data();
    }
    friend constexpr bool operator==(iterator const& a, std::default_sentinel_t) noexcept {
        return a.current_.empty();
    }

private:
    friend class element_range;
    constexpr iterator(std::string_view text, char delimiter, quoting q) noexcept
        : rest_(text)
        , delimiter_(delimiter)
        , quoting_(q) {
        ++*this;
    }

    std::string_view rest_;    // after the current element
    std::string_view current_; // empty: the end
    char delimiter_ = ',';
    quoting quoting_ = quoting::quoted_string;
};

template <class Element>
constexpr auto element_range<Element>::begin() const noexcept -> iterator {
    return iterator(text_, delimiter_, quoting_);
}

template <class Element>
constexpr bool element_range<Element>::empty() const noexcept {
    return begin() == end();
}

constexpr element_range<std::string_view> list_elements(std::string_view field_value,
                                                        quoting q) noexcept {
    return {field_value, ',', q};
}

constexpr element_range<name_value> parameters(std::string_view text) noexcept {
    return {text, ';', quoting::quoted_string};
}

constexpr element_range<name_value> cookies(std::string_view field_value) noexcept {
    return {field_value, ';', quoting::none};
}

// ---- Entity tags -----------------------------------------------------------

constexpr std::optional<entity_tag> parse_entity_tag(std::string_view s) noexcept {
    bool const weak = s.starts_with("W/");
    if (weak)
        s.remove_prefix(2);
    if (s.size() < 2 || s.front() != '"' || s.back() != '"')
        return std::nullopt;
    auto const opaque = s.substr(1, s.size() - 2);
    if (!detail::all_of(opaque, detail::etagc))
        return std::nullopt;
    return entity_tag{opaque, weak};
}

constexpr bool strong_match(entity_tag const& a, entity_tag const& b) noexcept {
    return !a.weak && !b.weak && a.opaque == b.opaque;
}

constexpr bool weak_match(entity_tag const& a, entity_tag const& b) noexcept {
    return a.opaque == b.opaque;
}

constexpr element_range<std::optional<entity_tag>>
entity_tags(std::string_view field_value) noexcept {
    return {field_value, ',', quoting::opaque};
}

// ---- Credentials -----------------------------------------------------------

constexpr std::optional<credentials> parse_credentials(std::string_view s) noexcept {
    s = trim_ows(s);
    auto const end = s.find(' ');
    auto const scheme = s.substr(0, end);
    if (!is_token(scheme))
        return std::nullopt;
    if (end == std::string_view::npos)
        return credentials{scheme, {}};
    return credentials{scheme, s.substr(s.find_first_not_of(' ', end))}; // s ends in no space
}

// ---- Structured fields -----------------------------------------------------

constexpr bool is_sf_key(std::string_view s) noexcept {
    return !s.empty() && ((s.front() >= 'a' && s.front() <= 'z') || s.front() == '*') &&
           detail::all_of(s, detail::sf_key_char);
}

constexpr std::optional<std::string_view> sf_byte_sequence(std::string_view s) noexcept {
    if (s.size() < 2 || s.front() != ':' || s.back() != ':')
        return std::nullopt;
    auto const text = s.substr(1, s.size() - 2);
    if (!detail::all_of(text, detail::base64))
        return std::nullopt;
    return text;
}

constexpr std::optional<std::string_view> sf_string(std::string_view s,
                                                    std::span<char> buffer) noexcept {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"')
        return std::nullopt;
    auto const content = s.substr(1, s.size() - 2);
    for (std::size_t i = 0; i < content.size(); ++i) {
        char const c = content[i];
        if (c == '\\') {
            if (++i == content.size() || (content[i] != '"' && content[i] != '\\'))
                return std::nullopt;
        } else if (c < 0x20 || c > 0x7e || c == '"') {
            return std::nullopt;
        }
    }
    return detail::unescape(content, buffer);
}

} // namespace apikit::grammar

#endif
