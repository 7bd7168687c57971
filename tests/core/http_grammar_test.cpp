// core/http_grammar.hpp: tokens, whitespace, percent-encoding, quoted
// strings, lists, parameters, cookies, entity tags, credentials and
// structured-field pieces.
#include <apikit/core/http_grammar.hpp>

#include <doctest/doctest.h>

#include <array>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grammar = apikit::grammar;
using grammar::plus_means;

namespace {

template <class Range>
auto collect(Range const& r) {
    std::vector<std::iter_value_t<decltype(r.begin())>> out;
    for (auto const e : r)
        out.push_back(e);
    return out;
}

using views = std::vector<std::string_view>;
using pairs = std::vector<grammar::name_value>;

std::optional<std::string> decoded(std::string_view encoded, plus_means plus) {
    std::string out = "kept:";
    if (!grammar::append_percent_decoded(out, encoded, plus)) {
        CHECK(out == "kept:"); // nothing appended on failure
        return std::nullopt;
    }
    return out.substr(5);
}

} // namespace

static_assert(std::forward_iterator<grammar::element_range<std::string_view>::iterator>);
static_assert(grammar::is_token("application") && grammar::iequals("Bearer", "bEARER"));

TEST_CASE("a token is one or more tchar, and nothing else is") {
    CHECK(grammar::is_token("GET"));
    CHECK(grammar::is_token("!#$%&'*+-.^_`|~09azAZ"));
    for (std::string_view bad : std::initializer_list<std::string_view>{
             "", " ", "a b", "a,b", "a;b", "a=b", "\"a\"", "a/b", "(a)", "a\tb", "caf\xc3\xa9",
             std::string_view("a\0b", 3)}) {
        CAPTURE(bad);
        CHECK_FALSE(grammar::is_token(bad));
    }
    CHECK(grammar::is_token68("abc.DEF-_~+/123"));
    CHECK(grammar::is_token68("YWxhZGRpbjpvcGVuc2VzYW1l=="));
    CHECK_FALSE(grammar::is_token68(""));
    CHECK_FALSE(grammar::is_token68("=="));
    CHECK_FALSE(grammar::is_token68("a=b"));
    CHECK_FALSE(grammar::is_token68("a b"));
}

TEST_CASE("trim_ows removes spaces and tabs at both ends only") {
    CHECK(grammar::trim_ows("") == "");
    CHECK(grammar::trim_ows(" \t \t").empty());
    CHECK(grammar::trim_ows(" \ta b\t ") == "a b");
    CHECK(grammar::trim_ows("\r\na\r\n") == "\r\na\r\n"); // CR and LF are not OWS
}

TEST_CASE("case-insensitive comparison folds ASCII letters only") {
    CHECK(grammar::iequals("Content-Type", "content-type"));
    CHECK(grammar::iequals("", ""));
    CHECK_FALSE(grammar::iequals("a", "ab"));
    CHECK_FALSE(grammar::iequals("[", "{")); // 0x5B and 0x7B differ by 0x20 too
    CHECK_FALSE(grammar::iequals("\xc3\x89", "\xc3\xa9"));
    CHECK(grammar::ascii_lower('Z') == 'z');
    CHECK(grammar::ascii_lower('@') == '@');
}

TEST_CASE("hex digits, lowercase hex ids and field values") {
    CHECK(grammar::hex_value('0') == 0);
    CHECK(grammar::hex_value('f') == 15);
    CHECK(grammar::hex_value('F') == 15);
    CHECK(grammar::hex_value('g') == -1);
    CHECK(grammar::is_lower_hex("4bf92f3577b34da6a3ce929d0e0e4736"));
    CHECK_FALSE(grammar::is_lower_hex("4BF9"));
    CHECK_FALSE(grammar::is_lower_hex(""));
    CHECK(grammar::is_field_value("text/plain; q=0.5\tx \x80"));
    CHECK_FALSE(grammar::is_field_value("a\r\nSet-Cookie: x"));
    CHECK_FALSE(grammar::is_field_value(std::string_view("a\0b", 3)));
    CHECK_FALSE(grammar::is_field_value("\x7f"));
}

TEST_CASE("percent-decoding refuses a percent sign without two hex digits") {
    for (std::string_view bad : {"%", "%4", "a%G1", "%1G", "%zz", "ab%", "%%41"}) {
        CAPTURE(bad);
        CHECK_FALSE(grammar::has_valid_percent_escapes(bad));
        CHECK_FALSE(decoded(bad, plus_means::plus));
        std::array<char, 16> buf{};
        CHECK_FALSE(grammar::percent_decode(bad, buf, plus_means::plus));
        CHECK_FALSE(grammar::percent_decoded_equals(bad, "", plus_means::plus));
        CHECK_FALSE(grammar::percent_decoded_equals(bad, bad, plus_means::plus));
    }
    CHECK(grammar::has_valid_percent_escapes(""));
    CHECK(grammar::has_valid_percent_escapes("%41%e2%82%AC+"));
}

