#ifndef APIKIT_OBS_LOGGER_HPP
#define APIKIT_OBS_LOGGER_HPP

// The structured logger: one JSON line per call,
//
//   {"timestamp":"2024-01-15T10:00:00.123Z","level":"info","message":"Order placed",
//    "context":{"request_id":"req_…","user_id":"user_…","order_id":"order_…","duration_ms":234}}
//
// in UTC with milliseconds, the level in lower case, the message
// JSON-escaped, and a context made of the request's fields (its
// `apikit::log_context`: the trace and span ids, the user, what earlier code
// of the request added) followed by the call's own fields:
//
//     logger.info(ex, "Order placed", {{"order_id", id}, {"duration_ms", 234}});
//
// `ex` is anything with `.log_context()` (the HTTP exchange: its request id
// then comes first), or a log_context itself. A call's field replaces a
// context member of the same key (the context keeps its place for the rest
// of the request only if the handler `set`s it there). A value under a
// secret key (`apikit::is_secret_key`) is written as "[REDACTED]", in the
// context and in the call's fields alike; the message is written as given:
// never put a secret in it.
//
// Lines below the minimum level (an atomic: change it while serving) cost a
// load and a compare. The others are written by hand into a per-thread
// buffer, with no allocation once it has grown, and appended to a
// `log_writer`, the same writer the access log uses: one logging path, one
// order of lines, one sink. The writer never blocks the caller on I/O; when
// its sink falls behind it drops lines and counts them. A `fatal` line is
// the exception: the writer is flushed before the call returns, so the line
// is out before whatever comes next takes the process down.
//
// Threads: every member is safe to call from many threads at once.

#include <apikit/core/clock.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/log_context.hpp>
#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/core/timestamp.hpp>
#include <apikit/obs/level.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace apikit::obs {

/// One of a log call's own fields: `{"order_id", id}`, `{"duration_ms", 234}`.
/// The key and a string value are views: they must outlive the call.
struct field {
    field(std::string_view k, log_value v) noexcept : key(k), value(v) {}
    std::string_view key;
    log_value value;
};

/// Something that carries a request's log context: the HTTP exchange
/// (`http::exchange::log_context()`), or an application's own job or
/// message context.
template <class T>
concept log_context_carrier = requires(T const& t) {
    { t.log_context() } -> std::convertible_to<apikit::log_context const&>;
};

namespace detail {

// The request id of a carrier that has one (`request().request_id()`, the
// HTTP exchange's), written before its context.
template <class T>
[[nodiscard]] std::string_view request_id_of(T const& t) noexcept {
    if constexpr (requires { std::string_view(t.request().request_id()); })
        return std::string_view(t.request().request_id());
    else
        return {};
}

} // namespace detail

template <class Sink = apikit::fd_sink, class Clock = apikit::system_clock>
class basic_logger {
    static_assert(log_sink<Sink>, "apikit::obs::basic_logger's Sink must model apikit::log_sink");
    static_assert(apikit::clock<Clock>,
                  "apikit::obs::basic_logger's Clock must model apikit::clock");
    static_assert(std::is_same_v<
                      typename Clock::time_point,
                      std::chrono::time_point<std::chrono::system_clock, typename Clock::duration>>,
                  "apikit::obs::basic_logger's Clock must tell the time of day (system_clock's "
                  "time_point)");

public:
    using writer_type = log_writer<Sink>;
    using fields = std::initializer_list<field>;

    /// Logs through `writer`, shared with the access log and any other log
    /// of the process. `clock` stamps the lines (tests: a manual clock
    /// through apikit::clock_ref).
    explicit basic_logger(std::shared_ptr<writer_type> writer, level min = level::info,
                          Clock clock = {})
        : writer_(std::move(writer))
        , clock_(std::move(clock))
        , min_(min) {}

    /// The least grave level written; lines below it are dropped.
    void min_level(level l) noexcept { min_.store(l, std::memory_order_relaxed); }
    [[nodiscard]] level min_level() const noexcept { return min_.load(std::memory_order_relaxed); }
    [[nodiscard]] bool enabled(level l) const noexcept { return l >= min_level(); }

    /// A line with a request's context, and the call's own fields.
    void log(level l, std::string_view message, apikit::log_context const& ctx,
             fields own = {}) const {
        if (enabled(l))
            write(l, message, {}, ctx, own);
    }
    /// A line with the context of `carrier` (an exchange: its request id
    /// first, then its log context).
    template <log_context_carrier Carrier>
    void log(level l, std::string_view message, Carrier const& carrier, fields own = {}) const {
        if (enabled(l))
            write(l, message, detail::request_id_of(carrier), carrier.log_context(), own);
    }
    /// A line outside any request: its context is the call's fields.
    void log(level l, std::string_view message, fields own) const {
        if (enabled(l))
            write(l, message, {}, empty_context(), own);
    }
    void log(level l, std::string_view message) const { log(l, message, fields{}); }

