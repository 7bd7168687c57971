// slot_of(): which slot a command is for, from the keys its name says it
// has. Every shape of key position (fixed, ranges, steps, counts, keywords,
// subcommands), the commands apikit's backends send, and the same answers as
// a real server's `COMMAND GETKEYS` for a list that holds every movable-keys
// command.

#include "support.hpp"

#include <apikit/redis/command_keys.hpp>

#include <doctest/doctest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using namespace redis_test;
using redis::command;
using redis::command_slot;
using redis::hash_slot;
using redis::slot_of;

namespace {

using kind = command_slot::kind;

command_slot in(std::string_view key) {
    return {kind::slot, hash_slot(key)};
}
constexpr command_slot keyless{};
constexpr command_slot cross{kind::cross_slot, 0};

// Keys with hash tags: every "{a}…" key is in a's slot, every "{b}…" in b's,
// and the two slots differ.
constexpr std::string_view a1 = "{a}1", a2 = "{a}2", a3 = "{a}3", b1 = "{b}1";

} // namespace

template <>
struct doctest::StringMaker<command_slot> {
    static doctest::String convert(command_slot const& s) {
        switch (s.k) {
        case kind::keyless:
            return "keyless";
        case kind::slot:
            return fmt::format("slot {}", s.slot).c_str();
        case kind::cross_slot:
            return "cross_slot";
        }
        return "?";
    }
};

TEST_CASE("command_keys: the test's keys are where the test says they are") {
    REQUIRE(hash_slot(a1) == hash_slot("a"));
    REQUIRE(hash_slot(a2) == hash_slot("a"));
    REQUIRE(hash_slot(a3) == hash_slot("a"));
    REQUIRE(hash_slot(b1) == hash_slot("b"));
    REQUIRE(hash_slot("a") != hash_slot("b"));
}

TEST_CASE("command_keys: the commands apikit's backends send") {
    CHECK(slot_of({"GET", a1}) == in(a1));
    CHECK(slot_of({"SET", a1, 42, "EX", 300}) == in(a1));
    CHECK(slot_of({"INCR", a1}) == in(a1));
    CHECK(slot_of({"EXPIRE", a1, 60}) == in(a1));
    CHECK(slot_of({"HSET", a1, "f", 1}) == in(a1));
    CHECK(slot_of({"HGET", a1, "f"}) == in(a1));
    CHECK(slot_of({"ZADD", a1, 1.5, "m"}) == in(a1));
    CHECK(slot_of({"DEL", a1}) == in(a1));
    CHECK(slot_of({"DEL", a1, a2, a3}) == in(a1));
    CHECK(slot_of({"DEL", a1, b1}) == cross);

    // Scripts: numkeys keys after the script, never the arguments after them.
    CHECK(slot_of({"EVALSHA", "0123456789abcdef0123456789abcdef01234567", 2, a1, a2, "x", b1}) ==
          in(a1));
    CHECK(slot_of({"EVALSHA", "0123456789abcdef0123456789abcdef01234567", 2, a1, b1}) == cross);
    CHECK(slot_of({"EVAL", "return 1", 1, a1, b1}) == in(a1));
    CHECK(slot_of({"EVAL", "return 1", 0}) == keyless);
    CHECK(slot_of({"EVAL", "return 1", 0, b1}) == keyless);

    // Streams.
    CHECK(slot_of({"XADD", a1, "MAXLEN", "~", 1000, "*", "f", "v"}) == in(a1));
    CHECK(slot_of({"XRANGE", a1, "-", "+", "COUNT", 10}) == in(a1));
    CHECK(slot_of({"XREVRANGE", a1, "+", "-"}) == in(a1));
    CHECK(slot_of({"XACK", a1, "group", "1-0", "2-0"}) == in(a1));
    CHECK(slot_of({"XAUTOCLAIM", a1, "group", "consumer", 1000, "0-0", "COUNT", 10}) == in(a1));
    CHECK(slot_of({"XLEN", a1}) == in(a1));
    CHECK(slot_of({"XTRIM", a1, "MAXLEN", 10}) == in(a1));
    CHECK(slot_of({"XDEL", a1, "1-0"}) == in(a1));
    CHECK(slot_of({"XREADGROUP", "GROUP", "g", "c", "COUNT", 10, "BLOCK", 0, "STREAMS", a1, ">"}) ==
          in(a1));
    CHECK(slot_of({"XGROUP", "CREATE", a1, "g", "$", "MKSTREAM"}) == in(a1));
    CHECK(slot_of({"XGROUP", "DESTROY", a1, "g"}) == in(a1));
    CHECK(slot_of({"XGROUP", "CREATECONSUMER", a1, "g", "c"}) == in(a1));
    CHECK(slot_of({"XGROUP", "DELCONSUMER", a1, "g", "c"}) == in(a1));
    CHECK(slot_of({"XGROUP", "SETID", a1, "g", "$"}) == in(a1));
    CHECK(slot_of({"XINFO", "STREAM", a1}) == in(a1));
    CHECK(slot_of({"XINFO", "GROUPS", a1}) == in(a1));
    CHECK(slot_of({"XINFO", "CONSUMERS", a1, "g"}) == in(a1));

    // Keyless: any node answers them.
    CHECK(slot_of({"PING"}) == keyless);
    CHECK(slot_of({"TIME"}) == keyless);
    CHECK(slot_of({"SCRIPT", "LOAD", "return 1"}) == keyless);
    CHECK(slot_of({"SCRIPT", "FLUSH"}) == keyless);
    CHECK(slot_of({"CLUSTER", "SHARDS"}) == keyless);
}

