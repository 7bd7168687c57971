// auth::key_set: lookup by kid, the signing key through a rotation,
// retire and replace, the published JWKS, generations, and readers on
// several threads while a writer rotates (run under ThreadSanitizer).

#include <apikit/auth/key_set.hpp>

#include "tokens_support.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

namespace key_set_test {

using namespace tokens_test;

TEST_CASE("key_set: keys are found by kid, and the first key that can sign signs") {
    auth::key_set keys;
    CHECK(keys.size() == 0);
    CHECK(keys.find("a") == nullptr);
    CHECK(keys.signing_key() == nullptr);
    keys.add(auth::key::from_pem(auth::algorithm::rs256, rsa_key().public_pem(), "pub").value());
    CHECK(keys.signing_key() == nullptr);
    keys.add(hs_key("b"));
    keys.add(hs_key("a"));
    CHECK(keys.size() == 3);
    CHECK(keys.find("a")->kid() == "a");
    CHECK(keys.find("pub")->alg() == auth::algorithm::rs256);
    CHECK(keys.find("c") == nullptr);
    CHECK(keys.signing_key()->kid() == "b");
}

TEST_CASE("key_set: a rotation signs with the new key and keeps the old one until retired") {
    auth::key_set keys;
    keys.add(hs_key("old"));
    auto const g0 = keys.generation();
    keys.add(hs_key("new", 'n'));
    CHECK(keys.generation() != g0);
    CHECK(keys.signing_key()->kid() == "old");
    keys.use_for_signing("new");
    CHECK(keys.signing_key()->kid() == "new");
    CHECK(keys.find("old") != nullptr);
    CHECK(keys.retire("old"));
    CHECK_FALSE(keys.retire("old"));
    CHECK(keys.find("old") == nullptr);
    CHECK(keys.retire("new"));
    CHECK(keys.signing_key() == nullptr);
    CHECK_THROWS_AS(keys.use_for_signing("absent"), std::invalid_argument);
    keys.add(auth::key::from_pem(auth::algorithm::rs256, rsa_key().public_pem(), "pub").value());
    CHECK_THROWS_AS(keys.use_for_signing("pub"), std::invalid_argument);
}

TEST_CASE("key_set: add replaces a key of the same kid, and replace swaps the whole set") {
    auth::key_set keys;
    keys.add(hs_key("k", 'a'));
    auto const first = keys.find("k");
    keys.add(hs_key("k", 'b'));
    CHECK(keys.size() == 1);
    CHECK(keys.find("k") != first);
    CHECK(keys.signing_key() == keys.find("k"));

    keys.replace({hs_key("x"), hs_key("y"), hs_key("x", 'z')});
    CHECK(keys.size() == 2);
    CHECK(keys.find("k") == nullptr);
    CHECK(keys.signing_key() == nullptr); // the signing key's kid is gone
}

TEST_CASE("key_set: jwks publishes the public keys only, never an HMAC secret") {
    auth::key_set keys;
    keys.add(hs_key("secret"));
    keys.add(rsa_key());
    auto const doc = boost::json::parse(keys.jwks()).as_object();
    auto const& list = doc.at("keys").as_array();
    REQUIRE(list.size() == 1);
    CHECK(list[0].at("kid").as_string() == "rsa-1");
    CHECK(list[0].as_object().if_contains("d") == nullptr);
}

TEST_CASE("key_set: generations are unique across sets and change on every change") {
    auth::key_set a, b;
    std::set<std::uint64_t> seen{a.generation(), b.generation()};
    a.add(hs_key("1"));
    seen.insert(a.generation());
    b.add(hs_key("1"));
    seen.insert(b.generation());
    CHECK(seen.size() == 4);
}

TEST_CASE("key_set: one thread reading more sets than it keeps snapshots of reads each right") {
    std::vector<std::unique_ptr<auth::key_set>> sets;
    for (int i = 0; i < 6; ++i) {
        sets.push_back(std::make_unique<auth::key_set>());
        sets.back()->add(hs_key("set" + std::to_string(i)));
    }
    for (int round = 0; round < 3; ++round)
        for (int i = 0; i < 6; ++i) {
            CAPTURE(i);
            CHECK(sets[i]->find("set" + std::to_string(i)) != nullptr);
            CHECK(sets[i]->find("set" + std::to_string((i + 1) % 6)) == nullptr);
            if (round == 1)
                sets[i]->add(hs_key("late"));
            CHECK((sets[i]->find("late") != nullptr) == (round >= 1));
        }
    // a set destroyed and another made, perhaps at the same address: nothing stale
    sets[0] = std::make_unique<auth::key_set>();
    CHECK(sets[0]->find("set0") == nullptr);
    CHECK(sets[0]->size() == 0);
}

TEST_CASE("key_set: readers on several threads see a consistent set while a writer rotates") {
    auth::key_set keys;
    keys.add(hs_key("k0"));
    std::atomic<bool> stop{false};
    std::atomic<long> lookups{0};
    std::atomic<int> wrong{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t)
        readers.emplace_back([&] {
            bool seen_stable = false;
            while (!stop.load()) {
                // "stable", once added, is never retired: once seen, always found.
                auto const k = keys.find("stable");
                if ((k && k->kid() != "stable") || (seen_stable && !k))
                    ++wrong;
                seen_stable = seen_stable || k;
                auto const rotating = "k" + std::to_string(lookups.load() % 4);
                if (auto const r = keys.find(rotating); r && r->kid() != rotating)
                    ++wrong;
                (void)keys.signing_key();
                ++lookups;
            }
        });
    // Each change waits for the readers to have looked a few times since the
    // last (yielding, not sleeping), so reads and writes interleave.
    auto const let_readers_read = [&] {
        auto const seen = lookups.load();
        while (lookups.load() < seen + 3)
            std::this_thread::yield();
    };
    let_readers_read();
    keys.add(hs_key("stable"));
    for (int i = 1; i < 200; ++i) {
        keys.add(hs_key("k" + std::to_string(i % 4)));
        keys.use_for_signing("k" + std::to_string(i % 4));
        (void)keys.retire("k" + std::to_string((i + 2) % 4));
        if (i % 10 == 0)
            let_readers_read();
    }
    stop = true;
    for (auto& t : readers)
        t.join();
    CHECK(wrong.load() == 0);
    CHECK(lookups.load() >= 60);
    CHECK(keys.find("stable") != nullptr);
}

} // namespace key_set_test
