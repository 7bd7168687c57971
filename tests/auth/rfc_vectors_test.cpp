// The published examples, through auth::key on the JWS signing input (the
// token layer has tests of its own): RFC 7515 Appendix A.1 (HS256), A.2
// (RS256), A.3 (ES256), RFC 8037 Appendix A (Ed25519: its key's thumbprint,
// and a signature that matches byte for byte, Ed25519 being
// deterministic), and RFC 7638 §3.1's thumbprint. Each is also tampered
// with, and must then fail.

#include <apikit/auth/key.hpp>
#include <apikit/core/base64url.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <string>
#include <string_view>

namespace auth = apikit::auth;

namespace rfc_vectors {

// RFC 7515 A.1-A.3's JWS Payload, base64url (the same for all three).
constexpr std::string_view payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9le"
                                     "GFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

constexpr std::string_view hs256_jwk =
    R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
constexpr std::string_view hs256_header = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
constexpr std::string_view hs256_signature = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

constexpr std::string_view rs256_jwk = R"({"kty":"RSA",
 "n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
 "e":"AQAB",
 "d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
 "p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
 "q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
 "dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
 "dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
 "qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"})";
constexpr std::string_view rs256_header = "eyJhbGciOiJSUzI1NiJ9";
constexpr std::string_view rs256_signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
    "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO"
    "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

constexpr std::string_view es256_jwk = R"({"kty":"EC","crv":"P-256",
 "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
 "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
 "d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";
constexpr std::string_view es256_header = "eyJhbGciOiJFUzI1NiJ9";
constexpr std::string_view es256_signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// RFC 8037 A.1 (the key), A.4 (the signature of "Example of Ed25519 signing").
constexpr std::string_view ed25519_jwk =
    R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr std::string_view ed25519_input =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr std::string_view ed25519_signature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

auth::key from_jwk(std::string_view json) {
    auto k = auth::key::from_jwk(boost::json::parse(json).as_object());
    REQUIRE(k.has_value());
    return *k;
}

std::string input(std::string_view header) {
    return std::string(header) + "." + std::string(payload);
}

std::string bytes(std::string_view b64) {
    return apikit::base64url::decode(b64).value();
}

// The same check tampered three ways: a signature bit, a payload byte, a
// signature cut short. Each must fail.
void check_tampered(auth::key const& k, std::string const& in, std::string sig) {
    CHECK(k.verify(in, sig));
    auto flipped = sig;
    flipped[flipped.size() / 2] ^= 0x01;
    CHECK_FALSE(k.verify(in, flipped));
    auto other = in;
    other[other.size() - 3] ^= 0x01;
    CHECK_FALSE(k.verify(other, sig));
    CHECK_FALSE(k.verify(in, sig.substr(0, sig.size() - 1)));
    CHECK_FALSE(k.verify(in.substr(0, in.size() - 1), sig));
}

TEST_CASE("RFC 7515 A.1: the HS256 example verifies, and signing reproduces it") {
    auto const k = from_jwk(hs256_jwk);
    CHECK(k.alg() == auth::algorithm::hs256);
    auto const in = input(hs256_header);
    check_tampered(k, in, bytes(hs256_signature));
    CHECK(apikit::base64url::encode(k.sign(in).value()) == hs256_signature);
}

TEST_CASE("RFC 7515 A.2: the RS256 example verifies, with the key and its public half") {
    auto const k = from_jwk(rs256_jwk);
    CHECK(k.alg() == auth::algorithm::rs256);
    CHECK(k.can_sign());
    auto const in = input(rs256_header);
    check_tampered(k, in, bytes(rs256_signature));
    auto const pub = auth::key::from_jwk(k.public_jwk());
    REQUIRE(pub.has_value());
    CHECK_FALSE(pub->can_sign());
    check_tampered(*pub, in, bytes(rs256_signature));
    // RSASSA-PKCS1-v1_5 is deterministic: signing gives the RFC's bytes.
    CHECK(apikit::base64url::encode(k.sign(in).value()) == rs256_signature);
}

TEST_CASE("RFC 7515 A.3: the ES256 example verifies, with the key and its public half") {
    auto const k = from_jwk(es256_jwk);
    CHECK(k.alg() == auth::algorithm::es256);
    auto const in = input(es256_header);
    check_tampered(k, in, bytes(es256_signature));
    auto const pub = auth::key::from_jwk(k.public_jwk());
    REQUIRE(pub.has_value());
    check_tampered(*pub, in, bytes(es256_signature));
    // ECDSA is randomized: a fresh signature differs but verifies.
    auto const again = k.sign(in).value();
    CHECK(again.size() == 64);
    CHECK(pub->verify(in, again));
}

TEST_CASE("RFC 8037 A.4: the Ed25519 signature matches byte for byte and verifies") {
    auto const k = from_jwk(ed25519_jwk);
    CHECK(k.alg() == auth::algorithm::eddsa);
    CHECK(apikit::base64url::encode(k.sign(ed25519_input).value()) == ed25519_signature);
    auto const pub = auth::key::from_jwk(k.public_jwk());
    REQUIRE(pub.has_value());
    check_tampered(*pub, std::string(ed25519_input), bytes(ed25519_signature));
}

TEST_CASE("RFC 8037 A.3: the Ed25519 key's thumbprint is its default kid") {
    CHECK(from_jwk(ed25519_jwk).kid() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

TEST_CASE("RFC 7638 §3.1: the example RSA key's thumbprint is its default kid") {
    auto const k = from_jwk(R"({"kty":"RSA",
      "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      "e":"AQAB","alg":"RS256"})");
    CHECK(k.kid() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    // The thumbprint does not depend on how the key came: its PEM gives it too.
    CHECK(auth::key::from_pem(auth::algorithm::rs256, k.public_pem())->kid() == k.kid());
}

TEST_CASE("RFC vectors: each key verifies only its own algorithm's example") {
    auto const hs = from_jwk(hs256_jwk);
    auto const rs = from_jwk(rs256_jwk);
    auto const es = from_jwk(es256_jwk);
    auto const ed = from_jwk(ed25519_jwk);
    CHECK_FALSE(hs.verify(input(rs256_header), bytes(rs256_signature)));
    CHECK_FALSE(rs.verify(input(hs256_header), bytes(hs256_signature)));
    CHECK_FALSE(es.verify(std::string(ed25519_input), bytes(ed25519_signature)));
    CHECK_FALSE(ed.verify(input(es256_header), bytes(es256_signature)));
}

} // namespace rfc_vectors