TEST_CASE("command_keys: names and subcommands in any case, unknown commands keyless") {
    CHECK(slot_of({"get", a1}) == in(a1));
    CHECK(slot_of({"GeT", a1}) == in(a1));
    CHECK(slot_of({"evalsha", "sha", 1, a1}) == in(a1));
    CHECK(slot_of({"xgroup", "create", a1, "g", "$"}) == in(a1));
    CHECK(slot_of({"Object", "Encoding", a1}) == in(a1));
    CHECK(slot_of({"memory", "usage", a1, "SAMPLES", 5}) == in(a1));
    CHECK(slot_of({"OBJECT", "FREQ", a1}) == in(a1));
    CHECK(slot_of({"OBJECT", "IDLETIME", a1}) == in(a1));
    CHECK(slot_of({"OBJECT", "REFCOUNT", a1}) == in(a1));

    // A subcommand without keys, or a container without its subcommand.
    CHECK(slot_of({"XGROUP", "HELP"}) == keyless);
    CHECK(slot_of({"OBJECT", "HELP"}) == keyless);
    CHECK(slot_of({"MEMORY", "STATS"}) == keyless);
    CHECK(slot_of({"XINFO"}) == keyless);
    // Not a command of Redis 7.0 (or a module's): keyless, the client
    // follows the MOVED it may get.
    CHECK(slot_of({"NO-SUCH-COMMAND", a1}) == keyless);
    CHECK(slot_of({"GETX", a1}) == keyless);
    CHECK(slot_of({"GE", a1}) == keyless);
    CHECK(slot_of({"", a1}) == keyless);
    CHECK(slot_of({std::string(200, 'G'), a1}) == keyless);
    CHECK(slot_of({"XGROUP", std::string(200, 'C'), a1}) == keyless);
    // Too few arguments for the key: Redis refuses it, whichever node.
    CHECK(slot_of({"GET"}) == keyless);
    CHECK(slot_of({"RENAME", a1}) == keyless);
    CHECK(slot_of({"XGROUP", "CREATE"}) == keyless);
}

