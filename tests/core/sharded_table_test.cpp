// apikit::sharded_table: the bound, which entries it drops and evicts, erase
// and purge, and many threads at once (also run under ThreadSanitizer). Time
// is a plain integer the tests move by hand.
#include <apikit/core/sharded_table.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <new>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr std::int64_t never_idle = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t always_idle = std::numeric_limits<std::int64_t>::min();

// An entry that is idle from the instant the test says, holding the key it
// was written for (so that a test sees which key's state it found).
// [table-entry]
struct timed_entry {
    std::uint64_t tag = 0;
    std::int64_t idle = always_idle;
    std::uint64_t key = 0;

    std::int64_t idle_at() const noexcept { return idle; }
    void move_from(timed_entry& o) noexcept {
        tag = o.tag;
        idle = o.idle;
        key = o.key;
    }
    void reset() noexcept {
        idle = always_idle;
        key = 0;
    }
};
// [table-entry]

// An entry that threads update under a shared lock: a counter.
struct counter_entry {
    std::uint64_t tag = 0;
    std::atomic<std::uint64_t> hits{0};

    std::int64_t idle_at() const noexcept { return never_idle; }
    void move_from(counter_entry& o) noexcept {
        tag = o.tag;
        hits.store(o.hits.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
    void reset() noexcept { hits.store(0, std::memory_order_relaxed); }
};

static_assert(apikit::table_entry<timed_entry>);
static_assert(apikit::table_entry<counter_entry>);

// An entry whose construction fails once its budget is spent: the table's
// growth then fails as an allocation would.
struct fragile_entry : timed_entry {
    static inline int budget = -1; // constructions left; -1 for no limit
    fragile_entry() {
        if (budget == 0)
            throw std::bad_alloc();
        if (budget > 0)
            --budget;
    }
    void move_from(fragile_entry& o) noexcept { timed_entry::move_from(o); }
};

// A stand-in for a key's secret hash: splitmix64's finalizer, a bijection.
std::uint64_t hash_of(std::uint64_t key) noexcept {
    std::uint64_t z = key + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// [table-use]
template <class Table>
void put(Table& t, std::uint64_t key, std::int64_t idle_at, std::int64_t now) {
    auto const h = hash_of(key);
    t.find_or_insert(h, apikit::table_tag(h), now, [&](timed_entry& e) {
        e.idle = idle_at;
        e.key = key;
    });
}

// The key whose state the table holds under this key's tag, or 0 for none.
template <class Table>
std::uint64_t found(Table const& t, std::uint64_t key) {
    auto const h = hash_of(key);
    std::array<std::uint64_t, 1> const tag{apikit::table_tag(h)};
    return t.find(h, tag, [](std::span<timed_entry const* const> e) {
        return e[0] == nullptr ? std::uint64_t{0} : e[0]->key;
    });
}
// [table-use]

// Runs f(0) … f(n - 1) on n threads at once and waits for them.
template <class F>
void on_threads(int n, F f) {
    std::vector<std::thread> pool;
    for (int i = 0; i < n; ++i)
        pool.emplace_back(f, i);
    for (auto& th : pool)
        th.join();
}

} // namespace

TEST_CASE("sharded_table: a flood of live keys never grows it past its bound") {
    apikit::sharded_table<timed_entry> t(1000, 4);
    CHECK(t.max_entries() == 1000);
    CHECK(t.shard_count() == 4);
    std::size_t peak = 0;
    for (std::uint64_t k = 1; k <= 100'000; ++k) {
        auto const now = static_cast<std::int64_t>(k);
        put(t, k, now + 1'000'000, now); // none is idle while the flood lasts
        peak = std::max(peak, t.size());
    }
    CHECK(peak <= t.max_entries());
    CHECK(t.size() >= t.max_entries() / 2); // it did fill up
    CHECK(t.memory_bytes() <= t.max_memory_bytes());
    CHECK(found(t, 100'000) == 100'000); // the newest key is there
}

TEST_CASE("sharded_table: the bound is rounded up per shard and is at least 8 each") {
    CHECK(apikit::sharded_table<timed_entry>(1000, 64).max_entries() == 64 * 16);
    CHECK(apikit::sharded_table<timed_entry>(1, 2).max_entries() == 16);
    CHECK(apikit::sharded_table<timed_entry>(0, 1).max_entries() == 8);
}

TEST_CASE("sharded_table: at its bound it evicts an idle entry, else the one closest to idle") {
    // One shard of 8: its 16 slots are all in the eviction sample, so the
    // choice is exact.
    apikit::sharded_table<timed_entry> t(8, 1);
    for (std::uint64_t k = 1; k <= 8; ++k)
        put(t, k, 100 * static_cast<std::int64_t>(k), 0);
    REQUIRE(t.size() == 8);
    put(t, 9, 10'000, 0); // nothing is idle at 0: key 1, idle soonest, goes
    CHECK(t.size() == 8);
    CHECK(found(t, 1) == 0);
    for (std::uint64_t k = 2; k <= 9; ++k)
        CHECK(found(t, k) == k);

    // At 450 keys 2, 3 and 4 are idle: one of them goes, no live one.
    put(t, 10, 10'000, 450);
    CHECK(t.size() == 8);
    int idle_left = 0;
    for (std::uint64_t k = 2; k <= 4; ++k)
        idle_left += found(t, k) == k ? 1 : 0;
    CHECK(idle_left == 2);
    for (std::uint64_t k = 5; k <= 10; ++k)
        CHECK(found(t, k) == k);
}

TEST_CASE("sharded_table: the entries a call names are never evicted by it") {
    apikit::sharded_table<timed_entry> t(8, 1);
    for (std::uint64_t k = 1; k <= 8; ++k)
        put(t, k, 100 * static_cast<std::int64_t>(k), 0);
    // Key 1 is the closest to idle, but the call names it with a new key.
    std::array<std::uint64_t, 2> const tags{apikit::table_tag(hash_of(1)),
                                            apikit::table_tag(hash_of(100))};
    auto const keys = t.find_or_insert(hash_of(1), tags, 0, [](std::span<timed_entry* const> e) {
        e[1]->key = 100;
        e[1]->idle = 10'000;
        return std::array<std::uint64_t, 2>{e[0]->key, e[1]->key};
    });
    CHECK(keys == std::array<std::uint64_t, 2>{1, 100});
    CHECK(found(t, 1) == 1);
    CHECK(found(t, 2) == 0); // the next closest to idle went instead
    CHECK(t.size() == 8);
}

TEST_CASE("sharded_table: a steady trickle of keys that go idle never grows it") {
    apikit::sharded_table<timed_entry> t(1 << 16, 1);
    // Each key is idle 10 ticks after it arrives: growing drops the idle
    // ones first, so once it holds the ten live keys the table stays as it is.
    std::size_t settled = 0;
    for (std::uint64_t k = 1; k <= 50'000; ++k) {
        auto const now = static_cast<std::int64_t>(k);
        put(t, k, now + 10, now);
        if (k == 1000)
            settled = t.memory_bytes();
    }
    CHECK(t.memory_bytes() == settled);
    CHECK(t.size() <= 32);
    CHECK(settled <= t.max_memory_bytes() / 256);
}

TEST_CASE("sharded_table: purge drops every idle entry and only those") {
    apikit::sharded_table<timed_entry> t(4096, 4);
    for (std::uint64_t k = 1; k <= 1000; ++k)
        put(t, k, 10, 0);
    for (std::uint64_t k = 1001; k <= 1010; ++k)
        put(t, k, 1000, 0);
    REQUIRE(t.size() == 1010);
    CHECK(t.purge(9) == 0);     // nothing is idle yet
    CHECK(t.purge(10) == 1000); // idle from the instant idle_at() says
    CHECK(t.size() == 10);
    for (std::uint64_t k = 1001; k <= 1010; ++k)
        CHECK(found(t, k) == k);
    CHECK(found(t, 1) == 0);
}

TEST_CASE("sharded_table: erase removes one entry and every other stays found") {
    // Random inserts and erases against a set, in one small shard, so that
    // probe runs are long and wrap around the end of the slots.
    apikit::sharded_table<timed_entry> t(64, 1);
    std::set<std::uint64_t> model;
    std::uint64_t x = 0x2545f4914f6cdd1dULL;
    for (int i = 0; i < 20'000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        auto const key = 1 + x % 90;
        if (model.count(key) != 0 || model.size() >= 48) {
            auto const h = hash_of(key);
            CHECK(t.erase(h, apikit::table_tag(h)) == (model.erase(key) == 1));
        } else {
            put(t, key, never_idle, 0);
            model.insert(key);
        }
        if (i % 97 == 0) {
            REQUIRE(t.size() == model.size());
            for (std::uint64_t k = 1; k <= 90; ++k)
                REQUIRE(found(t, k) == (model.count(k) != 0 ? k : 0));
        }
    }
    auto const h = hash_of(1000);
    CHECK_FALSE(t.erase(h, apikit::table_tag(h)));
}

TEST_CASE("sharded_table: a key inserted again starts as a key never seen") {
    apikit::sharded_table<timed_entry> t(64, 2);
    put(t, 7, never_idle, 0);
    auto const h = hash_of(7);
    REQUIRE(t.erase(h, apikit::table_tag(h)));
    auto const state = t.find_or_insert(h, apikit::table_tag(h), 0,
                                        [](timed_entry& e) { return std::pair(e.key, e.idle); });
    CHECK(state == std::pair(std::uint64_t{0}, always_idle));
    put(t, 8, never_idle, 0);
    t.clear();
    CHECK(t.size() == 0);
    CHECK(found(t, 7) == 0);
    CHECK(found(t, 8) == 0);
}

TEST_CASE("sharded_table: find inserts nothing and answers in the order asked") {
    apikit::sharded_table<timed_entry> t(64, 1);
    put(t, 1, never_idle, 0);
    put(t, 3, never_idle, 0);
    std::array<std::uint64_t, 3> const tags{apikit::table_tag(hash_of(3)),
                                            apikit::table_tag(hash_of(2)),
                                            apikit::table_tag(hash_of(1))};
    auto const keys = t.find(0, tags, [](std::span<timed_entry const* const> e) {
        std::array<std::uint64_t, 3> out{};
        for (std::size_t i = 0; i < e.size(); ++i)
            out[i] = e[i] == nullptr ? 0 : e[i]->key;
        return out;
    });
    CHECK(keys == std::array<std::uint64_t, 3>{3, 0, 1});
    CHECK(t.size() == 2);
}

TEST_CASE("sharded_table: tags are never 0, the mark of an empty slot") {
    CHECK(apikit::table_tag(0) != 0);
    CHECK(apikit::table_tag(42) == 42);
    // A salt spreads one key's entries: each of its tags differs.
    CHECK(apikit::table_tag(42, 1) != apikit::table_tag(42, 2));
    CHECK(apikit::table_tag(42, 1) != 0);
}

TEST_CASE("sharded_table: a growth that cannot allocate leaves the table as it was") {
    apikit::sharded_table<fragile_entry> t(1024, 1);
    auto put_fragile = [&](std::uint64_t key) {
        auto const h = hash_of(key);
        t.find_or_insert(h, apikit::table_tag(h), 0, [&](fragile_entry& e) {
            e.idle = never_idle;
            e.key = key;
        });
    };
    for (std::uint64_t k = 1; k <= 12; ++k) // 3/4 of the first 16 slots
        put_fragile(k);
    fragile_entry::budget = 0;
    CHECK_THROWS_AS(put_fragile(13), std::bad_alloc); // the 13th must grow the table
    fragile_entry::budget = -1;
    auto found_fragile = [&](std::uint64_t key) {
        auto const h = hash_of(key);
        std::array<std::uint64_t, 1> const tag{apikit::table_tag(h)};
        return t.find(h, tag, [](std::span<fragile_entry const* const> e) {
            return e[0] == nullptr ? std::uint64_t{0} : e[0]->key;
        });
    };
    CHECK(t.size() == 12);
    for (std::uint64_t k = 1; k <= 12; ++k)
        CHECK(found_fragile(k) == k);
    CHECK(found_fragile(13) == 0);
    put_fragile(13);
    CHECK(found_fragile(13) == 13);
}

TEST_CASE("sharded_table: a shard count that is not a power of two is refused") {
    CHECK_THROWS_AS(apikit::sharded_table<timed_entry>(100, 3), std::invalid_argument);
    CHECK_THROWS_AS(apikit::sharded_table<timed_entry>(100, 0), std::invalid_argument);
    CHECK_NOTHROW(apikit::sharded_table<timed_entry>(100, 1));
}

TEST_CASE("sharded_table: threads inserting the same keys at once lose none") {
    apikit::sharded_table<timed_entry> t(1 << 14, 8);
    constexpr std::uint64_t keys = 5000;
    constexpr int threads = 4;
    on_threads(threads, [&t](int i) {
        // Each thread starts at another key, so that threads insert into
        // the same shards at the same time.
        for (std::uint64_t n = 0; n < keys; ++n) {
            auto const k = 1 + (n + static_cast<std::uint64_t>(i) * keys / threads) % keys;
            auto const h = hash_of(k);
            t.find_or_insert(h, apikit::table_tag(h), 0, [k](timed_entry& e) {
                e.idle = never_idle;
                e.key += k; // under the shard's exclusive lock
            });
        }
    });
    CHECK(t.size() == keys);
    std::uint64_t wrong = 0;
    for (std::uint64_t k = 1; k <= keys; ++k)
        wrong += found(t, k) == static_cast<std::uint64_t>(threads) * k ? 0 : 1;
    CHECK(wrong == 0);
}

TEST_CASE("sharded_table: threads past the bound keep it, and every call finds its entry") {
    apikit::sharded_table<timed_entry> t(512, 4);
    constexpr int threads = 4;
    std::atomic<int> missing{0};
    on_threads(threads, [&](int i) {
        for (std::uint64_t n = 1; n <= 20'000; ++n) {
            auto const k = n * threads + static_cast<std::uint64_t>(i);
            auto const h = hash_of(k);
            t.find_or_insert(h, apikit::table_tag(h), 0, [&](timed_entry& e) {
                if (e.key != 0)
                    missing.fetch_add(1); // a new key must start empty
                e.key = k;
                e.idle = static_cast<std::int64_t>(n);
            });
        }
    });
    CHECK(missing.load() == 0);
    CHECK(t.size() <= t.max_entries());
    CHECK(t.memory_bytes() <= t.max_memory_bytes());
}

TEST_CASE("sharded_table: threads on shared locks update entries through atomics, losing none") {
    apikit::sharded_table<counter_entry, apikit::shared_table_mutex> t(1 << 14, 4);
    constexpr std::uint64_t keys = 2000;
    constexpr int threads = 4;
    on_threads(threads, [&t](int i) {
        for (std::uint64_t n = 0; n < keys; ++n) {
            auto const k = (n * 7 + static_cast<std::uint64_t>(i) * 131) % keys;
            auto const h = hash_of(k);
            // One entry by itself, and two at once (the key's and a
            // shared "all" entry in the same shard).
            t.find_or_insert_shared(h, apikit::table_tag(h), 0, [](counter_entry& e) {
                e.hits.fetch_add(1, std::memory_order_relaxed);
            });
            std::array<std::uint64_t, 2> const tags{apikit::table_tag(h, 1),
                                                    apikit::table_tag(h, 2)};
            t.find_or_insert_shared(h, tags, 0, [](std::span<counter_entry* const> e) {
                for (auto* c : e)
                    c->hits.fetch_add(1, std::memory_order_relaxed);
            });
        }
    });
    CHECK(t.size() == 3 * keys);
    std::uint64_t wrong = 0;
    for (std::uint64_t k = 0; k < keys; ++k) {
        auto const h = hash_of(k);
        std::array<std::uint64_t, 3> const tags{apikit::table_tag(h), apikit::table_tag(h, 1),
                                                apikit::table_tag(h, 2)};
        wrong += t.find(h, tags, [](std::span<counter_entry const* const> e) {
            std::uint64_t bad = 0;
            for (auto const* c : e)
                bad += c != nullptr && c->hits.load() == std::uint64_t{threads} ? 0 : 1;
            return bad;
        });
    }
    CHECK(wrong == 0);
}
