#ifndef APIKIT_AUTH_DETAIL_REFRESH_OPS_HPP
#define APIKIT_AUTH_DETAIL_REFRESH_OPS_HPP

// The completions refresh_tokens hands a store: each turns the store's
// answer into the caller's (an issued token, or an auth::error) and calls
// the caller's handler once. They are types of their own, not lambdas, so
// that an Asio-based store can give them the associations of the caller's
// handler (its executor, allocator, cancellation slot): redis_refresh_store.hpp
// specializes boost::asio::associator for them, and this header stays free
// of Asio.

#include <apikit/auth/error.hpp>
#include <apikit/auth/refresh_store.hpp>
#include <apikit/core/error.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace apikit::auth {

/// A token handed out by refresh_tokens: for the cookie, with its Max-Age.
struct issued_refresh_token {
    std::string token;               ///< "<family>.<secret>"; empty on an error
    std::chrono::seconds max_age{0}; ///< its remaining life: the family's expiry − now
    std::string user_id;             ///< whose it is (also on refresh_reused, for the log)
};

namespace detail {

// What a rotation's answer means to the caller, at `now`.
[[nodiscard]] inline result<issued_refresh_token> rotated_token(rotation r, std::string next,
                                                                std::int64_t now) {
    switch (r.outcome) {
    case rotation_outcome::rotated:
        if (r.expires_at > now) // a store says rotated only then; never hand out a dead token
            return issued_refresh_token{std::move(next), std::chrono::seconds(r.expires_at - now),
                                        std::move(r.user_id)};
        break;
    case rotation_outcome::reused:
        return make_error_code(error::refresh_reused);
    case rotation_outcome::unknown:
        break;
    }
    return make_error_code(error::refresh_invalid);
}

template <class Handler>
void complete_refresh(Handler& h, result<issued_refresh_token> r, std::string user_id = {}) {
    if (r)
        return std::move(h)(boost::system::error_code{}, std::move(*r));
    issued_refresh_token none;
    none.user_id = std::move(user_id);
    std::move(h)(r.error(), std::move(none));
}

// The completion of a store's async_create for refresh_tokens::async_issue.
template <class Handler>
struct refresh_issue_op {
    Handler handler;
    issued_refresh_token token;

    void operator()(boost::system::error_code ec) {
        if (ec)
            return complete_refresh(handler, ec);
        complete_refresh(handler, std::move(token));
    }
};

// The completion of a store's async_rotate for refresh_tokens::async_rotate.
template <class Handler>
struct refresh_rotate_op {
    Handler handler;
    std::string next;
    std::int64_t now;

    void operator()(boost::system::error_code ec, rotation r) {
        if (ec)
            return complete_refresh(handler, ec);
        auto user = r.outcome == rotation_outcome::reused ? r.user_id : std::string();
        complete_refresh(handler, rotated_token(std::move(r), std::move(next), now),
                         std::move(user));
    }
};

} // namespace detail

} // namespace apikit::auth

#endif
