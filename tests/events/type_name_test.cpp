#include <apikit/events/type_name.hpp>

#include "print.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace events = apikit::events;
using events::type_name;
using events::type_pattern;

// A literal is checked while compiling: these hold at compile time (the
// literals that must not compile are in compile_fail/).
static_assert(type_name("user.created").entity() == "user");
static_assert(type_name("user.created").action() == "created");
static_assert(type_name("order.line_added").action() == "line_added");
static_assert(type_name("v2x.e9").size() == 6);
static_assert(type_pattern("user.*").matches("user.created"));
static_assert(!type_pattern("user.*").matches("order.placed"));
static_assert(type_pattern("*").matches("payment.failed"));
static_assert(std::is_trivially_copyable_v<type_name>);
static_assert(!std::is_default_constructible_v<type_name>);
static_assert(!std::is_constructible_v<type_name, std::string_view>,
              "a run-time string becomes a type_name only through parse");

TEST_CASE("type_name: the reference's names parse, with their entity and action") {
    for (std::string_view const s : {"user.created", "payment.failed", "order.placed",
                                     "order.line_added", "a.b", "user2.created_v2"}) {
        CAPTURE(s);
        auto const t = type_name::parse(s);
        REQUIRE(t);
        CHECK(t->view() == s);
        CHECK(std::string(t->entity()) + "." + std::string(t->action()) == s);
    }
}

TEST_CASE("type_name: a run-time name outside the grammar is invalid_type_name") {
    std::string const too_long = std::string(32, 'a') + "." + std::string(32, 'b'); // 65
    std::string const longest = std::string(31, 'a') + "." + std::string(32, 'b');  // 64
    CHECK(type_name::parse(longest));
    for (std::string_view const s :
         std::vector<std::string_view>{"",
                                       "user",
                                       "user.",
                                       ".created",
                                       "user.created.v2",
                                       "User.created",
                                       "user.Created",
                                       "user..created",
                                       "1user.created",
                                       "user.1created",
                                       "_user.created",
                                       "user._created",
                                       "user-x.created",
                                       "user.cre ated",
                                       "user.created ",
                                       " user.created",
                                       "user.*",
                                       "*",
                                       "usér.created",
                                       std::string_view("user.cr\0ated", 13),
                                       std::string_view(too_long)}) {
        CAPTURE(s);
        auto const t = type_name::parse(s);
        REQUIRE_FALSE(t);
        CHECK(t.error() == events::error::invalid_type_name);
        CHECK(apikit::to_errc(t.error()) == apikit::errc::validation_error);
    }
}

TEST_CASE("type_name: a literal and a parsed name are one value") {
    type_name const literal = "user.created";
    auto const parsed = type_name::parse("user.created").value();
    CHECK(literal == parsed);
    CHECK(literal == "user.created");
    CHECK(literal == std::string_view("user.created"));
    CHECK(literal == std::string("user.created"));
    CHECK_FALSE(literal == "user.deleted");
    CHECK(type_name("a.b") < type_name("a.c"));
    CHECK(type_name("a.z") < type_name("b.a"));
    std::string_view const as_text = literal; // converts implicitly
    CHECK(as_text == "user.created");
    CHECK(fmt::format("{}", literal) == "user.created");
    CHECK(fmt::format("[{:>14}]", literal) == "[  user.created]");
    CHECK(std::hash<type_name>{}(literal) == std::hash<std::string_view>{}("user.created"));
    std::unordered_set<type_name> set{literal, parsed, "order.placed"};
    CHECK(set.size() == 2);
    std::map<type_name, int> by_name{{type_name("order.placed"), 1},
                                     {type_name("user.created"), 2}};
    CHECK(by_name.begin()->first == "order.placed");
}

TEST_CASE("type_pattern: an exact type selects that type only") {
    type_pattern const p = "user.created";
    CHECK(p.is_exact());
    CHECK_FALSE(p.is_any());
    CHECK(p.entity() == "user");
    CHECK(p.matches("user.created"));
    CHECK_FALSE(p.matches("user.deleted"));
    CHECK_FALSE(p.matches("users.created"));
    type_pattern const from_name = type_name("user.created");
    CHECK(from_name == p);
}

TEST_CASE("type_pattern: entity.* selects every action of that entity, and nothing else") {
    type_pattern const p = "user.*";
    CHECK_FALSE(p.is_exact());
    CHECK(p.entity() == "user");
    CHECK(p.matches("user.created"));
    CHECK(p.matches("user.deleted"));
    CHECK_FALSE(p.matches("users.created")); // a prefix of the entity is not the entity
    CHECK_FALSE(p.matches("use.created"));
    CHECK_FALSE(p.matches("order.user"));
}

TEST_CASE("type_pattern: * selects every event") {
    type_pattern const p = "*";
    CHECK(p.is_any());
    CHECK(p.entity().empty());
    CHECK(p.matches("user.created"));
    CHECK(p.matches("a.b"));
    CHECK(fmt::format("{}", p) == "*");
}

TEST_CASE("type_pattern: run-time patterns parse as literals do, and the rest is refused") {
    for (std::string_view const s : {"user.created", "user.*", "*", "order_line.*"}) {
        CAPTURE(s);
        auto const p = type_pattern::parse(s);
        REQUIRE(p);
        CHECK(p->view() == s);
    }
    CHECK(type_pattern::parse("user.*")->matches("user.created"));
    for (std::string_view const s : {"", "user", "*.created", "user.cre*", "user.**", "**", ".*",
                                     "User.*", "user.created.*", "u*.created", "1user.*", "* "}) {
        CAPTURE(s);
        auto const p = type_pattern::parse(s);
        REQUIRE_FALSE(p);
        CHECK(p.error() == events::error::invalid_type_pattern);
    }
}
