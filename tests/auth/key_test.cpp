// auth::key: made from a secret, a PEM, a JWK or fresh; bound to one
// algorithm for life; signs only with a private key; verifies only its own
// algorithm's signatures, of the right length; refuses keys that do not fit
// their algorithm; usable from many threads at once.

#include <apikit/auth/key.hpp>
#include <apikit/core/base64url.hpp>
#include <apikit/core/hmac.hpp>

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace auth = apikit::auth;
using auth::algorithm;

namespace key_test {

constexpr algorithm all[] = {algorithm::hs256, algorithm::rs256, algorithm::es256,
                             algorithm::eddsa};
constexpr algorithm asymmetric[] = {algorithm::rs256, algorithm::es256, algorithm::eddsa};

constexpr std::string_view input = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9";

auth::key fresh(algorithm a) {
    auto k = auth::key::generate(a);
    REQUIRE(k.has_value());
    return *k;
}

std::string signature(auth::key const& k, std::string_view in = input) {
    auto s = k.sign(in);
    REQUIRE(s.has_value());
    return *s;
}

// A PEM of a key OpenSSL makes here: another size, curve or type than
// auth::key::generate makes. `passphrase`: encrypted PKCS#8.
std::string openssl_pem(EVP_PKEY* k, char const* passphrase = nullptr) {
    auth::detail::bio_ptr bio(BIO_new(BIO_s_mem()));
    if (passphrase)
        REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), k, EVP_aes_256_cbc(), passphrase,
                                              static_cast<int>(std::string_view(passphrase).size()),
                                              nullptr, nullptr) == 1);
    else
        REQUIRE(PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    char* data = nullptr;
    auto const n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

auth::error error_of(apikit::result<auth::key> const& r) {
    REQUIRE(r.has_error());
    REQUIRE(r.error().category() == auth::error_category());
    return static_cast<auth::error>(r.error().value());
}

// The test cases live in the namespace too: the area's tests are one
// unity translation unit, where a file's names must not meet another's.

TEST_CASE("key: every algorithm's fresh key signs, and verifies what it signed only") {
    for (auto a : all) {
        CAPTURE(auth::name(a));
        auto const k = fresh(a);
        CHECK(k.alg() == a);
        CHECK(k.can_sign());
        CHECK(k.is_symmetric() == (a == algorithm::hs256));
        auto const sig = signature(k);
        CHECK(sig.size() == (a == algorithm::rs256 ? 256u : a == algorithm::hs256 ? 32u : 64u));
        CHECK(k.verify(input, sig));
        auto flipped = sig;
        flipped.back() ^= 0x40;
        CHECK_FALSE(k.verify(input, flipped));
        CHECK_FALSE(k.verify(std::string(input) + "x", sig));
        CHECK_FALSE(k.verify(input.substr(1), sig));
        CHECK_FALSE(k.verify(input, sig.substr(0, sig.size() - 1)));
        CHECK_FALSE(k.verify(input, sig + '\0'));
        CHECK_FALSE(k.verify(input, ""));
        CHECK_FALSE(k.verify(input, std::string(sig.size(), '\0')));
        // Another key of the same algorithm does not verify it.
        CHECK_FALSE(fresh(a).verify(input, sig));
    }
}

TEST_CASE("key: a copy shares the key and verifies the same") {
    auto const k = fresh(algorithm::es256);
    auto const copy = k; // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(copy.kid() == k.kid());
    CHECK(copy.verify(input, signature(k)));
}

TEST_CASE("key: an HS256 secret under 32 bytes is refused, 32 bytes is enough") {
    CHECK(error_of(auth::key::from_secret(std::string(31, 'k'), "a")) == auth::error::invalid_key);
    CHECK(error_of(auth::key::from_secret("", "a")) == auth::error::invalid_key);
    auto const k = auth::key::from_secret(std::string(32, 'k'), "a");
    REQUIRE(k.has_value());
    CHECK(k->kid() == "a");
    // The MAC is HMAC-SHA256 of the input under the secret, and deterministic.
    CHECK(signature(*k) ==
          apikit::as_string_view(apikit::hmac_sha256(std::string(32, 'k'), input)));
    CHECK(signature(*k) == signature(*k));
}

TEST_CASE("key: ES256 and EdDSA signatures of any length but 64 are false, DER included") {
    auto const es = fresh(algorithm::es256);
    auto const raw = signature(es);
    // The DER form of the very same signature is what EVP would take; JOSE's is R || S.
    unsigned char der[72];
    auto const n = auth::detail::es256_der(raw, der);
    CHECK_FALSE(es.verify(input, std::string(reinterpret_cast<char*>(der), n)));
    for (std::size_t len : {0u, 1u, 32u, 63u, 65u, 70u, 72u, 128u})
        CHECK_FALSE(es.verify(input, std::string(len, '\x01')));
    auto const ed = fresh(algorithm::eddsa);
    CHECK_FALSE(ed.verify(input, signature(ed) + "x"));
    CHECK_FALSE(ed.verify(input, signature(ed).substr(0, 63)));
}

TEST_CASE("key: ES256 signatures verify whatever leading zeros and high bits R and S have") {
    // R and S are 32 bytes each: a leading zero byte (1 in 256) and a high
    // bit (1 in 2) change their DER encoding; a few hundred signatures meet
    // both, through a public key that shares nothing with the signer.
    auto const k = fresh(algorithm::es256);
    auto const pub = auth::key::from_pem(algorithm::es256, k.public_pem()).value();
    bool zero = false, high = false;
    for (int i = 0; i < 600 && !(zero && high); ++i) {
        auto const in = std::string(input) + std::to_string(i);
        auto const sig = signature(k, in);
        zero = zero || sig[0] == 0 || sig[32] == 0;
        high = high || (sig[0] & 0x80) != 0;
        REQUIRE(pub.verify(in, sig));
    }
    CHECK(high);
}

TEST_CASE("key: the DER of R || S is minimal: no leading zeros but a sign byte") {
    std::string rs(64, '\0');
    rs[31] = 0x01;                    // R = 1
    rs[32] = static_cast<char>(0x80); // S's high bit set
    unsigned char der[72];
    auto const n = auth::detail::es256_der(rs, der);
    REQUIRE(n == 2 + 3 + 35);
    CHECK(der[0] == 0x30);
    CHECK(der[1] == 38);
    CHECK((der[2] == 0x02 && der[3] == 1 && der[4] == 0x01));
    CHECK((der[5] == 0x02 && der[6] == 33 && der[7] == 0x00 && der[8] == 0x80));
    CHECK(auth::detail::es256_raw(std::string(reinterpret_cast<char*>(der), n)) == rs);
}

TEST_CASE("key: an HS256 key refuses an RS256 signature, an RS256 key an HS256 MAC") {
    auto const rs = fresh(algorithm::rs256);
    auto const pub = auth::key::from_pem(algorithm::rs256, rs.public_pem()).value();
    // The confusion attack: an HMAC keyed with the RSA public key's PEM.
    auto const forged =
        std::string(apikit::as_string_view(apikit::hmac_sha256(rs.public_pem(), input)));
    CHECK_FALSE(pub.verify(input, forged));
    CHECK_FALSE(rs.verify(input, forged));
    // An HS256 key made from that very PEM verifies the forgery — but it is
    // an HS256 key, which a key set holds only when its owner made it so.
    auto const hs = auth::key::from_secret(rs.public_pem(), "hs").value();
    CHECK(hs.verify(input, forged));
    CHECK_FALSE(hs.verify(input, signature(rs)));
    CHECK_FALSE(pub.verify(input, signature(hs)));
}

TEST_CASE("key: a PEM whose key does not fit the algorithm is invalid_key") {
    auto const rs = fresh(algorithm::rs256).private_pem();
    auto const es = fresh(algorithm::es256).private_pem();
    auto const ed = fresh(algorithm::eddsa).private_pem();
    CHECK(error_of(auth::key::from_pem(algorithm::es256, rs)) == auth::error::invalid_key);
    CHECK(error_of(auth::key::from_pem(algorithm::eddsa, rs)) == auth::error::invalid_key);
    CHECK(error_of(auth::key::from_pem(algorithm::rs256, es)) == auth::error::invalid_key);
    CHECK(error_of(auth::key::from_pem(algorithm::eddsa, es)) == auth::error::invalid_key);
    CHECK(error_of(auth::key::from_pem(algorithm::rs256, ed)) == auth::error::invalid_key);
    CHECK(error_of(auth::key::from_pem(algorithm::es256, ed)) == auth::error::invalid_key);
    for (auto a : all) {
        CAPTURE(auth::name(a));
        CHECK(error_of(auth::key::from_pem(a, "")) == auth::error::invalid_key);
        CHECK(error_of(auth::key::from_pem(a, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END "
                                              "PRIVATE KEY-----\n")) == auth::error::invalid_key);
        // HS256 is never a PEM: an HMAC secret is not a key pair.
        if (a != algorithm::hs256)
            CHECK(auth::key::from_pem(a, a == algorithm::rs256   ? rs
                                         : a == algorithm::es256 ? es
                                                                 : ed)
                      .has_value());
    }
    CHECK(error_of(auth::key::from_pem(algorithm::hs256, rs)) == auth::error::invalid_key);
}

TEST_CASE("key: RSA under 2048 bits, P-384 and X25519 are refused") {
    auth::detail::pkey_ptr rsa1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
    auth::detail::pkey_ptr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
    auth::detail::pkey_ptr x25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
    CHECK(error_of(auth::key::from_pem(algorithm::rs256, openssl_pem(rsa1024.get()))) ==
          auth::error::invalid_key);
    CHECK(error_of(auth::key::from_pem(algorithm::es256, openssl_pem(p384.get()))) ==
          auth::error::invalid_key);
    CHECK(error_of(auth::key::from_pem(algorithm::eddsa, openssl_pem(x25519.get()))) ==
          auth::error::invalid_key);
}

TEST_CASE("key: an encrypted PEM is invalid_key, without asking for a passphrase") {
    auto const k = fresh(algorithm::es256);
    auto const pem = k.private_pem();
    bool priv = false;
    auto const raw = auth::detail::read_pem(pem, priv);
    REQUIRE(raw);
    CHECK(error_of(auth::key::from_pem(algorithm::es256, openssl_pem(raw.get(), "secret"))) ==
          auth::error::invalid_key);
}

TEST_CASE("key: a public key verifies, cannot sign, and has no private PEM") {
    for (auto a : asymmetric) {
        CAPTURE(auth::name(a));
        auto const k = fresh(a);
        auto const pub = auth::key::from_pem(a, k.public_pem());
        REQUIRE(pub.has_value());
        CHECK_FALSE(pub->can_sign());
        CHECK(pub->verify(input, signature(k)));
        auto const refused = pub->sign(input);
        REQUIRE(refused.has_error());
        CHECK(refused.error() == auth::error::key_cannot_sign);
        CHECK(pub->private_pem().empty());
        CHECK(pub->public_pem() == k.public_pem());
        CHECK(pub->kid() == k.kid()); // the thumbprint is of the public key
    }
}

TEST_CASE("key: PEM round trips keep the key and its thumbprint, HS256 has no PEM") {
    for (auto a : asymmetric) {
        CAPTURE(auth::name(a));
        auto const k = fresh(a);
        CHECK(k.private_pem().starts_with("-----BEGIN PRIVATE KEY-----")); // PKCS#8
        CHECK(k.public_pem().starts_with("-----BEGIN PUBLIC KEY-----"));   // SPKI
        auto const again = auth::key::from_pem(a, k.private_pem(), "named");
        REQUIRE(again.has_value());
        CHECK(again->kid() == "named");
        CHECK(again->can_sign());
        CHECK(k.verify(input, signature(*again)));
    }
    // The traditional forms ("BEGIN RSA PRIVATE KEY", "BEGIN EC PRIVATE KEY") load too.
    for (auto a : {algorithm::rs256, algorithm::es256}) {
        auto const k = fresh(a);
        bool priv = false;
        auto const raw = auth::detail::read_pem(k.private_pem(), priv);
        auth::detail::bio_ptr bio(BIO_new(BIO_s_mem()));
        REQUIRE(PEM_write_bio_PrivateKey_traditional(bio.get(), raw.get(), nullptr, nullptr, 0,
                                                     nullptr, nullptr) == 1);
        char* data = nullptr;
        auto const size = static_cast<std::size_t>(BIO_get_mem_data(bio.get(), &data));
        std::string const pem(data, size);
        CHECK(pem.starts_with(a == algorithm::rs256 ? "-----BEGIN RSA PRIVATE KEY-----"
                                                    : "-----BEGIN EC PRIVATE KEY-----"));
        auto const again = auth::key::from_pem(a, pem);
        REQUIRE(again.has_value());
        CHECK(again->can_sign());
        CHECK(again->kid() == k.kid());
    }
    auto const hs = fresh(algorithm::hs256);
    CHECK(hs.private_pem().empty());
    CHECK(hs.public_pem().empty());
}

TEST_CASE("key: an empty kid is the RFC 7638 thumbprint, 43 base64url characters") {
    for (auto a : all) {
        CAPTURE(auth::name(a));
        auto const k = fresh(a);
        CHECK(k.kid().size() == 43);
        CHECK(apikit::base64url::decode(k.kid()).value().size() == 32);
        CHECK(fresh(a).kid() != k.kid());
    }
    CHECK(auth::key::generate(algorithm::es256, "mine")->kid() == "mine");
}

TEST_CASE("key: the public JWK has exactly the members RFC 7517/7518/8037 name") {
    auto members = [](boost::json::object const& o) {
        std::vector<std::string> names;
        for (auto const& m : o)
            names.emplace_back(m.key());
        std::sort(names.begin(), names.end());
        return names;
    };
    using v = std::vector<std::string>;
    auto const rs = fresh(algorithm::rs256).public_jwk();
    CHECK(members(rs) == v{"alg", "e", "kid", "kty", "n", "use"});
    CHECK(rs.at("kty") == "RSA");
    CHECK(rs.at("alg") == "RS256");
    CHECK(rs.at("use") == "sig");
    CHECK(rs.at("e") == "AQAB");
    auto const es = fresh(algorithm::es256).public_jwk();
    CHECK(members(es) == v{"alg", "crv", "kid", "kty", "use", "x", "y"});
    CHECK(es.at("crv") == "P-256");
    CHECK(es.at("x").as_string().size() == 43);
    auto const ed = fresh(algorithm::eddsa).public_jwk();
    CHECK(members(ed) == v{"alg", "crv", "kid", "kty", "use", "x"});
    CHECK(ed.at("kty") == "OKP");
    CHECK(ed.at("crv") == "Ed25519");
    CHECK(ed.at("alg") == "EdDSA");
    CHECK(fresh(algorithm::hs256).public_jwk().empty()); // a secret is never published
}

TEST_CASE("key: JWK round trips for every algorithm, public and private") {
    for (auto a : all) {
        CAPTURE(auth::name(a));
        auto const k = fresh(a);
        auto const sig = signature(k);
        auto const priv = auth::key::from_jwk(k.private_jwk());
        REQUIRE(priv.has_value());
        CHECK(priv->alg() == a);
        CHECK(priv->kid() == k.kid());
        CHECK(priv->can_sign());
        CHECK(priv->verify(input, sig));
        CHECK(k.verify(input, signature(*priv)));
        CHECK(priv->private_jwk() == k.private_jwk());
        if (a == algorithm::hs256)
            continue;
        auto const pub = auth::key::from_jwk(k.public_jwk());
        REQUIRE(pub.has_value());
        CHECK_FALSE(pub->can_sign());
        CHECK(pub->verify(input, sig));
        CHECK(pub->public_jwk() == k.public_jwk());
        CHECK(pub->private_jwk() == k.public_jwk());
        CHECK_FALSE(pub->public_jwk().contains("d"));
    }
}

TEST_CASE("key: a JWK without kid gets the thumbprint, alg Ed25519 and key_ops are read") {
    auto const k = fresh(algorithm::eddsa);
    auto jwk = k.public_jwk();
    jwk.erase("kid");
    jwk["alg"] = "Ed25519";
    jwk["key_ops"] = boost::json::array{"verify"};
    auto const again = auth::key::from_jwk(jwk);
    REQUIRE(again.has_value());
    CHECK(again->kid() == k.kid());
    jwk.erase("alg");
    jwk.erase("use");
    CHECK(auth::key::from_jwk(jwk).has_value());
}

TEST_CASE("key: JWKs that are not a usable signing key are invalid_key") {
    auto const rs = fresh(algorithm::rs256).private_jwk();
    auto const es = fresh(algorithm::es256).private_jwk();
    auto const ed = fresh(algorithm::eddsa).private_jwk();
    auto const hs = fresh(algorithm::hs256).private_jwk();
    auto refused = [](boost::json::object const& base, auto change) {
        auto jwk = base;
        change(jwk);
        auto const r = auth::key::from_jwk(jwk);
        CAPTURE(boost::json::serialize(jwk).substr(0, 120));
        return r.has_error() && r.error() == auth::error::invalid_key;
    };
    using obj = boost::json::object;
    // alg must name the key type's algorithm, and none never does
    CHECK(refused(rs, [](obj& j) { j["alg"] = "ES256"; }));
    CHECK(refused(rs, [](obj& j) { j["alg"] = "HS256"; }));
    CHECK(refused(rs, [](obj& j) { j["alg"] = "none"; }));
    CHECK(refused(rs, [](obj& j) { j["alg"] = "RS512"; }));
    CHECK(refused(hs, [](obj& j) { j["alg"] = "RS256"; }));
    CHECK(refused(es, [](obj& j) { j["alg"] = 7; }));
    // use is sig, key_ops signs or verifies
    CHECK(refused(es, [](obj& j) { j["use"] = "enc"; }));
    CHECK(refused(es, [](obj& j) { j["key_ops"] = boost::json::array{"encrypt"}; }));
    CHECK(refused(es, [](obj& j) { j["key_ops"] = "verify"; }));
    // kty and crv
    CHECK(refused(es, [](obj& j) { j["kty"] = "ECC"; }));
    CHECK(refused(es, [](obj& j) { j.erase("kty"); }));
    CHECK(refused(es, [](obj& j) { j["crv"] = "P-384"; }));
    CHECK(refused(ed, [](obj& j) { j["crv"] = "Ed448"; }));
    CHECK(refused(ed, [](obj& j) { j["crv"] = "X25519"; }));
    CHECK(refused(es, [](obj& j) { j["kid"] = 1; }));
    // members missing, of the wrong type, of the wrong length, not strict base64url
    CHECK(refused(rs, [](obj& j) { j.erase("n"); }));
    CHECK(refused(rs, [](obj& j) { j["e"] = 65537; }));
    CHECK(refused(rs, [](obj& j) { j["e"] = "AQAB="; }));
    CHECK(refused(rs, [](obj& j) { j["e"] = "AQ+B"; }));
    CHECK(refused(hs, [](obj& j) { j["k"] = ""; }));
    CHECK(refused(hs, [](obj& j) { j["k"] = apikit::base64url::encode(std::string(31, 'k')); }));
    CHECK(refused(es, [](obj& j) { j.erase("y"); }));
    CHECK(refused(es, [](obj& j) { j["x"] = apikit::base64url::encode(std::string(31, '\x01')); }));
    CHECK(refused(ed, [](obj& j) { j["x"] = apikit::base64url::encode(std::string(33, 'x')); }));
    // private members that do not match the public ones
    CHECK(refused(es, [&](obj& j) { j["d"] = fresh(algorithm::es256).private_jwk().at("d"); }));
    CHECK(refused(ed, [&](obj& j) { j["d"] = fresh(algorithm::eddsa).private_jwk().at("d"); }));
    CHECK(refused(rs, [&](obj& j) { j["p"] = fresh(algorithm::rs256).private_jwk().at("p"); }));
    CHECK(refused(rs, [&](obj& j) { // d alone: checked by a trial signature
        for (auto m : {"p", "q", "dp", "dq", "qi"})
            j.erase(m);
        j["d"] = fresh(algorithm::rs256).private_jwk().at("d");
    }));
    // RSA's CRT members: all or none; multi-prime never
    CHECK(refused(rs, [](obj& j) { j.erase("q"); }));
    CHECK(refused(rs, [](obj& j) { j["oth"] = boost::json::array{}; }));
    // an EC point off the curve
    CHECK(refused(es, [](obj& j) {
        j.erase("d");
        auto y = apikit::base64url::decode(j["y"].as_string()).value();
        y.back() ^= 0x01;
        j["y"] = apikit::base64url::encode(y);
    }));
    // an RSA public exponent over 64 bits, of 1 or even; a modulus over 8192 bits
    auto rsa_public = [&](std::string const& n, std::string const& e) {
        return [=](obj& j) {
            j = obj{{"kty", "RSA"}, {"n", n}, {"e", apikit::base64url::encode(e)}};
        };
    };
    std::string const n(rs.at("n").as_string());
    CHECK(refused(rs, rsa_public(n, std::string("\x01\0\0\0\0\0\0\0\x01", 9))));
    CHECK(refused(rs, rsa_public(n, std::string(1, '\x01'))));
    CHECK(refused(rs, rsa_public(n, std::string("\x01\x00", 2))));
    CHECK_FALSE(refused(rs, rsa_public(n, std::string(1, '\x03'))));
    CHECK_FALSE(refused(rs, rsa_public(n, std::string("\x01\0\0\0\0\0\0\x01", 8))));
    CHECK(refused(rs, rsa_public(apikit::base64url::encode(std::string(1025, '\xcb')), "\x03")));
    // an RSA key too small
    auth::detail::pkey_ptr small(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
    CHECK(refused(rs, [&](obj& j) {
        j = obj{{"kty", "RSA"},
                {"n", apikit::base64url::encode(auth::detail::bn_param(small.get(), "n"))},
                {"e", "AQAB"}};
    }));
}

TEST_CASE("key: an RSA private JWK of d alone signs (RFC 7518 §6.3.2 allows it)") {
    auto const k = fresh(algorithm::rs256);
    auto jwk = k.private_jwk();
    for (auto m : {"p", "q", "dp", "dq", "qi"})
        jwk.erase(m);
    auto const bare = auth::key::from_jwk(jwk);
    REQUIRE(bare.has_value());
    CHECK(bare->can_sign());
    CHECK(k.verify(input, signature(*bare)));
}

TEST_CASE("key: keys of every algorithm sign and verify from several threads at once") {
    std::vector<auth::key> keys;
    std::vector<std::string> sigs;
    for (auto a : all) {
        keys.push_back(fresh(a));
        sigs.push_back(signature(keys.back()));
        // A public copy, made from the JWK: the prepared contexts are its own.
        if (a != algorithm::hs256)
            keys.push_back(auth::key::from_jwk(keys.back().public_jwk()).value());
        else
            keys.push_back(keys.back());
        sigs.push_back(sigs.back());
    }
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 12; ++i) {
                for (std::size_t k = 0; k < keys.size(); ++k) {
                    auto const& key = keys[k];
                    if (!key.verify(input, sigs[k]) || key.verify(input, sigs[k ^ 2]))
                        ++wrong;
                    if (key.can_sign() && (i + t) % 4 == 0) {
                        auto const in = std::to_string(t * 100 + i);
                        auto const s = key.sign(in);
                        if (!s || !key.verify(in, *s))
                            ++wrong;
                    }
                }
            }
        });
    for (auto& th : threads)
        th.join();
    CHECK(wrong == 0);
}

} // namespace key_test
