#ifndef APIKIT_REDIS_DETAIL_CONNECTION_IMPL_HPP
#define APIKIT_REDIS_DETAIL_CONNECTION_IMPL_HPP

// The state machine behind redis::basic_connection (connection.hpp says what
// it guarantees): the socket, the pipeline of pending commands, the one
// deadline timer, the handshake and the reconnects. It lives in a
// shared_ptr, and every asynchronous operation it starts holds a reference,
// so a completion that comes after the owner closed it finds it alive.
//
// Threads: everything below the entry points runs on the strand. Time: the
// deadlines and the backoff are read from Clock, through Asio's timers.
// Failures: a completion carrying an older epoch belongs to a socket that is
// gone and is ignored; every failure path fails the pending commands with
// the code that says whether they were sent (error.hpp).

#include <apikit/core/random.hpp>
#include <apikit/redis/command.hpp>
#include <apikit/redis/connection.hpp>
#include <apikit/redis/detail/completion.hpp>
#include <apikit/redis/detail/reader.hpp>
#include <apikit/redis/detail/request.hpp>
#include <apikit/redis/error.hpp>
#include <apikit/redis/options.hpp>
#include <apikit/redis/reply.hpp>
#include <apikit/redis/script.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace apikit::redis::detail {

namespace asio = boost::asio;

template <class Clock, class WaitTraits>
class connection_impl : public std::enable_shared_from_this<connection_impl<Clock, WaitTraits>> {
public:
    using strand_type = asio::strand<asio::any_io_executor>;
    using timer_type = asio::basic_waitable_timer<Clock, WaitTraits, asio::any_io_executor>;
    using time_point = typename Clock::time_point;
    using tcp = asio::ip::tcp;

    connection_impl(asio::any_io_executor ex, connection_options opts)
        : opts_(std::move(opts))
        , strand_(asio::make_strand(std::move(ex)))
        , socket_(strand_)
        , resolver_(strand_)
        , deadline_timer_(strand_)
        , retry_timer_(strand_) {
        opts_.validate();
    }

    [[nodiscard]] strand_type const& strand() const noexcept { return strand_; }
    [[nodiscard]] connection_options const& options() const noexcept { return opts_; }
    [[nodiscard]] connection_state state() const noexcept {
        return published_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t connects() const noexcept {
        return connects_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] connection_stats stats() const noexcept {
        auto const get = [](std::atomic<std::uint64_t> const& a) {
            return a.load(std::memory_order_relaxed);
        };
        connection_stats s;
        s.state = state();
        s.in_flight = get(in_flight_);
        s.replies = get(replies_);
        s.failures.not_connected = get(command_failures_[0]);
        s.failures.queue_full = get(command_failures_[1]);
        s.failures.timeout = get(command_failures_[2]);
        s.failures.connection_lost = get(command_failures_[3]);
        s.failures.closed = get(command_failures_[4]);
        s.failures.other = get(command_failures_[5]);
        s.connects = connects();
        s.connect_failures = get(connect_failures_);
        s.disconnects = get(disconnects_);
        return s;
    }

    // --- Entry points: callable from any thread. Off the strand they post to
    // it; on it (a handler issuing the next command) they queue the command
    // at once. Either way nothing completes inside the call that started it.

    void start() {
        asio::post(strand_, [self = this->shared_from_this()] {
            if (self->state_ == connection_state::idle)
                self->begin_connect();
        });
    }

    void submit(request rq, exec_completion done) {
        if (strand_.running_in_this_thread()) {
            if (auto const ec = enqueue(rq, done))
                refuse(std::move(done), ec);
            return;
        }
        asio::post(strand_, [self = this->shared_from_this(), rq = std::move(rq),
                             done = std::move(done)]() mutable {
            if (auto const ec = self->enqueue(rq, done)) {
                self->count_failure(ec);
                done(ec, reply{});
            }
        });
    }

    /// A cluster's ASK redirection (cluster_client.hpp): ASKING, then the
    /// command, queued together on the strand so that no other command can
    /// come between them — ASKING holds for the next command on the
    /// connection only. ASKING's own reply (+OK) is dropped.
    void submit_asking(request rq, exec_completion done) {
        asio::dispatch(strand_, [self = this->shared_from_this(), rq = std::move(rq),
                                 done = std::move(done)]() mutable {
            request asking;
            asking.cmd = command{"ASKING"};
            asking.timeout = rq.timeout;
            exec_completion ignore([](boost::system::error_code, reply) {}, self->strand_);
            auto ec = self->enqueue(asking, ignore);
            if (!ec)
                ec = self->enqueue(rq, done);
            if (ec) {
                self->count_failure(ec);
                done(ec, reply{});
            }
        });
    }

    /// Completes `done` with `ec`, later, on the strand.
    void refuse(exec_completion done, boost::system::error_code ec) {
        count_failure(ec);
        asio::post(strand_, [done = std::move(done), ec]() mutable { done(ec, reply{}); });
    }

    void wait_ready(wait_completion done) {
        asio::post(strand_, [self = this->shared_from_this(), done = std::move(done)]() mutable {
            switch (self->state_) {
            case connection_state::closed:
                return done(make_error_code(error::closed));
            case connection_state::ready:
                return done(boost::system::error_code{});
            case connection_state::idle:
                self->waiters_.push_back(std::move(done));
                return self->begin_connect();
            default:
                self->waiters_.push_back(std::move(done));
            }
        });
    }

    void close() {
        asio::post(strand_, [self = this->shared_from_this()] { self->do_close(); });
    }

private:
    struct pending {
        exec_completion done;
        time_point deadline;
        std::size_t bytes; // its share of out_, while unsent
        script code;       // a script call not yet resent by source; else empty
        std::string tail;
        std::size_t n;
    };

    enum class step : std::uint8_t { auth, select, ping };

    // While a read's replies are handed out, commands their handlers issue
    // are written in groups of this many.
    static constexpr std::size_t early_flush = 16;

    void publish(connection_state s) noexcept {
        state_ = s;
        published_.store(s, std::memory_order_relaxed);
    }

    // --- Figures (stats()): counted on the strand, read anywhere.

    static void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) noexcept {
        a.fetch_add(n, std::memory_order_relaxed);
    }

