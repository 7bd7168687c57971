#ifndef APIKIT_OBS_DETAIL_SERIES_TABLE_HPP
#define APIKIT_OBS_DETAIL_SERIES_TABLE_HPP

// The label values → series map of a labelled family: an insert-only
// open-addressing table of pointers, sized once for the family's series
// limit at twice that many slots (so it is at most half full and a probe
// ends soon), read with acquire loads and no lock. A series is inserted
// under the family's mutex and published by a release store of its
// pointer; it is never moved nor removed until the family goes, so a
// reference to it stays valid as long as the family.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::obs::detail {

/// FNV-1a over the values, each followed by a 0xff byte (which UTF-8 never
/// holds), so ("ab","c") and ("a","bc") differ.
[[nodiscard]] inline std::uint64_t hash_values(std::span<std::string_view const> values) noexcept {
    std::uint64_t h = 14695981039346656037ull;
    for (auto v : values) {
        for (unsigned char c : v) {
            h ^= c;
            h *= 1099511628211ull;
        }
        h ^= 0xff;
        h *= 1099511628211ull;
    }
    return h;
}

template <class Series>
class series_table {
public:
    explicit series_table(std::size_t limit)
        : mask_(std::bit_ceil(2 * (limit == 0 ? 1 : limit)) - 1)
        , slots_(std::make_unique<std::atomic<Series*>[]>(mask_ + 1)) {}

    /// The series with these values, or null.
    [[nodiscard]] Series* find(std::uint64_t hash,
                               std::span<std::string_view const> values) const noexcept {
        for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
            auto* s = slots_[i].load(std::memory_order_acquire);
            if (!s)
                return nullptr;
            if (s->hash == hash && s->matches(values))
                return s;
        }
    }

    /// Publishes `s`, which find() did not find; under the family's mutex,
    /// at most `limit` times.
    void insert(Series* s) noexcept {
        std::size_t i = s->hash & mask_;
        while (slots_[i].load(std::memory_order_relaxed))
            i = (i + 1) & mask_;
        slots_[i].store(s, std::memory_order_release);
    }

private:
    std::size_t mask_;
    std::unique_ptr<std::atomic<Series*>[]> slots_;
};

} // namespace apikit::obs::detail

#endif
