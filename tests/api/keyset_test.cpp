// api/keyset.hpp and api/cursor_page.hpp: keyset pagination and the cursor page.
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/signed_cursor.hpp>

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

namespace api = apikit::api;

using key = api::keyset_position<std::int64_t, std::string>; // (created_at, id)

struct user {
    std::string id;
    std::int64_t created_at;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, user const& u) {
    jv = {{"id", u.id}, {"created_at", u.created_at}};
}

// Every page of `rows` from the start, in `order`, `limit` at a time.
template <class Container>
std::vector<std::vector<typename Container::key_type>>
all_pages(Container const& rows, std::size_t limit, api::sort_order order) {
    std::vector<std::vector<typename Container::key_type>> pages;
    api::keyset_query<typename Container::key_type> q{std::nullopt, limit, order};
    for (int guard = 0; guard < 1000; ++guard) {
        auto& page = pages.emplace_back();
        auto const next = api::keyset_page(rows, q, [&](auto const& row) {
            if constexpr (requires { row.first; })
                page.push_back(row.first);
            else
                page.push_back(row);
        });
        if (!next)
            return pages;
        CHECK(*next == page.back()); // the next page starts after this page's last row
        q.after = next;
    }
    FAIL("pagination did not end");
    return pages;
}

} // namespace

TEST_CASE("keyset_page over a std::map: ascending and descending, limit by limit") {
    std::map<key, user> rows;
    for (int i = 0; i < 7; ++i) {
        auto const id = "user_" + std::to_string(i);
        rows.emplace(key{100 + i / 2, id}, user{id, 100 + i / 2}); // created_at ties
    }
    auto const asc = all_pages(rows, 3, api::sort_order::ascending);
    REQUIRE(asc.size() == 3);
    CHECK(asc[0] == std::vector<key>{{100, "user_0"}, {100, "user_1"}, {101, "user_2"}});
    CHECK(asc[1] == std::vector<key>{{101, "user_3"}, {102, "user_4"}, {102, "user_5"}});
    CHECK(asc[2] == std::vector<key>{{103, "user_6"}});

    auto const desc = all_pages(rows, 3, api::sort_order::descending);
    REQUIRE(desc.size() == 3);
    CHECK(desc[0] == std::vector<key>{{103, "user_6"}, {102, "user_5"}, {102, "user_4"}});
    CHECK(desc[2] == std::vector<key>{{100, "user_0"}});
}

TEST_CASE("keyset_page: the last page has no next position, even when it is exactly full") {
    std::set<int> rows{1, 2, 3, 4};
    auto const pages = all_pages(rows, 2, api::sort_order::ascending);
    REQUIRE(pages.size() == 2);
    CHECK(pages[1] == std::vector<int>{3, 4});

    CHECK(all_pages(rows, 4, api::sort_order::descending).size() == 1);
    CHECK(all_pages(rows, 100, api::sort_order::ascending).size() == 1);

    std::set<int> const none;
    auto const empty = all_pages(none, 20, api::sort_order::descending);
    REQUIRE(empty.size() == 1);
    CHECK(empty[0].empty());
}

TEST_CASE("keyset_page: a position past either end, or between rows, is a fine place to start") {
    std::set<int> const rows{10, 20, 30};
    auto collect = [&](std::optional<int> after, api::sort_order order) {
        std::vector<int> out;
        (void)api::keyset_page(rows, {after, 10, order}, [&](int v) { out.push_back(v); });
        return out;
    };
    CHECK(collect(15, api::sort_order::ascending) == std::vector<int>{20, 30});
    CHECK(collect(15, api::sort_order::descending) == std::vector<int>{10});
    CHECK(collect(99, api::sort_order::ascending).empty());
    CHECK(collect(99, api::sort_order::descending) == std::vector<int>{30, 20, 10});
    CHECK(collect(-1, api::sort_order::ascending) == std::vector<int>{10, 20, 30});
    CHECK(collect(-1, api::sort_order::descending).empty());
    CHECK(collect(30, api::sort_order::ascending).empty());
    CHECK(collect(10, api::sort_order::descending).empty());
}

TEST_CASE("keyset_page over a sorted vector with a projection") {
    std::vector<user> rows;
    for (int i = 0; i < 5; ++i)
        rows.push_back({"user_" + std::to_string(i), 100 + i});
    auto const key_of = [](user const& u) { return key{u.created_at, u.id}; };
    std::vector<std::string> seen;
    auto const visit = [&](user const& u) { seen.push_back(u.id); };

    api::keyset_query<key> q{std::nullopt, 2, api::sort_order::descending};
    auto next = api::keyset_page(rows, q, key_of, visit);
    CHECK(seen == std::vector<std::string>{"user_4", "user_3"});
    REQUIRE(next);
    CHECK(*next == key{103, "user_3"});
    q.after = next;
    next = api::keyset_page(rows, q, key_of, visit);
    q.after = next;
    next = api::keyset_page(rows, q, key_of, visit);
    CHECK_FALSE(next);
    CHECK(seen == std::vector<std::string>{"user_4", "user_3", "user_2", "user_1", "user_0"});

    seen.clear();
    next =
        api::keyset_page(rows, {key{101, "user_1"}, 10, api::sort_order::ascending}, key_of, visit);
    CHECK_FALSE(next);
    CHECK(seen == std::vector<std::string>{"user_2", "user_3", "user_4"});
}

