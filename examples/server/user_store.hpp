#ifndef APIKIT_SERVER_USER_STORE_HPP
#define APIKIT_SERVER_USER_STORE_HPP

// The sample service's storage: the `user_store` concept the routes ask,
// and the store that keeps users and their orders in memory. A PostgreSQL
// store (a later issue) models the same concept, and any_user_store.hpp
// lets the server choose one at run time without touching a route.
//
// Asynchronous. Every operation reports through a completion handler, so a
// store that waits for a database does not block an I/O thread. A store
// says once, with completes_inline(), whether it calls the handler before
// the call returns (the memory store: the route then answers in the same
// call, with nothing suspended or allocated) or later, from a thread of its
// own (the route suspends its exchange meanwhile).
//
// The memory store. One std::shared_mutex. Reads (get, list) share it;
// writes (create) hold it alone for a few map operations — the id and the
// record are built before the lock is taken. It is the simplest design
// that is obviously correct, and at this store's cost per operation (well
// under a microsecond inside the lock) the lock is not what limits a server.
// Its handlers run after the lock is released.
//
// Unique email: the check and the insert happen under one exclusive lock,
// so of many concurrent sign-ups with one email exactly one wins and the
// rest get errc::conflict. Emails compare ignoring ASCII case, in the local
// part too: RFC 5321 lets a mail server treat `Ada@x.io` and `ada@x.io` as
// two mailboxes, but no real one does, and two accounts that differ only in
// case are a support ticket waiting to happen. The email is stored as given.
//
// Listing is keyset pagination, newest first, over (seq, id): seq is the
// insertion order, assigned under the lock, so it is unique and never goes
// back even when the wall clock does; the id is the tie-breaker the keyset
// pattern asks for, and what a SQL table keyed by (created_at, id) would
// need. A page resumes strictly after the last row it returned, so rows
// inserted or deleted between pages are never skipped or repeated. Offset
// pages, the other kind every listing takes, count from the newest row.
// A user's orders are kept with the user, in that order and by id.

#include "model.hpp"

#include <apikit/api/keyset.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/random.hpp>
#include <apikit/core/timestamp.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sample {

/// One page of a keyset listing, newest first.
template <class T>
struct keyset_rows {
    std::vector<std::shared_ptr<T const>> rows;
    std::optional<position> next; ///< set when more rows follow
};

/// One page of an offset listing.
template <class T>
struct offset_rows {
    std::vector<std::shared_ptr<T const>> rows;
    std::size_t total = 0; ///< rows in the whole listing
};

using user_ptr = std::shared_ptr<user const>;
using order_ptr = std::shared_ptr<order const>;

namespace detail {

/// The least a store may assume of a completion handler: movable, and
/// called once, as an rvalue, with an error code and a value.
template <class T>
struct completion_archetype {
    completion_archetype(completion_archetype&&) = default;
    completion_archetype& operator=(completion_archetype&&) = default;
    void operator()(boost::system::error_code, T) && {}
};

} // namespace detail

// [user-store]
/// What the routes need from a store. Every call may come from any thread,
/// copies what it keeps of its arguments before it returns, and calls its
/// handler `h(error_code, value)` exactly once: before returning when
/// `completes_inline()` (constant for the store's life), else at any time,
/// from any thread. The value is meaningful only without an error:
///
///   async_create_user(new_user, h)         user_ptr           conflict: the email is taken
///   async_find_user(id, h)                 user_ptr           not_found: no such user
///   async_find_user_by_email(email, h)     user_ptr           not_found: no such user
///                                                             (emails compare ignoring case)
///   async_list_users(limit, after, h)      keyset_rows<user>  newest first
///   async_list_users_offset(off, n, h)     offset_rows<user>  and the total
///   async_create_order(user_id, order, h)  order_ptr          not_found: no such user
///   async_find_order(user_id, order_id, h) order_ptr          not_found: no such user;
///                                                             null: no such order of theirs
///   async_list_orders(user_id, limit,      keyset_rows<order> not_found: no such user
///                     after, h)
///   async_list_orders_offset(user_id,      offset_rows<order> not_found: no such user
///                            off, n, h)
///
/// Any other error is the store's failure (a database that cannot be
/// reached), answered as apikit's errc for it says (503 for an outage).
template <class S>
concept user_store = requires(S& s, S const& cs, new_user nu, new_order no, std::string_view id,
                              std::size_t n, std::optional<position> const& after,
                              detail::completion_archetype<user_ptr> on_user,
                              detail::completion_archetype<keyset_rows<user>> on_users,
                              detail::completion_archetype<offset_rows<user>> on_page,
                              detail::completion_archetype<order_ptr> on_order,
                              detail::completion_archetype<keyset_rows<order>> on_orders,
                              detail::completion_archetype<offset_rows<order>> on_order_page) {
    { cs.completes_inline() } -> std::same_as<bool>;
    s.async_create_user(std::move(nu), std::move(on_user));
    s.async_find_user(id, std::move(on_user));
    s.async_find_user_by_email(id, std::move(on_user));
    s.async_list_users(n, after, std::move(on_users));
    s.async_list_users_offset(n, n, std::move(on_page));
    s.async_create_order(id, std::move(no), std::move(on_order));
    s.async_find_order(id, id, std::move(on_order));
    s.async_list_orders(id, n, after, std::move(on_orders));
    s.async_list_orders_offset(id, n, n, std::move(on_order_page));
};
// [user-store]

