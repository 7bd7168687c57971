#include "support.hpp"

#include <apikit/http/detail/arena.hpp>
#include <apikit/http/detail/date.hpp>

using namespace http_test;

TEST_CASE("response: status, fields, body") {
    http::response res;
    CHECK(res.status() == 200);
    res.status(201);
    CHECK(res.status() == 201);
    CHECK_THROWS_AS(res.status(100), std::invalid_argument); // 1xx are the server's
    CHECK_THROWS_AS(res.status(1000), std::invalid_argument);

    res.insert("Set-Cookie", "a=1");
    res.insert("Set-Cookie", "b=2");
    res.set("Location", "/users/1");
    res.set("location", "/users/2"); // replaces, whatever the case
    CHECK(res.fields() == "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nlocation: /users/2\r\n");
    CHECK(res.header("LOCATION") == "/users/2");
    CHECK(res.header("Set-Cookie") == "a=1");
    CHECK(!res.header("X-None"));
    res.erase("set-cookie");
    CHECK(res.fields() == "location: /users/2\r\n");
    // A name is the whole text before the ':', not a prefix of it.
    res.insert("X-AB", "1");
    res.insert("X-A", "2:3");
    res.erase("X-A: 2"); // the text before the value's ':'
    CHECK(res.fields() == "location: /users/2\r\nX-AB: 1\r\nX-A: 2:3\r\n");
    res.erase("x-a");
    CHECK(res.fields() == "location: /users/2\r\nX-AB: 1\r\n");
    res.erase("X-AB");
    CHECK(res.fields() == "location: /users/2\r\n");

    res.set("Content-Type", "text/csv");
    CHECK(res.content_type() == "text/csv");
    CHECK(res.header("content-type") == "text/csv");

    res.text("hello");
    CHECK(res.body() == "hello");
    CHECK(res.content_type() == "text/plain; charset=utf-8");

    res.clear();
    CHECK(res.status() == 200);
    CHECK(res.fields().empty());
    CHECK(res.body().empty());
    CHECK(res.content_type().empty());
}

TEST_CASE("response: no header can be injected, and framing fields are the server's") {
    http::response res;
    CHECK_THROWS_AS(res.set("X-A", "v\r\nX-Evil: 1"), std::invalid_argument);
    CHECK_THROWS_AS(res.set("X-A", "v\nX-Evil: 1"), std::invalid_argument);
    CHECK_THROWS_AS(res.set("X-A", std::string_view("v\0", 2)), std::invalid_argument);
    CHECK_THROWS_AS(res.set("X-A: b", "v"), std::invalid_argument);
    CHECK_THROWS_AS(res.set("", "v"), std::invalid_argument);
    CHECK_THROWS_AS(res.insert("X\r\nEvil", "v"), std::invalid_argument);
    CHECK_THROWS_AS(res.content_type("text/plain\r\nX-Evil: 1"), std::invalid_argument);
    for (auto name : {"Content-Length", "transfer-encoding", "Connection", "Date"})
        CHECK_THROWS_AS(res.set(name, "1"), std::invalid_argument);
    CHECK(res.fields().empty());
    res.set("X-Tab", "a\tb"); // HTAB is allowed in a value
    CHECK(res.header("X-Tab") == "a\tb");
}

TEST_CASE("response: JSON bodies, from a value or anything value_from takes") {
    http::response res;
    res.json(json::value{{"a", 1}, {"b", json::array{1, 2, 3}}});
    CHECK(res.content_type() == "application/json");
    CHECK(json::parse(res.body()) == json::parse(R"({"a":1,"b":[1,2,3]})"));

    // Bigger than the body's first capacity: the serializer resumes.
    json::array big;
    for (int i = 0; i < 2000; ++i)
        big.push_back(json::string(std::string(20, 'x')));
    res.json(big);
    CHECK(json::parse(res.body()) == big);

    res.json(std::vector<int>{1, 2});
    CHECK(res.body() == "[1,2]");

    res.json_text(R"({"status":"ok"})");
    CHECK(res.body() == R"({"status":"ok"})");
    CHECK(res.content_type() == "application/json");
}

