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

namespace detail {

// decode's work, into the caller's objects (the verifier's are a shared
// claims it returns and a per-thread signature buffer).
[[nodiscard]] inline boost::system::error_code
decode_into(std::string_view token, std::size_t max_size, jose_header& header, claims& c,
            std::string& signature, std::string_view& signing_input) {
    if (token.size() > max_size)
        return error::token_too_large;
    auto const dot1 = token.find('.');
    if (dot1 == std::string_view::npos)
        return error::malformed;
    auto const dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return error::malformed;

    auto& text = segment_buffer();
    auto const header_text = token.substr(0, dot1);
    auto& memo = last_header();
    if (memo.valid && memo.segment == header_text) {
        header = memo.header;
    } else {
        token_json_handler::header_fields fields;
        if (!decode_segment(header_text, text) || !parse_token_json(text, &fields, nullptr) ||
            !fields.has_alg)
            return error::malformed;
        auto const a = parse_algorithm(fields.alg);
        if (!a)
            return error::unsupported_algorithm;
        header.alg = *a;
        header.typ = std::move(fields.typ);
        header.kid = std::move(fields.kid);
        memo.valid = false;
        memo.segment = header_text;
        memo.header = header;
        memo.valid = true;
    }
    if (!decode_segment(token.substr(dot1 + 1, dot2 - dot1 - 1), text) ||
        !parse_token_json(text, nullptr, &c))
        return error::malformed;
    if (!decode_segment(token.substr(dot2 + 1), signature))
        return error::malformed;
    signing_input = token.substr(0, dot2);
    return {};
}

} // namespace detail

/// Takes `token` apart; refuses it as the header comment says.
[[nodiscard]] inline result<decoded_token> decode(std::string_view token,
                                                  std::size_t max_size = default_max_token_size) {
    decoded_token out;
    if (auto const ec = detail::decode_into(token, max_size, out.header, out.claims, out.signature,
                                            out.signing_input))
        return ec;
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
