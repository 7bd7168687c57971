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
// The line is written by hand into a per-thread buffer (the timestamp's
// date and time formatted once a second) and handed to a log_writer, which
// batches lines for its sink: no allocation and no system call per request.

#include <apikit/core/clock.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/core/timestamp.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>

#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
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
        // The line is written through a pointer into a per-thread buffer
        // sized for the longest line this exchange could make: a dozen
        // appends, each checking its capacity, cost more than the copying.
        thread_local std::string line;
        auto const most = max_line_size(ex);
        if (line.size() < most)
            line.resize(most);
        char* const end =
            write_line(line.data(), ex, clock_.now(), std::chrono::steady_clock::now());
        writer_->append({line.data(), static_cast<std::size_t>(end - line.data())});
        if (line.size() > max_kept_line)
            std::string().swap(line); // a huge log detail, once
    }

    writer_type& writer() const noexcept { return *writer_; }

    /// Appends the line for `ex` to `out`, as `on_response` writes it.
    static void format(std::string& out, exchange const& ex, typename Clock::time_point now,
                       std::chrono::steady_clock::time_point end) {
        auto const at = out.size();
        out.resize(at + max_line_size(ex));
        char* const e = write_line(out.data() + at, ex, now, end);
        out.resize(static_cast<std::size_t>(e - out.data()));
    }

private:
    static constexpr std::size_t max_kept_line = 64 * 1024;

    // The line's text around its values, and its longest possible length.
    struct text {
        static constexpr std::string_view timestamp = R"({"timestamp":")";
        static constexpr std::string_view level_info = R"(","level":"info")";
        static constexpr std::string_view level_error = R"(","level":"error")";
        static constexpr std::string_view request_id =
            R"(,"message":"request","context":{"request_id":)";
        static constexpr std::string_view method = R"(,"method":)";
        static constexpr std::string_view path = R"(,"path":)";
        static constexpr std::string_view status = R"(,"status":)";
        static constexpr std::string_view duration = R"(,"duration_ms":)";
        static constexpr std::string_view error = R"(,"error":)";
        static constexpr std::string_view end = "}}\n";
        static constexpr std::size_t size =
            timestamp.size() + level_error.size() + request_id.size() + method.size() +
            path.size() + status.size() + duration.size() + error.size() + end.size();
    };

    [[nodiscard]] static std::size_t max_line_size(exchange const& ex) noexcept {
        auto const& req = ex.request();
        // A timestamp, a status of up to 10 digits, a duration of up to 20
        // and its 4 of fraction, and the strings, each escaped at worst.
        return text::size + rfc3339_ms_size + 10 + 24 +
               json_string_max_size(req.request_id().size()) +
               json_string_max_size(req.method_string().size()) +
               json_string_max_size(req.path().size()) +
               json_string_max_size(ex.log_detail().size());
    }

    // Writes the line for `ex` to `o`, which has room for max_line_size(ex),
    // and returns its end. The request id (1–128 of `A–Z a–z 0–9 - _ . :`
    // whoever made it, unless a layer set it by hand) and the method (an
    // HTTP token) need no escaping: each is copied in one piece.
    [[nodiscard]] static char* write_line(char* o, exchange const& ex,
                                          typename Clock::time_point now,
                                          std::chrono::steady_clock::time_point end) noexcept {
        auto const put = [&o](std::string_view piece) {
            std::memcpy(o, piece.data(), piece.size());
            o += piece.size();
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
        if (!ex.log_detail().empty()) {
            put(text::error);
            o = write_json_string(o, ex.log_detail());
        }
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