    void count_failure(boost::system::error_code ec) noexcept {
        std::size_t i = 5;
        if (ec == error::not_connected)
            i = 0;
        else if (ec == error::queue_full)
            i = 1;
        else if (ec == error::timeout)
            i = 2;
        else if (ec == error::connection_lost)
            i = 3;
        else if (ec == error::closed)
            i = 4;
        bump(command_failures_[i]);
    }

    void publish_in_flight() noexcept {
        in_flight_.store(pending_.size(), std::memory_order_relaxed);
    }

    // --- Commands.

    // Queues the request, taking `done`; or leaves `done` and says why not.
    [[nodiscard]] boost::system::error_code enqueue(request& rq, exec_completion& done) {
        if (state_ == connection_state::closed)
            return make_error_code(error::closed);
        if (pending_.size() >= opts_.max_pending)
            return make_error_code(error::queue_full);
        if (state_ != connection_state::ready &&
            !(state_ == connection_state::connecting && pending_.size() < opts_.offline_queue))
            return make_error_code(error::not_connected);
        // A deadline already past would reset a healthy connection for
        // nothing: such a command fails alone, unsent.
        if (rq.timeout.count() <= 0)
            return make_error_code(error::timeout);
        auto const deadline =
            Clock::now() + std::chrono::ceil<typename Clock::duration>(rq.timeout);
        auto const before = out_.size();
        if (rq.code)
            rq.code.append_evalsha(out_, rq.tail, rq.n);
        else
            out_.append(rq.cmd.resp());
        pending_.push_back({std::move(done), deadline, out_.size() - before, std::move(rq.code),
                            std::move(rq.tail), rq.n});
        publish_in_flight();
        arm_deadline(deadline);
        if (state_ == connection_state::ready && !reading_)
            schedule_flush();
        return {};
    }

    // A write starts from a post, after the commands already posted to the
    // strand have been appended, so one burst leaves in one write. Commands
    // queued by handlers while replies are read leave when the read's
    // replies are all handed out.
    void schedule_flush() {
        if (flush_scheduled_ || write_in_flight_)
            return;
        flush_scheduled_ = true;
        asio::post(strand_, [self = this->shared_from_this()] {
            self->flush_scheduled_ = false;
            self->flush();
        });
    }

    // Hands everything queued to the socket. The socket is written directly
    // (it is non-blocking): a write that the kernel takes whole — the usual
    // case — costs one system call and no completion; only the rest of a
    // partial write waits for Asio.
    void flush() {
        if (state_ != connection_state::ready || write_in_flight_ || out_.empty())
            return;
        written_ = pending_.size();
        boost::system::error_code ec;
        auto n = socket_.write_some(asio::buffer(out_), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            ec = {};
            n = 0;
        }
        if (ec)
            return drop(make_error_code(error::connection_lost));
        if (n == out_.size()) {
            out_.clear();
            return;
        }
        writing_.assign(out_, n);
        out_.clear();
        write(writing_);
    }