    // One of each per level: (message, fields), (context, message, fields),
    // (carrier, message, fields).
#define APIKIT_OBS_LOGGER_LEVEL(name)                                                              \
    void name(std::string_view message, fields own = {}) const {                                   \
        log(level::name, message, own);                                                            \
    }                                                                                              \
    void name(apikit::log_context const& ctx, std::string_view message, fields own = {}) const {   \
        log(level::name, message, ctx, own);                                                       \
    }                                                                                              \
    template <log_context_carrier Carrier>                                                         \
    void name(Carrier const& carrier, std::string_view message, fields own = {}) const {           \
        log(level::name, message, carrier, own);                                                   \
    }
    APIKIT_OBS_LOGGER_LEVEL(trace)
    APIKIT_OBS_LOGGER_LEVEL(debug)
    APIKIT_OBS_LOGGER_LEVEL(info)
    APIKIT_OBS_LOGGER_LEVEL(warn)
    APIKIT_OBS_LOGGER_LEVEL(error)
    APIKIT_OBS_LOGGER_LEVEL(fatal)
#undef APIKIT_OBS_LOGGER_LEVEL

    [[nodiscard]] writer_type& writer() const noexcept {
        return *writer_;
    }
    /// The writer, shared: for another log that must keep one order of
    /// lines with this one (obs::access_log).
    [[nodiscard]] std::shared_ptr<writer_type> const& shared_writer() const noexcept {
        return writer_;
    }
    /// The clock that stamps the lines.
    [[nodiscard]] Clock const& clock() const noexcept {
        return clock_;
    }

    /// Appends the line the logger writes for these arguments, stamped `now`,
    /// to `out`, whatever the minimum level.
    static void format(std::string& out, typename Clock::time_point now, level l,
                       std::string_view message, std::string_view request_id,
                       apikit::log_context const& ctx, fields own = {}) {
        auto const at = out.size();
        out.resize(at + max_line_size(message, request_id, ctx, own));
        char* const e = write_line(out.data() + at, now, l, message, request_id, ctx, own);
        out.resize(static_cast<std::size_t>(e - out.data()));
    }

private:
    static constexpr std::size_t max_kept_line = 64 * 1024;

    struct text {
        static constexpr std::string_view timestamp = R"({"timestamp":")";
        static constexpr std::string_view level_key = R"(","level":")";
        static constexpr std::string_view message = R"(","message":)";
        static constexpr std::string_view context = R"(,"context":{)";
        static constexpr std::string_view request_id = R"("request_id":)";
        static constexpr std::string_view end = "}}\n";
        static constexpr std::size_t size = timestamp.size() + level_key.size() + 5 /* "fatal" */ +
                                            message.size() + context.size() + request_id.size() +
                                            1 + end.size();
    };

    static apikit::log_context const& empty_context() noexcept {
        static apikit::log_context const none;
        return none;
    }

    [[nodiscard]] static bool has_key(fields own, std::string_view key) noexcept {
        for (auto const& f : own)
            if (f.key == key)
                return true;
        return false;
    }

    [[nodiscard]] static std::size_t max_line_size(std::string_view message,
                                                   std::string_view request_id,
                                                   apikit::log_context const& ctx,
                                                   fields own) noexcept {
        std::size_t n = text::size + rfc3339_ms_size + json_string_max_size(message.size()) +
                        json_string_max_size(request_id.size()) + 1 + ctx.members().size();
        for (auto const& f : own)
            n += 1 + log_member_max_size(f.key, f.value);
        return n;
    }

    // Writes the line to `o`, which has room for max_line_size(), and
    // returns its end.
    [[nodiscard]] static char* write_line(char* o, typename Clock::time_point now, level l,
                                          std::string_view message, std::string_view request_id,
                                          apikit::log_context const& ctx, fields own) noexcept {
        auto const put = [&o](std::string_view piece) {
            std::memcpy(o, piece.data(), piece.size());
            o += piece.size();
        };
        thread_local rfc3339_ms_cache timestamps;
        put(text::timestamp);
        o = timestamps.write(o, now);
        put(text::level_key);
        put(to_string(l));
        put(text::message);
        o = write_json_string(o, message);
        put(text::context);
        char* const first = o; // a comma goes before every member but the first
        if (!request_id.empty() && !ctx.find("request_id") && !has_key(own, "request_id")) {
            put(text::request_id);
            o = write_json_string(o, request_id);
        }
        if (own.size() == 0 && !ctx.empty()) {
            if (o != first)
                *o++ = ',';
            put(ctx.members());
        } else {
            for (std::size_t i = 0; i < ctx.size(); ++i) {
                auto const m = ctx[i];
                if (has_key(own, m.key))
                    continue; // the call's own value replaces it
                if (o != first)
                    *o++ = ',';
                put(m.json);
            }
        }
        for (auto const& f : own) {
            if (o != first)
                *o++ = ',';
            o = write_log_member(o, f.key, f.value);
        }
        put(text::end);
        return o;
    }

    void write(level l, std::string_view message, std::string_view request_id,
               apikit::log_context const& ctx, fields own) const {
        thread_local std::string line;
        auto const most = max_line_size(message, request_id, ctx, own);
        if (line.size() < most)
            line.resize(most);
        char* const end = write_line(line.data(), clock_.now(), l, message, request_id, ctx, own);
        writer_->append({line.data(), static_cast<std::size_t>(end - line.data())});
        if (line.size() > max_kept_line)
            std::string().swap(line); // a huge message, once
        if (l == level::fatal)
            writer_->flush();
    }

    std::shared_ptr<writer_type> writer_;
    Clock clock_;
    std::atomic<level> min_;
};

/// The logger to standard output (through a writer shared with the access log).
using logger = basic_logger<>;

} // namespace apikit::obs

#endif
