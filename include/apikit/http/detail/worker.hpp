#ifndef APIKIT_HTTP_DETAIL_WORKER_HPP
#define APIKIT_HTTP_DETAIL_WORKER_HPP

// One worker thread of the server: its own io_context, the connections it
// owns, and a periodic sweep that enforces their deadlines; the first worker
// also holds the listening socket. A connection never
// leaves its worker, so nothing here needs a lock or a strand, and a
// deadline is a time stored in the connection rather than a timer re-armed
// for every request.
//
// A worker counts what it does (stats.hpp) in cells only its own thread
// writes, so that counting is a plain load and store and a reader on another
// thread (a metrics scrape) needs no lock; its busy time is its thread's CPU
// time, read from the kernel when asked.

#include <apikit/http/options.hpp>
#include <apikit/http/stats.hpp>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/system/result.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

namespace apikit::http::detail {

using steady_time = std::chrono::steady_clock::time_point;

// I/O objects bound to a worker's io_context by type: no polymorphic
// executor between a completion and its handler.
using executor_type = boost::asio::io_context::executor_type;
using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;
using acceptor_type = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, executor_type>;
using timer_type = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, executor_type>;

/// Owns a descriptor between two owners: closed unless released.
class unique_fd {
public:
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&&) = delete;
    ~unique_fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

/// A count that one thread writes and any thread reads: the writer's
/// increment is a relaxed load and store, no locked instruction.
class owned_counter {
public:
    void bump() noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

/// A worker's figures (stats.hpp), written by its own thread only, on cache
/// lines of their own.
struct alignas(64) worker_counters {
    owned_counter opened;
    owned_counter closed;
    owned_counter refused;
    owned_counter lost; // dealt to this worker, refused before it took them on
    owned_counter started;
    owned_counter completed;
    owned_counter timeouts;
    owned_counter bad_requests;
    owned_counter server_errors;
    owned_counter write_failures;
};

/// What a worker knows of a connection: a node of its list, a deadline, and
/// what to do when the deadline passes or the server stops.
class connection_base {
public:
    connection_base* prev = nullptr;
    connection_base* next = nullptr;
    steady_time deadline = steady_time::max();

    /// The deadline has passed.
    virtual void on_deadline(steady_time now) = 0;
    /// A graceful shutdown began: finish what is in flight, start nothing.
    virtual void on_shutdown() = 0;
    /// The grace period is over: close now.
    virtual void on_force_close() = 0;
    /// Idle for a while: give back buffers.
    virtual void on_idle_trim(steady_time now) = 0;

protected:
    ~connection_base() = default;
};

class worker {
public:
    explicit worker(server_options const& opts)
        : opts_(opts)
        , guard_(std::in_place, ioc_.get_executor())
        , sweep_timer_(ioc_.get_executor())
        , grace_timer_(ioc_.get_executor())
        , accept_retry_(ioc_.get_executor())
        , sweep_interval_(sweep_interval_for(opts)) {}

    worker(worker const&) = delete;
    worker& operator=(worker const&) = delete;

    // Connections that queued handlers still own die with the io_context,
    // after the timers: from here on, remove() must leave the timers alone.
    ~worker() { destroying_ = true; }

    boost::asio::io_context& context() noexcept { return ioc_; }
    server_options const& options() const noexcept { return opts_; }
    bool stopping() const noexcept { return stopping_; }
    std::size_t connections() const noexcept { return count_; }
    /// This worker's counts: only its own thread bumps them.
    worker_counters& counters() noexcept { return counters_; }
    /// A connection was dealt to this worker: bumped by the acceptor's thread.
    void dealt() noexcept { dealt_.bump(); }

    /// The figures, read from any thread.
    http::worker_stats stats() const noexcept {
        http::worker_stats s;
        auto const& c = counters_;
        // Taken on before dealt, so that pending is never read below zero.
        auto const taken = c.opened.get() + c.lost.get();
        auto const dealt = dealt_.get();
        s.connections_opened = c.opened.get();
        s.connections_closed = c.closed.get();
        s.connections_pending = dealt > taken ? dealt - taken : 0;
        s.connections_refused = c.refused.get();
        s.requests_completed = c.completed.get();
        s.requests_started = c.started.get();
        s.request_timeouts = c.timeouts.get();
        s.bad_requests = c.bad_requests.get();
        s.server_errors = c.server_errors.get();
        s.write_failures = c.write_failures.get();
        s.busy = busy();
        return s;
    }
    /// How often deadlines are checked; also how long a connection stays
    /// idle before it gives back its buffers.
    std::chrono::milliseconds sweep_interval() const noexcept { return sweep_interval_; }

    void add(connection_base& c) noexcept {
        counters_.opened.bump();
        c.prev = nullptr;
        c.next = head_;
        if (head_)
            head_->prev = &c;
        head_ = &c;
        if (count_++ == 0 && !stopping_)
            arm_sweep();
    }

    void remove(connection_base& c) noexcept {
        counters_.closed.bump();
        if (c.prev)
            c.prev->next = c.next;
        else
            head_ = c.next;
        if (c.next)
            c.next->prev = c.prev;
        c.prev = c.next = nullptr;
        if (--count_ == 0 && !destroying_) {
            // The sweep runs only while there is something to sweep; and a
            // shutdown is over when the last connection is gone.
            sweep_timer_.cancel();
            if (stopping_)
                grace_timer_.cancel();
        }
    }

