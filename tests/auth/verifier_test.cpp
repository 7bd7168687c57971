// auth::verifier: every check of verifier.hpp at its boundary, on a manual
// system clock — the RFC 7515 A.1 token end to end, exp/nbf/iat with and
// without leeway, typ, iss, aud, required claims, alg:none and the RS256 →
// HS256 confusion, tampered and re-signed tokens, unknown kids and the
// rate-limited JWKS reload, key rotation.

#include <apikit/auth/issuer.hpp>
#include <apikit/auth/verifier.hpp>

#include "tokens_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace verifier_test {

using namespace tokens_test;
using auth::error;

// A verifier of access tokens as the tokens of tokens_support are made.
inline auth::verify_options access_options() {
    auth::verify_options o;
    o.issuer = "https://issuer.test";
    o.audiences = {"api"};
    return o;
}

using manual_verifier = auth::verifier<clock_ref>;

// A JWKS source that counts its fetches and serves `document`.
struct counting_source {
    std::shared_ptr<std::atomic<int>> fetches = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<std::string> document = std::make_shared<std::string>(R"({"keys":[]})");

    [[nodiscard]] apikit::result<std::string> fetch() {
        ++*fetches;
        return *document;
    }
};

// The least a JWKS source is: fetch() giving a result<std::string>.
struct jwks_source_archetype {
    apikit::result<std::string> fetch();
};

// A source whose fetch() gives the document without a result does not model
// jwks_source.
struct near_miss_source {
    std::string fetch() { return {}; }
};

static_assert(auth::jwks_source<jwks_source_archetype>);
static_assert(sizeof(auth::verifier<std::chrono::system_clock, jwks_source_archetype>) > 0);
static_assert(auth::jwks_source<counting_source>);
static_assert(auth::jwks_source<auth::no_jwks_source>);
static_assert(!auth::jwks_source<near_miss_source>);

TEST_CASE("verifier: the RFC 7515 A.1 token verifies end to end, and expires at its exp") {
    auth::key_set keys;
    keys.add(auth::key::from_secret(apikit::base64url::decode(rfc7515_a1_key).value(), "").value());
    system_manual_clock mc(at(rfc7515_a1_exp - 60));
    auth::verify_options o;
    o.type = "";
    o.required_claims = {};
    manual_verifier v(keys, o, clock_ref(mc));
    auto const r = v.verify(rfc7515_a1_token);
    REQUIRE(r);
    CHECK((*r)->iss == "joe");
    CHECK((*r)->exp == rfc7515_a1_exp);
    CHECK((*r)->get<bool>("http://example.com/is_root").value());
    mc.set(at(rfc7515_a1_exp));
    CHECK(v.verify(rfc7515_a1_token).error() == error::expired);
}

TEST_CASE("verifier: a token is expired at exactly exp, valid one second before, and leeway "
          "moves both boundaries") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    auto const token = access_token(*keys.find("k1"));
    system_manual_clock mc(at(t0 + 899));
    manual_verifier strict(keys, access_options(), clock_ref(mc));
    CHECK(strict.verify(token));
    mc.set(at(t0 + 900));
    CHECK(strict.verify(token).error() == error::expired);
    mc.set(at(t0 + 899) + std::chrono::milliseconds(999));
    CHECK(strict.verify(token)); // whole seconds: 899.999 is still before 900

    auto o = access_options();
    o.leeway = std::chrono::seconds(30);
    manual_verifier lenient(keys, o, clock_ref(mc));
    mc.set(at(t0 + 929));
    CHECK(lenient.verify(token));
    mc.set(at(t0 + 930));
    CHECK(lenient.verify(token).error() == error::expired);
}

