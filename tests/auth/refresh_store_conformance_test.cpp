// The behaviour every auth::refresh_store must have, run against each store
// (refresh_fixtures.hpp): create, rotate, reuse revoking the whole family,
// unknown families and secrets, expiry at the boundary, revoke, the bound on
// remembered rotations, two rotations of one token racing, and a random
// trace against a plain model.
#include <apikit/auth/refresh_store.hpp>

#include "refresh_fixtures.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <latch>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace auth = apikit::auth;
using auth::rotation_outcome;

namespace {

// Unix seconds far in the future: a Redis store's keys expire at a family's
// expires_at by Redis's own clock, which these tests do not move.
constexpr std::int64_t conf_t0 = 4'000'000'000;
constexpr std::int64_t conf_life = 7 * 24 * 3600;

auth::family_record conf_family(std::string const& secret, std::string user = "user_1") {
    return {auth::new_refresh_family(), std::move(user), conf_t0 + conf_life,
            refresh_test::hash_of(secret)};
}

} // namespace

TEST_CASE_TEMPLATE("refresh store: a family rotates from secret to secret", Store,
                   APIKIT_REFRESH_STORES) {
    refresh_test::store_fixture<Store> f;
    auto const fam = conf_family("s0");
    REQUIRE(refresh_test::create(f, fam, conf_t0));
    auto const h = [](int i) { return refresh_test::hash_of("s" + std::to_string(i)); };
    for (int i = 0; i < 5; ++i) {
        auto const r = refresh_test::rotate(f, fam.family, h(i), h(i + 1), conf_t0 + i).value();
        CHECK(r.outcome == rotation_outcome::rotated);
        CHECK(r.user_id == "user_1");
        CHECK(r.expires_at == conf_t0 + conf_life); // never moved by a rotation
    }
}

TEST_CASE_TEMPLATE("refresh store: a rotated secret presented again revokes the whole family",
                   Store, APIKIT_REFRESH_STORES) {
    refresh_test::store_fixture<Store> f;
    auto const fam = conf_family("a");
    REQUIRE(refresh_test::create(f, fam, conf_t0));
    auto const a = refresh_test::hash_of("a"), b = refresh_test::hash_of("b"),
               c = refresh_test::hash_of("c");
    REQUIRE(refresh_test::rotate(f, fam.family, a, b, conf_t0).value().outcome ==
            rotation_outcome::rotated);
    REQUIRE(refresh_test::rotate(f, fam.family, b, c, conf_t0).value().outcome ==
            rotation_outcome::rotated);

    SUBCASE("the one just rotated") {
        auto const r =
            refresh_test::rotate(f, fam.family, b, refresh_test::hash_of("x"), conf_t0).value();
        CHECK(r.outcome == rotation_outcome::reused);
        CHECK(r.user_id == "user_1");
        CHECK(r.expires_at == conf_t0 + conf_life);
    }
    SUBCASE("an older one") {
        CHECK(refresh_test::rotate(f, fam.family, a, refresh_test::hash_of("x"), conf_t0)
                  .value()
                  .outcome == rotation_outcome::reused);
    }
    // The newest token of the family is dead too, and so is every other.
    CHECK(refresh_test::rotate(f, fam.family, c, refresh_test::hash_of("y"), conf_t0)
              .value()
              .outcome == rotation_outcome::unknown);
    CHECK(refresh_test::rotate(f, fam.family, a, refresh_test::hash_of("y"), conf_t0)
              .value()
              .outcome == rotation_outcome::unknown);
}

TEST_CASE_TEMPLATE("refresh store: an unknown family or a wrong secret is unknown and revokes "
                   "nothing",
                   Store, APIKIT_REFRESH_STORES) {
    refresh_test::store_fixture<Store> f;
    auto const fam = conf_family("a");
    REQUIRE(refresh_test::create(f, fam, conf_t0));
    auto const a = refresh_test::hash_of("a"), b = refresh_test::hash_of("b");
    auto const other = auth::new_refresh_family();
    auto const none = refresh_test::rotate(f, other, a, b, conf_t0).value();
    CHECK(none.outcome == rotation_outcome::unknown);
    CHECK(none.user_id.empty());
    CHECK(refresh_test::rotate(f, fam.family, refresh_test::hash_of("wrong"), b, conf_t0)
              .value()
              .outcome == rotation_outcome::unknown);
    // The family is intact: its current secret still rotates.
    CHECK(refresh_test::rotate(f, fam.family, a, b, conf_t0).value().outcome ==
          rotation_outcome::rotated);
    // Families are apart: the same hashes under another family are unknown.
    auto const fam2 = conf_family("a", "user_2");
    REQUIRE(refresh_test::create(f, fam2, conf_t0));
    auto const r2 = refresh_test::rotate(f, fam2.family, a, b, conf_t0).value();
    CHECK(r2.outcome == rotation_outcome::rotated);
    CHECK(r2.user_id == "user_2");
}

