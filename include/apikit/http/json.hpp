#ifndef APIKIT_HTTP_JSON_HPP
#define APIKIT_HTTP_JSON_HPP

// JSON request bodies, held to I-JSON (RFC 7493) so that no two readers of
// one body can disagree on what it says. `read_json` checks the media type
// first — a body that does not say it is JSON is a 415
// `unsupported_media_type` — and then parses; every body it refuses is a 400
// `malformed_request` whose message says what was wrong:
// - empty, or not JSON (the parser's own words);
// - not UTF-8, or a `\u` escape of half a surrogate pair (`"\ud800"`):
//   Boost.JSON refuses both, the message names them;
// - arrays and objects nested deeper than `max_json_depth` (32), so that a
//   body cannot exhaust the stack;
// - a number past a double's range (`1e999`), which Boost.JSON 1.81 would
//   make an Infinity that JSON cannot write back (I-JSON §2.2);
// - a member name twice in one object, at any depth (RFC 7493 §2.3), where
//   Boost.JSON would silently keep the last: the message names the member,
//   its first 64 bytes, JSON-escaped (it is the client's text).
// `read_json_object` also insists on an object, which is what a resource body
// is. Every route of every area reads its body through these, so the rules
// hold everywhere.
//
// The rules cost one parse: the parser's handler counts the members it
// reports, a walk of the result counts the members kept, and only when they
// differ (a duplicate was dropped) is the body read again to name it.
// Nothing is shared between calls; failures are values (but std::bad_alloc).
//
// JSON responses are response::json and response::json_text.

#include <apikit/api/error.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/http/detail/json_body.hpp>
#include <apikit/http/request.hpp>
#include <apikit/http/response.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

namespace apikit::http {

/// The deepest a JSON body may nest arrays and objects: `[[1]]` is 2 deep.
inline constexpr std::size_t max_json_depth = 32;

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

/// `body` held to the rules above, whichever way it came (read_json reads a
/// request's body with it): the value, or a 400 `malformed_request`.
[[nodiscard]] inline api::api_result<boost::json::value>
parse_json_body(std::string_view body, boost::json::storage_ptr sp = {}) {
    if (body.empty())
        return api::api_error(errc::malformed_request, "The request body is empty");
    boost::system::error_code ec;
    auto parsed = detail::parse_json_text(body, sp, max_json_depth, nullptr, ec);
    if (ec)
        return api::api_error(errc::malformed_request,
                              detail::refused_json_message(body, ec, max_json_depth));
    if (parsed.repeats) {
        detail::json_duplicate_finder finder;
        (void)detail::parse_json_text(body, {}, max_json_depth, &finder, ec);
        return api::api_error(errc::malformed_request,
                              detail::duplicate_member_message(finder.first.value_or("")));
    }
    return std::move(parsed.value);
}

/// The request's body as JSON: 415 unless its Content-Type is JSON, 400 if
/// it breaks a rule above.
[[nodiscard]] inline api::api_result<boost::json::value>
read_json(request const& req, boost::json::storage_ptr sp = {}) {
    auto const ct = req.header(boost::beast::http::field::content_type);
    if (!ct || !is_json_media_type(*ct))
        return api::api_error(errc::unsupported_media_type,
                              "The request body must be application/json");
    return parse_json_body(req.body(), std::move(sp));
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
