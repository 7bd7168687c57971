#ifndef APIKIT_AUTH_DETAIL_JWK_HPP
#define APIKIT_AUTH_DETAIL_JWK_HPP

// A key's JWK members (RFC 7517, RFC 7518 §6, RFC 8037 §2) both ways, and
// its RFC 7638 thumbprint. The members are read strictly: a member that is
// present must have its type and its exact length (EC and OKP coordinates
// are fixed-size, RFC 7518 §6.2.1.2); base64url without padding or stray
// bits (core/base64url.hpp's strict decoder). A private key read from a JWK
// is checked against its public half (EVP_PKEY_pairwise_check), and an EC
// point against its curve, because OpenSSL's import does not.

#include <apikit/auth/algorithm.hpp>
#include <apikit/auth/detail/openssl.hpp>
#include <apikit/core/base64url.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::auth::detail {

/// One JWK member as written: a name and its text (base64url or a name).
struct jwk_member {
    std::string_view name;
    std::string value;
};

inline constexpr std::size_t p256_coordinate = 32;
inline constexpr std::size_t min_rsa_bytes = 2048 / 8;   // auth::key's smallest modulus
inline constexpr std::size_t max_rsa_bytes = 8192 / 8;   // and largest
inline constexpr std::size_t max_rsa_exponent_bytes = 8; // OpenSSL's bound on e: 64 bits
inline constexpr std::size_t ed25519_size = 32;

[[nodiscard]] inline std::string_view kty_of(algorithm a) noexcept {
    switch (a) {
    case algorithm::hs256:
        return "oct";
    case algorithm::rs256:
        return "RSA";
    case algorithm::es256:
        return "EC";
    case algorithm::eddsa:
        return "OKP";
    }
    return "";
}

/// The members RFC 7638 §3.2 requires for the key type, in lexicographic
/// order of name (the thumbprint's order): kty, crv and the public values —
/// and for an oct key its secret `k`, which is the whole key.
[[nodiscard]] inline std::vector<jwk_member> required_members(algorithm a, EVP_PKEY* k,
                                                              std::string_view secret) {
    auto b64 = [](std::string const& v) { return base64url::encode(v); };
    std::string kty(kty_of(a));
    switch (a) {
    case algorithm::hs256:
        return {{"k", base64url::encode(secret)}, {"kty", kty}};
    case algorithm::rs256:
        return {{"e", b64(bn_param(k, OSSL_PKEY_PARAM_RSA_E))},
                {"kty", kty},
                {"n", b64(bn_param(k, OSSL_PKEY_PARAM_RSA_N))}};
    case algorithm::es256:
        return {{"crv", "P-256"},
                {"kty", kty},
                {"x", b64(bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, p256_coordinate))},
                {"y", b64(bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, p256_coordinate))}};
    case algorithm::eddsa:
        return {{"crv", "Ed25519"}, {"kty", kty}, {"x", b64(raw_key(k, false))}};
    }
    return {};
}

/// The private members of an asymmetric key (RFC 7518 §6.2.2, §6.3.2, RFC
/// 8037 §2); none for a public key. The caller cleanses the values.
[[nodiscard]] inline std::vector<jwk_member> private_members(algorithm a, EVP_PKEY* k) {
    std::vector<jwk_member> out;
    auto add = [&](std::string_view name, std::string raw) {
        if (!raw.empty())
            out.push_back({name, base64url::encode(raw)});
        OPENSSL_cleanse(raw.data(), raw.size());
    };
    switch (a) {
    case algorithm::hs256:
        break;
    case algorithm::rs256:
        add("d", bn_param(k, OSSL_PKEY_PARAM_RSA_D));
        add("p", bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR1));
        add("q", bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR2));
        add("dp", bn_param(k, OSSL_PKEY_PARAM_RSA_EXPONENT1));
        add("dq", bn_param(k, OSSL_PKEY_PARAM_RSA_EXPONENT2));
        add("qi", bn_param(k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
        break;
    case algorithm::es256:
        add("d", bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, p256_coordinate));
        break;
    case algorithm::eddsa:
        add("d", raw_key(k, true));
        break;
    }
    return out;
}

