// The Redis refresh store beyond the conformance suite: what its keys hold
// (hashes, never secrets) and when Redis forgets them, reuse deleting both
// keys, NOSCRIPT, a reply that is not the script's, an outage (503, never a
// reuse), handler association through refresh_tokens, and two "processes"
// sharing logins, and the 7-day limit on a manual clock. Against the ctest fixture's redis-server,
// or a private one that is stopped.
#include <apikit/auth/error.hpp>
#include <apikit/auth/redis_refresh_store.hpp>
#include <apikit/auth/refresh_tokens.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>

#include "redis/support.hpp"
#include "refresh_fixtures.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace auth = apikit::auth;
namespace redis = apikit::redis;
using auth::rotation_outcome;
using redis_test::error_code;

namespace {

using rrs_fixture = refresh_test::store_fixture<auth::redis_refresh_store>;

constexpr std::int64_t rrs_t0 = 4'000'000'000;

std::int64_t rrs_unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

redis::reply rrs_cmd(rrs_fixture& f, redis::command c) {
    return redis_test::ok(f.io, f.conn, std::move(c));
}

struct rrs_answer {
    int calls = 0;
    error_code ec;
    auth::issued_refresh_token token;
};

// Runs one refresh_tokens call to completion on `io`; checks it did not
// complete inside the call.
template <class Start>
rrs_answer rrs_run(boost::asio::io_context& io, Start start) {
    rrs_answer a;
    start([&](error_code ec, auth::issued_refresh_token t) {
        ++a.calls;
        a.ec = ec;
        a.token = std::move(t);
    });
    REQUIRE(a.calls == 0);
    REQUIRE(redis_test::run_until(io, [&] { return a.calls > 0; }));
    redis_test::settle(io);
    REQUIRE(a.calls == 1);
    return a;
}

} // namespace

TEST_CASE("redis refresh store: two hash-tagged keys of hashes, expiring at the family's end") {
    rrs_fixture f;
    auto const family = auth::new_refresh_family();
    auto const token = auth::new_refresh_token(family);
    auto const secret = auth::parse_refresh_token(token)->secret;
    auth::family_record const rec{family, "user_7", rrs_t0, auth::refresh_token_hash(secret)};
    REQUIRE(refresh_test::create(f, rec, rrs_t0 - 100));

    auto const key = f.store.family_key(family), used = f.store.used_key(family);
    CHECK(key == f.prefix + ":auth:rt:{" + family + "}");
    CHECK(used == f.prefix + ":auth:rt:{" + family + "}:used");
    CHECK(redis::hash_slot(key) == redis::hash_slot(used));
    CHECK(rrs_cmd(f, {"HGET", key, "user"}).text() == "user_7");
    CHECK(rrs_cmd(f, {"HGET", key, "exp"}).text() == std::to_string(rrs_t0));
    CHECK(rrs_cmd(f, {"HGET", key, "cur"}).text() == rec.token_hash);
    CHECK(rrs_cmd(f, {"HLEN", key}).integer() == 3);
    CHECK(rrs_cmd(f, {"EXPIRETIME", key}).integer() == rrs_t0);

    auto const next = auth::refresh_token_hash("next");
    REQUIRE(refresh_test::rotate(f, family, rec.token_hash, next, rrs_t0 - 50).value().outcome ==
            rotation_outcome::rotated);
    CHECK(rrs_cmd(f, {"HGET", key, "cur"}).text() == next);
    CHECK(rrs_cmd(f, {"LRANGE", used, 0, -1}) ==
          redis::reply::array({redis::reply::string(rec.token_hash)}));
    CHECK(rrs_cmd(f, {"EXPIRETIME", key}).integer() == rrs_t0); // never moved
    CHECK(rrs_cmd(f, {"EXPIRETIME", used}).integer() == rrs_t0);

    // Nothing Redis holds is the token or its secret.
    auto const dump =
        fmt::format("{} {}", rrs_cmd(f, {"HGETALL", key}), rrs_cmd(f, {"LRANGE", used, 0, -1}));
    CHECK(dump.find(std::string(secret)) == std::string::npos);

    // Reuse deletes both keys.
    CHECK(refresh_test::rotate(f, family, rec.token_hash, next, rrs_t0 - 50).value().outcome ==
          rotation_outcome::reused);
    CHECK(rrs_cmd(f, {"EXISTS", key, used}).integer() == 0);
}

