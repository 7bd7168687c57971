// The sample server's listings over real HTTP: cursor pages walked to the
// end across inserts, bad limits and cursors, offset pages.

#include "fixture.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace test_server;
using namespace std::chrono_literals;

namespace {

struct walked {
    std::vector<std::string> ids;
    int pages = 0;
};

// Every row of a cursor listing, `limit` at a time, calling `between` after
// each page but the last.
template <class Between>
walked walk(client& c, std::string const& target, int limit, Between between) {
    walked out;
    std::string next = with_query(target, "limit", std::to_string(limit));
    for (int guard = 0; guard < 1000; ++guard) {
        auto const res = c.get(next);
        REQUIRE(res.result_int() == 200);
        auto const page = body_json(res);
        auto const& o = page.as_object();
        REQUIRE(o.size() == 3);
        auto const& data = o.at("data").as_array();
        CHECK(data.size() <= std::size_t(limit));
        for (auto const& row : data)
            out.ids.emplace_back(row.at("id").as_string());
        ++out.pages;
        bool const more = o.at("has_more").as_bool();
        if (!more) {
            CHECK(o.at("next_cursor").is_null());
            return out;
        }
        REQUIRE(o.at("next_cursor").is_string());
        CHECK(data.size() == std::size_t(limit));
        between();
        next = with_query(with_query(target, "limit", std::to_string(limit)), "cursor",
                          o.at("next_cursor").as_string());
    }
    FAIL("the walk did not end");
    return out;
}

std::vector<std::string> sign_up_many(running_server& server, client& c, int n,
                                      std::string_view prefix) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
        ids.push_back(id_of(sign_up(c, fmt::format("{}{}@example.com", prefix, i))));
        server.clock().advance(1ms);
    }
    return ids;
}

// A valid cursor of the fixture's server, from a first page of one.
std::string first_cursor(client& c, std::string const& target) {
    auto const page = body_json(c.get(with_query(target, "limit", "1")));
    REQUIRE(page.at("next_cursor").is_string());
    return std::string(page.at("next_cursor").as_string());
}

} // namespace

TEST_CASE("GET /users: newest first, 20 by default, and a last page says so") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto ids = sign_up_many(server, c, 25, "u");
    std::reverse(ids.begin(), ids.end());

    auto const res = c.get("/users");
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json");
    auto const page = body_json(res);
    auto const& data = page.at("data").as_array();
    REQUIRE(data.size() == 20);
    for (std::size_t i = 0; i < data.size(); ++i) {
        check_user_shape(data[i]);
        CHECK(data[i].at("id").as_string() == ids[i]);
    }
    CHECK(page.at("has_more").as_bool());
    CHECK_FALSE(page.at("next_cursor").as_string().empty());

    auto const rest =
        body_json(c.get(with_query("/users", "cursor", page.at("next_cursor").as_string())));
    auto const& tail = rest.at("data").as_array();
    REQUIRE(tail.size() == 5);
    CHECK(tail[4].at("id").as_string() == ids[24]);
    CHECK(rest.at("next_cursor").is_null());
    CHECK(rest.at("has_more").as_bool() == false);

    // The limits: 1 and 100 are fine.
    CHECK(body_json(c.get("/users?limit=1")).at("data").as_array().size() == 1);
    CHECK(body_json(c.get("/users?limit=100")).at("data").as_array().size() == 25);
    auto const exact = body_json(c.get("/users?limit=25"));
    CHECK(exact.at("data").as_array().size() == 25);
    CHECK(exact.at("has_more").as_bool() == false);
}

TEST_CASE("GET /users: walking every page across inserts never skips or repeats") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto before = sign_up_many(server, c, 23, "before");
    std::reverse(before.begin(), before.end());

    int inserted = 0;
    client writer(server.port());
    server.authorize(writer);
    auto const seen = walk(c, "/users", 4, [&] {
        // Newer users arrive between pages: they are above the walk's
        // position, so the walk neither sees them nor shifts because of them.
        for (int k = 0; k < 3; ++k)
            sign_up(writer, fmt::format("during{}@example.com", inserted++));
    });
    CHECK(seen.pages == 6);
    CHECK(inserted == 15);
    CHECK(seen.ids == before);

    // A fresh walk sees everyone exactly once, at other page sizes too.
    for (int limit : {1, 7, 100}) {
        CAPTURE(limit);
        auto const all = walk(c, "/users", limit, [] {});
        std::set<std::string> unique(all.ids.begin(), all.ids.end());
        CHECK(all.ids.size() == 38);
        CHECK(unique.size() == 38);
    }
}

