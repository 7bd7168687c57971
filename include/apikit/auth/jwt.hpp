#ifndef APIKIT_AUTH_JWT_HPP
#define APIKIT_AUTH_JWT_HPP

// The JWS compact serialization of a JWT (RFC 7515 §7.1, RFC 7519 §7):
// `base64url(header) . base64url(payload) . base64url(signature)`.
//
// decode() takes a token apart and checks its form only — no key, no
// signature, no time: that is the verifier's (verifier.hpp). What it refuses,
// in this order, each with its auth::error:
// - a token longer than `max_size`, before reading a byte of it
//   (token_too_large);
// - anything but exactly three segments of strict base64url — no padding,
//   no `+` `/`, no white space, unused bits zero — whose first two are JSON
//   objects with no member name repeated at any depth (malformed);
// - a header without a string `alg`, or with `crit`: apikit implements no
//   extension, so a token that says one is critical must be refused
//   (RFC 7515 §4.1.11) (malformed);
// - an `alg` apikit does not implement, `none` included (unsupported_algorithm);
// - a `typ` or `kid` that is not a string, a claim of the wrong type
//   (claims.hpp) (malformed).
// Header parameters other than alg, typ, kid and crit are ignored: keys come
// from the key set, never from the token (`jku`, `jwk`, `x5u`: RFC 8725 §3.10).
//
// sign() writes a token: header `{"alg","typ","kid"}` (typ and kid left out
// when empty), the claims as claims.hpp writes them, signed by the key.
//
// Both are pure functions, safe from any thread; decode's signing_input views
// the caller's token.

#include <apikit/auth/algorithm.hpp>
#include <apikit/auth/claims.hpp>
#include <apikit/auth/detail/jwt_parse.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/core/base64url.hpp>
#include <apikit/core/error.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace apikit::auth {

inline constexpr std::size_t default_max_token_size = 8192;

/// A token taken apart. `signing_input` views the token passed to decode.
struct decoded_token {
    jose_header header;
    auth::claims claims;
    std::string_view signing_input; ///< `header . payload`, as the token spells them
    std::string signature;          ///< the signature's bytes
};

/// Takes `token` apart; refuses it as the header comment says.
[[nodiscard]] inline result<decoded_token> decode(std::string_view token,
                                                  std::size_t max_size = default_max_token_size) {
    if (token.size() > max_size)
        return error::token_too_large;
    auto const dot1 = token.find('.');
    if (dot1 == std::string_view::npos)
        return error::malformed;
    auto const dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return error::malformed;

    // The trees of both segments live here; only what decoded_token keeps is
    // copied out. 2 KiB holds the trees of typical tokens.
    alignas(16) unsigned char arena[2048];
    boost::json::monotonic_resource mr(arena, sizeof arena);
    boost::json::storage_ptr const sp(&mr);
    boost::json::value tree(sp); // on `sp`, so that a parse moves into it

    decoded_token out;
    auto& text = detail::segment_buffer(0);
    if (!detail::decode_segment(token.substr(0, dot1), text))
        return error::malformed;
    auto const* header = detail::parse_token_object(text, sp, tree);
    if (header == nullptr)
        return error::malformed;
    boost::json::string const* alg = nullptr;
    for (auto const& m : *header) {
        auto const k = m.key();
        if (k == "alg") {
            if ((alg = m.value().if_string()) == nullptr)
                return error::malformed;
        } else if (k == "typ" || k == "kid") {
            auto const* s = m.value().if_string();
            if (s == nullptr)
                return error::malformed;
            (k == "typ" ? out.header.typ : out.header.kid).assign(s->data(), s->size());
        } else if (k == "crit") {
            return error::malformed;
        }
    }
    if (alg == nullptr)
        return error::malformed;
    auto const a = parse_algorithm(std::string_view(alg->data(), alg->size()));
    if (!a)
        return error::unsupported_algorithm;
    out.header.alg = *a;

    if (!detail::decode_segment(token.substr(dot1 + 1, dot2 - dot1 - 1), text))
        return error::malformed;
    auto const* payload = detail::parse_token_object(text, sp, tree);
    if (payload == nullptr)
        return error::malformed;
    for (auto const& m : *payload)
        if (!detail::assign_claim(out.claims, m.key(), m.value()))
            return error::malformed;

    if (!detail::decode_segment(token.substr(dot2 + 1), out.signature))
        return error::malformed;
    out.signing_input = token.substr(0, dot2);
    return out;
}

/// A token of `c` signed by `k`: header `{"alg","typ","kid"}` (typ and kid
/// left out when empty). error::key_cannot_sign for a public key.
[[nodiscard]] inline result<std::string> sign(key const& k, claims const& c,
                                              std::string_view typ = "JWT") {
    boost::json::object header;
    header.emplace("alg", name(k.alg()));
    if (!typ.empty())
        header.emplace("typ", typ);
    if (!k.kid().empty())
        header.emplace("kid", k.kid());
    std::string token;
    base64url::encode_to(token, boost::json::serialize(header));
    token += '.';
    base64url::encode_to(token, boost::json::serialize(boost::json::value_from(c)));
    auto sig = k.sign(token);
    if (!sig)
        return sig.error();
    token += '.';
    base64url::encode_to(token, *sig);
    return token;
}

} // namespace apikit::auth

#endif
