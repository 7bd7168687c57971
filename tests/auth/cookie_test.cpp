// The refresh cookie: its exact Set-Cookie value, the logout variant, and
// finding it in a Cookie header.
#include <apikit/auth/cookie.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace auth = apikit::auth;
using namespace std::chrono_literals;

TEST_CASE("cookie: the refresh cookie, exactly") {
    auto const token = std::string(22, 'A') + "." + std::string(43, 'b');
    CHECK(auth::refresh_cookie(token, 604800s) ==
          "__Secure-refresh=" + token +
              "; Max-Age=604800; Path=/auth; Secure; HttpOnly; SameSite=Strict");
    CHECK(auth::refresh_cookie("t", std::chrono::days{1}) ==
          "__Secure-refresh=t; Max-Age=86400; Path=/auth; Secure; HttpOnly; SameSite=Strict");
    CHECK(auth::refresh_cookie("t", 1s) ==
          "__Secure-refresh=t; Max-Age=1; Path=/auth; Secure; HttpOnly; SameSite=Strict");
    // A life already over is written as 0: the browser drops the cookie.
    CHECK(auth::refresh_cookie("t", -5s) ==
          "__Secure-refresh=t; Max-Age=0; Path=/auth; Secure; HttpOnly; SameSite=Strict");
}

TEST_CASE("cookie: logout clears it with the same name, path and attributes") {
    CHECK(auth::expired_refresh_cookie() ==
          "__Secure-refresh=; Max-Age=0; Path=/auth; Secure; HttpOnly; SameSite=Strict");
    auth::cookie_options const o{.name = "__Host-rt", .path = "/"};
    CHECK(auth::expired_refresh_cookie(o) ==
          "__Host-rt=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict");
    CHECK(auth::refresh_cookie("v", 60s, o) ==
          "__Host-rt=v; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Strict");
}

TEST_CASE("cookie: find_cookie reads a Cookie header through grammar::cookies") {
    constexpr std::string_view field = "theme=dark; __Secure-refresh=abc.def;session=x";
    CHECK(auth::find_cookie(field, "__Secure-refresh") == "abc.def");
    CHECK(auth::find_cookie(field, "theme") == "dark");
    CHECK(auth::find_cookie(field, "session") == "x");
    CHECK_FALSE(auth::find_cookie(field, "refresh"));          // a whole name, not a suffix
    CHECK_FALSE(auth::find_cookie(field, "__secure-refresh")); // names are case-sensitive
    CHECK_FALSE(auth::find_cookie("", "__Secure-refresh"));
    CHECK(auth::find_cookie("__Secure-refresh=", "__Secure-refresh") == "");
    // The first of two, white space around pairs ignored, a quoted value kept
    // as it is (a refresh token is never quoted: the parse refuses it).
    CHECK(auth::find_cookie("  a=1 ;  a=2 ", "a") == "1");
    CHECK(auth::find_cookie("a=\"x;y\"; b=2", "b") == "2");
    CHECK(auth::find_cookie("a=\"q\"", "a") == "\"q\"");
    static_assert(auth::find_cookie("a=1; b=2", "b") == "2");
}
