#ifndef APIKIT_HTTP_ACCESS_LOG_HPP
#define APIKIT_HTTP_ACCESS_LOG_HPP

// The access-log middleware: one structured JSON line per response,
//
//   {"timestamp":"2024-01-15T10:00:00.123Z","level":"info","message":"request",
//    "context":{"request_id":"req_…","method":"GET","path":"/users/42",
//               "route":"/users/:id","status":200,"duration_ms":0.412,
//               "body_bytes_sent":61,"remote_addr":"192.0.2.7",
//               "user_agent":"curl/8.5.0"}}
//
// written when the response is final (an on_response hook, so it sees the
// status every other layer settled on, and the server's own 400s and 408s).
// `level` is "error" for a 5xx, whose context then carries `error`: the text
// the client was not shown (an exception's what()). The path is the encoded
// path without the query, which may hold secrets; `route` the pattern whose
// handler ran (`request::route()`), null when none did (a 404 or 405, the
// server's own errors, a 429 a middleware answered before routing);
// `duration_ms` runs from the end of the request's header to the response,
// with microsecond precision; `body_bytes_sent` is the body the server
// writes (`exchange::response_body_size()`: an error's envelope included,
// nothing for HEAD, 204 or 304), counted as the response is queued, so a
// client that leaves mid-response still shows all of it.
//
// `remote_addr` is the TCP peer, not X-Forwarded-For: the log records what
// the server saw, which a client cannot forge; which forwarding hops to
// believe is the concern of the area that acts on the address (the rate
// limiter's trusted_proxies), and a log line that believed the header would
// let any client write the address of its choice into it. An IPv4 peer on a
// dual-stack socket is written as IPv4; null when the peer is unknown (the
// connection was gone before its address was read). `user_agent` is the
// first User-Agent field's first max_logged_user_agent bytes (cut at a
// character's start), JSON-escaped, null when the request has none: the
// header limit bounds a field, but not how much of it every line repeats.
//
// The context then carries the request's own fields, `exchange::log_context()`
// (the trace and span ids, the user, what a handler added), after the
// access log's: a member whose key is one of the access log's own is left
// out, so the line has each key once and the server's facts win.
//
// The line is written by hand into a per-thread buffer (the timestamp's
// date and time formatted once a second) and handed to a log_writer, which
// batches lines for its sink: no allocation and no system call per request.

#include <apikit/core/clock.hpp>
#include <apikit/core/ipv4_text.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/log_context.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/core/timestamp.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/field.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <arpa/inet.h>
#include <sys/socket.h>

namespace apikit::http {

/// The most bytes of a User-Agent field an access-log line keeps. Browsers'
/// and libraries' agents are 10–250 bytes; a hostile one of several KiB,
/// escaped at up to six characters a byte, would be most of every line.
inline constexpr std::size_t max_logged_user_agent = 512;

template <class Sink, class Clock = apikit::system_clock>
class access_log {
    static_assert(log_sink<Sink>, "apikit::http::access_log's Sink must model apikit::log_sink");
    static_assert(apikit::clock<Clock>,
                  "apikit::http::access_log's Clock must model apikit::clock");

public:
    using writer_type = log_writer<Sink>;

    /// Logs to `sink` through a writer of its own. The clock stamps the
    /// lines; a test shares its manual clock through an apikit::clock_ref.
    explicit access_log(Sink sink, log_writer_options opts = {}, Clock clock = {})
        : writer_(std::make_shared<writer_type>(std::move(sink), opts))
        , clock_(std::move(clock)) {}

    /// Logs through a writer shared with other logs of the application.
    explicit access_log(std::shared_ptr<writer_type> writer, Clock clock = {})
        : writer_(std::move(writer))
        , clock_(std::move(clock)) {}

    void on_response(exchange& ex) const {
        // The line is written through a pointer into a per-thread buffer
        // sized for the longest line this exchange could make: a dozen
        // appends, each checking its capacity, cost more than the copying.
        thread_local std::string line;
        auto const in = inputs::of(ex);
        auto const most = max_line_size(ex, in);
        if (line.size() < most)
            line.resize(most);
        char* const end =
            write_line(line.data(), ex, in, clock_.now(), std::chrono::steady_clock::now());
        writer_->append({line.data(), static_cast<std::size_t>(end - line.data())});
        if (line.size() > max_kept_line)
            std::string().swap(line); // a huge log detail, once
    }