TEST_CASE_TEMPLATE("refresh store: a family is alive strictly before its expiry", Store,
                   APIKIT_REFRESH_STORES) {
    refresh_test::store_fixture<Store> f;
    auto fam = conf_family("a");
    fam.expires_at = conf_t0 + 100;
    REQUIRE(refresh_test::create(f, fam, conf_t0));
    auto const a = refresh_test::hash_of("a"), b = refresh_test::hash_of("b");
    CHECK(refresh_test::rotate(f, fam.family, a, b, conf_t0 + 99).value().outcome ==
          rotation_outcome::rotated);
    // At expires_at the current secret is refused, and an old one revokes
    // nothing any more: the family is simply over.
    CHECK(refresh_test::rotate(f, fam.family, b, a, conf_t0 + 100).value().outcome ==
          rotation_outcome::unknown);
    CHECK(refresh_test::rotate(f, fam.family, a, b, conf_t0 + 100).value().outcome ==
          rotation_outcome::unknown);
    CHECK(refresh_test::rotate(f, fam.family, b, a, conf_t0 + 5000).value().outcome ==
          rotation_outcome::unknown);
}

TEST_CASE_TEMPLATE("refresh store: revoke forgets a family, and an unknown one is no error", Store,
                   APIKIT_REFRESH_STORES) {
    refresh_test::store_fixture<Store> f;
    auto const fam = conf_family("a");
    REQUIRE(refresh_test::create(f, fam, conf_t0));
    auto const keep = conf_family("k");
    REQUIRE(refresh_test::create(f, keep, conf_t0));
    CHECK(refresh_test::revoke(f, fam.family));
    CHECK(refresh_test::rotate(f, fam.family, refresh_test::hash_of("a"),
                               refresh_test::hash_of("b"), conf_t0)
              .value()
              .outcome == rotation_outcome::unknown);
    CHECK(refresh_test::revoke(f, fam.family));                 // again
    CHECK(refresh_test::revoke(f, auth::new_refresh_family())); // never was
    // Another family is untouched.
    CHECK(refresh_test::rotate(f, keep.family, refresh_test::hash_of("k"),
                               refresh_test::hash_of("l"), conf_t0)
              .value()
              .outcome == rotation_outcome::rotated);
}

TEST_CASE_TEMPLATE("refresh store: it remembers the last max_rotated secrets as reused", Store,
                   APIKIT_REFRESH_STORES) {
    refresh_test::store_fixture<Store> f;
    constexpr int n = static_cast<int>(refresh_test::store_fixture<Store>::max_rotated);
    auto const h = [](int i) { return refresh_test::hash_of("r" + std::to_string(i)); };
    auto fam = conf_family("r0");
    REQUIRE(refresh_test::create(f, fam, conf_t0));
    for (int i = 0; i <= n; ++i) // n + 1 rotations: r0 … r(n) rotated away
        REQUIRE(refresh_test::rotate(f, fam.family, h(i), h(i + 1), conf_t0).value().outcome ==
                rotation_outcome::rotated);
    // r0 is past the bound: unknown, and the family lives on.
    CHECK(refresh_test::rotate(f, fam.family, h(0), h(99), conf_t0).value().outcome ==
          rotation_outcome::unknown);
    CHECK(refresh_test::rotate(f, fam.family, h(n + 1), h(n + 2), conf_t0).value().outcome ==
          rotation_outcome::rotated);
    // The oldest remembered (r2, n rotations back) still revokes.
    CHECK(refresh_test::rotate(f, fam.family, h(2), h(99), conf_t0).value().outcome ==
          rotation_outcome::reused);
}

TEST_CASE_TEMPLATE("refresh store: two rotations of one token at once: one rotates, the other is "
                   "reuse",
                   Store, APIKIT_REFRESH_STORES) {
    refresh_test::store_fixture<Store> f;
    auto& other = f.second();
    for (int round = 0; round < 50; ++round) {
        CAPTURE(round);
        auto const fam = conf_family("a");
        REQUIRE(refresh_test::create(f, fam, conf_t0));
        auto const a = refresh_test::hash_of("a");
        std::array<std::string, 2> const next{refresh_test::hash_of("b"),
                                              refresh_test::hash_of("c")};
        std::array<std::optional<apikit::result<auth::rotation>>, 2> got;
        std::array<bool, 2> answered{};
        std::latch start(2);
        auto race = [&](auto& side, int i) {
            std::atomic<bool> done{false};
            start.arrive_and_wait();
            side.store.async_rotate(fam.family, a, next[i], conf_t0,
                                    [&](boost::system::error_code ec, auth::rotation r) {
                                        if (ec)
                                            got[i].emplace(ec);
                                        else
                                            got[i].emplace(std::move(r));
                                        done = true;
                                    });
            if constexpr (requires { side.run_quietly_until([] { return true; }); })
                side.run_quietly_until([&] { return done.load(); });
            answered[i] = done.load();
        };
        std::thread t1([&] { race(f, 0); });
        std::thread t2([&] { race(other, 1); });
        t1.join();
        t2.join();
        REQUIRE(answered[0]);
        REQUIRE(answered[1]);
        auto const o0 = got[0]->value().outcome, o1 = got[1]->value().outcome;
        CHECK(((o0 == rotation_outcome::rotated && o1 == rotation_outcome::reused) ||
               (o1 == rotation_outcome::rotated && o0 == rotation_outcome::reused)));
        // The reuse revoked the family: the winner's new secret is dead too.
        auto const winner = o0 == rotation_outcome::rotated ? 0 : 1;
        CHECK(refresh_test::rotate(f, fam.family, next[winner], refresh_test::hash_of("d"), conf_t0)
                  .value()
                  .outcome == rotation_outcome::unknown);
    }
}

