#ifndef APIKIT_HTTP_DETAIL_CONNECTION_HPP
#define APIKIT_HTTP_DETAIL_CONNECTION_HPP

// One client connection: reads requests, runs each through the chain, writes
// the responses, in order, and enforces the limits and timeouts.
//
// The hot path allocates nothing once a connection has served its first
// request: the read buffer, the header arena, the request body, the
// exchange and the output buffer are the connection's and are reused. The
// parser is re-emplaced per request (its fields come from the arena); each
// response is serialized — status line, fields, body — into one output
// buffer, and every response to requests already buffered (pipelining) goes
// out in the same write.
//
// Reading and writing alternate: a connection reads only when it has nothing
// to write, so a client that pipelines faster than it reads is throttled by
// its own receive window. Each phase has a deadline, checked by the worker's
// sweep:
//
//   waiting for the first request    header_timeout from accept
//   idle between requests            idle_timeout       → closed silently
//   receiving a header               header_timeout from its first byte → 408
//   receiving a body                 body_timeout from the end of the header → 408
//   in the handler                   none (the shutdown grace bounds it)
//   writing                          write_timeout      → closed
//
// After a response that closes the connection, the server shuts down its
// sending side and discards what the client still sends for a moment
// (lingering close), so that the client reads the response rather than a
// reset caused by unread data.
//
// It counts what its worker reports (stats.hpp) in the worker's counters,
// which only this thread writes: a request costs two increments.

#include <apikit/api/error_format.hpp>
#include <apikit/core/error.hpp>
#include <apikit/http/detail/date.hpp>
#include <apikit/http/detail/transfer_coding.hpp>
#include <apikit/http/detail/worker.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/message.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <sys/socket.h>

