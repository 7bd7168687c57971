// The hot paths allocate nothing: matching a route, rendering an error into a
// buffer with room, parsing `limit`, serving a keyset page. Counted with a
// replacement of the global operator new, which only counts.
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/error_format.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/router.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <new>
#include <string>

namespace {
thread_local std::size_t allocations = 0;
} // namespace

// Every replaceable non-aligned form goes to malloc and free, so that no
// pointer crosses from this allocator to the sanitizers' or back.
namespace {
void* counted_alloc(std::size_t n) noexcept {
    ++allocations;
    return std::malloc(n == 0 ? 1 : n);
}
void* counted_alloc_or_throw(std::size_t n) {
    if (void* p = counted_alloc(n))
        return p;
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t n) {
    return counted_alloc_or_throw(n);
}
void* operator new[](std::size_t n) {
    return counted_alloc_or_throw(n);
}
void* operator new(std::size_t n, std::nothrow_t const&) noexcept {
    return counted_alloc(n);
}
void* operator new[](std::size_t n, std::nothrow_t const&) noexcept {
    return counted_alloc(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::nothrow_t const&) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::nothrow_t const&) noexcept {
    std::free(p);
}

namespace {

namespace api = apikit::api;
using api::method;

// The allocations `f` makes on this thread.
template <class F>
std::size_t allocations_of(F&& f) {
    auto const before = allocations;
    f();
    return allocations - before;
}

} // namespace

TEST_CASE("the counter counts") {
    // Through a volatile pointer, so the optimizer cannot elide the pair.
    static char* volatile sink = nullptr;
    CHECK(allocations_of([] {
              sink = new char[100];
              delete[] sink;
          }) == 1);
}

TEST_CASE("router::match allocates nothing unless a parameter is percent-encoded") {
    api::router<int> r;
    r.add(method::get, "/users", 1)
        .add(method::get, "/users/:id", 2)
        .add(method::get, "/users/me", 3)
        .add(method::get, "/users/:id/orders/:order_id", 4);
    for (auto const* path : {"/users", "/users/", "/users/user_4UM1pQy0r8hV3kX9cTn2Lb", "/users/me",
                             "/users/u/orders/o?limit=20", "/nope", "/users/%7A"}) {
        CAPTURE(path);
        CHECK(allocations_of([&] {
                  auto const m = r.match(method::get, path);
                  (void)m;
              }) == 0);
        CHECK(allocations_of([&] {
                  auto const m = r.match(method::delete_, path); // 405 or 404
                  (void)m;
              }) == 0);
    }
    // "/users/%7A" matched `:id`: a value decoded into the match, one allocation.
    CHECK(allocations_of([&] {
              auto const m =
                  r.match(method::get, "/users/%7A%7A%7A%7A%7A%7A%7A%7A%7A%7A%7A%7A%7A%7A%7A%7A");
              CHECK(m->params().find("id") == "zzzzzzzzzzzzzzzz");
          }) <= 1);
}

TEST_CASE("rendering an error into a buffer with room allocates nothing") {
    auto e = api::api_error::validation("email", "Invalid format");
    e.request_id = "req_4UM1pQy0r8hV3kX9cTn2Lb";
    std::string out;
    out.reserve(1024);
    CHECK(allocations_of([&] { api::envelope_format::append(out, e); }) == 0);
    out.clear();
    CHECK(allocations_of([&] { api::problem_json_format::append(out, e); }) == 0);
}

TEST_CASE("parse_limit and keyset_page allocate nothing") {
    CHECK(allocations_of([] { (void)api::parse_limit("20"); }) == 0);
    CHECK(allocations_of([] { (void)api::parse_limit(std::nullopt); }) == 0);
    std::map<api::id_position<long>, int> rows;
    for (long i = 0; i < 100; ++i)
        rows.emplace(api::id_position<long>{i}, 0);
    CHECK(allocations_of([&] {
              std::size_t n = 0;
              auto const next = api::keyset_page(
                  rows, {api::id_position<long>{50}, 20, api::sort_order::descending},
                  [&](auto const&) { ++n; });
              CHECK(n == 20);
              CHECK(next->id == 30);
          }) == 0);
}
