// auth::issuer: the RFC 9068 access token it writes — typ at+jwt, iss,
// sub, aud, iat, exp = iat + lifetime, a random jti, scope as an array —
// signed by the key set's signing key, following a rotation.

#include <apikit/auth/issuer.hpp>
#include <apikit/auth/verifier.hpp>

#include "tokens_support.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <string>
#include <vector>

namespace issuer_test {

using namespace tokens_test;

TEST_CASE("issuer: an access token carries the RFC 9068 claims and verifies") {
    auth::key_set keys;
    keys.add(rsa_key());
    system_manual_clock mc(at(t0));
    auth::issuer<clock_ref> iss(keys, {.issuer = "https://issuer.test", .audience = "api"},
                                clock_ref(mc));
    CHECK(iss.lifetime() == std::chrono::seconds(900));
    std::vector<std::string> const scope{"read", "write"};
    auto const token = iss.issue("user_7", scope).value();

    auto const payload =
        apikit::base64url::decode(
            token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1))
            .value();
    auto const o = boost::json::parse(payload).as_object();
    CHECK(o.at("scope").is_array());
    CHECK(o.at("aud").as_string() == "api");
    auto const d = auth::decode(token).value();
    CHECK(d.header.typ == "at+jwt");
    CHECK(d.header.kid == "rsa-1");
    CHECK(d.header.alg == auth::algorithm::rs256);
    CHECK(d.claims.iss == "https://issuer.test");
    CHECK(d.claims.sub == "user_7");
    CHECK(d.claims.iat == t0);
    CHECK(d.claims.exp == t0 + 900);
    CHECK(d.claims.jti.size() == apikit::id_random_length);
    CHECK(d.claims.scope == scope);

    auth::verify_options vo;
    vo.issuer = "https://issuer.test";
    vo.audiences = {"api"};
    vo.required_claims = {"exp", "iat", "sub", "jti"};
    auth::verifier<clock_ref> v(keys, vo, clock_ref(mc));
    CHECK(v.verify(token));
    mc.advance(std::chrono::seconds(900));
    CHECK(v.verify(token).error() == auth::error::expired);
}

TEST_CASE("issuer: every token has its own jti, and extra claims pass through") {
    auth::key_set keys;
    keys.add(hs_key("k"));
    auth::issuer<> iss(keys, {.issuer = "i", .audience = "", .lifetime = std::chrono::seconds(60)});
    auto const a = auth::decode(iss.issue("u", {}).value()).value().claims;
    auto const b = auth::decode(iss.issue("u", {}).value()).value().claims;
    CHECK(a.jti != b.jti);
    CHECK(a.aud.empty());
    CHECK(*a.exp - *a.iat == 60);

    auth::claims c;
    c.sub = "u";
    c.set("tenant", std::string("t1"));
    c.jti = "chosen";
    c.nbf = 1'800'000'000;
    auto const d = auth::decode(iss.issue(c).value()).value().claims;
    CHECK(d.get<std::string>("tenant").value() == "t1");
    CHECK(d.jti != "chosen");
    CHECK(d.nbf == 1'800'000'000);
}

TEST_CASE("issuer: signs with the signing key of the moment, and fails without one") {
    auth::key_set keys;
    auth::issuer<> iss(keys, {});
    CHECK(iss.issue("u", {}).error() == auth::error::key_cannot_sign);
    keys.add(hs_key("a"));
    CHECK(auth::decode(iss.issue("u", {}).value()).value().header.kid == "a");
    keys.add(auth::key::generate(auth::algorithm::eddsa, "b").value());
    keys.use_for_signing("b");
    auto const d = auth::decode(iss.issue("u", {}).value()).value();
    CHECK(d.header.kid == "b");
    CHECK(d.header.alg == auth::algorithm::eddsa);
}

} // namespace issuer_test