TEST_CASE("verifier: nbf and iat hold with the leeway at their boundaries") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    auto c = access_claims();
    c.nbf = t0 + 100;
    auto const not_before = access_token(*keys.find("k1"), c);
    c = access_claims();
    c.iat = t0 + 10;
    auto const issued_later = access_token(*keys.find("k1"), c);

    system_manual_clock mc(at(t0 + 99));
    manual_verifier strict(keys, access_options(), clock_ref(mc));
    CHECK(strict.verify(not_before).error() == error::not_yet_valid);
    mc.set(at(t0 + 100));
    CHECK(strict.verify(not_before));

    mc.set(at(t0));
    CHECK(strict.verify(issued_later).error() == error::issued_in_future);
    mc.set(at(t0 + 10));
    CHECK(strict.verify(issued_later));

    auto o = access_options();
    o.leeway = std::chrono::seconds(10);
    manual_verifier lenient(keys, o, clock_ref(mc));
    mc.set(at(t0 + 89));
    CHECK(lenient.verify(not_before).error() == error::not_yet_valid);
    mc.set(at(t0 + 90));
    CHECK(lenient.verify(not_before));
    mc.set(at(t0 - 1));
    CHECK(lenient.verify(issued_later).error() == error::issued_in_future);
    mc.set(at(t0));
    CHECK(lenient.verify(issued_later));
}

TEST_CASE("verifier: typ is compared case-insensitively, with or without application/") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    auto const& k = *keys.find("k1");
    system_manual_clock mc(at(t0));
    manual_verifier v(keys, access_options(), clock_ref(mc));
    for (auto typ : {"at+jwt", "AT+JWT", "application/at+jwt", "Application/At+Jwt"}) {
        CAPTURE(typ);
        CHECK(v.verify(auth::sign(k, access_claims(), typ).value()));
    }
    for (auto typ : {"JWT", "", "application/jwt", "at+jwt2"}) {
        CAPTURE(typ);
        CHECK(v.verify(auth::sign(k, access_claims(), typ).value()).error() == error::wrong_type);
    }
    auto o = access_options();
    o.type = "";
    manual_verifier any_type(keys, o, clock_ref(mc));
    CHECK(any_type.verify(auth::sign(k, access_claims(), "JWT").value()));
}

TEST_CASE("verifier: iss must be the issuer and one aud an audience, when they are set") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    auto const& k = *keys.find("k1");
    system_manual_clock mc(at(t0));
    manual_verifier v(keys, access_options(), clock_ref(mc));

    auto c = access_claims();
    c.iss = "https://other.test";
    CHECK(v.verify(access_token(k, c)).error() == error::wrong_issuer);
    c.iss.clear();
    CHECK(v.verify(access_token(k, c)).error() == error::wrong_issuer);

    c = access_claims();
    c.aud = {"other", "api"};
    CHECK(v.verify(access_token(k, c)));
    c.aud = {"other"};
    CHECK(v.verify(access_token(k, c)).error() == error::wrong_audience);
    c.aud.clear();
    CHECK(v.verify(access_token(k, c)).error() == error::wrong_audience);
    // aud as a string and as an array, written by hand
    auto const payload = [](std::string_view aud) {
        return std::string(R"({"iss":"https://issuer.test","exp":)") + std::to_string(t0 + 900) +
               R"(,"aud":)" + std::string(aud) + "}";
    };
    auto const header = R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})";
    CHECK(v.verify(raw_token(k, header, payload(R"("api")"))));
    CHECK(v.verify(raw_token(k, header, payload(R"(["x","api"])"))));
    CHECK(v.verify(raw_token(k, header, payload(R"("apix")"))).error() == error::wrong_audience);

    manual_verifier unchecked(keys, {}, clock_ref(mc));
    CHECK(unchecked.verify(access_token(k, c)));
}

TEST_CASE("verifier: every required claim must be present, and exp is required by default") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    auto const& k = *keys.find("k1");
    system_manual_clock mc(at(t0));
    manual_verifier v(keys, access_options(), clock_ref(mc));
    auto c = access_claims();
    c.exp.reset();
    CHECK(v.verify(access_token(k, c)).error() == error::missing_claim);

    auto o = access_options();
    o.required_claims = {"exp", "sub", "scope", "tenant"};
    manual_verifier demanding(keys, o, clock_ref(mc));
    c = access_claims();
    CHECK(demanding.verify(access_token(k, c)).error() == error::missing_claim);
    c.set("tenant", std::string("t1"));
    CHECK(demanding.verify(access_token(k, c)));
    c.sub.clear();
    CHECK(demanding.verify(access_token(k, c)).error() == error::missing_claim);
}