TEST_CASE("percent-decoding reads '+' as the form says, and %00 as a NUL byte") {
    CHECK(decoded("", plus_means::plus) == "");
    CHECK(decoded("a%20b+c%2B", plus_means::plus) == "a b+c+");
    CHECK(decoded("a%20b+c%2B", plus_means::space) == "a b c+");
    CHECK(decoded("%E2%82%ac", plus_means::plus) == "\xe2\x82\xac");
    CHECK(decoded("a%00b", plus_means::plus) == std::string("a\0b", 3));
    CHECK(grammar::percent_decoded_equals("%75sers", "users", plus_means::plus));
    CHECK(grammar::percent_decoded_equals("sp+ace", "sp ace", plus_means::space));
    CHECK_FALSE(grammar::percent_decoded_equals("sp+ace", "sp ace", plus_means::plus));
    CHECK_FALSE(grammar::percent_decoded_equals("abc", "ab", plus_means::plus));
    CHECK_FALSE(grammar::percent_decoded_equals("ab", "abc", plus_means::plus));
    CHECK(grammar::percent_decoded_equals("", "", plus_means::plus));
}

TEST_CASE("percent_decode writes into the caller's buffer and says when it is too small") {
    std::array<char, 4> buf{};
    auto const d = grammar::percent_decode("%41b+c", buf, plus_means::space);
    REQUIRE(d);
    CHECK(*d == "Ab c");
    CHECK(d->data() == buf.data());
    CHECK_FALSE(grammar::percent_decode("abcde", buf, plus_means::plus));
    CHECK(grammar::percent_decode("%41%42%43%44%45", std::span(buf).first(0), plus_means::plus) ==
          std::nullopt);
    CHECK(grammar::percent_decode("", std::span<char>(), plus_means::plus) == "");
}

TEST_CASE("percent-encoding escapes all but unreserved bytes, and decoding undoes it") {
    std::string const all = [] {
        std::string s;
        for (int c = 0; c < 256; ++c)
            s.push_back(static_cast<char>(c));
        return s;
    }();
    for (auto const plus : {plus_means::plus, plus_means::space}) {
        std::string e;
        grammar::append_percent_encoded(e, all, plus);
        CHECK(grammar::has_valid_percent_escapes(e));
        CHECK(decoded(e, plus) == all);
        CHECK(grammar::percent_decoded_equals(e, all, plus));
    }
    std::string e;
    grammar::append_percent_encoded(e, "a b+c/~", plus_means::space);
    CHECK(e == "a+b%2Bc%2F~");
}