TEST_CASE("GET /users: a bad limit is a 422 naming limit") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    sign_up(c, "ada@example.com");
    for (auto const* bad : {"0", "101", "-1", "abc", "1.5", "", "1e2", "+5", " 5", "20x",
                            "99999999999999999999999999"}) {
        CAPTURE(bad);
        auto const res = c.get(with_query("/users", "limit", bad));
        auto const fields = invalid_fields(res);
        CHECK(fields == std::vector<std::string>{"limit"});
        auto const orders = c.get(with_query(
            "/users/" + id_of(body_json(c.get("/users")).at("data").at(0).as_object()) + "/orders",
            "limit", bad));
        CHECK(invalid_fields(orders) == std::vector<std::string>{"limit"});
    }
}

TEST_CASE("GET /users: a tampered, truncated or foreign cursor is a 400 invalid_cursor") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    sign_up_many(server, c, 3, "u");
    auto const good = first_cursor(c, "/users");
    REQUIRE(c.get(with_query("/users", "cursor", good)).result_int() == 200);

    std::vector<std::string> bad;
    for (std::size_t i = 0; i < good.size(); i += 7) { // a changed character anywhere
        auto t = good;
        t[i] = t[i] == 'A' ? 'B' : 'A';
        bad.push_back(t);
    }
    bad.push_back(good.substr(0, good.size() - 1));
    bad.push_back(good.substr(0, good.size() / 2));
    bad.push_back(good.substr(1));
    bad.push_back(good + "A");
    bad.push_back("");
    bad.push_back("x");
    bad.push_back("not a cursor at all!");
    bad.push_back(std::string(5000, 'A'));
    // A well-formed cursor signed under another key: another deployment's.
    apikit::api::cursor_scope const users("users");
    apikit::api::signed_cursor const foreign(std::string(32, 'z'));
    bad.push_back(apikit::api::encode_cursor(foreign, users, sample::position{1, "user_x"}));
    // Unsigned JSON of the right shape, as a client might forge it.
    bad.push_back(
        apikit::api::json_cursor{}.encode(users, json::value{{"key", 1}, {"id", "user_x"}}));
    // Signed by this server but of the wrong shape.
    apikit::api::signed_cursor const ours(cursor_secret);
    bad.push_back(ours.encode(users, json::value{{"id", 1}}));
    bad.push_back(ours.encode(users, json::value{{"key", -1}, {"id", "user_x"}}));
    // Signed by this server, of the right shape, for another listing.
    bad.push_back(ours.encode(apikit::api::cursor_scope("orders"),
                              json::value{{"key", 1}, {"id", "user_x"}}));

    for (auto const& cursor : bad) {
        CAPTURE(cursor);
        auto const res = c.get(with_query("/users", "cursor", cursor));
        auto const error = check_error(res, 400, "invalid_cursor");
        auto const details = details_of(error);
        REQUIRE(details.size() == 1);
        CHECK(details[0].first == "cursor");
    }

    // The orders listing checks its cursors the same way.
    auto const ada = id_of(body_json(c.get("/users")).at("data").at(0).as_object());
    auto const orders = "/users/" + ada + "/orders";
    check_error(c.get(with_query(orders, "cursor", bad.front())), 400, "invalid_cursor");
    check_error(c.get(with_query(orders, "cursor", bad.back())), 400, "invalid_cursor");
}

