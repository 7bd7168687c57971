#ifndef APIKIT_AUTH_MIDDLEWARE_HPP
#define APIKIT_AUTH_MIDDLEWARE_HPP

// Bearer authentication (RFC 6750) as two middleware and the slot between
// them:
//
//     auth::access_rules rules;
//     rules.require(api::method::get, "/users", "read")
//          .require(api::method::post, "/users/:id/orders", "write");
//     http::chain chain{http::request_id{},
//                       auth::bearer{verifier},            // who is asking
//                       ratelimit::middleware{limiter, ratelimit::by_subject<auth::principal>{}},
//                       auth::guard{rules},                // may they
//                       app};
//
// `bearer` reads the `Authorization: Bearer <token>` field, verifies the
// token and fills the request's `principal`: the verified claims, or why the
// token was refused; a verified token's `sub` goes to the request's log
// context as `user_id`, so the access log and every line logged for the
// request say who asked. It never answers by itself, so that what comes between
// it and the guard runs for every request — the rate limiter keys a user by
// the token's `sub` and everyone else by address, and a flood of forged
// tokens is limited by address before it is answered. `guard` then answers
// by the route's rule:
//
//   no rule for the route          the request goes on (sign-up, /healthz)
//   no bearer token                401 `unauthorized`, `WWW-Authenticate: Bearer`
//                                  (RFC 6750 §3: no error code when no token was sent)
//   a token that does not verify   401 `unauthorized`,
//                                  `WWW-Authenticate: Bearer error="invalid_token"`
//   a token without the scope      403 `forbidden`, `WWW-Authenticate: Bearer
//                                  error="insufficient_scope", scope="<scope>"`
//
// The client is not told why its token was refused (expired, forged, wrong
// audience: the same 401); the reason goes to the access log's detail
// (`exchange::log_detail`), for the operator. Tokens are taken from the
// Authorization field only: RFC 6750's query parameter ends up in access
// logs and proxies' histories (§2.3, §5.3), and a form body would make
// authentication depend on reading the body first.
//
// Threads and time: both hooks are const and run on every worker at once;
// the verifier must be thread-safe (auth::verifier is) and decides on its
// own clock. Nothing here allocates on the hot path but what the verifier
// does (a cache hit: a reference count).
//
// This header is the area's HTTP part: it includes Beast and Asio through
// the HTTP layer, so it is not in the Beast-free `<apikit/auth.hpp>`.

#include <apikit/api/method.hpp>
#include <apikit/api/router.hpp>
#include <apikit/auth/claims.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/http/context.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>

#include <boost/system/error_code.hpp>

#include <array>
#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::auth {

/// Who made the request: the slot `bearer` fills and everything after it
/// reads (`http::slot<auth::principal>(ex)`). Empty when no bearer token
/// came; holding the failure when one came and did not verify. Models
/// `ratelimit::subject_slot`: `subject()` is the token's `sub`.
class principal {
public:
    /// The authenticated subject (`sub`); empty when nobody is authenticated.
    [[nodiscard]] std::string_view subject() const noexcept {
        return claims_ ? std::string_view(claims_->sub) : std::string_view();
    }
    [[nodiscard]] bool authenticated() const noexcept { return claims_ != nullptr; }
    /// A bearer token came with the request, valid or not.
    [[nodiscard]] bool presented() const noexcept { return presented_; }
    /// Why a presented token was refused (an auth::error); empty otherwise.
    [[nodiscard]] boost::system::error_code failure() const noexcept { return failure_; }
    /// The verified claims; null unless authenticated.
    [[nodiscard]] auth::claims const* claims() const noexcept { return claims_.get(); }
    /// The verified claims, shared: to keep them beyond the request.
    [[nodiscard]] std::shared_ptr<auth::claims const> const& shared_claims() const noexcept {
        return claims_;
    }
    [[nodiscard]] bool has_scope(std::string_view scope) const noexcept {
        return claims_ && claims_->has_scope(scope);
    }

    /// A verified token's claims: the request is authenticated.
    void authenticate(std::shared_ptr<auth::claims const> c) noexcept {
        presented_ = true;
        claims_ = std::move(c);
        failure_ = {};
    }
    /// A token came and was refused for `why`.
    void refuse(boost::system::error_code why) noexcept {
        presented_ = true;
        claims_.reset();
        failure_ = why;
    }
    /// For the next request on the connection.
    void clear() noexcept {
        claims_.reset();
        failure_ = {};
        presented_ = false;
    }

private:
    std::shared_ptr<auth::claims const> claims_;
    boost::system::error_code failure_;
    bool presented_ = false;
};

/// What `bearer` needs of a verifier: `v.verify(token)` answers the token's
/// verified claims, shared, or the auth::error why not; thread-safe.
/// `auth::verifier` models it.
template <class V>
concept token_verifier = requires(V const& v, std::string_view token) {
    { v.verify(token) } -> std::same_as<result<std::shared_ptr<claims const>>>;
};

namespace detail {
// The characters of token68 but its trailing '=' (RFC 9110 §11.2).
inline constexpr std::array<bool, 256> token68_char = [] {
    std::array<bool, 256> table{};
    for (unsigned ch = 0; ch < 128; ++ch)
        table[ch] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~' ||
                    ch == '+' || ch == '/';
    return table;
}();
} // namespace detail

