#ifndef APIKIT_HTTP_DETAIL_JSON_BODY_HPP
#define APIKIT_HTTP_DETAIL_JSON_BODY_HPP

// The messages of JSON request bodies refused by http::parse_json_body
// (http/json.hpp). The parse itself is apikit's one strict JSON reader,
// core/detail/json_parse.hpp, whose parts are named here for the HTTP layer
// and the areas that reach it through this header.

#include <apikit/core/detail/json_parse.hpp>
#include <apikit/core/json_string.hpp>

#include <boost/json/error.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace apikit::http::detail {

using apikit::detail::has_lone_surrogate;
using apikit::detail::is_utf8;
using apikit::detail::json_body_handler;
using apikit::detail::json_duplicate_finder;
using apikit::detail::json_members;
using apikit::detail::json_parsed;
using apikit::detail::parse_json_text;

// The message naming a duplicate member: its first 64 bytes (cut between
// UTF-8 sequences), as a JSON string, so that quotes and control characters
// in it read unambiguously.
[[nodiscard]] inline std::string duplicate_member_message(std::string_view name) {
    constexpr std::size_t longest = 64;
    bool const cut = name.size() > longest;
    if (cut)
        name = utf8_prefix(name, longest); // a name the parser read is UTF-8
    std::string m = "Duplicate member ";
    append_json_string(m, name);
    if (cut)
        m += "…";
    m += " in the JSON body";
    return m;
}

// The message of a body the parser refused with `ec`.
[[nodiscard]] inline std::string
refused_json_message(std::string_view body, boost::system::error_code ec, std::size_t max_depth) {
    if (ec == boost::json::error::too_deep)
        return "The request body nests arrays and objects deeper than " +
               std::to_string(max_depth) + " levels";
    if (ec == boost::json::error::exponent_overflow)
        return "The request body holds a number beyond the range of a double";
    if (!is_utf8(body))
        return "The request body is not valid JSON: it is not UTF-8";
    if (has_lone_surrogate(body))
        return "The request body is not valid JSON: a \\u escape is half a surrogate pair";
    return "The request body is not valid JSON: " + ec.message();
}

} // namespace apikit::http::detail

#endif