    void write(std::string const& bytes) {
        write_in_flight_ = true;
        asio::async_write(
            socket_, asio::buffer(bytes),
            [self = this->shared_from_this(), e = epoch_](boost::system::error_code ec,
                                                          std::size_t) { self->on_write(e, ec); });
    }

    void on_write(std::uint64_t epoch, boost::system::error_code ec) {
        if (epoch != epoch_)
            return;
        write_in_flight_ = false;
        writing_.clear();
        if (ec)
            return drop(make_error_code(error::connection_lost));
        flush();
    }

    void read() {
        socket_.async_read_some(
            asio::buffer(rbuf_),
            [self = this->shared_from_this(),
             e = epoch_](boost::system::error_code ec, std::size_t n) { self->on_read(e, ec, n); });
    }

    void on_read(std::uint64_t epoch, boost::system::error_code ec, std::size_t n) {
        if (epoch != epoch_)
            return;
        if (ec)
            return drop(make_error_code(error::connection_lost));
        if (!reader_->feed(rbuf_.data(), n))
            return drop(make_error_code(error::protocol_error));
        // The bytes are in the reader: the buffer is free for the next read,
        // which is started before any handler runs, so a handler that throws
        // cannot leave the connection deaf.
        read();
        hand_out(epoch);
    }

    // Hands the replies in the reader to their handlers, then writes what
    // the handlers issued.
    void hand_out(std::uint64_t epoch) {
        reading_ = true;
        try {
            handle_replies(epoch);
        } catch (...) {
            // A handler threw, out of io_context::run as with any Asio
            // handler. The replies after its own are already read: they are
            // handed out from a post, and what was issued is written.
            if (epoch == epoch_) {
                reading_ = false;
                asio::post(strand_, [self = this->shared_from_this(), epoch] {
                    if (epoch == self->epoch_)
                        self->hand_out(epoch);
                });
            }
            throw;
        }
        if (epoch == epoch_) {
            reading_ = false;
            flush();
        }
    }

    void handle_replies(std::uint64_t epoch) {
        reply r;
        for (;;) {
            auto const st = reader_->next(r);
            if (st == reader::status::need_more)
                return;
            if (st == reader::status::error)
                return drop(make_error_code(error::protocol_error));
            if (state_ == connection_state::connecting) {
                on_handshake_reply(r);
                if (epoch != epoch_)
                    return;
                continue;
            }
            if (pending_.empty()) // a reply nobody asked for: the stream is out of step
                return drop(make_error_code(error::protocol_error));
            pending p = std::move(pending_.front());
            pending_.pop_front();
            if (written_ > 0)
                --written_;
            // The script did not run: send its source, which runs it and
            // caches it again. Once: a second NOSCRIPT is the caller's reply.
            if (p.code && r.is_error_code("NOSCRIPT")) {
                auto const before = out_.size();
                p.code.append_eval(out_, p.tail, p.n);
                p.bytes = out_.size() - before;
                p.code = script();
                p.tail = {};
                pending_.push_back(std::move(p));
                continue;
            }
            publish_in_flight();
            bump(replies_);
            p.done({}, std::move(r));
            if (epoch != epoch_)
                return;
            // Commands issued by the handlers so far leave now rather than
            // after the whole read: Redis works on them while the rest of
            // the replies are handed out.
            if (pending_.size() - written_ >= early_flush) {
                flush();
                if (epoch != epoch_) // the write failed: the connection is gone
                    return;
            }
        }
    }

    // --- Deadlines: one timer, armed at the earliest deadline it knows of.
    // Most commands share one timeout, so deadlines grow with the queue and
    // re-arming (a cancel) happens only for a command with a shorter one.

    void arm_deadline(time_point d) {
        if (armed_ && armed_at_ <= d)
            return;
        armed_ = true;
        armed_at_ = d;
        deadline_timer_.expires_at(d);
        deadline_timer_.async_wait(
            [self = this->shared_from_this(), g = ++deadline_gen_](boost::system::error_code ec) {
                if (!ec)
                    self->on_deadline(g);
            });
    }

    void on_deadline(std::uint64_t gen) {
        if (gen != deadline_gen_)
            return;
        armed_ = false;
        if (pending_.empty() || state_ == connection_state::closed)
            return;
        auto const now = Clock::now();
        auto earliest = pending_.front().deadline;
        for (auto const& p : pending_)
            earliest = std::min(earliest, p.deadline);
        if (now < earliest)
            return arm_deadline(earliest);
        if (state_ == connection_state::connecting)
            return expire_unsent(now);
        drop(make_error_code(error::timeout));
    }

