// The sample service's authentication over real HTTP, as a client meets it:
// sign-up with a password, login (the token response and the refresh
// cookie, exactly), the routes that need a scope, refresh with rotation and
// reuse detection, logout, and the public keys.

#include "fixture.hpp"

#include <apikit/core/base64url.hpp>

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace test_server;

namespace {

/// `name=value` of a Set-Cookie field, and its attributes as written.
std::string set_cookie(response const& r) {
    auto const it = r.find(http::field::set_cookie);
    return it == r.end() ? std::string("(none)") : std::string(it->value());
}

/// The refresh token of a Set-Cookie value.
std::string refresh_token_of(std::string const& cookie) {
    auto const start = cookie.find('=') + 1;
    return cookie.substr(start, cookie.find(';') - start);
}

/// POST with the refresh cookie `token` (none when empty).
response post_with_cookie(client& c, std::string_view target, std::string const& token) {
    apikit_test::http_request req(http::verb::post, target, 11);
    req.set(http::field::content_type, "application/json");
    if (!token.empty())
        req.set(http::field::cookie, "theme=dark; __Secure-refresh=" + token);
    return c.request(std::move(req));
}

response login(client& c, std::string_view email, std::string_view password = test_password) {
    return c.post_json("/auth/login", json::value{{"email", email}, {"password", password}});
}

/// A part of a JWS, decoded as JSON.
json::object jwt_part(std::string_view token, int part) {
    std::size_t start = 0;
    for (int i = 0; i < part; ++i)
        start = token.find('.', start) + 1;
    auto const end = token.find('.', start);
    auto const bytes = apikit::base64url::decode(token.substr(start, end - start)).value();
    return json::parse(bytes).as_object();
}

} // namespace

TEST_CASE("server auth: sign-up needs a password of 8 characters, never shown again") {
    running_server server;
    client c(server.port());
    auto const short_one = c.post_json(
        "/users",
        json::value{{"email", "ada@example.com"}, {"name", "Ada"}, {"password", "1234567"}});
    CHECK(invalid_fields(short_one) == std::vector<std::string>{"password"});
    auto const none =
        c.post_json("/users", json::value{{"email", "ada@example.com"}, {"name", "Ada"}});
    CHECK(invalid_fields(none) == std::vector<std::string>{"password"});

    auto const created = c.post_json(
        "/users",
        json::value{{"email", "ada@example.com"}, {"name", "Ada"}, {"password", test_password}});
    REQUIRE(created.result_int() == 201);
    check_user_shape(body_json(created));
    CHECK(created.body().find(test_password) == std::string::npos);
    CHECK(created.body().find("scrypt") == std::string::npos);
}

TEST_CASE("server auth: login answers an access token in the body and the refresh token in a "
          "cookie") {
    running_server server;
    client c(server.port());
    auto const ada = sign_up(c, "ada@example.com");
    auto const r = login(c, "ADA@example.com"); // emails compare ignoring case
    REQUIRE(r.result_int() == 200);
    CHECK(r[http::field::cache_control] == "no-store");
    auto const body = body_json(r).as_object();
    CHECK(body.size() == 3);
    CHECK(body.at("token_type").as_string() == "Bearer");
    CHECK(body.at("expires_in").as_int64() == 900);
    std::string const token(body.at("access_token").as_string());

    auto const header = jwt_part(token, 0);
    CHECK(header.at("alg").as_string() == "EdDSA"); // the fixture's key
    CHECK(header.at("typ").as_string() == "at+jwt");
    CHECK(header.at("kid").as_string() == server.auth().keys().signing_key()->kid());
    auto const claims = jwt_part(token, 1);
    CHECK(claims.at("sub").as_string() == id_of(ada));
    CHECK(claims.at("iss").as_string() == "apikit-sample");
    CHECK(claims.at("aud") == json::value("apikit-sample"));
    CHECK(claims.at("scope") == json::parse(R"(["read","write"])"));
    CHECK(claims.at("exp").as_int64() == claims.at("iat").as_int64() + 900);
    CHECK_FALSE(claims.at("jti").as_string().empty());

    auto const cookie = set_cookie(r);
    auto const token_text = refresh_token_of(cookie);
    CHECK(cookie == "__Secure-refresh=" + token_text +
                        "; Max-Age=604800; Path=/auth; Secure; HttpOnly; SameSite=Strict");
    CHECK(token_text.size() > 40);

    // The token opens the routes that need `read`.
    c.authorization("Bearer " + token);
    CHECK(c.get("/users").result_int() == 200);
    CHECK(c.get("/users/" + id_of(ada)).result_int() == 200);
}