TEST_CASE("verifier: alg none is refused in any spelling, signed or not") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    manual_verifier v(keys, access_options(), clock_ref(mc));
    auto const payload =
        apikit::base64url::encode(boost::json::serialize(boost::json::value_from(access_claims())));
    for (auto alg : {"none", "None", "NONE", "nOnE", ""}) {
        CAPTURE(alg);
        auto const header = apikit::base64url::encode(std::string(R"({"alg":")") + alg +
                                                      R"(","typ":"at+jwt","kid":"k1"})");
        CHECK(v.verify(header + "." + payload + ".").error() == error::unsupported_algorithm);
        CHECK(v.verify(header + "." + payload + ".c2ln").error() == error::unsupported_algorithm);
    }
}

TEST_CASE("verifier: an HS256 token whose secret is the RSA public key's PEM is refused: the key "
          "is RS256's") {
    auth::key_set keys;
    auto const& rsa = rsa_key();
    keys.add(auth::key::from_pem(auth::algorithm::rs256, rsa.public_pem(), "rsa-1").value());
    system_manual_clock mc(at(t0));
    manual_verifier v(keys, access_options(), clock_ref(mc));
    CHECK(v.verify(access_token(rsa)));

    auto const forger = auth::key::from_secret(rsa.public_pem(), "rsa-1").value();
    auto const forged = access_token(forger);
    CHECK(v.verify(forged).error() == error::algorithm_mismatch);
    // without a kid, the set's only key: still RS256's
    auto const unnamed =
        raw_token(forger, R"({"alg":"HS256","typ":"at+jwt"})",
                  boost::json::serialize(boost::json::value_from(access_claims())));
    CHECK(v.verify(unnamed).error() == error::algorithm_mismatch);
}

TEST_CASE("verifier: a tampered, truncated or re-signed token is refused") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    manual_verifier v(keys, access_options(), clock_ref(mc));
    auto const token = access_token(*keys.find("k1"));
    REQUIRE(v.verify(token));

    // the payload of another subject under the original signature
    auto const dot1 = token.find('.'), dot2 = token.rfind('.');
    auto other = access_token(*keys.find("k1"), access_claims("admin"));
    auto const spliced = token.substr(0, dot1) +
                         other.substr(other.find('.'), other.rfind('.') - other.find('.')) +
                         token.substr(dot2);
    CHECK(v.verify(spliced).error() == error::bad_signature);
    // one character of the signature changed
    auto flipped = token;
    flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
    CHECK(v.verify(flipped).error() == error::bad_signature);
    // every proper prefix: a truncated signature is refused as malformed (its last
    // character's unused bits) or as a bad signature, never accepted
    for (std::size_t n = 0; n < token.size(); ++n)
        REQUIRE_FALSE(v.verify(token.substr(0, n)).has_value());
    CHECK(v.verify(token.substr(0, dot2)).error() == error::malformed);
    CHECK(v.verify(token.substr(0, dot2 + 1)).error() == error::bad_signature);
    // the same claims signed by another key of the same kid
    CHECK(v.verify(access_token(hs_key("k1", 'x'))).error() == error::bad_signature);
}

TEST_CASE("verifier: every algorithm verifies its own tokens") {
    for (auto alg : {auth::algorithm::hs256, auth::algorithm::rs256, auth::algorithm::es256,
                     auth::algorithm::eddsa}) {
        CAPTURE(auth::name(alg));
        auth::key_set keys;
        auto const k =
            alg == auth::algorithm::rs256 ? rsa_key() : auth::key::generate(alg, "k").value();
        keys.add(k);
        system_manual_clock mc(at(t0));
        manual_verifier v(keys, access_options(), clock_ref(mc));
        auto const r = v.verify(access_token(k));
        REQUIRE(r);
        CHECK((*r)->sub == "user_1");
        CHECK((*r)->has_scope("write"));
    }
}

