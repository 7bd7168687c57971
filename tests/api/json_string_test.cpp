// core/json_string.hpp: the escaper every hand-written JSON document uses.
#include <apikit/core/json_string.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <random>
#include <string>
#include <string_view>

namespace {

std::string quoted(std::string_view s) {
    std::string out;
    apikit::append_json_string(out, s);
    return out;
}

// What a strict JSON parser reads back from the output.
std::string read_back(std::string const& json) {
    boost::system::error_code ec;
    auto const v = boost::json::parse(json, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_string());
    return std::string(v.get_string());
}

} // namespace

TEST_CASE("plain text is copied between quotes") {
    CHECK(quoted("") == R"("")");
    CHECK(quoted("Invalid format") == R"("Invalid format")");
    std::string out = "prefix:";
    apikit::append_json_string(out, "x");
    CHECK(out == R"(prefix:"x")");
}

// A default string_view's data() is null: copying its (empty) run must not
// pass null to memcpy, which is undefined even for no bytes (UBSan stopped
// the request fuzz target on a request with no method, logged as such).
TEST_CASE("an empty view whose data() is null is written as an empty string") {
    constexpr std::string_view nothing{};
    REQUIRE(nothing.data() == nullptr);
    char buf[apikit::json_string_max_size(0)];
    auto const* end = apikit::write_json_string(buf, nothing);
    CHECK(std::string_view(buf, static_cast<std::size_t>(end - buf)) == R"("")");
    CHECK(quoted(nothing) == R"("")");
}

TEST_CASE("quotes, backslashes and control characters are escaped") {
    CHECK(quoted(R"(say "hi")") == R"("say \"hi\"")");
    CHECK(quoted(R"(C:\dir)") == R"("C:\\dir")");
    CHECK(quoted("a\nb\rc\td\be\ff") == R"("a\nb\rc\td\be\ff")");
    CHECK(quoted(std::string_view("\0\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
    CHECK(quoted("\x7f") == "\"\x7f\""); // DEL is not a JSON control character
    CHECK(quoted("</script>") == R"("</script>")");
}

TEST_CASE("well-formed UTF-8 is copied as is") {
    for (std::string_view s :
         {"é", "日本語", "😀", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"}) {
        CAPTURE(s);
        CHECK(quoted(s) == "\"" + std::string(s) + "\"");
        CHECK(read_back(quoted(s)) == s);
    }
}

TEST_CASE("every ill-formed UTF-8 byte becomes U+FFFD") {
    struct row {
        std::string_view in;
        std::string_view out;
    };
    row const rows[] = {
        {"\x80", R"("\ufffd")"},                               // a stray continuation byte
        {"\xc3", R"("\ufffd")"},                               // truncated at the end
        {"\xc3x", R"("\ufffdx")"},                             // truncated before ASCII
        {"\xc0\xaf", R"("\ufffd\ufffd")"},                     // overlong '/'
        {"\xe0\x80\xaf", R"("\ufffd\ufffd\ufffd")"},           // overlong, 3 bytes
        {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},           // a UTF-16 surrogate
        {"\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"}, // past U+10FFFF
        {"\xf5", R"("\ufffd")"},
        {"\xff", R"("\ufffd")"},
        {"a\xe6\x97x", R"("a\ufffd\ufffdx")"}, // 2 of 3 bytes
    };
    for (auto const& r : rows) {
        CAPTURE(r.in);
        CHECK(quoted(r.in) == r.out);
    }
}

TEST_CASE("whatever bytes come in, the output is one valid JSON string") {
    std::mt19937 rng(20240115);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 40);
    for (int i = 0; i < 5000; ++i) {
        std::string in(static_cast<std::size_t>(len(rng)), '\0');
        for (auto& c : in)
            c = static_cast<char>(byte(rng));
        auto const json = quoted(in);
        boost::system::error_code ec;
        auto const v = boost::json::parse(json, ec);
        CAPTURE(json);
        REQUIRE_FALSE(ec);
        REQUIRE(v.is_string());
        // ASCII survives the round trip exactly.
        bool ascii = true;
        for (unsigned char c : in)
            ascii = ascii && c < 0x80;
        if (ascii)
            CHECK(std::string_view(v.get_string()) == in);
    }
}

TEST_CASE("a character that needs escaping is found wherever it is in a plain run") {
    // The plain runs are read eight bytes at a time: each of these, at each
    // position of strings up to 40 bytes long, must still be escaped.
    struct special {
        std::string_view in;
        std::string_view out;
    };
    special const specials[] = {
        {std::string_view("\0", 1), R"(\u0000)"},
        {"\x1f", R"(\u001f)"},
        {"\"", R"(\")"},
        {"\\", R"(\\)"},
        {"\n", R"(\n)"},
        {"\x80", R"(\ufffd)"},
        {"\xff", R"(\ufffd)"},
        {"\xc3\xa9", "\xc3\xa9"},
        {"\x7f", "\x7f"},
    };
    for (auto const& sp : specials) {
        for (std::size_t size = 0; size <= 40; ++size) {
            for (std::size_t at = 0; at <= size; ++at) {
                std::string const before(at, 'a'), after(size - at, 'b');
                CAPTURE(size);
                CAPTURE(at);
                CHECK(quoted(before + std::string(sp.in) + after) ==
                      "\"" + before + std::string(sp.out) + after + "\"");
            }
        }
    }
}