namespace detail {

/// The key emails are unique under: ASCII letters folded to lower case.
inline std::string fold_email(std::string_view email) {
    std::string key(email);
    for (char& c : key)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return key;
}

// Transparent hashing, so lookups by std::string_view allocate nothing.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

template <class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

/// Calls `handler` with the outcome `r`: its value, or its error and an
/// empty value.
template <class Handler, class T>
void complete(Handler&& handler, apikit::result<T> r) {
    if (r)
        std::move(handler)(boost::system::error_code{}, std::move(*r));
    else
        std::move(handler)(r.error(), T{});
}

/// Rows ordered by (seq, id); iterated backwards for newest first.
template <class T>
using ordered_rows = std::map<position, std::shared_ptr<T const>, std::less<>>;

/// Up to `limit` rows strictly older than `after` (all rows when absent),
/// newest first, and the position to resume from when more remain: the
/// keyset pattern, by apikit's keyset helper.
template <class T>
[[nodiscard]] keyset_rows<T> newest_first(ordered_rows<T> const& rows, std::size_t limit,
                                          std::optional<position> const& after) {
    keyset_rows<T> page;
    page.rows.reserve(std::min(limit, rows.size()));
    page.next =
        apikit::api::keyset_page(rows, {after, limit, apikit::api::sort_order::descending},
                                 [&](auto const& entry) { page.rows.push_back(entry.second); });
    return page;
}

/// `count` rows from the `offset`-th newest, and the number of rows.
template <class T>
[[nodiscard]] offset_rows<T> newest_first_from(ordered_rows<T> const& rows, std::size_t offset,
                                               std::size_t count) {
    offset_rows<T> page;
    page.total = rows.size();
    if (offset >= rows.size())
        return page;
    auto it = rows.rbegin();
    // A std::map walks to an offset one row at a time: O(offset), the
    // reason the cursor listing is the preferred one.
    std::advance(it, static_cast<std::ptrdiff_t>(offset));
    page.rows.reserve(std::min(count, rows.size() - offset));
    for (; it != rows.rend() && page.rows.size() < count; ++it)
        page.rows.push_back(it->second);
    return page;
}

} // namespace detail

/// The in-memory store, reading the time for `created_at` from `Clock`.
template <class Clock = apikit::system_clock>
class memory_user_store {
    static_assert(apikit::clock<Clock>,
                  "sample::memory_user_store's Clock must model apikit::clock");
    static_assert(std::same_as<typename Clock::time_point, std::chrono::system_clock::time_point>,
                  "created_at is wall time: the store's Clock must give system_clock time points");

public:
    /// The arguments construct the clock (none for a real clock, a start
    /// time for apikit::manual_clock).
    template <class... ClockArgs>
    explicit memory_user_store(ClockArgs&&... clock_args)
        : clock_(std::forward<ClockArgs>(clock_args)...) {}

    memory_user_store(memory_user_store const&) = delete;
    memory_user_store& operator=(memory_user_store const&) = delete;

    [[nodiscard]] Clock& clock() noexcept { return clock_; }

    // The user_store concept: each operation below, its handler called
    // before the call returns.

    [[nodiscard]] static constexpr bool completes_inline() noexcept { return true; }