/// RFC 7638: base64url(SHA-256(the required members as JSON, sorted, no
/// white space)). The values are base64url and fixed names: nothing to escape.
[[nodiscard]] inline std::string thumbprint(std::vector<jwk_member> const& required) {
    std::string json = "{";
    for (auto const& m : required) {
        if (json.size() > 1)
            json += ',';
        json.append("\"").append(m.name).append("\":\"").append(m.value).append("\"");
    }
    json += '}';
    std::array<unsigned char, 32> digest{};
    unsigned int n = 0;
    if (EVP_Digest(json.data(), json.size(), digest.data(), &n, EVP_sha256(), nullptr) != 1)
        throw std::bad_alloc();
    OPENSSL_cleanse(json.data(), json.size()); // an oct key's holds its secret
    return base64url::encode({reinterpret_cast<char const*>(digest.data()), digest.size()});
}

// ----------------------------------------------------------------- import

/// A key read from a JWK, before it becomes an auth::key.
struct imported_jwk {
    algorithm alg = algorithm::hs256;
    pkey_ptr pkey;
    bool has_private = false;
    std::string secret; // oct: `k`
    std::string kid;
};

/// Reads member `name` of `jwk`: absent is fine (`out` stays empty) unless
/// `required`; present, it must be a string, in base64url, of `size` bytes
/// when `size` is not 0, and not empty.
[[nodiscard]] inline bool jwk_bytes(boost::json::object const& jwk, std::string_view name,
                                    std::string& out, bool required, std::size_t size = 0) {
    auto const* v = jwk.if_contains(name);
    if (v == nullptr)
        return !required;
    auto const* s = v->if_string();
    if (s == nullptr)
        return false;
    auto decoded = base64url::decode(*s);
    if (!decoded || decoded->empty() || (size != 0 && decoded->size() != size))
        return false;
    out = std::move(*decoded);
    return true;
}

/// Member `name` as text: nullopt when absent; `bad` set when it is not a string.
[[nodiscard]] inline std::optional<std::string_view> jwk_text(boost::json::object const& jwk,
                                                              std::string_view name, bool& bad) {
    auto const* v = jwk.if_contains(name);
    if (v == nullptr)
        return std::nullopt;
    if (!v->is_string()) {
        bad = true;
        return std::nullopt;
    }
    return std::string_view(v->get_string());
}

// Cleanses the private members a JWK import decoded, whatever the outcome.
struct cleansed_strings {
    std::vector<std::string*> strings;
    ~cleansed_strings() {
        for (auto* s : strings)
            OPENSSL_cleanse(s->data(), s->size());
    }
};

[[nodiscard]] inline bool import_rsa(boost::json::object const& jwk, imported_jwk& out) {
    std::string n, e, d, p, q, dp, dq, qi;
    cleansed_strings wipe{{&d, &p, &q, &dp, &dq, &qi}};
    if (!jwk_bytes(jwk, "n", n, true) || !jwk_bytes(jwk, "e", e, true) ||
        !jwk_bytes(jwk, "d", d, false) || jwk.contains("oth")) // multi-prime: not for JWS
        return false;
    // Sizes first: checking a private key costs time growing with the
    // square of its size, and auth::key refuses these anyway.
    if (n.size() > max_rsa_bytes || e.size() > max_rsa_exponent_bytes || d.size() > n.size())
        return false;
    bool const crt = !d.empty() && jwk.contains("p");
    if (crt && !(jwk_bytes(jwk, "p", p, true) && jwk_bytes(jwk, "q", q, true) &&
                 jwk_bytes(jwk, "dp", dp, true) && jwk_bytes(jwk, "dq", dq, true) &&
                 jwk_bytes(jwk, "qi", qi, true)))
        return false; // RFC 7518 §6.3.2: all of them or none
    param_bld_ptr bld(OSSL_PARAM_BLD_new());
    if (!bld)
        throw std::bad_alloc();
    std::vector<bn_ptr> keep;
    bool ok = push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_N, n, keep) &&
              push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_E, e, keep);
    if (!d.empty())
        ok = ok && push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_D, d, keep);
    if (crt)
        ok = ok && push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p, keep) &&
             push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q, keep) &&
             push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp, keep) &&
             push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq, keep) &&
             push_bn(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi, keep);
    if (!ok)
        return false;
    // Without p and q (RFC 7518 allows d alone) OpenSSL cannot check the
    // pair; a trial signature does. A public key is not checked: OpenSSL's
    // check of an RSA public key is SP 800-56B's, which refuses exponents
    // JOSE keys use; auth::key checks its size and exponent.
    out.pkey = from_params("RSA", bld.get(), !d.empty(), crt);
    if (out.pkey && !crt && !d.empty() &&
        (n.size() < min_rsa_bytes || !signs_correctly(out.pkey.get(), EVP_sha256())))
        out.pkey.reset();
    out.alg = algorithm::rs256;
    out.has_private = !d.empty();
    return out.pkey != nullptr;
}

