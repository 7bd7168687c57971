// The refresh token's text: its shape, the strict parse (one spelling per
// token, nothing else reaches a store), and the hash a store keeps.
#include <apikit/auth/refresh_token.hpp>
#include <apikit/core/base64url.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace auth = apikit::auth;

namespace {

std::string rt_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

} // namespace

TEST_CASE("refresh token: <family>.<secret>, 16 and 32 random bytes in base64url") {
    auto const family = auth::new_refresh_family();
    CHECK(family.size() == 22);
    CHECK(apikit::base64url::decode(family).value().size() == 16);
    auto const token = auth::new_refresh_token(family);
    REQUIRE(token.size() == 66);
    CHECK(token.substr(0, 22) == family);
    CHECK(token[22] == '.');
    CHECK(apikit::base64url::decode(token.substr(23)).value().size() == 32);
    auto const parts = auth::parse_refresh_token(token);
    REQUIRE(parts);
    CHECK(parts->family == family);
    CHECK(parts->secret == std::string_view(token).substr(23));

    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        seen.insert(auth::new_refresh_family());
        seen.insert(auth::new_refresh_token(family));
    }
    CHECK(seen.size() == 2000);
}

TEST_CASE("refresh token: the parse accepts exactly one spelling") {
    auto const good = auth::new_refresh_token(auth::new_refresh_family());
    REQUIRE(auth::parse_refresh_token(good));
    auto with = [&](std::size_t at, char c) {
        auto t = good;
        t[at] = c;
        return t;
    };
    CHECK_FALSE(auth::parse_refresh_token(""));
    CHECK_FALSE(auth::parse_refresh_token("."));
    CHECK_FALSE(auth::parse_refresh_token(good.substr(0, 65))); // short
    CHECK_FALSE(auth::parse_refresh_token(good + "A"));         // long
    CHECK_FALSE(auth::parse_refresh_token(with(22, '_')));      // no dot
    CHECK_FALSE(auth::parse_refresh_token(with(3, '+')));       // standard alphabet
    CHECK_FALSE(auth::parse_refresh_token(with(30, '/')));
    CHECK_FALSE(auth::parse_refresh_token(with(30, '='))); // padding inside
    CHECK_FALSE(auth::parse_refresh_token(with(5, '.')));  // a second dot
    CHECK_FALSE(auth::parse_refresh_token(with(40, ' ')));
    CHECK_FALSE(auth::parse_refresh_token(with(40, '\0')));
    CHECK_FALSE(auth::parse_refresh_token(" " + good.substr(1))); // white space
    // The dot elsewhere: 21 + 1 + 44 characters.
    CHECK_FALSE(auth::parse_refresh_token(good.substr(0, 21) + "." + good.substr(23) + "A"));
    // The unused low bits of each part's last character must be zero: a
    // family's 22 characters carry 132 bits for 128 (4 unused: its last is
    // A, Q, g or w), a secret's 43 carry 258 for 256 (2 unused: A, E, I, …).
    auto family_end = good;
    family_end[21] = 'B';
    CHECK_FALSE(auth::parse_refresh_token(family_end));
    family_end[21] = 'Q';
    CHECK(auth::parse_refresh_token(family_end));
    auto secret_end = good;
    secret_end[65] = 'B';
    CHECK_FALSE(auth::parse_refresh_token(secret_end));
    secret_end[65] = 'E';
    CHECK(auth::parse_refresh_token(secret_end));
}

TEST_CASE("refresh token: a store keeps SHA-256 of the secret, 32 bytes") {
    // FIPS 180-2, B.1.
    CHECK(rt_hex(auth::refresh_token_hash("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    auto const token = auth::new_refresh_token(auth::new_refresh_family());
    auto const parts = auth::parse_refresh_token(token).value();
    auto const h = auth::refresh_token_hash(parts.secret);
    CHECK(h.size() == auth::refresh_hash_size);
    CHECK(h.find(parts.secret) == std::string::npos);
    CHECK(h != auth::refresh_token_hash(
                   auth::parse_refresh_token(auth::new_refresh_token(auth::new_refresh_family()))
                       ->secret));
}
