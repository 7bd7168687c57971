#ifndef APIKIT_SERVER_ANY_REFRESH_STORE_HPP
#define APIKIT_SERVER_ANY_REFRESH_STORE_HPP

// The refresh-token store chosen at run time: apikit::auth's memory store,
// or its Redis store when the server is given --redis, as one type, so the
// routes and auth::refresh_tokens are compiled once. It models
// auth::refresh_store itself.
//
// Cost: one indirect call per operation and, for the handler, the same
// `completion` as any_user_store (borrowed when the store completes
// inline, owned otherwise). Refresh and login are not hot paths; the KDF
// behind a login costs a thousand times more. Threads and failures are the
// store's own.

#include "any_user_store.hpp"

#include <apikit/auth/refresh_store.hpp>

#include <boost/system/error_code.hpp>

#include <cassert>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace sample {

class any_refresh_store {
public:
    /// Owns an `S`, an auth::refresh_store, built from `args`.
    template <class S, class... Args>
    explicit any_refresh_store(std::in_place_type_t<S>, Args&&... args)
        : store_(std::make_unique<model<S>>(std::forward<Args>(args)...)) {
        static_assert(apikit::auth::refresh_store<S>,
                      "sample::any_refresh_store's S must model apikit::auth::refresh_store");
    }

    template <class Handler>
    void async_create(apikit::auth::family_record const& record, std::int64_t now, Handler&& h) {
        get().create(record, now, done_completion(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_rotate(std::string_view family, std::string_view presented_hash,
                      std::string_view next_hash, std::int64_t now, Handler&& h) {
        get().rotate(family, presented_hash, next_hash, now,
                     completion<apikit::auth::rotation>::own(std::forward<Handler>(h)));
    }
    template <class Handler>
    void async_revoke(std::string_view family, Handler&& h) {
        get().revoke(family, done_completion(std::forward<Handler>(h)));
    }

    /// The store, when it is an `S`; else null.
    template <class S>
    [[nodiscard]] S* target() noexcept {
        auto* m = dynamic_cast<model<S>*>(store_.get());
        return m ? &m->store : nullptr;
    }

private:
    using done_type = completion<std::monostate>;

    template <class Handler>
    static done_type done_completion(Handler&& h) {
        return done_type::own(
            [h = std::forward<Handler>(h)](boost::system::error_code ec, std::monostate) mutable {
                std::move(h)(ec);
            });
    }

    struct concept_type {
        virtual ~concept_type() = default;
        virtual void create(apikit::auth::family_record const&, std::int64_t, done_type) = 0;
        virtual void rotate(std::string_view, std::string_view, std::string_view, std::int64_t,
                            completion<apikit::auth::rotation>) = 0;
        virtual void revoke(std::string_view, done_type) = 0;
    };

    template <class S>
    struct model final : concept_type {
        template <class... Args>
        explicit model(Args&&... args) : store(std::forward<Args>(args)...) {}
        void create(apikit::auth::family_record const& r, std::int64_t now, done_type h) override {
            store.async_create(r, now, [h = std::move(h)](boost::system::error_code ec) mutable {
                std::move(h)(ec, {});
            });
        }
        void rotate(std::string_view family, std::string_view presented, std::string_view next,
                    std::int64_t now, completion<apikit::auth::rotation> h) override {
            store.async_rotate(family, presented, next, now, std::move(h));
        }
        void revoke(std::string_view family, done_type h) override {
            store.async_revoke(family, [h = std::move(h)](boost::system::error_code ec) mutable {
                std::move(h)(ec, {});
            });
        }
        S store;
    };

    concept_type& get() const noexcept {
        assert(store_ && "a moved-from sample::any_refresh_store has no store");
        return *store_;
    }

    std::unique_ptr<concept_type> store_;
};

static_assert(apikit::auth::refresh_store<any_refresh_store>,
              "sample::any_refresh_store must model apikit::auth::refresh_store");

} // namespace sample

#endif
