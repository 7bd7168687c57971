#ifndef APIKIT_SERVER_ANY_USER_STORE_HPP
#define APIKIT_SERVER_ANY_USER_STORE_HPP

// The user store chosen at run time: one type over the memory store, a
// PostgreSQL store, or a test's, so that the routes (app.hpp) are compiled
// once whichever store the server is given, and a store adds one
// instantiation of its own. It models `user_store` itself.
//
// Cost. Each operation is one indirect call. Its handler travels as a
// `completion<T>`, which either refers to a handler that lives on the
// caller's stack — for a store that completes inline, so the memory store's
// path allocates nothing — or owns one on the heap, for a store that
// completes later (one allocation, next to a database round trip). A handler
// of any other type is owned. Threads and failures are the store's own.

#include "user_store.hpp"

#include <boost/system/error_code.hpp>

#include <cassert>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace sample {

/// A `void(error_code, T)` handler, called at most once, as an rvalue.
/// Move-only. Destroyed without being called, an owned handler is destroyed
/// too (a continuation inside then answers its request with a 500).
template <class T>
class completion {
public:
    /// Refers to `f`, which must outlive the call: for a store that
    /// completes inline, with `f` on the caller's stack.
    template <class F>
    [[nodiscard]] static completion borrow(F& f) noexcept {
        return completion(std::addressof(f), [](void* p, boost::system::error_code ec, T&& v) {
            std::move (*static_cast<F*>(p))(ec, std::move(v));
        });
    }

    /// Owns `f`, on the heap: for a store that completes later.
    template <class F>
    [[nodiscard]] static completion own(F f) {
        completion c(new F(std::move(f)), [](void* p, boost::system::error_code ec, T&& v) {
            std::unique_ptr<F> owned(static_cast<F*>(p));
            std::move (*owned)(ec, std::move(v));
        });
        c.drop_ = [](void* p) noexcept { delete static_cast<F*>(p); };
        return c;
    }

    completion(completion&& o) noexcept
        : target_(std::exchange(o.target_, nullptr))
        , call_(o.call_)
        , drop_(o.drop_) {}
    completion& operator=(completion&& o) noexcept {
        if (this != &o) {
            reset();
            target_ = std::exchange(o.target_, nullptr);
            call_ = o.call_;
            drop_ = o.drop_;
        }
        return *this;
    }
    ~completion() { reset(); }

    void operator()(boost::system::error_code ec, T value) && {
        assert(target_ && "a sample::completion is called once");
        call_(std::exchange(target_, nullptr), ec, std::move(value));
    }

private:
    using call_fn = void (*)(void*, boost::system::error_code, T&&);

    completion(void* target, call_fn call) noexcept : target_(target), call_(call) {}

    void reset() noexcept {
        if (auto* p = std::exchange(target_, nullptr); p && drop_)
            drop_(p);
    }

    void* target_;
    call_fn call_;
    void (*drop_)(void*) noexcept = nullptr; // null when borrowed
};

class any_user_store {
public:
    /// Owns an `S`, a `user_store`, built from `args`.
    template <class S, class... Args>
    explicit any_user_store(std::in_place_type_t<S>, Args&&... args)
        : store_(new S(std::forward<Args>(args)...))
        , ops_(&ops_for<S>) {
        static_assert(user_store<S>, "sample::any_user_store's S must model sample::user_store");
        inline_ = static_cast<S const*>(store_)->completes_inline();
    }

    any_user_store(any_user_store&& o) noexcept
        : store_(std::exchange(o.store_, nullptr))
        , ops_(std::exchange(o.ops_, nullptr))
        , inline_(o.inline_) {}
    any_user_store& operator=(any_user_store&& o) noexcept {
        if (this != &o) {
            reset();
            store_ = std::exchange(o.store_, nullptr);
            ops_ = std::exchange(o.ops_, nullptr);
            inline_ = o.inline_;
        }
        return *this;
    }
    ~any_user_store() { reset(); }

    /// The store's own answer, read once when it was plugged in.
    [[nodiscard]] bool completes_inline() const noexcept { return inline_; }

