// The sample server's in-memory store, driven directly with a manual clock.

#include "user_store.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using sys = std::chrono::system_clock;
using store_type = sample::memory_user_store<apikit::manual_clock<sys>>;

namespace {

// 2024-01-15T10:00:00.000Z
sys::time_point const start{std::chrono::seconds(1'705'312'800)};

sample::new_user person(std::string email, std::string name = "Ada") {
    return {std::move(email), std::move(name)};
}

std::shared_ptr<sample::user const> must_create(store_type& store, std::string email) {
    auto r = store.create_user(person(std::move(email)));
    REQUIRE(r.has_value());
    return *r;
}

// Every user, newest first, walked `limit` at a time.
std::vector<std::string> walk_ids(store_type const& store, std::size_t limit) {
    std::vector<std::string> ids;
    std::optional<sample::position> after;
    for (int pages = 0; pages < 100'000; ++pages) {
        auto page = store.list_users(limit, after);
        for (auto const& u : page.rows)
            ids.push_back(u->id);
        if (!page.next)
            return ids;
        after = page.next;
    }
    FAIL("the walk did not end");
    return ids;
}

bool is_id(std::string_view id, std::string_view prefix) {
    if (!id.starts_with(prefix) || id.size() != prefix.size() + apikit::id_random_length)
        return false;
    id.remove_prefix(prefix.size());
    return std::all_of(id.begin(), id.end(), [](char c) {
        return apikit::id_alphabet.find(c) != std::string_view::npos;
    });
}

} // namespace

TEST_CASE("a new user gets an id, the clock's time and version 1") {
    store_type store(start + 123ms);
    auto r = store.create_user(person("ada@example.com", "Ada Lovelace"));
    REQUIRE(r.has_value());
    auto const& u = **r;
    CHECK(is_id(u.id, "user_"));
    CHECK(u.email == "ada@example.com");
    CHECK(u.name == "Ada Lovelace");
    CHECK(u.created_at == "2024-01-15T10:00:00.123Z");
    CHECK(u.version == 1);

    store.clock().advance(2s);
    auto const other = must_create(store, "bob@example.com");
    CHECK(other->created_at == "2024-01-15T10:00:02.123Z");
    CHECK(other->id != u.id);
}

TEST_CASE("a user is found by id, and an unknown id finds nothing") {
    store_type store(start);
    auto const u = must_create(store, "ada@example.com");
    auto const found = store.find_user(u->id);
    REQUIRE(found);
    CHECK(found->email == "ada@example.com");
    CHECK_FALSE(store.find_user("user_doesnotexist"));
    CHECK_FALSE(store.find_user(""));
    CHECK_FALSE(store.find_user(u->id.substr(0, u->id.size() - 1)));
}

TEST_CASE("an email is unique ignoring case, and is stored as given") {
    store_type store(start);
    auto const first = must_create(store, "Ada@Example.com");
    CHECK(first->email == "Ada@Example.com");

    for (auto const* taken : {"Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM"}) {
        CAPTURE(taken);
        auto again = store.create_user(person(taken));
        REQUIRE(again.has_error());
        CHECK(again.error() == apikit::errc::conflict);
    }
    // Only ASCII folds: a different address is a different user.
    CHECK(store.create_user(person("ada2@example.com")).has_value());
    CHECK(store.list_users(100, std::nullopt).rows.size() == 2);

    // Removing the user frees the email.
    REQUIRE(store.erase_user(first->id));
    CHECK_FALSE(store.erase_user(first->id));
    CHECK(store.create_user(person("ADA@example.com")).has_value());
}

TEST_CASE("users are listed newest first, a page at a time") {
    store_type store(start);
    std::vector<std::string> created;
    for (int i = 0; i < 7; ++i) {
        created.push_back(must_create(store, fmt::format("u{}@example.com", i))->id);
        store.clock().advance(1ms);
    }
    std::reverse(created.begin(), created.end());

    auto first = store.list_users(3, std::nullopt);
    REQUIRE(first.rows.size() == 3);
    CHECK(first.rows[0]->id == created[0]);
    CHECK(first.rows[2]->id == created[2]);
    REQUIRE(first.next);
    CHECK(first.next->id == created[2]);

    auto second = store.list_users(3, first.next);
    REQUIRE(second.rows.size() == 3);
    CHECK(second.rows[0]->id == created[3]);
    REQUIRE(second.next);

    auto last = store.list_users(3, second.next);
    REQUIRE(last.rows.size() == 1);
    CHECK(last.rows[0]->id == created[6]);
    CHECK_FALSE(last.next);

    // A page that ends exactly at the last row says there is no more.
    CHECK_FALSE(store.list_users(7, std::nullopt).next);
    CHECK(store.list_users(6, std::nullopt).next);
    CHECK(walk_ids(store, 1) == created);
    CHECK(walk_ids(store, 100) == created);
}

TEST_CASE("an empty store lists an empty last page") {
    store_type store(start);
    auto page = store.list_users(20, std::nullopt);
    CHECK(page.rows.empty());
    CHECK_FALSE(page.next);
    auto offset = store.list_users_offset(0, 20);
    CHECK(offset.rows.empty());
    CHECK(offset.total == 0);
}

TEST_CASE("newest first follows insertion even when the clock steps back") {
    store_type store(start);
    auto const a = must_create(store, "a@example.com");
    store.clock().advance(-1h);
    auto const b = must_create(store, "b@example.com");
    CHECK(b->created_at < a->created_at);
    auto page = store.list_users(10, std::nullopt);
    REQUIRE(page.rows.size() == 2);
    CHECK(page.rows[0]->id == b->id);
    CHECK(page.rows[1]->id == a->id);
}

TEST_CASE("keyset pages never skip or repeat a row across inserts and deletes") {
    store_type store(start);
    std::vector<std::shared_ptr<sample::user const>> before;
    for (int i = 0; i < 50; ++i)
        before.push_back(must_create(store, fmt::format("before{}@example.com", i)));

    std::set<std::string> deleted_unseen;
    std::vector<std::string> seen;
    std::optional<sample::position> after;
    int inserted = 0;
    for (int pages = 0; pages < 1000; ++pages) {
        auto page = store.list_users(4, after);
        for (auto const& u : page.rows)
            seen.push_back(u->id);
        if (!page.next)
            break;
        after = page.next;
        // Between pages: newer rows arrive, the cursor's own row goes, and so
        // does a row the walk has not reached yet.
        for (int k = 0; k < 3; ++k)
            must_create(store, fmt::format("during{}@example.com", inserted++));
        REQUIRE(store.erase_user(after->id));
        for (auto const& u : before) {
            if (std::find(seen.begin(), seen.end(), u->id) == seen.end() &&
                !deleted_unseen.contains(u->id) && store.find_user(u->id)) {
                if (pages % 2 == 0) {
                    REQUIRE(store.erase_user(u->id));
                    deleted_unseen.insert(u->id);
                }
                break;
            }
        }
    }
    CHECK(inserted > 0);
    CHECK_FALSE(deleted_unseen.empty());

    // Exactly the rows present at the start and not deleted before the walk
    // reached them, each once, newest first.
    std::vector<std::string> expected;
    for (auto it = before.rbegin(); it != before.rend(); ++it)
        if (!deleted_unseen.contains((*it)->id))
            expected.push_back((*it)->id);
    CHECK(seen == expected);
}

TEST_CASE("offset listing counts every user and pages newest first") {
    store_type store(start);
    std::vector<std::string> created;
    for (int i = 0; i < 5; ++i)
        created.push_back(must_create(store, fmt::format("u{}@example.com", i))->id);
    std::reverse(created.begin(), created.end());

    auto p1 = store.list_users_offset(0, 2);
    CHECK(p1.total == 5);
    REQUIRE(p1.rows.size() == 2);
    CHECK(p1.rows[0]->id == created[0]);
    CHECK(p1.rows[1]->id == created[1]);

    auto p3 = store.list_users_offset(4, 2);
    CHECK(p3.total == 5);
    REQUIRE(p3.rows.size() == 1);
    CHECK(p3.rows[0]->id == created[4]);

    auto past = store.list_users_offset(5, 2);
    CHECK(past.total == 5);
    CHECK(past.rows.empty());
    CHECK(store.list_users_offset(std::size_t(-1), 100).rows.empty());
}

TEST_CASE("orders belong to an existing user and are listed newest first") {
    store_type store(start);
    auto const ada = must_create(store, "ada@example.com");
    auto const bob = must_create(store, "bob@example.com");

    auto none = store.create_order("user_nobody", {"book", 1});
    REQUIRE(none.has_error());
    CHECK(none.error() == apikit::errc::not_found);
    auto missing = store.list_orders("user_nobody", 20, std::nullopt);
    REQUIRE(missing.has_error());
    CHECK(missing.error() == apikit::errc::not_found);

    store.clock().advance(5ms);
    auto first = store.create_order(ada->id, {"book", 2});
    REQUIRE(first.has_value());
    auto const& o = **first;
    CHECK(is_id(o.id, "order_"));
    CHECK(o.user_id == ada->id);
    CHECK(o.item == "book");
    CHECK(o.quantity == 2);
    CHECK(o.created_at == "2024-01-15T10:00:00.005Z");
    auto second = store.create_order(ada->id, {"pen", 10});
    REQUIRE(second.has_value());

    auto ada_orders = store.list_orders(ada->id, 1, std::nullopt);
    REQUIRE(ada_orders.has_value());
    REQUIRE(ada_orders->rows.size() == 1);
    CHECK(ada_orders->rows[0]->id == (*second)->id);
    REQUIRE(ada_orders->next);
    auto rest = store.list_orders(ada->id, 1, ada_orders->next);
    REQUIRE(rest.has_value());
    REQUIRE(rest->rows.size() == 1);
    CHECK(rest->rows[0]->id == (*first)->id);
    CHECK_FALSE(rest->next);

    auto bob_orders = store.list_orders(bob->id, 20, std::nullopt);
    REQUIRE(bob_orders.has_value());
    CHECK(bob_orders->rows.empty());
    CHECK_FALSE(bob_orders->next);

    // Orders go with their user.
    REQUIRE(store.erase_user(ada->id));
    CHECK(store.list_orders(ada->id, 20, std::nullopt).has_error());
    CHECK(store.find_order(ada->id, (*first)->id).error() == apikit::errc::not_found);
}

TEST_CASE("an order is found as one of its user's: not_found for no user, null for no order") {
    store_type store(start);
    auto const ada = must_create(store, "ada@example.com");
    auto const bob = must_create(store, "bob@example.com");
    auto const book = store.create_order(ada->id, {"book", 2}).value();
    auto const pen = store.create_order(bob->id, {"pen", 1}).value();

    auto found = store.find_order(ada->id, book->id);
    REQUIRE(found.has_value());
    CHECK(*found == book);
    CHECK(store.find_order(bob->id, pen->id).value() == pen);

    // Another user's order is not theirs to see.
    auto others = store.find_order(ada->id, pen->id);
    REQUIRE(others.has_value());
    CHECK_FALSE(*others);
    CHECK_FALSE(store.find_order(ada->id, "order_nothing").value());
    CHECK_FALSE(store.find_order(ada->id, "").value());
    CHECK_FALSE(store.find_order(ada->id, ada->id).value()); // a user's id is no order's

    auto nobody = store.find_order("user_nobody", book->id);
    REQUIRE(nobody.has_error());
    CHECK(nobody.error() == apikit::errc::not_found);
}

TEST_CASE("a user's orders by offset: their count, newest first, and not_found for no user") {
    store_type store(start);
    auto const ada = must_create(store, "ada@example.com");
    auto const bob = must_create(store, "bob@example.com");
    std::vector<std::string> placed;
    for (int i = 0; i < 5; ++i) {
        placed.push_back(store.create_order(ada->id, {fmt::format("item{}", i), 1}).value()->id);
        REQUIRE(store.create_order(bob->id, {"other", 1}).has_value());
    }
    std::reverse(placed.begin(), placed.end());

    auto p1 = store.list_orders_offset(ada->id, 0, 2);
    REQUIRE(p1.has_value());
    CHECK(p1->total == 5);
    REQUIRE(p1->rows.size() == 2);
    CHECK(p1->rows[0]->id == placed[0]);
    CHECK(p1->rows[1]->id == placed[1]);
    auto p3 = store.list_orders_offset(ada->id, 4, 2);
    REQUIRE(p3.has_value());
    REQUIRE(p3->rows.size() == 1);
    CHECK(p3->rows[0]->id == placed[4]);
    auto past = store.list_orders_offset(ada->id, std::size_t(-1), 100);
    REQUIRE(past.has_value());
    CHECK(past->total == 5);
    CHECK(past->rows.empty());

    auto nobody = store.list_orders_offset("user_nobody", 0, 20);
    REQUIRE(nobody.has_error());
    CHECK(nobody.error() == apikit::errc::not_found);
}

TEST_CASE("users and orders render the contract's JSON shapes, cached in the record") {
    store_type store(start);
    auto const u = must_create(store, "ada@example.com");
    auto const jv = boost::json::value_from(*u);
    auto const& obj = jv.as_object();
    CHECK(obj.size() == 5);
    CHECK(obj.at("id").as_string() == u->id);
    CHECK(obj.at("email").as_string() == "ada@example.com");
    CHECK(obj.at("name").as_string() == "Ada");
    CHECK(obj.at("created_at").as_string() == "2024-01-15T10:00:00.000Z");
    CHECK(obj.at("version").as_int64() == 1);

    // A published record carries exactly that JSON, serialized once.
    CHECK(u->json == fmt::format(R"({{"id":"{}","email":"ada@example.com","name":"Ada",)"
                                 R"("created_at":"2024-01-15T10:00:00.000Z","version":1}})",
                                 u->id));
    CHECK(u->json == boost::json::serialize(jv));

    auto const o = store.create_order(u->id, {"book", 3});
    REQUIRE(o.has_value());
    auto const expected = fmt::format(R"({{"id":"{}","user_id":"{}","item":"book","quantity":3,)"
                                      R"("created_at":"2024-01-15T10:00:00.000Z"}})",
                                      (*o)->id, u->id);
    CHECK(boost::json::serialize(boost::json::value_from(**o)) == expected);
    CHECK((*o)->json == expected);
}

TEST_CASE("of many concurrent sign-ups with one email exactly one wins") {
    store_type store(start);
    constexpr int threads = 8, tries = 200;
    std::atomic<int> won{0}, conflicts{0}, other{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int i = 0; i < tries; ++i) {
                // Each round races every thread on one address, spelt in
                // different cases.
                auto email = fmt::format("{}race{}@example.com", t % 2 ? "R" : "r", i);
                auto r = store.create_user(person(email));
                if (r)
                    ++won;
                else if (r.error() == apikit::errc::conflict)
                    ++conflicts;
                else
                    ++other;
            }
        });
    for (auto& th : pool)
        th.join();
    CHECK(won == tries);
    CHECK(conflicts == (threads - 1) * tries);
    CHECK(other == 0);
    CHECK(store.list_users_offset(0, 1).total == std::size_t(tries));
}

