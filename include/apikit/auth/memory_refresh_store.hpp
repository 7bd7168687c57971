#ifndef APIKIT_AUTH_MEMORY_REFRESH_STORE_HPP
#define APIKIT_AUTH_MEMORY_REFRESH_STORE_HPP

// The in-process store of refresh-token families: the embedded default for
// one server process. Bounded, thread-safe and synchronous: it models
// `auth::sync_refresh_store`, and its async_* forms call the handler before
// they return. Families do not survive a restart (every user logs in again)
// and are not shared between processes: for either, use redis_refresh_store.
//
// Layout. One entry per family in an apikit::sharded_table
// (core/sharded_table.hpp), found by the family id's SipHash-1-3 under a
// random secret. The entry keeps the family id too, so a tag collision is a
// miss, never another family's answer (and a new login whose tag collides
// replaces the other family: by chance alone, about once in 2^64 pairs of
// families, that user logs in again). It holds the user id, the absolute
// expiry, the current secret's hash and a ring of the last `max_rotated`
// rotated hashes (32 bytes each, allocated as the family rotates).
//
// Threads. Every operation on one family runs under its shard's lock, held
// exclusively: a rotation reads and writes the family with nothing in
// between, so two rotations of one token at once are one `rotated` and one
// `reused`. A look-up that finds no live family (the common answer to a
// forged or stale cookie) takes the lock shared and inserts nothing.
//
// Time. A family is alive while now < expires_at (Unix seconds, the
// caller's clock). From expires_at on it answers `unknown` and is idle: the
// table drops it whenever a shard needs room, and purge(now) drops every
// such family at once. Nothing here reads a clock.
//
// Bounds. At most `max_families` families (rounded up per shard); past the
// bound a new login evicts, from a sample, an expired family if there is
// one, else the one that expires soonest (that user logs in again sooner
// than planned). A rotation, a revocation or a look-up never inserts, so
// forged tokens cannot evict anyone. Per family: `max_rotated` hashes (older
// ones are forgotten: such a token is then `unknown`, refused without
// revoking the family), a user id of at most max_refresh_user_id_size bytes
// and a family id of at most max_refresh_family_size bytes
// (errc::validation_error otherwise). Memory is about 300 bytes per family
// plus what it owns (the ids, 32 bytes per remembered rotation).
//
// Failures. std::bad_alloc if memory runs out; nothing else.

#include <apikit/auth/refresh_store.hpp>
#include <apikit/auth/refresh_token.hpp>
#include <apikit/core/constant_time.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/sharded_table.hpp>
#include <apikit/core/siphash.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::auth {

struct memory_refresh_store_options {
    /// The most families held at once (rounded up per shard, at least 8).
    std::size_t max_families = 100'000;
    /// The most rotated hashes remembered per family: a token rotated more
    /// than this many rotations ago is no longer recognized as reused.
    std::size_t max_rotated = 32;
    /// A power of two.
    std::size_t shards = 16;
    /// The secret of the family hash; random unless a test needs it fixed.
    siphash_key hash_key = siphash_key::random();
};

namespace detail {

using refresh_digest = std::array<char, refresh_hash_size>;

[[nodiscard]] inline std::string_view view_of(refresh_digest const& d) noexcept {
    return {d.data(), d.size()};
}

// One family. An entry whose `family` is empty holds none.
struct refresh_entry {
    std::uint64_t tag = 0;
    std::int64_t expires_at = std::numeric_limits<std::int64_t>::min();
    std::string family;
    std::string user_id;
    refresh_digest current{};
    std::vector<refresh_digest> rotated; // a ring once full
    std::uint64_t rotations = 0;

    [[nodiscard]] std::int64_t idle_at() const noexcept { return expires_at; }

    void move_from(refresh_entry& o) noexcept {
        tag = o.tag;
        expires_at = o.expires_at;
        family = std::move(o.family);
        user_id = std::move(o.user_id);
        current = o.current;
        rotated = std::move(o.rotated);
        rotations = o.rotations;
    }

    void reset() noexcept {
        expires_at = std::numeric_limits<std::int64_t>::min();
        std::string().swap(family);
        std::string().swap(user_id);
        current.fill(0);
        std::vector<refresh_digest>().swap(rotated);
        rotations = 0;
    }

    [[nodiscard]] bool alive(std::string_view f, std::int64_t now) const noexcept {
        return !family.empty() && family == f && now < expires_at;
    }

    void remember(refresh_digest const& h, std::size_t cap) {
        if (rotated.size() < cap)
            rotated.push_back(h);
        else
            rotated[rotations % cap] = h;
        ++rotations;
    }

    [[nodiscard]] bool was_rotated(std::string_view h) const noexcept {
        bool found = false;
        for (auto const& r : rotated) // every one compared: no early exit to time
            found |= constant_time_equal(view_of(r), h);
        return found;
    }
};

} // namespace detail

class memory_refresh_store {
    using table_type = sharded_table<detail::refresh_entry, shared_table_mutex>;

public:
    using options = memory_refresh_store_options;