TEST_CASE("server auth: a wrong password and an unknown email get the same 401") {
    running_server server;
    client c(server.port());
    sign_up(c, "ada@example.com");
    auto const wrong = login(c, "ada@example.com", "not her password");
    auto const unknown = login(c, "nobody@example.com");
    auto const e1 = check_error(wrong, 401, "unauthorized");
    auto const e2 = check_error(unknown, 401, "unauthorized");
    CHECK(e1.at("message") == e2.at("message"));
    // Every 401 names the scheme to authenticate with (RFC 9110 §15.5.2).
    CHECK(wrong[http::field::www_authenticate] == "Bearer");
    CHECK(unknown[http::field::www_authenticate] == "Bearer");
    CHECK(set_cookie(wrong) == "(none)");
    CHECK(set_cookie(unknown) == "(none)");
    // Malformed input is a 422 naming the field, not a 401.
    CHECK(invalid_fields(c.post_json("/auth/login", json::value{{"email", "ada@example.com"}})) ==
          std::vector<std::string>{"password"});
    check_error(c.post("/auth/login", "{"), 400, "malformed_request");
}

TEST_CASE("server auth: routes need their scope, sign-up, /auth, the keys and /healthz do not") {
    running_server server;
    client anonymous(server.port());
    auto const ada = sign_up(anonymous, "ada@example.com");
    auto const id = id_of(ada);

    for (auto const& target : {std::string("/users"), "/users/" + id, "/users/" + id + "/orders",
                               "/users/" + id + "/orders/order_x"}) {
        CAPTURE(target);
        auto const r = anonymous.get(target);
        check_error(r, 401, "unauthorized");
        CHECK(r[http::field::www_authenticate] == "Bearer");
    }
    auto const no_token = anonymous.post_json("/users/" + id + "/orders",
                                              json::value{{"item", "book"}, {"quantity", 1}});
    check_error(no_token, 401, "unauthorized");
    CHECK(anonymous.get("/healthz").result_int() == 200);
    CHECK(anonymous.get("/.well-known/jwks.json").result_int() == 200);

    client forged(server.port());
    forged.authorization("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
    auto const r = forged.get("/users");
    check_error(r, 401, "unauthorized");
    CHECK(r[http::field::www_authenticate] == R"(Bearer error="invalid_token")");

    client reader(server.port());
    reader.authorization("Bearer " + server.token(id, {"read"}));
    CHECK(reader.get("/users/" + id + "/orders").result_int() == 200);
    auto const denied = reader.post_json("/users/" + id + "/orders",
                                         json::value{{"item", "book"}, {"quantity", 1}});
    check_error(denied, 403, "forbidden");
    CHECK(denied[http::field::www_authenticate] ==
          R"(Bearer error="insufficient_scope", scope="write")");

    client writer(server.port());
    server.authorize(writer, id);
    CHECK(
        writer.post_json("/users/" + id + "/orders", json::value{{"item", "book"}, {"quantity", 1}})
            .result_int() == 201);
}

TEST_CASE("server auth: refresh rotates the cookie, the old one again revokes the family") {
    running_server server;
    client c(server.port());
    sign_up(c, "ada@example.com");
    auto const first = refresh_token_of(set_cookie(login(c, "ada@example.com")));

    auto const rotated = post_with_cookie(c, "/auth/refresh", first);
    REQUIRE(rotated.result_int() == 200);
    auto const body = body_json(rotated).as_object();
    CHECK(body.at("token_type").as_string() == "Bearer");
    CHECK(body.at("expires_in").as_int64() == 900);
    auto const second = refresh_token_of(set_cookie(rotated));
    CHECK(second != first);
    // Never beyond the login's seven days.
    auto const max_age = set_cookie(rotated).substr(set_cookie(rotated).find("Max-Age=") + 8);
    CHECK(std::stoll(max_age) <= 604800);
    CHECK(std::stoll(max_age) >= 604800 - 5);
    c.authorization("Bearer " + std::string(body.at("access_token").as_string()));
    CHECK(c.get("/users").result_int() == 200);

    // The first token again: someone kept a copy. Its family is revoked,
    // the newest token with it, and the cookie is cleared.
    auto const reused = post_with_cookie(c, "/auth/refresh", first);
    check_error(reused, 401, "unauthorized");
    CHECK(set_cookie(reused).find("Max-Age=0") != std::string::npos);
    check_error(post_with_cookie(c, "/auth/refresh", second), 401, "unauthorized");

    // No cookie, or one that is no token of ours.
    check_error(post_with_cookie(c, "/auth/refresh", ""), 401, "unauthorized");
    check_error(post_with_cookie(c, "/auth/refresh", "not-a-token"), 401, "unauthorized");
}

TEST_CASE("server auth: logout revokes the family and clears the cookie") {
    running_server server;
    client c(server.port());
    sign_up(c, "ada@example.com");
    auto const token = refresh_token_of(set_cookie(login(c, "ada@example.com")));
    auto const out = post_with_cookie(c, "/auth/logout", token);
    CHECK(out.result_int() == 204);
    CHECK(out.body().empty());
    CHECK(set_cookie(out) ==
          "__Secure-refresh=; Max-Age=0; Path=/auth; Secure; HttpOnly; SameSite=Strict");
    check_error(post_with_cookie(c, "/auth/refresh", token), 401, "unauthorized");
    // Logging out twice, or without a cookie, is no error.
    CHECK(post_with_cookie(c, "/auth/logout", token).result_int() == 204);
    CHECK(post_with_cookie(c, "/auth/logout", "").result_int() == 204);
}

TEST_CASE("server auth: the public keys are a JWKS with the signing key and nothing private") {
    running_server server;
    client c(server.port());
    auto const r = c.get("/.well-known/jwks.json");
    REQUIRE(r.result_int() == 200);
    CHECK(r[http::field::content_type] == "application/json");
    auto const keys = body_json(r).at("keys").as_array();
    REQUIRE(keys.size() == 1);
    auto const& k = keys[0].as_object();
    CHECK(k.at("kid").as_string() == server.auth().keys().signing_key()->kid());
    CHECK(k.at("kty").as_string() == "OKP");
    CHECK(k.at("alg").as_string() == "EdDSA");
    CHECK_FALSE(k.contains("d"));
}

TEST_CASE("server auth: the admin email's tokens carry the admin scope") {
    sample::auth_settings settings;
    settings.admin_email = "Root@Example.com";
    running_server server(1, std::nullopt, users_in::memory, test_auth(settings));
    client c(server.port());
    sign_up(c, "root@example.com");
    sign_up(c, "ada@example.com");
    auto scope_of = [&](std::string_view email) {
        auto const r = login(c, email);
        REQUIRE(r.result_int() == 200);
        return jwt_part(body_json(r).at("access_token").as_string(), 1).at("scope");
    };
    CHECK(scope_of("root@example.com") == json::parse(R"(["read","write","admin"])"));
    CHECK(scope_of("ada@example.com") == json::parse(R"(["read","write"])"));
}