    template <class Handler>
    void async_create_user(new_user in, Handler&& handler) {
        detail::complete(std::forward<Handler>(handler), create_user(std::move(in)));
    }
    template <class Handler>
    void async_find_user(std::string_view id, Handler&& handler) const {
        auto found = find_user(id);
        detail::complete(std::forward<Handler>(handler),
                         found ? apikit::result<user_ptr>(std::move(found))
                               : apikit::result<user_ptr>(apikit::errc::not_found));
    }
    template <class Handler>
    void async_find_user_by_email(std::string_view email, Handler&& handler) const {
        auto found = find_user_by_email(email);
        detail::complete(std::forward<Handler>(handler),
                         found ? apikit::result<user_ptr>(std::move(found))
                               : apikit::result<user_ptr>(apikit::errc::not_found));
    }
    template <class Handler>
    void async_list_users(std::size_t limit, std::optional<position> const& after,
                          Handler&& handler) const {
        detail::complete(std::forward<Handler>(handler),
                         apikit::result<keyset_rows<user>>(list_users(limit, after)));
    }
    template <class Handler>
    void async_list_users_offset(std::size_t offset, std::size_t count, Handler&& handler) const {
        detail::complete(std::forward<Handler>(handler),
                         apikit::result<offset_rows<user>>(list_users_offset(offset, count)));
    }
    template <class Handler>
    void async_create_order(std::string_view user_id, new_order in, Handler&& handler) {
        detail::complete(std::forward<Handler>(handler), create_order(user_id, std::move(in)));
    }
    template <class Handler>
    void async_find_order(std::string_view user_id, std::string_view order_id,
                          Handler&& handler) const {
        detail::complete(std::forward<Handler>(handler), find_order(user_id, order_id));
    }
    template <class Handler>
    void async_list_orders(std::string_view user_id, std::size_t limit,
                           std::optional<position> const& after, Handler&& handler) const {
        detail::complete(std::forward<Handler>(handler), list_orders(user_id, limit, after));
    }
    template <class Handler>
    void async_list_orders_offset(std::string_view user_id, std::size_t offset, std::size_t count,
                                  Handler&& handler) const {
        detail::complete(std::forward<Handler>(handler),
                         list_orders_offset(user_id, offset, count));
    }

    // The same operations, answered directly: for tests, and for code that
    // knows it has the memory store.

    /// Adds a user; errc::conflict when the email (ignoring case) is taken.
    /// The fields are taken as given: validating them is the caller's job.
    [[nodiscard]] apikit::result<user_ptr> create_user(new_user in) {
        auto key = detail::fold_email(in.email);
        auto row = std::make_shared<user>();
        row->id = apikit::random_id("user_");
        row->email = std::move(in.email);
        row->name = std::move(in.name);
        row->password_hash = std::move(in.password_hash);
        row->version = 1;
        row->created_at.reserve(apikit::rfc3339_ms_size);

        std::unique_lock lock(mutex_);
        auto const [email_it, fresh] = by_email_.try_emplace(std::move(key), row->id);
        if (!fresh)
            return apikit::make_error_code(apikit::errc::conflict);
        // Time and sequence are taken under the lock so that created_at never
        // decreases along seq while the clock moves forward; the JSON, which
        // holds created_at, is written here too (a few hundred nanoseconds).
        apikit::append_rfc3339_ms(row->created_at, clock_.now());
        row->seq = ++seq_;
        publish(*row);
        std::shared_ptr<user const> published = std::move(row);
        by_id_.try_emplace(published->id, account{published, {}, {}});
        users_.emplace(position{published->seq, published->id}, published);
        return published;
    }

    /// The user with `id`, or null.
    [[nodiscard]] user_ptr find_user(std::string_view id) const {
        std::shared_lock lock(mutex_);
        auto const it = by_id_.find(id);
        return it == by_id_.end() ? nullptr : it->second.profile;
    }

    /// The user whose email is `email` ignoring ASCII case, or null.
    [[nodiscard]] user_ptr find_user_by_email(std::string_view email) const {
        auto const key = detail::fold_email(email);
        std::shared_lock lock(mutex_);
        auto const id = by_email_.find(key);
        if (id == by_email_.end())
            return nullptr;
        auto const it = by_id_.find(id->second);
        return it == by_id_.end() ? nullptr : it->second.profile;
    }

