// auth::verification_cache through the verifier: a hit returns the claims
// the first verification made; it never passes a token that would fail now
// (expired, not yet valid, its key retired or replaced, another token with
// the same signature); it stays within its bound; and it holds under
// threads while the key set changes (run under ThreadSanitizer).

#include <apikit/auth/verifier.hpp>

#include "tokens_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace verification_cache_test {

using namespace tokens_test;
using auth::error;

inline auth::verify_options cached_options(std::size_t entries = 256) {
    auth::verify_options o;
    o.issuer = "https://issuer.test";
    o.audiences = {"api"};
    o.cache_entries = entries;
    return o;
}

using cached_verifier = auth::verifier<clock_ref>;

TEST_CASE("verification_cache: a hit returns the claims of the first verification") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    cached_verifier v(keys, cached_options(), clock_ref(mc));
    REQUIRE(v.cache() != nullptr);
    auto const token = access_token(*keys.find("k1"));
    auto const first = v.verify(token).value();
    CHECK(v.cache()->size() == 1);
    auto const second = v.verify(token).value();
    CHECK(second == first); // the same object: no decode, no signature check
    CHECK(second->sub == "user_1");

    auth::verifier<clock_ref> uncached(
        keys,
        [] {
            auto o = cached_options();
            o.cache_entries = 0;
            return o;
        }(),
        clock_ref(mc));
    CHECK(uncached.cache() == nullptr);
    CHECK(uncached.verify(token).value() != uncached.verify(token).value());
}

TEST_CASE("verification_cache: a cached token is checked against the clock on every hit") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    auto c = access_claims();
    c.nbf = t0;
    auto const token = access_token(*keys.find("k1"), c);
    system_manual_clock mc(at(t0));
    cached_verifier v(keys, cached_options(), clock_ref(mc));
    REQUIRE(v.verify(token));
    mc.set(at(t0 + 899));
    CHECK(v.verify(token));
    mc.set(at(t0 + 900));
    CHECK(v.verify(token).error() == error::expired);
    mc.set(at(t0 - 1)); // a clock stepped back
    CHECK(v.verify(token).error() == error::not_yet_valid);
    mc.set(at(t0));
    CHECK(v.verify(token));
}

TEST_CASE("verification_cache: only the whole token hits, not one that shares its signature") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    cached_verifier v(keys, cached_options(), clock_ref(mc));
    auto const token = access_token(*keys.find("k1"));
    REQUIRE(v.verify(token));
    auto const other = access_token(*keys.find("k1"), access_claims("admin"));
    auto const spliced = other.substr(0, other.rfind('.')) + token.substr(token.rfind('.'));
    CHECK(v.verify(spliced).error() == error::bad_signature);
    CHECK(v.verify("x" + token).error() == error::malformed);
    CHECK(v.verify(token));
}

TEST_CASE("verification_cache: a key replaced under the same kid, or a JWKS reload, drops its "
          "tokens") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    keys.add(hs_key("k2", '2'));
    system_manual_clock mc(at(t0));
    cached_verifier v(keys, cached_options(), clock_ref(mc));
    auto const t1 = access_token(*keys.find("k1"));
    auto const t2 = access_token(*keys.find("k2"));
    REQUIRE(v.verify(t1));
    REQUIRE(v.verify(t2));
    CHECK(v.cache()->size() == 2);

    keys.add(hs_key("k1", 'x')); // another secret, the same kid
    CHECK(v.verify(t1).error() == error::bad_signature);
    CHECK(v.verify(t2));
    CHECK(v.cache()->size() == 1);

    keys.replace({hs_key("k2", '2')}); // the same secret, but a new key: checked again
    CHECK(v.verify(t2));
    CHECK(v.cache()->size() == 1);
}

TEST_CASE("verification_cache: adding a key keeps the cached tokens of the others") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    cached_verifier v(keys, cached_options(), clock_ref(mc));
    auto const token = access_token(*keys.find("k1"));
    auto const first = v.verify(token).value();
    keys.add(hs_key("k2"));
    CHECK(v.verify(token).value() == first);
}

TEST_CASE("verification_cache: a token without kid stops hitting once the set has two keys") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    cached_verifier v(keys, cached_options(), clock_ref(mc));
    auto const unnamed =
        raw_token(*keys.find("k1"), R"({"alg":"HS256","typ":"at+jwt"})",
                  boost::json::serialize(boost::json::value_from(access_claims())));
    REQUIRE(v.verify(unnamed));
    REQUIRE(v.verify(unnamed));
    keys.add(hs_key("k2"));
    CHECK(v.verify(unnamed).error() == error::unknown_key);
}

TEST_CASE("verification_cache: endless distinct tokens never grow it past its bound") {
    auth::key_set keys;
    keys.add(hs_key("k1"));
    system_manual_clock mc(at(t0));
    cached_verifier v(keys, cached_options(64), clock_ref(mc));
    auto const bound = v.cache()->max_entries();
    CHECK(bound >= 64);
    CHECK(bound < 128);
    for (int i = 0; i < 1000; ++i)
        REQUIRE(v.verify(access_token(*keys.find("k1"), access_claims("u" + std::to_string(i)))));
    CHECK(v.cache()->size() <= bound);
    // expired entries are the first to go
    mc.set(at(t0 + 900));
    CHECK(v.cache()->purge(t0 + 900) > 0);
    CHECK(v.cache()->size() == 0);
}

TEST_CASE("verification_cache: threads verify hot tokens while the key set rotates") {
    auth::key_set keys;
    keys.add(hs_key("stable"));
    keys.add(hs_key("r0"));
    system_manual_clock mc(at(t0));
    cached_verifier v(keys, cached_options(), clock_ref(mc));
    std::vector<std::string> stable_tokens;
    for (int i = 0; i < 8; ++i)
        stable_tokens.push_back(
            access_token(*keys.find("stable"), access_claims("u" + std::to_string(i))));
    auto const rotating = access_token(*keys.find("r0"));

    std::atomic<bool> stop{false};
    std::atomic<int> failures{0}, passes_after_retire{0};
    std::atomic<long> rounds{0};
    std::atomic<bool> retired{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; !stop.load(); ++i) {
                if (!v.verify(stable_tokens[(i + t) % stable_tokens.size()]))
                    ++failures;
                bool const was_retired = retired.load();
                if (v.verify(rotating) && was_retired)
                    ++passes_after_retire;
                ++rounds;
            }
        });
    // Changes wait for the threads to have verified a few rounds since the
    // last wait (yielding, not sleeping), so verifying and changing interleave.
    auto const let_threads_verify = [&] {
        auto const seen = rounds.load();
        while (rounds.load() < seen + 3)
            std::this_thread::yield();
    };
    for (int i = 0; i < 100; ++i) {
        keys.add(hs_key("other" + std::to_string(i % 3)));
        (void)keys.retire("other" + std::to_string((i + 1) % 3));
        if (i % 10 == 0)
            let_threads_verify();
    }
    (void)keys.retire("r0");
    retired = true;
    let_threads_verify();
    for (int i = 0; i < 50; ++i) {
        keys.add(hs_key("late" + std::to_string(i % 2)));
        if (i % 10 == 0)
            let_threads_verify();
    }
    stop = true;
    for (auto& th : threads)
        th.join();
    CHECK(failures.load() == 0);
    CHECK(passes_after_retire.load() == 0);
    CHECK(v.verify(rotating).error() == error::unknown_key);
}

} // namespace verification_cache_test