    /// Starts the graceful shutdown of this worker's connections; runs on
    /// the worker's thread.
    void begin_shutdown() {
        if (stopping_)
            return;
        stopping_ = true;
        guard_.reset(); // run() returns once the last connection is gone
        for_each([](connection_base& c) { c.on_shutdown(); });
        if (count_ == 0)
            return;
        grace_timer_.expires_after(opts_.shutdown_grace);
        grace_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec)
                return; // every connection finished in time
            for_each([](connection_base& c) { c.on_force_close(); });
            // Whatever is still queued (an application's own timers, a
            // continuation that never came) must not hold the process.
            ioc_.stop();
        });
    }

    void run() {
        ::pthread_getcpuclockid(::pthread_self(), &cpu_clock_);
        running_.store(true, std::memory_order_release);
        ioc_.run();
        final_busy_.store(thread_cpu_time(CLOCK_THREAD_CPUTIME_ID).count(),
                          std::memory_order_relaxed);
        running_.store(false, std::memory_order_release);
    }

    /// Opens the server's listening socket on `ep`, on this worker; the
    /// endpoint bound (with the port the kernel chose, for port 0) or the
    /// error. Before the worker's thread starts.
    boost::system::result<boost::asio::ip::tcp::endpoint> listen(boost::asio::ip::tcp::endpoint ep,
                                                                 int backlog) {
        boost::system::error_code ec;
        acceptor_.emplace(ioc_.get_executor());
        acceptor_->open(ep.protocol(), ec);
        if (!ec)
            acceptor_->set_option(boost::asio::socket_base::reuse_address(true), ec);
        if (!ec)
            acceptor_->bind(ep, ec);
        if (!ec)
            acceptor_->listen(backlog, ec);
        if (!ec)
            ep = acceptor_->local_endpoint(ec);
        if (ec) {
            acceptor_.reset();
            return ec;
        }
        return ep;
    }

    acceptor_type& acceptor() noexcept { return *acceptor_; }
    bool listening() const noexcept { return acceptor_.has_value(); }

    /// Stops accepting; on the worker's thread once it runs.
    void close_acceptor() noexcept {
        boost::system::error_code ec;
        if (acceptor_)
            acceptor_->close(ec);
        accept_retry_.cancel();
    }

    template <class F>
    void retry_accept_after(std::chrono::milliseconds delay, F f) {
        accept_retry_.expires_after(delay);
        accept_retry_.async_wait([f = std::move(f)](boost::system::error_code ec) {
            if (!ec)
                f();
        });
    }

private:
    [[nodiscard]] static std::chrono::nanoseconds thread_cpu_time(clockid_t clock) noexcept {
        timespec ts{};
        if (::clock_gettime(clock, &ts) != 0)
            return std::chrono::nanoseconds(-1);
        return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    }

    // The worker thread's CPU time: read through its clock while it runs,
    // the figure it left when it has stopped.
    [[nodiscard]] std::chrono::nanoseconds busy() const noexcept {
        if (running_.load(std::memory_order_acquire)) {
            auto const t = thread_cpu_time(cpu_clock_);
            if (t.count() >= 0)
                return t;
        }
        return std::chrono::nanoseconds(final_busy_.load(std::memory_order_relaxed));
    }

    // Deadlines are checked every sweep: a quarter of the shortest timeout,
    // between 5 ms and 250 ms, so a timeout fires at most 25% late.
    static std::chrono::milliseconds sweep_interval_for(server_options const& o) {
        auto const shortest =
            std::min({o.header_timeout, o.body_timeout, o.idle_timeout, o.write_timeout});
        return std::clamp(shortest / 4, std::chrono::milliseconds(5),
                          std::chrono::milliseconds(250));
    }

    template <class F>
    void for_each(F f) {
        // A callback may close its connection and unlink it: step first.
        for (auto* c = head_; c;) {
            auto* next = c->next;
            f(*c);
            c = next;
        }
    }

    void arm_sweep() {
        sweep_timer_.expires_after(sweep_interval_);
        sweep_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec || count_ == 0)
                return;
            auto const now = std::chrono::steady_clock::now();
            for_each([now](connection_base& c) {
                if (c.deadline <= now)
                    c.on_deadline(now);
                else
                    c.on_idle_trim(now);
            });
            if (count_ != 0)
                arm_sweep();
        });
    }

    server_options const& opts_;
    // The list outlives the io_context: destroying the io_context destroys
    // queued handlers, and with them connections that unlink themselves.
    connection_base* head_ = nullptr;
    std::size_t count_ = 0;
    bool stopping_ = false;
    bool destroying_ = false;
    // One thread runs this context, and every socket of it is registered and
    // used on that thread (the listening one before the thread starts; a
    // connection accepted by another worker is handed over as a bare
    // descriptor), so the reactor's per-socket locking can go; posting from
    // other threads (a shutdown, a connection, a continuation) stays safe.
    boost::asio::io_context ioc_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    // Until shutdown, a worker runs even with no connection to serve.
    std::optional<boost::asio::executor_work_guard<executor_type>> guard_;
    timer_type sweep_timer_;
    timer_type grace_timer_;
    timer_type accept_retry_;
    std::optional<acceptor_type> acceptor_;
    std::chrono::milliseconds sweep_interval_;
    worker_counters counters_;
    alignas(64) owned_counter dealt_; // the acceptor's thread writes it
    clockid_t cpu_clock_{};           // set before running_ is
    std::atomic<bool> running_{false};
    std::atomic<std::int64_t> final_busy_{0};
};

} // namespace apikit::http::detail

#endif