TEST_CASE("redis refresh store: Redis forgets a family whose expiry has passed by itself") {
    rrs_fixture f;
    auto const now = rrs_unix_now();
    auth::family_record rec{auth::new_refresh_family(), "u", now - 1,
                            auth::refresh_token_hash("a")};
    REQUIRE(refresh_test::create(f, rec, now - 100));
    CHECK(rrs_cmd(f, {"EXISTS", f.store.family_key(rec.family)}).integer() == 0);
    // Revoke deletes both keys; a second revoke is no error.
    rec.family = auth::new_refresh_family();
    rec.expires_at = rrs_t0;
    REQUIRE(refresh_test::create(f, rec, now));
    REQUIRE(refresh_test::rotate(f, rec.family, rec.token_hash, auth::refresh_token_hash("b"), now)
                .value()
                .outcome == rotation_outcome::rotated);
    CHECK(refresh_test::revoke(f, rec.family));
    CHECK(rrs_cmd(f, {"EXISTS", f.store.family_key(rec.family), f.store.used_key(rec.family)})
              .integer() == 0);
    CHECK(refresh_test::revoke(f, rec.family));
}

TEST_CASE("redis refresh store: the scripts come back after SCRIPT FLUSH") {
    rrs_fixture f;
    auth::family_record const rec{auth::new_refresh_family(), "u", rrs_t0,
                                  auth::refresh_token_hash("a")};
    rrs_cmd(f, {"SCRIPT", "FLUSH"});
    REQUIRE(refresh_test::create(f, rec, rrs_t0 - 10));
    rrs_cmd(f, {"SCRIPT", "FLUSH"});
    CHECK(refresh_test::rotate(f, rec.family, rec.token_hash, auth::refresh_token_hash("b"),
                               rrs_t0 - 10)
              .value()
              .outcome == rotation_outcome::rotated);
    CHECK(rrs_cmd(f, {"SCRIPT", "EXISTS", auth::redis_refresh_store::rotate_script().sha1()}) ==
          redis::reply::array({redis::reply::integer(1)}));
}

TEST_CASE("redis refresh store: a reply that is not the script's is an error, not a rotation") {
    rrs_fixture f;
    auto const family = auth::new_refresh_family();
    rrs_cmd(f, {"SET", f.store.family_key(family), "x"}); // WRONGTYPE for HMGET
    auto const r = refresh_test::rotate(f, family, auth::refresh_token_hash("a"),
                                        auth::refresh_token_hash("b"), rrs_t0 - 10);
    REQUIRE(r.has_error());
    CHECK(r.error() == redis::error::server_error);
    CHECK(r.error() != apikit::condition::backend_unavailable);
    // A hash whose expiry is not a number is refused by the script.
    auto const odd = auth::new_refresh_family();
    rrs_cmd(f, {"HSET", f.store.family_key(odd), "user", "u", "exp", "soon", "cur", "c"});
    CHECK(refresh_test::rotate(f, odd, "c", "d", rrs_t0 - 10).error() ==
          redis::error::server_error);
}

