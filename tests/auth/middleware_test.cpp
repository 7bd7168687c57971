// Bearer authentication over real HTTP: `bearer` fills the principal and
// never answers, `guard` answers by the route's rule — 401 with a bare
// `WWW-Authenticate: Bearer` when no token came, 401 `invalid_token` for one
// that does not verify, 403 `insufficient_scope` for one without the scope —
// and the rate limiter between them keys a signed-in user by `sub`. The
// verifier here is a stand-in (a table of tokens), so that these tests are
// about the middleware; the real verifier has its own tests.

#include "../http/support.hpp"

#include <apikit/auth/claims.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/auth/middleware.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/middleware.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace http_test;
namespace auth = apikit::auth;
namespace rl = apikit::ratelimit;

namespace {

/// Knows three tokens: "ada" (read), "bob" (read, write), "expired".
class table_verifier {
public:
    table_verifier() {
        add("ada", {"read"});
        add("bob", {"read", "write"});
    }

    [[nodiscard]] apikit::result<std::shared_ptr<auth::claims const>>
    verify(std::string_view token) const {
        ++calls;
        if (token == "expired")
            return auth::error::expired;
        auto const it = tokens_.find(std::string(token));
        if (it == tokens_.end())
            return auth::error::bad_signature;
        return it->second;
    }

    mutable std::atomic<int> calls{0};

private:
    void add(std::string sub, std::vector<std::string> scope) {
        auto c = std::make_shared<auth::claims>();
        c->sub = sub;
        c->scope = std::move(scope);
        tokens_.emplace(std::move(sub), std::move(c));
    }
    std::map<std::string, std::shared_ptr<auth::claims const>> tokens_;
};

static_assert(auth::token_verifier<table_verifier>);
// A verifier that answers a bare claims object (not shared, not a result)
// is not one: the principal keeps the claims beyond the call.
struct verifier_by_value {
    auth::claims verify(std::string_view) const { return {}; }
};
static_assert(!auth::token_verifier<verifier_by_value>);
static_assert(rl::subject_slot<auth::principal>);

auth::access_rules middleware_rules() {
    using apikit::api::method;
    auth::access_rules rules;
    rules.require(method::get, "/users", "read")
        .require(method::get, "/users/:id", "read")
        .require(method::post, "/users/:id/orders", "write")
        .require(method::get, "/me", "");
    return rules;
}

/// Routes that say who asked: `sub` or "anonymous".
template <class Exchange>
void who_asked(Exchange& ex) {
    auto const& who = http::slot<auth::principal>(ex);
    ex.response().json_text(std::string(R"({"sub":")") +
                            std::string(who.authenticated() ? who.subject() : "anonymous") + "\"}");
}

using auth_exchange = http::exchange_with<auth::principal>;

http::basic_app<auth_exchange> middleware_app() {
    http::basic_app<auth_exchange> app;
    app.get("/users", [](auth_exchange& ex) { who_asked(ex); });
    app.get("/users/:id", [](auth_exchange& ex) { who_asked(ex); });
    app.post("/users/:id/orders", [](auth_exchange& ex) { who_asked(ex); });
    app.get("/me", [](auth_exchange& ex) { who_asked(ex); });
    app.get("/healthz", [](auth_exchange& ex) { who_asked(ex); });
    return app;
}

std::string field(response const& r, std::string_view name) {
    auto const it = r.find(name);
    return it == r.end() ? std::string("(none)") : std::string(it->value());
}

response get_with(client& c, std::string_view target, std::string_view authorization) {
    apikit_test::http_request req(boost::beast::http::verb::get, target, 11);
    if (!authorization.empty())
        req.set(boost::beast::http::field::authorization, authorization);
    return c.request(std::move(req));
}

std::string error_code_of(response const& r) {
    return std::string(boost::json::parse(r.body()).at("error").at("code").as_string());
}

} // namespace