TEST_CASE("command_keys: ranges, steps and keys counted from the end") {
    CHECK(slot_of({"MGET", a1, a2, a3}) == in(a1));
    CHECK(slot_of({"MGET", a1, a2, b1}) == cross);
    CHECK(slot_of({"EXISTS", b1}) == in(b1));
    // Every other argument: values are not keys.
    CHECK(slot_of({"MSET", a1, b1, a2, b1}) == in(a1));
    CHECK(slot_of({"MSET", a1, "x", b1, "y"}) == cross);
    CHECK(slot_of({"MSETNX", a1, b1}) == in(a1));
    // The last argument is a timeout, not a key.
    CHECK(slot_of({"BLPOP", a1, a2, 0}) == in(a1));
    CHECK(slot_of({"BRPOP", a1, b1, 0}) == cross);
    CHECK(slot_of({"BZPOPMIN", a1, "1.5"}) == in(a1));
    // The first argument is not a key, the rest are.
    CHECK(slot_of({"BITOP", "AND", a1, a2, a3}) == in(a1));
    CHECK(slot_of({"BITOP", "AND", a1, a2, b1}) == cross);
    // Two keys at fixed places.
    CHECK(slot_of({"RENAME", a1, a2}) == in(a1));
    CHECK(slot_of({"RENAME", a1, b1}) == cross);
    CHECK(slot_of({"LMOVE", a1, a2, "LEFT", "RIGHT"}) == in(a1));
    CHECK(slot_of({"BLMOVE", a1, b1, "LEFT", "RIGHT", 0}) == cross);
    CHECK(slot_of({"COPY", a1, a2, "REPLACE"}) == in(a1));
    CHECK(slot_of({"GEOSEARCHSTORE", a1, b1, "FROMMEMBER", "m", "BYRADIUS", 1, "km"}) == cross);
    CHECK(slot_of({"SUNIONSTORE", a1, a2, a3}) == in(a1));
    // A shard channel is routed as a key is (COMMAND GETKEYS does not list
    // it: it is not a key of the keyspace).
    CHECK(slot_of({"SPUBLISH", a1, "message"}) == in(a1));
    CHECK(slot_of({"SSUBSCRIBE", a1, a2}) == in(a1));
    CHECK(slot_of({"SUNSUBSCRIBE"}) == keyless);
    CHECK(slot_of({"WATCH", a1, a2}) == in(a1));
}

TEST_CASE("command_keys: counted keys (numkeys) and their invalid counts") {
    CHECK(slot_of({"EVAL_RO", "return 1", 2, a1, a2}) == in(a1));
    CHECK(slot_of({"EVALSHA_RO", "sha", 1, b1, a1}) == in(b1));
    CHECK(slot_of({"FCALL", "fn", 2, a1, a2, "arg"}) == in(a1));
    CHECK(slot_of({"FCALL_RO", "fn", 2, a1, b1}) == cross);
    CHECK(slot_of({"ZUNION", 2, a1, a2, "WEIGHTS", 1, 2}) == in(a1));
    CHECK(slot_of({"ZINTER", 2, a1, b1}) == cross);
    CHECK(slot_of({"ZDIFF", 1, a1, "WITHSCORES"}) == in(a1));
    CHECK(slot_of({"ZINTERCARD", 2, a1, a2, "LIMIT", 5}) == in(a1));
    CHECK(slot_of({"SINTERCARD", 2, a1, a2}) == in(a1));
    CHECK(slot_of({"LMPOP", 2, a1, a2, "LEFT", "COUNT", 3}) == in(a1));
    CHECK(slot_of({"ZMPOP", 1, b1, "MIN"}) == in(b1));
    // A timeout first, then the count.
    CHECK(slot_of({"BLMPOP", 0, 2, a1, a2, "LEFT"}) == in(a1));
    CHECK(slot_of({"BZMPOP", "1.5", 2, a1, b1, "MAX"}) == cross);

    // A count Redis does not accept: no keys, as for Redis (which answers
    // the command with an error, whichever node).
    CHECK(slot_of({"EVAL", "return 1", 3, a1, a2}) == keyless);
    CHECK(slot_of({"EVAL", "return 1", -1, a1}) == keyless);
    CHECK(slot_of({"EVAL", "return 1", "01", a1}) == keyless);
    CHECK(slot_of({"EVAL", "return 1", "+1", a1}) == keyless);
    CHECK(slot_of({"EVAL", "return 1", "one", a1}) == keyless);
    CHECK(slot_of({"EVAL", "return 1", "", a1}) == keyless);
    CHECK(slot_of({"EVAL", "return 1", "99999999999999999999", a1}) == keyless);
    CHECK(slot_of({"EVAL", "return 1"}) == keyless);
    CHECK(slot_of({"ZUNION", 0, a1}) == keyless);
}

