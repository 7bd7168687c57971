#ifndef APIKIT_AUTH_VERIFICATION_CACHE_HPP
#define APIKIT_AUTH_VERIFICATION_CACHE_HPP

// A bounded cache of tokens already verified, so that a client sending the
// same bearer token on every request pays for its signature once: a hit
// returns the claims the first verification produced. The verifier
// (verifier.hpp, `verify_options::cache_entries`) owns one; it is public for
// tests and for a server that wants to size or clear it.
//
// It never lets through a token that would fail verification now:
// - a hit is the whole token, compared byte for byte with the one that was
//   verified (the entry keeps it), never a hash of it;
// - the verifier checks exp, nbf and iat again on every hit, against its
//   clock and leeway: nothing else in a token changes with time;
// - the key that verified it must still be the key the token names in the
//   key set: an entry remembers its key and kid, and when the set's
//   generation has moved since they were last checked, checks again (once
//   per key, not per entry). A retired or replaced key's entries are also
//   dropped by `sync`, which the verifier calls once per change of the set.
// Options of the verifier (issuer, audiences, type, required claims) are
// fixed for its life, so a cache belongs to one verifier.
//
// Cost. The entry is found by a keyed SipHash (secret, random) of the
// token's last 32 bytes — the end of its signature, which differs between
// any two tokens — so a hit hashes 32 bytes whatever the token's length,
// then compares the token once with memcmp. memcmp's early exit tells
// nothing useful: only a token whose 64-bit secret hash already matches a
// cached one is compared, and finding one needs the cached token's
// signature.
//
// Bounds, threads, time. Entries live in an apikit::sharded_table
// (core/sharded_table.hpp): at most `max_entries` (rounded up per shard),
// each holding its token (up to the verifier's maximum size) and a shared
// pointer to its claims. An entry is idle from its exp (+ leeway) or once its
// key is gone; idle entries go first, then those expiring soonest. Hits take
// their shard's lock shared; inserts and sync take it exclusively. The
// table reads no clock: times are Unix seconds from the verifier.

#include <apikit/auth/claims.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/auth/key_set.hpp>
#include <apikit/core/sharded_table.hpp>
#include <apikit/core/siphash.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::auth {

/// What a verification yields: the token's claims, shared and immutable.
using verified = std::shared_ptr<claims const>;

namespace detail {

// A key as a token named it (by kid, or as the set's only key), shared by
// the entries it verified. `checked` is the key set generation at which the
// name last resolved to this key; `gone` is set once it no longer does.
struct key_binding {
    std::shared_ptr<auth::key const> bound;
    std::string kid;
    std::atomic<std::uint64_t> checked{0};
    std::atomic<bool> gone{false};

    // True when the name still resolves to the key in `s`; records it.
    bool still_in(key_snapshot const& s) noexcept {
        auto const* p = s.resolve(kid);
        if (p == nullptr || p->get() != bound.get()) {
            gone.store(true, std::memory_order_relaxed);
            return false;
        }
        checked.store(s.generation, std::memory_order_release);
        return true;
    }
};

struct cached_token {
    std::uint64_t tag = 0;
    std::int64_t expires_at = 0; // Unix seconds from which it no longer verifies (exp + leeway)
    std::string token;
    verified claims;
    std::shared_ptr<key_binding> binding;

    std::int64_t idle_at() const noexcept {
        return binding && binding->gone.load(std::memory_order_relaxed)
                   ? std::numeric_limits<std::int64_t>::min()
                   : expires_at;
    }
    void move_from(cached_token& o) noexcept {
        tag = o.tag;
        expires_at = o.expires_at;
        token = std::move(o.token);
        claims = std::move(o.claims);
        binding = std::move(o.binding);
    }
    void reset() noexcept {
        expires_at = 0;
        std::string().swap(token);
        claims.reset();
        binding.reset();
    }
};

} // namespace detail

class verification_cache {
    using table_type = sharded_table<detail::cached_token, shared_table_mutex>;

public:
    /// The bytes at the token's end that pick its entry.
    static constexpr std::size_t hashed_suffix = 32;

