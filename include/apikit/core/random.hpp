#ifndef APIKIT_CORE_RANDOM_HPP
#define APIKIT_CORE_RANDOM_HPP

// Random bytes and prefixed random ids (`req_…`, `evt_…`, `job_…`) from
// OpenSSL's CSPRNG. A server mints an id for nearly every request, so bytes are
// drawn from a per-thread pool refilled 4 KiB at a time: one RAND_bytes call
// (and its locks) per ~150 ids instead of one per id. After fork() the child
// refills before its next draw, so parent and child never share bytes.

#include <openssl/rand.h>

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace apikit {

namespace detail {

inline std::atomic<unsigned> fork_generation{0};

inline void register_fork_handler() noexcept {
    static bool const registered = [] {
        ::pthread_atfork(nullptr, nullptr,
                         [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
        return true;
    }();
    (void)registered;
}

class random_pool {
public:
    void fill(void* out, std::size_t n) {
        if (n > pool_.size()) {
            draw(out, n);
            return;
        }
        auto const gen = fork_generation.load(std::memory_order_relaxed);
        if (gen != generation_) {
            generation_ = gen;
            used_ = pool_.size();
        }
        if (pool_.size() - used_ < n) {
            draw(pool_.data(), pool_.size());
            used_ = 0;
        }
        std::memcpy(out, pool_.data() + used_, n);
        // Bytes handed out are erased, so a later leak of the pool cannot
        // reveal ids or keys already issued.
        std::memset(pool_.data() + used_, 0, n);
        used_ += n;
    }

private:
    static void draw(void* out, std::size_t n) {
        if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1)
            throw std::runtime_error("apikit: the CSPRNG (RAND_bytes) failed");
    }

    std::array<unsigned char, 4096> pool_{};
    std::size_t used_ = pool_.size();
    unsigned generation_ = 0;
};

[[nodiscard]] inline random_pool& thread_random_pool() {
    register_fork_handler();
    thread_local random_pool pool;
    return pool;
}

} // namespace detail

/// Fills `out` with `n` bytes from the CSPRNG.
inline void random_bytes(void* out, std::size_t n) {
    detail::thread_random_pool().fill(out, n);
}

/// A double uniform in [0, 1), from 53 random bits: the draw of a jittered
/// backoff.
[[nodiscard]] inline double random_unit() {
    std::uint64_t bits;
    random_bytes(&bits, sizeof bits);
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

/// Characters of a random id: base62, so an id is one word when double-clicked
/// and needs no escaping in a URL, a header or JSON.
inline constexpr std::string_view id_alphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters of randomness in an id: 22 base62 characters are 131 bits, as
/// unguessable as a random UUID (122 bits) with room to spare.
inline constexpr std::size_t id_random_length = 22;

/// Writes `id_random_length` random base62 characters to `out`.
inline void write_random_id(char* out) {
    // Rejection sampling on 6 bits of each byte: 0–61 are kept, each maps to
    // one character, 62 and 63 are dropped (probability 1/32). 26 bytes
    // hold the 22 kept ones 99.9 % of the time; the rest draws again, a byte
    // at a time. The first loop has no branch: every byte writes its
    // character, only a kept one moves on, and a dropped one is overwritten
    // by the next (the table's two extra characters are never kept).
    static constexpr char chars[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz--";
    static_assert(std::string_view(chars, 62) == id_alphabet && sizeof chars == 65);
    constexpr std::size_t draw = 26;
    std::array<unsigned char, draw> bytes;
    random_bytes(bytes.data(), draw);
    char id[draw];
    std::size_t n = 0;
    for (unsigned char const b : bytes) {
        unsigned const v = b & 63u;
        id[n] = chars[v];
        n += v < 62 ? 1 : 0;
    }
    while (n < id_random_length) {
        unsigned char b;
        random_bytes(&b, 1);
        if (unsigned const v = b & 63u; v < 62)
            id[n++] = chars[v];
    }
    std::memcpy(out, id, id_random_length);
}

/// Appends `id_random_length` random base62 characters to `out`.
inline void append_random_id(std::string& out) {
    char id[id_random_length];
    write_random_id(id);
    out.append(id, id_random_length);
}

/// A new id: `prefix` followed by 22 random base62 characters, e.g.
/// `random_id("req_")` → `req_4UM1pQy0r8hV3kX9cTn2Lb`.
[[nodiscard]] inline std::string random_id(std::string_view prefix) {
    std::string id;
    id.reserve(prefix.size() + id_random_length);
    id.append(prefix);
    append_random_id(id);
    return id;
}

} // namespace apikit

#endif
