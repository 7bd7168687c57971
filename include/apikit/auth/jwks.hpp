#ifndef APIKIT_AUTH_JWKS_HPP
#define APIKIT_AUTH_JWKS_HPP

// JWK Sets (RFC 7517 §5): the document a server publishes at
// /.well-known/jwks.json, and the one a verifier loads from an issuer.
//
// parse_jwks is strict about the document and lenient about its members. A
// document that is not a JSON object with a "keys" array is
// error::invalid_jwks, as is one that breaks I-JSON (a member name twice in
// one object, RFC 7493) or nests deeper than 32; so is one over
// max_jwks_size (64 KiB) or with more than max_jwks_keys (100) members,
// refused before it is parsed or before any key is made, so that a hostile
// or broken source cannot make a reload slow or large. A member that is not
// a signing key apikit can use (an unknown kty, `use: "enc"`, another curve,
// an RSA key under 2048 bits, a malformed value) is skipped, as RFC 7517 §5
// asks, and so is an "oct" member: a symmetric key in a published document
// is no secret, and would let anyone sign. Keys keep the document's order.
//
// The document is read by the parser request bodies are read by
// (http/detail/json_body.hpp, which needs neither Beast nor Asio), so a JWKS
// and a body are held to the same I-JSON rules.
//
// write_jwks writes the public JWKs of the keys given — never a private
// member, never an HS256 key.
//
// Both are pure functions, safe from any thread.

#include <apikit/auth/error.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/core/error.hpp>
#include <apikit/http/detail/json_body.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::auth {

/// The longest JWKS document parse_jwks reads: room for some 80 RSA-4096
/// public keys, far more than an issuer publishes.
inline constexpr std::size_t max_jwks_size = 64 * 1024;
/// The most members a JWKS document's "keys" may have.
inline constexpr std::size_t max_jwks_keys = 100;
/// The deepest a JWKS document may nest (a JWK's `key_ops` is 3 deep).
inline constexpr std::size_t max_jwks_depth = 32;

/// The usable signing keys of a JWKS document, in its order.
[[nodiscard]] inline result<std::vector<key>> parse_jwks(std::string_view document) {
    if (document.size() > max_jwks_size)
        return error::invalid_jwks;
    boost::system::error_code ec;
    auto parsed = apikit::http::detail::parse_json_text(document, {}, max_jwks_depth, nullptr, ec);
    if (ec || parsed.repeats)
        return error::invalid_jwks;
    auto const* doc = parsed.value.if_object();
    auto const* members = doc ? doc->if_contains("keys") : nullptr;
    auto const* keys = members ? members->if_array() : nullptr;
    if (keys == nullptr || keys->size() > max_jwks_keys)
        return error::invalid_jwks;
    std::vector<key> out;
    out.reserve(keys->size());
    for (auto const& member : *keys) {
        auto const* jwk = member.if_object();
        if (jwk == nullptr)
            continue;
        if (auto const* kty = jwk->if_contains("kty"); kty && *kty == "oct")
            continue;
        if (auto k = key::from_jwk(*jwk))
            out.push_back(std::move(*k));
    }
    return out;
}

/// {"keys":[...]}: the public JWK of each key that has one (HS256 keys are
/// left out), in the order given.
[[nodiscard]] inline std::string write_jwks(std::span<key const> keys) {
    boost::json::array out;
    out.reserve(keys.size());
    for (auto const& k : keys)
        if (!k.is_symmetric())
            out.emplace_back(k.public_jwk());
    boost::json::object doc;
    doc["keys"] = std::move(out);
    return boost::json::serialize(doc);
}

} // namespace apikit::auth

#endif
