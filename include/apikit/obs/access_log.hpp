#ifndef APIKIT_OBS_ACCESS_LOG_HPP
#define APIKIT_OBS_ACCESS_LOG_HPP

// The access log as a user of the structured logger: one logging path.
//
// http::access_log writes a line per response (its shape is the logger's:
// timestamp, level, message "request", context) but knows nothing of levels:
// the HTTP layer knows no area. obs::access_log is that middleware bound to a
// logger — it writes through the logger's writer, stamps lines with the
// logger's clock, and honours the logger's minimum level: a response's line is
// `info` (`error` for a 5xx) and is written only when the logger would write
// a line of that level. So `--log-level warn` silences served requests and
// keeps failed ones, and changing the level at run time changes both at once.
//
//   auto writer = std::make_shared<apikit::log_writer<apikit::fd_sink>>(apikit::fd_sink{});
//   auto log = std::make_shared<obs::logger>(writer, obs::level::info);
//   http::chain{http::request_id{}, obs::tracing{}, obs::access_log(log), …, app}
//
// Threads: the hook is const and reads the logger's atomic level; the line
// is appended to the shared writer like any other (core/log_writer.hpp).

#include <apikit/http/access_log.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/obs/level.hpp>
#include <apikit/obs/logger.hpp>

#include <memory>
#include <stdexcept>
#include <utility>

namespace apikit::obs {

template <class Sink = apikit::fd_sink, class Clock = apikit::system_clock>
class access_log {
public:
    using logger_type = basic_logger<Sink, Clock>;

    /// Logs through `logger`'s writer, at its level. Throws
    /// std::invalid_argument without a logger.
    explicit access_log(std::shared_ptr<logger_type const> logger)
        : logger_(checked(std::move(logger)))
        , log_(logger_->shared_writer(), logger_->clock()) {}

    /// The level of the line for a response of `status`.
    [[nodiscard]] static constexpr level level_of(unsigned status) noexcept {
        return status >= 500 ? level::error : level::info;
    }

    void on_response(http::exchange& ex) const {
        if (logger_->enabled(level_of(ex.response().status())))
            log_.on_response(ex);
    }

    [[nodiscard]] logger_type const& logger() const noexcept { return *logger_; }

private:
    static std::shared_ptr<logger_type const> checked(std::shared_ptr<logger_type const> l) {
        if (!l)
            throw std::invalid_argument("apikit::obs::access_log: no logger");
        return l;
    }

    std::shared_ptr<logger_type const> logger_;
    http::access_log<Sink, Clock> log_;
};

static_assert(http::middleware<access_log<>>,
              "apikit::obs::access_log must model apikit::http::middleware");

} // namespace apikit::obs

#endif
