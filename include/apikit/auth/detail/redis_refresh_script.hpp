#ifndef APIKIT_AUTH_DETAIL_REDIS_REFRESH_SCRIPT_HPP
#define APIKIT_AUTH_DETAIL_REDIS_REFRESH_SCRIPT_HPP

// What auth::redis_refresh_store sends to Redis and reads back: the Lua
// scripts of create, rotate and revoke, and the decoding of a rotation's
// reply (redis_refresh_store.hpp says why each step is where it is).
//
// No I/O and no state: pure functions and constants, callable from any
// thread. A reply that is not one the script can send is an error, never a
// rotation.

#include <apikit/auth/refresh_store.hpp>
#include <apikit/core/error.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/reply.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace apikit::auth::detail {

// KEYS: the family's hash, its list of rotated hashes. ARGV: user id,
// expires_at (Unix s), hash of the first secret. A family of the same id is
// replaced whole; both keys are gone at expires_at (a time already past
// deletes at once).
inline constexpr std::string_view redis_refresh_create_source = R"lua(
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'exp', ARGV[2], 'cur', ARGV[3])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
return 1
)lua";

// KEYS: as above. ARGV: presented hash, next hash, now (Unix s), how many
// rotated hashes to keep. Returns {0} (unknown), {1, user, exp} (rotated)
// or {2, user, exp} (reused: both keys deleted).
inline constexpr std::string_view redis_refresh_rotate_source = R"lua(
local f = redis.call('HMGET', KEYS[1], 'user', 'exp', 'cur')
local user, exp, cur = f[1], f[2], f[3]
if not user or not exp or not cur then return {0} end
local e = tonumber(exp)
if not e then return redis.error_reply('APIKIT not a refresh family: ' .. KEYS[1]) end
if tonumber(ARGV[3]) >= e then return {0} end
if cur == ARGV[1] then
  redis.call('HSET', KEYS[1], 'cur', ARGV[2])
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
  redis.call('EXPIREAT', KEYS[2], exp)
  return {1, user, e}
end
if redis.call('LPOS', KEYS[2], ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {2, user, e}
end
return {0}
)lua";

// KEYS: as above. Deletes both.
inline constexpr std::string_view redis_refresh_revoke_source = R"lua(
return redis.call('DEL', KEYS[1], KEYS[2])
)lua";

// True when `family` can stand between the braces of a hash tag as it is.
[[nodiscard]] inline bool redis_family_ok(std::string_view family) noexcept {
    if (family.empty() || family.size() > max_refresh_family_size)
        return false;
    for (char c : family) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x21 || u == 0x7f || c == '{' || c == '}')
            return false;
    }
    return true;
}

// The rotation in the rotate script's reply; an error if the reply is not
// one the script sends.
[[nodiscard]] inline result<rotation> rotation_from_reply(redis::reply const& r) {
    auto const bad = make_error_code(redis::error::unexpected_reply);
    if (r.is_error())
        return make_error_code(redis::error::server_error);
    auto const e = r.elements();
    if (!r.is_array() || e.empty() || !e[0].is_integer())
        return bad;
    rotation out;
    switch (e[0].integer()) {
    case 0:
        return e.size() == 1 ? result<rotation>(out) : bad;
    case 1:
        out.outcome = rotation_outcome::rotated;
        break;
    case 2:
        out.outcome = rotation_outcome::reused;
        break;
    default:
        return bad;
    }
    if (e.size() != 3 || !e[1].is_string() || !e[2].is_integer())
        return bad;
    out.user_id = std::string(e[1].text());
    out.expires_at = e[2].integer();
    return out;
}

// Whether a create or revoke script's reply is one it sends (an integer).
[[nodiscard]] inline boost::system::error_code done_from_reply(redis::reply const& r) {
    if (r.is_error())
        return make_error_code(redis::error::server_error);
    if (!r.is_integer())
        return make_error_code(redis::error::unexpected_reply);
    return {};
}

} // namespace apikit::auth::detail

#endif