    /// A cache of at most `max_entries` tokens (rounded up so that every
    /// shard holds the same number, at least 8), in a power-of-two number of
    /// shards: by default about one per 64 entries, at most 64.
    explicit verification_cache(std::size_t max_entries, std::size_t shards = 0,
                                siphash_key hash_key = siphash_key::random())
        : hash_key_(hash_key)
        , table_(max_entries, shards != 0 ? shards : default_shards(max_entries)) {}

    verification_cache(verification_cache const&) = delete;
    verification_cache& operator=(verification_cache const&) = delete;

    /// The claims of `token` if it is cached and the key that verified it is
    /// still the one it names in `keys`; else null. Times are the caller's
    /// to check.
    [[nodiscard]] verified find(std::string_view token, key_set const& keys) const {
        auto const h = hash(token);
        auto const tag = table_tag(h);
        return table_.find(h, std::span<std::uint64_t const>(&tag, 1),
                           [&](std::span<detail::cached_token const* const> found) -> verified {
                               auto const* e = found[0];
                               if (e == nullptr || e->token.size() != token.size() ||
                                   std::memcmp(e->token.data(), token.data(), token.size()) != 0)
                                   return nullptr;
                               auto& b = *e->binding;
                               if (b.gone.load(std::memory_order_relaxed))
                                   return nullptr;
                               if (b.checked.load(std::memory_order_acquire) != keys.generation() &&
                                   !keys.visit([&](auto const& s) { return b.still_in(s); }))
                                   return nullptr;
                               return e->claims;
                           });
    }

    /// Remembers `token`, verified with `k` (named `kid` by the token) in the
    /// key set snapshot of `generation`, until `expires_at` (Unix seconds).
    void insert(std::string_view token, verified c, std::shared_ptr<key const> const& k,
                std::string_view kid, std::uint64_t generation, std::int64_t expires_at,
                std::int64_t now) {
        auto b = binding_for(k, kid, generation);
        auto const h = hash(token);
        table_.find_or_insert(h, table_tag(h), now, [&](detail::cached_token& e) {
            e.expires_at = expires_at;
            e.token.assign(token);
            e.claims = std::move(c);
            e.binding = std::move(b);
        });
    }

    /// After a change of `keys`: marks the keys no longer named as they were
    /// gone and drops their entries, and every entry expired at `now`.
    void sync(key_set const& keys, std::int64_t now) {
        {
            std::lock_guard lock(bindings_mutex_);
            keys.visit([&](detail::key_snapshot const& s) {
                std::erase_if(bindings_, [&](auto const& b) { return !b->still_in(s); });
            });
        }
        table_.purge(now);
    }

    /// Drops every entry idle at `now` (expired, or of a key gone).
    std::size_t purge(std::int64_t now) { return table_.purge(now); }
    void clear() { table_.clear(); }
    [[nodiscard]] std::size_t size() const { return table_.size(); }
    [[nodiscard]] std::size_t max_entries() const noexcept { return table_.max_entries(); }

private:
    static std::size_t default_shards(std::size_t max_entries) noexcept {
        return std::clamp<std::size_t>(std::bit_floor(std::max<std::size_t>(max_entries / 64, 1)),
                                       1, 64);
    }

    [[nodiscard]] std::uint64_t hash(std::string_view token) const noexcept {
        return siphash13(hash_key_,
                         token.substr(token.size() - std::min(token.size(), hashed_suffix)));
    }

    std::shared_ptr<detail::key_binding> binding_for(std::shared_ptr<key const> const& k,
                                                     std::string_view kid,
                                                     std::uint64_t generation) {
        std::lock_guard lock(bindings_mutex_);
        for (auto const& b : bindings_)
            if (b->bound == k && b->kid == kid && !b->gone.load(std::memory_order_relaxed))
                return b;
        auto b = std::make_shared<detail::key_binding>();
        b->bound = k;
        b->kid = kid;
        b->checked.store(generation, std::memory_order_relaxed);
        bindings_.push_back(b);
        return b;
    }

    siphash_key hash_key_;
    mutable table_type table_;
    std::mutex bindings_mutex_;
    std::vector<std::shared_ptr<detail::key_binding>> bindings_;
};

} // namespace apikit::auth

#endif