    /// Up to `limit` (at least 1) users after `after`, newest first.
    [[nodiscard]] keyset_rows<user> list_users(std::size_t limit,
                                               std::optional<position> const& after) const {
        std::shared_lock lock(mutex_);
        return detail::newest_first(users_, limit, after);
    }

    /// `count` users from the `offset`-th newest, and the number of users.
    [[nodiscard]] offset_rows<user> list_users_offset(std::size_t offset, std::size_t count) const {
        std::shared_lock lock(mutex_);
        return detail::newest_first_from(users_, offset, count);
    }

    /// Removes a user and their orders; false when there was none. (No route
    /// deletes yet; the keyset tests use it to delete between pages.)
    [[nodiscard]] bool erase_user(std::string_view id) {
        std::unique_lock lock(mutex_);
        auto const it = by_id_.find(id);
        if (it == by_id_.end())
            return false;
        auto const& profile = *it->second.profile;
        by_email_.erase(detail::fold_email(profile.email));
        users_.erase(position{profile.seq, profile.id});
        by_id_.erase(it);
        return true;
    }

    /// Adds an order for user `user_id`; errc::not_found when there is none.
    [[nodiscard]] apikit::result<order_ptr> create_order(std::string_view user_id, new_order in) {
        auto row = std::make_shared<order>();
        row->id = apikit::random_id("order_");
        row->user_id = user_id;
        row->item = std::move(in.item);
        row->quantity = in.quantity;
        row->created_at.reserve(apikit::rfc3339_ms_size);

        std::unique_lock lock(mutex_);
        auto const it = by_id_.find(user_id);
        if (it == by_id_.end())
            return apikit::make_error_code(apikit::errc::not_found);
        apikit::append_rfc3339_ms(row->created_at, clock_.now());
        row->seq = ++seq_;
        publish(*row);
        std::shared_ptr<order const> published = std::move(row);
        it->second.orders.emplace(position{published->seq, published->id}, published);
        it->second.orders_by_id.try_emplace(published->id, published);
        return published;
    }

    /// The order `order_id` of user `user_id`: errc::not_found when there is
    /// no such user, null when they have no such order (another user's
    /// included).
    [[nodiscard]] apikit::result<order_ptr> find_order(std::string_view user_id,
                                                       std::string_view order_id) const {
        std::shared_lock lock(mutex_);
        auto const it = by_id_.find(user_id);
        if (it == by_id_.end())
            return apikit::make_error_code(apikit::errc::not_found);
        auto const found = it->second.orders_by_id.find(order_id);
        return found == it->second.orders_by_id.end() ? order_ptr() : found->second;
    }

    /// Up to `limit` (at least 1) of the user's orders after `after`, newest first;
    /// errc::not_found when there is no such user.
    [[nodiscard]] apikit::result<keyset_rows<order>>
    list_orders(std::string_view user_id, std::size_t limit,
                std::optional<position> const& after) const {
        std::shared_lock lock(mutex_);
        auto const it = by_id_.find(user_id);
        if (it == by_id_.end())
            return apikit::make_error_code(apikit::errc::not_found);
        return detail::newest_first(it->second.orders, limit, after);
    }

    /// `count` of the user's orders from the `offset`-th newest, and the
    /// number of their orders; errc::not_found when there is no such user.
    [[nodiscard]] apikit::result<offset_rows<order>>
    list_orders_offset(std::string_view user_id, std::size_t offset, std::size_t count) const {
        std::shared_lock lock(mutex_);
        auto const it = by_id_.find(user_id);
        if (it == by_id_.end())
            return apikit::make_error_code(apikit::errc::not_found);
        return detail::newest_first_from(it->second.orders, offset, count);
    }

private:
    struct account {
        std::shared_ptr<user const> profile;
        detail::ordered_rows<order> orders;
        detail::string_map<order_ptr> orders_by_id; // the same orders, by id
    };

    Clock clock_;
    mutable std::shared_mutex mutex_;
    std::uint64_t seq_ = 0; // one sequence for users and orders: both only need uniqueness
    detail::string_map<account> by_id_;
    detail::string_map<std::string> by_email_; // folded email → user id
    detail::ordered_rows<user> users_;
};

static_assert(user_store<memory_user_store<>>,
              "sample::memory_user_store must model sample::user_store");

} // namespace sample

#endif
