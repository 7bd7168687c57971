#ifndef APIKIT_HTTP_ACCESS_LOG_HPP
#define APIKIT_HTTP_ACCESS_LOG_HPP

// The access-log middleware: one structured JSON line per response,
//
//   {"timestamp":"2024-01-15T10:00:00.123Z","level":"info","message":"request",
//    "context":{"request_id":"req_…","method":"GET","path":"/users","status":200,
//               "duration_ms":0.412}}
//
// written when the response is final (an on_response hook, so it sees the
// status every other layer settled on, and the server's own 400s and 408s).
// `level` is "error" for a 5xx, whose context then carries `error`: the text
// the client was not shown (an exception's what()). The path is the encoded
// path without the query, which may hold secrets; `duration_ms` runs from the
// end of the request's header to the response, with microsecond precision.
//
// The line is formatted by hand into a per-thread buffer and handed to a
// log_writer, which batches lines for its sink: no allocation and no
// system call per request.

#include <apikit/core/clock.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/core/timestamp.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/http/request_id.hpp>

#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace apikit::http {

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
        thread_local std::string line;
        line.clear();
        format(line, ex, clock_.now(), std::chrono::steady_clock::now());
        writer_->append(line);
    }

    writer_type& writer() const noexcept { return *writer_; }

    /// Appends the line for `ex` to `out`, as `on_response` writes it.
    static void format(std::string& out, exchange const& ex, typename Clock::time_point now,
                       std::chrono::steady_clock::time_point end) {
        using namespace std::string_view_literals;
        auto const& req = ex.request();
        auto const status = ex.response().status();
        out.append(R"({"timestamp":")"sv);
        append_rfc3339_ms(out, now);
        out.append(status >= 500 ? R"(","level":"error")"sv : R"(","level":"info")"sv);
        out.append(R"(,"message":"request","context":{"request_id":)"sv);
        append_plain_string(out, req.request_id());
        out.append(R"(,"method":)"sv);
        append_plain_string(out, req.method_string());
        out.append(R"(,"path":)"sv);
        append_json_string(out, req.path());
        out.append(R"(,"status":)"sv);
        append_number(out, status);
        out.append(R"(,"duration_ms":)"sv);
        auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(end - ex.start_time()).count();
        if (us < 0)
            us = 0;
        append_number(out, static_cast<unsigned long long>(us / 1000));
        char frac[4] = {'.', static_cast<char>('0' + us % 1000 / 100),
                        static_cast<char>('0' + us % 100 / 10), static_cast<char>('0' + us % 10)};
        out.append(frac, sizeof frac);
        if (!ex.log_detail().empty()) {
            out.append(R"(,"error":)"sv);
            append_json_string(out, ex.log_detail());
        }
        out.append("}}\n"sv);
    }

private:
    // A request id (1–128 of `A–Z a–z 0–9 - _ . :`, whoever made it) and a
    // method (an HTTP token) never need escaping, but a layer may have set
    // the id by hand: it is checked, and escaped when it must be.
    static void append_plain_string(std::string& out, std::string_view s) {
        if (!is_valid_request_id(s) && !s.empty()) {
            append_json_string(out, s);
            return;
        }
        out.push_back('"');
        out.append(s);
        out.push_back('"');
    }

    static void append_number(std::string& out, unsigned long long v) {
        char buf[24];
        auto const r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr);
    }

    std::shared_ptr<writer_type> writer_;
    Clock clock_;
};

static_assert(middleware<access_log<fd_sink>>,
              "apikit::http::access_log must model apikit::http::middleware");

} // namespace apikit::http

#endif
