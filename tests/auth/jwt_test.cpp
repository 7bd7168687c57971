// auth::decode and auth::sign: the form of a token — three segments of
// strict base64url, JSON objects without repeated members, alg required,
// crit refused, none refused — and sign/decode round trips.

#include <apikit/auth/jwt.hpp>

#include "tokens_support.hpp"

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <string>

namespace jwt_test {

using namespace tokens_test;
using auth::error;

std::string b64(std::string_view s) {
    return apikit::base64url::encode(s);
}

// A token of the given header and payload JSON with a signature that is
// base64url of anything: decode does not check it.
std::string unsigned_token(std::string_view header, std::string_view payload) {
    return b64(header) + "." + b64(payload) + "." + b64("signature");
}

constexpr std::string_view hs = R"({"alg":"HS256"})";

TEST_CASE("jwt: the RFC 7515 A.1 token decodes: header, claims, signing input, signature") {
    auto const d = auth::decode(rfc7515_a1_token).value();
    CHECK(d.header.alg == auth::algorithm::hs256);
    CHECK(d.header.typ == "JWT");
    CHECK(d.header.kid.empty());
    CHECK(d.claims.iss == "joe");
    CHECK(d.claims.exp == rfc7515_a1_exp);
    CHECK(d.claims.extra.at("http://example.com/is_root").as_bool());
    CHECK(d.signing_input == rfc7515_a1_token.substr(0, rfc7515_a1_token.rfind('.')));
    CHECK(d.signature.size() == 32);
}

TEST_CASE("jwt: sign writes alg, typ and kid, and decode reads back what it wrote") {
    auto const k = hs_key("k1");
    auto const token = auth::sign(k, access_claims(), "at+jwt").value();
    auto const header = apikit::base64url::decode(token.substr(0, token.find('.'))).value();
    CHECK(header == R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})");
    auto const d = auth::decode(token).value();
    CHECK(d.header.typ == "at+jwt");
    CHECK(d.claims.sub == "user_1");
    CHECK(d.claims.scope == std::vector<std::string>{"read", "write"});
    CHECK(d.claims.aud == std::vector<std::string>{"api"});
    CHECK(k.verify(d.signing_input, d.signature));
    auto const bare = auth::sign(k, access_claims(), "").value();
    CHECK(apikit::base64url::decode(bare.substr(0, bare.find('.'))).value() ==
          R"({"alg":"HS256","kid":"k1"})");
}

TEST_CASE("jwt: a public key cannot sign") {
    auto const pub =
        auth::key::from_pem(auth::algorithm::rs256, rsa_key().public_pem(), "p").value();
    CHECK(auth::sign(pub, access_claims()).error() == error::key_cannot_sign);
}

TEST_CASE("jwt: anything but three segments of strict base64url is malformed") {
    auto const good = unsigned_token(hs, "{}");
    REQUIRE(auth::decode(good).has_value());
    auto const dot1 = good.find('.');
    for (auto const& bad : {
             std::string(""),
             std::string("."),
             std::string(".."),
             std::string("..."),
             good.substr(0, good.rfind('.')),                    // two segments
             good + ".x",                                        // four
             good.substr(0, dot1) + "=" + good.substr(dot1),     // padding
             good.substr(0, dot1 - 1) + "+" + good.substr(dot1), // standard alphabet
             good.substr(0, dot1 - 1) + " " + good.substr(dot1),
             "A" + good, // a length of 4n+1
             b64(hs) + "." + b64("{}") + ".====",
         }) {
        CAPTURE(bad);
        CHECK(auth::decode(bad).error() == error::malformed);
    }
    // unused low bits that are not zero: "e30" is "{}", "e31" spells it too loosely
    CHECK(auth::decode(b64(hs) + ".e31." + b64("s")).error() == error::malformed);
    CHECK(auth::decode(b64(hs) + ".e30." + b64("s")).has_value());
}

TEST_CASE("jwt: header and payload must be JSON objects without a repeated member") {
    for (auto const& parts : std::initializer_list<std::pair<std::string, std::string>>{
             {"[]", "{}"},
             {std::string(hs), "[]"},
             {std::string(hs), "\"text\""},
             {std::string(hs), "{"},
             {std::string(hs), "{} {}"},
             {R"({"alg":"HS256","alg":"HS256"})", "{}"},
             {R"({"alg":"HS256","kid":"a","kid":"b"})", "{}"},
             {std::string(hs), R"({"exp":1,"exp":2})"},
             {std::string(hs), R"({"sub":"a","x":1,"sub":"b"})"},
             {std::string(hs), R"({"x":{"y":1,"y":2}})"},
             {std::string(hs), R"({"x":[{"y":1,"y":2}]})"},
         }) {
        CAPTURE(parts.first);
        CAPTURE(parts.second);
        CHECK(auth::decode(unsigned_token(parts.first, parts.second)).error() == error::malformed);
    }
}

