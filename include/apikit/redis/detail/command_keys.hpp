#ifndef APIKIT_REDIS_DETAIL_COMMAND_KEYS_HPP
#define APIKIT_REDIS_DETAIL_COMMAND_KEYS_HPP

// Which arguments of a Redis command are keys: the table slot_of()
// (command_keys.hpp) looks commands up in, and the reader it walks a
// command's arguments with.
//
// The table is generated from Redis 7.0.15's own `COMMAND` reply, not
// written by hand: every command with keys (first key, last key, step, as
// COMMAND gives them; a negative last counts from the end), every container
// command with keyed subcommands (`XGROUP|CREATE`: positions count the
// container's name as 0), and, for the commands COMMAND marks `movablekeys`,
// the rule that finds their keys (the rules follow Redis's key specs, or its
// getkeys procedure where a spec cannot say; see command_keys.hpp). A
// command that is not here has no keys. Sorted by name (bytes, upper case),
// so a lookup is a binary search over string_views: no allocation, no
// hashing. A newer Redis's commands: regenerate from its COMMAND.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace apikit::redis::detail {

enum class key_rule : std::uint8_t {
    range,         ///< keys first, first + step, … to last (negative: argc + last)
    numkeys,       ///< the count at `first`, then that many keys (EVAL, ZUNION, BLMPOP)
    store_numkeys, ///< a destination at 1, the count at 2, then the keys (ZUNIONSTORE)
    streams,       ///< after the first STREAMS from `first` on, the first half (XREAD)
    sort,          ///< the key at 1 and the last STORE's destination (SORT)
    migrate,       ///< the key at 3, or with it empty every key after KEYS (MIGRATE)
    georadius,     ///< the key at 1, the first STORE's and STOREDIST's from `first` on
    container,     ///< the keys depend on the subcommand: look up `NAME|SUB`
};

struct command_keys_entry {
    std::string_view name;
    std::int8_t first;
    std::int8_t last;
    std::int8_t step;
    key_rule rule;
};