TEST_CASE("command_keys: a destination and counted keys (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE)") {
    CHECK(slot_of({"ZUNIONSTORE", a1, 2, a2, a3, "AGGREGATE", "MAX"}) == in(a1));
    CHECK(slot_of({"ZINTERSTORE", b1, 2, a2, a3}) == cross);
    CHECK(slot_of({"ZDIFFSTORE", a1, 2, a2, b1}) == cross);
    CHECK(slot_of({"zdiffstore", b1, 1, b1}) == in(b1));
    // The count counts the sources; the destination is no key without them.
    CHECK(slot_of({"ZUNIONSTORE", a1, 0, a2}) == keyless);
    CHECK(slot_of({"ZUNIONSTORE", a1, 3, a2, a3}) == keyless);
}

TEST_CASE("command_keys: streams after STREAMS (XREAD, XREADGROUP)") {
    CHECK(slot_of({"XREAD", "STREAMS", a1, "0-0"}) == in(a1));
    CHECK(slot_of({"XREAD", "COUNT", 5, "BLOCK", 100, "STREAMS", a1, a2, "0", "0"}) == in(a1));
    CHECK(slot_of({"XREAD", "streams", a1, b1, "0", "0"}) == cross);
    // The IDs are not keys, whatever they look like.
    CHECK(slot_of({"XREAD", "STREAMS", a1, b1}) == in(a1));
    // A group or consumer named STREAMS is not the keyword.
    CHECK(slot_of({"XREADGROUP", "GROUP", "STREAMS", "STREAMS", "STREAMS", a1, ">"}) == in(a1));
    CHECK(slot_of({"XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", a1, a2, ">", ">"}) ==
          in(a1));
    // An odd tail: the first half, rounded down (Redis's key spec).
    CHECK(slot_of({"XREAD", "STREAMS", a1, b1, "0"}) == in(a1));
    // No STREAMS, or nothing after it: no keys.
    CHECK(slot_of({"XREAD", "COUNT", 5}) == keyless);
    CHECK(slot_of({"XREAD", "STREAMS"}) == keyless);
    CHECK(slot_of({"XREAD", "STREAMS", a1}) == keyless);
    CHECK(slot_of({"XREADGROUP", "GROUP", "g", "c", "COUNT", 1}) == keyless);
}

TEST_CASE("command_keys: SORT and its STORE, SORT_RO") {
    CHECK(slot_of({"SORT", a1}) == in(a1));
    CHECK(slot_of({"SORT", a1, "LIMIT", 0, 10, "ALPHA", "STORE", a2}) == in(a1));
    CHECK(slot_of({"SORT", a1, "STORE", b1}) == cross);
    // BY's, GET's and LIMIT's arguments are skipped, even when they say STORE.
    CHECK(slot_of({"SORT", a1, "BY", "STORE", "GET", "store", "LIMIT", "store", "store"}) ==
          in(a1));
    // The last STORE wins, as in SORT itself.
    CHECK(slot_of({"SORT", a1, "STORE", b1, "STORE", a2}) == in(a1));
    // STORE at the end has no destination.
    CHECK(slot_of({"SORT", a1, "STORE"}) == in(a1));
    CHECK(slot_of({"SORT_RO", a1, "BY", "nosort", "GET", "#"}) == in(a1));
    CHECK(slot_of({"SORT"}) == keyless);
}

TEST_CASE("command_keys: MIGRATE's key, or its KEYS after an empty key") {
    CHECK(slot_of({"MIGRATE", "127.0.0.1", 6380, a1, 0, 5000}) == in(a1));
    CHECK(slot_of({"MIGRATE", "127.0.0.1", 6380, a1, 0, 5000, "COPY", "REPLACE"}) == in(a1));
    CHECK(slot_of({"MIGRATE", "127.0.0.1", 6380, "", 0, 5000, "KEYS", a1, a2}) == in(a1));
    CHECK(slot_of({"MIGRATE", "127.0.0.1", 6380, "", 0, 5000, "REPLACE", "KEYS", a1, b1}) == cross);
    // AUTH's password and AUTH2's user and password are not the keyword.
    CHECK(slot_of({"MIGRATE", "h", 1, "", 0, 5, "AUTH", "keys", "KEYS", b1}) == in(b1));
    CHECK(slot_of({"MIGRATE", "h", 1, "", 0, 5, "AUTH2", "keys", "keys", "KEYS", b1}) == in(b1));
    // KEYS with a key is refused by Redis; no key after KEYS is nothing.
    CHECK(slot_of({"MIGRATE", "h", 1, a1, 0, 5, "KEYS", a2}) == keyless);
    CHECK(slot_of({"MIGRATE", "h", 1, "", 0, 5, "KEYS"}) == keyless);
    // The empty key alone is a key (of slot 0).
    CHECK(slot_of({"MIGRATE", "h", 1, "", 0, 5}) == in(""));
}