TEST_CASE("concurrent distinct sign-ups and orders are all kept, exactly once") {
    store_type store(start);
    constexpr int threads = 6, each = 300;
    std::vector<std::vector<std::string>> made(threads);
    std::atomic<bool> failed{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            for (int i = 0; i < each; ++i) {
                auto r = store.create_user(person(fmt::format("t{}-{}@example.com", t, i)));
                if (!r || !store.create_order((*r)->id, {"book", i % 1000 + 1})) {
                    failed = true;
                    return;
                }
                made[t].push_back((*r)->id);
                // Readers run alongside the writers.
                (void)store.list_users(20, std::nullopt);
            }
        });
    for (auto& th : pool)
        th.join();
    REQUIRE_FALSE(failed);

    auto const listed = walk_ids(store, 37);
    std::set<std::string> unique(listed.begin(), listed.end());
    CHECK(listed.size() == threads * each);
    CHECK(unique.size() == listed.size());
    for (auto const& ids : made)
        for (auto const& id : ids) {
            REQUIRE(unique.contains(id));
            auto orders = store.list_orders(id, 20, std::nullopt);
            REQUIRE(orders.has_value());
            CHECK(orders->rows.size() == 1);
        }
}

TEST_CASE("the memory store answers every asynchronous operation within the call") {
    static_assert(store_type::completes_inline());
    store_type store(start);
    using boost::system::error_code;
    int calls = 0;
    sample::user_ptr ada;
    store.async_create_user(person("ada@example.com"), [&](error_code ec, sample::user_ptr u) {
        ++calls;
        CHECK_FALSE(ec);
        ada = std::move(u);
    });
    REQUIRE(calls == 1);
    REQUIRE(ada);
    store.async_create_user(person("ADA@example.com"), [&](error_code ec, sample::user_ptr u) {
        ++calls;
        CHECK(ec == apikit::errc::conflict);
        CHECK_FALSE(u);
    });
    store.async_find_user(ada->id, [&](error_code ec, sample::user_ptr u) {
        ++calls;
        CHECK_FALSE(ec);
        CHECK(u == ada);
    });
    store.async_find_user("user_nobody", [&](error_code ec, sample::user_ptr u) {
        ++calls;
        CHECK(ec == apikit::errc::not_found);
        CHECK_FALSE(u);
    });
    store.async_create_order(ada->id, {"book", 2}, [&](error_code ec, sample::order_ptr o) {
        ++calls;
        CHECK_FALSE(ec);
        REQUIRE(o);
        CHECK(o->user_id == ada->id);
    });
    store.async_create_order("user_nobody", {"book", 2}, [&](error_code ec, sample::order_ptr o) {
        ++calls;
        CHECK(ec == apikit::errc::not_found);
        CHECK_FALSE(o);
    });
    store.async_list_users(10, std::nullopt,
                           [&](error_code ec, sample::keyset_rows<sample::user> const& page) {
                               ++calls;
                               CHECK_FALSE(ec);
                               REQUIRE(page.rows.size() == 1);
                               CHECK(page.rows[0] == ada);
                           });
    store.async_list_users_offset(
        0, 10, [&](error_code ec, sample::offset_rows<sample::user> const& page) {
            ++calls;
            CHECK_FALSE(ec);
            CHECK(page.total == 1);
        });
    store.async_list_orders(ada->id, 10, std::nullopt,
                            [&](error_code ec, sample::keyset_rows<sample::order> const& page) {
                                ++calls;
                                CHECK_FALSE(ec);
                                CHECK(page.rows.size() == 1);
                            });
    store.async_list_orders("user_nobody", 10, std::nullopt,
                            [&](error_code ec, sample::keyset_rows<sample::order> const& page) {
                                ++calls;
                                CHECK(ec == apikit::errc::not_found);
                                CHECK(page.rows.empty());
                            });
    store.async_list_orders_offset(
        ada->id, 0, 10, [&](error_code ec, sample::offset_rows<sample::order> const& page) {
            ++calls;
            CHECK_FALSE(ec);
            CHECK(page.total == 1);
            REQUIRE(page.rows.size() == 1);
            store.async_find_order(ada->id, page.rows[0]->id,
                                   [&](error_code ec2, sample::order_ptr o) {
                                       ++calls;
                                       CHECK_FALSE(ec2);
                                       CHECK(o == page.rows[0]);
                                   });
        });
    store.async_find_order(ada->id, "order_nothing", [&](error_code ec, sample::order_ptr o) {
        ++calls;
        CHECK_FALSE(ec);
        CHECK_FALSE(o);
    });
    store.async_find_order("user_nobody", "order_nothing", [&](error_code ec, sample::order_ptr o) {
        ++calls;
        CHECK(ec == apikit::errc::not_found);
        CHECK_FALSE(o);
    });
    CHECK(calls == 14);
}