/// The token of an `Authorization: Bearer <token>` field value: the scheme
/// compared without case (RFC 9110 §11.1), one token68. std::nullopt for
/// another scheme; an empty view for a Bearer field without a valid token68.
[[nodiscard]] constexpr std::optional<std::string_view>
bearer_token(std::string_view field_value) noexcept {
    auto const c = grammar::parse_credentials(field_value);
    if (!c || !grammar::iequals(c->scheme, "Bearer"))
        return std::nullopt;
    std::string_view t = c->token68_or_params;
    // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    // An RS256 token is some 700 characters: one table lookup each.
    std::size_t i = 0;
    while (i < t.size() && detail::token68_char[static_cast<unsigned char>(t[i])])
        ++i;
    std::size_t const body = i;
    while (i < t.size() && t[i] == '=')
        ++i;
    std::size_t const end = i;
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t'))
        ++i; // trailing whitespace is the field's, not the token's
    if (body == 0 || i != t.size())
        return std::string_view();
    return t.substr(0, end);
}

/// The authentication middleware: fills each request's `principal` from its
/// bearer token, verified by `Verifier` (held by reference: it must outlive
/// the server). It never answers; `guard` does.
template <class Verifier>
class bearer {
    static_assert(token_verifier<Verifier>,
                  "apikit::auth::bearer's Verifier must model apikit::auth::token_verifier");

public:
    using provides = http::slots<principal>;

    explicit bearer(Verifier const& verifier) noexcept : verifier_(&verifier) {}

    template <class Exchange>
    [[nodiscard]] http::flow on_request(Exchange& ex) const {
        auto& who = http::slot<principal>(ex);
        auto const& msg = ex.request().message();
        auto const fields = msg.equal_range(boost::beast::http::field::authorization);
        if (fields.first == fields.second)
            return http::flow::next;
        // Two Authorization fields cannot be one list (credentials hold
        // commas): which one the client meant is unknowable.
        if (std::next(fields.first) != fields.second) {
            who.refuse(error::malformed);
            return http::flow::next;
        }
        auto const token = bearer_token(fields.first->value());
        if (!token) // another scheme (Basic, …): no bearer token was presented
            return http::flow::next;
        if (token->empty()) {
            who.refuse(error::malformed);
            return http::flow::next;
        }
        auto verified = verifier_->verify(*token);
        if (verified) {
            who.authenticate(std::move(*verified));
            static constexpr log_key user_key{"user_id"};
            ex.log_context().set(user_key, who.subject());
        } else
            who.refuse(verified.error());
        return http::flow::next;
    }

    [[nodiscard]] Verifier const& verifier() const noexcept { return *verifier_; }

private:
    Verifier const* verifier_;
};

/// Which routes need a token, and with which scope: method and path pattern
/// as the router reads them (`/users/:id/orders`). A route without a rule
/// is open. Set up before the server starts; read-only after.
class access_rules {
public:
    /// Requests for `m` on `pattern` need a token with `scope`; an empty
    /// scope needs a valid token of any scope. Throws std::invalid_argument
    /// for a malformed or duplicate pattern (api::router's rules).
    access_rules& require(api::method m, std::string_view pattern, std::string scope) {
        routes_.add(m, pattern, std::move(scope));
        return *this;
    }

    /// The scope `m` on `path` needs; std::nullopt when the route is open
    /// (no rule, or a method without one: the routes answer it).
    [[nodiscard]] std::optional<std::string_view> required(std::optional<api::method> m,
                                                           std::string_view path) const {
        if (!m)
            return std::nullopt;
        auto const found = routes_.match(*m, path);
        if (!found)
            return std::nullopt;
        return std::string_view(found->handler());
    }

private:
    api::router<std::string> routes_;
};

/// The guard: answers a request its route's rule refuses (see the top of
/// this header), after the layers between it and `bearer` have run. The
/// rules are held by reference and must outlive the server.
class guard {
public:
    using needs = http::slots<principal>;

    explicit guard(access_rules const& rules) noexcept : rules_(&rules) {}

    template <class Exchange>
    [[nodiscard]] http::flow on_request(Exchange& ex) const {
        auto const& req = ex.request();
        auto const scope = rules_->required(req.method(), req.path());
        if (!scope)
            return http::flow::next;
        auto const& who = http::slot<principal>(std::as_const(ex));
        auto& res = ex.response();
        if (!who.presented()) {
            res.set("WWW-Authenticate", "Bearer");
            res.error(errc::unauthorized, "A bearer token is required");
            return http::flow::respond;
        }
        if (!who.authenticated()) {
            ex.log_detail(who.failure().message());
            res.set("WWW-Authenticate", R"(Bearer error="invalid_token")");
            res.error(errc::unauthorized, "The bearer token is invalid or has expired");
            return http::flow::respond;
        }
        if (!scope->empty() && !who.has_scope(*scope)) {
            std::string challenge = R"(Bearer error="insufficient_scope", scope=")";
            challenge.append(*scope);
            challenge.push_back('"');
            res.set("WWW-Authenticate", challenge);
            std::string message = "This needs the scope '";
            message.append(*scope).append("'");
            res.error(errc::forbidden, std::move(message));
            return http::flow::respond;
        }
        return http::flow::next;
    }

private:
    access_rules const* rules_;
};

} // namespace apikit::auth

#endif