    writer_type& writer() const noexcept { return *writer_; }

    /// Appends the line for `ex` to `out`, as `on_response` writes it.
    static void format(std::string& out, exchange const& ex, typename Clock::time_point now,
                       std::chrono::steady_clock::time_point end) {
        auto const in = inputs::of(ex);
        auto const at = out.size();
        out.resize(at + max_line_size(ex, in));
        char* const e = write_line(out.data() + at, ex, in, now, end);
        out.resize(static_cast<std::size_t>(e - out.data()));
    }

private:
    static constexpr std::size_t max_kept_line = 64 * 1024;
    // An IPv6 address in text (INET6_ADDRSTRLEN, its NUL included), a `%`
    // and a 32-bit scope id, and the quotes.
    static constexpr std::size_t max_address_size = 46 + 1 + 10 + 2;

    // What the line needs that takes more than a member read, found once.
    struct inputs {
        std::size_t body_bytes = 0;
        std::optional<std::string_view> user_agent;

        [[nodiscard]] static inputs of(exchange const& ex) {
            inputs in;
            in.body_bytes = ex.response_body_size();
            // A walk of the few fields comparing Beast's field codes, where
            // a lookup by name compared names without case: 180 instructions.
            for (auto const& f : ex.request().message()) {
                if (f.name() == boost::beast::http::field::user_agent) {
                    auto const v = f.value();
                    in.user_agent =
                        apikit::utf8_prefix({v.data(), v.size()}, max_logged_user_agent);
                    break;
                }
            }
            return in;
        }
    };

