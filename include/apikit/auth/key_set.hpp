#ifndef APIKIT_AUTH_KEY_SET_HPP
#define APIKIT_AUTH_KEY_SET_HPP

// The keys a server verifies tokens with and signs them with, by `kid`, and
// their rotation: add the next key, make it the signing key, keep the old
// one verifying until the tokens it signed have expired, then retire it
// (docs/auth.md, "Key rotation"). A JWKS reload replaces the whole set.
//
// Threads. Every token looks its key up, on every thread, so a lookup must
// not contend with other lookups: the keys live in an immutable snapshot
// that a change replaces whole (under a mutex, with a new generation
// number). Each thread keeps the snapshots it last used, for up to four key
// sets, and checks them against the set's generation — one atomic load of a
// word written only on a change — so the hot path takes no lock and touches
// no reference count (the verifier's `visit`). find() and signing_key()
// return shared pointers, which do count. A thread's kept snapshot holds a
// retired key in memory until that thread next looks at the set (or exits);
// it is never used after the set's generation moved on.
//
// Generations are unique across every key set of the process, so a thread's
// kept snapshot can never be taken for another set's.
//
// Failures: use_for_signing throws std::invalid_argument for a kid the set
// lacks or a key that cannot sign — a set-up mistake, not a request's.

#include <apikit/auth/jwks.hpp>
#include <apikit/auth/key.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::auth {

namespace detail {

inline std::atomic<std::uint64_t> next_key_set_generation{1};

// One state of a key set: its keys sorted by kid, and the one that signs.
struct key_snapshot {
    std::uint64_t generation = 0;
    std::vector<std::shared_ptr<key const>> keys;
    std::shared_ptr<key const> signing;

    [[nodiscard]] std::shared_ptr<key const> const* slot(std::string_view kid) const noexcept {
        auto const it = std::lower_bound(
            keys.begin(), keys.end(), kid,
            [](std::shared_ptr<key const> const& k, std::string_view id) { return k->kid() < id; });
        return it != keys.end() && (*it)->kid() == kid ? &*it : nullptr;
    }

    [[nodiscard]] key const* find(std::string_view kid) const noexcept {
        auto const* p = slot(kid);
        return p ? p->get() : nullptr;
    }

    // The key a token names: by its kid, or, for a token without one, the
    // set's only key (RFC 7515 §4.1.4 makes kid optional; with several keys
    // a token without one names none).
    [[nodiscard]] std::shared_ptr<key const> const* resolve(std::string_view kid) const noexcept {
        if (kid.empty())
            return keys.size() == 1 ? &keys.front() : nullptr;
        return slot(kid);
    }
};

} // namespace detail

class key_set {
public:
    key_set() : current_(make({}, nullptr)) {}
    explicit key_set(std::vector<key> keys) : key_set() { replace(std::move(keys)); }

    key_set(key_set const&) = delete;
    key_set& operator=(key_set const&) = delete;

    /// Calls `f(snapshot)` with the set's current snapshot, which stays valid
    /// for the call. The verifier's lookup: no lock and no reference count
    /// while the set does not change.
    template <class F>
    decltype(auto) visit(F&& f) const {
        auto const g = generation();
        auto& slots = thread_slots();
        for (auto& s : slots)
            if (s.generation == g && s.owner == this)
                return std::forward<F>(f)(*s.snapshot);
        std::shared_ptr<detail::key_snapshot const> snap;
        {
            std::shared_lock lock(mutex_);
            snap = current_;
        }
        // The slot this set used, else the oldest.
        auto* slot = &slots[0];
        for (auto& s : slots) {
            if (s.owner == this) {
                slot = &s;
                break;
            }
            if (s.used < slot->used)
                slot = &s;
        }
        slot->owner = this;
        slot->generation = snap->generation;
        slot->snapshot = std::move(snap);
        slot->used = ++thread_clock();
        return std::forward<F>(f)(*slot->snapshot);
    }

    /// Adds `k`, replacing a key of the same kid. The first key added that
    /// can sign becomes the signing key when there is none.
    void add(key k) {
        change([&](auto& keys, auto& signing) {
            auto p = std::make_shared<key const>(std::move(k));
            std::erase_if(keys, [&](auto const& o) { return o->kid() == p->kid(); });
            if (signing && signing->kid() == p->kid())
                signing = p->can_sign() ? p : nullptr;
            if (!signing && p->can_sign())
                signing = p;
            keys.push_back(std::move(p));
        });
    }

