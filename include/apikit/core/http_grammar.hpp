#ifndef APIKIT_CORE_HTTP_GRAMMAR_HPP
#define APIKIT_CORE_HTTP_GRAMMAR_HPP

// The pieces of HTTP's grammar that every header parser needs, in one place,
// as Beast keeps them in http/detail/rfc7230.hpp: a router, a JSON media type
// check, a client-key walk, bearer tokens, cookies, trace context, entity
// tags and digests all read the same tokens, whitespace, quoted strings,
// lists and escapes, and each copy of that code would be a copy of its bugs.
//
// What it covers (RFC 9110 unless said otherwise):
//   - token and tchar (§5.6.2), token68 (§11.2), optional whitespace OWS
//     (§5.6.3), ASCII case-insensitive comparison (field names, schemes);
//   - percent-encoding (RFC 3986 §2.1) as paths use it, and as
//     application/x-www-form-urlencoded query strings use it ('+' a space);
//   - quoted-string with quoted-pair (§5.6.4);
//   - comma-separated lists (§5.6.1), parameters `; name=value` (§5.6.6),
//     the Cookie header (RFC 6265 §4.2.1), entity tags (§8.8.3), credentials
//     (§11.4), and structured-field keys, strings and byte sequences
//     (RFC 9651 §3.1.2, §3.3.3, §3.3.5).
//
// What it refuses, and what it tolerates. A percent sign must start two hex
// digits (`%G1`, `%4` are refused, never passed through); `%00` decodes to a
// NUL byte like any other, so a caller that hands a value to a C API must
// refuse it. A quoted-string must be closed and may hold only qdtext and
// quoted-pairs. Lists and parameters are read the way §5.6.1 asks of a
// recipient: empty elements (`a,,b`, `, a ,`) are skipped, each element is
// trimmed of OWS, and a comma or semicolon inside a quoted string does not
// split; an unterminated quote runs to the end of the field, and the element
// that holds it is then refused by whoever parses it (unquote, the parameter
// and entity-tag checks). Parameters split at the first '=' and keep
// whatever whitespace is around it: RFC 9110 allows none, and
// is_valid_parameter says so.
//
// Nothing here allocates except the functions that append to a std::string:
// elements are views of the caller's text, decoding writes into a buffer the
// caller owns, and a quoted string without escapes is returned as a view.
// The rest is constexpr and noexcept. Nothing keeps state: any thread may
// call anything. No clock, no I/O, no failure but the answers described.
// No Beast, no Asio: usable from core, api and every area's headers.

#include <cstddef>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace apikit::grammar {

// ---- Characters ------------------------------------------------------------

