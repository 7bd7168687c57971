#ifndef APIKIT_EVENTS_TYPE_NAME_HPP
#define APIKIT_EVENTS_TYPE_NAME_HPP

// Event type names, `<entity>.<action>` (`user.created`, `payment.failed`),
// and the patterns a subscriber chooses events by (`user.created`, `user.*`,
// `*`).
//
// The grammar, one rule for literals and run-time names alike:
//
//     type-name = part "." part          ; exactly one dot
//     part      = %x61-7A *( %x61-7A / DIGIT / "_" )   ; [a-z][a-z0-9_]*
//
// at most `max_type_name_size` (64) characters in all. Lower case, so that
// two producers cannot spell one type two ways; a part starts with a letter
// so that it reads as a word; underscores join words (`order.line_added`).
// Every type name is also a valid CloudEvents `type` and a Redis key part.
//
// A literal is checked at compile time: `type_name t = "user.created";` and
// `make_event("user.created", …)` go through a consteval constructor, and a
// bad literal (`"User.created"`, `"user"`, `"user.created.v2"`) does not
// compile; the error names the rule it broke, as a function the compiler
// cannot call in a constant expression
// (`a_type_name_has_exactly_one_dot_between_entity_and_action`). A name known
// only at run time goes through `type_name::parse`, which returns
// error::invalid_type_name. So a type_name always holds a valid name: it
// has no default and no empty state.
//
// A type_name keeps its characters inline (no allocation, trivially
// copyable), so it is cheap to pass by value and to put in every event.
// type_pattern does the same for patterns. Both are values: safe from any
// thread, no time, no failure after construction. No Beast, no Asio.

#include <apikit/core/error.hpp>
#include <apikit/events/error.hpp>

#include <fmt/format.h>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace apikit::events {

/// The longest type name (and pattern): entity, dot and action together.
inline constexpr std::size_t max_type_name_size = 64;

namespace detail {

enum class name_fault : std::uint8_t {
    none,
    too_long,
    not_one_dot,
    empty_part,
    bad_first_character,
    bad_character,
    bad_pattern,
};

[[nodiscard]] constexpr bool is_lower(char c) noexcept {
    return c >= 'a' && c <= 'z';
}

[[nodiscard]] constexpr bool is_part_char(char c) noexcept {
    return is_lower(c) || (c >= '0' && c <= '9') || c == '_';
}

// What is wrong with `s` as a type name, or none. `dot`: where its dot is.
[[nodiscard]] constexpr name_fault check_type_name(std::string_view s, std::size_t& dot) noexcept {
    if (s.size() > max_type_name_size)
        return name_fault::too_long;
    dot = s.find('.');
    if (dot == std::string_view::npos || s.find('.', dot + 1) != std::string_view::npos)
        return name_fault::not_one_dot;
    if (dot == 0 || dot + 1 == s.size())
        return name_fault::empty_part;
    if (!is_lower(s[0]) || !is_lower(s[dot + 1]))
        return name_fault::bad_first_character;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (i != dot && !is_part_char(s[i]))
            return name_fault::bad_character;
    return name_fault::none;
}

// Not constexpr on purpose: the consteval constructors call (through
// reject_literal) the one that
// names the rule a literal broke, which stops compilation with that name in
// the error (GCC: "call to non-'constexpr' function"; Clang: "non-constexpr
// function … cannot be used in a constant expression").
inline void a_type_name_is_at_most_64_characters() noexcept {}
inline void a_type_name_has_exactly_one_dot_between_entity_and_action() noexcept {}
inline void a_type_name_has_a_non_empty_entity_and_action() noexcept {}
inline void a_type_name_part_starts_with_a_lower_case_letter() noexcept {}
inline void a_type_name_holds_only_lower_case_letters_digits_and_underscores() noexcept {}
inline void a_type_pattern_is_a_type_name_or_entity_dot_star_or_star() noexcept {}

constexpr void reject_literal(name_fault f) {
    switch (f) {
    case name_fault::none:
        return;
    case name_fault::too_long:
        a_type_name_is_at_most_64_characters();
        return;
    case name_fault::not_one_dot:
        a_type_name_has_exactly_one_dot_between_entity_and_action();
        return;
    case name_fault::empty_part:
        a_type_name_has_a_non_empty_entity_and_action();
        return;
    case name_fault::bad_first_character:
        a_type_name_part_starts_with_a_lower_case_letter();
        return;
    case name_fault::bad_character:
        a_type_name_holds_only_lower_case_letters_digits_and_underscores();
        return;
    case name_fault::bad_pattern:
        a_type_pattern_is_a_type_name_or_entity_dot_star_or_star();
        return;
    }
}

// A literal's characters: all but its terminating NUL (a NUL inside is a
// bad character).
template <std::size_t N>
constexpr std::string_view literal_text(char const (&s)[N]) {
    static_assert(N >= 1, "a string literal");
    return {s, N - 1};
}

// The inline characters of a name or pattern.
struct name_chars {
    std::array<char, max_type_name_size> chars{};
    std::uint8_t size = 0;

