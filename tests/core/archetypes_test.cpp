// Archetypes: the least a type must provide to model each core concept. If a
// concept grows a requirement, the archetype stops compiling here first.
#include <apikit/core/clock.hpp>
#include <apikit/core/sharded_table.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

namespace {

struct clock_archetype {
    using rep = long;
    using period = std::milli;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<clock_archetype, duration>;
    time_point now() const { return time_point{}; }
};

struct clock_without_now {
    using rep = long;
    using period = std::milli;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<clock_without_now, duration>;
};

struct clock_with_wrong_now : clock_archetype {
    long now() const { return 0; }
};

// The least a sharded_table needs of its entry.
struct table_entry_archetype {
    std::uint64_t tag = 0;
    std::int64_t idle_at() const noexcept { return 0; }
    void move_from(table_entry_archetype&) noexcept {}
    void reset() noexcept {}
};

struct entry_without_idle_at {
    std::uint64_t tag = 0;
    void move_from(entry_without_idle_at&) noexcept {}
    void reset() noexcept {}
};

// reset() runs where nothing may throw (filling a hole, clearing).
struct entry_whose_reset_may_throw : table_entry_archetype {
    void reset() {}
};

struct entry_with_a_narrow_tag {
    std::uint32_t tag = 0;
    std::int64_t idle_at() const noexcept { return 0; }
    void move_from(entry_with_a_narrow_tag&) noexcept {}
    void reset() noexcept {}
};

} // namespace

static_assert(apikit::table_entry<table_entry_archetype>,
              "the archetype must model apikit::table_entry");
static_assert(!apikit::table_entry<entry_without_idle_at>, "an entry says when it is idle");
static_assert(!apikit::table_entry<entry_whose_reset_may_throw>, "reset() must not throw");
static_assert(!apikit::table_entry<entry_with_a_narrow_tag>, "a tag is 64 bits");

TEST_CASE("the table entry archetype is all a sharded_table needs") {
    apikit::sharded_table<table_entry_archetype> t(8, 1);
    t.find_or_insert(42, apikit::table_tag(42), 0, [](table_entry_archetype&) {});
    CHECK(t.size() == 1);
    CHECK(t.purge(0) == 1); // idle from 0 on
}

static_assert(apikit::clock<clock_archetype>, "the archetype must model apikit::clock");
static_assert(!apikit::clock<clock_without_now>, "a clock needs now()");
static_assert(!apikit::clock<clock_with_wrong_now>, "now() must return the time_point");
static_assert(apikit::clock<std::chrono::steady_clock>, "the standard clocks plug in as they are");

TEST_CASE("the clock archetype works where a clock is expected") {
    auto read = [](apikit::clock auto const& c) { return c.now(); };
    CHECK(read(clock_archetype{}) == clock_archetype::time_point{});
}
