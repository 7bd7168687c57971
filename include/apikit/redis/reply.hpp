#ifndef APIKIT_REDIS_REPLY_HPP
#define APIKIT_REDIS_REPLY_HPP

// One RESP2 reply: nil, a status (`+OK`), an error (`-ERR …`), an integer, a
// bulk string or an array of replies. Its own small type rather than
// hiredis's redisReply, so that a reply is a value (copied, moved, compared,
// kept after the connection is gone) and hiredis stays out of callers' code.
//
// `as<T>()` converts it to what a caller wants, as a result: an error reply is
// `error::server_error` whatever T is, and a reply of another type is
// `error::unexpected_reply`, so `auto n = r.as<std::int64_t>()` is the whole
// check. Supported: reply itself, every integer type but bool and char
// (from an integer, or a bulk string holding one, as GET returns counters),
// bool (integer 0 or 1), double (integer or numeric string), std::string,
// std::string_view (a view into this reply), std::optional<T> (nil is
// nullopt) and std::vector<T> (an array). Other types plug in by
// specializing `redis::from_reply<T>`.

#include <apikit/core/error.hpp>
#include <apikit/redis/error.hpp>

#include <fmt/format.h>

#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace apikit::redis {

enum class reply_type : std::uint8_t { nil, status, error, integer, string, array };

class reply;

/// The customization point of reply::as<T>(): a specialization has
/// `static result<T> convert(reply const&)`, called on replies that are not
/// errors.
template <class T>
struct from_reply;

class reply {
public:
    /// A nil reply.
    reply() noexcept = default;

    [[nodiscard]] static reply nil() noexcept { return {}; }
    [[nodiscard]] static reply status(std::string text) {
        return reply(reply_type::status, std::move(text));
    }
    [[nodiscard]] static reply error(std::string text) {
        return reply(reply_type::error, std::move(text));
    }
    [[nodiscard]] static reply string(std::string text) {
        return reply(reply_type::string, std::move(text));
    }
    [[nodiscard]] static reply integer(std::int64_t value) noexcept {
        reply r;
        r.type_ = reply_type::integer;
        r.integer_ = value;
        return r;
    }
    [[nodiscard]] static reply array(std::vector<reply> elements) noexcept {
        reply r;
        r.type_ = reply_type::array;
        r.elements_ = std::move(elements);
        return r;
    }

    [[nodiscard]] reply_type type() const noexcept { return type_; }
    [[nodiscard]] bool is_nil() const noexcept { return type_ == reply_type::nil; }
    [[nodiscard]] bool is_status() const noexcept { return type_ == reply_type::status; }
    [[nodiscard]] bool is_error() const noexcept { return type_ == reply_type::error; }
    [[nodiscard]] bool is_integer() const noexcept { return type_ == reply_type::integer; }
    [[nodiscard]] bool is_string() const noexcept { return type_ == reply_type::string; }
    [[nodiscard]] bool is_array() const noexcept { return type_ == reply_type::array; }

    /// The text of a status, error or bulk string; empty for other types.
    [[nodiscard]] std::string_view text() const noexcept { return text_; }
    /// The value of an integer reply; 0 for other types.
    [[nodiscard]] std::int64_t integer() const noexcept { return integer_; }
    /// The elements of an array reply; empty for other types.
    [[nodiscard]] std::span<reply const> elements() const noexcept { return elements_; }

    /// True for an error reply whose text starts with `code` and then a space
    /// or its end, as Redis spells error codes: `r.is_error_code("NOSCRIPT")`.
    [[nodiscard]] bool is_error_code(std::string_view code) const noexcept {
        return type_ == reply_type::error && text_.starts_with(code) &&
               (text_.size() == code.size() || text_[code.size()] == ' ');
    }

    /// The reply as a T; see the header's comment for the types supported.
    template <class T>
    [[nodiscard]] result<T> as() const {
        if (type_ == reply_type::error)
            return result<T>(boost::system::in_place_error, make_error_code(error::server_error));
        return from_reply<T>::convert(*this);
    }

    [[nodiscard]] friend bool operator==(reply const&, reply const&) = default;

private:
    friend class reply_builder;

    reply(reply_type t, std::string text) noexcept : type_(t), text_(std::move(text)) {}

    reply_type type_ = reply_type::nil;
    std::int64_t integer_ = 0;
    std::string text_;
    std::vector<reply> elements_;
};

