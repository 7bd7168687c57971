#ifndef APIKIT_AUTH_PASSWORD_POOL_HPP
#define APIKIT_AUTH_PASSWORD_POOL_HPP

// Password checks off the connections' I/O threads. A check costs tens of
// milliseconds of CPU on purpose (password.hpp); run on an I/O thread it
// would stall every connection that thread serves, so a flood of logins
// would stall every route. The pool runs them on a few threads of its own
// (a boost::asio::thread_pool) and completes each on the caller's executor:
//
//     pool.async_verify(std::move(password), std::move(stored_hash),
//         asio::bind_executor(strand, [](error_code ec, bool ok) { ... }));
//     bool ok = co_await pool.async_verify(pw, hash, asio::use_awaitable);
//
// Threads: the pool may be called from any thread. Each operation completes
// once, on its handler's associated executor (a handler without one: Asio's
// system executor), never inside the initiating call, and keeps that
// executor's work counted until then (an io_context::run() does not return
// under a pending check). The KDF itself runs on a pool thread.
//
// Failures and load: the pool is bounded. With max_waiting operations
// already pending (queued or running), another completes at once with
// errc::service_unavailable and runs nothing: a login flood becomes 503s,
// not a queue that grows without end and answers after the client gave up.
// stop() (and the destructor) completes every queued operation with
// asio::error::operation_aborted; those already running finish and complete
// with their answer. The pool may be destroyed with completions still
// waiting to run on their executors: they no longer refer to it.
//
// Secrets: the pool's copies of a password (the argument, the queued copy)
// are overwritten (OPENSSL_cleanse) once used. It logs nothing.

#include <apikit/auth/detail/password_pool_ops.hpp>
#include <apikit/auth/password.hpp>
#include <apikit/core/error.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace apikit::auth {

class password_pool {
public:
    /// `threads` KDF threads (at least 1); at most `max_waiting` operations
    /// pending at once; async_hash hashes under `params` (which must be
    /// within_bounds(), else std::invalid_argument).
    explicit password_pool(unsigned threads = 2, std::size_t max_waiting = 256,
                           password_params const& params = {})
        : max_waiting_(max_waiting)
        , params_(params)
        , threads_(threads == 0 ? 1 : threads) {
        if (!params.within_bounds())
            throw std::invalid_argument(
                "apikit::auth::password_pool: parameters outside the accepted bounds");
    }

    password_pool(password_pool const&) = delete;
    password_pool& operator=(password_pool const&) = delete;

    /// stop(), then waits for the operations running on the pool's threads.
    ~password_pool() {
        stop();
        threads_.join();
    }

    /// verify_password(password, encoded) on a pool thread. Completes with
    /// void(error_code, bool): {} and the answer; errc::service_unavailable
    /// when the pool is full; asio::error::operation_aborted once stopped.
    template <class CompletionToken>
    auto async_verify(std::string password, std::string encoded, CompletionToken&& token) {
        detail::wipe_on_exit const wipe(password);
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code, bool)>(
            [this](auto handler, std::string&& pw, std::string&& stored) {
                using op = detail::password_verify_op<std::decay_t<decltype(handler)>>;
                submit(std::make_unique<op>(std::move(handler), std::move(pw), std::move(stored)));
            },
            token, std::move(password), std::move(encoded));
    }

    /// hash_password(password, params()) on a pool thread. Completes with
    /// void(error_code, std::string): {} and the PHC string; hash_password's
    /// errors (error::password_too_long); or the pool's, as async_verify.
    template <class CompletionToken>
    auto async_hash(std::string password, CompletionToken&& token) {
        detail::wipe_on_exit const wipe(password);
        return boost::asio::async_initiate<CompletionToken,
                                           void(boost::system::error_code, std::string)>(
            [this](auto handler, std::string&& pw) {
                using op = detail::password_hash_op<std::decay_t<decltype(handler)>>;
                submit(std::make_unique<op>(std::move(handler), std::move(pw), params_));
            },
            token, std::move(password));
    }

    /// Completes every queued operation with operation_aborted, and every
    /// later one too. Operations already running finish. Idempotent.
    void stop() {
        std::deque<std::unique_ptr<detail::password_job>> aborted;
        {
            std::lock_guard lock(mutex_);
            stopped_ = true;
            aborted.swap(queue_);
            pending_ -= aborted.size();
        }
        for (auto& job : aborted)
            job->fail(boost::asio::error::operation_aborted);
    }

    /// The parameters async_hash hashes with; dummy_password_hash(params())
    /// is the hash to verify against when a login names no user.
    [[nodiscard]] password_params const& params() const noexcept { return params_; }

    [[nodiscard]] std::size_t max_waiting() const noexcept { return max_waiting_; }

    /// The executor of the pool's own threads. Anything else posted there
    /// delays the checks queued behind it (the tests post a gate to hold
    /// the threads while they fill the queue).
    [[nodiscard]] boost::asio::thread_pool::executor_type thread_executor() noexcept {
        return threads_.get_executor();
    }

    /// Operations queued or running now.
    [[nodiscard]] std::size_t pending() const {
        std::lock_guard lock(mutex_);
        return pending_;
    }

private:
    void submit(std::unique_ptr<detail::password_job> job) {
        boost::system::error_code refused;
        {
            std::lock_guard lock(mutex_);
            if (stopped_) {
                refused = boost::asio::error::operation_aborted;
            } else if (pending_ >= max_waiting_) {
                refused = make_error_code(errc::service_unavailable);
            } else {
                queue_.push_back(std::move(job));
                ++pending_;
            }
        }
        if (refused)
            return job->fail(refused);
        boost::asio::post(threads_, [this] { run_one(); });
    }

    // One posted call per queued operation; the operation it finds may be
    // another's (FIFO), or none if stop() took them.
    void run_one() {
        std::unique_ptr<detail::password_job> job;
        {
            std::lock_guard lock(mutex_);
            if (queue_.empty())
                return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job->compute();
        {
            // Free the slot before completing: a caller who is answered
            // may ask again at once and find room.
            std::lock_guard lock(mutex_);
            --pending_;
        }
        job->finish();
    }

    std::size_t const max_waiting_;
    password_params const params_;
    mutable std::mutex mutex_;
    std::deque<std::unique_ptr<detail::password_job>> queue_;
    std::size_t pending_ = 0; // queued + running
    bool stopped_ = false;
    // Last: its threads start after, and are gone before, what they use.
    boost::asio::thread_pool threads_;
};

} // namespace apikit::auth

#endif
