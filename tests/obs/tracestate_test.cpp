// tracestate: the list grammar of W3C Trace Context Level 1 (§3.3) and the
// W3C test suite's tracestate cases (w3c/trace-context test/test.py,
// TraceContextTest.test_tracestate_*), as tables. apikit is lenient: a bad
// member, a duplicate key or a 33rd member is dropped and the rest kept in
// order; the suite's strictest level (STRICT_LEVEL 2) discards the whole
// field instead, which is what `dropped() != 0` tells a caller. Each row says
// both: what is kept, and whether the strict suite accepts the field.

#include <apikit/obs/tracestate.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace obs = apikit::obs;

namespace {

struct ts_row {
    std::vector<std::string> fields; // one or more tracestate fields, in order
    std::string kept;                // what is sent onwards
    bool strict_valid;               // the W3C suite at STRICT_LEVEL 2 keeps the field
    std::string_view why;
};

std::string ts_repeat(char c, std::size_t n) {
    return std::string(n, c);
}

std::string ts_members(int from, int to) {
    std::string s;
    for (int i = from; i <= to; ++i) {
        if (!s.empty())
            s += ',';
        char buf[16];
        std::snprintf(buf, sizeof buf, "bar%02d=%02d", i, i);
        s += buf;
    }
    return s;
}

// Every character a key or value may hold (suite: all allowed characters).
std::string ts_all_value_chars() {
    std::string v;
    for (int c = 0x20; c <= 0x7e; ++c)
        if (c != ',' && c != '=')
            v += static_cast<char>(c);
    return v;
}
std::string const ts_key_simple = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
std::string const ts_key_vendor = ts_key_simple + "@a-z0-9_-*/";

std::vector<ts_row> ts_table() {
    return {
        // clang-format off
        {{"foo=1,bar=2"}, "foo=1,bar=2", true, "suite: tracestate included"},
        {{"foo=1,bar=2", "rojo=1,congo=2", "baz=3"}, "foo=1,bar=2,rojo=1,congo=2,baz=3", true,
         "suite: several fields are one list, in order"},
        {{"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"}, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", true,
         "spec: two vendors"},
        {{""}, "", true, "suite: empty field"},
        {{"foo=1", ""}, "foo=1", true, "suite: empty field after"},
        {{"", "foo=1"}, "foo=1", true, "suite: empty field before"},
        {{",, ,\t,foo=1,,"}, "foo=1", true, "spec: empty and whitespace-only members"},
        {{"foo=1,foo=1"}, "foo=1", false, "suite: duplicate key"},
        {{"foo=1,foo=2"}, "foo=1", false, "suite: duplicate key, another value"},
        {{"foo=1", "foo=1"}, "foo=1", false, "suite: duplicate key across fields"},
        {{"foo=1", "foo=2"}, "foo=1", false, "suite: duplicate key across fields, another value"},
        {{"foo=1 \t , \t bar=2, \t baz=3"}, "foo=1,bar=2,baz=3", true, "suite: OWS"},
        {{"foo=1\t \t,\t \tbar=2,\t \tbaz=3"}, "foo=1,bar=2,baz=3", true, "suite: OWS"},
        {{" foo=1"}, "foo=1", true, "suite: leading space"},
        {{"\tfoo=1"}, "foo=1", true, "suite: leading tab"},
        {{"foo=1 "}, "foo=1", true, "suite: trailing space"},
        {{"foo=1\t"}, "foo=1", true, "suite: trailing tab"},
        {{"\t foo=1 \t"}, "foo=1", true, "suite: OWS both sides"},
        {{"foo =1"}, "", false, "suite: space in key"},
        {{"FOO=1"}, "", false, "suite: upper-case key"},
        {{"foo.bar=1"}, "", false, "suite: '.' in key"},
        {{"foo@=1,bar=2"}, "bar=2", false, "suite: empty system id"},
        {{"@foo=1,bar=2"}, "bar=2", false, "suite: empty tenant id"},
        {{"foo@@bar=1,bar=2"}, "bar=2", false, "suite: two '@'"},
        {{"foo@bar@baz=1,bar=2"}, "bar=2", false, "suite: two '@'"},
        {{ts_members(1, 10), ts_members(11, 20), ts_members(21, 30), ts_members(31, 32)},
         ts_members(1, 32), true, "suite: 32 members"},
        {{ts_members(1, 10), ts_members(11, 20), ts_members(21, 30), ts_members(31, 33)},
         ts_members(1, 32), false, "suite: 33 members: the last goes"},
        {{"foo=1", ts_repeat('z', 256) + "=1"}, "foo=1," + ts_repeat('z', 256) + "=1", true,
         "suite: 256-character key"},
        {{"foo=1", ts_repeat('z', 257) + "=1"}, "foo=1", false, "suite: 257-character key"},
        {{"foo=1", ts_repeat('t', 241) + "@" + ts_repeat('v', 14) + "=1"},
         "foo=1," + ts_repeat('t', 241) + "@" + ts_repeat('v', 14) + "=1", true,
         "suite: 241-character tenant, 14-character system"},
        {{"foo=1", ts_repeat('t', 242) + "@v=1"}, "foo=1", false, "suite: 242-character tenant"},
        {{"foo=1", "t@" + ts_repeat('v', 15) + "=1"}, "foo=1", false, "suite: 15-character system"},
        {{"foo=bar=baz"}, "", false, "suite: '=' in value"},
        {{"foo=,bar=3"}, "bar=3", false, "suite: empty value"},
        {{ts_key_simple + "=" + ts_all_value_chars()}, ts_key_simple + "=" + ts_all_value_chars(), true,
         "suite: every allowed character, simple key"},
        {{ts_key_vendor + "=" + ts_all_value_chars()}, ts_key_vendor + "=" + ts_all_value_chars(), true,
         "suite: every allowed character, multi-tenant key"},
        {{"foo=" + ts_repeat('x', 256)}, "foo=" + ts_repeat('x', 256), true, "spec: 256-character value"},
        {{"foo=" + ts_repeat('x', 257)}, "", false, "spec: 257-character value"},
        {{"foo= bar"}, "foo= bar", true, "spec: a value's leading space is its own"},
        {{"foo=a\tb"}, "", false, "spec: a tab is no value character"},
        {{"foo=caf\xc3\xa9"}, "", false, "spec: printable ASCII only"},
        {{"foobarbaz,bar=2"}, "bar=2", false, "no '='"},
        {{"1foo=1,bar=2"}, "bar=2", false, "spec: a simple key starts with a letter"},
        {{"1tenant@sys=1"}, "1tenant@sys=1", true, "spec: a tenant id may start with a digit"},
        {{"t@1sys=1"}, "", false, "spec: a system id starts with a letter"},
        // clang-format on
    };
}

} // namespace