    /// Rotation: tokens issued from now on are signed by the key `kid`.
    void use_for_signing(std::string_view kid) {
        change([&](auto& keys, auto& signing) {
            for (auto const& k : keys)
                if (k->kid() == kid) {
                    if (!k->can_sign())
                        throw std::invalid_argument(
                            "apikit::auth::key_set::use_for_signing: the key cannot sign");
                    signing = k;
                    return;
                }
            throw std::invalid_argument(
                "apikit::auth::key_set::use_for_signing: no key has this kid");
        });
    }

    /// Removes the key `kid`: its tokens no longer verify (and a verifier's
    /// cache drops them). False when there was none. Retiring the signing
    /// key leaves the set without one.
    bool retire(std::string_view kid) {
        bool found = false;
        change([&](auto& keys, auto& signing) {
            found = std::erase_if(keys, [&](auto const& k) { return k->kid() == kid; }) > 0;
            if (signing && signing->kid() == kid)
                signing = nullptr;
        });
        return found;
    }

    /// Replaces every key (a JWKS reload); of two keys of one kid the later
    /// stays. The signing key stays the key of its kid if that one can sign.
    void replace(std::vector<key> keys) {
        change([&](auto& ks, auto& signing) {
            ks.clear();
            for (auto& k : keys) {
                std::erase_if(ks, [&](auto const& o) { return o->kid() == k.kid(); });
                ks.push_back(std::make_shared<key const>(std::move(k)));
            }
            if (signing) {
                auto const kid = std::string(signing->kid());
                signing = nullptr;
                for (auto const& k : ks)
                    if (k->kid() == kid && k->can_sign())
                        signing = k;
            }
        });
    }

    /// The key `kid`, or null.
    [[nodiscard]] std::shared_ptr<key const> find(std::string_view kid) const {
        return visit([&](detail::key_snapshot const& s) {
            auto const* p = s.slot(kid);
            return p ? *p : nullptr;
        });
    }

    /// The key new tokens are signed with; null when none can sign.
    [[nodiscard]] std::shared_ptr<key const> signing_key() const {
        return visit([](detail::key_snapshot const& s) { return s.signing; });
    }

    /// The number of keys.
    [[nodiscard]] std::size_t size() const {
        return visit([](detail::key_snapshot const& s) { return s.keys.size(); });
    }

    /// The public keys as a JWKS document, for GET /.well-known/jwks.json
    /// (HS256 keys are never published).
    [[nodiscard]] std::string jwks() const {
        return visit([](detail::key_snapshot const& s) {
            std::vector<key> keys;
            keys.reserve(s.keys.size());
            for (auto const& k : s.keys)
                keys.push_back(*k);
            return write_jwks(keys);
        });
    }

    /// A number that changes on every change of the set, unique across the
    /// process's key sets.
    [[nodiscard]] std::uint64_t generation() const noexcept {
        return generation_.load(std::memory_order_acquire);
    }

private:
    struct slot {
        key_set const* owner = nullptr;
        std::uint64_t generation = 0;
        std::uint64_t used = 0;
        std::shared_ptr<detail::key_snapshot const> snapshot;
    };

    static std::array<slot, 4>& thread_slots() {
        thread_local std::array<slot, 4> slots;
        return slots;
    }
    static std::uint64_t& thread_clock() {
        thread_local std::uint64_t n = 0;
        return n;
    }

    static std::shared_ptr<detail::key_snapshot const>
    make(std::vector<std::shared_ptr<key const>> keys, std::shared_ptr<key const> signing) {
        auto s = std::make_shared<detail::key_snapshot>();
        std::sort(keys.begin(), keys.end(),
                  [](auto const& a, auto const& b) { return a->kid() < b->kid(); });
        s->keys = std::move(keys);
        s->signing = std::move(signing);
        s->generation = detail::next_key_set_generation.fetch_add(1, std::memory_order_relaxed);
        return s;
    }

    // Builds the next snapshot from a copy of the current one's keys and
    // publishes it, then its generation.
    template <class F>
    void change(F&& f) {
        std::unique_lock lock(mutex_);
        auto keys = current_->keys;
        auto signing = current_->signing;
        std::forward<F>(f)(keys, signing);
        current_ = make(std::move(keys), std::move(signing));
        generation_.store(current_->generation, std::memory_order_release);
    }

    mutable std::shared_mutex mutex_;
    std::shared_ptr<detail::key_snapshot const> current_;
    std::atomic<std::uint64_t> generation_{current_->generation};
};

} // namespace apikit::auth

#endif