// clang-format off
inline constexpr std::array command_keys_table = [] {
    using k = key_rule;
    return std::array<command_keys_entry, 197>{{
        {"APPEND", 1, 1, 1, k::range}, {"BITCOUNT", 1, 1, 1, k::range},
        {"BITFIELD", 1, 1, 1, k::range}, {"BITFIELD_RO", 1, 1, 1, k::range},
        {"BITOP", 2, -1, 1, k::range}, {"BITPOS", 1, 1, 1, k::range}, {"BLMOVE", 1, 2, 1, k::range},
        {"BLMPOP", 2, 0, 0, k::numkeys}, {"BLPOP", 1, -2, 1, k::range}, {"BRPOP", 1, -2, 1, k::range},
        {"BRPOPLPUSH", 1, 2, 1, k::range}, {"BZMPOP", 2, 0, 0, k::numkeys},
        {"BZPOPMAX", 1, -2, 1, k::range}, {"BZPOPMIN", 1, -2, 1, k::range},
        {"COPY", 1, 2, 1, k::range}, {"DECR", 1, 1, 1, k::range}, {"DECRBY", 1, 1, 1, k::range},
        {"DEL", 1, -1, 1, k::range}, {"DUMP", 1, 1, 1, k::range}, {"EVAL", 2, 0, 0, k::numkeys},
        {"EVALSHA", 2, 0, 0, k::numkeys}, {"EVALSHA_RO", 2, 0, 0, k::numkeys},
        {"EVAL_RO", 2, 0, 0, k::numkeys}, {"EXISTS", 1, -1, 1, k::range},
        {"EXPIRE", 1, 1, 1, k::range}, {"EXPIREAT", 1, 1, 1, k::range},
        {"EXPIRETIME", 1, 1, 1, k::range}, {"FCALL", 2, 0, 0, k::numkeys},
        {"FCALL_RO", 2, 0, 0, k::numkeys}, {"GEOADD", 1, 1, 1, k::range},
        {"GEODIST", 1, 1, 1, k::range}, {"GEOHASH", 1, 1, 1, k::range}, {"GEOPOS", 1, 1, 1, k::range},
        {"GEORADIUS", 6, 0, 0, k::georadius}, {"GEORADIUSBYMEMBER", 5, 0, 0, k::georadius},
        {"GEORADIUSBYMEMBER_RO", 1, 1, 1, k::range}, {"GEORADIUS_RO", 1, 1, 1, k::range},
        {"GEOSEARCH", 1, 1, 1, k::range}, {"GEOSEARCHSTORE", 1, 2, 1, k::range},
        {"GET", 1, 1, 1, k::range}, {"GETBIT", 1, 1, 1, k::range}, {"GETDEL", 1, 1, 1, k::range},
        {"GETEX", 1, 1, 1, k::range}, {"GETRANGE", 1, 1, 1, k::range}, {"GETSET", 1, 1, 1, k::range},
        {"HDEL", 1, 1, 1, k::range}, {"HEXISTS", 1, 1, 1, k::range}, {"HGET", 1, 1, 1, k::range},
        {"HGETALL", 1, 1, 1, k::range}, {"HINCRBY", 1, 1, 1, k::range},
        {"HINCRBYFLOAT", 1, 1, 1, k::range}, {"HKEYS", 1, 1, 1, k::range}, {"HLEN", 1, 1, 1, k::range},
        {"HMGET", 1, 1, 1, k::range}, {"HMSET", 1, 1, 1, k::range}, {"HRANDFIELD", 1, 1, 1, k::range},
        {"HSCAN", 1, 1, 1, k::range}, {"HSET", 1, 1, 1, k::range}, {"HSETNX", 1, 1, 1, k::range},
        {"HSTRLEN", 1, 1, 1, k::range}, {"HVALS", 1, 1, 1, k::range}, {"INCR", 1, 1, 1, k::range},
        {"INCRBY", 1, 1, 1, k::range}, {"INCRBYFLOAT", 1, 1, 1, k::range}, {"LCS", 1, 2, 1, k::range},
        {"LINDEX", 1, 1, 1, k::range}, {"LINSERT", 1, 1, 1, k::range}, {"LLEN", 1, 1, 1, k::range},
        {"LMOVE", 1, 2, 1, k::range}, {"LMPOP", 1, 0, 0, k::numkeys}, {"LPOP", 1, 1, 1, k::range},
        {"LPOS", 1, 1, 1, k::range}, {"LPUSH", 1, 1, 1, k::range}, {"LPUSHX", 1, 1, 1, k::range},
        {"LRANGE", 1, 1, 1, k::range}, {"LREM", 1, 1, 1, k::range}, {"LSET", 1, 1, 1, k::range},
        {"LTRIM", 1, 1, 1, k::range}, {"MEMORY", 0, 0, 0, k::container},
        {"MEMORY|USAGE", 2, 2, 1, k::range}, {"MGET", 1, -1, 1, k::range},
        {"MIGRATE", 3, 0, 0, k::migrate}, {"MOVE", 1, 1, 1, k::range}, {"MSET", 1, -1, 2, k::range},
        {"MSETNX", 1, -1, 2, k::range}, {"OBJECT", 0, 0, 0, k::container},
        {"OBJECT|ENCODING", 2, 2, 1, k::range}, {"OBJECT|FREQ", 2, 2, 1, k::range},
        {"OBJECT|IDLETIME", 2, 2, 1, k::range}, {"OBJECT|REFCOUNT", 2, 2, 1, k::range},
        {"PERSIST", 1, 1, 1, k::range}, {"PEXPIRE", 1, 1, 1, k::range},
        {"PEXPIREAT", 1, 1, 1, k::range}, {"PEXPIRETIME", 1, 1, 1, k::range},
        {"PFADD", 1, 1, 1, k::range}, {"PFCOUNT", 1, -1, 1, k::range}, {"PFDEBUG", 2, 2, 1, k::range},
        {"PFMERGE", 1, -1, 1, k::range}, {"PSETEX", 1, 1, 1, k::range}, {"PTTL", 1, 1, 1, k::range},
        {"RENAME", 1, 2, 1, k::range}, {"RENAMENX", 1, 2, 1, k::range}, {"RESTORE", 1, 1, 1, k::range},
        {"RESTORE-ASKING", 1, 1, 1, k::range}, {"RPOP", 1, 1, 1, k::range},
        {"RPOPLPUSH", 1, 2, 1, k::range}, {"RPUSH", 1, 1, 1, k::range}, {"RPUSHX", 1, 1, 1, k::range},
        {"SADD", 1, 1, 1, k::range}, {"SCARD", 1, 1, 1, k::range}, {"SDIFF", 1, -1, 1, k::range},
        {"SDIFFSTORE", 1, -1, 1, k::range}, {"SET", 1, 1, 1, k::range}, {"SETBIT", 1, 1, 1, k::range},
        {"SETEX", 1, 1, 1, k::range}, {"SETNX", 1, 1, 1, k::range}, {"SETRANGE", 1, 1, 1, k::range},
        {"SINTER", 1, -1, 1, k::range}, {"SINTERCARD", 1, 0, 0, k::numkeys},
        {"SINTERSTORE", 1, -1, 1, k::range}, {"SISMEMBER", 1, 1, 1, k::range},
        {"SMEMBERS", 1, 1, 1, k::range}, {"SMISMEMBER", 1, 1, 1, k::range},
        {"SMOVE", 1, 2, 1, k::range}, {"SORT", 1, 0, 0, k::sort}, {"SORT_RO", 1, 1, 1, k::range},
        {"SPOP", 1, 1, 1, k::range}, {"SPUBLISH", 1, 1, 1, k::range},
        {"SRANDMEMBER", 1, 1, 1, k::range}, {"SREM", 1, 1, 1, k::range}, {"SSCAN", 1, 1, 1, k::range},
        {"SSUBSCRIBE", 1, -1, 1, k::range}, {"STRLEN", 1, 1, 1, k::range},
        {"SUBSTR", 1, 1, 1, k::range}, {"SUNION", 1, -1, 1, k::range},
        {"SUNIONSTORE", 1, -1, 1, k::range}, {"SUNSUBSCRIBE", 1, -1, 1, k::range},
        {"TOUCH", 1, -1, 1, k::range}, {"TTL", 1, 1, 1, k::range}, {"TYPE", 1, 1, 1, k::range},
        {"UNLINK", 1, -1, 1, k::range}, {"WATCH", 1, -1, 1, k::range}, {"XACK", 1, 1, 1, k::range},
        {"XADD", 1, 1, 1, k::range}, {"XAUTOCLAIM", 1, 1, 1, k::range}, {"XCLAIM", 1, 1, 1, k::range},
        {"XDEL", 1, 1, 1, k::range}, {"XGROUP", 0, 0, 0, k::container},
        {"XGROUP|CREATE", 2, 2, 1, k::range}, {"XGROUP|CREATECONSUMER", 2, 2, 1, k::range},
        {"XGROUP|DELCONSUMER", 2, 2, 1, k::range}, {"XGROUP|DESTROY", 2, 2, 1, k::range},
        {"XGROUP|SETID", 2, 2, 1, k::range}, {"XINFO", 0, 0, 0, k::container},
        {"XINFO|CONSUMERS", 2, 2, 1, k::range}, {"XINFO|GROUPS", 2, 2, 1, k::range},
        {"XINFO|STREAM", 2, 2, 1, k::range}, {"XLEN", 1, 1, 1, k::range},
        {"XPENDING", 1, 1, 1, k::range}, {"XRANGE", 1, 1, 1, k::range}, {"XREAD", 1, 0, 0, k::streams},
        {"XREADGROUP", 4, 0, 0, k::streams}, {"XREVRANGE", 1, 1, 1, k::range},
        {"XSETID", 1, 1, 1, k::range}, {"XTRIM", 1, 1, 1, k::range}, {"ZADD", 1, 1, 1, k::range},
        {"ZCARD", 1, 1, 1, k::range}, {"ZCOUNT", 1, 1, 1, k::range}, {"ZDIFF", 1, 0, 0, k::numkeys},
        {"ZDIFFSTORE", 1, 0, 0, k::store_numkeys}, {"ZINCRBY", 1, 1, 1, k::range},
        {"ZINTER", 1, 0, 0, k::numkeys}, {"ZINTERCARD", 1, 0, 0, k::numkeys},
        {"ZINTERSTORE", 1, 0, 0, k::store_numkeys}, {"ZLEXCOUNT", 1, 1, 1, k::range},
        {"ZMPOP", 1, 0, 0, k::numkeys}, {"ZMSCORE", 1, 1, 1, k::range}, {"ZPOPMAX", 1, 1, 1, k::range},
        {"ZPOPMIN", 1, 1, 1, k::range}, {"ZRANDMEMBER", 1, 1, 1, k::range},
        {"ZRANGE", 1, 1, 1, k::range}, {"ZRANGEBYLEX", 1, 1, 1, k::range},
        {"ZRANGEBYSCORE", 1, 1, 1, k::range}, {"ZRANGESTORE", 1, 2, 1, k::range},
        {"ZRANK", 1, 1, 1, k::range}, {"ZREM", 1, 1, 1, k::range},
        {"ZREMRANGEBYLEX", 1, 1, 1, k::range}, {"ZREMRANGEBYRANK", 1, 1, 1, k::range},
        {"ZREMRANGEBYSCORE", 1, 1, 1, k::range}, {"ZREVRANGE", 1, 1, 1, k::range},
        {"ZREVRANGEBYLEX", 1, 1, 1, k::range}, {"ZREVRANGEBYSCORE", 1, 1, 1, k::range},
        {"ZREVRANK", 1, 1, 1, k::range}, {"ZSCAN", 1, 1, 1, k::range}, {"ZSCORE", 1, 1, 1, k::range},
        {"ZUNION", 1, 0, 0, k::numkeys}, {"ZUNIONSTORE", 1, 0, 0, k::store_numkeys},
    }};
}();
// clang-format on

