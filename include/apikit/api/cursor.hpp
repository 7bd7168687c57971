#ifndef APIKIT_API_CURSOR_HPP
#define APIKIT_API_CURSOR_HPP

// Cursor codecs: how the position of a cursor page (a JSON value, the key of
// the last row served) becomes the opaque `next_cursor` text and back. A
// cursor arrives from the client, so decoding takes any bytes at all and
// answers either the JSON value or errc::invalid_cursor (400), never an
// exception, never a crash.
//
// json_cursor is base64 of the compact JSON, readable and forgeable: a client
// can write `{"id":0}` and start anywhere. That is harmless when every row a
// cursor can reach is one the client may list anyway; when it is not, or when
// the position must not be guessed, use signed_cursor
// (<apikit/api/signed_cursor.hpp>).

#include <apikit/core/base64url.hpp>
#include <apikit/core/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>

namespace apikit::api {

/// A cursor codec: `encode` turns a position into cursor text; `decode`
/// returns the position, or errc::invalid_cursor for any text it did not make.
template <class C>
concept cursor_codec = requires(C const& c, boost::json::value const& position,
                                std::string_view text) {
    { c.encode(position) } -> std::same_as<std::string>;
    { c.decode(text) } -> std::same_as<apikit::result<boost::json::value>>;
};

/// The longest cursor text a codec decodes. A position is a row's key, tens
/// of bytes; refusing more up front bounds the work an attacker can ask for.
inline constexpr std::size_t max_cursor_size = 1024;

namespace detail {

[[nodiscard]] inline apikit::result<boost::json::value> invalid_cursor() {
    return make_error_code(errc::invalid_cursor);
}

/// Parses decoded cursor bytes: strict JSON (no comments, no trailing commas,
/// valid UTF-8, the parser's default depth limit), or invalid_cursor.
[[nodiscard]] inline apikit::result<boost::json::value> parse_cursor_json(std::string_view json) {
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec)
        return invalid_cursor();
    return v;
}

} // namespace detail

/// base64url (with padding) of the compact JSON: `{"id":123}` ⇄ `eyJpZCI6MTIzfQ==`.
/// Decoding takes the text with or without its padding.
struct json_cursor {
    [[nodiscard]] std::string encode(boost::json::value const& position) const {
        return base64url::encode(boost::json::serialize(position), base64url::padding::include);
    }

    [[nodiscard]] apikit::result<boost::json::value> decode(std::string_view text) const {
        if (text.empty() || text.size() > max_cursor_size)
            return detail::invalid_cursor();
        auto const bytes = base64url::decode(text);
        if (!bytes)
            return detail::invalid_cursor();
        return detail::parse_cursor_json(*bytes);
    }
};

static_assert(cursor_codec<json_cursor>,
              "apikit::api::json_cursor must model apikit::api::cursor_codec");

} // namespace apikit::api

#endif
