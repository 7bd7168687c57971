#ifndef APIKIT_API_METHOD_HPP
#define APIKIT_API_METHOD_HPP

// The request methods a REST resource answers, as apikit's own small enum so
// that routes need no Beast; the HTTP layer maps beast::http::verb onto it.
// Methods outside this set (TRACE, CONNECT, WebDAV's) have no api::method: a
// router cannot register them, and the HTTP layer answers them itself.

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace apikit::api {

enum class method : std::uint8_t { get, head, post, put, patch, delete_, options };

inline constexpr std::size_t method_count = 7;

namespace detail {
inline constexpr std::array<std::string_view, method_count> method_names{
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
} // namespace detail

/// The method's token as it appears on the request line: `GET`, `DELETE`, …
[[nodiscard]] constexpr std::string_view to_string(method m) noexcept {
    return detail::method_names[static_cast<std::size_t>(m)];
}

/// The method named by `token`. Method names are case-sensitive (RFC 9110
/// §9.1), so `get` is not `GET`; an unknown token is `std::nullopt`.
[[nodiscard]] constexpr std::optional<method> parse_method(std::string_view token) noexcept {
    for (std::size_t i = 0; i < method_count; ++i)
        if (detail::method_names[i] == token)
            return static_cast<method>(i);
    return std::nullopt;
}

/// A set of methods: what a resource allows, i.e. the `Allow` header of a 405.
class method_set {
public:
    constexpr method_set() noexcept = default;
    constexpr method_set(std::initializer_list<method> ms) noexcept {
        for (auto m : ms)
            insert(m);
    }

    constexpr void insert(method m) noexcept { bits_ |= bit(m); }
    [[nodiscard]] constexpr bool contains(method m) const noexcept { return (bits_ & bit(m)) != 0; }
    [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
    [[nodiscard]] constexpr std::size_t size() const noexcept {
        std::size_t n = 0;
        for (auto b = bits_; b != 0; b &= static_cast<std::uint8_t>(b - 1))
            ++n;
        return n;
    }

    /// Appends the `Allow` field value, e.g. `GET, HEAD, POST`, in the enum's order.
    void append_to(std::string& out) const {
        bool first = true;
        for (std::size_t i = 0; i < method_count; ++i) {
            if ((bits_ & (1u << i)) == 0)
                continue;
            if (!first)
                out.append(", ");
            out.append(detail::method_names[i]);
            first = false;
        }
    }

    [[nodiscard]] std::string to_string() const {
        std::string s;
        append_to(s);
        return s;
    }

    friend constexpr bool operator==(method_set, method_set) noexcept = default;

private:
    [[nodiscard]] static constexpr std::uint8_t bit(method m) noexcept {
        return static_cast<std::uint8_t>(1u << static_cast<unsigned>(m));
    }

    std::uint8_t bits_ = 0;
};

} // namespace apikit::api

/// Prints the method's token: `GET`.
template <>
struct fmt::formatter<apikit::api::method> : fmt::formatter<std::string_view> {
    auto format(apikit::api::method m, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(apikit::api::to_string(m), ctx);
    }
};

/// Prints the `Allow` value: `GET, HEAD, POST`.
template <>
struct fmt::formatter<apikit::api::method_set> : fmt::formatter<std::string_view> {
    auto format(apikit::api::method_set s, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(s.to_string(), ctx);
    }
};

#endif
