#ifndef APIKIT_API_ERROR_HPP
#define APIKIT_API_ERROR_HPP

// An API error as a client will see it: an apikit::errc (which fixes the HTTP
// status and the envelope `code` through apikit::info, the one table), a
// message, the per-field details of a validation failure, and the request id
// the HTTP layer stamps on it. How it is written out (apikit's envelope or
// RFC 9457 problem+json) is a separate policy, in <apikit/api/error_format.hpp>,
// which also makes `boost::json::value_from(error)` work.
//
// The one rule that protects a server's internals lives here too: a 5xx shows
// a client the table's default message and no details, whatever the code
// that raised it put in `message` (which may then go to the server's log).

#include <apikit/core/error.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <fmt/format.h>

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::api {

/// One field's problem in a validation error: `{"field":"email","message":"Invalid format"}`.
/// `field` names the input as the client spelled it: a body member (`email`),
/// a query parameter (`limit`) or a path into the body (`items[2].quantity`).
struct field_error {
    std::string field;
    std::string message;

    friend bool operator==(field_error const&, field_error const&) = default;
};

struct api_error {
    /// What went wrong; fixes the status and the envelope code.
    errc code;
    /// For the client, unless the error is a 5xx; empty means the table's default.
    std::string message;
    /// For the client, unless the error is a 5xx.
    std::vector<field_error> details;
    /// The request's id, stamped by the HTTP layer before the error is rendered.
    std::string request_id;

    /// An internal_error: an error of unknown kind is the server's.
    api_error() noexcept : code(errc::internal_error) {}
    explicit api_error(errc c) noexcept : code(c) {}
    api_error(errc c, std::string msg) noexcept : code(c), message(std::move(msg)) {}
    api_error(errc c, std::string msg, std::vector<field_error> d) noexcept
        : code(c)
        , message(std::move(msg))
        , details(std::move(d)) {}

    /// The error for a failed call: its errc when the code is apikit's, else
    /// internal_error. The code's own message is never used: a foreign
    /// category's text (a database's, the OS's) is an internal.
    explicit api_error(boost::system::error_code const& ec) noexcept : code(to_errc(ec)) {}

    /// A 422 `validation_error` with the table's message and these details.
    [[nodiscard]] static api_error validation(std::vector<field_error> d) {
        return {errc::validation_error, {}, std::move(d)};
    }
    /// A 422 `validation_error` about one field.
    [[nodiscard]] static api_error validation(std::string field, std::string msg) {
        std::vector<field_error> d;
        d.push_back({std::move(field), std::move(msg)});
        return validation(std::move(d));
    }

    [[nodiscard]] unsigned status() const noexcept { return info(code).status; }
    /// The envelope's `code`: `validation_error`, `not_found`, …
    [[nodiscard]] std::string_view code_name() const noexcept { return info(code).code; }
    [[nodiscard]] bool is_server_error() const noexcept { return status() >= 500; }

    /// The message a client sees: `message`, or the table's default for a 5xx
    /// and when `message` is empty.
    [[nodiscard]] std::string_view public_message() const noexcept {
        return is_server_error() || message.empty() ? info(code).message
                                                    : std::string_view(message);
    }
    friend bool operator==(api_error const&, api_error const&) = default;

    /// The details a client sees: `details`, or none for a 5xx.
    [[nodiscard]] std::span<field_error const> public_details() const noexcept {
        if (is_server_error())
            return {};
        return details;
    }
};

/// What a fallible call returns when its failure must carry field details
/// (the parsers of query parameters, for one): a value or an api_error.
template <class T>
using api_result = boost::system::result<T, api_error>;

/// Called by `api_result<T>::value()` on an error: throws a system_error with
/// the apikit code and the message a client would see.
[[noreturn]] inline void throw_exception_from_error(api_error const& e,
                                                    boost::source_location const& loc) {
    boost::throw_with_location(
        boost::system::system_error(make_error_code(e.code), std::string(e.public_message())), loc);
}

/// `{"field":…,"message":…}`. The conversion of a whole api_error, which is a
/// rendering, lives with the formats in <apikit/api/error_format.hpp>.
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, field_error const& e) {
    auto& o = jv.emplace_object();
    o.reserve(2);
    o.emplace("field", e.field);
    o.emplace("message", e.message);
}

} // namespace apikit::api

/// The server's view of an error, for its log: code, status, the message as
/// given (a 5xx's too, which a client never sees) and the details, e.g.
/// `validation_error (422): Invalid request parameters [email: Invalid format]`.
template <>
struct fmt::formatter<apikit::api::api_error> {
    constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }

    auto format(apikit::api::api_error const& e, fmt::format_context& ctx) const {
        auto out = fmt::format_to(ctx.out(), "{} ({}): {}", e.code_name(), e.status(),
                                  e.message.empty() ? apikit::info(e.code).message
                                                    : std::string_view(e.message));
        for (std::size_t i = 0; i < e.details.size(); ++i)
            out = fmt::format_to(out, "{}{}: {}", i == 0 ? " [" : "; ", e.details[i].field,
                                 e.details[i].message);
        if (!e.details.empty())
            *out++ = ']';
        return out;
    }
};

#endif
