#ifndef APIKIT_SERVER_VALIDATION_HPP
#define APIKIT_SERVER_VALIDATION_HPP

// The sample service's input rules: one function per field, returning the
// message for the field's entry in a 422's `details`, or nothing when the
// value is acceptable (a missing member is passed as null, so "missing" and
// "wrong type" are reported like any other bad value); and one function per
// request body, which checks every field and reports all the bad ones at
// once. Members the contract does not name are ignored, so a client may
// send more than a resource takes.

#include "model.hpp"

#include <apikit/api/error.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sample {

inline constexpr std::size_t max_email_length = 254; // RFC 5321's path limit, less the <>
inline constexpr std::size_t max_email_local_length = 64;
inline constexpr std::size_t max_name_length = 200; // in characters (code points)
inline constexpr std::size_t max_item_length = 200;
/// Passwords, in characters: at least 8 (NIST SP 800-63B §5.1.1.2), and a
/// bound so that the KDF is never handed megabytes.
inline constexpr std::size_t min_password_length = 8;
inline constexpr std::size_t max_password_length = 256;
inline constexpr std::int64_t min_quantity = 1;
inline constexpr std::int64_t max_quantity = 1000;

using problem = std::optional<std::string_view>;

namespace detail {

inline bool is_control(unsigned char c) noexcept {
    return c < 0x20 || c == 0x7f;
}

/// Code points in `s`, which Boost.JSON has already checked is UTF-8.
inline std::size_t utf8_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xc0) != 0x80; // count every byte but continuation bytes
    return n;
}

inline bool is_blank(std::string_view s) noexcept {
    return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

/// The email's shape, not its deliverability (only sending mail proves
/// that): one '@', a local part of 1 to 64 bytes, a domain of dot-separated
/// non-empty labels with at least one dot, and no spaces or control
/// characters anywhere. Bytes above 0x7f pass, for internationalized
/// addresses (RFC 6531).
inline bool email_shape_ok(std::string_view e) noexcept {
    auto const at = e.find('@');
    if (at == e.npos || e.find('@', at + 1) != e.npos)
        return false;
    auto const local = e.substr(0, at), domain = e.substr(at + 1);
    if (local.empty() || local.size() > max_email_local_length)
        return false;
    for (unsigned char c : e)
        if (c == ' ' || is_control(c))
            return false;
    if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
        domain.find('.') == domain.npos || domain.find("..") != domain.npos)
        return false;
    return true;
}

inline problem text_problem(boost::json::value const* v, std::size_t max_length,
                            std::string_view too_long) {
    if (!v || v->is_null())
        return "is required";
    if (!v->is_string())
        return "must be a string";
    std::string_view const s = v->get_string();
    if (is_blank(s))
        return "must not be blank";
    if (utf8_length(s) > max_length)
        return too_long;
    for (unsigned char c : s)
        if (is_control(c))
            return "must not contain control characters";
    return std::nullopt;
}

} // namespace detail

inline problem email_problem(boost::json::value const* v) {
    if (!v || v->is_null())
        return "is required";
    if (!v->is_string())
        return "must be a string";
    std::string_view const s = v->get_string();
    if (s.size() > max_email_length)
        return "must be at most 254 characters";
    if (!detail::email_shape_ok(s))
        return "Invalid format";
    return std::nullopt;
}

inline problem name_problem(boost::json::value const* v) {
    return detail::text_problem(v, max_name_length, "must be at most 200 characters");
}

/// Any characters, spaces included (a passphrase is a good password), from
/// 8 to 256 of them. What it says never repeats the password.
inline problem password_problem(boost::json::value const* v) {
    if (!v || v->is_null())
        return "is required";
    if (!v->is_string())
        return "must be a string";
    auto const n = detail::utf8_length(v->get_string());
    if (n < min_password_length)
        return "must be at least 8 characters";
    if (n > max_password_length)
        return "must be at most 256 characters";
    return std::nullopt;
}

inline problem item_problem(boost::json::value const* v) {
    return detail::text_problem(v, max_item_length, "must be at most 200 characters");
}

/// An integer from 1 to 1000. A JSON number with a fraction or an exponent
/// (`2.0`, `1e2`) is not an integer here, even when its value is whole:
/// Boost.JSON parses those as double, and a client that sends them has a bug
/// worth hearing about.
inline problem quantity_problem(boost::json::value const* v) {
    if (!v || v->is_null())
        return "is required";
    std::int64_t q = 0;
    if (v->is_int64())
        q = v->get_int64();
    else if (v->is_uint64())
        return "must be between 1 and 1000"; // above INT64_MAX
    else
        return "must be an integer";
    if (q < min_quantity || q > max_quantity)
        return "must be between 1 and 1000";
    return std::nullopt;
}

namespace detail {

inline void check(std::vector<apikit::api::field_error>& details, std::string_view field,
                  problem p) {
    if (p)
        details.push_back({std::string(field), std::string(*p)});
}

} // namespace detail

/// A sign-up as the body gave it: the user to store once `password` is
/// hashed into `user.password_hash`.
struct sign_up {
    new_user user;
    std::string password;
};

/// The body of `POST /users`: `{"email","name","password"}`.
inline apikit::api::api_result<sign_up> parse_sign_up(boost::json::object const& body) {
    auto const* email = body.if_contains("email");
    auto const* name = body.if_contains("name");
    auto const* password = body.if_contains("password");
    std::vector<apikit::api::field_error> details;
    detail::check(details, "email", email_problem(email));
    detail::check(details, "name", name_problem(name));
    detail::check(details, "password", password_problem(password));
    if (!details.empty())
        return apikit::api::api_error::validation(std::move(details));
    return sign_up{{std::string(email->get_string()), std::string(name->get_string()), {}},
                   std::string(password->get_string())};
}

/// The body of `POST /auth/login`: `{"email","password"}`, both strings.
/// Only their presence and type are checked: a login says nothing about
/// which rules a password breaks, and an email that is not one simply
/// belongs to no user.
struct login {
    std::string email;
    std::string password;
};

inline apikit::api::api_result<login> parse_login(boost::json::object const& body) {
    auto const present = [](boost::json::value const* v) -> problem {
        if (!v || v->is_null())
            return "is required";
        if (!v->is_string())
            return "must be a string";
        return std::nullopt;
    };
    auto const* email = body.if_contains("email");
    auto const* password = body.if_contains("password");
    std::vector<apikit::api::field_error> details;
    detail::check(details, "email", present(email));
    detail::check(details, "password", present(password));
    if (!details.empty())
        return apikit::api::api_error::validation(std::move(details));
    return login{std::string(email->get_string()), std::string(password->get_string())};
}

/// The body of `POST /users/:id/orders`: `{"item","quantity"}`.
inline apikit::api::api_result<new_order> parse_new_order(boost::json::object const& body) {
    auto const* item = body.if_contains("item");
    auto const* quantity = body.if_contains("quantity");
    std::vector<apikit::api::field_error> details;
    detail::check(details, "item", item_problem(item));
    detail::check(details, "quantity", quantity_problem(quantity));
    if (!details.empty())
        return apikit::api::api_error::validation(std::move(details));
    return new_order{std::string(item->get_string()), quantity->get_int64()};
}

} // namespace sample

#endif
