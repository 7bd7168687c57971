// The sample server's listings: the one reading of a listing's pagination
// query, and the responses, written from cached record JSON, byte for byte
// what apikit's page types serialize to.

#include "pages.hpp"
#include "user_store.hpp"

#include <apikit/api/cursor_page.hpp>
#include <apikit/api/offset_page.hpp>

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using sys = std::chrono::system_clock;
using store_type = sample::memory_user_store<apikit::manual_clock<sys>>;

std::vector<std::shared_ptr<sample::user const>> some_users(store_type& store, int n) {
    for (int i = 0; i < n; ++i) {
        auto r = store.create_user(
            {fmt::format("u{}@example.com", i), i % 2 ? "Ada \"the\" first\n" : "Zoë"});
        REQUIRE(r.has_value());
    }
    return store.list_users(100, std::nullopt).rows;
}

template <class Page>
std::string reference(Page const& page) {
    return boost::json::serialize(boost::json::value_from(page));
}

} // namespace

TEST_CASE("append_cursor_page writes what api::cursor_page serializes to") {
    store_type store(sys::time_point(std::chrono::seconds(1'705'312'800)));
    for (int n : {0, 1, 3}) {
        CAPTURE(n);
        store_type fresh(sys::time_point(std::chrono::seconds(1'705'312'800)));
        auto const rows = some_users(fresh, n);
        apikit::api::cursor_page<sample::user> page;
        for (auto const& r : rows)
            page.data.push_back(*r);

        for (auto const& next :
             {std::optional<std::string>{}, std::optional<std::string>{"AQB7Ik"}}) {
            page.next_cursor = next;
            std::string out = "prefix";
            sample::append_cursor_page(out, std::span(rows), next);
            CHECK(out == "prefix" + reference(page));
        }
    }
}

TEST_CASE("append_offset_page writes what api::offset_page serializes to") {
    store_type store(sys::time_point(std::chrono::seconds(1'705'312'800)));
    auto const rows = some_users(store, 4);
    apikit::api::offset_page<sample::user> page;
    for (auto const& r : rows)
        page.data.push_back(*r);
    page.total = 1234;
    page.page = 2;
    page.per_page = 4;
    std::string out;
    sample::append_offset_page(out, std::span(rows), 1234, 2, 4);
    CHECK(out == reference(page));

    apikit::api::offset_page<sample::user> empty;
    empty.total = 0;
    empty.page = 9;
    empty.per_page = 100;
    std::string none;
    sample::append_offset_page(none, std::span<std::shared_ptr<sample::user const> const>(), 0, 9,
                               100);
    CHECK(none == reference(empty));
}

namespace {

using field_list = std::vector<std::pair<std::string, std::string>>;

field_list fields_of(apikit::api::api_error const& e) {
    field_list out;
    for (auto const& d : e.details)
        out.emplace_back(d.field, d.message);
    return out;
}

} // namespace

TEST_CASE("parse_page_args: a cursor page by default, an offset page on page or per_page") {
    namespace api = apikit::api;
    api::signed_cursor const cursors(std::string(32, 'k'));
    api::cursor_scope const users("users");
    auto const parse = [&](sample::page_query const& q) {
        return sample::parse_page_args(q, cursors, users);
    };

    auto const first = parse({});
    REQUIRE(first.has_value());
    auto const* c = std::get_if<sample::cursor_args>(&*first);
    REQUIRE(c != nullptr);
    CHECK(c->limit == 20);
    CHECK_FALSE(c->after);

    auto const cursor = api::encode_cursor(cursors, users, sample::position{7, "user_7"});
    auto const next = parse({"5", cursor, {}, {}});
    REQUIRE(next.has_value());
    c = std::get_if<sample::cursor_args>(&*next);
    REQUIRE(c != nullptr);
    CHECK(c->limit == 5);
    CHECK(c->after == sample::position{7, "user_7"});

    for (auto const& q : {sample::page_query{{}, {}, "3", {}}, sample::page_query{{}, {}, {}, "7"},
                          sample::page_query{{}, {}, "3", "7"}}) {
        auto const r = parse(q);
        REQUIRE(r.has_value());
        auto const* o = std::get_if<api::offset_query>(&*r);
        REQUIRE(o != nullptr);
        CHECK(o->page == (q.page ? 3 : 1));
        CHECK(o->per_page == (q.per_page ? 7 : 20));
    }
}

TEST_CASE("parse_page_args: what a listing refuses, and how") {
    namespace api = apikit::api;
    api::signed_cursor const cursors(std::string(32, 'k'));
    api::cursor_scope const adas("orders", "user_ada");
    auto const refused = [&](sample::page_query const& q) {
        auto const r = sample::parse_page_args(q, cursors, adas);
        REQUIRE(r.has_error());
        return r.error();
    };
    auto const combined = "cannot be combined with page or per_page";
    CHECK(fields_of(refused({{}, "x", "1", {}})) == field_list{{"cursor", combined}});
    CHECK(fields_of(refused({"5", {}, {}, "5"})) == field_list{{"limit", combined}});
    CHECK(fields_of(refused({"5", "x", "1", "5"})) == field_list{{"cursor", combined}});
    CHECK(refused({"0", {}, {}, {}}).code == apikit::errc::validation_error);
    CHECK(fields_of(refused({"0", {}, {}, {}})) ==
          field_list{{"limit", "must be an integer from 1 to 100"}});
    CHECK(fields_of(refused({{}, {}, "0", "0"})).size() == 2);

    // A cursor of another listing, or of this one for another user.
    auto const issued = "is not a cursor this listing issued";
    for (auto const& scope : {api::cursor_scope("users"), api::cursor_scope("orders", "user_bob"),
                              api::cursor_scope("orders")}) {
        auto const cursor = api::encode_cursor(cursors, scope, sample::position{7, "x"});
        auto const e = refused({{}, cursor, {}, {}});
        CHECK(e.code == apikit::errc::invalid_cursor);
        CHECK(fields_of(e) == field_list{{"cursor", issued}});
    }
    auto const own = api::encode_cursor(cursors, adas, sample::position{7, "x"});
    CHECK(sample::parse_page_args({{}, own, {}, {}}, cursors, adas).has_value());
    // A bad limit is reported before a bad cursor, as parse_limit comes first.
    CHECK(fields_of(refused({"0", "junk", {}, {}}))[0].first == "limit");
}