TEST_CASE("jwt: alg is required, crit refused, none and unknown algorithms unsupported") {
    CHECK(auth::decode(unsigned_token("{}", "{}")).error() == error::malformed);
    CHECK(auth::decode(unsigned_token(R"({"alg":256})", "{}")).error() == error::malformed);
    CHECK(auth::decode(unsigned_token(R"({"alg":"HS256","crit":["exp"],"exp":1})", "{}")).error() ==
          error::malformed);
    CHECK(auth::decode(unsigned_token(R"({"alg":"HS256","kid":1})", "{}")).error() ==
          error::malformed);
    CHECK(auth::decode(unsigned_token(R"({"alg":"HS256","typ":null})", "{}")).error() ==
          error::malformed);
    for (auto alg : {"none", "HS512", "RS384", "PS256", "hs256", "ES256K"}) {
        CAPTURE(alg);
        CHECK(
            auth::decode(unsigned_token(std::string(R"({"alg":")") + alg + "\"}", "{}")).error() ==
            error::unsupported_algorithm);
    }
    CHECK(auth::decode(unsigned_token(R"({"alg":"Ed25519"})", "{}")).value().header.alg ==
          auth::algorithm::eddsa);
    // parameters apikit does not use are ignored, keys from the token above all
    CHECK(auth::decode(
              unsigned_token(R"({"alg":"RS256","jku":"https://x","jwk":{"kty":"oct"}})", "{}"))
              .has_value());
}

TEST_CASE("jwt: a claim of the wrong type is malformed, and the size limit comes first") {
    CHECK(auth::decode(unsigned_token(hs, R"({"exp":"soon"})")).error() == error::malformed);
    auto const token = unsigned_token(hs, "{}");
    CHECK(auth::decode(token, token.size()).has_value());
    CHECK(auth::decode(token, token.size() - 1).error() == error::token_too_large);
    CHECK(auth::decode("not a token at all", 4).error() == error::token_too_large);
}

} // namespace jwt_test

namespace jwt_test {

// The claims as JSON text, or "refused".
std::string parsed_both_ways(std::string_view json, bool fast) {
    auth::claims c;
    if (!auth::detail::parse_token_json(json, nullptr, &c, fast))
        return "refused";
    return boost::json::serialize(boost::json::value_from(c));
}

TEST_CASE("jwt: the fast reader of plain payloads and Boost.JSON's parser agree") {
    for (
        std::string_view json : {
            R"({})",
            R"( { "sub" : "u" , "exp" : 1 } )",
            "{\n\t\"sub\":\"u\",\r\n\"exp\":1}",
            R"({"iss":"https://i","sub":"u","aud":["a","b"],"exp":1800000000,"nbf":-5,"iat":0,"jti":"j","scope":["read","write"],"x":"y","n":12,"l":["p"],"e":[]})",
            R"({"scope":"a b"})",
            R"({"exp":-0})",
            R"({"exp":01})",
            R"({"exp":1.0})",
            R"({"exp":1e3})",
            R"({"exp":123456789012345678})",
            R"({"exp":1234567890123456789})",
            R"({"exp":99999999999999999999})",
            R"({"sub":"caf\u00e9"})",
            "{\"sub\":\"caf\xc3\xa9\"}",
            "{\"sub\":\"bad \xff\"}",
            "{\"sub\":\"tab\there\"}",
            R"({"sub":"a\"b"})",
            R"({"s\u0075b":"u"})",
            R"({"sub":"u","s\u0075b":"v"})",
            R"({"sub":"u","sub":"v"})",
            R"({"x":1,"x":2})",
            R"({"x":true,"y":false,"z":null})",
            R"({"x":{"a":[1,{"b":2}]}})",
            R"({"aud":["a",1]})",
            R"({"aud":[]})",
            R"({"sub":1})",
            R"({"sub":"u",})",
            R"({"sub":"u"} x)",
            R"({"sub" "u"})",
            R"({"l":["a",]})",
            R"({"l":["a" "b"]})",
            R"(["sub"])",
            R"("sub")",
            R"({"sub":"u")",
            "",
        }) {
        CAPTURE(json);
        CHECK(parsed_both_ways(json, true) == parsed_both_ways(json, false));
    }
    CHECK(parsed_both_ways(R"({"sub":"caf\u00e9"})", true) == "{\"sub\":\"caf\xc3\xa9\"}");
    CHECK(parsed_both_ways(R"({"exp":-0})", true) == R"({"exp":0})");
    CHECK(parsed_both_ways(R"({"s\u0075b":"u","sub":"v"})", true) == "refused");
}

TEST_CASE("jwt: decoding tokens of different headers in turn reads each header") {
    auto const a = hs_key("a");
    auto const b = auth::key::generate(auth::algorithm::eddsa, "b").value();
    for (int i = 0; i < 3; ++i) {
        auto const da = auth::decode(auth::sign(a, access_claims(), "at+jwt").value()).value();
        CHECK(da.header.kid == "a");
        CHECK(da.header.typ == "at+jwt");
        auto const db = auth::decode(auth::sign(b, access_claims(), "").value()).value();
        CHECK(db.header.kid == "b");
        CHECK(db.header.typ.empty());
        CHECK(db.header.alg == auth::algorithm::eddsa);
    }
}

} // namespace jwt_test
