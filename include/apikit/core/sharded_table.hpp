#ifndef APIKIT_CORE_SHARDED_TABLE_HPP
#define APIKIT_CORE_SHARDED_TABLE_HPP

// apikit::sharded_table: the in-process table of per-key state behind every
// `memory_*` backend — the rate limiter's buckets (ratelimit/memory_store.hpp)
// and sliding windows (ratelimit/sliding_window.hpp) today, and next the
// cache, the refresh tokens and the idempotency records. Each of those needs
// the same three things, written once here: many threads at once, a memory
// bound that outside input cannot break, and forgetting state that no longer
// matters.
//
// Keys. The table stores no key, only a 64-bit tag per entry: the caller
// hashes its key with a secret (apikit::siphash13), picks the shard from that
// hash and the entry from `table_tag(hash)` — or, for a key that has several
// entries (one per limit of a policy), `table_tag(hash, salt)`. Outsiders
// cannot aim their keys at one shard or one probe run. Two keys whose tags
// collide share an entry; with a secret hash that happens by chance alone
// (for a million keys, about once in 2^25 tables). A store that must never
// answer one key with another's state keeps the key in its entry and treats
// a mismatch as a miss.
//
// Threads. The table is split into a power-of-two number of shards, each a
// bounded open-addressing table (detail/probe_table.hpp) behind its own lock;
// the top bits of the hash pick the shard, so calls on different shards never
// wait for each other. With `Mutex = std::mutex` every call holds its shard
// exclusively while it runs the caller's function. With a shared mutex
// (`shared_table_mutex`, which prefers writers so that a hot entry's readers
// cannot hold an insertion out), `find_or_insert_shared` runs the function
// under a shared lock when every entry is already there — it may then change
// entries only through atomics — and takes the lock exclusively only to
// insert. Totals (size, memory) add the shards one at a time: exact when no
// other thread writes, an estimate otherwise.
//
// Memory bound. A table of `max_entries` never holds more entries than that
// (rounded up so that every shard holds the same number, at least 8 each),
// and its slots never take more than `max_memory_bytes()`: a shard grows by
// doubling, up to the power of two that keeps its bound at a load of 3/4, so
// its memory stays between 1/4 and 3/4 full of entries — about 2× an
// entry's size per entry at the bound. Memory an entry owns itself (a log's
// ring) is the entry's to bound.
//
// Eviction. An entry says from which instant it carries no information
// (`idle_at()`: a full bucket, an empty window, an expired record). Before a
// shard grows it drops its idle entries; at its bound it evicts, from a
// sample of 16 entries after a rotating hand, the first idle one, else the
// one that will be idle soonest. So a flood of new keys evicts idle keys
// first, then the keys closest to idle, and never grows the table. The
// entries a call asks for (at most `max_tags`) are never evicted by that
// call. `purge(now)` drops every idle entry at once.
//
// Time. The table never reads a clock: `now` and `idle_at()` are int64
// instants on one scale the caller chooses (apikit's stores use nanoseconds
// since their clock's epoch). A clock stepping back only makes entries look
// less idle, so they are kept longer; nothing is lost early.
//
// Failures. Allocation failure while a shard grows or is purged throws
// std::bad_alloc with the shard as it was; construction throws
// std::invalid_argument for a shard count that is not a power of two.

#include <apikit/core/detail/probe_table.hpp>
#include <apikit/core/detail/rw_mutex.hpp>

#include <array>
#include <bit>
#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <stdexcept>

namespace apikit {

/// What a sharded_table holds per key. `e.tag` is the entry's tag (0 marks an
/// empty slot; the table sets it). `e.idle_at()` is the instant from which
/// the entry carries no information and may be dropped. `e.move_from(o)`
/// takes `o`'s state (the table moves entries when it grows or fills a hole);
/// `e.reset()` returns an entry to the state of a key never seen and frees
/// what it owns. A default-constructed entry is such a state.
template <class E>
concept table_entry = std::default_initializable<E> && requires(E& e, E const& c) {
    { e.tag } -> std::same_as<std::uint64_t&>;
    { c.idle_at() }
    noexcept->std::same_as<std::int64_t>;
    { e.move_from(e) }
    noexcept;
    { e.reset() }
    noexcept;
};

/// The tag of the entry of a key whose secret hash is `hash`: never 0.
[[nodiscard]] constexpr std::uint64_t table_tag(std::uint64_t hash) noexcept {
    return hash == 0 ? 1 : hash;
}

/// The tag of one of a key's several entries: `hash` mixed with `salt` (e.g.
/// the hash of a limit's name), so that one key's entries spread over the
/// shard's slots like unrelated keys.
[[nodiscard]] constexpr std::uint64_t table_tag(std::uint64_t hash, std::uint64_t salt) noexcept {
    return table_tag(detail::mix64(hash ^ salt));
}

/// The lock of a table read under shared locks (`find_or_insert_shared`): a
/// reader-writer lock that, on glibc, prefers writers.
using shared_table_mutex = detail::rw_mutex;

/// A bounded, sharded table of `Entry`, keyed by 64-bit tags.
template <class Entry, class Mutex = std::mutex>
class sharded_table {
    static_assert(table_entry<Entry>,
                  "apikit::sharded_table's Entry must model apikit::table_entry");