TEST_CASE("command_keys: GEORADIUS and GEORADIUSBYMEMBER with STORE and STOREDIST") {
    CHECK(slot_of({"GEORADIUS", a1, 1, 2, 3, "km"}) == in(a1));
    CHECK(slot_of({"GEORADIUS", a1, 1, 2, 3, "km", "STORE", a2}) == in(a1));
    CHECK(slot_of({"GEORADIUS", a1, 1, 2, 3, "km", "STORE", b1}) == cross);
    CHECK(slot_of({"GEORADIUS", a1, 1, 2, 3, "km", "COUNT", 3, "STOREDIST", b1}) == cross);
    CHECK(slot_of({"GEORADIUS", a1, 1, 2, 3, "km", "STORE", a2, "STOREDIST", b1}) == cross);
    CHECK(slot_of({"GEORADIUS", a1, 1, 2, 3, "km", "STORE"}) == in(a1));
    CHECK(slot_of({"GEORADIUSBYMEMBER", a1, "m", 3, "km", "storedist", a2}) == in(a1));
    CHECK(slot_of({"GEORADIUSBYMEMBER", a1, "m", 3, "km", "STORE", b1}) == cross);
    CHECK(slot_of({"GEORADIUS_RO", a1, 1, 2, 3, "km", "STORE", b1}) == in(a1));
}

TEST_CASE("command_keys: keys are read by their lengths, whatever their bytes") {
    // A key holding RESP's own delimiters, and binary bytes.
    std::string const odd = std::string("{a}\r\n$3\r\nkey\r\n") + '\0' + "\xff";
    CHECK(slot_of({"GET", odd}) == in(a1));
    CHECK(slot_of({"MGET", odd, a1, "{a}" + std::string(100000, 'x')}) == in(a1));
    // More arguments than fit in hiredis's small formatting buffers.
    std::vector<redis::arg> many{"DEL"};
    std::vector<std::string> keys;
    for (int i = 0; i < 1000; ++i)
        keys.push_back(fmt::format("{{a}}{}", i));
    for (auto const& k : keys)
        many.emplace_back(k);
    CHECK(slot_of(command(many)) == in(a1));
    many.emplace_back(b1);
    CHECK(slot_of(command(many)) == cross);
    // An empty key is a key: slot 0.
    CHECK(slot_of({"GET", ""}) == command_slot{kind::slot, 0});
}

TEST_CASE("command_keys: bytes that are not RESP read as a command without keys") {
    auto const bytes = [](std::string resp) { return slot_of(command::from_resp(resp, 2)); };
    CHECK(bytes("*2\r\n$3\r\nGET\r\n$3\r\nabc\r\n") == in("abc"));
    CHECK(bytes("") == keyless);
    CHECK(bytes("*2\r\n") == keyless);
    CHECK(bytes("*2\r\n$3\r\nGET\r\n$9\r\nabc\r\n") == keyless);
    CHECK(bytes("*2\r\n$3\r\nGET\r\n$3\r\nabc") == keyless);
    CHECK(bytes("*2\r\n$3\r\nGET\r\n+abc\r\n") == keyless);
    CHECK(bytes("*x\r\n$3\r\nGET\r\n$3\r\nabc\r\n") == keyless);
    CHECK(bytes("*2\r\n$-1\r\nGET\r\n$3\r\nabc\r\n") == keyless);
    CHECK(bytes("*2\n$3\nGET\n$3\nabc\n") == keyless);
    CHECK(bytes("*99999999999999999999\r\n$3\r\nGET\r\n$3\r\nabc\r\n") == keyless);
    CHECK(bytes("*2\r\n$3\r\nGET\r\n$99999999999999999999\r\nabc\r\n") == keyless);
}

