#include <apikit/core/base64url.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace b64 = apikit::base64url;
using b64::padding;

TEST_CASE("base64url encodes the RFC 4648 test vectors") {
    // RFC 4648 §10, in the URL-safe alphabet (these vectors use neither + nor /).
    struct vector {
        std::string_view plain, padded, unpadded;
    };
    vector const vectors[] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    };
    for (auto const& v : vectors) {
        CAPTURE(v.plain);
        CHECK(b64::encode(v.plain, padding::include) == v.padded);
        CHECK(b64::encode(v.plain) == v.unpadded);
        CHECK(b64::encoded_size(v.plain.size(), padding::include) == v.padded.size());
        CHECK(b64::encoded_size(v.plain.size()) == v.unpadded.size());
        CHECK(b64::decode(v.padded).value() == v.plain);
        CHECK(b64::decode(v.unpadded).value() == v.plain);
    }
}

TEST_CASE("base64url uses the URL-safe alphabet") {
    std::string const bytes("\xfb\xff\xbf", 3);
    CHECK(b64::encode(bytes) == "-_-_");
    CHECK(b64::decode("-_-_").value() == bytes);
    CHECK(b64::encode(R"({"id":123})", padding::include) == "eyJpZCI6MTIzfQ==");
}

TEST_CASE("base64url round-trips every byte value") {
    std::string all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    for (std::size_t n = 0; n <= all.size(); n += 17) {
        auto const part = std::string_view(all).substr(0, n);
        CHECK(b64::decode(b64::encode(part)).value() == part);
        CHECK(b64::decode(b64::encode(part, padding::include)).value() == part);
    }
}

TEST_CASE("base64url decoding is strict: one spelling per byte string") {
    char const* const rejected[] = {
        "Zm9v+A",    // '+' is standard base64, not base64url
        "Zm9v/A",    // so is '/'
        "Zm9 v",     // white space
        "Zm9v\n",    // a trailing newline
        "Z",         // one character cannot hold a byte
        "Zm9vY",     // nor can a 5th
        "Zh",        // unused bits set: Zg is the one spelling of "f"
        "Zm9=",      // unused bits set: Zm8= is the one spelling of "fo"
        "Zg=",       // partial padding
        "Zg===",     // too much padding
        "=",         // padding alone
        "====",      // padding alone
        "Zg==Zg==",  // padding in the middle
        "Zm9v=",     // padding after a whole quantum
        "Zm8==",     // two '=' where one belongs
        "\xc3\xa9w", // non-ASCII
    };
    for (auto const* text : rejected) {
        CAPTURE(text);
        auto const r = b64::decode(text);
        REQUIRE(r.has_error());
        CHECK(r.error() == apikit::errc::malformed_request);
    }
}

TEST_CASE("base64url decoded_size is what encoded_size's unpadded text carries") {
    for (std::size_t n = 0; n < 100; ++n) {
        CAPTURE(n);
        CHECK(b64::decoded_size(b64::encoded_size(n)) == n);
    }
    CHECK(b64::decoded_size(5) == 3); // a 4n+1 length, rounded down
}

TEST_CASE("decode_either_alphabet takes a key in either alphabet, padded or not") {
    // 32 bytes whose encodings need '+' and '/' (standard) or '-' and '_'.
    std::string bytes;
    for (int i = 0; i < 32; ++i)
        bytes.push_back(static_cast<char>(0xfb + i * 37));
    auto const url = b64::encode(bytes, padding::include);
    std::string standard = url;
    for (char& c : standard)
        c = c == '-' ? '+' : c == '_' ? '/' : c;
    REQUIRE(url.find_first_of("-_") != std::string::npos);
    REQUIRE(standard.back() == '='); // as `openssl rand -base64 32` prints it
    for (auto const& text :
         {url, standard, url.substr(0, url.size() - 1), standard.substr(0, standard.size() - 1)}) {
        CAPTURE(text);
        CHECK(b64::decode_either_alphabet(text).value() == bytes);
    }
    // Every vector of RFC 4648 §10, and unused low bits that are not zero.
    CHECK(b64::decode_either_alphabet("Zm9vYmE=").value() == "fooba");
    CHECK(b64::decode_either_alphabet("Zm9vYg").value() == "foob");
    CHECK(b64::decode_either_alphabet("").value().empty());
    CHECK(b64::decode_either_alphabet("Zh").value() == "f");
    CHECK(b64::decode_either_alphabet("+/+/").value() == std::string("\xfb\xff\xbf", 3));
}

TEST_CASE("decode_either_alphabet says where and why it refuses a text") {
    using problem = b64::text_error::problem;
    struct refusal {
        std::string_view text;
        problem what;
        std::size_t position;
        std::string_view message;
    };
    refusal const refusals[] = {
        {"Zm9v!A", problem::character, 4,
         "character 5 ('!') is in neither base64 alphabet (A-Z a-z 0-9 and + / or - _)"},
        {"Zm9v Zm9v", problem::character, 4, "character 5 (a space) is in neither"},
        {"Zm9vZm9v\n", problem::character, 8, "character 9 (a line break) is in neither"},
        {"Zm\xc3\xa9", problem::character, 2, "character 3 (byte 0xc3) is in neither"},
        {"ab+c-d", problem::mixed_alphabets, 4,
         "character 5 ('-') is base64url but an earlier one is of the other alphabet"},
        {"a_bc/d", problem::mixed_alphabets, 4, "character 5 ('/') is standard base64 but"},
        {"Zg=", problem::padding, 2, "character 3 is a '=' that is not padding"},
        {"Zm9v=", problem::padding, 4, "character 5 is a '='"},
        {"Zg==Zg==", problem::padding, 2, "character 3 is a '='"},
        {"Zm9vZ===", problem::padding, 5, "character 6 is a '='"},
        {"Zm9vY", problem::length, 5,
         "5 characters is no base64 length (4n, 4n+2 or 4n+3): one is missing or one too many"},
        {"short", problem::length, 5, "5 characters is no base64 length"},
    };
    for (auto const& r : refusals) {
        CAPTURE(r.text);
        auto const got = b64::decode_either_alphabet(r.text);
        REQUIRE(got.has_error());
        CHECK(got.error().what == r.what);
        CHECK(got.error().position == r.position);
        CHECK(got.error().message().starts_with(r.message));
    }
    CHECK_THROWS_WITH_AS((void)b64::decode_either_alphabet("Zm9vY").value(),
                         "5 characters is no base64 length (4n, 4n+2 or 4n+3): one is missing "
                         "or one too many",
                         std::invalid_argument);
}

TEST_CASE("decode stays strict: the standard alphabet is refused there") {
    CHECK(b64::decode("+/+/").has_error());
    CHECK(b64::decode_either_alphabet("+/+/").has_value());
}