    constexpr void assign(std::string_view s) noexcept {
        for (std::size_t i = 0; i < s.size(); ++i)
            chars[i] = s[i];
        size = static_cast<std::uint8_t>(s.size());
    }
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), size}; }
};

} // namespace detail

/// A valid event type name, `<entity>.<action>` (see the grammar above).
class type_name {
public:
    /// From a literal, checked at compile time: a bad literal does not compile.
    template <std::size_t N>
    consteval type_name(char const (&literal)[N]) { // NOLINT: implicit on purpose
        auto const s = detail::literal_text(literal);
        std::size_t dot = 0;
        detail::reject_literal(detail::check_type_name(s, dot));
        text_.assign(s);
        dot_ = static_cast<std::uint8_t>(dot);
    }

    /// A name known at run time: error::invalid_type_name unless it follows
    /// the grammar.
    [[nodiscard]] static result<type_name> parse(std::string_view s) noexcept {
        std::size_t dot = 0;
        if (detail::check_type_name(s, dot) != detail::name_fault::none)
            return error::invalid_type_name;
        return type_name(s, dot);
    }

    /// The whole name, `user.created`.
    [[nodiscard]] constexpr std::string_view view() const noexcept { return text_.view(); }
    constexpr operator std::string_view() const noexcept { return view(); } // NOLINT
    /// The part before the dot, `user`.
    [[nodiscard]] constexpr std::string_view entity() const noexcept {
        return view().substr(0, dot_);
    }
    /// The part after the dot, `created`.
    [[nodiscard]] constexpr std::string_view action() const noexcept {
        return view().substr(dot_ + 1u);
    }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return text_.size; }

    // Equal when the characters are: with another type_name, with text, and
    // (so that `t == "user.created"` is not ambiguous between the two) with
    // a literal.
    [[nodiscard]] friend constexpr bool operator==(type_name const& a,
                                                   type_name const& b) noexcept {
        return a.view() == b.view();
    }
    [[nodiscard]] friend constexpr bool operator==(type_name const& a,
                                                   std::string_view b) noexcept {
        return a.view() == b;
    }
    template <std::size_t N>
    [[nodiscard]] friend constexpr bool operator==(type_name const& a,
                                                   char const (&b)[N]) noexcept {
        return a.view() == std::string_view(b);
    }
    [[nodiscard]] friend constexpr std::strong_ordering operator<=>(type_name const& a,
                                                                    type_name const& b) noexcept {
        return a.view() <=> b.view();
    }

private:
    constexpr type_name(std::string_view s, std::size_t dot) noexcept
        : dot_(static_cast<std::uint8_t>(dot)) {
        text_.assign(s);
    }

    detail::name_chars text_;
    std::uint8_t dot_ = 0;
};

/// What a subscriber receives: one type (`user.created`), every action of
/// one entity (`user.*`), or every event (`*`).
class type_pattern {
public:
    /// From a literal, checked at compile time: a bad literal does not compile.
    template <std::size_t N>
    consteval type_pattern(char const (&literal)[N]) { // NOLINT: implicit on purpose
        auto const s = detail::literal_text(literal);
        detail::reject_literal(classify(s, kind_));
        assign(s);
    }

