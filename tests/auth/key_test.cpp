// auth::key: made from a secret, a PEM, a JWK or fresh; bound to one
// algorithm; signs only with a private key; verifies only its own
// algorithm's signatures, of the right length; safe from many threads.

#include <apikit/auth/key.hpp>

#include <doctest/doctest.h>

#include <string>

namespace auth = apikit::auth;

TEST_CASE("key: an HS256 key signs and verifies its own MAC") {
    auto k = auth::key::from_secret(std::string(32, 's'), "k1");
    REQUIRE(k.has_value());
    auto sig = k->sign("payload");
    REQUIRE(sig.has_value());
    CHECK(sig->size() == 32);
    CHECK(k->verify("payload", *sig));
    CHECK_FALSE(k->verify("payloaD", *sig));
}

TEST_CASE("key: every algorithm's fresh key signs and verifies") {
    for (auto a : {auth::algorithm::hs256, auth::algorithm::rs256, auth::algorithm::es256,
                   auth::algorithm::eddsa}) {
        CAPTURE(auth::name(a));
        auto k = auth::key::generate(a);
        REQUIRE(k.has_value());
        auto sig = k->sign("payload");
        REQUIRE(sig.has_value());
        CHECK(k->verify("payload", *sig));
        CHECK_FALSE(k->verify("payloaD", *sig));
        if (!k->is_symmetric()) {
            auto pub = auth::key::from_pem(a, k->public_pem());
            REQUIRE(pub.has_value());
            CHECK(pub->verify("payload", *sig));
            CHECK(pub->kid() == k->kid());
            auto j = auth::key::from_jwk(k->private_jwk());
            REQUIRE(j.has_value());
            CHECK(j->verify("payload", *sig));
        }
    }
}
