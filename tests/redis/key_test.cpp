// Key namespacing and Redis Cluster hash slots: known values from the
// cluster specification, and agreement with a real Redis in cluster mode
// (CLUSTER KEYSLOT) on thousands of keys.

#include "support.hpp"

#include <apikit/redis/key.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace redis_test;
using redis::hash_slot;
using redis::key_space;

// Computed at compile time: the table and the function are constexpr.
static_assert(redis::crc16("123456789") == 0x31C3);
static_assert(hash_slot("foo") == 12182);

TEST_CASE("hash_slot: the values the Redis Cluster specification gives") {
    // "The CRC16 of 123456789 is 0x31C3" (the spec's reference output).
    CHECK(redis::crc16("123456789") == 0x31C3);
    CHECK(redis::crc16("") == 0);
    CHECK(hash_slot("foo") == 12182);
    CHECK(hash_slot("bar") == 5061);
    CHECK(hash_slot("hello") == 866);
    CHECK(hash_slot("") == 0);
}

TEST_CASE("hash_tag: the spec's rules for {…}") {
    // Keys with one tag share a slot.
    CHECK(hash_slot("{user1000}.following") == hash_slot("{user1000}.followers"));
    CHECK(hash_slot("{user1000}.following") == 3443);
    // The first {…} counts; an empty {} is no tag; the tag ends at the first }.
    CHECK(redis::hash_tag("foo{bar}{zap}") == "bar");
    CHECK(hash_slot("foo{bar}{zap}") == hash_slot("bar"));
    CHECK(redis::hash_tag("foo{}{bar}") == "foo{}{bar}");
    CHECK(hash_slot("foo{}{bar}") == 8363);
    CHECK(redis::hash_tag("foo{{bar}}zap") == "{bar");
    CHECK(hash_slot("foo{{bar}}zap") == 4015);
    CHECK(redis::hash_tag("no{close") == "no{close");
}

TEST_CASE("key_space: apikit:<area>:… with hash tags") {
    key_space const rl("rl");
    CHECK(rl.prefix() == "apikit:rl:");
    CHECK(rl.key("global") == "apikit:rl:global");
    CHECK(rl.tagged("user_123") == "apikit:rl:{user_123}");
    CHECK(rl.tagged("user_123", "burst") == "apikit:rl:{user_123}:burst");
    CHECK(hash_slot(rl.tagged("user_123", "burst")) == hash_slot(rl.tagged("user_123", "day")));
    CHECK(hash_slot(rl.tagged("user_123")) == hash_slot("user_123"));

    key_space const mine("cache", "shop");
    CHECK(mine.key("user:1") == "shop:cache:user:1");

    CHECK_THROWS_AS(key_space(""), std::invalid_argument);
    CHECK_THROWS_AS(key_space("r{l"), std::invalid_argument);
    CHECK_THROWS_AS(key_space("rl", "a}"), std::invalid_argument);
    CHECK_THROWS_AS(key_space("rl", ""), std::invalid_argument);
}

TEST_CASE("same_slot: one tag passes, two tags or untagged keys do not") {
    key_space const rl("rl");
    auto const a = rl.tagged("u1", "a"), b = rl.tagged("u1", "b"), c = rl.tagged("u2", "a");
    CHECK(redis::same_slot(std::vector<redis::arg>{a, b}));
    CHECK_FALSE(redis::same_slot(std::vector<redis::arg>{a, c}));
    CHECK(redis::same_slot(std::vector<redis::arg>{a}));
    CHECK(redis::same_slot({}));
    // An empty tag is no tag: the two keys hash whole, to different slots.
    CHECK_FALSE(redis::same_slot(std::vector<redis::arg>{rl.tagged("", "a"), rl.tagged("", "b")}));
}

TEST_CASE("hash_slot agrees with CLUSTER KEYSLOT of a real Redis on 3000 keys") {
    redis_server server({"--cluster-enabled", "yes"});
    asio::io_context io;
    redis::connection conn(io.get_executor(), options_for(server.port()));
    REQUIRE_FALSE(connect(io, conn));

    // Random ids, tagged keys, odd braces, and bytes of every value.
    std::vector<std::string> keys;
    key_space const rl("rl");
    for (int i = 0; i < 1000; ++i)
        keys.push_back(apikit::random_id("user_"));
    for (int i = 0; i < 1000; ++i)
        keys.push_back(rl.tagged(std::to_string(i), "burst"));
    for (int i = 0; i < 1000; ++i) {
        std::string k;
        std::uint64_t bits = 0;
        apikit::random_bytes(&bits, sizeof bits);
        for (int j = 0; j < 1 + static_cast<int>(bits % 12); ++j) {
            unsigned char b = 0;
            apikit::random_bytes(&b, 1);
            k.push_back(j % 4 == 1 ? '{' : j % 5 == 3 ? '}' : static_cast<char>(b));
        }
        keys.push_back(k);
    }

    std::vector<std::int64_t> got(keys.size(), -1);
    std::size_t done = 0;
    for (std::size_t i = 0; i < keys.size(); ++i)
        conn.async_exec({"CLUSTER", "KEYSLOT", keys[i]}, [&, i](error_code ec, redis::reply r) {
            ++done;
            if (!ec && r.is_integer())
                got[i] = r.integer();
        });
    REQUIRE(run_until(io, [&] { return done == keys.size(); }));
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (got[i] != hash_slot(keys[i]))
            ++mismatches;
    CHECK(mismatches == 0);
}