    /// Exactly `type`.
    constexpr type_pattern(type_name const& type) noexcept // NOLINT: implicit on purpose
        : kind_(kind::exact) {
        assign(type.view());
    }

    /// A pattern known at run time: error::invalid_type_pattern unless it is
    /// a type name, `<entity>.*` or `*`.
    [[nodiscard]] static result<type_pattern> parse(std::string_view s) noexcept {
        kind k{};
        if (classify(s, k) != detail::name_fault::none)
            return error::invalid_type_pattern;
        return type_pattern(s, k);
    }

    /// True when an event of type `type` is one this pattern selects.
    [[nodiscard]] constexpr bool matches(type_name const& type) const noexcept {
        switch (kind_) {
        case kind::exact:
            return type.view() == view();
        case kind::entity:
            return type.entity() == entity();
        case kind::any:
            return true;
        }
        return false;
    }

    /// The pattern as written: `user.created`, `user.*` or `*`.
    [[nodiscard]] constexpr std::string_view view() const noexcept { return text_.view(); }
    /// True for a single type (no wildcard).
    [[nodiscard]] constexpr bool is_exact() const noexcept { return kind_ == kind::exact; }
    /// True for `*`, every event.
    [[nodiscard]] constexpr bool is_any() const noexcept { return kind_ == kind::any; }
    /// The entity a pattern is limited to (`user`); empty for `*`.
    [[nodiscard]] constexpr std::string_view entity() const noexcept {
        return kind_ == kind::any ? std::string_view() : view().substr(0, entity_size_);
    }

    [[nodiscard]] friend constexpr bool operator==(type_pattern const& a,
                                                   type_pattern const& b) noexcept {
        return a.view() == b.view();
    }

private:
    enum class kind : std::uint8_t { exact, entity, any };

    constexpr type_pattern(std::string_view s, kind k) noexcept : kind_(k) { assign(s); }

    constexpr void assign(std::string_view s) noexcept {
        text_.assign(s);
        std::size_t n = 0;
        while (n < s.size() && s[n] != '.')
            ++n;
        entity_size_ = static_cast<std::uint8_t>(n);
    }

    [[nodiscard]] static constexpr detail::name_fault classify(std::string_view s,
                                                               kind& k) noexcept {
        if (s == "*") {
            k = kind::any;
            return detail::name_fault::none;
        }
        if (s.ends_with(".*")) {
            k = kind::entity;
            return entity_fault(s.substr(0, s.size() - 2));
        }
        k = kind::exact;
        if (s.find('*') != std::string_view::npos)
            return detail::name_fault::bad_pattern; // a wildcard only as the whole action
        std::size_t dot = 0;
        return detail::check_type_name(s, dot);
    }

    [[nodiscard]] static constexpr detail::name_fault entity_fault(std::string_view e) noexcept {
        if (e.empty())
            return detail::name_fault::bad_pattern;
        if (e.size() + 2 > max_type_name_size)
            return detail::name_fault::too_long;
        if (!detail::is_lower(e[0]))
            return detail::name_fault::bad_first_character;
        for (char const c : e)
            if (!detail::is_part_char(c))
                return c == '.' || c == '*' ? detail::name_fault::bad_pattern
                                            : detail::name_fault::bad_character;
        return detail::name_fault::none;
    }

    detail::name_chars text_;
    kind kind_ = kind::exact;
    std::uint8_t entity_size_ = 0;
};

} // namespace apikit::events

template <>
struct std::hash<apikit::events::type_name> {
    [[nodiscard]] std::size_t operator()(apikit::events::type_name const& t) const noexcept {
        return std::hash<std::string_view>{}(t.view());
    }
};

/// Prints the name: `user.created`.
template <>
struct fmt::formatter<apikit::events::type_name> : fmt::formatter<std::string_view> {
    auto format(apikit::events::type_name const& t, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(t.view(), ctx);
    }
};

/// Prints the pattern: `user.*`.
template <>
struct fmt::formatter<apikit::events::type_pattern> : fmt::formatter<std::string_view> {
    auto format(apikit::events::type_pattern const& p, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(p.view(), ctx);
    }
};

#endif
