#ifndef APIKIT_TESTS_SERVER_LATER_STORE_HPP
#define APIKIT_TESTS_SERVER_LATER_STORE_HPP

// A user store that answers later, from a thread of its own, as a database
// store does: each operation's arguments are copied, the operation runs on
// the store's thread (over a memory store), and its handler is called there.
// Or it fails, as a store whose database cannot be reached does. The routes
// must suspend for it, resume when it answers, and answer pipelined
// requests in order.

#include "user_store.hpp"

#include <apikit/core/error.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace test_server {

template <class Clock>
class later_user_store {
public:
    /// `clock_args` construct the inner memory store's clock.
    template <class... ClockArgs>
    explicit later_user_store(ClockArgs&&... clock_args)
        : inner_(std::forward<ClockArgs>(clock_args)...) {}

    later_user_store(later_user_store const&) = delete;
    later_user_store& operator=(later_user_store const&) = delete;

    /// Finishes what was asked, then stops the thread.
    ~later_user_store() {
        work_.reset();
        thread_.join();
    }

    [[nodiscard]] static constexpr bool completes_inline() noexcept { return false; }

    template <class Handler>
    void async_create_user(sample::new_user in, Handler&& h) {
        later(std::forward<Handler>(h),
              [this, in = std::move(in)]() mutable { return inner_.create_user(std::move(in)); });
    }
    template <class Handler>
    void async_find_user(std::string_view id, Handler&& h) {
        later(std::forward<Handler>(h),
              [this, id = std::string(id)]() -> apikit::result<sample::user_ptr> {
                  if (auto found = inner_.find_user(id))
                      return found;
                  return apikit::errc::not_found;
              });
    }
    template <class Handler>
    void async_find_user_by_email(std::string_view email, Handler&& h) {
        later(std::forward<Handler>(h),
              [this, email = std::string(email)]() -> apikit::result<sample::user_ptr> {
                  if (auto found = inner_.find_user_by_email(email))
                      return found;
                  return apikit::errc::not_found;
              });
    }
    template <class Handler>
    void async_list_users(std::size_t limit, std::optional<sample::position> const& after,
                          Handler&& h) {
        later(std::forward<Handler>(h), [this, limit, after] {
            return apikit::result<sample::keyset_rows<sample::user>>(
                inner_.list_users(limit, after));
        });
    }
    template <class Handler>
    void async_list_users_offset(std::size_t offset, std::size_t count, Handler&& h) {
        later(std::forward<Handler>(h), [this, offset, count] {
            return apikit::result<sample::offset_rows<sample::user>>(
                inner_.list_users_offset(offset, count));
        });
    }
    template <class Handler>
    void async_create_order(std::string_view user_id, sample::new_order in, Handler&& h) {
        later(std::forward<Handler>(h),
              [this, user_id = std::string(user_id), in = std::move(in)]() mutable {
                  return inner_.create_order(user_id, std::move(in));
              });
    }
    template <class Handler>
    void async_find_order(std::string_view user_id, std::string_view order_id, Handler&& h) {
        later(std::forward<Handler>(h),
              [this, user_id = std::string(user_id), order_id = std::string(order_id)] {
                  return inner_.find_order(user_id, order_id);
              });
    }
    template <class Handler>
    void async_list_orders(std::string_view user_id, std::size_t limit,
                           std::optional<sample::position> const& after, Handler&& h) {
        later(std::forward<Handler>(h), [this, user_id = std::string(user_id), limit, after] {
            return inner_.list_orders(user_id, limit, after);
        });
    }
    template <class Handler>
    void async_list_orders_offset(std::string_view user_id, std::size_t offset, std::size_t count,
                                  Handler&& h) {
        later(std::forward<Handler>(h), [this, user_id = std::string(user_id), offset, count] {
            return inner_.list_orders_offset(user_id, offset, count);
        });
    }

    /// From now on every operation fails with `e`, as a store whose
    /// database cannot be reached does.
    void fail_with(apikit::errc e) { failing_.store(static_cast<int>(e)); }

    /// Operations asked so far.
    [[nodiscard]] int calls() const noexcept { return calls_.load(); }
    /// True when the calling thread is the store's own.
    [[nodiscard]] bool on_store_thread() const noexcept {
        return std::this_thread::get_id() == thread_.get_id();
    }

private:
    // Runs `op` on the store's thread and calls `h` there with its outcome.
    template <class Handler, class Op>
    void later(Handler&& h, Op op) {
        calls_.fetch_add(1);
        boost::asio::post(io_, [this, h = std::forward<Handler>(h), op = std::move(op)]() mutable {
            if (auto const e = failing_.load(); e != 0) {
                using value = typename decltype(op())::value_type;
                return std::move(h)(make_error_code(static_cast<apikit::errc>(e)), value{});
            }
            sample::detail::complete(std::move(h), op());
        });
    }

    sample::memory_user_store<Clock> inner_;
    std::atomic<int> calls_{0};
    std::atomic<int> failing_{0}; // an apikit::errc, 0 for none
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    std::thread thread_{[this] { io_.run(); }};
};

} // namespace test_server

#endif