/// Builds replies in place: the RESP reader writes each element straight into
/// its parent's array, with no intermediate tree to convert.
class reply_builder {
public:
    static void set_text(reply& r, reply_type t, char const* data, std::size_t n) {
        r.type_ = t;
        r.text_.assign(data, n);
    }
    static void set_integer(reply& r, std::int64_t v) noexcept {
        r.type_ = reply_type::integer;
        r.integer_ = v;
    }
    /// Makes `r` an array of `n` elements, to be appended as they are read.
    /// Room for at most `max_reserved` is made up front: the count comes
    /// before the elements, and a header that claims a billion of them
    /// (a bogus server, a corrupted stream) must cost nothing until the
    /// bytes that back them arrive. Found by fuzz/redis_reply_fuzz.cpp.
    static std::vector<reply>& set_array(reply& r, std::size_t n) {
        constexpr std::size_t max_reserved = 1024;
        r.type_ = reply_type::array;
        r.elements_.clear();
        r.elements_.reserve(n < max_reserved ? n : max_reserved);
        return r.elements_;
    }
    [[nodiscard]] static std::vector<reply>& elements(reply& r) noexcept { return r.elements_; }
    static void reset(reply& r) noexcept {
        r.type_ = reply_type::nil;
        r.integer_ = 0;
        r.text_.clear();
        r.elements_.clear();
    }
};

template <>
struct from_reply<reply> {
    [[nodiscard]] static result<reply> convert(reply const& r) { return r; }
};

template <std::integral T>
requires(!std::same_as<T, bool> && !std::same_as<T, char>) struct from_reply<T> {
    [[nodiscard]] static result<T> convert(reply const& r) {
        if (r.is_integer()) {
            if (!std::in_range<T>(r.integer()))
                return make_error_code(error::unexpected_reply);
            return static_cast<T>(r.integer());
        }
        if (r.is_string()) {
            T v{};
            auto const s = r.text();
            auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc{} || end != s.data() + s.size() || s.empty())
                return make_error_code(error::unexpected_reply);
            return v;
        }
        return make_error_code(error::unexpected_reply);
    }
};

template <>
struct from_reply<bool> {
    [[nodiscard]] static result<bool> convert(reply const& r) {
        // result<bool> cannot tell an error_code (convertible to bool) from
        // a value without being told.
        if (r.is_integer() && (r.integer() == 0 || r.integer() == 1))
            return result<bool>(boost::system::in_place_value, r.integer() == 1);
        return result<bool>(boost::system::in_place_error,
                            make_error_code(error::unexpected_reply));
    }
};

template <>
struct from_reply<double> {
    [[nodiscard]] static result<double> convert(reply const& r) {
        if (r.is_integer())
            return static_cast<double>(r.integer());
        if (r.is_string()) {
            double v = 0;
            auto const s = r.text();
            auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc{} || end != s.data() + s.size() || s.empty())
                return make_error_code(error::unexpected_reply);
            return v;
        }
        return make_error_code(error::unexpected_reply);
    }
};

template <>
struct from_reply<std::string> {
    [[nodiscard]] static result<std::string> convert(reply const& r) {
        if (r.is_string() || r.is_status())
            return std::string(r.text());
        return make_error_code(error::unexpected_reply);
    }
};

template <>
struct from_reply<std::string_view> {
    [[nodiscard]] static result<std::string_view> convert(reply const& r) {
        if (r.is_string() || r.is_status())
            return r.text();
        return make_error_code(error::unexpected_reply);
    }
};

template <class T>
struct from_reply<std::optional<T>> {
    [[nodiscard]] static result<std::optional<T>> convert(reply const& r) {
        if (r.is_nil())
            return std::optional<T>();
        auto v = r.as<T>();
        if (!v)
            return v.error();
        return std::optional<T>(std::move(*v));
    }
};

template <class T>
struct from_reply<std::vector<T>> {
    [[nodiscard]] static result<std::vector<T>> convert(reply const& r) {
        if (!r.is_array())
            return make_error_code(error::unexpected_reply);
        std::vector<T> out;
        out.reserve(r.elements().size());
        for (auto const& e : r.elements()) {
            auto v = e.as<T>();
            if (!v)
                return v.error();
            out.push_back(std::move(*v));
        }
        return out;
    }
};

} // namespace apikit::redis

/// Prints a reply as redis-cli does: `(nil)`, `OK`, `(error) ERR …`,
/// `(integer) 42`, `"text"`, `[a, b]`.
template <>
struct fmt::formatter<apikit::redis::reply> {
    constexpr auto parse(format_parse_context& ctx) { return ctx.begin(); }

    template <class Context>
    auto format(apikit::redis::reply const& r, Context& ctx) const {
        using apikit::redis::reply_type;
        auto out = ctx.out();
        switch (r.type()) {
        case reply_type::nil:
            return fmt::format_to(out, "(nil)");
        case reply_type::status:
            return fmt::format_to(out, "{}", r.text());
        case reply_type::error:
            return fmt::format_to(out, "(error) {}", r.text());
        case reply_type::integer:
            return fmt::format_to(out, "(integer) {}", r.integer());
        case reply_type::string:
            return fmt::format_to(out, "\"{}\"", r.text());
        case reply_type::array:
            break;
        }
        out = fmt::format_to(out, "[");
        bool first = true;
        for (auto const& e : r.elements()) {
            if (!first)
                out = fmt::format_to(out, ", ");
            // Itself, recursively: fmt cannot check "{}" for a type whose
            // formatter is still being defined.
            ctx.advance_to(out);
            out = format(e, ctx);
            first = false;
        }
        return fmt::format_to(out, "]");
    }
};

#endif