TEST_CASE("response: an error is kept for rendering, and a body replaces it") {
    http::response res;
    res.error(apikit::errc::conflict, "Email taken");
    CHECK(res.status() == 409);
    REQUIRE(res.error());
    CHECK(res.error()->public_message() == "Email taken");
    res.json_text("{}");
    CHECK(!res.error());
}

TEST_CASE("the Date field is IMF-fixdate") {
    char buf[29];
    http::detail::format_imf_fixdate(buf, 784111777); // RFC 9110's example
    CHECK(std::string_view(buf, 29) == "Sun, 06 Nov 1994 08:49:37 GMT");
    http::detail::format_imf_fixdate(buf, 0);
    CHECK(std::string_view(buf, 29) == "Thu, 01 Jan 1970 00:00:00 GMT");
    http::detail::format_imf_fixdate(buf, 951782400); // a leap day
    CHECK(std::string_view(buf, 29) == "Tue, 29 Feb 2000 00:00:00 GMT");
    http::detail::format_imf_fixdate(buf, -1);
    CHECK(std::string_view(buf, 29) == "Wed, 31 Dec 1969 23:59:59 GMT");
    auto const now = std::chrono::system_clock::now();
    CHECK(http::detail::http_date(now).size() == 29);
    CHECK(http::detail::http_date(now) == http::detail::http_date(now));
    // The coarse clock the server reads it from is behind, never ahead, and
    // by a few timer ticks (a second here, for a loaded machine).
    auto const coarse = http::detail::coarse_system_now();
    CHECK(coarse <= std::chrono::system_clock::now());
    CHECK(std::chrono::system_clock::now() - coarse < std::chrono::seconds(1));
}

TEST_CASE("the header arena: bump allocation, rewound when everything is back, heap past its end") {
    http::detail::header_arena arena(256);
    CHECK(!arena.holds_memory());
    void* a = arena.allocate(100);
    void* b = arena.allocate(100);
    CHECK(arena.holds_memory());
    CHECK(static_cast<char*>(b) - static_cast<char*>(a) >= 100);
    void* c = arena.allocate(100); // does not fit: from the heap
    arena.deallocate(c);
    arena.deallocate(a);
    arena.release(); // not while b is out
    CHECK(arena.holds_memory());
    arena.deallocate(b);
    void* d = arena.allocate(10);
    CHECK(d == a); // rewound
    arena.deallocate(d);
    arena.release();
    CHECK(!arena.holds_memory());

    // Beast's fields through the allocator.
    http::request_fields f{http::detail::arena_allocator<char>(arena)};
    for (int i = 0; i < 50; ++i) // more than the block: the rest from the heap
        f.insert("X-" + std::to_string(i), std::string(20, 'v'));
    CHECK(f.count("X-49") == 1);
}

TEST_CASE("response::storage: values built on it cost no malloc, and it is reused") {
    http::response res;
    auto const& sp = res.storage();
    for (int round = 0; round < 100; ++round) {
        // More than the first buffer holds: the buffer grows, once.
        json::array a(sp);
        for (int i = 0; i < 500; ++i)
            a.push_back(json::value{{"id", std::string(40, 'x')}, {"n", i}});
        res.json(a);
        CHECK(json::parse(res.body()).as_array().size() == 500);
        res.clear(); // what the connection does between requests
    }
    // A user type goes through value_from on the same storage.
    res.json(std::vector<int>{1, 2, 3});
    CHECK(res.body() == "[1,2,3]");
    res.shrink(0); // gives the buffer back; storage() makes a new one
    json::value v(res.storage());
    v = json::object{{"k", "v"}};
    res.json(v);
    CHECK(res.body() == R"({"k":"v"})");
}

TEST_CASE("response::json_body: JSON assembled from parts") {
    http::response res;
    res.error(apikit::errc::not_found);
    auto& body = res.json_body();
    body.append(R"({"data":[)");
    body.append(R"({"id":1})");
    body.append("]}");
    CHECK(!res.error());
    CHECK(res.content_type() == "application/json");
    CHECK(json::parse(res.body()) == json::parse(R"({"data":[{"id":1}]})"));
}
