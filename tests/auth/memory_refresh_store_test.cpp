// The memory refresh store beyond the conformance suite: its bounds (a flood
// of logins evicts the families closest to expiry; forged tokens insert
// nothing), purging, what it refuses to keep, and its synchronous handlers.
#include <apikit/auth/memory_refresh_store.hpp>
#include <apikit/auth/refresh_token.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace auth = apikit::auth;
using auth::rotation_outcome;

namespace {

constexpr std::int64_t mrs_t0 = 1'700'000'000;

auth::family_record mrs_family(std::int64_t expires_at, std::string const& secret = "s") {
    return {auth::new_refresh_family(), "user", expires_at, auth::refresh_token_hash(secret)};
}

} // namespace

TEST_CASE("memory refresh store: at its bound a login evicts the family closest to expiry") {
    auth::memory_refresh_store s({.max_families = 64, .shards = 1});
    REQUIRE(s.max_families() == 64);
    std::vector<auth::family_record> families;
    for (int i = 0; i < 64; ++i) {
        families.push_back(mrs_family(mrs_t0 + 1000 + i));
        REQUIRE(s.try_create(families.back(), mrs_t0));
    }
    CHECK(s.size() == 64);
    // A flood of later logins never grows it past the bound; each evicts,
    // of a sample, the family that expires soonest: the first 64 go.
    for (int i = 0; i < 1000; ++i)
        REQUIRE(s.try_create(mrs_family(mrs_t0 + 100'000 + i), mrs_t0));
    CHECK(s.size() == 64);
    int alive = 0;
    for (auto const& fam : families)
        alive += s.try_rotate(fam.family, fam.token_hash, auth::refresh_token_hash("n"), mrs_t0)
                     .value()
                     .outcome == rotation_outcome::rotated;
    CHECK(alive == 0);
}

TEST_CASE("memory refresh store: expired families go first and purge drops them") {
    auth::memory_refresh_store s({.max_families = 16, .shards = 1});
    auto const dying = mrs_family(mrs_t0 + 10);
    auto const living = mrs_family(mrs_t0 + 1'000'000);
    REQUIRE(s.try_create(dying, mrs_t0));
    REQUIRE(s.try_create(living, mrs_t0));
    CHECK(s.purge(mrs_t0 + 9) == 0);
    CHECK(s.purge(mrs_t0 + 10) == 1);
    CHECK(s.size() == 1);
    // Past the bound, expired families make the room: the living one stays.
    for (int i = 0; i < 15; ++i)
        REQUIRE(s.try_create(mrs_family(mrs_t0 + 20), mrs_t0));
    for (int i = 0; i < 15; ++i)
        REQUIRE(s.try_create(mrs_family(mrs_t0 + 2'000'000), mrs_t0 + 30));
    CHECK(s.try_rotate(living.family, living.token_hash, auth::refresh_token_hash("n"), mrs_t0 + 30)
              .value()
              .outcome == rotation_outcome::rotated);
}

TEST_CASE("memory refresh store: rotating or revoking what is not there inserts nothing") {
    auth::memory_refresh_store s({.max_families = 16, .shards = 1});
    auto const fam = mrs_family(mrs_t0 + 1000);
    REQUIRE(s.try_create(fam, mrs_t0));
    for (int i = 0; i < 100; ++i) {
        auto const forged = auth::new_refresh_family();
        CHECK(s.try_rotate(forged, auth::refresh_token_hash("x"), auth::refresh_token_hash("y"),
                           mrs_t0)
                  .value()
                  .outcome == rotation_outcome::unknown);
        CHECK(s.try_revoke(forged));
    }
    CHECK(s.size() == 1);
    // A reuse removes the family's entry, not only its state.
    REQUIRE(s.try_rotate(fam.family, fam.token_hash, auth::refresh_token_hash("n"), mrs_t0)
                .value()
                .outcome == rotation_outcome::rotated);
    CHECK(s.try_rotate(fam.family, fam.token_hash, auth::refresh_token_hash("m"), mrs_t0)
              .value()
              .outcome == rotation_outcome::reused);
    CHECK(s.size() == 0);
}

TEST_CASE("memory refresh store: what it refuses to keep") {
    auth::memory_refresh_store s({.max_families = 16, .shards = 1});
    auto fam = mrs_family(mrs_t0 + 1000);
    auto bad = fam;
    bad.family.clear();
    CHECK(s.try_create(bad, mrs_t0).error() == apikit::errc::validation_error);
    bad = fam;
    bad.family = std::string(auth::max_refresh_family_size + 1, 'f');
    CHECK(s.try_create(bad, mrs_t0).error() == apikit::errc::validation_error);
    bad = fam;
    bad.user_id = std::string(auth::max_refresh_user_id_size + 1, 'u');
    CHECK(s.try_create(bad, mrs_t0).error() == apikit::errc::validation_error);
    bad = fam;
    bad.token_hash = "not a digest";
    CHECK(s.try_create(bad, mrs_t0).error() == apikit::errc::validation_error);
    CHECK(s.size() == 0);
    REQUIRE(s.try_create(fam, mrs_t0));
    CHECK(s.try_rotate(fam.family, fam.token_hash, "short", mrs_t0).error() ==
          apikit::errc::validation_error);
    // A presented hash of another length is simply not the family's.
    CHECK(
        s.try_rotate(fam.family, "short", auth::refresh_token_hash("n"), mrs_t0).value().outcome ==
        rotation_outcome::unknown);
    CHECK_THROWS_AS(auth::memory_refresh_store({.max_rotated = 0}), std::invalid_argument);
    CHECK_THROWS_AS(auth::memory_refresh_store({.shards = 3}), std::invalid_argument);
}

TEST_CASE("memory refresh store: its handlers run before the call returns, once") {
    auth::memory_refresh_store s({.max_families = 16, .shards = 1});
    auto const fam = mrs_family(mrs_t0 + 1000);
    int calls = 0;
    s.async_create(fam, mrs_t0, [&](boost::system::error_code ec) {
        ++calls;
        CHECK_FALSE(ec);
    });
    CHECK(calls == 1);
    s.async_rotate(fam.family, fam.token_hash, "short", mrs_t0,
                   [&](boost::system::error_code ec, auth::rotation r) {
                       ++calls;
                       CHECK(ec == apikit::errc::validation_error);
                       CHECK(r.outcome == rotation_outcome::unknown);
                   });
    CHECK(calls == 2);
    s.async_revoke(fam.family, [&](boost::system::error_code ec) {
        ++calls;
        CHECK_FALSE(ec);
    });
    CHECK(calls == 3);
    CHECK(s.size() == 0);
}
