// The sample server's list responses, written from cached record JSON, are
// byte for byte what apikit's page types serialize to.

#include "pages.hpp"
#include "user_store.hpp"

#include <apikit/api/cursor_page.hpp>
#include <apikit/api/offset_page.hpp>

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <memory>
#include <span>
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
