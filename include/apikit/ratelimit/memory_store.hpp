#ifndef APIKIT_RATELIMIT_MEMORY_STORE_HPP
#define APIKIT_RATELIMIT_MEMORY_STORE_HPP

// The in-process store of per-key token buckets: the embedded default,
// sharded, bounded and thread-safe. It models `ratelimit::sync_store`.
//
// Layout. The buckets live in an apikit::sharded_table
// (core/sharded_table.hpp), the table every memory_* backend shares. A key is
// hashed once with SipHash-1-3 under a random secret, so outsiders cannot aim
// their keys at one shard or one probe run. The top bits pick one of the
// shards (64 by default); each limit of the policy then has its own entry in
// that shard, tagged by the key's hash mixed with the limit's name. An entry
// is 16 bytes: the tag and the bucket's TAT. Keys are never stored, so two
// keys whose 64-bit tags collide share a bucket: that can only make the limit
// stricter for both, and with a secret hash key it happens by chance alone
// (for a million keys, about once in 2^25 tries).
//
// Concurrency. Each shard has a reader-writer lock that guards its table's
// shape. A decision on a key already present takes it shared and updates the
// TAT with a compare-and-swap, so concurrent decisions on one key or on
// different keys never wait for each other; inserting a key or evicting one
// takes it exclusive, and is preferred over new readers so that a hot key
// cannot hold a new one out (apikit::shared_table_mutex). A decision is
// exact under concurrency (see token_bucket.hpp) for each limit.
//
// All or nothing. A policy of several limits is decided in two passes
// (gcra::all_or_nothing, the arithmetic the Redis store shares): first
// every limit is evaluated from one read of each TAT and, if any would deny,
// the request is denied with nothing taken; then each limit is taken in turn
// by compare-and-swap. If a racing request drains a later limit in between,
// the limits already taken are given back by a compare-and-swap from the
// value written to the value replaced, which succeeds only if nothing else
// touched that bucket since — restoring exactly the state before. If it
// fails, the tokens stay taken: the store never grants more than each limit
// allows, and the cost of a race is that a denied request may still have
// consumed from an earlier limit (stricter, never looser).
//
// Bounds. At most `max_keys` entries (rounded up per shard) are held; an
// idle key — whose bucket is full again — carries nothing and is dropped
// first; past the bound, of a sample of 16, the key that owes the fewest
// tokens is evicted (it may then get back at most what it owed). Memory is
// ~16 bytes per slot at a load of 1/4 to 3/4: at most 64 bytes per entry,
// about 32 at the bound.

#include <apikit/core/error.hpp>
#include <apikit/core/sharded_table.hpp>
#include <apikit/core/siphash.hpp>
#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/store.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace apikit::ratelimit {

struct memory_store_options {
    /// The most (key, limit) entries held at once, rounded up so that every
    /// shard holds the same number, at least 8.
    std::size_t max_keys = std::size_t{1} << 20;
    /// A power of two; more shards mean less contention between keys.
    std::size_t shards = 64;
    /// The secret of the key hash; random unless a test needs it fixed.
    siphash_key hash_key = siphash_key::random();
};

namespace detail {

// One limit's bucket of one key: the tag and the TAT. A decision on a key
// already present changes the TAT under the shard's shared lock, so it is an
// atomic.
struct gcra_entry {
    std::uint64_t tag = 0;
    std::atomic<std::int64_t> tat{gcra::full};

    std::int64_t idle_at() const noexcept { return tat.load(std::memory_order_relaxed); }
    void reset() noexcept { tat.store(gcra::full, std::memory_order_relaxed); }
    void move_from(gcra_entry& o) noexcept {
        tag = o.tag;
        tat.store(o.tat.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
};

static_assert(sizeof(gcra_entry) == 16, "a bucket entry is a tag and a TAT");

} // namespace detail

class memory_store {
    using table_type = sharded_table<detail::gcra_entry, shared_table_mutex>;
    static_assert(max_limits <= table_type::max_tags, "a policy's entries fit in one call");

public:
    using options = memory_store_options;

    /// Throws std::invalid_argument if `shards` is not a power of two.
    explicit memory_store(options o = {}) : key_(o.hash_key), table_(o.max_keys, o.shards) {}

    memory_store(memory_store const&) = delete;
    memory_store& operator=(memory_store const&) = delete;

