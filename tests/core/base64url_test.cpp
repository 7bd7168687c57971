#include <apikit/core/base64url.hpp>

#include <doctest/doctest.h>

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
