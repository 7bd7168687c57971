// The refresh-token lifecycle on a manual clock: 7 days absolute (Max-Age
// only ever shrinks), rotation on every use, reuse revoking the family,
// logout, what never reaches the store, handlers called exactly once; and the
// refresh_store concept's archetype and near misses.
#include <apikit/auth/error.hpp>
#include <apikit/auth/memory_refresh_store.hpp>
#include <apikit/auth/refresh_store.hpp>
#include <apikit/auth/refresh_tokens.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace auth = apikit::auth;
using namespace std::chrono_literals;

namespace {

using rts_manual = apikit::manual_clock<std::chrono::system_clock>;
using rts_clock = apikit::clock_ref<rts_manual>;
using rts_tokens = auth::refresh_tokens<auth::memory_refresh_store, rts_clock>;

constexpr std::chrono::sys_seconds rts_start{1'700'000'000s};

struct rts_fixture {
    rts_manual clock{rts_start};
    auth::memory_refresh_store store{{.max_families = 1024, .shards = 2}};
    rts_tokens tokens{store, std::chrono::days{7}, rts_clock(clock)};
};

// The minimal refresh_store: what refresh_tokens may rely on and no more.
// It records what it was asked, answers with what it was told to.
struct rts_store_archetype {
    std::vector<std::string> calls;
    auth::rotation answer;
    boost::system::error_code fail;

    template <class H>
    void async_create(auth::family_record const& r, std::int64_t now, H&& h) {
        calls.push_back("create " + r.user_id + " " + std::to_string(r.expires_at - now));
        std::move(h)(fail);
    }
    template <class H>
    void async_rotate(std::string_view, std::string_view, std::string_view, std::int64_t, H&& h) {
        calls.push_back("rotate");
        std::move(h)(fail, answer);
    }
    template <class H>
    void async_revoke(std::string_view, H&& h) {
        calls.push_back("revoke");
        std::move(h)(fail);
    }
};

struct rts_no_revoke {
    void async_create(auth::family_record const&, std::int64_t,
                      auth::detail::refresh_done_archetype) {}
    void async_rotate(std::string_view, std::string_view, std::string_view, std::int64_t,
                      auth::detail::rotate_done_archetype) {}
};

struct rts_rotate_without_now {
    void async_create(auth::family_record const&, std::int64_t,
                      auth::detail::refresh_done_archetype) {}
    void async_rotate(std::string_view, std::string_view, std::string_view,
                      auth::detail::rotate_done_archetype) {}
    void async_revoke(std::string_view, auth::detail::refresh_done_archetype) {}
};

static_assert(auth::refresh_store<rts_store_archetype>);
static_assert(!auth::sync_refresh_store<rts_store_archetype>);
static_assert(!auth::refresh_store<rts_no_revoke>, "a store must revoke");
static_assert(!auth::refresh_store<rts_rotate_without_now>, "a rotation is decided at a time");
static_assert(auth::sync_refresh_store<auth::memory_refresh_store>);

// One async call, its handler counted.
struct rts_answer {
    int calls = 0;
    boost::system::error_code ec;
    auth::issued_refresh_token token;
};

template <class Tokens>
rts_answer rts_rotate(Tokens& t, std::string_view token) {
    rts_answer a;
    t.async_rotate(token, [&](boost::system::error_code ec, auth::issued_refresh_token i) {
        ++a.calls;
        a.ec = ec;
        a.token = std::move(i);
    });
    return a;
}

} // namespace

TEST_CASE("refresh tokens: a login lasts 7 days, however often it rotates") {
    rts_fixture f;
    auto const login = f.tokens.try_issue("user_42").value();
    CHECK(login.max_age == std::chrono::days{7});
    CHECK(login.user_id == "user_42");
    REQUIRE(auth::parse_refresh_token(login.token));

    // Rotated on day 6: a new token whose cookie lives 1 day, not 7.
    f.clock.advance(std::chrono::days{6});
    auto const day6 = f.tokens.try_rotate(login.token).value();
    CHECK(day6.max_age == std::chrono::days{1});
    CHECK(day6.user_id == "user_42");
    CHECK(day6.token != login.token);
    CHECK(auth::parse_refresh_token(day6.token)->family ==
          auth::parse_refresh_token(login.token)->family);

    // One second before the 7 days: still good, for 1 s.
    f.clock.advance(std::chrono::days{1} - 1s);
    auto const last = f.tokens.try_rotate(day6.token).value();
    CHECK(last.max_age == 1s);

    // At 7 days: over, with the newest token.
    f.clock.advance(1s);
    auto const over = f.tokens.try_rotate(last.token);
    REQUIRE(over.has_error());
    CHECK(over.error() == auth::error::refresh_invalid);
}

TEST_CASE("refresh tokens: Max-Age shrinks with every rotation and time rounds down") {
    rts_fixture f;
    f.clock.advance(700ms); // a fraction of a second: whole seconds, floored
    auto t = f.tokens.try_issue("u").value();
    auto previous = t.max_age;
    for (int hour = 1; hour <= 48; ++hour) {
        f.clock.advance(1h);
        t = f.tokens.try_rotate(t.token).value();
        CHECK(t.max_age == std::chrono::days{7} - std::chrono::hours{hour});
        CHECK(t.max_age < previous);
        previous = t.max_age;
    }
}

TEST_CASE("refresh tokens: a token used twice revokes its family (reuse detection)") {
    rts_fixture f;
    auto const login = f.tokens.try_issue("user_1").value();
    auto const second = f.tokens.try_rotate(login.token).value();
    auto const third = f.tokens.try_rotate(second.token).value();

    // The thief (or the victim) presents an old one: refresh_reused, and the
    // whole family is dead — the newest token included.
    auto const reused = rts_rotate(f.tokens, login.token);
    CHECK(reused.calls == 1);
    CHECK(reused.ec == auth::error::refresh_reused);
    CHECK(reused.token.token.empty());
    CHECK(reused.token.user_id == "user_1"); // for the log line
    CHECK(f.tokens.try_rotate(third.token).error() == auth::error::refresh_invalid);
    CHECK(f.tokens.try_rotate(second.token).error() == auth::error::refresh_invalid);
    // Both are 401 to a client.
    CHECK(apikit::http_status(make_error_code(auth::error::refresh_reused)) == 401);

    // Another login of the same user is a family of its own, untouched.
    auto const other = f.tokens.try_issue("user_1").value();
    CHECK(f.tokens.try_rotate(other.token).has_value());
}

TEST_CASE("refresh tokens: logout revokes the family, and anything else is a quiet success") {
    rts_fixture f;
    auto const a = f.tokens.try_issue("u").value();
    auto const b = f.tokens.try_rotate(a.token).value();
    CHECK(f.tokens.try_revoke(a.token)); // an old token of the family logs it out too
    CHECK(f.tokens.try_rotate(b.token).error() == auth::error::refresh_invalid);
    CHECK(f.tokens.try_revoke(b.token));
    CHECK(f.tokens.try_revoke("garbage"));
    CHECK(f.tokens.try_revoke(""));
    CHECK(f.store.size() == 0);

    int calls = 0;
    f.tokens.async_revoke("garbage", [&](boost::system::error_code ec) {
        ++calls;
        CHECK_FALSE(ec);
    });
    CHECK(calls == 1);
}

TEST_CASE("refresh tokens: a text that is not a token is refused without asking the store") {
    rts_store_archetype store;
    store.answer.outcome = auth::rotation_outcome::rotated; // would be, if asked
    store.answer.expires_at = 4'000'000'000;
    auth::refresh_tokens<rts_store_archetype> tokens(store);
    auto const good = auth::new_refresh_token(auth::new_refresh_family());
    for (std::string const& bad : {std::string(), std::string("x"), good.substr(1), good + "=",
                                   "Bearer " + good, std::string(66, '.')}) {
        CAPTURE(bad);
        auto const a = rts_rotate(tokens, bad);
        CHECK(a.calls == 1);
        CHECK(a.ec == auth::error::refresh_invalid);
        CHECK(a.token.token.empty());
    }
    CHECK(store.calls.empty());
    int calls = 0;
    tokens.async_revoke("x", [&](boost::system::error_code ec) {
        ++calls;
        CHECK_FALSE(ec);
    });
    CHECK(calls == 1);
    CHECK(store.calls.empty());

    // A token that parses does reach it.
    auto const a = rts_rotate(tokens, good);
    CHECK(a.calls == 1);
    CHECK_FALSE(a.ec);
    CHECK(store.calls == std::vector<std::string>{"rotate"});
}

TEST_CASE("refresh tokens: a store's failure is passed on, once, and hands out no token") {
    rts_store_archetype store;
    store.fail = make_error_code(apikit::errc::service_unavailable);
    auth::refresh_tokens<rts_store_archetype> tokens(store, std::chrono::days{7});
    int calls = 0;
    tokens.async_issue("u", [&](boost::system::error_code ec, auth::issued_refresh_token t) {
        ++calls;
        CHECK(ec == apikit::errc::service_unavailable);
        CHECK(t.token.empty());
    });
    CHECK(calls == 1);
    CHECK(store.calls == std::vector<std::string>{"create u 604800"});
    auto const a = rts_rotate(tokens, auth::new_refresh_token(auth::new_refresh_family()));
    CHECK(a.calls == 1);
    CHECK(a.ec == apikit::errc::service_unavailable);
    CHECK(a.token.token.empty());

    // A store that says "rotated" for a family already over is not believed.
    store.fail = {};
    store.answer = {auth::rotation_outcome::rotated, "u", 1};
    auto const late = rts_rotate(tokens, auth::new_refresh_token(auth::new_refresh_family()));
    CHECK(late.ec == auth::error::refresh_invalid);
    store.answer = {auth::rotation_outcome::unknown, "", 0};
    CHECK(rts_rotate(tokens, auth::new_refresh_token(auth::new_refresh_family())).ec ==
          auth::error::refresh_invalid);
}

TEST_CASE("refresh tokens: the user id must be 1 to 256 bytes, the lifetime positive") {
    rts_fixture f;
    CHECK(f.tokens.try_issue("").error() == apikit::errc::validation_error);
    CHECK(f.tokens.try_issue(std::string(257, 'u')).error() == apikit::errc::validation_error);
    CHECK(f.tokens.try_issue(std::string(256, 'u')).has_value());
    int calls = 0;
    f.tokens.async_issue("", [&](boost::system::error_code ec, auth::issued_refresh_token) {
        ++calls;
        CHECK(ec == apikit::errc::validation_error);
    });
    CHECK(calls == 1);
    CHECK_THROWS_AS(rts_tokens(f.store, 0s, rts_clock(f.clock)), std::invalid_argument);
    CHECK(rts_tokens(f.store, 30s, rts_clock(f.clock)).try_issue("u").value().max_age == 30s);
    CHECK(auth::refresh_tokens<auth::memory_refresh_store>(f.store).lifetime() ==
          std::chrono::days{7});
}

TEST_CASE("refresh tokens: the lifecycle as docs/auth.md quotes it") {
    std::string const user_id = "user_42";
    // [refresh-lifecycle]
    // One store per server (memory_refresh_store, or redis_refresh_store on a
    // redis::connection for several processes), one refresh_tokens over it.
    apikit::auth::memory_refresh_store store;
    apikit::auth::refresh_tokens<apikit::auth::memory_refresh_store> tokens(store); // 7 days

    // POST /auth/login, once the password is checked: a new family.
    std::string set_cookie;
    tokens.async_issue(user_id,
                       [&](boost::system::error_code ec, apikit::auth::issued_refresh_token t) {
                           if (!ec) // else 503 (the store is down) or 422 (an empty user id)
                               set_cookie = apikit::auth::refresh_cookie(t.token, t.max_age);
                       });

    // POST /auth/refresh: the cookie's token rotates, once.
    std::string const cookie_header = "theme=dark; " + set_cookie.substr(0, set_cookie.find(';'));
    auto const presented = apikit::auth::find_cookie(cookie_header, "__Secure-refresh");
    tokens.async_rotate(presented.value_or(""),
                        [&](boost::system::error_code ec, apikit::auth::issued_refresh_token t) {
                            // ec: auth::error::refresh_invalid or refresh_reused (401), or the
                            // store's own (503). t.user_id is the new access token's subject.
                            if (!ec)
                                set_cookie = apikit::auth::refresh_cookie(t.token, t.max_age);
                        });

    // POST /auth/logout: the family is revoked (by any of its tokens) and the
    // cookie cleared (204).
    tokens.async_revoke(presented.value_or(""), [](boost::system::error_code) {});
    set_cookie = apikit::auth::expired_refresh_cookie();
    // [refresh-lifecycle]
    CHECK(presented.has_value());
    CHECK(store.size() == 0);
    CHECK(set_cookie ==
          "__Secure-refresh=; Max-Age=0; Path=/auth; Secure; HttpOnly; SameSite=Strict");
}