TEST_CASE("GET /users?page=&per_page=: an offset page with the total") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto ids = sign_up_many(server, c, 5, "u");
    std::reverse(ids.begin(), ids.end());

    auto const res = c.get("/users?page=2&per_page=2");
    REQUIRE(res.result_int() == 200);
    auto const page = body_json(res);
    auto const& o = page.as_object();
    CHECK(o.size() == 4);
    auto const& data = o.at("data").as_array();
    REQUIRE(data.size() == 2);
    check_user_shape(data[0]);
    CHECK(data[0].at("id").as_string() == ids[2]);
    CHECK(data[1].at("id").as_string() == ids[3]);
    CHECK(o.at("total").as_int64() == 5);
    CHECK(o.at("page").as_int64() == 2);
    CHECK(o.at("per_page").as_int64() == 2);

    auto const last = body_json(c.get("/users?page=3&per_page=2"));
    CHECK(last.at("data").as_array().size() == 1);
    auto const past = body_json(c.get("/users?page=9&per_page=2"));
    CHECK(past.at("data").as_array().empty());
    CHECK(past.at("total").as_int64() == 5);

    // Either parameter alone selects offset paging, with the other's default.
    auto const first = body_json(c.get("/users?page=1"));
    CHECK(first.at("per_page").as_int64() == 20);
    CHECK(first.at("data").as_array().size() == 5);
    auto const sized = body_json(c.get("/users?per_page=3"));
    CHECK(sized.at("page").as_int64() == 1);
    CHECK(sized.at("data").as_array().size() == 3);
    CHECK(sized.at("data").at(0).at("id").as_string() == ids[0]);
}

TEST_CASE("every listing: bad page or per_page is a 422 naming each field, as on /users") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = id_of(sign_up(c, "ada@example.com"));
    using fields = std::vector<std::string>;
    for (std::string const& listing : {std::string("/users"), "/users/" + ada + "/orders"}) {
        CAPTURE(listing);
        for (auto const* bad : {"0", "-1", "abc", "", "1.5", "99999999999999999999999"}) {
            CAPTURE(bad);
            CHECK(invalid_fields(c.get(with_query(listing + "?per_page=5", "page", bad))) ==
                  fields{"page"});
        }
        for (auto const* bad : {"0", "101", "-3", "x", ""}) {
            CAPTURE(bad);
            CHECK(invalid_fields(c.get(with_query(listing + "?page=1", "per_page", bad))) ==
                  fields{"per_page"});
        }
        CHECK(invalid_fields(c.get(listing + "?page=0&per_page=0")) == fields{"page", "per_page"});
        // A page so far out its offset overflows is a bad page, not a crash.
        CHECK(invalid_fields(c.get(listing + "?page=9223372036854775807&per_page=100")) ==
              fields{"page"});
        // One listing or the other.
        auto const mixed = c.get(listing + "?page=1&cursor=abc");
        CHECK(invalid_fields(mixed) == fields{"cursor"});
        CHECK(details_of(check_error(mixed, 422, "validation_error"))[0].second ==
              "cannot be combined with page or per_page");
        CHECK(invalid_fields(c.get(listing + "?per_page=5&limit=5")) == fields{"limit"});
        CHECK(invalid_fields(c.get(listing + "?page=1&limit=5&cursor=abc")) == fields{"cursor"});
    }
    // Of no one, the orders are a 404 whatever the query.
    check_error(c.get("/users/user_nobody/orders?page=0&per_page=0"), 404, "not_found");
    check_error(c.get("/users/user_nobody/orders?page=1&cursor=abc"), 404, "not_found");
    check_error(c.get("/users/user_nobody/orders?page=1"), 404, "not_found");
}

TEST_CASE("GET /users/:id/orders?page=&per_page=: an offset page of the user's orders") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = id_of(sign_up(c, "ada@example.com"));
    auto const bob = id_of(sign_up(c, "bob@example.com"));
    auto const orders = "/users/" + ada + "/orders";
    std::vector<std::string> placed;
    for (int i = 0; i < 5; ++i) {
        auto const res = c.post(orders, fmt::format(R"({{"item":"item{}","quantity":1}})", i));
        REQUIRE(res.result_int() == 201);
        placed.emplace_back(body_json(res).at("id").as_string());
        REQUIRE(c.post("/users/" + bob + "/orders", R"({"item":"x","quantity":1})").result_int() ==
                201);
    }
    std::reverse(placed.begin(), placed.end());

    auto const res = c.get(orders + "?page=2&per_page=2");
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json");
    auto const page = body_json(res);
    auto const& o = page.as_object();
    CHECK(o.size() == 4);
    auto const& data = o.at("data").as_array();
    REQUIRE(data.size() == 2);
    CHECK(data[0].at("id").as_string() == placed[2]);
    CHECK(data[1].at("id").as_string() == placed[3]);
    CHECK(data[0].at("user_id").as_string() == ada);
    CHECK(o.at("total").as_int64() == 5);
    CHECK(o.at("page").as_int64() == 2);
    CHECK(o.at("per_page").as_int64() == 2);
    // The whole shape, byte for byte: the rows as GET of each gives them.
    CHECK(res.body() == fmt::format(R"({{"data":[{},{}],"total":5,"page":2,"per_page":2}})",
                                    c.get(orders + "/" + placed[2]).body(),
                                    c.get(orders + "/" + placed[3]).body()));

    // Either parameter alone selects offset paging, with the other's default.
    auto const first = body_json(c.get(orders + "?page=1"));
    CHECK(first.at("per_page").as_int64() == 20);
    CHECK(first.at("data").as_array().size() == 5);
    auto const sized = body_json(c.get(orders + "?per_page=1"));
    CHECK(sized.at("page").as_int64() == 1);
    REQUIRE(sized.at("data").as_array().size() == 1);
    CHECK(sized.at("data").at(0).at("id").as_string() == placed[0]);
    auto const past = body_json(c.get(orders + "?page=9&per_page=2"));
    CHECK(past.at("data").as_array().empty());
    CHECK(past.at("total").as_int64() == 5);
    // A user without orders has an empty first page.
    auto const cy = id_of(sign_up(c, "cy@example.com"));
    auto const none = body_json(c.get("/users/" + cy + "/orders?page=1"));
    CHECK(none.at("data").as_array().empty());
    CHECK(none.at("total").as_int64() == 0);
}

