// The sample server under concurrent clients, on 4 server threads, over the
// memory store and over a store that answers later from a thread of its
// own: a race for one email has exactly one winner, and distinct sign-ups
// are all kept, each once.

#include "fixture.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

using namespace test_server;

namespace {

// The enclosing test case runs once over each store (doctest subcases).
users_in each_store() {
    users_in users = users_in::memory;
    SUBCASE("over the memory store") {}
    SUBCASE("over a store that answers later") {
        users = users_in::later;
    }
    return users;
}

} // namespace

TEST_CASE("many concurrent sign-ups with one email: exactly one 201, the rest 409") {
    auto const users = each_store();
    running_server server(4, std::nullopt, users);
    constexpr int clients = 8, rounds = 10;
    std::atomic<int> created{0}, conflicts{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t)
        threads.emplace_back([&, t] {
            client c(server.port());
            server.authorize(c);
            for (int r = 0; r < rounds; ++r) {
                // Every client races for the same address each round, spelt
                // in different cases.
                auto const email = fmt::format("{}ace{}@example.com", t % 2 ? "R" : "r", r);
                auto const res = c.post_json("/users", json::value{{"email", email},
                                                                   {"name", fmt::format("c{}", t)},
                                                                   {"password", test_password}});
                if (res.result_int() == 201)
                    ++created;
                else if (res.result_int() == 409)
                    ++conflicts;
                else
                    ++other;
            }
        });
    for (auto& th : threads)
        th.join();
    CHECK(created == rounds);
    CHECK(conflicts == (clients - 1) * rounds);
    CHECK(other == 0);

    client c(server.port());

    server.authorize(c);
    auto const page = body_json(c.get("/users?page=1&per_page=100"));
    CHECK(page.at("total").as_int64() == rounds);
}

TEST_CASE("many concurrent distinct sign-ups: every user present exactly once") {
    auto const users = each_store();
    running_server server(4, std::nullopt, users);
    constexpr int clients = 8, each = 40;
    std::vector<std::vector<std::string>> made(clients);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t)
        threads.emplace_back([&, t] {
            client c(server.port());
            server.authorize(c);
            for (int i = 0; i < each; ++i) {
                auto const res = c.post_json(
                    "/users", json::value{{"email", fmt::format("t{}-{}@example.com", t, i)},
                                          {"name", "Someone"},
                                          {"password", test_password}});
                if (res.result_int() != 201) {
                    ++failures;
                    continue;
                }
                made[t].emplace_back(body_json(res).at("id").as_string());
                // Readers alongside the writers.
                if (c.get("/users?limit=5").result_int() != 200)
                    ++failures;
            }
        });
    for (auto& th : threads)
        th.join();
    REQUIRE(failures == 0);

    std::set<std::string> expected;
    for (auto const& ids : made)
        expected.insert(ids.begin(), ids.end());
    REQUIRE(expected.size() == std::size_t(clients * each));

    client c(server.port());

    server.authorize(c);
    std::vector<std::string> listed;
    std::string target = "/users?limit=100";
    for (int guard = 0; guard < 100; ++guard) {
        auto const page = body_json(c.get(target));
        for (auto const& row : page.at("data").as_array())
            listed.emplace_back(row.at("id").as_string());
        if (page.at("next_cursor").is_null())
            break;
        target = with_query("/users?limit=100", "cursor", page.at("next_cursor").as_string());
    }
    CHECK(listed.size() == expected.size());
    CHECK(std::set<std::string>(listed.begin(), listed.end()) == expected);
    CHECK(body_json(c.get("/users?page=1")).at("total").as_int64() == clients * each);
}
