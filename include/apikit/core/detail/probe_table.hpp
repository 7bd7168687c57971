#ifndef APIKIT_CORE_DETAIL_PROBE_TABLE_HPP
#define APIKIT_CORE_DETAIL_PROBE_TABLE_HPP

// The bounded hash table inside each shard of apikit::sharded_table: open
// addressing with linear probing over 64-bit tags (keyed hashes of the keys;
// the table never stores a key, which keeps a token bucket's entry at 16
// bytes). Not thread-safe: sharded_table's shard lock guards it.
//
// Bounded: it never holds more than `bound` entries and never grows past the
// power of two that keeps `bound` entries at a load of 3/4. Before it grows
// it drops the entries that carry no information (a full bucket, an empty
// window); at the bound it evicts, from a sample of 16 entries after a
// rotating hand, the one that carries least — the first that is idle, else
// the one that will be idle soonest (for a bucket: the one owing the fewest
// tokens). So a stream of new keys evicts idle keys first, then the keys
// closest to idle, and cannot grow the table.
//
// Entry models apikit::table_entry (core/sharded_table.hpp): a `tag` (0 marks
// an empty slot), `idle_at()`, `move_from()` and `reset()`.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace apikit::detail {

/// MurmurHash3's 64-bit finalizer: a bijection that spreads every input bit
/// over the output.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

template <class Entry>
class probe_table {
public:
    static constexpr std::size_t min_capacity = 16;
    static constexpr std::size_t sample = 16;

    probe_table() = default;

    explicit probe_table(std::size_t bound) { init(bound); }

    /// The most tags one call may ask to keep.
    static constexpr std::size_t max_keep = 4;
    /// The smallest bound: eviction needs a victim outside the (at most
    /// `max_keep`) entries of the call.
    static constexpr std::size_t min_bound = 2 * max_keep;

    void init(std::size_t bound) {
        bound_ = std::max(bound, min_bound);
        max_capacity_ = std::bit_ceil(std::max(min_capacity, (bound_ * 4 + 2) / 3));
        allocate(std::min(min_capacity, max_capacity_));
        size_ = 0;
        hand_ = 0;
    }

    [[nodiscard]] Entry* find(std::uint64_t tag) noexcept { return slot_of(tag); }
    [[nodiscard]] Entry const* find(std::uint64_t tag) const noexcept { return slot_of(tag); }

    /// Inserts `tag`, which must be absent, in the state of a key never seen.
    /// Makes room first; never drops an entry whose tag is in `keep`.
    Entry* insert(std::uint64_t tag, std::int64_t now, std::span<std::uint64_t const> keep) {
        if (size_ >= bound_)
            evict_one(now, keep);
        else if ((size_ + 1) * 4 > capacity() * 3)
            rebuild(now, keep);
        std::size_t i = tag & mask_;
        while (slots_[i].tag != 0)
            i = (i + 1) & mask_;
        slots_[i].reset();
        slots_[i].tag = tag;
        ++size_;
        return &slots_[i];
    }

    /// Removes the entry of `tag`; false if there was none.
    bool erase(std::uint64_t tag) noexcept {
        auto* e = slot_of(tag);
        if (e == nullptr)
            return false;
        erase_at(static_cast<std::size_t>(e - slots_.get()));
        return true;
    }

    /// Drops every idle entry. Returns how many.
    std::size_t purge(std::int64_t now) {
        auto const before = size_;
        rebuild_into(capacity(), now, {});
        return before - size_;
    }

    void clear() noexcept {
        for (std::size_t i = 0; i <= mask_; ++i) {
            slots_[i].reset();
            slots_[i].tag = 0;
        }
        size_ = 0;
    }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t bound() const noexcept { return bound_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }
    [[nodiscard]] std::size_t max_capacity() const noexcept { return max_capacity_; }
    [[nodiscard]] std::size_t memory_bytes() const noexcept { return capacity() * sizeof(Entry); }

private:
    [[nodiscard]] Entry* slot_of(std::uint64_t tag) const noexcept {
        for (std::size_t i = tag & mask_;; i = (i + 1) & mask_) {
            if (slots_[i].tag == tag)
                return &slots_[i];
            if (slots_[i].tag == 0)
                return nullptr;
        }
    }

