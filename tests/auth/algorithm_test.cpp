// auth::algorithm: the four JOSE names and their parsing. "none" never
// parses, in any spelling; names are case-sensitive; RFC 9864's "Ed25519"
// is EdDSA.

#include <apikit/auth/algorithm.hpp>

#include <doctest/doctest.h>

#include <string_view>

namespace auth = apikit::auth;

static_assert(auth::name(auth::algorithm::rs256) == "RS256");
static_assert(auth::parse_algorithm("ES256") == auth::algorithm::es256);
static_assert(!auth::parse_algorithm("none"));

TEST_CASE("algorithm: each name parses back to its algorithm") {
    for (auto a : {auth::algorithm::hs256, auth::algorithm::rs256, auth::algorithm::es256,
                   auth::algorithm::eddsa}) {
        CAPTURE(auth::name(a));
        CHECK(auth::parse_algorithm(auth::name(a)) == a);
    }
    CHECK(auth::name(auth::algorithm::hs256) == "HS256");
    CHECK(auth::name(auth::algorithm::eddsa) == "EdDSA");
}

TEST_CASE("algorithm: the RFC 9864 name Ed25519 is EdDSA") {
    CHECK(auth::parse_algorithm("Ed25519") == auth::algorithm::eddsa);
}

TEST_CASE("algorithm: none, other JOSE algorithms and other spellings do not parse") {
    for (std::string_view s : {"none",   "None",   "NONE",  "",      "hs256", "Hs256",  "HS256 ",
                               " HS256", "HS384",  "HS512", "RS384", "RS512", "PS256",  "ES384",
                               "ES512",  "ES256K", "EDDSA", "eddsa", "Ed448", "ed25519"}) {
        CAPTURE(s);
        CHECK_FALSE(auth::parse_algorithm(s).has_value());
    }
    CHECK_FALSE(auth::parse_algorithm(std::string_view("HS256\0", 6)).has_value());
}