namespace apikit::http::detail {

/// Sizes that trade memory for system calls; see docs/http.md.
struct connection_tuning {
    static constexpr std::size_t min_read = 1024;           // smallest read
    static constexpr std::size_t max_read = 64 * 1024;      // largest read
    static constexpr std::size_t arena_block = 2048;        // header fields of a request
    static constexpr std::size_t flush_bytes = 64 * 1024;   // write out a batch this big
    static constexpr std::size_t keep_capacity = 64 * 1024; // give back bigger buffers
    static constexpr std::size_t max_linger_bytes = 1024 * 1024;
    static constexpr std::chrono::milliseconds linger_time{2000};
};

inline std::string_view reason_of(unsigned status) noexcept {
    auto const r =
        boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
    if (r.empty() || r.front() == '<') // Beast's "<unknown-status>"
        return api::reason_phrase(status);
    return {r.data(), r.size()};
}

template <class Chain, class Format>
class connection final : public connection_base,
                         public exchange_owner,
                         public std::enable_shared_from_this<connection<Chain, Format>> {
    using tcp = boost::asio::ip::tcp;
    using tuning = connection_tuning;

public:
    connection(worker& w, Chain const& chain, socket_type socket)
        : w_(w)
        , opts_(w.options())
        , chain_(chain)
        , socket_(std::move(socket))
        , buffer_(opts_.header_limit + tuning::max_read)
        , arena_(tuning::arena_block)
        , ex_(w.context().get_executor(), *this) {}

    connection(connection const&) = delete;
    connection& operator=(connection const&) = delete;

    ~connection() {
        // The request view and the parser refer to the arena: they go first.
        ex_.request().clear();
        parser_.reset();
        if (busy_) // closed with a request unanswered
            w_.counters().completed.bump();
        w_.remove(*this);
    }

    void start() {
        w_.add(*this);
        boost::system::error_code ec;
        remote_ = socket_.remote_endpoint(ec);
        socket_.set_option(tcp::no_delay(true), ec);
        now_ = std::chrono::steady_clock::now();
        phase_ = phase::first;
        idle_since_ = now_;
        header_deadline_ = now_ + opts_.header_timeout;
        if (w_.stopping()) {
            w_.counters().refused.bump();
            return close_now();
        }
        advance();
    }

    // exchange_owner

    std::shared_ptr<void> keep_alive() override { return this->shared_from_this(); }

    void exchange_resumed() override {
        if (phase_ == phase::closed || !busy_ || !ex_.completed())
            return; // closed meanwhile, or suspended again further down
        // The write's deadline runs from now, not from the request: the
        // layer that suspended may have taken longer than write_timeout.
        now_ = std::chrono::steady_clock::now();
        finish_exchange(false);
        advance();
    }

    // The envelope serialize() sends for the exchange's error, stamped and
    // rendered the same way, to be measured (the access log's
    // body_bytes_sent). serialize() then sends this rendering, unless a layer
    // changed the error since.
    std::size_t error_body_size(exchange const&) override {
        auto& e = *ex_.response().error();
        e.request_id.assign(ex_.request().request_id());
        auto& r = last_rendered();
        r.valid = false;
        r.body.clear();
        Format::append(r.body, e);
        r.error = e;
        r.valid = true;
        return r.body.size();
    }

    // connection_base

    void on_deadline(steady_time) override {
        switch (phase_) {
        case phase::header:
        case phase::body:
            // The read is cancelled; its handler answers 408.
            timed_out_ = true;
            deadline = steady_time::max();
            socket_.cancel();
            return;
        case phase::handler:
            return;
        case phase::writing:
            w_.counters().write_failures.bump();
            return close_now();
        default: // waiting for a request, lingering
            return close_now();
        }
    }

    void on_shutdown() override {
        stopping_ = true;
        if ((phase_ == phase::first || phase_ == phase::idle) && !busy_ && !writing_)
            close_now();
        // Anything else finishes its request; the response says
        // `Connection: close` and the connection closes after it.
    }

    void on_force_close() override { close_now(); }

    // A connection waiting for a whole sweep interval (between requests, or
    // before its first) gives back its buffers, the read buffer included:
    // its pending read is swapped for a wait for readability, which needs
    // none. What it keeps is the object itself.
    void on_idle_trim(steady_time now) override {
        bool const waiting = phase_ == phase::idle || phase_ == phase::first;
        if (!waiting || trimmed_ || now - idle_since_ < w_.sweep_interval())
            return;
        trimmed_ = true;
        if (parser_)
            std::string().swap(parser_->get().body());
        arena_.release();
        std::string().swap(out_);
        std::string().swap(wbuf_);
        std::string().swap(body_store_);
        ex_.response().shrink(0);
        ex_.request().request_id_buffer().shrink_to_fit();
        if (reading_ && buffer_.size() == 0) {
            parking_ = true;
            socket_.cancel(); // on_read parks the connection
        }
    }

private:
    enum class phase : std::uint8_t {
        first,     // connected, no byte yet
        idle,      // between requests
        header,    // part of a header received
        body,      // header complete, body incomplete
        handler,   // the chain is running (or suspended)
        writing,   // nothing else to do but write
        lingering, // closing: discarding input
        closed,
    };

    enum class parse_status : std::uint8_t { complete, need_more, failed };

    bool request_started() const noexcept {
        return buffer_.size() != 0 || (parser_ && parser_->got_some());
    }

    // Does everything that can be done now, then starts one I/O operation,
    // or none while the chain is suspended.
    void advance() {
        while (!busy_ && !close_after_ && phase_ != phase::closed) {
            if (stopping_ && !request_started()) {
                close_after_ = true;
                break;
            }
            auto const status = parse();
            if (status == parse_status::need_more)
                break;
            if (status == parse_status::failed)
                break; // the error response is in out_ and the connection closes
            run_exchange();
            if (out_.size() >= tuning::flush_bytes)
                break;
        }
        if (phase_ == phase::closed)
            return;
        if (!out_.empty() && !writing_)
            start_write();
        if (writing_ || busy_)
            return;
        if (close_after_)
            return begin_close();
        start_read();
    }

    void new_parser() {
        // The body string of the previous request, emptied but with its
        // capacity, becomes the body of the next.
        parser_.emplace(std::piecewise_construct, std::make_tuple(std::move(body_store_)),
                        std::make_tuple(arena_allocator<char>(arena_)));
        parser_->header_limit(opts_.header_limit);
        parser_->body_limit(opts_.body_limit);
        header_checked_ = false;
        header_bytes_ = 0;
    }

    void recycle_parser() {
        if (!parser_)
            return;
        body_store_ = std::move(parser_->get().body());
        body_store_.clear();
        if (body_store_.capacity() > tuning::keep_capacity)
            std::string().swap(body_store_);
        parser_.reset();
    }

    parse_status parse() {
        if (!parser_)
            new_parser();
        boost::beast::error_code ec;
        for (;;) {
            if (parser_->is_done())
                return parse_status::complete;
            if (buffer_.size() == 0)
                return parse_status::need_more;
            if (header_bytes_ == 0) {
                // RFC 9112 §2.2: a server SHOULD ignore at least one empty
                // line before a request-line (some clients end a POST's body
                // with an extra CRLF). One is ignored, and counts toward the
                // header limit; a second is the parser's to refuse.
                auto const* p = static_cast<char const*>(buffer_.data().data());
                if (p[0] == '\r') {
                    if (buffer_.size() == 1)
                        return parse_status::need_more;
                    if (p[1] == '\n') {
                        buffer_.consume(2);
                        header_bytes_ = 2;
                        continue;
                    }
                }
            }
            auto const n = parser_->put(buffer_.data(), ec);
            buffer_.consume(n);
            if (!header_checked_)
                header_bytes_ += n;
            if (ec == boost::beast::http::error::need_more) {
                // Beast applies its header limit to what it has not yet
                // consumed, and it consumes field by field: the total is
                // counted here.
                if (!header_checked_ && header_bytes_ + buffer_.size() > opts_.header_limit)
                    return fail(errc::headers_too_large);
                return parse_status::need_more;
            }
            if (ec == boost::beast::http::error::bad_transfer_encoding && !header_checked_)
                return fail(refused_transfer_encoding(parser_->get(), unparsed()));
            if (ec)
                return fail(error_for(ec));
            if (!header_checked_ && parser_->is_header_done()) {
                header_checked_ = true;
                if (header_bytes_ > opts_.header_limit)
                    return fail(errc::headers_too_large);
                if (auto const r = check_header())
                    return fail(*r);
                if (!parser_->is_done())
                    on_header_done();
            }
        }
    }

    static errc error_for(boost::beast::error_code const& ec) noexcept {
        namespace bh = boost::beast::http;
        if (ec == bh::error::header_limit)
            return errc::headers_too_large;
        if (ec == bh::error::body_limit)
            return errc::payload_too_large;
        // Everything else is broken framing or syntax: two different
        // Content-Lengths, Content-Length with Transfer-Encoding, a bad
        // chunk, a bad token.
        return errc::malformed_request;
    }

    // What the parser has not consumed: after a refused field, that field.
    std::string_view unparsed() const noexcept {
        return {static_cast<char const*>(buffer_.data().data()), buffer_.size()};
    }

    // RFC 9112 checks Beast leaves to the server, and the body limit decided
    // from Content-Length before any of the body is read.
    std::optional<framing_refusal> check_header() const {
        auto const& msg = parser_->get();
        namespace bh = boost::beast::http;
        // Only the versions this server speaks (2.0's preface, 0.9 or 9.9
        // are not requests it can answer in kind).
        if (msg.version() != 10 && msg.version() != 11)
            return errc::malformed_request;
        // One pass over the fields, which a request has a handful of, rather
        // than two lookups in Beast's index of them (count() alone costs
        // more than the whole pass).
        std::size_t hosts = 0;
        bool transfer_encoding = false;
        for (auto const& f : msg) {
            hosts += f.name() == bh::field::host ? 1 : 0;
            transfer_encoding |= f.name() == bh::field::transfer_encoding;
        }
        // §3.2: an HTTP/1.1 request has exactly one Host.
        if (msg.version() >= 11 && hosts != 1)
            return errc::malformed_request;
        // §6.1, §6.3, §7: only `chunked`, once (detail/transfer_coding.hpp).
        if (transfer_encoding)
            if (auto const r = check_transfer_encoding(msg, parser_->content_length().has_value(),
                                                       parser_->chunked()))
                return r;
        if (auto const len = parser_->content_length(); len && *len > opts_.body_limit)
            return errc::payload_too_large;
        return std::nullopt;
    }

    void on_header_done() {
        using namespace std::string_view_literals;
        body_deadline_ = now_ + opts_.body_timeout;
        auto const& msg = parser_->get();
        auto const expect = msg.find(boost::beast::http::field::expect);
        if (expect != msg.end() && msg.version() >= 11 &&
            detail::iequals(std::string_view(expect->value()), "100-continue"))
            out_.append("HTTP/1.1 100 Continue\r\n\r\n"sv);
    }

    parse_status fail(framing_refusal r) {
        respond_error(r.code, r.message);
        return parse_status::failed;
    }

    // The server's own answer to a request no layer saw. It always closes:
    // after broken framing the rest of the input cannot be trusted.
    void respond_error(errc e, std::string_view message = {}) {
        ex_.reset(now_, remote_);
        if (parser_)
            ex_.request().bind_partial(parser_->get());
        if (message.empty()) {
            ex_.response().error(e);
        } else {
            ex_.response().error(e, std::string(message));
            if (info(e).status >= 500) // its text is shown to the log, not the client
                ex_.log_detail(message);
        }
        auto& counters = w_.counters();
        counters.started.bump();
        if (e == errc::request_timeout)
            counters.timeouts.bump();
        else
            counters.bad_requests.bump();
        busy_ = true;
        chain_.respond(ex_);
        finish_exchange(true);
    }

    void run_exchange() {
        w_.counters().started.bump();
        busy_ = true;
        trimmed_ = false;
        if (!writing_) { // else the write's deadline stands until it is done
            phase_ = phase::handler;
            deadline = steady_time::max();
        }
        ex_.reset(now_, remote_);
        if (ex_.request().bind(parser_->get())) {
            chain_.start(ex_);
        } else {
            // A target that is no URI reference: well framed, so the
            // connection may stay open.
            ex_.response().error(errc::malformed_request);
            chain_.respond(ex_);
        }
        if (ex_.completed())
            finish_exchange(false);
    }

    void finish_exchange(bool force_close) {
        auto& req = ex_.request();
        bool const complete = parser_ && parser_->is_done();
        bool const close = force_close || !complete || stopping_ ||
                           ex_.response().closes_connection() || !req.keep_alive();
        bool const head = req.method() == api::method::head;
        unsigned const version = complete ? parser_->get().version() : 11;
        serialize(close, head, version);
        req.clear();
        recycle_parser();
        busy_ = false;
        auto& counters = w_.counters();
        counters.completed.bump();
        if (ex_.response().status() >= 500)
            counters.server_errors.bump();
        header_deadline_ = now_ + opts_.header_timeout; // for a pipelined request
        if (close)
            close_after_ = true;
    }

    // The last error envelope error_body_size rendered on this thread. An
    // envelope is a function of its error (and of Format, one per connection
    // type), so serialize() copies it for an equal error rather than render
    // it twice: a thousand instructions an error response.
    struct rendered_error {
        api::api_error error;
        std::string body;
        bool valid = false;
    };
    [[nodiscard]] static rendered_error& last_rendered() noexcept {
        thread_local rendered_error r;
        return r;
    }

    void serialize(bool close, bool head, unsigned version) {
        using namespace std::string_view_literals;
        auto& res = ex_.response();
        if (auto* e = res.error()) {
            e->request_id.assign(ex_.request().request_id());
            res.body().clear();
            auto& r = last_rendered();
            if (r.valid && r.error == *e)
                res.body().append(r.body);
            else
                Format::append(res.body(), *e);
            r.valid = false;
            if (r.body.capacity() > tuning::keep_capacity)
                r = {};
            res.content_type(Format::content_type);
        }
        auto const status = res.status();
        auto const reason = reason_of(status);
        auto const type = res.content_type();
        auto const fields = res.fields();
        std::string_view const body = res.body();
        bool const bodiless = status == 204 || status == 304;
        std::string_view const connection = close          ? "Connection: close\r\n"sv
                                            : version < 11 ? "Connection: keep-alive\r\n"sv
                                                           : ""sv;
        // The head is sized once and written through a pointer: it is a
        // dozen pieces, and a dozen appends cost more than the copying. 104
        // bytes hold its fixed text, the status and the length (79 at most).
        std::size_t const most = 104 + reason.size() + type.size() + imf_fixdate_size +
                                 fields.size() + connection.size();
        auto const start = out_.size();
        out_.resize(start + most);
        char* o = out_.data() + start;
        auto const put = [&o](std::string_view piece) {
            std::memcpy(o, piece.data(), piece.size());
            o += piece.size();
        };
        auto const put_decimal = [&o](std::uint64_t v) { o = std::to_chars(o, o + 20, v).ptr; };
        put("HTTP/1.1 "sv);
        put_decimal(status);
        *o++ = ' ';
        put(reason);
        if (!type.empty()) {
            put("\r\nContent-Type: "sv);
            put(type);
        }
        if (!bodiless) {
            put("\r\nContent-Length: "sv);
            put_decimal(body.size());
        }
        put("\r\nDate: "sv);
        put(http_date(coarse_system_now()));
        put("\r\n"sv);
        put(fields);
        put(connection);
        put("\r\n"sv);
        out_.resize(static_cast<std::size_t>(o - out_.data()));
        // The body is appended, not written into the resized space: resize
        // would first zero what the copy then overwrites.
        if (!head && !bodiless)
            out_.append(body);
    }

    void start_read() {
        if (!request_started()) {
            if (phase_ != phase::first && phase_ != phase::idle) {
                phase_ = phase::idle;
                idle_since_ = now_;
                deadline = now_ + opts_.idle_timeout;
            } else if (phase_ == phase::first) {
                deadline = header_deadline_;
            }
            if (buffer_.capacity() > tuning::keep_capacity)
                buffer_.shrink_to_fit();
        } else if (parser_ && parser_->is_header_done()) {
            phase_ = phase::body;
            deadline = body_deadline_;
        } else {
            phase_ = phase::header;
            deadline = header_deadline_;
        }
        auto const room = buffer_.max_size() - buffer_.size();
        if (room == 0) {
            // Only a line the parser cannot finish (a chunk header without
            // end) fills the buffer: the header limit catches a header first.
            respond_error(errc::malformed_request);
            return advance();
        }
        auto const want = std::clamp<std::size_t>(buffer_.capacity() - buffer_.size(),
                                                  tuning::min_read, tuning::max_read);
        reading_ = true;
        socket_.async_read_some(
            buffer_.prepare(std::min(want, room)),
            [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
                self->on_read(ec, n);
            });
    }

    void on_read(boost::system::error_code ec, std::size_t n) {
        reading_ = false;
        if (phase_ == phase::closed)
            return;
        if (parking_) {
            parking_ = false;
            if (ec == boost::asio::error::operation_aborted)
                return park();
            // The read completed before the cancellation: carry on with it.
        }
        now_ = std::chrono::steady_clock::now();
        if (timed_out_) {
            // Whatever the read brought, the request is late: 408. (Bytes
            // that raced the cancellation are dropped with the connection.)
            timed_out_ = false;
            respond_error(errc::request_timeout);
            return advance();
        }
        if (ec) {
            // The client went away, or the server is closing this
            // connection: nothing can be answered.
            return close_now();
        }
        buffer_.commit(n);
        if (phase_ == phase::idle)
            header_deadline_ = now_ + opts_.header_timeout;
        if (phase_ == phase::idle || phase_ == phase::first)
            phase_ = phase::header;
        advance();
    }

    // Waits for the next request without a buffer. Data that arrived while
    // the read was being cancelled is already readable, and the reactor
    // cannot have reported it since (this runs on its thread), so checking
    // for it now and then waiting misses nothing.
    void park() {
        buffer_.shrink_to_fit();
        boost::system::error_code ec;
        if (socket_.available(ec) != 0 || ec)
            return start_read();
        reading_ = true;
        socket_.async_wait(socket_type::wait_read,
                           [self = this->shared_from_this()](boost::system::error_code e) {
                               self->reading_ = false;
                               if (self->phase_ == phase::closed)
                                   return;
                               if (e)
                                   return self->close_now();
                               self->start_read();
                           });
    }

    void start_write() {
        std::swap(out_, wbuf_);
        writing_ = true;
        if (!busy_) {
            phase_ = phase::writing;
            deadline = now_ + opts_.write_timeout;
        }
        // The batch nearly always fits the socket's send buffer: it is sent
        // now, with one send(2), and only what did not fit waits for the
        // socket to become writable. The completion is posted all the same:
        // run here, it would start the next read at once, which would find
        // nothing (a client sends its next request once it has read the
        // response) and cost a system call for nothing; posted, the read
        // starts after the reactor's next poll, and finds the request there
        // some of the time.
        std::size_t sent = 0;
        auto const n = ::send(socket_.native_handle(), wbuf_.data(), wbuf_.size(), send_flags);
        if (n >= 0) {
            sent = static_cast<std::size_t>(n);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            auto const ec = boost::system::error_code(errno, boost::system::system_category());
            boost::asio::post(w_.context(),
                              [self = this->shared_from_this(), ec] { self->on_write(ec); });
            return;
        }
        if (sent == wbuf_.size()) {
            boost::asio::post(w_.context(),
                              [self = this->shared_from_this()] { self->on_write({}); });
            return;
        }
        boost::asio::async_write(
            socket_, boost::asio::buffer(wbuf_) + sent,
            [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                self->on_write(ec);
            });
    }

#ifdef MSG_NOSIGNAL
    static constexpr int send_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
#else
    static constexpr int send_flags = MSG_DONTWAIT; // Asio sets SO_NOSIGPIPE instead
#endif

    void on_write(boost::system::error_code ec) {
        writing_ = false;
        wbuf_.clear();
        if (wbuf_.capacity() > tuning::keep_capacity)
            std::string().swap(wbuf_);
        if (phase_ == phase::closed)
            return;
        if (ec) {
            w_.counters().write_failures.bump();
            return close_now();
        }
        // The idle timeout runs from the end of the response.
        now_ = std::chrono::steady_clock::now();
        if (busy_) {
            phase_ = phase::handler;
            deadline = steady_time::max();
        }
        advance();
    }

    // Lingering close: stop sending, then read and discard until the client
    // closes too, for at most linger_time or max_linger_bytes.
    void begin_close() {
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        if (ec)
            return close_now();
        phase_ = phase::lingering;
        deadline = now_ + tuning::linger_time;
        buffer_.clear();
        linger();
    }

    void linger() {
        socket_.async_read_some(
            buffer_.prepare(tuning::min_read),
            [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
                self->lingered_ += n;
                if (ec || self->phase_ != phase::lingering ||
                    self->lingered_ > tuning::max_linger_bytes)
                    return self->close_now();
                self->linger();
            });
    }

    void close_now() {
        if (phase_ == phase::closed)
            return;
        phase_ = phase::closed;
        deadline = steady_time::max();
        boost::system::error_code ec;
        socket_.close(ec);
    }

    worker& w_;
    server_options const& opts_;
    Chain const& chain_;
    socket_type socket_;
    tcp::endpoint remote_;
    boost::beast::flat_buffer buffer_;
    header_arena arena_;
    std::optional<request_parser> parser_;
    std::string body_store_;
    typename Chain::exchange_type ex_;
    std::string out_;  // responses being serialized
    std::string wbuf_; // responses being written
    steady_time now_{};
    steady_time header_deadline_{};
    steady_time body_deadline_{};
    steady_time idle_since_{};
    std::size_t lingered_ = 0;
    std::size_t header_bytes_ = 0; // of the current request, consumed by the parser
    phase phase_ = phase::first;
    bool reading_ = false;
    bool writing_ = false;
    bool busy_ = false;        // an exchange is running or suspended
    bool close_after_ = false; // close once out_ is written
    bool stopping_ = false;
    bool timed_out_ = false;
    bool header_checked_ = false;
    bool trimmed_ = false;
    bool parking_ = false; // the read is being cancelled to park()
};

} // namespace apikit::http::detail

#endif
