#ifndef APIKIT_API_CURSOR_HPP
#define APIKIT_API_CURSOR_HPP

// Cursor codecs: how the position of a cursor page (a JSON value, the key of
// the last row served) becomes the opaque `next_cursor` text and back. A
// cursor arrives from the client, so decoding takes any bytes at all and
// answers either the JSON value or errc::invalid_cursor (400), never an
// exception, never a crash.
//
// A cursor belongs to the listing that issued it. Positions of two listings
// look alike ({"key":17,"id":"…"} for users and for orders), so a cursor of
// /users given to /users/7/orders, or one of user 7's orders given to user
// 8's, would otherwise decode as a position there and answer a page of a
// listing that never issued it. Every encode and decode therefore names a
// cursor_scope — the listing, and its filter where it has one — and a codec
// decodes a cursor only in the scope it was made in. The scope is an
// argument of every call, not an option: a listing cannot forget it.
//
// json_cursor is base64 of the scope and the compact JSON, readable and
// forgeable: a client can write `{"id":0}` and start anywhere. That is
// harmless when every row a cursor can reach is one the client may list
// anyway; when it is not, or when the position must not be guessed, use
// signed_cursor (<apikit/api/signed_cursor.hpp>).

#include <apikit/core/base64url.hpp>
#include <apikit/core/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace apikit::api {

/// What a cursor is bound to: the listing that issues it ("users") and the
/// values of its filter, where it has one (the user whose orders it lists, a
/// status …), in a fixed order. Two scopes are the same when their listing
/// and every filter value are the same bytes.
///
/// Its bytes, which a codec signs or carries, are each part as
/// `<length>:<bytes>` followed by `;` — `5:users;`, `6:orders6:user_7;` —
/// so any bytes may be a part (a filter value comes from a client) and no
/// scope's bytes begin another's: two different scopes never share a cursor.
class cursor_scope {
public:
    /// Throws std::invalid_argument when `listing` is empty: every listing
    /// has a name.
    template <class... Filter>
    requires(std::convertible_to<Filter const&, std::string_view>&&...) explicit cursor_scope(
        std::string_view listing, Filter const&... filter) {
        if (listing.empty())
            throw std::invalid_argument("apikit::api::cursor_scope: a listing needs a name");
        append_part(listing);
        (append_part(std::string_view(filter)), ...);
        bytes_.push_back(';');
    }

    /// The scope's one spelling, as above.
    [[nodiscard]] std::string_view bytes() const noexcept { return bytes_; }

    friend bool operator==(cursor_scope const&, cursor_scope const&) = default;

private:
    void append_part(std::string_view part) {
        char digits[24];
        auto const r = std::to_chars(digits, digits + sizeof digits, part.size());
        bytes_.append(digits, r.ptr);
        bytes_.push_back(':');
        bytes_.append(part);
    }

    std::string bytes_;
};

/// A cursor codec: `encode` turns a position into cursor text bound to a
/// scope; `decode` returns the position, or errc::invalid_cursor for any text
/// it did not make for that same scope.
template <class C>
concept cursor_codec = requires(C const& c, cursor_scope const& scope,
                                boost::json::value const& position, std::string_view text) {
    { c.encode(scope, position) } -> std::same_as<std::string>;
    { c.decode(scope, text) } -> std::same_as<apikit::result<boost::json::value>>;
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

/// base64url (with padding) of the scope's bytes and the compact JSON:
/// `{"id":123}` in the scope `users` ⇄ `NTp1c2Vyczt7ImlkIjoxMjN9` (the bytes
/// `5:users;{"id":123}`). Decoding takes the text with or without its
/// padding, and a position only after the scope it is asked in.
struct json_cursor {
    [[nodiscard]] std::string encode(cursor_scope const& scope,
                                     boost::json::value const& position) const {
        std::string bytes(scope.bytes());
        bytes.append(boost::json::serialize(position));
        return base64url::encode(bytes, base64url::padding::include);
    }

    [[nodiscard]] apikit::result<boost::json::value> decode(cursor_scope const& scope,
                                                            std::string_view text) const {
        if (text.empty() || text.size() > max_cursor_size)
            return detail::invalid_cursor();
        auto const bytes = base64url::decode(text);
        if (!bytes || !std::string_view(*bytes).starts_with(scope.bytes()))
            return detail::invalid_cursor();
        return detail::parse_cursor_json(std::string_view(*bytes).substr(scope.bytes().size()));
    }
};

static_assert(cursor_codec<json_cursor>,
              "apikit::api::json_cursor must model apikit::api::cursor_codec");

} // namespace apikit::api

#endif
