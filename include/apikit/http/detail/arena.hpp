#ifndef APIKIT_HTTP_DETAIL_ARENA_HPP
#define APIKIT_HTTP_DETAIL_ARENA_HPP

// The allocator of a connection's request header fields, after Beast's
// fields_alloc: a bump allocator over one block that is rewound once every
// allocation has been given back, which happens each time the connection's
// parser is destroyed. Parsing a request then costs no call to malloc.
// Unlike fields_alloc it never throws when the block is full: a header of
// many tiny fields needs more memory than its bytes on the wire, so past the
// block it falls back to the heap. The block is allocated on first use, so an
// idle connection that has released it holds nothing.

#include <cstddef>
#include <memory>
#include <new>

namespace apikit::http::detail {

class header_arena {
public:
    explicit header_arena(std::size_t block_size) noexcept : size_(block_size) {}
    header_arena(header_arena const&) = delete;
    header_arena& operator=(header_arena const&) = delete;

    void* allocate(std::size_t n) {
        n = (n + granule - 1) & ~(granule - 1);
        if (!block_)
            block_.reset(new std::byte[size_]);
        if (block_ && size_ - used_ >= n) {
            void* p = block_.get() + used_;
            used_ += n;
            ++live_;
            return p;
        }
        return ::operator new(n);
    }

    void deallocate(void* p) noexcept {
        auto* b = static_cast<std::byte*>(p);
        if (block_ && b >= block_.get() && b < block_.get() + size_) {
            if (--live_ == 0)
                used_ = 0;
            return;
        }
        ::operator delete(p);
    }

    /// Gives the block back to the heap; only while nothing is allocated.
    void release() noexcept {
        if (live_ == 0)
            block_.reset();
    }

    bool holds_memory() const noexcept { return block_ != nullptr; }

private:
    // Every piece is as aligned as operator new's memory, so anything fits.
    static constexpr std::size_t granule = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

    std::unique_ptr<std::byte[]> block_;
    std::size_t size_;
    std::size_t used_ = 0;
    std::size_t live_ = 0;
};

/// A standard allocator drawing from a `header_arena` it does not own; the
/// arena outlives every container using it (both belong to one connection).
template <class T>
class arena_allocator {
public:
    using value_type = T;
    using is_always_equal = std::false_type;

    explicit arena_allocator(header_arena& a) noexcept : arena_(&a) {}
    template <class U>
    arena_allocator(arena_allocator<U> const& other) noexcept : arena_(other.arena()) {}

    T* allocate(std::size_t n) { return static_cast<T*>(arena_->allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t) noexcept { arena_->deallocate(p); }

    header_arena* arena() const noexcept { return arena_; }

    template <class U>
    friend bool operator==(arena_allocator const& a, arena_allocator<U> const& b) noexcept {
        return a.arena() == b.arena();
    }

private:
    header_arena* arena_;
};

} // namespace apikit::http::detail

#endif
