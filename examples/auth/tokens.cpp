// Access tokens with apikit: an RS256 key in a key set, an access token
// issued (RFC 9068's profile) and verified — issuer, audience, typ at+jwt,
// a leeway, a verification cache — a tampered token refused, a key
// rotation, and the published JWKS verifying in a process that holds no
// private key. docs/auth.md quotes this file.
//
// Time is a manual clock set to a fixed date, so the expiry shown is exact
// and the program never waits. It prints what it shows and exits 0 when
// every outcome is the one its comments say.
#include <apikit/auth.hpp>
#include <apikit/core/base64url.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>
#include <apikit/core/error.hpp>

#include <boost/json.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace auth = apikit::auth;
using namespace std::chrono_literals;

namespace {

/// "<message> (<status> <envelope code>)": what a log reads, and what a
/// client is answered.
std::string refusal(boost::system::error_code ec) {
    return fmt::format("{} ({} {})", ec.message(), apikit::http_status(ec),
                       apikit::info(apikit::to_errc(ec)).code);
}

/// `token` with its payload's claim `name` replaced by `value`, and the
/// signature left as it was: what a client that edits its token sends.
std::string with_claim(std::string const& token, char const* name, boost::json::value value) {
    auto const first = token.find('.');
    auto const second = token.find('.', first + 1);
    auto payload =
        boost::json::parse(
            apikit::base64url::decode(token.substr(first + 1, second - first - 1)).value())
            .as_object();
    payload[name] = std::move(value);
    return token.substr(0, first + 1) + apikit::base64url::encode(boost::json::serialize(payload)) +
           token.substr(second);
}

} // namespace

int main() {
    bool ok = true;
    // 2026-12-01T00:00:00Z, moved by hand below.
    apikit::manual_clock<std::chrono::system_clock> clock{std::chrono::sys_seconds{1'796'083'200s}};
    apikit::clock_ref const now{clock};

    // [keys] A key is bound to one algorithm for life; the first key added
    // that can sign is the set's signing key.
    auto first = auth::key::generate(auth::algorithm::rs256, "2026-12");
    if (!first)
        return EXIT_FAILURE;
    auth::key_set keys;
    keys.add(*first);
    fmt::print("signing key {} ({})\n", keys.signing_key()->kid(),
               auth::name(keys.signing_key()->alg()));
    // signing key 2026-12 (RS256)
    // [keys]
    ok = ok && keys.signing_key()->kid() == "2026-12";

    // [issue] Access tokens: typ at+jwt, iss, aud, sub, scope, iat, exp =
    // iat + 15 minutes, a random jti; signed by the set's signing key.
    auth::issuer access{keys,
                        auth::issue_options{.issuer = "https://auth.example.com",
                                            .audience = "orders-api",
                                            .lifetime = 15min},
                        now};
    std::vector<std::string> const scope{"read", "write"};
    auto const token = access.issue("user_42", scope);
    if (!token)
        return EXIT_FAILURE;
    fmt::print("{}...\n", token->substr(0, 60));
    // eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IjIwMjYtMTIi...
    // [issue]

    // [verify] What a token must be to pass: signed by a key of the set
    // (the key, not the token, says the algorithm), of type at+jwt, from
    // this issuer, for this audience, within its times give or take the
    // leeway. With a cache, a token seen again costs a lookup.
    auth::verify_options o;
    o.issuer = "https://auth.example.com";
    o.audiences = {"orders-api"};
    o.type = "at+jwt"; // the default: an ID token or any other JWT is refused
    o.leeway = 30s;    // clock skew tolerated between issuer and verifier
    o.required_claims = {"sub", "exp", "iat"};
    o.cache_entries = 10'000;
    auth::verifier verifier{keys, o, now};

    auto const claims = verifier.verify(*token);
    if (!claims) {
        fmt::print("refused: {}\n", refusal(claims.error()));
        return EXIT_FAILURE;
    }
    auth::claims const& c = **claims;
    fmt::print("sub {} scope [{}] iss {} aud {} lifetime {} s\n", c.sub, fmt::join(c.scope, " "),
               c.iss, fmt::join(c.aud, " "), *c.exp - *c.iat);
    // sub user_42 scope [read write] iss https://auth.example.com aud orders-api lifetime 900 s
    // [verify]
    ok = ok && c.sub == "user_42" && c.has_scope("write") && *c.exp - *c.iat == 900 &&
         c.jti.size() == 22;

    // [tampered] A client that grants itself a scope breaks the signature.
    // Every refusal is an auth::error for the log, and one answer for the
    // client: 401 unauthorized.
    auto const forged = verifier.verify(with_claim(*token, "scope", {"read", "write", "admin"}));
    fmt::print("forged: {}\n", refusal(forged.error()));
    // forged: auth: the token's signature does not verify (401 unauthorized)
    // [tampered]
    ok = ok && !forged && forged.error() == auth::error::bad_signature;

    // [rotation] Rotation: add the next key and sign with it; tokens of the
    // old key verify until it is retired (once they have all expired).
    auto next = auth::key::generate(auth::algorithm::rs256, "2027-01");
    if (!next)
        return EXIT_FAILURE;
    keys.add(*next);
    keys.use_for_signing("2027-01");
    auto const newer = access.issue("user_42", scope);
    fmt::print("old key's token: {}, new key's: {}\n", verifier.verify(*token).has_value(),
               verifier.verify(*newer).has_value());
    // old key's token: true, new key's: true

    (void)keys.retire("2026-12");
    auto const retired = verifier.verify(*token);
    fmt::print("after retiring 2026-12: {}\n", refusal(retired.error()));
    // after retiring 2026-12: auth: no key has the token's kid (401 unauthorized)
    // [rotation]
    ok = ok && !retired && retired.error() == auth::error::unknown_key &&
         verifier.verify(*newer).has_value();

    // [jwks] The public keys, as GET /.well-known/jwks.json serves them;
    // another service verifies with them and can sign nothing.
    std::string const document = keys.jwks();
    auto published = auth::parse_jwks(document);
    if (!published)
        return EXIT_FAILURE;
    auth::key_set remote{std::move(*published)};
    auth::verifier elsewhere{remote, o, now};
    fmt::print("JWKS of {} key(s), {} bytes; verifies there: {}; can sign there: {}\n",
               remote.size(), document.size(), elsewhere.verify(*newer).has_value(),
               remote.signing_key() != nullptr);
    // JWKS of 1 key(s), 426 bytes; verifies there: true; can sign there: false
    // [jwks]
    ok = ok && remote.size() == 1 && elsewhere.verify(*newer) && !remote.signing_key();

    // [expiry] exp is exact: valid strictly before exp + leeway, even when
    // the token is in the cache.
    clock.advance(15min + 29s);
    auto const late = verifier.verify(*newer);
    clock.advance(1s);
    auto const expired = verifier.verify(*newer);
    fmt::print("at exp + 29 s: {}; at exp + 30 s: {}\n", late.has_value(),
               refusal(expired.error()));
    // at exp + 29 s: true; at exp + 30 s: auth: the token has expired (401 unauthorized)
    // [expiry]
    ok = ok && late && !expired && expired.error() == auth::error::expired;

    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
