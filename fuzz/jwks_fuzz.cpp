// A JWKS document, whatever its bytes, through auth::parse_jwks
// (auth/jwks.hpp). Properties: no crash, and no unbounded work (a document
// is at most 64 KiB, its RSA members are refused by size before any
// arithmetic); a refusal is invalid_jwks; a document accepted is a JSON
// object with a "keys" array of at most 100 members, within the size limit,
// and gives at most one key per member, none of them HS256; each key's
// public JWK reads back as the same key (algorithm, kid); the keys written
// with write_jwks parse back to the same kids in the same order; and a key
// that can sign verifies its own signature while its public half does too.
#include "fuzz.hpp"

#include <apikit/auth/jwks.hpp>

#include <boost/json/parse.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace auth = apikit::auth;
using apikit_fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const document = apikit_fuzz::as_text(data, size);
    auto const keys = auth::parse_jwks(document);
    if (!keys) {
        require(keys.error() == auth::error::invalid_jwks, "a refused document is invalid_jwks");
        return 0;
    }
    require(document.size() <= auth::max_jwks_size, "an accepted document is within 64 KiB");
    boost::system::error_code ec;
    auto const value = boost::json::parse(document, ec);
    require(!ec, "an accepted document is JSON");
    auto const* members = value.is_object() ? value.get_object().if_contains("keys") : nullptr;
    require(members && members->is_array() && members->get_array().size() <= auth::max_jwks_keys,
            "an accepted document has a keys array of at most 100 members");
    require(keys->size() <= members->get_array().size(), "at most one key per member");

    for (auto const& k : *keys) {
        require(!k.is_symmetric(), "a JWKS gives no HS256 key");
        auto const jwk = k.public_jwk();
        require(!jwk.contains("d"), "a public JWK has no private member");
        auto const again = auth::key::from_jwk(jwk);
        require(again && again->alg() == k.alg() && again->kid() == k.kid(),
                "a key's public JWK reads back as the same key");
        if (k.can_sign()) {
            std::string_view const input = "fuzz.jwks";
            auto const sig = k.sign(input);
            require(sig && k.verify(input, *sig) && again->verify(input, *sig),
                    "a signing key's signature verifies, by it and its public half");
        }
    }
    auto const written = auth::write_jwks(*keys);
    auto const back = auth::parse_jwks(written);
    require(back && back->size() == keys->size(), "the keys written parse back, all of them");
    for (std::size_t i = 0; i < keys->size(); ++i)
        require((*back)[i].kid() == (*keys)[i].kid() && (*back)[i].alg() == (*keys)[i].alg(),
                "the keys written parse back in order, with their kid and algorithm");
    return 0;
}