TEST_CASE("command_keys: every command with keys in the table is found, in any case") {
    for (auto const& e : redis::detail::command_keys_table) {
        CAPTURE(e.name);
        CHECK(redis::detail::find_command_keys(e.name) == &e);
        std::string lower(e.name);
        for (auto& c : lower)
            c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (e.rule == redis::detail::key_rule::range &&
            e.name.find('|') == std::string_view::npos) {
            // Enough arguments that every range reaches its keys: all the
            // same key, so one slot whatever the step.
            std::vector<redis::arg> args{lower};
            for (int i = 0; i < 6; ++i)
                args.emplace_back(a1);
            CHECK(slot_of(command(args)) == in(a1));
        }
    }
}

namespace {

// The slot `COMMAND GETKEYS` says: keyless when it finds no keys (an empty
// array, or the error it answers for a command whose keys it cannot find).
command_slot server_slot(shared_connection& c, std::vector<std::string> const& words) {
    std::vector<redis::arg> args{"COMMAND", "GETKEYS"};
    for (auto const& w : words)
        args.emplace_back(w);
    auto const o = exec(c.io, c.conn, command(args));
    REQUIRE_MESSAGE(!o.ec, o.ec.message());
    if (o.r.is_error()) {
        INFO(fmt::format("{}", o.r));
        CHECK((o.r.text().find("no key arguments") != std::string_view::npos ||
               o.r.text().find("Invalid arguments") != std::string_view::npos));
        return keyless;
    }
    auto const keys = o.r.as<std::vector<std::string>>();
    REQUIRE(keys.has_value());
    command_slot out;
    for (auto const& k : *keys) {
        auto const s = hash_slot(k);
        if (out.k == kind::keyless)
            out = {kind::slot, s};
        else if (out.slot != s)
            out = cross;
    }
    return out;
}

} // namespace

