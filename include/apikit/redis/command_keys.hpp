#ifndef APIKIT_REDIS_COMMAND_KEYS_HPP
#define APIKIT_REDIS_COMMAND_KEYS_HPP

// Which hash slot a command is for: what a Redis Cluster client routes on.
//
//     slot_of({"GET", key})                       one slot: hash_slot(key)
//     slot_of({"EVALSHA", sha, 2, k1, k2, arg})   one slot, or cross_slot
//     slot_of({"PING"})                           keyless: any node will do
//
// slot_of() reads the command's RESP (the bytes apikit formatted when the
// command was built), looks its name up, case-insensitively, in a table
// generated from Redis 7.0's `COMMAND` (detail/command_keys.hpp), and
// hashes the arguments that are keys. Commands whose keys move
// (`movablekeys`: EVAL, XREADGROUP, ZUNIONSTORE, SORT, MIGRATE, …) and the
// subcommands of XGROUP, XINFO, OBJECT and MEMORY have rules of their own,
// which give the keys `COMMAND GETKEYS` gives (tests/redis/command_keys_test.cpp
// checks them against a real server). A command whose arguments are not
// what Redis would accept (EVAL with a numkeys beyond its arguments, XREAD
// without STREAMS) has no keys, as for Redis: it goes to any node, which
// answers it with an error.
//
// A command that is not in the table is keyless. That includes a command of
// a newer Redis, or of a module, with keys: the cluster client sends it to
// any node, and follows the MOVED that node answers with; it costs a round
// trip, never a wrong answer.
//
// This runs for every command sent to a cluster: no allocation, no
// exception, one pass over the arguments it needs (a keyword search may
// rewind once), and stops at the first key in another slot. It reads the
// command and a constant table only, so any thread may call it.

#include <apikit/redis/command.hpp>
#include <apikit/redis/detail/command_keys.hpp>
#include <apikit/redis/key.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace apikit::redis {

/// Where a command's keys are: none, one slot, or several (which a cluster
/// refuses with CROSSSLOT, and so does the cluster client, unsent).
struct command_slot {
    enum class kind : std::uint8_t { keyless, slot, cross_slot };
    kind k = kind::keyless;
    std::uint16_t slot = 0; ///< for kind::slot; 0 otherwise

    [[nodiscard]] friend bool operator==(command_slot const&, command_slot const&) = default;
};

namespace detail {

/// The slot of the keys seen so far.
struct slot_accumulator {
    command_slot result;

