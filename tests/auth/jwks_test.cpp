// auth::parse_jwks and auth::write_jwks: a JWKS document round-trips; its
// members that are no usable signing key are skipped; a document that is
// not a JWKS, breaks I-JSON, or is too large is invalid_jwks.

#include <apikit/auth/jwks.hpp>
#include <apikit/core/base64url.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace auth = apikit::auth;
using auth::algorithm;

namespace jwks_test {

constexpr std::string_view input = "header.payload";

auth::key fresh(algorithm a, std::string kid = {}) {
    auto k = auth::key::generate(a, std::move(kid));
    REQUIRE(k.has_value());
    return *k;
}

bool invalid(std::string_view document) {
    auto const r = auth::parse_jwks(document);
    return r.has_error() && r.error() == auth::error::invalid_jwks;
}

std::vector<auth::key> parsed(std::string_view document) {
    auto r = auth::parse_jwks(document);
    REQUIRE(r.has_value());
    return std::move(*r);
}

TEST_CASE("jwks: written and parsed again, the keys keep their kid, order and signatures") {
    std::vector<auth::key> const keys{fresh(algorithm::rs256, "r"), fresh(algorithm::hs256, "h"),
                                      fresh(algorithm::es256, "e"), fresh(algorithm::eddsa)};
    auto const doc = auth::write_jwks(keys);
    auto const back = parsed(doc);
    REQUIRE(back.size() == 3); // the HS256 key is never written
    CHECK(back[0].kid() == "r");
    CHECK(back[1].kid() == "e");
    CHECK(back[2].kid() == keys[3].kid());
    for (std::size_t i : {0u, 2u, 3u}) {
        auto const& k = back[i == 0 ? 0 : i - 1];
        CHECK(k.alg() == keys[i].alg());
        CHECK_FALSE(k.can_sign()); // public keys only
        CHECK(k.verify(input, keys[i].sign(input).value()));
    }
    CHECK(auth::write_jwks(back) == doc);
}

TEST_CASE("jwks: the written document holds no private member and no secret") {
    std::vector<auth::key> const keys{fresh(algorithm::rs256), fresh(algorithm::es256),
                                      fresh(algorithm::eddsa), fresh(algorithm::hs256)};
    auto const doc = boost::json::parse(auth::write_jwks(keys)).as_object();
    REQUIRE(doc.size() == 1);
    for (auto const& k : doc.at("keys").as_array()) {
        for (auto m : {"d", "p", "q", "dp", "dq", "qi", "k"})
            CHECK_FALSE(k.as_object().contains(m));
        CHECK(k.as_object().at("use") == "sig");
    }
    CHECK(auth::write_jwks({}) == R"({"keys":[]})");
}

TEST_CASE("jwks: members that are no usable signing key are skipped, the rest kept") {
    auto const good = fresh(algorithm::es256, "good");
    auto enc = fresh(algorithm::rs256).public_jwk();
    enc["use"] = "enc";
    auto p384 = good.public_jwk();
    p384["crv"] = "P-384";
    auto wrong_alg = good.public_jwk();
    wrong_alg["alg"] = "RS256";
    auto bad_x = good.public_jwk();
    bad_x["x"] = "not base64url!";
    boost::json::object const oct{
        {"kty", "oct"}, {"kid", "shared"}, {"k", apikit::base64url::encode(std::string(32, 's'))}};
    boost::json::array keys{
        enc,        p384, wrong_alg,  bad_x,  oct, good.public_jwk(), {{"kty", "RSA-OAEP"}},
        {{"x", 1}}, 42,   "a string", nullptr};
    auto const got = parsed(boost::json::serialize(boost::json::object{{"keys", keys}}));
    REQUIRE(got.size() == 1);
    CHECK(got[0].kid() == "good");
    CHECK(parsed(R"({"keys":[]})").empty());
    CHECK(parsed(R"({"keys":[],"other":{"a":[1,2]}})").empty());
}

TEST_CASE("jwks: a document that is not a JWKS is invalid_jwks") {
    for (std::string_view doc :
         {"", " ", "{", "null", "[]", R"([{"keys":[]}])", "{}", R"({"key":[]})", R"({"keys":{}})",
          R"({"keys":"[]"})", R"({"keys":null})", R"({"keys":[]} {})", R"({"keys":[],"keys":[]})",
          R"({"keys":[{"kty":"EC","kty":"OKP"}]})", "{\"keys\":[],\"x\":\"\xff\"}"}) {
        CAPTURE(doc);
        CHECK(invalid(doc));
    }
}

TEST_CASE("jwks: a document over 64 KiB, over 100 keys or nested too deep is refused") {
    auto const key = boost::json::serialize(fresh(algorithm::eddsa).public_jwk());
    auto document = [&](std::size_t n) {
        std::string doc = R"({"keys":[)";
        for (std::size_t i = 0; i < n; ++i)
            doc += (i ? "," : "") + key;
        return doc + "]}";
    };
    CHECK(parsed(document(auth::max_jwks_keys)).size() == auth::max_jwks_keys);
    CHECK(invalid(document(auth::max_jwks_keys + 1)));
    std::string padded = R"({"keys":[],"pad":")";
    padded += std::string(auth::max_jwks_size - padded.size() - 2, 'x') + "\"}";
    REQUIRE(padded.size() == auth::max_jwks_size);
    CHECK(parsed(padded).empty());
    padded.insert(padded.size() - 2, "x");
    CHECK(invalid(padded));
    std::string deep = R"({"keys":[],"x":)";
    deep += std::string(auth::max_jwks_depth, '[') + std::string(auth::max_jwks_depth, ']') + "}";
    CHECK(invalid(deep));
}

} // namespace jwks_test
