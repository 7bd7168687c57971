#ifndef APIKIT_RATELIMIT_MEMORY_STORE_HPP
#define APIKIT_RATELIMIT_MEMORY_STORE_HPP

// The in-process store of per-key token buckets: the embedded default,
// sharded, bounded and thread-safe. It models `ratelimit::sync_store`.
//
// Layout. A key is hashed once with SipHash-1-3 under a random secret, so
// outsiders cannot aim their keys at one shard or one probe run. The top bits
// pick one of the shards (64 by default); each limit of the policy then has
// its own entry in that shard, tagged by the key's hash mixed with the
// limit's name. An entry is 16 bytes: the tag and the bucket's TAT. Keys are
// never stored, so two keys whose 64-bit tags collide share a bucket: that
// can only make the limit stricter for both, and with a secret hash key it
// happens by chance alone (for a million keys, about once in 2^25 tries).
//
// Concurrency. Each shard has a reader-writer lock that guards its table's
// shape. A decision on a key already present takes it shared and updates the
// TAT with a compare-and-swap, so concurrent decisions on one key or on
// different keys never wait for each other; inserting a key or evicting one
// takes it exclusive, and is preferred over new readers so that a hot key
// cannot hold a new one out (detail/rw_mutex.hpp). A decision is exact under
// concurrency (see token_bucket.hpp) for each limit.
//
// All or nothing. A policy of several limits is decided in two passes: first
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
// first; past the bound, the key that owes the fewest tokens is evicted (it
// may then get back at most what it owed). Memory is ~16 bytes per slot at a
// load of 1/4 to 3/4: at most 64 bytes per entry, about 32 at the bound.

#include <apikit/core/error.hpp>
#include <apikit/core/siphash.hpp>
#include <apikit/ratelimit/detail/probe_table.hpp>
#include <apikit/ratelimit/detail/rw_mutex.hpp>
#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/store.hpp>

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <stdexcept>
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
public:
    using options = memory_store_options;

    /// Throws std::invalid_argument if `shards` is not a power of two.
    explicit memory_store(options o = {}) : key_(o.hash_key) {
        if (o.shards == 0 || !std::has_single_bit(o.shards))
            throw std::invalid_argument("apikit::ratelimit::memory_store: shards must be a power "
                                        "of two");
        shard_count_ = o.shards;
        shard_shift_ = 64 - std::countr_zero(o.shards);
        shards_ = std::make_unique<shard[]>(o.shards);
        auto const per_shard = (o.max_keys + o.shards - 1) / o.shards;
        for (std::size_t i = 0; i < o.shards; ++i)
            shards_[i].table.init(per_shard);
    }

    memory_store(memory_store const&) = delete;
    memory_store& operator=(memory_store const&) = delete;

    /// Decides a request of `cost` by `key` against every limit of `p` at
    /// `now`, all or nothing. `errc::cost_exceeds_capacity` if some limit
    /// could never grant `cost`.
    result<policy_decision> try_acquire(std::string_view key, policy const& p, std::uint64_t cost,
                                        nanoseconds now) {
        if (cost > p.max_cost()) [[unlikely]]
            return errc::cost_exceeds_capacity;
        auto const h = siphash13(key_, key);
        auto& sh = shard_of(h);
        if (p.size() == 1)
            return acquire_one(sh, h, p[0], cost, now.count());
        auto const n = p.size();
        std::array<std::uint64_t, max_limits> tags{};
        for (std::size_t i = 0; i < n; ++i)
            tags[i] = detail::nonzero_tag(detail::mix64(h ^ p[i].name_hash()));
        std::array<detail::gcra_entry*, max_limits> entries{};
        {
            std::shared_lock lock(sh.mutex);
            bool present = true;
            for (std::size_t i = 0; i < n && present; ++i)
                present = (entries[i] = sh.table.find(tags[i])) != nullptr;
            if (present)
                return decide(entries, p, cost, now.count());
        }
        std::unique_lock lock(sh.mutex);
        std::span<std::uint64_t const> const keep(tags.data(), n);
        for (std::size_t i = 0; i < n; ++i)
            if (sh.table.find(tags[i]) == nullptr)
                sh.table.insert(tags[i], now.count(), keep);
        // Looked up again: an insert may have moved entries found before it.
        for (std::size_t i = 0; i < n; ++i)
            entries[i] = sh.table.find(tags[i]);
        return decide(entries, p, cost, now.count());
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
    result<policy_decision> peek(std::string_view key, policy const& p, std::uint64_t cost,
                                 nanoseconds now) const {
        if (cost > p.max_cost())
            return errc::cost_exceeds_capacity;
        auto const h = siphash13(key_, key);
        auto& sh = shard_of(h);
        policy_decision out;
        std::shared_lock lock(sh.mutex);
        for (std::size_t i = 0; i < p.size(); ++i) {
            auto* e = sh.table.find(detail::nonzero_tag(detail::mix64(h ^ p[i].name_hash())));
            auto const tat = e ? e->tat.load(std::memory_order_relaxed) : gcra::full;
            out.add(
                status_of(p[i], gcra::standing(tat, now.count(), cost, gcra::params::of(p[i]))));
        }
        out.summarize();
        return out;
    }

    /// Drops every entry whose bucket is full at `now`; returns how many.
    /// Optional: idle entries are also dropped whenever a shard needs room.
    std::size_t purge(nanoseconds now) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < shard_count_; ++i) {
            std::unique_lock lock(shards_[i].mutex);
            n += shards_[i].table.purge(now.count());
        }
        return n;
    }

    /// Forgets every key: every bucket is full again.
    void clear() {
        for (std::size_t i = 0; i < shard_count_; ++i) {
            std::unique_lock lock(shards_[i].mutex);
            shards_[i].table.clear();
        }
    }

    /// (key, limit) entries held now.
    std::size_t size() const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < shard_count_; ++i) {
            std::shared_lock lock(shards_[i].mutex);
            n += shards_[i].table.size();
        }
        return n;
    }

    /// The most entries ever held: the bound after rounding.
    std::size_t max_keys() const noexcept { return shard_count_ * shards_[0].table.bound(); }

    /// Bytes held by the tables and the shards.
    std::size_t memory_bytes() const {
        std::size_t n = sizeof(*this) + shard_count_ * sizeof(shard);
        for (std::size_t i = 0; i < shard_count_; ++i) {
            std::shared_lock lock(shards_[i].mutex);
            n += shards_[i].table.memory_bytes();
        }
        return n;
    }

    /// The most bytes the store can ever hold (every shard at its bound).
    std::size_t max_memory_bytes() const noexcept {
        return sizeof(*this) + shard_count_ * (sizeof(shard) + shards_[0].table.max_capacity() *
                                                                   sizeof(detail::gcra_entry));
    }

