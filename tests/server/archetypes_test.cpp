// Archetypes: the least a type must provide to model sample::user_store,
// the stores that model it, and near misses that lack one requirement each.

#include "any_user_store.hpp"
#include "later_store.hpp"
#include "user_store.hpp"

#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace {

using boost::system::error_code;

// Answers every operation at once: no such user, and empty pages.
struct user_store_archetype {
    bool completes_inline() const noexcept { return true; }
    template <class H>
    void async_create_user(sample::new_user, H&& h) {
        std::move(h)(make_error_code(apikit::errc::conflict), sample::user_ptr{});
    }
    template <class H>
    void async_find_user(std::string_view, H&& h) {
        std::move(h)(make_error_code(apikit::errc::not_found), sample::user_ptr{});
    }
    template <class H>
    void async_find_user_by_email(std::string_view, H&& h) {
        std::move(h)(make_error_code(apikit::errc::not_found), sample::user_ptr{});
    }
    template <class H>
    void async_list_users(std::size_t, std::optional<sample::position> const&, H&& h) {
        std::move(h)(error_code{}, sample::keyset_rows<sample::user>{});
    }
    template <class H>
    void async_list_users_offset(std::size_t, std::size_t, H&& h) {
        std::move(h)(error_code{}, sample::offset_rows<sample::user>{});
    }
    template <class H>
    void async_create_order(std::string_view, sample::new_order, H&& h) {
        std::move(h)(make_error_code(apikit::errc::not_found), sample::order_ptr{});
    }
    template <class H>
    void async_find_order(std::string_view, std::string_view, H&& h) {
        std::move(h)(make_error_code(apikit::errc::not_found), sample::order_ptr{});
    }
    template <class H>
    void async_list_orders(std::string_view, std::size_t, std::optional<sample::position> const&,
                           H&& h) {
        std::move(h)(make_error_code(apikit::errc::not_found),
                     sample::keyset_rows<sample::order>{});
    }
    template <class H>
    void async_list_orders_offset(std::string_view, std::size_t, std::size_t, H&& h) {
        std::move(h)(make_error_code(apikit::errc::not_found),
                     sample::offset_rows<sample::order>{});
    }
};

// Each near miss hides one member of the archetype with a wrong one.

// Answers by returning, as the store did before it was asynchronous.
struct store_that_finds_synchronously : user_store_archetype {
    sample::user_ptr async_find_user(std::string_view) { return {}; }
};

// Cannot find a user by email, so no one could log in.
struct store_without_find_by_email : user_store_archetype {
    int async_find_user_by_email = 0;
};

// Cannot list a user's orders.
struct store_without_list_orders : user_store_archetype {
    int async_list_orders = 0;
};

// Cannot find one order.
struct store_without_find_order : user_store_archetype {
    int async_find_order = 0;
};

// Lists a user's orders by cursor only, not by page number.
struct store_without_list_orders_offset : user_store_archetype {
    int async_list_orders_offset = 0;
};

// Finds an order by its id alone, not as one of a user's.
struct store_that_finds_orders_by_id_alone : user_store_archetype {
    template <class H>
    void async_find_order(std::string_view, H&&) {}
};

// Does not say whether it completes inline (the routes must know before
// they ask).
struct store_without_completes_inline : user_store_archetype {
    int completes_inline = 0;
};

// Answers whether it completes inline with a number, not a yes or no.
struct store_whose_completes_inline_is_a_number : user_store_archetype {
    int completes_inline() const noexcept { return 1; }
};

using later_store = test_server::later_user_store<apikit::system_clock>;

} // namespace

static_assert(sample::user_store<user_store_archetype>,
              "the archetype must model sample::user_store");
static_assert(sample::user_store<sample::memory_user_store<>>);
static_assert(
    sample::user_store<sample::memory_user_store<apikit::manual_clock<apikit::system_clock>>>);
static_assert(sample::user_store<sample::any_user_store>);
static_assert(sample::user_store<later_store>);

static_assert(!sample::user_store<store_that_finds_synchronously>);
static_assert(!sample::user_store<store_without_find_by_email>);
static_assert(!sample::user_store<store_without_list_orders>);
static_assert(!sample::user_store<store_without_find_order>);
static_assert(!sample::user_store<store_without_list_orders_offset>);
static_assert(!sample::user_store<store_that_finds_orders_by_id_alone>);
static_assert(!sample::user_store<store_without_completes_inline>);
static_assert(!sample::user_store<store_whose_completes_inline_is_a_number>);

TEST_CASE("user_store archetype: the minimal store serves through any_user_store") {
    sample::any_user_store store(std::in_place_type<user_store_archetype>);
    CHECK(store.completes_inline());
    CHECK(store.target<user_store_archetype>() != nullptr);
    CHECK(store.target<sample::memory_user_store<>>() == nullptr);
    int calls = 0;
    store.async_find_user("user_x", [&](error_code ec, sample::user_ptr u) {
        ++calls;
        CHECK(ec == apikit::errc::not_found);
        CHECK_FALSE(u);
    });
    store.async_list_users(20, std::nullopt,
                           [&](error_code ec, sample::keyset_rows<sample::user> const& rows) {
                               ++calls;
                               CHECK_FALSE(ec);
                               CHECK(rows.rows.empty());
                           });
    store.async_find_order("user_x", "order_x", [&](error_code ec, sample::order_ptr o) {
        ++calls;
        CHECK(ec == apikit::errc::not_found);
        CHECK_FALSE(o);
    });
    store.async_list_orders_offset(
        "user_x", 0, 20, [&](error_code ec, sample::offset_rows<sample::order> const& rows) {
            ++calls;
            CHECK(ec == apikit::errc::not_found);
            CHECK(rows.rows.empty());
        });
    CHECK(calls == 4);
}