TEST_CASE("command_keys: the same slots as a real server's COMMAND GETKEYS") {
    shared_connection c;
    std::string const sha = "0123456789abcdef0123456789abcdef01234567";
    std::string const A1(a1), A2(a2), A3(a3), B1(b1);
    std::vector<std::vector<std::string>> const commands{
        {"GET", A1},
        {"SET", A1, "v", "EX", "300"},
        {"MSET", A1, B1, A2, B1},
        {"MSET", A1, "x", B1, "y"},
        {"DEL", A1, A2, B1},
        {"BLPOP", A1, A2, "0"},
        {"BITOP", "AND", A1, A2, A3},
        {"RENAME", A1, B1},
        {"PING", "hello"},
        {"SCRIPT", "LOAD", "return 1"},
        {"EVAL", "return 1", "2", A1, A2, B1},
        {"EVAL", "return 1", "2", A1, B1},
        {"EVAL", "return 1", "0"},
        {"EVAL", "return 1", "3", A1},
        {"EVALSHA", sha, "1", B1, A1},
        {"EVAL_RO", "return 1", "1", A1},
        {"EVALSHA_RO", sha, "2", A1, A2},
        {"FCALL", "fn", "1", A1, "arg"},
        {"FCALL_RO", "fn", "2", A1, B1},
        {"XADD", A1, "*", "f", "v"},
        {"XAUTOCLAIM", A1, "g", "c", "1000", "0-0"},
        {"XREAD", "COUNT", "5", "STREAMS", A1, A2, "0", "0"},
        {"XREAD", "STREAMS", A1, B1, "0", "0"},
        {"XREAD", "STREAMS", A1, B1, "0"},
        {"XREADGROUP", "GROUP", "STREAMS", "c", "STREAMS", A1, ">"},
        {"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "BLOCK", "0", "STREAMS", B1, ">"},
        {"XGROUP", "CREATE", A1, "g", "$", "MKSTREAM"},
        {"XGROUP", "DESTROY", A1, "g"},
        {"XGROUP", "CREATECONSUMER", B1, "g", "c"},
        {"XINFO", "STREAM", A1},
        {"XINFO", "GROUPS", A1},
        {"XINFO", "CONSUMERS", B1, "g"},
        {"OBJECT", "ENCODING", A1},
        {"MEMORY", "USAGE", B1, "SAMPLES", "5"},
        {"ZUNIONSTORE", A1, "2", A2, A3},
        {"ZINTERSTORE", B1, "2", A2, A3},
        {"ZDIFFSTORE", A1, "1", A2},
        {"ZUNIONSTORE", A1, "0", A2},
        {"ZUNION", "2", A1, B1},
        {"ZINTER", "2", A1, A2},
        {"ZDIFF", "1", B1},
        {"ZINTERCARD", "2", A1, A2, "LIMIT", "1"},
        {"SINTERCARD", "2", A1, B1},
        {"LMPOP", "2", A1, A2, "LEFT"},
        {"ZMPOP", "1", B1, "MIN"},
        {"BLMPOP", "0", "2", A1, A2, "LEFT"},
        {"BZMPOP", "0", "2", A1, B1, "MAX"},
        {"SORT", A1},
        {"SORT", A1, "BY", "store", "STORE", B1, "STORE", A2},
        {"SORT", A1, "LIMIT", "0", "1", "STORE", B1},
        {"SORT_RO", A1, "BY", "nosort"},
        {"MIGRATE", "127.0.0.1", "1", A1, "0", "5"},
        {"MIGRATE", "127.0.0.1", "1", "", "0", "5", "AUTH2", "u", "keys", "KEYS", A1, B1},
        {"MIGRATE", "127.0.0.1", "1", "", "0", "5", "COPY", "KEYS", A1, A2},
        {"MIGRATE", "127.0.0.1", "1", A1, "0", "5", "KEYS", A2},
        {"GEORADIUS", A1, "1", "2", "3", "km", "STORE", A2},
        {"GEORADIUS", A1, "1", "2", "3", "km", "STORE", A2, "STOREDIST", B1},
        {"GEORADIUSBYMEMBER", A1, "m", "3", "km", "STOREDIST", B1},
        {"GEORADIUSBYMEMBER", A1, "m", "3", "km"},
    };
    for (auto const& words : commands) {
        CAPTURE(fmt::format("{}", fmt::join(words, " ")));
        std::vector<redis::arg> args(words.begin(), words.end());
        CHECK(slot_of(command(args)) == server_slot(c, words));
    }
}

TEST_CASE("command_keys: every command of the server's COMMAND table, as its COMMAND GETKEYS "
          "says") {
    // Each command and subcommand the server knows, with as many arguments
    // as its arity asks for, every one a key of a slot of its own: where
    // GETKEYS finds one key, slot_of must find that key's slot; where it
    // finds several, cross_slot; none, keyless. So a key position wrong in
    // the table, or a command missing from it, fails here by name.
    shared_connection c;
    auto const table = ok(c.io, c.conn, {"COMMAND"});
    REQUIRE(table.is_array());
    std::vector<std::vector<std::string>> commands;
    auto const add = [&](redis::reply const& info, std::string_view container) {
        auto const e = info.elements();
        REQUIRE(e.size() >= 2);
        auto const name = std::string(e[0].text());
        auto const arity = e[1].integer();
        std::vector<std::string> words;
        if (container.empty()) {
            words.push_back(name);
        } else {
            words.emplace_back(container);
            words.push_back(name.substr(container.size() + 1));
        }
        auto const argc = static_cast<std::size_t>(arity > 0 ? arity : -arity + 3);
        while (words.size() < argc)
            words.push_back(fmt::format("{{t{}}}", words.size()));
        commands.push_back(std::move(words));
    };
    for (auto const& info : table.elements()) {
        // A container (XGROUP) is its subcommands (XGROUP CREATE).
        auto const subs = info.elements().size() > 9 ? info.elements()[9].elements()
                                                     : std::span<redis::reply const>{};
        if (subs.empty())
            add(info, "");
        for (auto const& sub : subs)
            add(sub, info.elements()[0].text());
    }
    CHECK(commands.size() > 300);
    std::size_t with_keys = 0;
    for (auto const& words : commands) {
        // Shard channels: routed as keys, not keys to GETKEYS (see above).
        if (words[0] == "spublish" || words[0] == "ssubscribe" || words[0] == "sunsubscribe")
            continue;
        CAPTURE(fmt::format("{}", fmt::join(words, " ")));
        std::vector<redis::arg> args(words.begin(), words.end());
        // A command of no arguments has no keys (and GETKEYS wants one).
        if (words.size() == 1) {
            CHECK(slot_of(command(args)) == keyless);
            continue;
        }
        auto const expected = server_slot(c, words);
        CHECK(slot_of(command(args)) == expected);
        with_keys += expected != keyless;
    }
    CHECK(with_keys > 150);
}