TEST_CASE("bearer_token: the Bearer scheme in any case, one token68, nothing else") {
    CHECK(auth::bearer_token("Bearer abc.def-_~+/=") == "abc.def-_~+/=");
    CHECK(auth::bearer_token("bearer abc") == "abc");
    CHECK(auth::bearer_token("BEARER   abc  ") == "abc");
    CHECK(auth::bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l") == std::nullopt);
    CHECK(auth::bearer_token("Bearerabc") == std::nullopt);
    CHECK(auth::bearer_token("Bearer") == std::string_view());
    CHECK(auth::bearer_token("Bearer a b") == std::string_view());
    CHECK(auth::bearer_token("Bearer a=b") == std::string_view());
    CHECK(auth::bearer_token("Bearer a,b") == std::string_view());
    CHECK(auth::bearer_token("Bearer \"abc\"") == std::string_view());
}

TEST_CASE("guard: no token is a 401 with a bare Bearer challenge, open routes stay open") {
    table_verifier verifier;
    auto const rules = middleware_rules();
    running_server server(test_options(), http::chain{http::request_id{}, auth::bearer{verifier},
                                                      auth::guard{rules}, middleware_app()});
    client c(server.port());
    auto const r = c.get("/users");
    CHECK(r.result_int() == 401);
    CHECK(field(r, "WWW-Authenticate") == "Bearer");
    CHECK(error_code_of(r) == "unauthorized");
    // Another scheme is no bearer token either.
    auto const basic = get_with(c, "/users", "Basic YWxhZGRpbjpvcGVuc2VzYW1l");
    CHECK(basic.result_int() == 401);
    CHECK(field(basic, "WWW-Authenticate") == "Bearer");

    auto const open = c.get("/healthz");
    CHECK(open.result_int() == 200);
    CHECK(open.body() == R"({"sub":"anonymous"})");
    CHECK(verifier.calls == 0);
}

TEST_CASE("guard: a token that does not verify is a 401 invalid_token, whatever the reason") {
    table_verifier verifier;
    auto const rules = middleware_rules();
    running_server server(test_options(), http::chain{http::request_id{}, auth::bearer{verifier},
                                                      auth::guard{rules}, middleware_app()});
    client c(server.port());
    for (auto const* authorization :
         {"Bearer forged", "Bearer expired", "Bearer", "Bearer two tokens", "bearer ===="}) {
        CAPTURE(authorization);
        auto const r = get_with(c, "/users/1", authorization);
        CHECK(r.result_int() == 401);
        CHECK(field(r, "WWW-Authenticate") == R"(Bearer error="invalid_token")");
        CHECK(error_code_of(r) == "unauthorized");
        // The reason is the operator's, not the client's: one message for all.
        CHECK(boost::json::parse(r.body()).at("error").at("message").as_string() ==
              "The bearer token is invalid or has expired");
    }
    // Two Authorization fields: which one was meant is unknowable.
    apikit_test::http_request twice(boost::beast::http::verb::get, "/users", 11);
    twice.insert(boost::beast::http::field::authorization, "Bearer ada");
    twice.insert(boost::beast::http::field::authorization, "Bearer bob");
    auto const r = c.request(std::move(twice));
    CHECK(r.result_int() == 401);
    CHECK(field(r, "WWW-Authenticate") == R"(Bearer error="invalid_token")");
}

TEST_CASE("guard: a token without the route's scope is a 403 insufficient_scope naming it") {
    table_verifier verifier;
    auto const rules = middleware_rules();
    running_server server(test_options(), http::chain{http::request_id{}, auth::bearer{verifier},
                                                      auth::guard{rules}, middleware_app()});
    client c(server.port());
    auto const reader = get_with(c, "/users/1", "Bearer ada");
    CHECK(reader.result_int() == 200);
    CHECK(reader.body() == R"({"sub":"ada"})");

    apikit_test::http_request order(boost::beast::http::verb::post, "/users/1/orders", 11);
    order.set(boost::beast::http::field::authorization, "Bearer ada");
    order.set(boost::beast::http::field::content_type, "application/json");
    order.body() = "{}";
    auto const denied = c.request(order);
    CHECK(denied.result_int() == 403);
    CHECK(field(denied, "WWW-Authenticate") ==
          R"(Bearer error="insufficient_scope", scope="write")");
    CHECK(error_code_of(denied) == "forbidden");

    order.set(boost::beast::http::field::authorization, "Bearer bob");
    CHECK(c.request(order).result_int() == 200);
    // A rule with no scope needs a valid token of any scope.
    CHECK(get_with(c, "/me", "Bearer ada").result_int() == 200);
    CHECK(get_with(c, "/me", "").result_int() == 401);
}

TEST_CASE("bearer: the principal is per request on a keep-alive connection") {
    table_verifier verifier;
    auto const rules = middleware_rules();
    running_server server(test_options(), http::chain{http::request_id{}, auth::bearer{verifier},
                                                      auth::guard{rules}, middleware_app()});
    client c(server.port());
    CHECK(get_with(c, "/healthz", "Bearer ada").body() == R"({"sub":"ada"})");
    CHECK(get_with(c, "/healthz", "").body() == R"({"sub":"anonymous"})");
    // A bad token on an open route: the route is open, the caller anonymous.
    CHECK(get_with(c, "/healthz", "Bearer forged").body() == R"({"sub":"anonymous"})");
    CHECK(get_with(c, "/healthz", "Bearer bob").body() == R"({"sub":"bob"})");
}

TEST_CASE("bearer: a verified token's sub is the request's log context user_id") {
    table_verifier verifier;
    http::basic_app<auth_exchange> app;
    app.get("/ctx", [](auth_exchange& ex) {
        ex.response().json_text("{" + std::string(ex.log_context().members()) + "}");
    });
    running_server server(test_options(), http::chain{auth::bearer{verifier}, std::move(app)});
    client c(server.port());
    CHECK(get_with(c, "/ctx", "Bearer ada").body() == R"({"user_id":"ada"})");
    CHECK(get_with(c, "/ctx", "Bearer forged").body() == "{}");
    CHECK(get_with(c, "/ctx", "").body() == "{}");
}

TEST_CASE("bearer, then the rate limiter by subject: each user has a budget of their own") {
    table_verifier verifier;
    auto const rules = middleware_rules();
    rl::limiter<> limiter{rl::policy{rl::limit{"default", 2, rl::per_minute(1)}}};
    running_server server(test_options(),
                          http::chain{http::request_id{}, auth::bearer{verifier},
                                      rl::middleware{limiter, rl::by_subject<auth::principal>{}},
                                      auth::guard{rules}, middleware_app()});
    client c(server.port());
    for (int i = 0; i < 2; ++i) {
        CHECK(get_with(c, "/users", "Bearer ada").result_int() == 200);
        CHECK(get_with(c, "/users", "Bearer bob").result_int() == 200);
    }
    CHECK(get_with(c, "/users", "Bearer ada").result_int() == 429);
    CHECK(get_with(c, "/users", "Bearer bob").result_int() == 429);
    // Forged tokens are limited by address, before the guard answers them:
    // a flood of them is a flood of 429s, not of verifications answered.
    CHECK(get_with(c, "/users", "Bearer forged1").result_int() == 401);
    CHECK(get_with(c, "/users", "Bearer forged2").result_int() == 401);
    auto const limited = get_with(c, "/users", "Bearer forged3");
    CHECK(limited.result_int() == 429);
}