namespace {

// What every store must answer, as plainly as it can be written.
struct conf_model_family {
    std::string user;
    std::int64_t expires_at = 0;
    std::string current;
    std::deque<std::string> rotated; // newest first, at most max_rotated
    bool alive = true;
};

struct conf_model {
    std::size_t max_rotated;
    std::map<std::string, conf_model_family> families;

    auth::rotation rotate(std::string const& family, std::string const& presented,
                          std::string const& next, std::int64_t now) {
        auto it = families.find(family);
        if (it == families.end() || !it->second.alive || now >= it->second.expires_at)
            return {};
        auto& f = it->second;
        if (presented == f.current) {
            f.rotated.push_front(f.current);
            if (f.rotated.size() > max_rotated)
                f.rotated.pop_back();
            f.current = next;
            return {rotation_outcome::rotated, f.user, f.expires_at};
        }
        if (std::find(f.rotated.begin(), f.rotated.end(), presented) != f.rotated.end()) {
            f.alive = false;
            return {rotation_outcome::reused, f.user, f.expires_at};
        }
        return {};
    }
};

} // namespace

TEST_CASE_TEMPLATE("refresh store: matches the plain model on a random trace", Store,
                   APIKIT_REFRESH_STORES) {
    refresh_test::store_fixture<Store> f;
    conf_model model{refresh_test::store_fixture<Store>::max_rotated, {}};
    std::vector<std::string> families;
    std::uint64_t seed = 0x5eed;
    auto next_random = [&] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return seed >> 33;
    };
    int secrets = 0;
    auto fresh_hash = [&] { return refresh_test::hash_of("t" + std::to_string(++secrets)); };
    std::int64_t now = conf_t0;
    std::map<rotation_outcome, int> seen;
    for (int step = 0; step < 400; ++step) {
        CAPTURE(step);
        auto const what = next_random() % 20;
        if (families.empty() || what < 3) {
            auth::family_record r{auth::new_refresh_family(), "u" + std::to_string(step),
                                  now + 100 + static_cast<std::int64_t>(next_random() % 500),
                                  fresh_hash()};
            REQUIRE(refresh_test::create(f, r, now));
            model.families[r.family] = {r.user_id, r.expires_at, r.token_hash, {}, true};
            families.push_back(r.family);
            continue;
        }
        // Mostly the latest families, which are mostly alive; now and then any.
        auto const recent = std::min<std::size_t>(families.size(), 4);
        auto const& family = next_random() % 4 == 0
                                 ? families[next_random() % families.size()]
                                 : families[families.size() - 1 - next_random() % recent];
        auto const& m = model.families[family];
        if (what == 3) {
            REQUIRE(refresh_test::revoke(f, family));
            model.families[family].alive = false;
            continue;
        }
        if (what < 6) {
            now += static_cast<std::int64_t>(next_random() % 10);
            continue;
        }
        // Present the current hash, a rotated one, or one never issued.
        std::string presented;
        auto const pick = next_random() % 8;
        if (pick < 6 || m.rotated.empty())
            presented = pick == 7 ? fresh_hash() : m.current;
        else
            presented = m.rotated[next_random() % m.rotated.size()];
        auto const next = fresh_hash();
        auto const want = model.rotate(family, presented, next, now);
        auto const got = refresh_test::rotate(f, family, presented, next, now).value();
        CHECK(got.outcome == want.outcome);
        CHECK(got.user_id == want.user_id);
        CHECK(got.expires_at == want.expires_at);
        ++seen[want.outcome];
    }
    // The trace reached every answer, often.
    CHECK(seen[rotation_outcome::rotated] > 80);
    CHECK(seen[rotation_outcome::reused] > 10);
    CHECK(seen[rotation_outcome::unknown] > 30);
}