    // While connecting nothing has been sent: commands past their deadline
    // fail alone, and the attempt goes on.
    void expire_unsent(time_point now) {
        std::deque<pending> keep;
        std::vector<pending> expired;
        std::string bytes;
        std::size_t offset = 0;
        for (auto& p : pending_) {
            auto const n = p.bytes;
            if (p.deadline <= now) {
                expired.push_back(std::move(p));
            } else {
                bytes.append(out_, offset, n);
                keep.push_back(std::move(p));
            }
            offset += n;
        }
        pending_ = std::move(keep);
        out_ = std::move(bytes);
        publish_in_flight();
        if (!pending_.empty()) {
            auto earliest = pending_.front().deadline;
            for (auto const& p : pending_)
                earliest = std::min(earliest, p.deadline);
            arm_deadline(earliest);
        }
        for (auto& p : expired) {
            bump(command_failures_[2]);
            p.done(make_error_code(error::timeout), reply{});
        }
    }

    // --- Connecting.

    void begin_connect() {
        publish(connection_state::connecting);
        ++epoch_;
        reader_.emplace();
        handshake_.clear();
        auto const gen = ++retry_gen_;
        retry_timer_.expires_after(
            std::chrono::ceil<typename Clock::duration>(opts_.connect_timeout));
        retry_timer_.async_wait(
            [self = this->shared_from_this(), gen](boost::system::error_code ec) {
                if (!ec && gen == self->retry_gen_ && self->state_ == connection_state::connecting)
                    self->fail_attempt(make_error_code(error::timeout));
            });

        boost::system::error_code ec;
        auto const address = asio::ip::make_address(opts_.server.host, ec);
        if (!ec) {
            connect(std::array{tcp::endpoint(address, opts_.server.port)});
            return;
        }
        resolver_.async_resolve(
            opts_.server.host, std::to_string(opts_.server.port),
            [self = this->shared_from_this(), e = epoch_](boost::system::error_code ec,
                                                          tcp::resolver::results_type results) {
                if (e != self->epoch_)
                    return;
                if (ec)
                    return self->fail_attempt(ec);
                self->connect(results);
            });
    }

    template <class Endpoints>
    void connect(Endpoints const& endpoints) {
        asio::async_connect(socket_, endpoints,
                            [self = this->shared_from_this(),
                             e = epoch_](boost::system::error_code ec, tcp::endpoint const&) {
                                if (e != self->epoch_)
                                    return;
                                if (ec)
                                    return self->fail_attempt(ec);
                                self->handshake();
                            });
    }

    // AUTH and SELECT when configured, then PING: a server still loading its
    // data answers -LOADING, and is not ready for commands.
    void handshake() {
        boost::system::error_code ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        socket_.non_blocking(true, ignored);
        std::string bytes;
        auto const& s = opts_.server;
        if (!s.password.empty()) {
            if (s.user.empty())
                detail::append_resp(bytes, std::array{arg("AUTH"), arg(s.password)});
            else
                detail::append_resp(bytes, std::array{arg("AUTH"), arg(s.user), arg(s.password)});
            handshake_.push_back(step::auth);
        }
        if (s.database != 0) {
            detail::append_resp(bytes, std::array{arg("SELECT"), arg(s.database)});
            handshake_.push_back(step::select);
        }
        detail::append_resp(bytes, std::array{arg("PING")});
        handshake_.push_back(step::ping);
        writing_ = std::move(bytes);
        write(writing_);
        read();
    }

    void on_handshake_reply(reply const& r) {
        if (handshake_.empty())
            return drop(make_error_code(error::protocol_error));
        auto const s = handshake_.front();
        handshake_.erase(handshake_.begin());
        // NOAUTH: a password is needed and none was given.
        if (r.is_error())
            return fail_attempt(make_error_code(s == step::auth || r.is_error_code("NOAUTH")
                                                    ? error::auth_failed
                                                    : error::handshake_failed));
        if (handshake_.empty())
            become_ready();
    }

    void become_ready() {
        publish(connection_state::ready);
        failures_ = 0;
        connects_.fetch_add(1, std::memory_order_relaxed);
        ++retry_gen_;
        retry_timer_.cancel();
        finish_waiters({});
        if (!reading_)
            flush();
    }

    void finish_waiters(boost::system::error_code ec) {
        auto waiters = std::move(waiters_);
        waiters_.clear();
        for (auto& w : waiters)
            w(ec);
    }

    // --- Failing. The state is set first: a handler completed here that
    // issues a command at once meets the state the connection is really in.

