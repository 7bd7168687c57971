#ifndef APIKIT_AUTH_REFRESH_STORE_HPP
#define APIKIT_AUTH_REFRESH_STORE_HPP

// Where refresh-token families live: the `auth::refresh_store` concept.
//
// A family is one login. The store holds, per family: the user id, the
// absolute expiry (login + the lifetime; a rotation never moves it), the
// hash of the current secret, and the hashes of the secrets already rotated
// (a bounded number of the latest). Never a token, never a secret
// (refresh_token.hpp). Time is whole Unix seconds, given by the caller: a
// family is alive while now < expires_at.
//
// Rotation is the one operation that must be atomic, and it decides three
// ways (OAuth 2.0 Security BCP, refresh token rotation):
//   - the presented hash is the current one: the current becomes `next`, the
//     presented is remembered as rotated → rotated;
//   - it is one already rotated: someone holds a copy of an old token, so
//     the family is revoked — the newest token with it → reused;
//   - anything else (no such family, expired, revoked, a wrong secret) →
//     unknown. A wrong secret does not revoke: the family id alone is not
//     proof of having held a token.
// Two rotations of one token at once: exactly one is `rotated`; the other
// sees a rotated hash and is `reused` (which revokes the family).
//
// The concept is the completion-handler form, like ratelimit::store: a store
// that answers at once (memory_refresh_store) calls the handler before
// returning, one that answers after a round trip (redis_refresh_store) calls
// it later on its executor. No Asio is needed here. A store that can answer
// synchronously also models `sync_refresh_store`.
//
// Failures. A backend that cannot answer completes with an error code equal
// to apikit::condition::backend_unavailable (the caller answers 503, and must
// not treat it as a reuse or an unknown token).

#include <apikit/core/error.hpp>

#include <boost/system/error_code.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace apikit::auth {

/// The longest user id refresh_tokens issues for and memory_refresh_store
/// keeps, and the longest family id the memory store keeps.
inline constexpr std::size_t max_refresh_user_id_size = 256;
inline constexpr std::size_t max_refresh_family_size = 64;

/// A new family, as a store is given it.
struct family_record {
    std::string family;          ///< the family id (22 base64url characters)
    std::string user_id;         ///< whose login it is
    std::int64_t expires_at = 0; ///< Unix seconds; the family is dead from then on
    std::string token_hash;      ///< refresh_token_hash of the first secret
};

enum class rotation_outcome : std::uint8_t {
    rotated, ///< the presented token was current; `next` is now
    reused,  ///< the presented token was already rotated: the family is revoked
    unknown, ///< no live family holds the presented token
};

/// The answer to a rotation. `user_id` and `expires_at` are the family's
/// when it was found (rotated, reused); empty and 0 for unknown.
struct rotation {
    rotation_outcome outcome = rotation_outcome::unknown;
    std::string user_id;
    std::int64_t expires_at = 0;
};

namespace detail {

// The least a store may assume of a completion handler: callable once with
// the outcome, movable.
struct refresh_done_archetype {
    refresh_done_archetype() = default;
    refresh_done_archetype(refresh_done_archetype&&) = default;
    refresh_done_archetype& operator=(refresh_done_archetype&&) = default;
    void operator()(boost::system::error_code) && {}
};

struct rotate_done_archetype {
    rotate_done_archetype() = default;
    rotate_done_archetype(rotate_done_archetype&&) = default;
    rotate_done_archetype& operator=(rotate_done_archetype&&) = default;
    void operator()(boost::system::error_code, rotation) && {}
};

} // namespace detail

/// A store of refresh-token families.
///
/// - `s.async_create(record, now, handler)` stores a new family (replacing
///   any of the same id) and calls `handler(ec)`.
/// - `s.async_rotate(family, presented_hash, next_hash, now, handler)`
///   decides as above, atomically, and calls `handler(ec, rotation)`.
/// - `s.async_revoke(family, handler)` forgets the family (its tokens are
///   unknown from then on; no family is no error) and calls `handler(ec)`.
///
/// Each handler is called exactly once; `ec` is set only when the store
/// failed (then the rotation is unknown and must not be acted on). The store
/// copies what it keeps before it returns.
template <class S>
concept refresh_store = requires(S& s, family_record const& record, std::string_view family,
                                 std::string_view hash, std::int64_t now,
                                 detail::refresh_done_archetype done,
                                 detail::rotate_done_archetype rotated) {
    s.async_create(record, now, std::move(done));
    s.async_rotate(family, hash, hash, now, std::move(rotated));
    s.async_revoke(family, std::move(done));
};

/// A store that can also answer synchronously, with the same meanings.
template <class S>
concept sync_refresh_store = refresh_store<S> &&
    requires(S& s, family_record const& record, std::string_view family, std::string_view hash,
             std::int64_t now) {
    { s.try_create(record, now) } -> std::same_as<result<void>>;
    { s.try_rotate(family, hash, hash, now) } -> std::same_as<result<rotation>>;
    { s.try_revoke(family) } -> std::same_as<result<void>>;
};

} // namespace apikit::auth

#endif
