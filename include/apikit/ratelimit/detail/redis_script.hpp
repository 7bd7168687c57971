#ifndef APIKIT_RATELIMIT_DETAIL_REDIS_SCRIPT_HPP
#define APIKIT_RATELIMIT_DETAIL_REDIS_SCRIPT_HPP

// What ratelimit::redis_store sends to Redis and reads back: the Lua script
// of a decision, the hash tag its keys share, and the decoding of its reply
// into a policy_decision (redis_store.hpp says why the script works on
// seconds and nanoseconds, and why its verdict is recomputed here).
//
// No I/O and no state: pure functions of their arguments, callable from any
// thread. A reply that is not one the script can send is an error, never a
// decision.

#include <apikit/core/error.hpp>
#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

namespace apikit::ratelimit::detail {

// The decision in Lua, on (seconds, nanoseconds) pairs. ARGV: now_s, now_ns
// ("" for Redis's TIME), the expiry margin in ms, then per limit i (from 1)
// at 4i: cost·T and W, each as seconds and nanoseconds. Returns {allowed,
// now_s, now_ns, the TAT each key held ("" for none)}.
inline constexpr std::string_view redis_gcra_source = R"lua(
local G = 1000000000
local function add(as, ans, bs, bns)
  local s, ns = as + bs, ans + bns
  if ns >= G then return s + 1, ns - G end
  return s, ns
end
local function le(as, ans, bs, bns)
  return as < bs or (as == bs and ans <= bns)
end
local now_s, now_ns
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now_s, now_ns = tonumber(t[1]), tonumber(t[2]) * 1000
else
  now_s, now_ns = tonumber(ARGV[1]), tonumber(ARGV[2])
end
local n = #KEYS
local seen, next_s, next_ns = {}, {}, {}
local allowed = 1
for i = 1, n do
  local tat = redis.call('GET', KEYS[i])
  local ts, tns = now_s, now_ns
  if tat then
    local len = #tat
    if len > 19 or not string.match(tat, '^%d+$') then
      return redis.error_reply('APIKIT not a TAT: ' .. KEYS[i])
    end
    if len > 9 then
      ts, tns = tonumber(string.sub(tat, 1, len - 9)), tonumber(string.sub(tat, len - 8))
    else
      ts, tns = 0, tonumber(tat)
    end
    if le(ts, tns, now_s, now_ns) then ts, tns = now_s, now_ns end
  else
    tat = ''
  end
  seen[i] = tat
  local a = 4 * i
  ts, tns = add(ts, tns, tonumber(ARGV[a]), tonumber(ARGV[a + 1]))
  local ws, wns = add(now_s, now_ns, tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]))
  if not le(ts, tns, ws, wns) then allowed = 0 end
  next_s[i], next_ns[i] = ts, tns
end
if allowed == 1 and (tonumber(ARGV[4]) > 0 or tonumber(ARGV[5]) > 0) then
  local margin = tonumber(ARGV[3])
  for i = 1, n do
    local s, ns = next_s[i], next_ns[i]
    local ds, dns = s - now_s, ns - now_ns
    if dns < 0 then ds, dns = ds - 1, dns + G end
    local px = ds * 1000 + math.ceil(dns / 1000000) + margin
    local v
    if s > 0 then v = string.format('%d%09d', s, ns) else v = string.format('%d', ns) end
    redis.call('SET', KEYS[i], v, 'PX', string.format('%d', px))
  end
end
return {allowed, now_s, now_ns, unpack(seen)}
)lua";

inline constexpr std::int64_t ns_per_s = 1'000'000'000;

// The most bytes of a caller's key used as its hash tag as it is.
inline constexpr std::size_t max_literal_tag = 128;

[[nodiscard]] inline bool literal_tag(std::string_view key) noexcept {
    if (key.empty() || key.size() > max_literal_tag || key.front() == '~')
        return false;
    for (char c : key) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '{' || c == '}')
            return false;
    }
    return true;
}

// The hash tag of `key`: the key itself, or `~<sha1>` written into `digest`.
[[nodiscard]] inline std::string_view hash_tag_of(std::string_view key, std::string& digest) {
    if (literal_tag(key))
        return key;
    digest = "~" + redis::sha1_hex(key);
    return digest;
}

// The decision from the script's reply, computed by gcra::all_or_nothing as
// memory_store computes it; an error if the reply is not the script's.
[[nodiscard]] inline result<policy_decision>
decide_from_reply(redis::reply const& r, policy const& p, std::uint64_t cost) {
    auto const bad = make_error_code(redis::error::unexpected_reply);
    if (r.is_error())
        return make_error_code(redis::error::server_error);
    auto const n = p.size();
    auto const e = r.elements();
    if (!r.is_array() || e.size() != 3 + n || !e[0].is_integer() || !e[1].is_integer() ||
        !e[2].is_integer())
        return bad;
    auto const lua_allowed = e[0].integer();
    auto const now_s = e[1].integer(), now_ns = e[2].integer();
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    if ((lua_allowed != 0 && lua_allowed != 1) || now_s < 0 || now_s > max / ns_per_s - 1 ||
        now_ns < 0 || now_ns >= ns_per_s)
        return bad;
    std::int64_t const now = now_s * ns_per_s + now_ns;

    gcra::all_or_nothing ev(p, now, cost);
    for (std::size_t i = 0; i < n; ++i) {
        auto const window = p[i].window().count();
        // Every sum below stays below max: TAT + cost·T and now + W, with
        // cost·T <= W.
        if (now > max - window || !e[3 + i].is_string())
            return bad;
        auto const text = e[3 + i].text();
        std::int64_t seen = gcra::full;
        if (!text.empty()) {
            auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seen);
            if (ec != std::errc{} || end != text.data() + text.size() || seen < 0 ||
                seen > max - window)
                return bad;
        }
        ev.judge(i, seen);
    }
    if (ev.allowed() != (lua_allowed == 1))
        return bad; // the script and gcra.hpp disagree: a bug, not a decision
    return ev.decision();
}

} // namespace apikit::ratelimit::detail

#endif
