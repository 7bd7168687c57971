#ifndef APIKIT_OBS_DETAIL_SHARDED_CELLS_HPP
#define APIKIT_OBS_DETAIL_SHARDED_CELLS_HPP

// The storage behind every counter and histogram: one block of 64-bit cells
// per thread slot, each block on cache lines of its own, summed when the
// metrics are read.
//
// A thread takes a slot the first time it updates a metric and keeps it
// until it exits. Up to `exclusive_slots()` threads at once each own a slot
// alone: an update is then a relaxed load and a relaxed store of the
// thread's own cell (no locked instruction, no cache line another updating
// thread writes). Threads beyond that share one last slot, updated by
// atomic read-modify-writes: still exact, only slower. A slot given back
// when its thread exits keeps its values and goes to the next thread that
// asks; the mutex that hands slots over orders the old owner's last store
// before the new owner's first load, so nothing is lost. (A thread must not
// update a metric from the destructor of a thread_local of its own that
// outlives its slot: the slot may be another thread's by then.)
//
// A reader (a scrape) loads every slot's cells with relaxed loads: each
// cell is exact, and a histogram read while being updated may have a sum
// a few observations ahead of or behind its buckets, as in every
// Prometheus client.

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace apikit::obs::detail {

inline constexpr std::size_t cache_line = 64;
inline constexpr std::size_t cells_per_line = cache_line / sizeof(std::uint64_t);

struct alignas(cache_line) cell_line {
    std::atomic<std::uint64_t> cells[cells_per_line]{};
};

/// The slots threads own alone: twice the hardware threads (rounded up to a
/// power of two), between 8 and 64. Fixed for the life of the process.
[[nodiscard]] inline std::size_t exclusive_slots() noexcept {
    static std::size_t const n = [] {
        std::size_t const hw = std::max(1u, std::thread::hardware_concurrency());
        return std::clamp<std::size_t>(std::bit_ceil(2 * hw), 8, 64);
    }();
    return n;
}

/// Which slot a thread updates, and whether it owns it alone.
struct thread_slot {
    std::size_t index = 0;
    bool exclusive = false;
};

class slot_pool {
public:
    [[nodiscard]] static slot_pool& instance() noexcept {
        // Never destroyed: threads give their slots back while the process
        // exits, in whatever order its statics go.
        static slot_pool* const p = new slot_pool(exclusive_slots());
        return *p;
    }

    [[nodiscard]] thread_slot take() {
        std::lock_guard lock(m_);
        auto const free = std::find(used_.begin(), used_.end(), false);
        if (free == used_.end())
            return {used_.size(), false}; // the shared slot
        *free = true;
        return {static_cast<std::size_t>(free - used_.begin()), true};
    }

    void give_back(thread_slot s) noexcept {
        if (!s.exclusive)
            return;
        std::lock_guard lock(m_);
        used_[s.index] = false;
    }

private:
    explicit slot_pool(std::size_t n) : used_(n, false) {}
    std::mutex m_;
    std::vector<bool> used_;
};

// Holds the calling thread's slot from its first update to its exit.
class slot_holder {
public:
    slot_holder() : slot_(slot_pool::instance().take()) {}
    slot_holder(slot_holder const&) = delete;
    slot_holder& operator=(slot_holder const&) = delete;
    ~slot_holder() { slot_pool::instance().give_back(slot_); }
    [[nodiscard]] thread_slot get() const noexcept { return slot_; }

private:
    thread_slot slot_;
};

[[nodiscard]] inline thread_slot this_thread_slot() noexcept {
    thread_local slot_holder const holder;
    return holder.get();
}

/// `words` cells for every slot (and the shared one), each slot's on cache
/// lines of its own.
class sharded_cells {
public:
    explicit sharded_cells(std::size_t words)
        : words_(words)
        , lines_per_slot_((words + cells_per_line - 1) / cells_per_line)
        , slots_(exclusive_slots() + 1)
        , lines_(std::make_unique<cell_line[]>(lines_per_slot_ * slots_)) {}

    [[nodiscard]] std::size_t words() const noexcept { return words_; }

    /// Adds `n` to cell `word` of the calling thread's slot.
    void add(std::size_t word, std::uint64_t n) noexcept {
        auto const s = this_thread_slot();
        auto& c = cell(s.index, word);
        if (s.exclusive)
            c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        else
            c.fetch_add(n, std::memory_order_relaxed);
    }

    /// Adds `n` to cell `count_word` and `v` to the double held in cell
    /// `sum_word`, both of the calling thread's slot.
    void add_with_sum(std::size_t count_word, std::uint64_t n, std::size_t sum_word,
                      double v) noexcept {
        auto const s = this_thread_slot();
        auto& c = cell(s.index, count_word);
        auto& sum = cell(s.index, sum_word);
        if (s.exclusive) {
            c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
            sum.store(std::bit_cast<std::uint64_t>(
                          std::bit_cast<double>(sum.load(std::memory_order_relaxed)) + v),
                      std::memory_order_relaxed);
            return;
        }
        c.fetch_add(n, std::memory_order_relaxed);
        auto old = sum.load(std::memory_order_relaxed);
        while (!sum.compare_exchange_weak(
            old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
            std::memory_order_relaxed))
            ;
    }

    /// Cell `word` summed over every slot.
    [[nodiscard]] std::uint64_t sum(std::size_t word) const noexcept {
        std::uint64_t total = 0;
        for (std::size_t s = 0; s < slots_; ++s)
            total += cell(s, word).load(std::memory_order_relaxed);
        return total;
    }

    /// The doubles held in cell `word`, summed over every slot.
    [[nodiscard]] double sum_double(std::size_t word) const noexcept {
        double total = 0;
        for (std::size_t s = 0; s < slots_; ++s)
            total += std::bit_cast<double>(cell(s, word).load(std::memory_order_relaxed));
        return total;
    }

private:
    [[nodiscard]] std::atomic<std::uint64_t>& cell(std::size_t slot,
                                                   std::size_t word) const noexcept {
        return lines_[slot * lines_per_slot_ + word / cells_per_line].cells[word % cells_per_line];
    }

    std::size_t words_;
    std::size_t lines_per_slot_;
    std::size_t slots_;
    std::unique_ptr<cell_line[]> lines_;
};

} // namespace apikit::obs::detail

#endif