/// A token character (§5.6.2): letters, digits and ``!#$%&'*+-.^_`|~``.
[[nodiscard]] constexpr bool is_tchar(char c) noexcept;
/// One or more token characters: a field name, a method, a parameter name.
[[nodiscard]] constexpr bool is_token(std::string_view s) noexcept;
/// token68 (§11.2): letters, digits, `-._~+/`, then any '=' padding; what a
/// bearer token is made of.
[[nodiscard]] constexpr bool is_token68(std::string_view s) noexcept;
/// `s` without the spaces and tabs (OWS) at either end.
[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept;
/// The value of a hex digit, in either case; -1 for any other character.
[[nodiscard]] constexpr int hex_value(char c) noexcept;
/// One or more lowercase hex digits (the ids of W3C trace context).
[[nodiscard]] constexpr bool is_lower_hex(std::string_view s) noexcept;
/// `c` in lowercase, for ASCII letters only: locale never matters.
[[nodiscard]] constexpr char ascii_lower(char c) noexcept;
/// ASCII case-insensitive equality, as field names, schemes and media types
/// compare.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept;
/// No control character but HTAB (§5.5): safe to write as a field value.
[[nodiscard]] constexpr bool is_field_value(std::string_view s) noexcept;

// ---- Percent-encoding (RFC 3986 §2.1) --------------------------------------

/// What '+' means in encoded text: itself (paths, RFC 3986) or a space
/// (application/x-www-form-urlencoded, which is how query strings are sent).
enum class plus_means : bool { plus, space };

/// Every '%' in `s` starts an escape of two hex digits.
[[nodiscard]] constexpr bool has_valid_percent_escapes(std::string_view s) noexcept;
/// `encoded`, decoded, is `plain`: compared as it is decoded, with no buffer.
/// False when `encoded` holds a malformed escape.
[[nodiscard]] constexpr bool
percent_decoded_equals(std::string_view encoded, std::string_view plain, plus_means plus) noexcept;
/// Decodes `encoded` into `out`: a view of the decoded bytes at the front of
/// `out`, or std::nullopt for a malformed escape or an `out` too small
/// (`encoded.size()` bytes always suffice).
[[nodiscard]] constexpr std::optional<std::string_view>
percent_decode(std::string_view encoded, std::span<char> out, plus_means plus) noexcept;
/// Appends `encoded`, decoded, to `out`; false, with `out` as it was, for a
/// malformed escape.
[[nodiscard]] bool append_percent_decoded(std::string& out, std::string_view encoded,
                                          plus_means plus);
/// Appends `plain` to `out` with every byte but the unreserved ones
/// (letters, digits, `-._~`) escaped as `%XX` in uppercase; with
/// plus_means::space a space is written '+'.
void append_percent_encoded(std::string& out, std::string_view plain, plus_means plus);

// ---- Quoted strings (§5.6.4) -----------------------------------------------

/// The size of the quoted-string at the front of `s`, both quotes included;
/// 0 when `s` does not start with one (no quote, a character that is not
/// qdtext, a bad quoted-pair, or no closing quote).
[[nodiscard]] constexpr std::size_t quoted_string_size(std::string_view s) noexcept;
/// The text of the quoted-string `quoted` (exactly one, quotes included)
/// with its quoted-pairs unescaped: a view of `quoted` when it has no
/// escape, else of the front of `buffer`. std::nullopt when `quoted` is not
/// exactly one quoted-string, or `buffer` is too small for the text.
[[nodiscard]] constexpr std::optional<std::string_view> unquote(std::string_view quoted,
                                                                std::span<char> buffer) noexcept;
/// A parameter or list value: a token as it is, or a quoted-string unquoted
/// as by unquote; std::nullopt for anything else.
[[nodiscard]] constexpr std::optional<std::string_view>
token_or_quoted_string(std::string_view value, std::span<char> buffer) noexcept;

// ---- Lists, parameters, cookies (§5.6.1, §5.6.6, RFC 6265 §4.2.1) ---------

/// How a splitter reads a '"' in a list.
enum class quoting : unsigned char {
    quoted_string, ///< starts a quoted-string; `\` escapes the next character
    opaque,        ///< starts text that ends at the next '"' (entity tags)
    none,          ///< an ordinary character (cookies, tracestate, X-Forwarded-For)
};

/// `name=value`, split at the first '='; with no '=', the whole is the name.
struct name_value {
    std::string_view name;
    std::string_view value;
    friend constexpr bool operator==(name_value const&, name_value const&) = default;
};
[[nodiscard]] constexpr name_value split_name_value(std::string_view element) noexcept;
/// A parameter as §5.6.6 has it: a token name, '=', a token or a
/// quoted-string, and no whitespace around the '='.
[[nodiscard]] constexpr bool is_valid_parameter(name_value const& p) noexcept;

/// The elements of a list, split at `delimiter` outside quotes, trimmed of
/// OWS, empty ones skipped; each read as `Element`. A forward range of
/// views into the text, which must outlive it. Made by the functions below.
template <class Element>
class element_range {
public:
    class iterator;
    constexpr element_range(std::string_view text, char delimiter, quoting q) noexcept
        : text_(text)
        , delimiter_(delimiter)
        , quoting_(q) {}
    [[nodiscard]] constexpr iterator begin() const noexcept;
    [[nodiscard]] constexpr std::default_sentinel_t end() const noexcept { return {}; }
    [[nodiscard]] constexpr bool empty() const noexcept;

private:
    std::string_view text_;
    char delimiter_;
    quoting quoting_;
};

/// The elements of a comma-separated list field (`#element`).
[[nodiscard]] constexpr element_range<std::string_view>
list_elements(std::string_view field_value, quoting q = quoting::quoted_string) noexcept;
/// The parameters of `; a=b; c="d"`: the text after a media type, a
/// Content-Type or Cache-Control directive's tail.
[[nodiscard]] constexpr element_range<name_value> parameters(std::string_view text) noexcept;
/// The pairs of a Cookie header, `a=b; c=d`. Quotes are ordinary here, so a
/// cookie cannot hide its neighbours; a quoted cookie value keeps its quotes.
[[nodiscard]] constexpr element_range<name_value> cookies(std::string_view field_value) noexcept;

// ---- Entity tags (§8.8.3), for If-Match and If-None-Match -------------------

struct entity_tag {
    std::string_view opaque; ///< between the quotes
    bool weak = false;       ///< written `W/"…"`
    friend constexpr bool operator==(entity_tag const&, entity_tag const&) = default;
};
/// `"xyzzy"` or `W/"xyzzy"`, exactly; std::nullopt for anything else.
[[nodiscard]] constexpr std::optional<entity_tag> parse_entity_tag(std::string_view s) noexcept;
/// The strong comparison (§8.8.3.2): neither weak, the same opaque text.
[[nodiscard]] constexpr bool strong_match(entity_tag const& a, entity_tag const& b) noexcept;
/// The weak comparison: the same opaque text.
[[nodiscard]] constexpr bool weak_match(entity_tag const& a, entity_tag const& b) noexcept;
/// The tags of an If-Match or If-None-Match field; std::nullopt for an
/// element that is not one. (`*` is not a list: check for it first.)
[[nodiscard]] constexpr element_range<std::optional<entity_tag>>
entity_tags(std::string_view field_value) noexcept;

// ---- Credentials (§11.4), for Authorization --------------------------------

struct credentials {
    std::string_view scheme;            ///< compare with iequals: `Bearer`, `Basic`
    std::string_view token68_or_params; ///< after the spaces; may be empty
};
/// `Bearer abc.def`: a token scheme, then one or more spaces and the rest;
/// std::nullopt when the scheme is not a token or is not followed by a space
/// or the end.
[[nodiscard]] constexpr std::optional<credentials> parse_credentials(std::string_view s) noexcept;

// ---- Structured fields (RFC 9651), for Content-Digest and Idempotency-Key ---

/// A key (§3.1.2): a lowercase letter or '*', then lowercase letters,
/// digits and `_-.*`.
[[nodiscard]] constexpr bool is_sf_key(std::string_view s) noexcept;
/// The base64 text of a byte sequence `:…:` (§3.3.5), not yet decoded;
/// std::nullopt for anything else.
[[nodiscard]] constexpr std::optional<std::string_view>
sf_byte_sequence(std::string_view s) noexcept;
/// The text of a string `"…"` (§3.3.3): printable ASCII, with only `\"`
/// and `\\` escapes, unescaped as by unquote.
[[nodiscard]] constexpr std::optional<std::string_view> sf_string(std::string_view s,
                                                                  std::span<char> buffer) noexcept;

} // namespace apikit::grammar

#include <apikit/core/impl/http_grammar.hpp>

#endif