    template <class Handler>
    void async_create_user(new_user in, Handler&& h) {
        ops().create_user(store_, std::move(in), to_completion<user_ptr>(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_find_user(std::string_view id, Handler&& h) {
        ops().find_user(store_, id, to_completion<user_ptr>(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_find_user_by_email(std::string_view email, Handler&& h) {
        ops().find_user_by_email(store_, email, to_completion<user_ptr>(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_list_users(std::size_t limit, std::optional<position> const& after, Handler&& h) {
        ops().list_users(store_, limit, after,
                         to_completion<keyset_rows<user>>(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_list_users_offset(std::size_t offset, std::size_t count, Handler&& h) {
        ops().list_users_offset(store_, offset, count,
                                to_completion<offset_rows<user>>(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_create_order(std::string_view user_id, new_order in, Handler&& h) {
        ops().create_order(store_, user_id, std::move(in),
                           to_completion<order_ptr>(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_find_order(std::string_view user_id, std::string_view order_id, Handler&& h) {
        ops().find_order(store_, user_id, order_id,
                         to_completion<order_ptr>(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_list_orders(std::string_view user_id, std::size_t limit,
                           std::optional<position> const& after, Handler&& h) {
        ops().list_orders(store_, user_id, limit, after,
                          to_completion<keyset_rows<order>>(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_list_orders_offset(std::string_view user_id, std::size_t offset, std::size_t count,
                                  Handler&& h) {
        ops().list_orders_offset(store_, user_id, offset, count,
                                 to_completion<offset_rows<order>>(std::forward<Handler>(h)));
    }

    /// The store, when it is an `S`; else null.
    template <class S>
    [[nodiscard]] S* target() noexcept {
        return ops_ == &ops_for<S> ? static_cast<S*>(store_) : nullptr;
    }

private:
    // One table per store type; its address is the type's identity for
    // target().
    struct operations {
        void (*destroy)(void*) noexcept;
        void (*create_user)(void*, new_user, completion<user_ptr>);
        void (*find_user)(void*, std::string_view, completion<user_ptr>);
        void (*find_user_by_email)(void*, std::string_view, completion<user_ptr>);
        void (*list_users)(void*, std::size_t, std::optional<position> const&,
                           completion<keyset_rows<user>>);
        void (*list_users_offset)(void*, std::size_t, std::size_t, completion<offset_rows<user>>);
        void (*create_order)(void*, std::string_view, new_order, completion<order_ptr>);
        void (*find_order)(void*, std::string_view, std::string_view, completion<order_ptr>);
        void (*list_orders)(void*, std::string_view, std::size_t, std::optional<position> const&,
                            completion<keyset_rows<order>>);
        void (*list_orders_offset)(void*, std::string_view, std::size_t, std::size_t,
                                   completion<offset_rows<order>>);
    };

    template <class S>
    static constexpr operations ops_for{
        [](void* p) noexcept { delete static_cast<S*>(p); },
        [](void* p, new_user in, completion<user_ptr> h) {
            static_cast<S*>(p)->async_create_user(std::move(in), std::move(h));
        },
        [](void* p, std::string_view id, completion<user_ptr> h) {
            static_cast<S*>(p)->async_find_user(id, std::move(h));
        },
        [](void* p, std::string_view email, completion<user_ptr> h) {
            static_cast<S*>(p)->async_find_user_by_email(email, std::move(h));
        },
        [](void* p, std::size_t limit, std::optional<position> const& after,
           completion<keyset_rows<user>> h) {
            static_cast<S*>(p)->async_list_users(limit, after, std::move(h));
        },
        [](void* p, std::size_t offset, std::size_t count, completion<offset_rows<user>> h) {
            static_cast<S*>(p)->async_list_users_offset(offset, count, std::move(h));
        },
        [](void* p, std::string_view user_id, new_order in, completion<order_ptr> h) {
            static_cast<S*>(p)->async_create_order(user_id, std::move(in), std::move(h));
        },
        [](void* p, std::string_view user_id, std::string_view order_id, completion<order_ptr> h) {
            static_cast<S*>(p)->async_find_order(user_id, order_id, std::move(h));
        },
        [](void* p, std::string_view user_id, std::size_t limit,
           std::optional<position> const& after, completion<keyset_rows<order>> h) {
            static_cast<S*>(p)->async_list_orders(user_id, limit, after, std::move(h));
        },
        [](void* p, std::string_view user_id, std::size_t offset, std::size_t count,
           completion<offset_rows<order>> h) {
            static_cast<S*>(p)->async_list_orders_offset(user_id, offset, count, std::move(h));
        },
    };

    template <class T, class Handler>
    static completion<T> to_completion(Handler&& h) {
        if constexpr (std::is_same_v<std::decay_t<Handler>, completion<T>>)
            return std::forward<Handler>(h);
        else
            return completion<T>::own(std::forward<Handler>(h));
    }

    operations const& ops() const noexcept {
        assert(ops_ && "a moved-from sample::any_user_store has no store");
        return *ops_;
    }

    void reset() noexcept {
        if (ops_)
            ops_->destroy(store_);
        store_ = nullptr;
        ops_ = nullptr;
    }

    void* store_;
    operations const* ops_;
    bool inline_ = true;
};

static_assert(user_store<any_user_store>, "sample::any_user_store must model sample::user_store");

} // namespace sample

#endif
