// Commands and scripts as bytes: what hiredis's formatter makes of each kind
// of argument, and the EVALSHA / EVAL commands spliced from a script.

#include <apikit/redis/command.hpp>
#include <apikit/redis/script.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using apikit::redis::arg;
using apikit::redis::arg_list;
using apikit::redis::command;
using apikit::redis::script;

TEST_CASE("command: strings and numbers become an array of bulk strings") {
    std::string const key = "k";
    command const c{"SET", key, 42};
    CHECK(c.resp() == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n42\r\n");
    CHECK(c.size() == 3);

    CHECK(command{"X", -7, std::numeric_limits<std::uint64_t>::max()}.resp() ==
          "*3\r\n$1\r\nX\r\n$2\r\n-7\r\n$20\r\n18446744073709551615\r\n");
    CHECK(command{"X", 1.5, 0.1}.resp() == "*3\r\n$1\r\nX\r\n$3\r\n1.5\r\n$3\r\n0.1\r\n");
    CHECK(command{"PING"}.resp() == "*1\r\n$4\r\nPING\r\n");
}

TEST_CASE("command: empty and binary arguments are sent as they are") {
    std::string const binary("a\0\r\nb", 5);
    command const c{"SET", "", std::string_view(binary)};
    char const expected[] = "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$5\r\na\0\r\nb\r\n";
    CHECK(c.resp() == std::string_view(expected, sizeof expected - 1));
}

TEST_CASE("command: from a run-time list, small or large, and never empty") {
    std::vector<arg> args{"RPUSH", "list"};
    std::vector<std::string> values;
    for (int i = 0; i < 40; ++i)
        values.push_back(std::to_string(i));
    for (auto const& v : values)
        args.emplace_back(v);
    command const c{std::span<arg const>(args)};
    CHECK(c.size() == 42);
    CHECK(c.resp().starts_with("*42\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n$1\r\n0\r\n"));
    CHECK(c.resp().ends_with("$2\r\n39\r\n"));

    CHECK_THROWS_AS(command{std::span<arg const>()}, std::invalid_argument);
}

TEST_CASE("arg: a copy of a number carries its own digits") {
    std::vector<arg> copies;
    {
        arg const a(12345);
        copies.push_back(a);
        arg b("x");
        b = a;
        copies.push_back(b);
    }
    CHECK(copies[0].view() == "12345");
    CHECK(copies[1].view() == "12345");
    CHECK(arg().view().empty());
}

TEST_CASE("arg_list: inline up to its capacity, on the heap beyond") {
    arg_list const none;
    CHECK(none.size() == 0);
    std::string const c = "c";
    arg_list const few("a", 2, c);
    REQUIRE(few.size() == 3);
    CHECK(few.view()[1].view() == "2");
    CHECK(few.view()[2].view() == "c");
    arg_list const many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    REQUIRE(many.size() == 10);
    CHECK(many.view()[9].view() == "10");
}

TEST_CASE("script: SHA1 as Redis names it") {
    script const s("return 1");
    // SCRIPT LOAD "return 1" answers this (Redis documentation).
    CHECK(s.sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    CHECK(s.source() == "return 1");
    CHECK(apikit::redis::sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(s == script("return 1"));
    CHECK_FALSE(s == script("return 2"));
}

TEST_CASE("script: EVALSHA and EVAL carry numkeys, keys and args") {
    script const s("return 1");
    std::vector<arg> const keys{"k1", "k2"};
    std::vector<arg> const args{7};
    CHECK(s.evalsha(keys, args).resp() ==
          "*6\r\n$7\r\nEVALSHA\r\n$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n"
          "$1\r\n2\r\n$2\r\nk1\r\n$2\r\nk2\r\n$1\r\n7\r\n");
    CHECK(s.eval(keys, args).resp() ==
          "*6\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n2\r\n$2\r\nk1\r\n$2\r\nk2\r\n$1\r\n7\r\n");
    CHECK(s.evalsha({}, {}).resp() ==
          "*3\r\n$7\r\nEVALSHA\r\n$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n$1\r\n0\r\n");
    CHECK(s.load_command().resp() == "*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$8\r\nreturn 1\r\n");
}