    // The line's text around its values, and its longest possible length.
    struct text {
        static constexpr std::string_view timestamp = R"({"timestamp":")";
        static constexpr std::string_view level_info = R"(","level":"info")";
        static constexpr std::string_view level_error = R"(","level":"error")";
        static constexpr std::string_view request_id =
            R"(,"message":"request","context":{"request_id":)";
        static constexpr std::string_view method = R"(,"method":)";
        static constexpr std::string_view path = R"(,"path":)";
        static constexpr std::string_view route = R"(,"route":)";
        static constexpr std::string_view status = R"(,"status":)";
        static constexpr std::string_view duration = R"(,"duration_ms":)";
        static constexpr std::string_view body_bytes = R"(,"body_bytes_sent":)";
        static constexpr std::string_view remote_addr = R"(,"remote_addr":)";
        static constexpr std::string_view user_agent = R"(,"user_agent":)";
        static constexpr std::string_view error = R"(,"error":)";
        static constexpr std::string_view null = "null";
        static constexpr std::string_view end = "}}\n";
        static constexpr std::size_t size =
            timestamp.size() + level_error.size() + request_id.size() + method.size() +
            path.size() + route.size() + status.size() + duration.size() + body_bytes.size() +
            remote_addr.size() + user_agent.size() + error.size() + end.size();
    };

    [[nodiscard]] static std::size_t max_line_size(exchange const& ex, inputs const& in) noexcept {
        auto const& req = ex.request();
        // A timestamp, a status of up to 10 digits, a duration of up to 20
        // and its 4 of fraction, a size of up to 20, an address, and the
        // strings, each escaped at worst (null is shorter than "").
        return text::size + rfc3339_ms_size + 10 + 24 + 20 + max_address_size +
               json_string_max_size(req.request_id().size()) +
               json_string_max_size(req.method_string().size()) +
               json_string_max_size(req.path().size()) + json_string_max_size(req.route().size()) +
               json_string_max_size(in.user_agent ? in.user_agent->size() : 0) +
               json_string_max_size(ex.log_detail().size()) + 1 + ex.log_context().members().size();
    }

    // True when the context member `key` would repeat one of the line's
    // own keys: by length first, as most keys (trace_id, span_id, user_id)
    // have none of theirs.
    [[nodiscard]] static bool own_key(std::string_view key) noexcept {
        switch (key.size()) {
        case 4:
            return key == "path";
        case 5:
            return key == "route" || key == "error";
        case 6:
            return key == "method" || key == "status";
        case 10:
            return key == "request_id" || key == "user_agent";
        case 11:
            return key == "duration_ms" || key == "remote_addr";
        case 15:
            return key == "body_bytes_sent";
        default:
            return false;
        }
    }

    // Writes the request's log context after the line's own members: in
    // one copy, unless a member must be left out.
    [[nodiscard]] static char* write_context(char* o, apikit::log_context const& ctx) noexcept {
        bool whole = true;
        for (std::size_t i = 0; i < ctx.size() && whole; ++i)
            whole = !own_key(ctx[i].key);
        auto const put = [&o](std::string_view json) {
            *o++ = ',';
            std::memcpy(o, json.data(), json.size());
            o += json.size();
        };
        if (whole) {
            put(ctx.members());
            return o;
        }
        for (std::size_t i = 0; i < ctx.size(); ++i)
            if (auto const m = ctx[i]; !own_key(m.key))
                put(m.json);
        return o;
    }

    // Writes the peer's address, quoted, or null; `o` has room for
    // max_address_size.
    [[nodiscard]] static char* write_address(char* o,
                                             boost::asio::ip::tcp::endpoint const& peer) noexcept {
        if (peer.port() == 0) {
            std::memcpy(o, text::null.data(), text::null.size());
            return o + text::null.size();
        }
        *o++ = '"';
        auto const a = peer.address();
        if (a.is_v4()) {
            o = write_ipv4(o, a.to_v4().to_bytes().data());
        } else {
            auto const v6 = a.to_v6();
            auto const b = v6.to_bytes();
            if (v6.is_v4_mapped()) {
                o = write_ipv4(o, b.data() + 12);
            } else {
                char buf[46]; // INET6_ADDRSTRLEN
                if (::inet_ntop(AF_INET6, b.data(), buf, sizeof buf)) {
                    auto const n = std::strlen(buf);
                    std::memcpy(o, buf, n);
                    o += n;
                }
                if (auto const scope = v6.scope_id()) {
                    *o++ = '%';
                    o = std::to_chars(o, o + 10, scope).ptr;
                }
            }
        }
        *o++ = '"';
        return o;
    }

    // Writes the line for `ex` to `o`, which has room for max_line_size(ex),
    // and returns its end. The request id (1–128 of `A–Z a–z 0–9 - _ . :`
    // whoever made it, unless a layer set it by hand) and the method (an
    // HTTP token) need no escaping, so write_json_string copies each as one
    // run.
    [[nodiscard]] static char* write_line(char* o, exchange const& ex, inputs const& in,
                                          typename Clock::time_point now,
                                          std::chrono::steady_clock::time_point end) noexcept {
        auto const put = [&o](std::string_view piece) {
            std::memcpy(o, piece.data(), piece.size());
            o += piece.size();
        };
        auto const put_string_or_null = [&](std::optional<std::string_view> s) {
            if (s)
                o = write_json_string(o, *s);
            else
                put(text::null);
        };
        thread_local rfc3339_ms_cache timestamps;
        auto const& req = ex.request();
        auto const status = ex.response().status();
        put(text::timestamp);
        o = timestamps.write(o, now);
        put(status >= 500 ? text::level_error : text::level_info);
        put(text::request_id);
        o = write_json_string(o, req.request_id());
        put(text::method);
        o = write_json_string(o, req.method_string());
        put(text::path);
        o = write_json_string(o, req.path());
        put(text::route);
        put_string_or_null(req.route().empty() ? std::nullopt
                                               : std::optional<std::string_view>(req.route()));
        put(text::status);
        o = std::to_chars(o, o + 10, status).ptr;
        put(text::duration);
        auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(end - ex.start_time()).count();
        if (us < 0)
            us = 0;
        o = std::to_chars(o, o + 20, static_cast<unsigned long long>(us / 1000)).ptr;
        *o++ = '.';
        *o++ = static_cast<char>('0' + us % 1000 / 100);
        *o++ = static_cast<char>('0' + us % 100 / 10);
        *o++ = static_cast<char>('0' + us % 10);
        put(text::body_bytes);
        o = std::to_chars(o, o + 20, static_cast<unsigned long long>(in.body_bytes)).ptr;
        put(text::remote_addr);
        o = write_address(o, ex.remote_endpoint());
        put(text::user_agent);
        put_string_or_null(in.user_agent);
        if (!ex.log_detail().empty()) {
            put(text::error);
            o = write_json_string(o, ex.log_detail());
        }
        if (!ex.log_context().empty())
            o = write_context(o, ex.log_context());
        put(text::end);
        return o;
    }

    std::shared_ptr<writer_type> writer_;
    Clock clock_;
};

static_assert(middleware<access_log<fd_sink>>,
              "apikit::http::access_log must model apikit::http::middleware");

} // namespace apikit::http

#endif