TEST_CASE("GET /users/:id/orders: pages walk every order once across inserts") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    auto const ada = id_of(sign_up(c, "ada@example.com"));
    auto const orders = "/users/" + ada + "/orders";
    std::vector<std::string> placed;
    for (int i = 0; i < 9; ++i) {
        auto const res = c.post_json(
            orders, json::value{{"item", fmt::format("item{}", i)}, {"quantity", i + 1}});
        REQUIRE(res.result_int() == 201);
        placed.emplace_back(body_json(res).at("id").as_string());
    }
    std::reverse(placed.begin(), placed.end());

    client writer(server.port());

    server.authorize(writer);
    auto const seen = walk(c, orders, 2, [&] {
        REQUIRE(writer.post(orders, R"({"item":"late","quantity":1})").result_int() == 201);
    });
    CHECK(seen.ids == placed);
    CHECK(seen.pages == 5);
}

TEST_CASE("a cursor is good only in the listing, and for the user, that issued it") {
    running_server server;
    client c(server.port());
    server.authorize(c);
    sign_up_many(server, c, 3, "u");
    auto const ada = id_of(body_json(c.get("/users")).at("data").at(0).as_object());
    auto const bob = id_of(body_json(c.get("/users")).at("data").at(1).as_object());
    auto const adas = "/users/" + ada + "/orders";
    auto const bobs = "/users/" + bob + "/orders";
    for (auto const& orders : {adas, bobs})
        for (int i = 0; i < 3; ++i)
            REQUIRE(c.post(orders, R"({"item":"book","quantity":1})").result_int() == 201);

    auto const users_cursor = first_cursor(c, "/users");
    auto const adas_cursor = first_cursor(c, adas);
    auto const bobs_cursor = first_cursor(c, bobs);
    // Each is good where it came from.
    CHECK(c.get(with_query(adas, "cursor", adas_cursor)).result_int() == 200);
    CHECK(c.get(with_query(bobs, "cursor", bobs_cursor)).result_int() == 200);
    CHECK(c.get(with_query("/users", "cursor", users_cursor)).result_int() == 200);

    auto const misplaced = [&](std::string const& target, std::string const& cursor) {
        CAPTURE(target);
        auto const error =
            check_error(c.get(with_query(target, "cursor", cursor)), 400, "invalid_cursor");
        CHECK(error.at("message").as_string() == "The pagination cursor is invalid");
        auto const details = details_of(error);
        REQUIRE(details.size() == 1);
        CHECK(details[0].first == "cursor");
        CHECK(details[0].second == "is not a cursor this listing issued");
    };
    misplaced(adas, users_cursor);    // the users listing's, on orders
    misplaced("/users", adas_cursor); // an orders listing's, on users
    misplaced(bobs, adas_cursor);     // Ada's orders' on Bob's
    misplaced(adas, bobs_cursor);     // and back
    misplaced(adas + "?limit=1", bobs_cursor);
    // A user that does not exist is still a 404 first.
    check_error(c.get(with_query("/users/user_nobody/orders", "cursor", adas_cursor)), 404,
                "not_found");
}
