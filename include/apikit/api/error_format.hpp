#ifndef APIKIT_API_ERROR_FORMAT_HPP
#define APIKIT_API_ERROR_FORMAT_HPP

// How an api_error is written out: a policy per wire format, behind one
// concept. Two models:
//
//   envelope_format      application/json, apikit's envelope:
//     {"error":{"code":"validation_error","message":"Invalid request parameters",
//               "details":[{"field":"email","message":"Invalid format"}],
//               "request_id":"req_…"}}
//   problem_json_format  application/problem+json, RFC 9457:
//     {"type":"about:blank","title":"Unprocessable Content","status":422,
//      "detail":"Invalid request parameters","code":"validation_error",
//      "request_id":"req_…","errors":[{"field":"email","message":"Invalid format"}]}
//
// Both follow the same rules: members in the order shown; the details
// (`details` / `errors`) only when there are some; `request_id` always, JSON
// null when the error was never stamped with one; a 5xx with the table's
// default message and no details. Rendering runs on every error response,
// so `append` writes straight into the caller's buffer; `to_value` builds the
// same document as a boost::json::value for code that composes JSON.

#include <apikit/api/error.hpp>
#include <apikit/core/json_string.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <charconv>
#include <concepts>
#include <span>
#include <string>
#include <string_view>

namespace apikit::api {

/// A rendering policy for api_error: its media type, an appending writer and
/// a conversion to a JSON value, which must agree byte for byte once serialized.
template <class F>
concept error_format = requires(std::string& out, api_error const& e, boost::json::storage_ptr sp) {
    { F::content_type } -> std::convertible_to<std::string_view>;
    { F::append(out, e) } -> std::same_as<void>;
    { F::to_value(e, sp) } -> std::same_as<boost::json::value>;
};

namespace detail {

inline void append_unsigned(std::string& out, unsigned v) {
    char buf[16];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

inline void append_request_id(std::string& out, api_error const& e) {
    if (e.request_id.empty())
        out.append("null");
    else
        append_json_string(out, e.request_id);
}

inline void append_field_errors(std::string& out, std::span<field_error const> details) {
    out.push_back('[');
    bool first = true;
    for (auto const& d : details) {
        if (!first)
            out.push_back(',');
        first = false;
        out.append(R"({"field":)");
        append_json_string(out, d.field);
        out.append(R"(,"message":)");
        append_json_string(out, d.message);
        out.push_back('}');
    }
    out.push_back(']');
}

[[nodiscard]] inline boost::json::value request_id_value(api_error const& e,
                                                         boost::json::storage_ptr const& sp) {
    if (e.request_id.empty())
        return boost::json::value(nullptr, sp);
    return boost::json::value(e.request_id, sp);
}

[[nodiscard]] inline boost::json::value field_errors_value(std::span<field_error const> details,
                                                           boost::json::storage_ptr const& sp) {
    boost::json::array a(sp);
    a.reserve(details.size());
    for (auto const& d : details)
        a.push_back(boost::json::value_from(d, sp));
    return a;
}

} // namespace detail

/// The recommended reason phrase of an HTTP status (RFC 9110 §15, RFC 6585),
/// for the statuses apikit's error table uses and the common others; an
/// unknown status gets its class's generic phrase.
[[nodiscard]] constexpr std::string_view reason_phrase(unsigned status) noexcept {
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status >= 500 ? "Server Error" : "Client Error";
    }
}

/// apikit's envelope, `application/json`.
struct envelope_format {
    static constexpr std::string_view content_type = "application/json";

    static void append(std::string& out, api_error const& e) {
        auto const details = e.public_details();
        out.append(R"({"error":{"code":)");
        append_json_string(out, e.code_name());
        out.append(R"(,"message":)");
        append_json_string(out, e.public_message());
        if (!details.empty()) {
            out.append(R"(,"details":)");
            detail::append_field_errors(out, details);
        }
        out.append(R"(,"request_id":)");
        detail::append_request_id(out, e);
        out.append("}}");
    }

    [[nodiscard]] static boost::json::value to_value(api_error const& e,
                                                     boost::json::storage_ptr sp = {}) {
        auto const details = e.public_details();
        boost::json::object inner(sp);
        inner.reserve(4);
        inner.emplace("code", e.code_name());
        inner.emplace("message", e.public_message());
        if (!details.empty())
            inner.emplace("details", detail::field_errors_value(details, sp));
        inner.emplace("request_id", detail::request_id_value(e, sp));
        boost::json::object outer(sp);
        outer.emplace("error", std::move(inner));
        return outer;
    }
};

/// RFC 9457 problem details, `application/problem+json`. `type` is
/// `about:blank`, so `title` is the status's reason phrase as §4.2.1 asks;
/// the apikit code, which tells apart errors that share a status
/// (`malformed_request` and `invalid_cursor` are both 400), is the extension
/// member `code`, beside `request_id` and the field errors as `errors`.
struct problem_json_format {
    static constexpr std::string_view content_type = "application/problem+json";

    static void append(std::string& out, api_error const& e) {
        auto const details = e.public_details();
        out.append(R"({"type":"about:blank","title":)");
        append_json_string(out, reason_phrase(e.status()));
        out.append(R"(,"status":)");
        detail::append_unsigned(out, e.status());
        out.append(R"(,"detail":)");
        append_json_string(out, e.public_message());
        out.append(R"(,"code":)");
        append_json_string(out, e.code_name());
        out.append(R"(,"request_id":)");
        detail::append_request_id(out, e);
        if (!details.empty()) {
            out.append(R"(,"errors":)");
            detail::append_field_errors(out, details);
        }
        out.push_back('}');
    }

    [[nodiscard]] static boost::json::value to_value(api_error const& e,
                                                     boost::json::storage_ptr sp = {}) {
        auto const details = e.public_details();
        boost::json::object o(sp);
        o.reserve(7);
        o.emplace("type", "about:blank");
        o.emplace("title", reason_phrase(e.status()));
        o.emplace("status", e.status());
        o.emplace("detail", e.public_message());
        o.emplace("code", e.code_name());
        o.emplace("request_id", detail::request_id_value(e, sp));
        if (!details.empty())
            o.emplace("errors", detail::field_errors_value(details, sp));
        return o;
    }
};

static_assert(error_format<envelope_format>,
              "apikit::api::envelope_format must model apikit::api::error_format");
static_assert(error_format<problem_json_format>,
              "apikit::api::problem_json_format must model apikit::api::error_format");

/// The body of the response for `e` in format `F`.
template <class F = envelope_format>
[[nodiscard]] std::string render(api_error const& e) {
    static_assert(error_format<F>, "apikit::api::render's F must model apikit::api::error_format");
    std::string out;
    out.reserve(128 + e.message.size() + e.request_id.size() + 64 * e.details.size());
    F::append(out, e);
    return out;
}

/// `boost::json::value_from(error)` is the envelope.
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, api_error const& e) {
    jv = envelope_format::to_value(e, jv.storage());
}

} // namespace apikit::api

#endif
