// The HTTP grammar reads header fields and request targets that clients
// write. Whatever the bytes: no crash, no read outside the input, and the
// properties each part promises — list elements are trimmed, non-empty and
// split only outside quotes; percent-decoding undoes percent-encoding and its
// three forms agree on what is malformed; an unquoted string quotes back.
#include "fuzz.hpp"

#include <apikit/core/http_grammar.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace grammar = apikit::grammar;

namespace {

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

bool trimmed_and_not_empty(std::string_view e) {
    return !e.empty() && !is_ows(e.front()) && !is_ows(e.back());
}

bool inside(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// `delimiter` occurs in `e` only inside a quoted string (a `\` in one escapes
// the next character), written independently of the splitter.
bool no_unquoted(std::string_view e, char delimiter) {
    bool quoted = false;
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (quoted && e[i] == '\\')
            ++i;
        else if (e[i] == '"')
            quoted = !quoted;
        else if (!quoted && e[i] == delimiter)
            return false;
    }
    return true;
}

void check_lists(std::string_view in) {
    for (auto const e : grammar::list_elements(in)) {
        apikit_fuzz::require(trimmed_and_not_empty(e) && inside(e, in),
                             "a list element is a trimmed, non-empty view of the field");
        apikit_fuzz::require(no_unquoted(e, ','), "a list element holds no unquoted comma");
    }
    for (auto const e : grammar::list_elements(in, grammar::quoting::none))
        apikit_fuzz::require(trimmed_and_not_empty(e) && e.find(',') == std::string_view::npos,
                             "without quoting, a list element holds no comma");
    for (auto const [name, value] : grammar::parameters(in)) {
        auto const end = value.data() ? value.data() + value.size() : name.data() + name.size();
        std::string_view const element(name.data(), static_cast<std::size_t>(end - name.data()));
        apikit_fuzz::require(trimmed_and_not_empty(element) && inside(element, in) &&
                                 no_unquoted(element, ';'),
                             "a parameter is a trimmed view holding no unquoted semicolon");
        apikit_fuzz::require(name.find('=') == std::string_view::npos,
                             "a parameter name holds no '='");
        std::array<char, 64> buf;
        if (grammar::is_valid_parameter({name, value}))
            apikit_fuzz::require(value.size() > buf.size() ||
                                     grammar::token_or_quoted_string(value, buf).has_value(),
                                 "a valid parameter's value reads as a token or a quoted string");
    }
    for (auto const [name, value] : grammar::cookies(in))
        apikit_fuzz::require(name.find(';') == std::string_view::npos &&
                                 value.find(';') == std::string_view::npos,
                             "a cookie holds no semicolon");
    for (auto const tag : grammar::entity_tags(in))
        if (tag)
            apikit_fuzz::require(tag->opaque.find('"') == std::string_view::npos,
                                 "an entity tag's opaque text holds no quote");
}

void check_percent(std::string_view in) {
    for (auto const plus : {grammar::plus_means::plus, grammar::plus_means::space}) {
        // Encoding, then decoding, gives the input back, in all three forms.
        std::string encoded;
        grammar::append_percent_encoded(encoded, in, plus);
        std::string decoded;
        apikit_fuzz::require(grammar::append_percent_decoded(decoded, encoded, plus) &&
                                 decoded == in,
                             "decode(encode(x)) == x");
        apikit_fuzz::require(grammar::percent_decoded_equals(encoded, in, plus),
                             "encode(x) compares equal to x");
        std::vector<char> buf(in.size());
        auto const into = grammar::percent_decode(encoded, buf, plus);
        apikit_fuzz::require(into && *into == in, "decoding into a buffer of x's size gives x");

        // The input as encoded text: every form agrees on whether it is.
        bool const valid = grammar::has_valid_percent_escapes(in);
        std::string out = "x";
        bool const appended = grammar::append_percent_decoded(out, in, plus);
        apikit_fuzz::require(appended == valid, "append agrees with has_valid_percent_escapes");
        apikit_fuzz::require(appended || out == "x", "a failed append leaves the output alone");
        std::vector<char> room(in.size());
        auto const d = grammar::percent_decode(in, room, plus);
        apikit_fuzz::require(d.has_value() == valid,
                             "decode agrees with has_valid_percent_escapes");
        if (d)
            apikit_fuzz::require(*d == std::string_view(out).substr(1) &&
                                     grammar::percent_decoded_equals(in, *d, plus),
                                 "the decoding forms agree");
    }
}

void check_quoted(std::string_view in) {
    std::vector<char> buf(in.size());
    if (auto const n = grammar::quoted_string_size(in)) {
        auto const text = grammar::unquote(in.substr(0, n), buf);
        apikit_fuzz::require(text.has_value(), "a quoted string found at the front unquotes");
        std::string again = "\"";
        for (char const c : *text) {
            if (c == '"' || c == '\\')
                again.push_back('\\');
            again.push_back(c);
        }
        again.push_back('"');
        std::vector<char> buf2(again.size());
        apikit_fuzz::require(grammar::unquote(again, buf2) == text, "an unquoted text quotes back");
    }
    if (auto const s = grammar::sf_string(in, buf))
        for (char const c : *s)
            apikit_fuzz::require(c >= 0x20 && c <= 0x7e, "an sf-string is printable ASCII");
    if (auto const c = grammar::parse_credentials(in))
        apikit_fuzz::require(grammar::is_token(c->scheme), "a credentials scheme is a token");
    auto const t = grammar::trim_ows(in);
    apikit_fuzz::require(grammar::trim_ows(t) == t && inside(t, in), "trim_ows is idempotent");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const in = apikit_fuzz::as_text(data, size);
    check_lists(in);
    check_percent(in);
    check_quoted(in);
    return 0;
}