    struct alignas(64) shard {
        mutable Mutex mutex;
        detail::probe_table<Entry> table;
    };

public:
    using entry_type = Entry;
    using mutex_type = Mutex;

    /// The most tags one call may name.
    static constexpr std::size_t max_tags = detail::probe_table<Entry>::max_keep;

    /// A table of at most `max_entries` entries (rounded up: the same number
    /// per shard, at least 8) in `shards` shards, a power of two. Throws
    /// std::invalid_argument otherwise.
    explicit sharded_table(std::size_t max_entries, std::size_t shards = 64) {
        if (shards == 0 || !std::has_single_bit(shards))
            throw std::invalid_argument("apikit::sharded_table: shards must be a power of two");
        shard_count_ = shards;
        shard_shift_ = 64 - std::countr_zero(shards);
        shards_ = std::make_unique<shard[]>(shards);
        for (std::size_t i = 0; i < shards; ++i)
            shards_[i].table.init((max_entries + shards - 1) / shards);
    }

    sharded_table(sharded_table const&) = delete;
    sharded_table& operator=(sharded_table const&) = delete;

    /// Calls `f(entries)` under the lock of `hash`'s shard, held exclusively,
    /// with `entries[i]` the entry of `tags[i]` (1 to `max_tags` distinct
    /// tags), inserting each absent one in the state of a key never seen —
    /// which may first drop idle entries or evict one, never one of `tags`.
    /// Returns what `f` returns. `f` must not call into this table.
    template <class F>
    decltype(auto) find_or_insert(std::uint64_t hash, std::span<std::uint64_t const> tags,
                                  std::int64_t now, F&& f) {
        auto& sh = shard_for(hash);
        std::array<Entry*, max_tags> found{};
        std::unique_lock lock(sh.mutex);
        insert_absent(sh, tags, now, found);
        return std::forward<F>(f)(std::span<Entry* const>(found.data(), tags.size()));
    }

    /// The same for one tag: `f(entry)`.
    template <class F>
    decltype(auto) find_or_insert(std::uint64_t hash, std::uint64_t tag, std::int64_t now, F&& f) {
        auto& sh = shard_for(hash);
        std::unique_lock lock(sh.mutex);
        auto* e = sh.table.find(tag);
        if (e == nullptr)
            e = sh.table.insert(tag, now, std::span<std::uint64_t const>(&tag, 1));
        return std::forward<F>(f)(*e);
    }

    /// As find_or_insert, but when every entry is present `f` runs under a
    /// shared lock, at the same time as other calls on the same entries: it
    /// may then change them only through atomics. The lock is taken
    /// exclusively only when an entry must be inserted.
    template <class F>
    decltype(auto) find_or_insert_shared(std::uint64_t hash, std::span<std::uint64_t const> tags,
                                         std::int64_t now, F&& f) requires requires(Mutex& m) {
        m.lock_shared();
    }
    {
        assert(!tags.empty() && tags.size() <= max_tags);
        auto& sh = shard_for(hash);
        std::array<Entry*, max_tags> found{};
        auto const entries = std::span<Entry* const>(found.data(), tags.size());
        {
            std::shared_lock lock(sh.mutex);
            bool present = true;
            for (std::size_t i = 0; i < tags.size() && present; ++i)
                present = (found[i] = sh.table.find(tags[i])) != nullptr;
            if (present)
                return std::forward<F>(f)(entries);
        }
        std::unique_lock lock(sh.mutex);
        insert_absent(sh, tags, now, found);
        return std::forward<F>(f)(entries);
    }