TEST_CASE("tracestate: the W3C test suite's and the spec's fields, kept and dropped") {
    for (auto const& row : ts_table()) {
        CAPTURE(row.why);
        obs::tracestate s;
        for (auto const& f : row.fields)
            s.append(f);
        CHECK(s.text() == row.kept);
        CHECK((s.dropped() == 0) == row.strict_valid);
        // What is sent reads back as itself, with nothing dropped.
        auto const again = obs::tracestate::parse(s.text());
        CHECK(again == s);
        CHECK(again.dropped() == 0);
        CHECK(again.size() == s.size());
    }
}

TEST_CASE("tracestate: members by index, by key and in order") {
    auto const s = obs::tracestate::parse("rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE");
    REQUIRE(s.size() == 2);
    CHECK(s[0].key == "rojo");
    CHECK(s[0].value == "00f067aa0ba902b7");
    CHECK(s[1].key == "congo");
    CHECK(s[1].value == "t61rcWkgMzE");
    CHECK(s.find("congo") == "t61rcWkgMzE");
    CHECK_FALSE(s.find("con"));
    std::vector<std::string> keys;
    for (auto const m : s)
        keys.emplace_back(m.key);
    CHECK(keys == std::vector<std::string>{"rojo", "congo"});
}

TEST_CASE("tracestate::put: the new or updated member goes first (the spec's example)") {
    auto s = obs::tracestate::parse("congo=t61rcWkgMzE");
    REQUIRE(s.put("rojo", "00f067aa0ba902b7"));
    CHECK(s.text() == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    REQUIRE(s.put("congo", "ucfJifl5GOE"));
    CHECK(s.text() == "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
    CHECK(s.size() == 2);

    // The suite's own Tracestate: bar=0, then foo, bar, baz set.
    auto t = obs::tracestate::parse("bar=0");
    REQUIRE(t.put("foo", "1"));
    REQUIRE(t.put("bar", "2"));
    REQUIRE(t.put("baz", "3"));
    CHECK(t.text() == "baz=3,bar=2,foo=1");
    // A key and a value taken from the list itself.
    REQUIRE(t.put(t[2].key, t[0].value));
    CHECK(t.text() == "foo=3,baz=3,bar=2");
}

TEST_CASE("tracestate::put: a key or value outside the grammar changes nothing") {
    auto s = obs::tracestate::parse("foo=1");
    for (auto const& member : std::initializer_list<std::pair<std::string, std::string>>{
             {"", "abc"},
             {"FOO", "abc"},
             {"@vendor", "abc"},
             {"special.vendor", "abc"},
             {std::string(257, 'z'), "abc"},
             {"foo", ""},
             {"foo", "bar=baz"},
             {"foo", "a,b"},
             {"foo", "trailing "},
             {"foo", std::string(257, 'x')},
         }) {
        // No structured binding: clang 14 cannot capture one.
        CAPTURE(member.first);
        CAPTURE(member.second);
        CHECK_FALSE(s.put(member.first, member.second));
        CHECK(s.text() == "foo=1");
    }
    CHECK(s.put("special@vendor", "abracadabra"));
    CHECK(s.put("foo", std::string(256, 'x')));
    CHECK(s.put("foo", " leading"));
    CHECK(s.text() == "foo= leading,special@vendor=abracadabra");
}

TEST_CASE("tracestate::put on a full list drops the last member") {
    auto s = obs::tracestate::parse(ts_members(1, 32));
    REQUIRE(s.size() == 32);
    REQUIRE(s.put("mine", "1"));
    CHECK(s.size() == 32);
    CHECK(s[0].key == "mine");
    CHECK(s[31].key == "bar31");
    CHECK_FALSE(s.find("bar32"));
    // Updating a member of a full list drops nothing.
    REQUIRE(s.put("bar05", "x"));
    CHECK(s.size() == 32);
    CHECK(s[0].key == "bar05");
    CHECK(s.find("bar31"));
}

TEST_CASE("tracestate::erase: first, middle, last and only member") {
    auto s = obs::tracestate::parse("a=1,b=2,c=3,d=4");
    s.erase("b");
    CHECK(s.text() == "a=1,c=3,d=4");
    s.erase("d");
    CHECK(s.text() == "a=1,c=3");
    s.erase("a");
    CHECK(s.text() == "c=3");
    CHECK(s[0].key == "c");
    CHECK(s[0].value == "3");
    s.erase("nothing");
    CHECK(s.text() == "c=3");
    s.erase("c");
    CHECK(s.empty());
    CHECK(s.text().empty());
    REQUIRE(s.put("e", "5"));
    CHECK(s.text() == "e=5");
}

TEST_CASE("tracestate::clear empties the list and its count of dropped members") {
    auto s = obs::tracestate::parse("foo=1,foo=2,BAD=3");
    CHECK(s.dropped() == 2);
    s.clear();
    CHECK(s.empty());
    CHECK(s.dropped() == 0);
    s.append("bar=1");
    CHECK(s.text() == "bar=1");
}