    void teardown() {
        ++epoch_;
        boost::system::error_code ignored;
        socket_.close(ignored);
        resolver_.cancel();
        reader_.reset();
        handshake_.clear();
        write_in_flight_ = false;
        reading_ = false;
        writing_.clear();
        out_.clear();
    }

    // Every command waiting for a reply fails: past its deadline with
    // timeout, sent with connection_lost, unsent with not_connected (or
    // `forced` for all, on close).
    void fail_pending(std::optional<boost::system::error_code> forced = {}) {
        auto const now = Clock::now();
        auto list = std::move(pending_);
        pending_.clear();
        publish_in_flight();
        auto const sent = std::exchange(written_, 0);
        std::size_t i = 0;
        for (auto& p : list) {
            boost::system::error_code ec;
            if (forced)
                ec = *forced;
            else if (p.deadline <= now)
                ec = make_error_code(error::timeout);
            else
                ec = make_error_code(i < sent ? error::connection_lost : error::not_connected);
            ++i;
            count_failure(ec);
            p.done(ec, reply{});
        }
    }

    // A connection that was up broke (or one being made failed mid-way).
    void drop(boost::system::error_code why) {
        if (state_ == connection_state::connecting)
            return fail_attempt(why);
        bump(disconnects_);
        teardown();
        reconnect([this] { fail_pending(); });
    }

    void fail_attempt(boost::system::error_code why) {
        bump(connect_failures_);
        teardown();
        ++failures_;
        reconnect([this, why] {
            fail_pending();
            finish_waiters(why);
        });
    }

    // Moves to `connecting` (now) or `backoff` (waiting), runs `notify`, then
    // starts the attempt or the wait.
    template <class Notify>
    void reconnect(Notify notify) {
        auto const wait = opts_.reconnect.delay(failures_, random_unit());
        publish(wait.count() == 0 ? connection_state::connecting : connection_state::backoff);
        notify();
        if (state_ == connection_state::closed)
            return;
        if (wait.count() == 0)
            return begin_connect();
        auto const gen = ++retry_gen_;
        retry_timer_.expires_after(std::chrono::ceil<typename Clock::duration>(wait));
        retry_timer_.async_wait(
            [self = this->shared_from_this(), gen](boost::system::error_code ec) {
                if (!ec && gen == self->retry_gen_ && self->state_ == connection_state::backoff)
                    self->begin_connect();
            });
    }

    void do_close() {
        if (state_ == connection_state::closed)
            return;
        publish(connection_state::closed);
        teardown();
        ++retry_gen_;
        ++deadline_gen_;
        armed_ = false;
        retry_timer_.cancel();
        deadline_timer_.cancel();
        fail_pending(boost::system::error_code(asio::error::operation_aborted));
        finish_waiters(asio::error::operation_aborted);
    }

    connection_options opts_;
    strand_type strand_;
    tcp::socket socket_;
    tcp::resolver resolver_;
    timer_type deadline_timer_;
    timer_type retry_timer_; // the connect timeout, then the backoff

    connection_state state_ = connection_state::idle;
    std::atomic<connection_state> published_{connection_state::idle};
    std::atomic<std::uint64_t> connects_{0};
    std::atomic<std::uint64_t> in_flight_{0};
    std::atomic<std::uint64_t> replies_{0};
    std::atomic<std::uint64_t> connect_failures_{0};
    std::atomic<std::uint64_t> disconnects_{0};
    // not_connected, queue_full, timeout, connection_lost, closed, other
    std::array<std::atomic<std::uint64_t>, 6> command_failures_{};

    // Bumped whenever the socket is closed: a completion that carries an
    // older epoch belongs to a connection that is gone, and is ignored.
    std::uint64_t epoch_ = 0;
    unsigned failures_ = 0; // consecutive failed attempts
    std::uint64_t retry_gen_ = 0;
    std::uint64_t deadline_gen_ = 0;
    bool armed_ = false;
    time_point armed_at_{};

    std::deque<pending> pending_; // in send order; the first written_ are on the wire
    std::size_t written_ = 0;
    std::string out_;     // commands not yet handed to a write
    std::string writing_; // the bytes of the write in flight
    bool write_in_flight_ = false;
    bool flush_scheduled_ = false;
    bool reading_ = false; // handing out a read's replies; it flushes after

    std::vector<step> handshake_;
    std::vector<wait_completion> waiters_;
    std::optional<reader> reader_;
    std::array<char, 64 * 1024> rbuf_;
};

} // namespace apikit::redis::detail

#endif