private:
    struct alignas(64) shard {
        mutable detail::rw_mutex mutex;
        detail::probe_table<detail::gcra_entry> table;
    };

    shard& shard_of(std::uint64_t h) const noexcept {
        return shards_[shard_count_ == 1 ? 0 : h >> shard_shift_];
    }

    // One limit: the token bucket's path, with no second pass to prepare.
    static policy_decision acquire_one(shard& sh, std::uint64_t h, limit const& l,
                                       std::uint64_t cost, std::int64_t now) {
        auto const tag = detail::nonzero_tag(detail::mix64(h ^ l.name_hash()));
        {
            std::shared_lock lock(sh.mutex);
            if (auto* e = sh.table.find(tag))
                return decide_one(*e, l, cost, now);
        }
        std::unique_lock lock(sh.mutex);
        auto* e = sh.table.find(tag);
        if (e == nullptr)
            e = sh.table.insert(tag, now, std::span<std::uint64_t const>(&tag, 1));
        return decide_one(*e, l, cost, now);
    }

    static policy_decision decide_one(detail::gcra_entry& e, limit const& l, std::uint64_t cost,
                                      std::int64_t now) noexcept {
        auto const p = gcra::params::of(l);
        auto const inc = static_cast<std::int64_t>(cost) * p.interval;
        std::int64_t tat = e.tat.load(std::memory_order_relaxed);
        std::int64_t next;
        decision d;
        do {
            next = (tat > now ? tat : now) + inc;
            if (next - now > p.window) [[unlikely]] {
                d = gcra::standing(tat, now, cost, p);
                break;
            }
        } while (inc != 0 && !e.tat.compare_exchange_weak(tat, next, std::memory_order_relaxed));
        if (next - now <= p.window)
            d = gcra::granted(next - now, p);
        policy_decision out;
        out.add(status_of(l, d));
        static_cast<decision&>(out) = d;
        return out;
    }

    static policy_decision decide(std::array<detail::gcra_entry*, max_limits> const& entries,
                                  policy const& p, std::uint64_t cost, std::int64_t now) noexcept {
        auto const n = p.size();
        std::array<gcra::params, max_limits> params{};
        std::array<std::int64_t, max_limits> seen{};
        std::array<gcra::step, max_limits> steps{};
        // Pass 1: would every limit grant it?
        bool all = true;
        for (std::size_t i = 0; i < n; ++i) {
            params[i] = gcra::params::of(p[i]);
            seen[i] = entries[i]->tat.load(std::memory_order_relaxed);
            steps[i] = gcra::evaluate(seen[i], now, cost, params[i]);
            all = all && steps[i].d.allowed;
        }
        if (all && cost != 0) {
            // Pass 2: take from each in turn.
            for (std::size_t i = 0; i < n; ++i) {
                while (!entries[i]->tat.compare_exchange_weak(seen[i], steps[i].tat,
                                                              std::memory_order_relaxed)) {
                    steps[i] = gcra::evaluate(seen[i], now, cost, params[i]);
                    if (!steps[i].d.allowed) {
                        // Give back what was taken, where nothing else moved since.
                        for (std::size_t j = 0; j < i; ++j) {
                            auto expected = steps[j].tat;
                            entries[j]->tat.compare_exchange_strong(expected, seen[j],
                                                                    std::memory_order_relaxed);
                        }
                        all = false;
                        break;
                    }
                }
                if (!all)
                    break;
            }
        }
        policy_decision out;
        for (std::size_t i = 0; i < n; ++i) {
            // A denied request reports where each limit stood when it was
            // decided, nothing taken; `seen` holds the TAT each was judged at.
            auto const d = all || !steps[i].d.allowed
                               ? steps[i].d
                               : gcra::standing(seen[i], now, cost, params[i]);
            out.add(status_of(p[i], d));
        }
        out.summarize();
        return out;
    }

    siphash_key key_;
    std::size_t shard_count_ = 0;
    int shard_shift_ = 0;
    std::unique_ptr<shard[]> shards_;
};

static_assert(sync_store<memory_store>, "memory_store must model ratelimit::sync_store");

} // namespace apikit::ratelimit

#endif