    /// False once the keys span two slots: nothing more to learn.
    [[nodiscard]] bool add(std::string_view key) noexcept {
        auto const s = hash_slot(key);
        if (result.k == command_slot::kind::keyless)
            result = {command_slot::kind::slot, s};
        else if (s != result.slot)
            result = {command_slot::kind::cross_slot, 0};
        return result.k != command_slot::kind::cross_slot;
    }
};

/// The argument at `i` as a key; false when there is none, or once the
/// keys span two slots.
[[nodiscard]] inline bool key_at(resp_arguments& a, slot_accumulator& acc, std::size_t i) noexcept {
    std::string_view key;
    return a.seek(i) && a.next(key) && acc.add(key);
}

/// The keys from `first` to `last` (negative: from the end), every `step`.
inline void range_keys(resp_arguments& a, slot_accumulator& acc, long first, long last,
                       long step) noexcept {
    auto const argc = static_cast<long>(a.size());
    if (last < 0)
        last += argc;
    // Out of bounds: Redis finds no keys (and refuses the command).
    if (first < 1 || last < first || last >= argc || step < 1)
        return;
    for (long i = first; i <= last; i += step)
        if (!key_at(a, acc, static_cast<std::size_t>(i)))
            return;
}

/// The index of the first `keyword` at `from` or after it, not the last
/// argument (a keyword needs its key after it); 0 when there is none.
[[nodiscard]] inline std::size_t find_keyword(resp_arguments& a, std::size_t from,
                                              std::string_view keyword) noexcept {
    if (!a.seek(from))
        return 0;
    std::string_view arg;
    while (a.index() + 1 < a.size()) {
        auto const i = a.index();
        if (!a.next(arg))
            return 0;
        if (keyword_is(arg, keyword))
            return i;
    }
    return 0;
}

/// The count at `at`, when Redis accepts it: at least 1, and no more than
/// the arguments after it; else 0 (and Redis finds no keys).
[[nodiscard]] inline std::size_t count_at(resp_arguments& a, std::size_t at) noexcept {
    std::string_view arg;
    if (!a.seek(at) || !a.next(arg))
        return 0;
    auto const n = parse_count(arg);
    if (n < 1 || static_cast<std::size_t>(n) > a.size() - at - 1)
        return 0;
    return static_cast<std::size_t>(n);
}

/// The `n` keys after the count at `at`.
inline void counted_keys(resp_arguments& a, slot_accumulator& acc, std::size_t at,
                         std::size_t n) noexcept {
    for (std::size_t i = 1; i <= n; ++i)
        if (!key_at(a, acc, at + i))
            return;
}

inline void movable_keys(resp_arguments& a, slot_accumulator& acc, key_rule rule,
                         std::size_t from) noexcept {
    std::string_view arg;
    switch (rule) {
    case key_rule::range:
    case key_rule::container:
        return;
    case key_rule::numkeys:
        counted_keys(a, acc, from, count_at(a, from));
        return;
    case key_rule::store_numkeys:
        // The destination is a key only when the count is valid: Redis
        // finds no keys at all otherwise.
        if (auto const n = count_at(a, 2); n != 0 && key_at(a, acc, 1))
            counted_keys(a, acc, 2, n);
        return;
    case key_rule::streams: {
        // Redis's key spec: the first STREAMS from `from` on; its keys are
        // the first half of what follows (then as many IDs).
        auto const at = find_keyword(a, from, "STREAMS");
        if (at == 0)
            return;
        auto const n = (a.size() - at - 1) / 2;
        for (std::size_t i = 0; i < n; ++i)
            if (!key_at(a, acc, at + 1 + i))
                return;
        return;
    }
    case key_rule::sort: {
        // Redis's sortGetKeys: options LIMIT (2 arguments), GET and BY (1)
        // are skipped; the last STORE with an argument after it names the
        // destination.
        if (!key_at(a, acc, 1))
            return;
        std::size_t store = 0;
        for (std::size_t i = 2; i < a.size(); ++i) {
            if (!a.seek(i) || !a.next(arg))
                break;
            if (keyword_is(arg, "LIMIT"))
                i += 2;
            else if (keyword_is(arg, "GET") || keyword_is(arg, "BY"))
                i += 1;
            else if (keyword_is(arg, "STORE") && i + 1 < a.size())
                store = i + 1;
        }
        if (store != 0)
            static_cast<void>(key_at(a, acc, store));
        return;
    }
    case key_rule::migrate: {
        // Redis's migrateGetKeys: the key at 3, or with KEYS (after AUTH's
        // one and AUTH2's two arguments) everything after it, which Redis
        // accepts only with an empty key at 3.
        std::string_view key;
        if (!a.seek(3) || !a.next(key))
            return;
        for (std::size_t i = 6; i < a.size(); ++i) {
            if (!a.seek(i) || !a.next(arg))
                break;
            if (keyword_is(arg, "AUTH")) {
                i += 1;
            } else if (keyword_is(arg, "AUTH2")) {
                i += 2;
            } else if (keyword_is(arg, "KEYS")) {
                if (!key.empty())
                    return;
                for (auto j = i + 1; j < a.size(); ++j)
                    if (!key_at(a, acc, j))
                        return;
                return;
            }
        }
        static_cast<void>(acc.add(key));
        return;
    }
    case key_rule::georadius: {
        // Redis's key specs: the key, the first STORE's and the first
        // STOREDIST's argument, searched for from `from` on.
        if (!key_at(a, acc, 1))
            return;
        if (auto const at = find_keyword(a, from, "STORE"); at != 0 && !key_at(a, acc, at + 1))
            return;
        if (auto const at = find_keyword(a, from, "STOREDIST"); at != 0)
            static_cast<void>(key_at(a, acc, at + 1));
        return;
    }
    }
}

} // namespace detail

/// The slot of `cmd`'s keys; see the header's comment.
[[nodiscard]] inline command_slot slot_of(command const& cmd) noexcept {
    detail::resp_arguments args(cmd.resp());
    std::string_view name;
    if (!args.next(name))
        return {};
    std::array<char, 32> buf;
    std::size_t n = 0;
    if (!detail::upper_name(buf, n, name))
        return {};
    auto const* entry = detail::find_command_keys({buf.data(), n});
    if (entry != nullptr && entry->rule == detail::key_rule::container) {
        std::string_view sub;
        if (!args.next(sub) || !detail::upper_name(buf, n, name, sub))
            return {};
        entry = detail::find_command_keys({buf.data(), n});
    }
    if (entry == nullptr)
        return {};
    detail::slot_accumulator acc;
    if (entry->rule == detail::key_rule::range)
        detail::range_keys(args, acc, entry->first, entry->last, entry->step);
    else
        detail::movable_keys(args, acc, entry->rule, static_cast<std::size_t>(entry->first));
    return acc.result;
}

} // namespace apikit::redis

#endif