[[nodiscard]] inline bool import_ec(boost::json::object const& jwk, imported_jwk& out) {
    std::string x, y, d;
    cleansed_strings wipe{{&d}};
    bool bad = false;
    if (jwk_text(jwk, "crv", bad) != "P-256" || !jwk_bytes(jwk, "x", x, true, p256_coordinate) ||
        !jwk_bytes(jwk, "y", y, true, p256_coordinate) ||
        !jwk_bytes(jwk, "d", d, false, p256_coordinate))
        return false;
    std::string const point = '\x04' + x + y; // SEC 1 §2.3.3: uncompressed
    param_bld_ptr bld(OSSL_PARAM_BLD_new());
    if (!bld)
        throw std::bad_alloc();
    std::vector<bn_ptr> keep;
    if (!cleared(OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                                 "prime256v1", 0) == 1 &&
                 OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                                  point.size()) == 1) ||
        (!d.empty() && !push_bn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d, keep)))
        return false;
    out.pkey = from_params("EC", bld.get(), !d.empty(), true);
    out.alg = algorithm::es256;
    out.has_private = !d.empty();
    return out.pkey != nullptr;
}

[[nodiscard]] inline bool import_okp(boost::json::object const& jwk, imported_jwk& out) {
    std::string x, d;
    cleansed_strings wipe{{&d}};
    bool bad = false;
    if (jwk_text(jwk, "crv", bad) != "Ed25519" || !jwk_bytes(jwk, "x", x, true, ed25519_size) ||
        !jwk_bytes(jwk, "d", d, false, ed25519_size))
        return false;
    if (d.empty()) {
        out.pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(x), x.size()));
    } else {
        out.pkey.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(d), d.size()));
        if (out.pkey && raw_key(out.pkey.get(), false) != x) // the pair does not match
            out.pkey.reset();
    }
    out.alg = algorithm::eddsa;
    out.has_private = !d.empty();
    return cleared(out.pkey != nullptr);
}

/// Reads one JWK; false when it is not a signing key apikit can use. The
/// key type decides the algorithm; `alg`, when present, must name it.
[[nodiscard]] inline bool import_jwk(boost::json::object const& jwk, imported_jwk& out) {
    bool bad = false;
    auto const kty = jwk_text(jwk, "kty", bad);
    auto const use = jwk_text(jwk, "use", bad);
    auto const alg = jwk_text(jwk, "alg", bad);
    auto const kid = jwk_text(jwk, "kid", bad);
    if (bad || !kty || (use && *use != "sig"))
        return false;
    if (auto const* ops = jwk.if_contains("key_ops")) { // RFC 7517 §4.3
        auto const* a = ops->if_array();
        bool signs = false;
        for (auto const& op : a ? *a : boost::json::array{})
            signs = signs || op == "verify" || op == "sign";
        if (!signs)
            return false;
    }
    bool ok = false;
    if (*kty == "oct") {
        ok = jwk_bytes(jwk, "k", out.secret, true);
        out.alg = algorithm::hs256;
        out.has_private = true;
    } else if (*kty == "RSA") {
        ok = import_rsa(jwk, out);
    } else if (*kty == "EC") {
        ok = import_ec(jwk, out);
    } else if (*kty == "OKP") {
        ok = import_okp(jwk, out);
    }
    if (!ok || (alg && parse_algorithm(*alg) != out.alg))
        return false;
    if (kid)
        out.kid = *kid;
    return true;
}

} // namespace apikit::auth::detail

#endif
