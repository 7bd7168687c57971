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
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::obs::detail {

/// A hash of the values, eight bytes at a time (a multiply and a rotate
/// each, as wyhash and rapidhash mix): the RED middleware hashes four short
/// values per response, which byte-at-a-time FNV-1a took 30 ns over. Each
/// value's length goes in first, so ("ab","c") and ("a","bc") differ.
[[nodiscard]] inline std::uint64_t hash_values(std::span<std::string_view const> values) noexcept {
    constexpr std::uint64_t k = 0x9e3779b97f4a7c15ull;
    std::uint64_t h = 0x243f6a8885a308d3ull;
    auto const mix = [&h](std::uint64_t w) { h = std::rotl((h ^ w) * k, 29); };
    for (auto v : values) {
        mix(v.size());
        auto const* p = v.data();
        auto n = v.size();
        for (; n >= 8; p += 8, n -= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            mix(w);
        }
        if (n > 0) { // byte by byte: a memcpy of a run-time length is a call
            std::uint64_t w = 0;
            for (std::size_t i = 0; i < n; ++i)
                w |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
            mix(w);
        }
    }
    return h ^ (h >> 32);
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