static_assert(std::ranges::is_sorted(command_keys_table, {}, &command_keys_entry::name),
              "command_keys_table must stay sorted by name: lookups are binary searches");

/// The entry of the command named `upper` (already in upper case), or null.
[[nodiscard]] constexpr command_keys_entry const*
find_command_keys(std::string_view upper) noexcept {
    auto const it =
        std::ranges::lower_bound(command_keys_table, upper, {}, &command_keys_entry::name);
    if (it == command_keys_table.end() || it->name != upper)
        return nullptr;
    return &*it;
}

/// The arguments of a RESP command (`*N\r\n$len\r\narg\r\n…`), one at a
/// time. Defensive although apikit built the bytes: anything malformed reads
/// as the end of the arguments.
class resp_arguments {
public:
    explicit resp_arguments(std::string_view resp) noexcept {
        std::size_t n = 0;
        if (resp.empty() || resp.front() != '*' || !read_number(resp, 1, n, first_))
            return;
        count_ = n;
        all_ = resp;
        pos_ = first_;
    }

    /// How many arguments, the name included.
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    /// The index of the argument next() reads.
    [[nodiscard]] std::size_t index() const noexcept { return index_; }

    /// The next argument; false at the end (or on bytes that are not RESP).
    [[nodiscard]] bool next(std::string_view& out) noexcept {
        std::size_t len = 0;
        std::size_t data = 0;
        if (index_ >= count_ || pos_ >= all_.size() || all_[pos_] != '$' ||
            !read_number(all_, pos_ + 1, len, data) || all_.size() - data < len + 2) {
            count_ = index_;
            return false;
        }
        out = all_.substr(data, len);
        pos_ = data + len + 2;
        ++index_;
        return true;
    }