TEST_CASE("redis refresh store: a family id that cannot be a hash tag never reaches Redis") {
    rrs_fixture f;
    auth::family_record rec{"a{b}", "u", rrs_t0, auth::refresh_token_hash("a")};
    CHECK(refresh_test::create(f, rec, rrs_t0 - 10).error() == apikit::errc::validation_error);
    rec.family.clear();
    CHECK(refresh_test::create(f, rec, rrs_t0 - 10).error() == apikit::errc::validation_error);
    CHECK(refresh_test::rotate(f, "a b", "x", "y", rrs_t0 - 10).value().outcome ==
          rotation_outcome::unknown);
    CHECK(refresh_test::revoke(f, std::string(65, 'f')));
    CHECK_THROWS_AS(auth::redis_refresh_store(f.conn, {.max_rotated = 0}), std::invalid_argument);
    CHECK_THROWS_AS(auth::redis_refresh_store(f.conn, {.key_prefix = "a{"}), std::invalid_argument);
}

TEST_CASE("redis refresh store: when Redis is down every call is backend_unavailable (503)") {
    // A loopback port where a server was and is no more.
    std::uint16_t port = 0;
    {
        apikit_test::redis_server gone;
        port = gone.port();
    }
    boost::asio::io_context io;
    redis::connection conn(io.get_executor(), redis_test::options_for(port));
    conn.start();
    auth::redis_refresh_store store(conn);
    auth::refresh_tokens<auth::redis_refresh_store> tokens(store);

    auto const issued = rrs_run(io, [&](auto h) { tokens.async_issue("u", h); });
    CHECK(issued.ec == apikit::condition::backend_unavailable);
    CHECK(apikit::http_status(issued.ec) == 503);
    CHECK(issued.token.token.empty());
    auto const token = auth::new_refresh_token(auth::new_refresh_family());
    auto const rotated = rrs_run(io, [&](auto h) { tokens.async_rotate(token, h); });
    CHECK(rotated.ec == apikit::condition::backend_unavailable);
    CHECK(rotated.ec != auth::error::refresh_reused); // never taken for a reuse
    CHECK(rotated.ec != auth::error::refresh_invalid);
    CHECK(rotated.token.token.empty());
    std::optional<error_code> revoked;
    tokens.async_revoke(token, [&](error_code ec) { revoked = ec; });
    REQUIRE(redis_test::run_until(io, [&] { return revoked.has_value(); }));
    CHECK(*revoked == apikit::condition::backend_unavailable);
}

TEST_CASE("redis refresh store: refresh_tokens' handler runs on its associated executor") {
    rrs_fixture f;
    // Loaded ahead, so that no NOSCRIPT round trip comes after the PING below.
    rrs_cmd(f, auth::redis_refresh_store::create_script().load_command());
    rrs_cmd(f, auth::redis_refresh_store::rotate_script().load_command());
    auth::refresh_tokens<auth::redis_refresh_store> tokens(f.store);
    boost::asio::io_context elsewhere;
    int calls = 0;
    bool on_elsewhere = false;
    std::string token;
    tokens.async_issue(
        "u", boost::asio::bind_executor(
                 elsewhere.get_executor(), [&](error_code ec, auth::issued_refresh_token t) {
                     ++calls;
                     on_elsewhere = elsewhere.get_executor().running_in_this_thread();
                     CHECK_FALSE(ec);
                     token = t.token;
                 }));
    rrs_cmd(f, {"PING"}); // the reply has come: the handler waits for its executor
    redis_test::settle(f.io);
    CHECK(calls == 0);
    REQUIRE(redis_test::run_until(elsewhere, [&] { return calls == 1; }));
    CHECK(on_elsewhere);

    tokens.async_rotate(
        token, boost::asio::bind_executor(
                   elsewhere.get_executor(), [&](error_code ec, auth::issued_refresh_token t) {
                       ++calls;
                       on_elsewhere = elsewhere.get_executor().running_in_this_thread();
                       CHECK_FALSE(ec);
                       CHECK(t.max_age <= std::chrono::days{7});
                   }));
    rrs_cmd(f, {"PING"});
    redis_test::settle(f.io);
    CHECK(calls == 1);
    elsewhere.restart();
    REQUIRE(redis_test::run_until(elsewhere, [&] { return calls == 2; }));
    CHECK(on_elsewhere);
}