TEST_CASE("verifier: a token over the maximum size is refused before it is read") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    auto o = access_options();
    auto const token = access_token(*keys.find("k1"));
    o.max_token_size = token.size();
    manual_verifier v(keys, o, clock_ref(mc));
    CHECK(v.verify(token));
    CHECK(v.verify(token + "A").error() == error::token_too_large);
    CHECK(v.verify(std::string(100'000, '.')).error() == error::token_too_large);
}

TEST_CASE("verifier: an unknown kid, or no kid among several keys, is unknown_key") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    manual_verifier v(keys, access_options(), clock_ref(mc));
    CHECK(v.verify(access_token(hs_key("k2"))).error() == error::unknown_key);
    auto const unnamed =
        raw_token(*keys.find("k1"), R"({"alg":"HS256","typ":"at+jwt"})",
                  boost::json::serialize(boost::json::value_from(access_claims())));
    CHECK(v.verify(unnamed)); // the only key
    keys.add(hs_key("k2"));
    CHECK(v.verify(unnamed).error() == error::unknown_key);
}

TEST_CASE("verifier: a flood of unknown kids reloads the JWKS once per interval") {
    auth::key_set keys;
    system_manual_clock mc(at(t0));
    counting_source source;
    auto o = access_options();
    o.reload_interval = std::chrono::seconds(60);
    auth::verifier<clock_ref, counting_source> v(keys, o, clock_ref(mc), source);
    auto const signer = auth::key::generate(auth::algorithm::es256, "es-1").value();
    auto const token = access_token(signer);

    std::uint64_t x = 0x9e3779b97f4a7c15;
    for (int i = 0; i < 1000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        CHECK(v.verify(access_token(
                           auth::key::from_secret(std::string(32, 'r'), "kid-" + std::to_string(x))
                               .value()))
                  .error() == error::unknown_key);
    }
    CHECK(source.fetches->load() == 1);
    CHECK(v.verify(token).error() == error::unknown_key);
    CHECK(source.fetches->load() == 1);

    // The key is published; within the interval nothing reloads, after it one fetch does.
    std::vector<auth::key> const published{signer};
    *source.document = auth::write_jwks(published);
    mc.advance(std::chrono::seconds(59));
    CHECK(v.verify(token).error() == error::unknown_key);
    CHECK(source.fetches->load() == 1);
    mc.advance(std::chrono::seconds(1));
    auto const r = v.verify(token);
    REQUIRE(r);
    CHECK(source.fetches->load() == 2);
    CHECK(keys.size() == 1);
    CHECK(v.verify(token));
    CHECK(source.fetches->load() == 2);
}

TEST_CASE("verifier: a reload that fails uses up its interval, and a document that is not a JWKS "
          "changes nothing") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    counting_source source;
    *source.document = "not json";
    auth::verifier<clock_ref, counting_source> v(keys, access_options(), clock_ref(mc), source);
    auto const known = access_token(*keys.find("k1"));
    auto const unknown = access_token(hs_key("k2"));
    CHECK(v.verify(unknown).error() == error::unknown_key);
    CHECK(v.verify(unknown).error() == error::unknown_key);
    CHECK(source.fetches->load() == 1);
    CHECK(keys.size() == 1);
    CHECK(v.verify(known));
    CHECK(source.fetches->load() == 1); // a known kid never reloads
    mc.advance(std::chrono::seconds(60));
    CHECK(v.verify(unknown).error() == error::unknown_key);
    CHECK(source.fetches->load() == 2);
}

TEST_CASE("verifier: after a rotation old tokens verify until their key is retired") {
    auth::key_set keys;
    keys.add(hs_key("old"));
    system_manual_clock mc(at(t0));
    auth::issuer<clock_ref> iss(keys, {.issuer = "https://issuer.test", .audience = "api"},
                                clock_ref(mc));
    auto o = access_options();
    o.cache_entries = 64;
    manual_verifier v(keys, o, clock_ref(mc));
    std::vector<std::string> const scope{"read"};
    auto const before = iss.issue("user_1", scope).value();
    REQUIRE(v.verify(before));

    keys.add(hs_key("new", 'n'));
    keys.use_for_signing("new");
    auto const after = iss.issue("user_1", scope).value();
    CHECK(auth::decode(after).value().header.kid == "new");
    CHECK(v.verify(before));
    CHECK(v.verify(after));
    CHECK(v.cache()->size() == 2);

    CHECK(keys.retire("old"));
    CHECK(v.verify(before).error() == error::unknown_key);
    CHECK(v.verify(after));
    CHECK(v.cache()->size() == 1);
}

} // namespace verifier_test