// The property keyset pagination exists for. A client walks the listing page
// by page while other clients insert and delete rows between its requests.
// Then: no row is served twice; rows come strictly in order; and every row
// that existed when the walk began and was not deleted during it is served.
TEST_CASE("keyset_page: inserts and deletes between pages never skip or repeat a row") {
    for (auto const order : {api::sort_order::ascending, api::sort_order::descending}) {
        for (std::uint32_t seed = 1; seed <= 40; ++seed) {
            CAPTURE(seed);
            CAPTURE(order == api::sort_order::ascending);
            std::mt19937 rng(seed);
            auto roll = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
            std::map<key, int> rows;
            int next_id = 0;
            auto insert = [&] {
                // Sort keys collide often, so the id tie-breaker does real work.
                auto const id = "user_" + std::to_string(1000 + next_id++);
                rows.emplace(key{roll(30), id}, 0);
            };
            for (int i = 0; i < 60; ++i)
                insert();
            std::set<key> const at_start([&] {
                std::set<key> s;
                for (auto const& [k, v] : rows)
                    s.insert(k);
                return s;
            }());
            std::set<key> deleted, served;
            std::vector<key> walk;

            api::keyset_query<key> q{std::nullopt, static_cast<std::size_t>(1 + roll(7)), order};
            for (int guard = 0;; ++guard) {
                REQUIRE(guard < 500);
                auto const next = api::keyset_page(rows, q, [&](auto const& row) {
                    CHECK(served.insert(row.first).second); // never twice
                    walk.push_back(row.first);
                });
                if (!next)
                    break;
                q.after = next;
                // Between requests: inserts anywhere, deletes anywhere —
                // the cursor's own row included, now and then.
                for (int i = roll(4); i > 0; --i)
                    insert();
                for (int i = roll(4); i > 0 && !rows.empty(); --i) {
                    auto it = rows.begin();
                    std::advance(it, roll(static_cast<int>(rows.size())));
                    if (roll(5) == 0)
                        it = rows.find(*q.after) != rows.end() ? rows.find(*q.after) : it;
                    deleted.insert(it->first);
                    rows.erase(it);
                }
            }
            // Strictly in order.
            for (std::size_t i = 1; i < walk.size(); ++i)
                CHECK((order == api::sort_order::ascending ? walk[i - 1] < walk[i]
                                                           : walk[i - 1] > walk[i]));
            // Nothing that lived throughout was skipped.
            for (auto const& k : at_start)
                if (!deleted.contains(k))
                    CHECK(served.contains(k));
        }
    }
}

TEST_CASE("a whole walk through cursors: encode the next position, parse it back, continue") {
    api::signed_cursor const codec(std::string(32, 's'));
    api::cursor_scope const scope("users");
    std::map<key, user> rows;
    for (int i = 0; i < 45; ++i) {
        auto const id = "user_" + std::to_string(100 + i);
        rows.emplace(key{i / 3, id}, user{id, i / 3});
    }
    std::optional<std::string> cursor;
    std::vector<std::string> ids;
    int pages = 0;
    do {
        auto const limit = api::parse_limit("20").value();
        auto const after = api::parse_cursor<key>(
            codec, scope, cursor ? std::optional<std::string_view>(*cursor) : std::nullopt);
        REQUIRE(after.has_value());
        api::cursor_page<user> page;
        auto const next =
            api::keyset_page(rows, {*after, limit, api::sort_order::descending},
                             [&](auto const& row) { page.data.push_back(row.second); });
        if (next)
            page.next_cursor = api::encode_cursor(codec, scope, *next);
        for (auto const& u : page.data)
            ids.push_back(u.id);
        auto const json = boost::json::value_from(page);
        CHECK(json.at("has_more").as_bool() == page.has_more());
        CHECK(json.at("next_cursor").is_null() == !page.has_more());
        cursor = page.next_cursor;
        ++pages;
    } while (cursor && pages < 10);
    CHECK(pages == 3);
    REQUIRE(ids.size() == 45);
    CHECK(ids.front() == "user_144");
    CHECK(ids.back() == "user_100");
}

TEST_CASE("cursor_page serializes as {data, next_cursor, has_more}") {
    api::cursor_page<user> page{{{"user_1", 5}}, "eyJpZCI6MTIzfQ=="};
    CHECK(
        boost::json::serialize(boost::json::value_from(page)) ==
        R"({"data":[{"id":"user_1","created_at":5}],"next_cursor":"eyJpZCI6MTIzfQ==","has_more":true})");
    page.next_cursor.reset();
    CHECK(boost::json::serialize(boost::json::value_from(page)) ==
          R"({"data":[{"id":"user_1","created_at":5}],"next_cursor":null,"has_more":false})");
    CHECK(boost::json::serialize(boost::json::value_from(api::cursor_page<boost::json::value>{})) ==
          R"({"data":[],"next_cursor":null,"has_more":false})");
}

TEST_CASE("positions convert to the documented JSON and strictly back") {
    CHECK(boost::json::serialize(boost::json::value_from(api::id_position<std::int64_t>{123})) ==
          R"({"id":123})");
    CHECK(boost::json::serialize(boost::json::value_from(key{1705312800123, "user_x"})) ==
          R"({"key":1705312800123,"id":"user_x"})");
    auto const back = boost::json::try_value_to<key>(boost::json::value_from(key{-1, "a"}));
    REQUIRE(back.has_value());
    CHECK(*back == key{-1, "a"});
    CHECK(boost::json::try_value_to<api::id_position<std::string>>(
              boost::json::value_from(api::id_position<std::string>{"x"}))
              ->id == "x");
    CHECK(boost::json::try_value_to<api::id_position<int>>(boost::json::value(5)).has_error());
    CHECK(boost::json::try_value_to<api::id_position<int>>(boost::json::value{{"id", 1}, {"x", 2}})
              .has_error());
}