    /// The same for one tag: `f(entry)`.
    template <class F>
    decltype(auto) find_or_insert_shared(std::uint64_t hash, std::uint64_t tag, std::int64_t now,
                                         F&& f) requires requires(Mutex& m) {
        m.lock_shared();
    }
    {
        auto& sh = shard_for(hash);
        {
            std::shared_lock lock(sh.mutex);
            if (auto* e = sh.table.find(tag))
                return std::forward<F>(f)(*e);
        }
        return find_or_insert(hash, tag, now, std::forward<F>(f));
    }

    /// Calls `f(entries)` with `entries[i]` the entry of `tags[i]`, or
    /// nullptr where there is none, inserting nothing; under a shared lock
    /// if the mutex has one.
    template <class F>
    decltype(auto) find(std::uint64_t hash, std::span<std::uint64_t const> tags, F&& f) const {
        assert(!tags.empty() && tags.size() <= max_tags);
        auto& sh = shard_for(hash);
        std::array<Entry const*, max_tags> found{};
        auto const lock = read_lock(sh.mutex);
        for (std::size_t i = 0; i < tags.size(); ++i)
            found[i] = sh.table.find(tags[i]);
        return std::forward<F>(f)(std::span<Entry const* const>(found.data(), tags.size()));
    }

    /// Removes the entry of `tag`, in `hash`'s shard; false if there was none.
    bool erase(std::uint64_t hash, std::uint64_t tag) {
        auto& sh = shard_for(hash);
        std::unique_lock lock(sh.mutex);
        return sh.table.erase(tag);
    }

    /// Drops every entry idle at `now`; returns how many.
    std::size_t purge(std::int64_t now) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < shard_count_; ++i) {
            std::unique_lock lock(shards_[i].mutex);
            n += shards_[i].table.purge(now);
        }
        return n;
    }

    /// Drops every entry.
    void clear() {
        for (std::size_t i = 0; i < shard_count_; ++i) {
            std::unique_lock lock(shards_[i].mutex);
            shards_[i].table.clear();
        }
    }

    /// Entries held now.
    [[nodiscard]] std::size_t size() const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < shard_count_; ++i) {
            auto const lock = read_lock(shards_[i].mutex);
            n += shards_[i].table.size();
        }
        return n;
    }

    /// The most entries ever held: the bound after rounding.
    [[nodiscard]] std::size_t max_entries() const noexcept {
        return shard_count_ * shards_[0].table.bound();
    }

    [[nodiscard]] std::size_t shard_count() const noexcept { return shard_count_; }

    /// Bytes held by the shards and their slots (not the table object itself,
    /// nor what entries own).
    [[nodiscard]] std::size_t memory_bytes() const {
        std::size_t n = shard_count_ * sizeof(shard);
        for (std::size_t i = 0; i < shard_count_; ++i) {
            auto const lock = read_lock(shards_[i].mutex);
            n += shards_[i].table.memory_bytes();
        }
        return n;
    }

    /// The most memory_bytes() can ever be: every shard at its bound.
    [[nodiscard]] std::size_t max_memory_bytes() const noexcept {
        return shard_count_ * (sizeof(shard) + shards_[0].table.max_capacity() * sizeof(Entry));
    }

private:
    [[nodiscard]] shard& shard_for(std::uint64_t hash) const noexcept {
        return shards_[shard_count_ == 1 ? 0 : hash >> shard_shift_];
    }

    [[nodiscard]] static auto read_lock(Mutex& m) {
        if constexpr (requires { m.lock_shared(); })
            return std::shared_lock(m);
        else
            return std::unique_lock(m);
    }

    // Under the exclusive lock. Looks every entry up again after the last
    // insert: an insert may move the entries found before it.
    static void insert_absent(shard& sh, std::span<std::uint64_t const> tags, std::int64_t now,
                              std::array<Entry*, max_tags>& found) {
        assert(!tags.empty() && tags.size() <= max_tags);
        for (auto const tag : tags)
            if (sh.table.find(tag) == nullptr)
                sh.table.insert(tag, now, tags);
        for (std::size_t i = 0; i < tags.size(); ++i)
            found[i] = sh.table.find(tags[i]);
    }

    std::size_t shard_count_ = 0;
    int shard_shift_ = 0;
    std::unique_ptr<shard[]> shards_;
};

} // namespace apikit

#endif
