#ifndef APIKIT_AUTH_REFRESH_TOKENS_HPP
#define APIKIT_AUTH_REFRESH_TOKENS_HPP

// The refresh-token lifecycle over any auth::refresh_store: 7 days absolute,
// rotated on every use, reuse revokes the family.
//
//   issue(user)    a new family (one login): expires_at = now + lifetime,
//                  fixed for good; a token "<family>.<secret>" whose Max-Age
//                  is the whole lifetime.
//   rotate(token)  the token presented is parsed (refresh_token.hpp: a text
//                  that is not one is refresh_invalid, and the store is not
//                  asked), its secret hashed, and the store swaps that hash
//                  for the hash of a fresh secret, atomically. Rotated: the
//                  new token, with Max-Age = expires_at − now — never more,
//                  so a chain of rotations ends at the login's expiry.
//                  A token already rotated: refresh_reused (the store revoked
//                  the family: the newest token is dead too). Anything else
//                  (unknown, expired, revoked, a wrong secret):
//                  refresh_invalid.
//   revoke(token)  logout: a token that parses revokes its family; anything
//                  else is a success that does nothing (logout is idempotent
//                  and tells a client nothing).
//
// Time. Whole Unix seconds from Clock (system_clock in a server, whose epoch
// is the Unix epoch; a manual clock in tests). Every process sharing a
// store must share that epoch.
//
// Handlers. Each async_* calls its handler exactly once, with
// void(error_code, issued_refresh_token) (void(error_code) for revoke): on
// the store's terms — before returning for a memory store, later on the
// store's executor for a Redis store, where the handler's associated
// executor is kept — and always before returning for a token that does not
// parse. Errors: auth::error::refresh_invalid and refresh_reused (401),
// errc::validation_error for an empty or over-long user id, and the store's
// own (condition::backend_unavailable: 503). With a sync_refresh_store the
// try_* forms answer as results.
//
// Threads. A refresh_tokens holds no mutable state: any number of threads
// may call it at once, as the store allows (both stores here do). It keeps a
// reference to the store, which must outlive it.

#include <apikit/auth/detail/refresh_ops.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/auth/refresh_store.hpp>
#include <apikit/auth/refresh_token.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::auth {

template <class Store, class Clock = std::chrono::system_clock>
class refresh_tokens {
    static_assert(refresh_store<Store>,
                  "apikit::auth::refresh_tokens's Store must model apikit::auth::refresh_store");
    static_assert(apikit::clock<Clock>,
                  "apikit::auth::refresh_tokens's Clock must model apikit::clock");

public:
    using issued = issued_refresh_token;
    using store_type = Store;
    using clock_type = Clock;

    /// The default lifetime of a login: 7 days.
    static constexpr std::chrono::seconds default_lifetime = std::chrono::days{7};

    /// Throws std::invalid_argument for a lifetime that is not positive.
    explicit refresh_tokens(Store& store, std::chrono::seconds lifetime = default_lifetime,
                            Clock clock = {})
        : store_(&store)
        , lifetime_(lifetime)
        , clock_(std::move(clock)) {
        if (lifetime_.count() <= 0)
            throw std::invalid_argument("apikit::auth::refresh_tokens: the lifetime must be "
                                        "positive");
    }

    /// A new family for `user_id`: handler(error_code, issued).
    template <class Handler>
    void async_issue(std::string_view user_id, Handler&& handler) {
        using op = detail::refresh_issue_op<std::decay_t<Handler>>;
        auto p = prepare_issue(user_id);
        if (!p)
            return detail::complete_refresh(handler, p.error());
        store_->async_create(p->record, p->now,
                             op{std::forward<Handler>(handler), std::move(p->token)});
    }

    /// Rotates `token`: handler(error_code, issued).
    template <class Handler>
    void async_rotate(std::string_view token, Handler&& handler) {
        using op = detail::refresh_rotate_op<std::decay_t<Handler>>;
        auto p = prepare_rotate(token);
        if (!p)
            return detail::complete_refresh(handler, make_error_code(error::refresh_invalid));
        store_->async_rotate(p->family, p->presented_hash, p->next_hash, p->now,
                             op{std::forward<Handler>(handler), std::move(p->next), p->now});
    }

    /// Revokes `token`'s family: handler(error_code).
    template <class Handler>
    void async_revoke(std::string_view token, Handler&& handler) {
        auto const parts = parse_refresh_token(token);
        if (!parts)
            return std::move(handler)(boost::system::error_code{});
        store_->async_revoke(parts->family, std::forward<Handler>(handler));
    }

    [[nodiscard]] result<issued>
    try_issue(std::string_view user_id) requires sync_refresh_store<Store> {
        auto p = prepare_issue(user_id);
        if (!p)
            return p.error();
        if (auto r = store_->try_create(p->record, p->now); !r)
            return r.error();
        return std::move(p->token);
    }

    [[nodiscard]] result<issued>
    try_rotate(std::string_view token) requires sync_refresh_store<Store> {
        auto p = prepare_rotate(token);
        if (!p)
            return make_error_code(error::refresh_invalid);
        auto r = store_->try_rotate(p->family, p->presented_hash, p->next_hash, p->now);
        if (!r)
            return r.error();
        return detail::rotated_token(std::move(*r), std::move(p->next), p->now);
    }

    [[nodiscard]] result<void>
    try_revoke(std::string_view token) requires sync_refresh_store<Store> {
        auto const parts = parse_refresh_token(token);
        if (!parts)
            return {};
        return store_->try_revoke(parts->family);
    }

    [[nodiscard]] std::chrono::seconds lifetime() const noexcept { return lifetime_; }
    [[nodiscard]] Store& store() const noexcept { return *store_; }

    /// Now, in whole Unix seconds of the clock.
    [[nodiscard]] std::int64_t now() const {
        return std::chrono::floor<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    }

private:
    struct issue_plan {
        family_record record;
        issued token;
        std::int64_t now;
    };

    struct rotate_plan {
        std::string_view family;
        std::string presented_hash;
        std::string next;
        std::string next_hash;
        std::int64_t now;
    };

    [[nodiscard]] result<issue_plan> prepare_issue(std::string_view user_id) const {
        if (user_id.empty() || user_id.size() > max_refresh_user_id_size)
            return make_error_code(errc::validation_error);
        issue_plan p;
        p.now = now();
        p.record.family = new_refresh_family();
        p.record.user_id = std::string(user_id);
        p.record.expires_at = p.now + lifetime_.count();
        p.token.token = new_refresh_token(p.record.family);
        p.record.token_hash =
            refresh_token_hash(std::string_view(p.token.token).substr(refresh_family_size + 1));
        p.token.max_age = lifetime_;
        p.token.user_id = p.record.user_id;
        return p;
    }

    [[nodiscard]] std::optional<rotate_plan> prepare_rotate(std::string_view token) const {
        auto const parts = parse_refresh_token(token);
        if (!parts)
            return std::nullopt;
        rotate_plan p;
        p.family = parts->family;
        p.presented_hash = refresh_token_hash(parts->secret);
        p.next = new_refresh_token(parts->family);
        p.next_hash = refresh_token_hash(std::string_view(p.next).substr(refresh_family_size + 1));
        p.now = now();
        return p;
    }

    Store* store_;
    std::chrono::seconds lifetime_;
    Clock clock_;
};

} // namespace apikit::auth

#endif