TEST_CASE("a quoted string is closed, holds qdtext and quoted-pairs, and unquotes") {
    std::array<char, 32> buf{};
    CHECK(grammar::quoted_string_size(R"("abc" rest)") == 5);
    CHECK(grammar::quoted_string_size(R"("")") == 2);
    CHECK(grammar::quoted_string_size(R"("a\"b")") == 6);
    CHECK(grammar::unquote(R"("")", buf) == "");
    CHECK(grammar::unquote(R"("a, b; c")", buf) == "a, b; c");
    auto const plain = grammar::unquote(R"("plain")", buf);
    REQUIRE(plain);
    CHECK(plain->data() != buf.data()); // no escape: a view of the input
    auto const escaped = grammar::unquote(R"("a\"b\\c\d")", buf);
    REQUIRE(escaped);
    CHECK(*escaped == R"(a"b\cd)");
    CHECK(escaped->data() == buf.data());
    for (std::string_view bad : {"", "\"", "abc", R"("abc)", R"("abc\")", R"("a"b")", R"("a" )",
                                 "\"a\nb\"", "\"a\x7f\"", "\"a\\\x01\""}) {
        CAPTURE(bad);
        CHECK_FALSE(grammar::unquote(bad, buf));
    }
    CHECK(grammar::quoted_string_size(R"("abc\")") == 0); // the escaped quote does not close it
    CHECK_FALSE(grammar::unquote(R"("a\"b")", std::span(buf).first(2))); // too small for a"b
}

TEST_CASE("a value is a token as it is or a quoted string unquoted") {
    std::array<char, 8> buf{};
    CHECK(grammar::token_or_quoted_string("utf-8", buf) == "utf-8");
    CHECK(grammar::token_or_quoted_string(R"("utf-8")", buf) == "utf-8");
    CHECK(grammar::token_or_quoted_string(R"("utf\-8")", buf) == "utf-8");
    CHECK_FALSE(grammar::token_or_quoted_string("", buf));
    CHECK_FALSE(grammar::token_or_quoted_string(" utf-8", buf));
    CHECK_FALSE(grammar::token_or_quoted_string(R"("utf-8)", buf));
}

TEST_CASE("a list skips empty elements and trims the others") {
    CHECK(collect(grammar::list_elements("")).empty());
    CHECK(grammar::list_elements(" \t ").empty());
    CHECK(grammar::list_elements(" , ,, ").empty());
    CHECK(collect(grammar::list_elements("a")) == views{"a"});
    CHECK(collect(grammar::list_elements("a,,b")) == views{"a", "b"});
    CHECK(collect(grammar::list_elements(", a ,")) == views{"a"});
    CHECK(collect(grammar::list_elements("gzip ;q=1.0,\tdeflate , br")) ==
          views{"gzip ;q=1.0", "deflate", "br"});
}

TEST_CASE("a comma inside a quoted string does not split a list") {
    CHECK(collect(grammar::list_elements(R"(a="x, y", b)")) == views{R"(a="x, y")", "b"});
    CHECK(collect(grammar::list_elements(R"("a\", b", c)")) == views{R"("a\", b")", "c"});
    // Unterminated: the rest of the field is one element, which unquote refuses.
    auto const tail = collect(grammar::list_elements(R"(a, "b, c)"));
    CHECK(tail == views{"a", R"("b, c)"});
    std::array<char, 8> buf{};
    CHECK_FALSE(grammar::unquote(tail.back(), buf));
    // Where quotes mean nothing (tracestate, X-Forwarded-For), they split nothing either.
    CHECK(collect(grammar::list_elements(R"(a="x, y")", grammar::quoting::none)) ==
          views{R"(a="x)", R"(y")"});
}

TEST_CASE("list iterators are forward iterators over views of the text") {
    std::string_view const text = "a, b";
    auto const list = grammar::list_elements(text);
    auto it = list.begin();
    auto const copy = it;
    CHECK(*it == "a");
    CHECK((*it).data() == text.data());
    CHECK(*it++ == "a");
    CHECK(*it == "b");
    CHECK(it != copy);
    CHECK(*copy == "a"); // a copy keeps its place
    CHECK(++it == list.end());
    CHECK(
        it ==
        grammar::element_range<std::string_view>::iterator{}); // a value-initialized one is the end
}

TEST_CASE("parameters split at semicolons outside quotes, and at the first '='") {
    CHECK(collect(grammar::parameters("; charset=utf-8;;  q=\"a;b=c\" ;x")) ==
          pairs{{"charset", "utf-8"}, {"q", "\"a;b=c\""}, {"x", ""}});
    CHECK(collect(grammar::parameters("")).empty());
    CHECK(collect(grammar::parameters(";a==b")) == pairs{{"a", "=b"}});
    CHECK(grammar::split_name_value("=v") == grammar::name_value{"", "v"});
}

TEST_CASE("a valid parameter has a token name and a token or quoted-string value") {
    CHECK(grammar::is_valid_parameter({"charset", "utf-8"}));
    CHECK(grammar::is_valid_parameter({"a", R"("x y\"z")"}));
    CHECK(grammar::is_valid_parameter({"a", R"("")"}));
    CHECK_FALSE(grammar::is_valid_parameter({"charset ", "utf-8"})); // no whitespace around '='
    CHECK_FALSE(grammar::is_valid_parameter({"charset", " utf-8"}));
    CHECK_FALSE(grammar::is_valid_parameter({"a", ""}));
    CHECK_FALSE(grammar::is_valid_parameter({"", "b"}));
    CHECK_FALSE(grammar::is_valid_parameter({"a", R"("x)"}));
    CHECK_FALSE(grammar::is_valid_parameter({"a", R"("x" "y")"}));
}

TEST_CASE("cookies split at every semicolon, so a quote cannot hide the next cookie") {
    // [cookies]
    std::string_view session;
    for (auto const [name, value] : apikit::grammar::cookies(R"(theme="dark; session=abc)"))
        if (name == "session")
            session = value;
    // [cookies]
    CHECK(session == "abc");
    CHECK(collect(grammar::cookies("a=1; b=\"2\";c=;  ;d")) ==
          pairs{{"a", "1"}, {"b", "\"2\""}, {"c", ""}, {"d", ""}});
}

TEST_CASE("entity tags: strong, weak, and what is not one") {
    using tag = grammar::entity_tag;
    CHECK(grammar::parse_entity_tag(R"("xyzzy")") == tag{"xyzzy", false});
    CHECK(grammar::parse_entity_tag(R"(W/"xyzzy")") == tag{"xyzzy", true});
    CHECK(grammar::parse_entity_tag(R"("")") == tag{"", false});
    CHECK(grammar::parse_entity_tag(R"("a\")") == tag{"a\\", false}); // no escapes in a tag
    for (std::string_view bad :
         {"", "xyzzy", R"(w/"x")", R"(W/x)", R"("x)", R"("a"b")", "\"a b\"", "W/", "\""}) {
        CAPTURE(bad);
        CHECK_FALSE(grammar::parse_entity_tag(bad));
    }
    tag const strong{"r2d2", false}, weak{"r2d2", true};
    CHECK(grammar::strong_match(strong, strong));
    CHECK_FALSE(grammar::strong_match(strong, weak));
    CHECK(grammar::weak_match(strong, weak));
    CHECK_FALSE(grammar::weak_match(strong, tag{"c3po", false}));
}

TEST_CASE("an entity-tag list keeps commas inside tags and marks bad members") {
    std::vector<std::optional<grammar::entity_tag>> const tags =
        collect(grammar::entity_tags(R"("a,b", W/"c\",, d)"));
    REQUIRE(tags.size() == 3);
    CHECK(tags[0] == grammar::entity_tag{"a,b", false});
    CHECK(tags[1] == grammar::entity_tag{"c\\", true});
    CHECK_FALSE(tags[2]);
}

TEST_CASE("credentials are a token scheme, spaces, and the rest") {
    // [credentials]
    auto const c = apikit::grammar::parse_credentials("Bearer  mF_9.B5f-4.1JqM");
    bool const bearer = c && apikit::grammar::iequals(c->scheme, "bearer") &&
                        apikit::grammar::is_token68(c->token68_or_params);
    // [credentials]
    CHECK(bearer);
    CHECK(c->token68_or_params == "mF_9.B5f-4.1JqM");
    auto const bare = grammar::parse_credentials(" Negotiate ");
    REQUIRE(bare);
    CHECK(bare->scheme == "Negotiate");
    CHECK(bare->token68_or_params.empty());
    CHECK(grammar::parse_credentials(R"(Digest realm="a b", qop=auth)")->token68_or_params ==
          R"(realm="a b", qop=auth)");
    CHECK_FALSE(grammar::parse_credentials(""));
    CHECK_FALSE(grammar::parse_credentials("Bearer\tabc"));
    CHECK_FALSE(grammar::parse_credentials("Bea/rer abc"));
    CHECK_FALSE(grammar::parse_credentials(" \t "));
    CHECK_FALSE(grammar::parse_credentials("=abc"));
}

TEST_CASE("structured fields: keys, byte sequences and strings") {
    // [content-digest]
    std::optional<std::string_view> sha256;
    for (auto const member : apikit::grammar::list_elements(
             "sha-512=:YWJj:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")) {
        auto const [key, value] = apikit::grammar::split_name_value(member);
        if (key == "sha-256")
            sha256 = apikit::grammar::sf_byte_sequence(value); // base64, still encoded
    }
    // [content-digest]
    CHECK(sha256 == "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=");
    CHECK(grammar::is_sf_key("sha-256"));
    CHECK(grammar::is_sf_key("*a_b.c"));
    CHECK_FALSE(grammar::is_sf_key(""));
    CHECK_FALSE(grammar::is_sf_key("Sha"));
    CHECK_FALSE(grammar::is_sf_key("1a"));
    CHECK(grammar::sf_byte_sequence("::") == "");
    CHECK_FALSE(grammar::sf_byte_sequence(":a b:"));
    CHECK_FALSE(grammar::sf_byte_sequence(":abc"));

    std::array<char, 40> buf{};
    CHECK(grammar::sf_string(R"("8e03978e-40d5-43e8-bc93-6894a57f9324")", buf) ==
          "8e03978e-40d5-43e8-bc93-6894a57f9324");
    CHECK(grammar::sf_string(R"("a\"b\\c")", buf) == R"(a"b\c)");
    for (std::string_view bad :
         {"", "\"", "abc", R"("a\b")", R"("a"b")", "\"a\tb\"", "\"\xc3\xa9\"", R"("a\")"}) {
        CAPTURE(bad);
        CHECK_FALSE(grammar::sf_string(bad, buf));
    }
}
