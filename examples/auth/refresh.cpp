// Refresh tokens with apikit: one login's family in a store that keeps only
// hashes, rotated on every use inside an absolute 7-day life, a reused token
// revoking its whole family, and logout. The token travels in the
// `__Secure-refresh` cookie. docs/auth.md quotes this file.
//
// The store here is the in-process one, which answers at once, so the
// synchronous try_* forms read best; a server uses the async_* forms, which
// work over every store (examples/auth/redis_refresh.cpp). Time is a manual
// clock: the program never waits. It exits 0 when every outcome is the one
// its comments say.
#include <apikit/auth.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace auth = apikit::auth;
using namespace std::chrono_literals;

namespace {

/// The cookie with its token cut short, for printing.
std::string shown(std::string cookie) {
    auto const value = cookie.find('=') + 1;
    return cookie.replace(value + 8, auth::refresh_token_size - 8, "…");
}

} // namespace

int main() {
    bool ok = true;
    apikit::manual_clock<std::chrono::system_clock> clock{std::chrono::sys_seconds{1'796'083'200s}};

    // [issue] A login starts a family: 7 days from now, fixed for good. The
    // store keeps the user, the expiry and a SHA-256 of the secret; the
    // token itself goes to the client only, in its cookie.
    auth::memory_refresh_store store;
    auth::refresh_tokens refresh{store, std::chrono::days{7}, apikit::clock_ref{clock}};

    auto const login = refresh.try_issue("user_42");
    if (!login)
        return EXIT_FAILURE;
    fmt::print("Set-Cookie: {}\n", shown(auth::refresh_cookie(login->token, login->max_age)));
    // Set-Cookie: __Secure-refresh=Qm9Kx2aF…; Max-Age=604800; Path=/auth; Secure; HttpOnly;
    // SameSite=Strict [issue]
    ok = ok && login->max_age == std::chrono::days{7} && login->token.size() == 66;

    // [rotate] A day later the client refreshes: the token it presents
    // (found in its Cookie header) is swapped for a new one of the same
    // family, whose Max-Age is what is left of the 7 days.
    clock.advance(std::chrono::days{1});
    std::string const cookie_header = "theme=dark; __Secure-refresh=" + login->token;
    auto const presented = auth::find_cookie(cookie_header, "__Secure-refresh");
    auto const second = refresh.try_rotate(presented.value_or(""));
    if (!second)
        return EXIT_FAILURE;
    fmt::print("rotated for {}: {}\n", second->user_id,
               shown(auth::refresh_cookie(second->token, second->max_age)));
    // rotated for user_42: __Secure-refresh=Qm9Kx2aF…; Max-Age=518400; Path=/auth; Secure;
    // HttpOnly; SameSite=Strict [rotate]
    ok = ok && second->max_age == std::chrono::days{6} && second->user_id == "user_42" &&
         second->token.substr(0, 22) == login->token.substr(0, 22);

    // [reuse] The first token again: someone kept a copy. The family is
    // revoked, so the newest token, whoever holds it, dies too.
    auto const replayed = refresh.try_rotate(login->token);
    auto const after = refresh.try_rotate(second->token);
    fmt::print("replayed: {}\nthe newest after that: {}\n", replayed.error().message(),
               after.error().message());
    // replayed: auth: a rotated refresh token was presented again; its family is revoked
    // the newest after that: auth: the refresh token is unknown, expired or revoked
    // [reuse]
    ok = ok && replayed.error() == auth::error::refresh_reused &&
         after.error() == auth::error::refresh_invalid;

    // [logout] Logout revokes the family; the cookie is cleared. Revoking
    // what is not a token is a success too: logout tells a client nothing.
    auto const again = refresh.try_issue("user_42");
    bool const logged_out = again && refresh.try_revoke(again->token).has_value();
    auto const stale = refresh.try_rotate(again->token);
    fmt::print("logged out: {}; its token: {}\nSet-Cookie: {}\n", logged_out,
               stale.error().message(), auth::expired_refresh_cookie());
    // logged out: true; its token: auth: the refresh token is unknown, expired or revoked
    // Set-Cookie: __Secure-refresh=; Max-Age=0; Path=/auth; Secure; HttpOnly; SameSite=Strict
    // [logout]
    ok = ok && logged_out && stale.error() == auth::error::refresh_invalid &&
         refresh.try_revoke("not a token").has_value();

    // [expiry] Rotations never extend a login: at 7 days it ends.
    auto const monday = refresh.try_issue("user_7");
    clock.advance(std::chrono::days{6});
    auto const sunday = refresh.try_rotate(monday.value().token);
    clock.advance(std::chrono::days{1});
    auto const next_monday = refresh.try_rotate(sunday.value().token);
    fmt::print("day 6: Max-Age {} s; day 7: {}\n", sunday->max_age.count(),
               next_monday.error().message());
    // day 6: Max-Age 86400 s; day 7: auth: the refresh token is unknown, expired or revoked
    // [expiry]
    ok = ok && sunday->max_age == std::chrono::days{1} &&
         next_monday.error() == auth::error::refresh_invalid;

    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