TEST_CASE("redis refresh store: two processes share logins, reuse detection included") {
    rrs_fixture a;
    auto& b = a.second();
    auth::refresh_tokens<auth::redis_refresh_store> on_a(a.store), on_b(b.store);
    auto const login = rrs_run(a.io, [&](auto h) { on_a.async_issue("user_9", h); });
    REQUIRE_FALSE(login.ec);
    CHECK(login.token.max_age == std::chrono::days{7});
    // Rotated by the other process…
    auto const second = rrs_run(b.io, [&](auto h) { on_b.async_rotate(login.token.token, h); });
    REQUIRE_FALSE(second.ec);
    CHECK(second.token.user_id == "user_9");
    CHECK(second.token.max_age <= std::chrono::days{7});
    auto const third = rrs_run(a.io, [&](auto h) { on_a.async_rotate(second.token.token, h); });
    REQUIRE_FALSE(third.ec);
    // …and the first token presented again to either is a reuse.
    auto const reused = rrs_run(b.io, [&](auto h) { on_b.async_rotate(login.token.token, h); });
    CHECK(reused.ec == auth::error::refresh_reused);
    CHECK(reused.token.user_id == "user_9");
    auto const dead = rrs_run(a.io, [&](auto h) { on_a.async_rotate(third.token.token, h); });
    CHECK(dead.ec == auth::error::refresh_invalid);
    // Logout on one is logout everywhere.
    auto const again = rrs_run(a.io, [&](auto h) { on_a.async_issue("user_9", h); });
    std::optional<error_code> out;
    on_b.async_revoke(again.token.token, [&](error_code ec) { out = ec; });
    REQUIRE(redis_test::run_until(b.io, [&] { return out.has_value(); }));
    CHECK_FALSE(*out);
    CHECK(rrs_run(a.io, [&](auto h) { on_a.async_rotate(again.token.token, h); }).ec ==
          auth::error::refresh_invalid);
}

TEST_CASE("redis refresh store: 7 days absolute on a manual clock, as in memory") {
    rrs_fixture f;
    // A start in the future of Redis's own clock, which expires the keys.
    apikit::manual_clock<std::chrono::system_clock> clock{
        std::chrono::sys_seconds{std::chrono::seconds{rrs_t0}}};
    auth::refresh_tokens<auth::redis_refresh_store,
                         apikit::clock_ref<apikit::manual_clock<std::chrono::system_clock>>>
        tokens(f.store, std::chrono::days{7}, apikit::clock_ref(clock));
    auto const login = rrs_run(f.io, [&](auto h) { tokens.async_issue("u", h); });
    REQUIRE_FALSE(login.ec);
    CHECK(login.token.max_age == std::chrono::days{7});
    CHECK(rrs_cmd(f, {"EXPIRETIME",
                      f.store.family_key(auth::parse_refresh_token(login.token.token)->family)})
              .integer() == rrs_t0 + 7 * 86400);
    clock.advance(std::chrono::days{6});
    auto const day6 = rrs_run(f.io, [&](auto h) { tokens.async_rotate(login.token.token, h); });
    REQUIRE_FALSE(day6.ec);
    CHECK(day6.token.max_age == std::chrono::days{1});
    clock.advance(std::chrono::days{1} - std::chrono::seconds{1});
    auto const last = rrs_run(f.io, [&](auto h) { tokens.async_rotate(day6.token.token, h); });
    REQUIRE_FALSE(last.ec);
    CHECK(last.token.max_age == std::chrono::seconds{1});
    clock.advance(std::chrono::seconds{1});
    CHECK(rrs_run(f.io, [&](auto h) { tokens.async_rotate(last.token.token, h); }).ec ==
          auth::error::refresh_invalid);
}
