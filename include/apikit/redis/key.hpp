#ifndef APIKIT_REDIS_KEY_HPP
#define APIKIT_REDIS_KEY_HPP

// Key names and hash slots.
//
// Every key apikit writes is namespaced, `apikit:<area>:…`, so that apikit's
// keys never collide with an application's, and one area's never with
// another's. A key that a multi-key script must see together with others
// carries a hash tag, `apikit:rl:{user_123}:burst`: Redis Cluster hashes only
// the part between the first `{` and the next `}`, so all of one user's keys
// live in one slot, on one node, and the same script runs unchanged on a
// single Redis and on a cluster.
//
// hash_slot() is the cluster's own function (CRC16-CCITT/XMODEM of the key or
// its tag, modulo 16384; Redis Cluster specification, "Keys distribution
// model"); connection::async_eval checks with it that a script's keys share
// one slot, so a script that would fail on a cluster fails in development.

#include <apikit/redis/command.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace apikit::redis {

namespace detail {

inline constexpr std::array<std::uint16_t, 256> crc16_table = [] {
    std::array<std::uint16_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        auto c = static_cast<std::uint16_t>(i << 8);
        for (int b = 0; b < 8; ++b)
            c = static_cast<std::uint16_t>((c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1);
        t[i] = c;
    }
    return t;
}();

} // namespace detail

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0, no reflection),
/// the checksum Redis Cluster hashes keys with. crc16("123456789") == 0x31C3.
[[nodiscard]] constexpr std::uint16_t crc16(std::string_view data) noexcept {
    std::uint16_t crc = 0;
    for (char ch : data) {
        auto const byte = static_cast<unsigned char>(ch);
        crc = static_cast<std::uint16_t>((crc << 8) ^
                                         detail::crc16_table[((crc >> 8) ^ byte) & 0xff]);
    }
    return crc;
}

inline constexpr std::uint16_t slot_count = 16384;

/// The part of `key` that Redis Cluster hashes: the text between the first
/// `{` and the first `}` after it, when that is not empty; else the key.
[[nodiscard]] constexpr std::string_view hash_tag(std::string_view key) noexcept {
    auto const open = key.find('{');
    if (open == std::string_view::npos)
        return key;
    auto const close = key.find('}', open + 1);
    if (close == std::string_view::npos || close == open + 1)
        return key;
    return key.substr(open + 1, close - open - 1);
}

/// The Redis Cluster hash slot of `key`, 0–16383.
[[nodiscard]] constexpr std::uint16_t hash_slot(std::string_view key) noexcept {
    return static_cast<std::uint16_t>(crc16(hash_tag(key)) % slot_count);
}

/// True when every key is in the slot of the first (and for no keys or one).
[[nodiscard]] inline bool same_slot(std::span<arg const> keys) noexcept {
    if (keys.empty())
        return true;
    auto const first = hash_slot(keys.front().view());
    for (auto const& k : keys.subspan(1))
        if (hash_slot(k.view()) != first)
            return false;
    return true;
}

/// The keys of one area: `key_space rl("rl")` makes `apikit:rl:…`. The
/// prefix is "apikit" unless told otherwise, so that two applications can
/// share one Redis by choosing two prefixes.
class key_space {
public:
    /// `area` and `prefix` are names chosen in code: empty, or holding `{`
    /// or `}` (which would move the hash tag), is a bug, reported by
    /// std::invalid_argument.
    explicit key_space(std::string_view area, std::string_view prefix = "apikit") {
        check(prefix, "prefix");
        check(area, "area");
        base_.reserve(prefix.size() + area.size() + 2);
        base_.append(prefix).append(":").append(area).append(":");
    }

    /// `apikit:<area>:`, the start of every key of the area.
    [[nodiscard]] std::string_view prefix() const noexcept { return base_; }

    /// `apikit:<area>:<id>`, for a key that no script pairs with another.
    [[nodiscard]] std::string key(std::string_view id) const {
        std::string k;
        k.reserve(base_.size() + id.size());
        k.append(base_).append(id);
        return k;
    }

    /// `apikit:<area>:{<tag>}`: the tag (a user id, a client key) decides the
    /// slot. An empty tag makes `{}`, which Redis does not treat as a tag:
    /// keep tags non-empty, or async_eval refuses multi-key scripts on them.
    [[nodiscard]] std::string tagged(std::string_view tag) const {
        std::string k;
        k.reserve(base_.size() + tag.size() + 2);
        k.append(base_).append("{").append(tag).append("}");
        return k;
    }

    /// `apikit:<area>:{<tag>}:<suffix>`: one of several keys of one tag, all
    /// in the tag's slot.
    [[nodiscard]] std::string tagged(std::string_view tag, std::string_view suffix) const {
        std::string k;
        k.reserve(base_.size() + tag.size() + suffix.size() + 3);
        k.append(base_).append("{").append(tag).append("}:").append(suffix);
        return k;
    }

private:
    static void check(std::string_view name, char const* what) {
        if (name.empty() || name.find_first_of("{}") != std::string_view::npos)
            throw std::invalid_argument(std::string("apikit::redis::key_space: the ") + what +
                                        " must be non-empty and free of '{' and '}'");
    }

    std::string base_;
};

} // namespace apikit::redis

#endif
