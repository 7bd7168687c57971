// any_user_store: one type over any user_store, passing each operation to
// it and saying whether it completes inline; and completion<T>, which
// either refers to a handler on the caller's stack or owns one.

#include "any_user_store.hpp"
#include "later_store.hpp"
#include "user_store.hpp"

#include <apikit/core/clock.hpp>
#include <apikit/core/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

// Names of their own: the area's test files may be compiled as one unit.
namespace any_user_store_tests {

using boost::system::error_code;
using sys = std::chrono::system_clock;
using memory = sample::memory_user_store<apikit::manual_clock<sys>>;
using later = test_server::later_user_store<apikit::manual_clock<sys>>;

sys::time_point const t_start{std::chrono::seconds(1'705'312'800)};

TEST_CASE("any_user_store: the memory store answers through it within the call") {
    sample::any_user_store store(std::in_place_type<memory>, t_start);
    CHECK(store.completes_inline());
    REQUIRE(store.target<memory>() != nullptr);
    CHECK(store.target<later>() == nullptr);
    sample::user_ptr ada;
    store.async_create_user({"ada@example.com", "Ada"}, [&](error_code ec, sample::user_ptr u) {
        CHECK_FALSE(ec);
        ada = std::move(u);
    });
    REQUIRE(ada);
    CHECK(ada->created_at == "2024-01-15T10:00:00.000Z");
    CHECK(store.target<memory>()->find_user(ada->id) == ada);

    // A borrowed completion: the handler stays where it is, and is called there.
    int calls = 0;
    auto on_found = [&](error_code ec, sample::user_ptr u) {
        ++calls;
        CHECK_FALSE(ec);
        CHECK(u == ada);
    };
    store.async_find_user(ada->id, sample::completion<sample::user_ptr>::borrow(on_found));
    CHECK(calls == 1);

    sample::any_user_store moved(std::move(store));
    CHECK(moved.target<memory>() != nullptr);
}

TEST_CASE("any_user_store: the order operations reach the store, with their arguments") {
    sample::any_user_store store(std::in_place_type<memory>, t_start);
    auto& inner = *store.target<memory>();
    auto const ada = inner.create_user({"ada@example.com", "Ada"}).value();
    auto const bob = inner.create_user({"bob@example.com", "Bob"}).value();
    auto const book = inner.create_order(ada->id, {"book", 1}).value();
    auto const pen = inner.create_order(ada->id, {"pen", 2}).value();
    int calls = 0;
    store.async_find_order(ada->id, book->id, [&](error_code ec, sample::order_ptr o) {
        ++calls;
        CHECK_FALSE(ec);
        CHECK(o == book);
    });
    store.async_find_order(bob->id, book->id, [&](error_code ec, sample::order_ptr o) {
        ++calls;
        CHECK_FALSE(ec);
        CHECK_FALSE(o);
    });
    store.async_find_order("user_nobody", book->id, [&](error_code ec, sample::order_ptr) {
        ++calls;
        CHECK(ec == apikit::errc::not_found);
    });
    store.async_list_orders_offset(
        ada->id, 1, 5, [&](error_code ec, sample::offset_rows<sample::order> const& page) {
            ++calls;
            CHECK_FALSE(ec);
            CHECK(page.total == 2);
            REQUIRE(page.rows.size() == 1);
            CHECK(page.rows[0] == book); // the second newest
        });
    store.async_list_orders_offset("user_nobody", 0, 5,
                                   [&](error_code ec, sample::offset_rows<sample::order> const&) {
                                       ++calls;
                                       CHECK(ec == apikit::errc::not_found);
                                   });
    CHECK(calls == 5);
    CHECK(pen);
}

TEST_CASE("any_user_store: a store that answers later answers from its own thread") {
    sample::any_user_store store(std::in_place_type<later>, t_start);
    CHECK_FALSE(store.completes_inline());
    auto* inner = store.target<later>();
    REQUIRE(inner != nullptr);
    std::mutex m;
    std::condition_variable cv;
    std::optional<bool> on_store_thread;
    store.async_create_user({"ada@example.com", "Ada"}, [&](error_code ec, sample::user_ptr u) {
        CHECK_FALSE(ec);
        CHECK(u);
        std::lock_guard lock(m);
        on_store_thread = inner->on_store_thread();
        cv.notify_one();
    });
    std::unique_lock lock(m);
    REQUIRE(
        cv.wait_for(lock, std::chrono::seconds(10), [&] { return on_store_thread.has_value(); }));
    CHECK(*on_store_thread);
    CHECK(inner->calls() == 1);
}

TEST_CASE("completion: an owned handler is destroyed once, whether it was called or not") {
    auto alive = std::make_shared<int>(0);
    std::weak_ptr<int> watch = alive;
    {
        auto c = sample::completion<int>::own(
            [keep = std::move(alive)](error_code, int) { CHECK(keep); });
        CHECK_FALSE(watch.expired());
        auto moved = std::move(c);
        CHECK_FALSE(watch.expired());
        std::move(moved)(error_code{}, 7);
        CHECK(watch.expired()); // destroyed once called
    }
    alive = std::make_shared<int>(0);
    watch = alive;
    {
        auto dropped = sample::completion<int>::own([keep = std::move(alive)](error_code, int) {
            FAIL("a dropped handler is not called");
        });
        CHECK_FALSE(watch.expired());
    }
    CHECK(watch.expired()); // destroyed without being called
}

} // namespace any_user_store_tests