    [[nodiscard]] static bool kept(std::uint64_t tag,
                                   std::span<std::uint64_t const> keep) noexcept {
        return std::find(keep.begin(), keep.end(), tag) != keep.end();
    }

    void allocate(std::size_t capacity) {
        slots_ = std::make_unique<Entry[]>(capacity);
        mask_ = capacity - 1;
    }

    // Drops idle entries and, if that leaves the table more than half full,
    // doubles it: after a rebuild at least a quarter of the slots stay free
    // before the next one, so rebuilding costs O(1) per insert amortized.
    void rebuild(std::int64_t now, std::span<std::uint64_t const> keep) {
        std::size_t live = 0;
        for (std::size_t i = 0; i <= mask_; ++i)
            if (slots_[i].tag != 0 && (slots_[i].idle_at() > now || kept(slots_[i].tag, keep)))
                ++live;
        std::size_t cap = capacity();
        while ((live + 1) * 2 > cap && cap < max_capacity_)
            cap *= 2;
        rebuild_into(cap, now, keep);
    }

    void rebuild_into(std::size_t cap, std::int64_t now, std::span<std::uint64_t const> keep) {
        // The new slots first: if they cannot be had, the table is as it was.
        auto old = std::exchange(slots_, std::make_unique<Entry[]>(cap));
        auto const old_capacity = mask_ + 1;
        mask_ = cap - 1;
        size_ = 0;
        for (std::size_t i = 0; i < old_capacity; ++i) {
            auto& e = old[i];
            if (e.tag == 0 || (e.idle_at() <= now && !kept(e.tag, keep)))
                continue;
            std::size_t j = e.tag & mask_;
            while (slots_[j].tag != 0)
                j = (j + 1) & mask_;
            slots_[j].move_from(e);
            ++size_;
        }
        hand_ = 0;
    }

    void evict_one(std::int64_t now, std::span<std::uint64_t const> keep) {
        std::size_t victim = capacity(), seen = 0;
        std::int64_t least = 0;
        for (std::size_t n = 0, i = hand_; n <= mask_ && seen < sample; ++n, i = (i + 1) & mask_) {
            auto const& e = slots_[i];
            if (e.tag == 0 || kept(e.tag, keep))
                continue;
            ++seen;
            auto const idle = e.idle_at();
            if (victim == capacity() || idle < least) {
                victim = i;
                least = idle;
            }
            if (idle <= now)
                break; // carries nothing: no need to look further
        }
        // The bound is at least min_bound and `keep` holds at most max_keep
        // tags, so there is always a victim.
        hand_ = (victim + 1) & mask_;
        erase_at(victim);
    }

    // Backward-shift deletion: later entries of the probe run move up, so
    // lookups need no tombstones.
    void erase_at(std::size_t i) noexcept {
        std::size_t j = i;
        for (;;) {
            j = (j + 1) & mask_;
            if (slots_[j].tag == 0)
                break;
            std::size_t const home = slots_[j].tag & mask_;
            // Entry j may move to the hole at i unless its home lies
            // cyclically in (i, j].
            bool const stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (stays)
                continue;
            slots_[i].move_from(slots_[j]);
            i = j;
        }
        slots_[i].reset(); // frees what the entry held (a log's ring)
        slots_[i].tag = 0;
        --size_;
    }

    std::unique_ptr<Entry[]> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
    std::size_t bound_ = 0;
    std::size_t max_capacity_ = 0;
    std::size_t hand_ = 0;
};

} // namespace apikit::detail

#endif