    /// Moves to argument `i` (back to the start first if it is behind).
    [[nodiscard]] bool seek(std::size_t i) noexcept {
        if (i < index_) {
            index_ = 0;
            pos_ = first_;
        }
        std::string_view skipped;
        while (index_ < i)
            if (!next(skipped))
                return false;
        return i < count_;
    }

private:
    // A decimal number at `at`, ended by \r\n; `after` is where the next
    // element starts.
    [[nodiscard]] static bool read_number(std::string_view s, std::size_t at, std::size_t& value,
                                          std::size_t& after) noexcept {
        std::size_t v = 0;
        std::size_t i = at;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && i - at < 18; ++i)
            v = v * 10 + static_cast<std::size_t>(s[i] - '0');
        if (i == at || s.size() - i < 2 || s[i] != '\r' || s[i + 1] != '\n')
            return false;
        value = v;
        after = i + 2;
        return true;
    }

    std::string_view all_;
    std::size_t first_ = 0; // where argument 0 starts
    std::size_t pos_ = 0;
    std::size_t count_ = 0;
    std::size_t index_ = 0;
};

/// ASCII case-insensitive equality with `upper`, a keyword in upper case.
[[nodiscard]] constexpr bool keyword_is(std::string_view arg, std::string_view upper) noexcept {
    if (arg.size() != upper.size())
        return false;
    for (std::size_t i = 0; i < arg.size(); ++i) {
        auto c = arg[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
        if (c != upper[i])
            return false;
    }
    return true;
}

/// A count as Redis reads one (string2ll): decimal, no sign, no leading
/// zero; -1 for anything else, which Redis would refuse.
[[nodiscard]] constexpr long long parse_count(std::string_view s) noexcept {
    if (s.empty() || s.size() > 9 || (s[0] == '0' && s.size() > 1))
        return -1;
    long long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

/// `name` in upper case into `buf`, with `|sub` after it when `sub` is not
/// empty; false when it does not fit (no command has so long a name).
[[nodiscard]] inline bool upper_name(std::array<char, 32>& buf, std::size_t& n,
                                     std::string_view name, std::string_view sub = {}) noexcept {
    n = 0;
    auto const put = [&](std::string_view s) {
        for (char c : s) {
            if (n == buf.size())
                return false;
            buf[n++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        }
        return true;
    };
    return put(name) && (sub.empty() || (put("|") && put(sub)));
}

} // namespace apikit::redis::detail

#endif
