#ifndef APIKIT_HTTP_JSON_HPP
#define APIKIT_HTTP_JSON_HPP

// JSON request bodies. `read_json` checks the media type first — a body that
// does not say it is JSON is a 415 `unsupported_media_type` — and then
// parses: an empty or malformed body is a 400 `malformed_request` whose
// message says what was wrong (never more than the parser's own words).
// `read_json_object` also insists on an object, which is what a resource
// body is. Parsing uses Boost.JSON's default limits (depth 32), so a deeply
// nested body cannot exhaust the stack.
//
// JSON responses are response::json and response::json_text.

#include <apikit/api/error.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/http/request.hpp>
#include <apikit/http/response.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <string>
#include <string_view>

namespace apikit::http {

/// True for `application/json`, in any case, with or without parameters, as
/// long as a `charset` parameter, if any, is UTF-8 (RFC 8259 §8.1: JSON
/// exchanged between systems is UTF-8), as a token or a quoted string.
/// Parameters that are not `charset` are not looked at, well-formed or not.
[[nodiscard]] inline bool is_json_media_type(std::string_view content_type) noexcept {
    auto const semi = content_type.find(';');
    if (!grammar::iequals(grammar::trim_ows(content_type.substr(0, semi)), "application/json"))
        return false;
    if (semi == std::string_view::npos)
        return true;
    for (auto const [name, value] : grammar::parameters(content_type.substr(semi))) {
        if (!grammar::iequals(name, "charset"))
            continue;
        std::array<char, 8> buffer{}; // "utf-8" fits; a longer value is not it
        auto const charset = grammar::token_or_quoted_string(value, buffer);
        if (!charset || !grammar::iequals(*charset, "utf-8"))
            return false;
    }
    return true;
}

/// The request's body as JSON: 415 unless its Content-Type is JSON, 400 if
/// it is empty or not valid JSON.
[[nodiscard]] inline api::api_result<boost::json::value>
read_json(request const& req, boost::json::storage_ptr sp = {}) {
    auto const ct = req.header(boost::beast::http::field::content_type);
    if (!ct || !is_json_media_type(*ct))
        return api::api_error(errc::unsupported_media_type,
                              "The request body must be application/json");
    auto const body = req.body();
    if (body.empty())
        return api::api_error(errc::malformed_request, "The request body is empty");
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec, std::move(sp));
    if (ec)
        return api::api_error(errc::malformed_request,
                              "The request body is not valid JSON: " + ec.message());
    return v;
}

/// The request's body as a JSON object: as read_json, and a body that is
/// valid JSON but not an object is a 400 too.
[[nodiscard]] inline api::api_result<boost::json::object>
read_json_object(request const& req, boost::json::storage_ptr sp = {}) {
    auto v = read_json(req, std::move(sp));
    if (!v)
        return v.error();
    if (!v->is_object())
        return api::api_error(errc::malformed_request, "The request body must be a JSON object");
    return std::move(v->get_object());
}

} // namespace apikit::http

#endif
