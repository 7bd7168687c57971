// Any bytes as a JWT through auth::decode (auth/jwt.hpp) and a caching
// auth::verifier, and as a payload through both of decode's JSON readers.
// Properties: no crash, and no unbounded work (a token is at most 8 KiB,
// its JSON at most 16 deep); a refusal is token_too_large, malformed or
// unsupported_algorithm; a token accepted has exactly three segments and
// its signing input is all but the last; its claims, written and read back
// (value_from, parse_claims), are the same claims; signed again by a test
// key they decode to the same claims and verify; the verifier answers a
// token the same way twice (the second time from its cache when the first
// passed); and the one-pass reader of plain payloads agrees with
// Boost.JSON's parser on every input: both refuse, or both read the same
// claims.
#include "fuzz.hpp"

#include <apikit/auth/jwt.hpp>
#include <apikit/auth/key_set.hpp>
#include <apikit/auth/verifier.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace auth = apikit::auth;
using apikit_fuzz::require;

namespace {

std::string written(auth::claims const& c) {
    return boost::json::serialize(boost::json::value_from(c));
}

// The claims of `json` as one reader makes them, or "refused".
std::string read(std::string_view json, bool fast) {
    auth::claims c;
    if (!auth::detail::parse_token_json(json, nullptr, &c, fast))
        return "refused";
    return written(c);
}

struct fixture {
    auth::key_set keys;
    auth::key signer = auth::key::from_secret(std::string(32, 'f'), "fuzz").value();
    auth::verifier<> verifier{keys, [] {
                                  auth::verify_options o;
                                  o.type = "";
                                  o.required_claims = {};
                                  o.cache_entries = 64;
                                  return o;
                              }()};
    fixture() { keys.add(signer); }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static fixture f;
    auto const text = apikit_fuzz::as_text(data, size);

    require(read(text, true) == read(text, false),
            "the plain-payload reader and Boost.JSON's parser agree");

    auto const d = auth::decode(text);
    if (!d) {
        auto const e = d.error();
        require(e == auth::error::token_too_large || e == auth::error::malformed ||
                    e == auth::error::unsupported_algorithm,
                "a refused token is too large, malformed or of an unsupported algorithm");
        require((e == auth::error::token_too_large) == (size > auth::default_max_token_size),
                "exactly the tokens over the maximum size are too large");
    } else {
        require(std::count(text.begin(), text.end(), '.') == 2, "a token has three segments");
        require(d->signing_input == text.substr(0, text.rfind('.')),
                "the signing input is all but the signature");
        auto const claims_json = written(d->claims);
        auto const again = auth::parse_claims(boost::json::value_from(d->claims).as_object());
        require(again && written(*again) == claims_json, "claims read back as written");
        auto const resigned = auth::sign(f.signer, d->claims, d->header.typ);
        require(resigned.has_value(), "any claims decoded can be signed");
        auto const back = auth::decode(*resigned, 1 << 20);
        require(back && written(back->claims) == claims_json && back->header.typ == d->header.typ,
                "claims signed again decode to the same claims");
        require(f.signer.verify(back->signing_input, back->signature),
                "claims signed again verify");
    }

    auto const first = f.verifier.verify(text);
    auto const second = f.verifier.verify(text);
    require(first.has_value() == second.has_value(), "a token is answered the same way twice");
    if (first)
        require(*first == *second, "a token verified twice is answered from the cache");
    else
        require(first.error() == second.error(), "a refusal is the same twice");
    return 0;
}