    /// Decides a request of `cost` by `key` against every limit of `p` at
    /// `now`, all or nothing. `errc::cost_exceeds_capacity` if some limit
    /// could never grant `cost`.
    [[nodiscard]] result<policy_decision> try_acquire(std::string_view key, policy const& p,
                                                      std::uint64_t cost, nanoseconds now) {
        if (cost > p.max_cost()) [[unlikely]]
            return errc::cost_exceeds_capacity;
        auto const h = siphash13(key_, key);
        if (p.size() == 1) {
            // One limit: the token bucket's path, with no second pass to
            // prepare. The decision is built where it is decided: moving it
            // out of the lock's scope costs a copy and spills around the
            // unlock (measured: more instructions per decision).
            auto const& l = p[0];
            return table_.find_or_insert_shared(
                h, table_tag(h, l.name_hash()), now.count(), [&](detail::gcra_entry& e) {
                    auto const d = gcra::take(e.tat, now.count(), cost, gcra::params::of(l));
                    policy_decision out;
                    out.add(status_of(l, d));
                    static_cast<decision&>(out) = d;
                    return out;
                });
        }
        std::array<std::uint64_t, max_limits> tags{};
        return table_.find_or_insert_shared(h, tags_of(h, p, tags), now.count(),
                                            [&](std::span<detail::gcra_entry* const> entries) {
                                                return decide(entries, p, cost, now.count());
                                            });
    }

    /// The same through a completion handler, called before this returns.
    template <class Handler>
    void async_acquire(std::string_view key, policy const& p, std::uint64_t cost, nanoseconds now,
                       Handler&& handler) {
        auto r = try_acquire(key, p, cost, now);
        if (r)
            std::move(handler)(boost::system::error_code{}, std::move(*r));
        else
            std::move(handler)(r.error(), policy_decision{});
    }

    /// Where a request of `cost` by `key` would stand, taking nothing and
    /// adding no entry.
    [[nodiscard]] result<policy_decision> peek(std::string_view key, policy const& p,
                                               std::uint64_t cost, nanoseconds now) const {
        if (cost > p.max_cost())
            return errc::cost_exceeds_capacity;
        auto const h = siphash13(key_, key);
        std::array<std::uint64_t, max_limits> tags{};
        return table_.find(
            h, tags_of(h, p, tags), [&](std::span<detail::gcra_entry const* const> entries) {
                policy_decision out;
                for (std::size_t i = 0; i < p.size(); ++i) {
                    auto const tat =
                        entries[i] ? entries[i]->tat.load(std::memory_order_relaxed) : gcra::full;
                    out.add(status_of(
                        p[i], gcra::standing(tat, now.count(), cost, gcra::params::of(p[i]))));
                }
                out.summarize();
                return out;
            });
    }

    /// Drops every entry whose bucket is full at `now`; returns how many.
    /// Optional: idle entries are also dropped whenever a shard needs room.
    std::size_t purge(nanoseconds now) { return table_.purge(now.count()); }

    /// Forgets every key: every bucket is full again.
    void clear() { table_.clear(); }

    /// (key, limit) entries held now.
    [[nodiscard]] std::size_t size() const { return table_.size(); }

    /// The most entries ever held: the bound after rounding.
    [[nodiscard]] std::size_t max_keys() const noexcept { return table_.max_entries(); }

    /// Bytes held by the store and its table.
    [[nodiscard]] std::size_t memory_bytes() const { return sizeof(*this) + table_.memory_bytes(); }

    /// The most bytes the store can ever hold (every shard at its bound).
    [[nodiscard]] std::size_t max_memory_bytes() const noexcept {
        return sizeof(*this) + table_.max_memory_bytes();
    }

private:
    // The tags of `key`'s entries, one per limit (the key's hash mixed with
    // the limit's name).
    static std::span<std::uint64_t const> tags_of(std::uint64_t h, policy const& p,
                                                  std::array<std::uint64_t, max_limits>& tags) {
        for (std::size_t i = 0; i < p.size(); ++i)
            tags[i] = table_tag(h, p[i].name_hash());
        return {tags.data(), p.size()};
    }

    // Two passes (see "All or nothing" above): judge every limit from one
    // read of its TAT, then take from each by compare-and-swap, giving back
    // what was taken if a race drained a later limit.
    static policy_decision decide(std::span<detail::gcra_entry* const> entries, policy const& p,
                                  std::uint64_t cost, std::int64_t now) noexcept {
        auto const n = p.size();
        gcra::all_or_nothing ev(p, now, cost);
        for (std::size_t i = 0; i < n; ++i)
            ev.judge(i, entries[i]->tat.load(std::memory_order_relaxed));
        if (cost == 0 || !ev.allowed())
            return ev.decision();
        for (std::size_t i = 0; i < n; ++i) {
            auto seen = ev.seen(i);
            while (!entries[i]->tat.compare_exchange_weak(seen, ev.next_tat(i),
                                                          std::memory_order_relaxed)) {
                if (!ev.judge(i, seen)) {
                    // Give back what was taken, where nothing else moved since.
                    for (std::size_t j = 0; j < i; ++j) {
                        auto expected = ev.next_tat(j);
                        entries[j]->tat.compare_exchange_strong(expected, ev.seen(j),
                                                                std::memory_order_relaxed);
                    }
                    return ev.decision();
                }
            }
        }
        return ev.decision();
    }

    siphash_key key_;
    table_type table_;
};

static_assert(sync_store<memory_store>,
              "apikit::ratelimit::memory_store must model apikit::ratelimit::sync_store");

} // namespace apikit::ratelimit

#endif