    /// Throws std::invalid_argument if `shards` is not a power of two or
    /// `max_rotated` is 0.
    explicit memory_refresh_store(options o = {})
        : key_(o.hash_key)
        , max_rotated_(o.max_rotated)
        , table_(o.max_families, o.shards) {
        if (max_rotated_ == 0)
            throw std::invalid_argument(
                "apikit::auth::memory_refresh_store: max_rotated must be at least 1");
    }

    memory_refresh_store(memory_refresh_store const&) = delete;
    memory_refresh_store& operator=(memory_refresh_store const&) = delete;

    /// Stores a new family. errc::validation_error for an empty or too long
    /// family or user id, or a hash that is not 32 bytes.
    [[nodiscard]] result<void> try_create(family_record const& r, std::int64_t now) {
        if (r.family.empty() || r.family.size() > max_refresh_family_size ||
            r.user_id.size() > max_refresh_user_id_size || r.token_hash.size() != refresh_hash_size)
            return errc::validation_error;
        auto const h = siphash13(key_, r.family);
        table_.find_or_insert(h, table_tag(h), now, [&](detail::refresh_entry& e) {
            e.reset();
            e.family = r.family;
            e.user_id = r.user_id;
            e.expires_at = r.expires_at;
            std::copy(r.token_hash.begin(), r.token_hash.end(), e.current.begin());
        });
        return {};
    }

    /// Rotates `family` from `presented_hash` to `next_hash` at `now`
    /// (refresh_store.hpp). errc::validation_error for a `next_hash` that is
    /// not 32 bytes.
    [[nodiscard]] result<rotation> try_rotate(std::string_view family,
                                              std::string_view presented_hash,
                                              std::string_view next_hash, std::int64_t now) {
        if (next_hash.size() != refresh_hash_size)
            return errc::validation_error;
        auto const h = siphash13(key_, family);
        auto const tag = table_tag(h);
        if (!alive(h, tag, family, now))
            return rotation{};
        bool drop = false;
        auto out = table_.find_or_insert(h, tag, now, [&](detail::refresh_entry& e) {
            rotation r;
            if (!e.alive(family, now)) {
                // Revoked since the look-up: the entry may be one this call
                // inserted, which must not stay.
                drop = e.family.empty();
                return r;
            }
            if (constant_time_equal(detail::view_of(e.current), presented_hash)) {
                e.remember(e.current, max_rotated_);
                std::copy(next_hash.begin(), next_hash.end(), e.current.begin());
                r.outcome = rotation_outcome::rotated;
                r.user_id = e.user_id;
                r.expires_at = e.expires_at;
            } else if (e.was_rotated(presented_hash)) {
                r.outcome = rotation_outcome::reused;
                r.user_id = std::move(e.user_id);
                r.expires_at = e.expires_at;
                e.reset();
                drop = true;
            }
            return r;
        });
        if (drop)
            table_.erase(h, tag);
        return out;
    }

    /// Forgets `family`; none is no error.
    [[nodiscard]] result<void> try_revoke(std::string_view family) {
        auto const h = siphash13(key_, family);
        auto const tag = table_tag(h);
        if (alive(h, tag, family, std::numeric_limits<std::int64_t>::min()))
            table_.erase(h, tag);
        return {};
    }

    /// The completion-handler forms: each calls `handler` before returning.
    template <class Handler>
    void async_create(family_record const& r, std::int64_t now, Handler&& handler) {
        std::move(handler)(try_create(r, now).error());
    }

    template <class Handler>
    void async_rotate(std::string_view family, std::string_view presented_hash,
                      std::string_view next_hash, std::int64_t now, Handler&& handler) {
        auto r = try_rotate(family, presented_hash, next_hash, now);
        if (r)
            std::move(handler)(boost::system::error_code{}, std::move(*r));
        else
            std::move(handler)(r.error(), rotation{});
    }

    template <class Handler>
    void async_revoke(std::string_view family, Handler&& handler) {
        std::move(handler)(try_revoke(family).error());
    }

    /// Drops every family expired at `now`; returns how many. Optional:
    /// expired families also go whenever a shard needs room.
    std::size_t purge(std::int64_t now) { return table_.purge(now); }

    /// Forgets every family.
    void clear() { table_.clear(); }

    /// Families held now (expired ones not yet dropped included).
    [[nodiscard]] std::size_t size() const { return table_.size(); }

    /// The most families ever held: the bound after rounding.
    [[nodiscard]] std::size_t max_families() const noexcept { return table_.max_entries(); }

    [[nodiscard]] std::size_t max_rotated() const noexcept { return max_rotated_; }

private:
    // Whether `family` is held and alive at `now`, under the shared lock,
    // inserting nothing.
    [[nodiscard]] bool alive(std::uint64_t h, std::uint64_t tag, std::string_view family,
                             std::int64_t now) const {
        return table_.find(h, std::span<std::uint64_t const>(&tag, 1),
                           [&](std::span<detail::refresh_entry const* const> e) {
                               return e[0] != nullptr && e[0]->alive(family, now);
                           });
    }

    siphash_key key_;
    std::size_t max_rotated_;
    table_type table_;
};

static_assert(sync_refresh_store<memory_refresh_store>,
              "apikit::auth::memory_refresh_store must model apikit::auth::sync_refresh_store");

} // namespace apikit::auth

#endif
