#ifndef APIKIT_SERVER_AUTH_SERVICE_HPP
#define APIKIT_SERVER_AUTH_SERVICE_HPP

// The sample service's authentication, in one place: the key set that signs
// and verifies access tokens (its public keys at /.well-known/jwks.json),
// the verifier with its cache, the issuer, the refresh tokens and their
// store, the pool the password KDF runs on, and which routes need which
// scope. The routes (auth_routes.hpp) and the chain (server.hpp) use it; it
// outlives both (server_parts holds it).
//
// Access tokens (RFC 9068's profile): signed with the key set's signing key
// (RS256 unless --jwt-key gives another), `typ` `at+jwt`, `iss` and `aud`
// both "apikit-sample" unless set otherwise, `sub` the user's id, `scope`
// ["read","write"] (plus "admin" for --admin-email), `iat`, `exp` = `iat` +
// 900, `jti`. Refresh tokens: 7 days from login, rotated on every use.

#include "any_refresh_store.hpp"
#include "user_store.hpp"

#include <apikit/api/method.hpp>
#include <apikit/auth/issuer.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/auth/key_set.hpp>
#include <apikit/auth/middleware.hpp>
#include <apikit/auth/password.hpp>
#include <apikit/auth/password_pool.hpp>
#include <apikit/auth/refresh_tokens.hpp>
#include <apikit/auth/verifier.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sample {

namespace auth = apikit::auth;

/// What the service's authentication is configured with. Every member has
/// a default; tests lower the password cost.
struct auth_settings {
    /// `iss` of the tokens issued, and the only one accepted.
    std::string issuer = "apikit-sample";
    /// `aud` of the tokens issued, and the only one accepted.
    std::string audience = "apikit-sample";
    /// The user with this email (ignoring ASCII case) gets `admin` at login.
    std::string admin_email;
    std::chrono::seconds access_lifetime{900};
    std::chrono::seconds refresh_lifetime = std::chrono::days{7};
    /// Clock skew tolerated between the instances that share a key.
    std::chrono::seconds leeway{30};
    /// Verified tokens remembered, so a token seen again costs a lookup.
    std::size_t verification_cache = 65'536;
    /// Threads the password KDF runs on, off the connections' threads, and
    /// how many checks may be pending before logins are refused (503): 32
    /// checks of ~100 ms on 2 threads is under 2 s of waiting, which a
    /// client still waits for; a longer queue only answers after it gave up.
    unsigned password_threads = 2;
    std::size_t password_queue = 32;
    auth::password_params password{};
};

class auth_service {
public:
    using verifier_type = auth::verifier<>;
    using refresh_type = auth::refresh_tokens<any_refresh_store>;

    /// Signs with `signing_key` (which must be able to sign), keeps refresh
    /// tokens in `refresh_store`.
    auth_service(auth::key signing_key, any_refresh_store refresh_store, auth_settings s = {})
        : settings_(std::move(s))
        , verifier_(keys_, verify_options(settings_))
        , issuer_(keys_, auth::issue_options{settings_.issuer, settings_.audience,
                                             settings_.access_lifetime, "at+jwt"})
        , refresh_store_(std::move(refresh_store))
        , refresh_(refresh_store_, settings_.refresh_lifetime)
        , passwords_(settings_.password_threads, settings_.password_queue, settings_.password)
        , dummy_hash_(auth::dummy_password_hash(settings_.password)) {
        std::string const kid(signing_key.kid());
        keys_.add(std::move(signing_key));
        keys_.use_for_signing(kid);
        using apikit::api::method;
        rules_.require(method::get, "/users", "read")
            .require(method::get, "/users/:id", "read")
            .require(method::get, "/users/:id/orders", "read")
            .require(method::get, "/users/:id/orders/:order_id", "read")
            .require(method::post, "/users/:id/orders", "write")
            .require(method::get, "/events", "read");
        // GET /metrics needs no token: a Prometheus scraper carries none, and
        // the figures name routes, never users (README.md, "Metrics").
    }

    auth_service(auth_service const&) = delete;
    auth_service& operator=(auth_service const&) = delete;

    [[nodiscard]] auth_settings const& settings() const noexcept { return settings_; }
    [[nodiscard]] auth::key_set& keys() noexcept { return keys_; }
    [[nodiscard]] verifier_type const& verifier() const noexcept { return verifier_; }
    [[nodiscard]] auth::issuer<> const& issuer() const noexcept { return issuer_; }
    [[nodiscard]] refresh_type& refresh() noexcept { return refresh_; }
    [[nodiscard]] any_refresh_store& refresh_store() noexcept { return refresh_store_; }
    [[nodiscard]] auth::password_pool& passwords() noexcept { return passwords_; }
    [[nodiscard]] auth::access_rules const& rules() const noexcept { return rules_; }
    /// What login checks an unknown email's password against: the KDF runs
    /// all the same, so the answer takes as long as for a known one.
    [[nodiscard]] std::string const& dummy_hash() const noexcept { return dummy_hash_; }

    /// The scopes a user's access tokens carry.
    [[nodiscard]] std::vector<std::string> scopes_of(std::string_view email) const {
        std::vector<std::string> scopes{"read", "write"};
        if (!settings_.admin_email.empty() &&
            detail::fold_email(email) == detail::fold_email(settings_.admin_email))
            scopes.emplace_back("admin");
        return scopes;
    }

private:
    static auth::verify_options verify_options(auth_settings const& s) {
        auth::verify_options o;
        o.issuer = s.issuer;
        o.audiences = {s.audience};
        o.type = "at+jwt";
        o.leeway = s.leeway;
        o.required_claims = {"sub", "exp", "iat"};
        o.cache_entries = s.verification_cache;
        return o;
    }

    auth_settings settings_;
    auth::key_set keys_;
    verifier_type verifier_;
    auth::issuer<> issuer_;
    any_refresh_store refresh_store_;
    refresh_type refresh_;
    auth::password_pool passwords_;
    std::string dummy_hash_;
    auth::access_rules rules_;
};

} // namespace sample

#endif
