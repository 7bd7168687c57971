#ifndef APIKIT_HTTP_DETAIL_DATE_HPP
#define APIKIT_HTTP_DETAIL_DATE_HPP

// The Date header field (RFC 9110 §6.6.1: an origin server with a clock must
// send it), in IMF-fixdate. It changes once a second, so each thread formats
// it once a second and copies it into every response in between; and the
// clock it shows is read coarsely (Linux's CLOCK_REALTIME_COARSE: the time of
// the last timer tick, a few milliseconds behind), at a quarter of the cost
// of a precise read, which is enough for a value shown to the second.

#include <apikit/core/timestamp.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

#include <time.h>

namespace apikit::http::detail {

/// `Sun, 06 Nov 1994 08:49:37 GMT`: always 29 characters.
inline constexpr std::size_t imf_fixdate_size = 29;

inline void format_imf_fixdate(char* o, std::int64_t unix_seconds) noexcept {
    constexpr std::string_view days = "ThuFriSatSunMonTueWed"; // 1970-01-01 was a Thursday
    constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    std::int64_t day = unix_seconds / 86400, sec = unix_seconds % 86400;
    if (sec < 0) {
        sec += 86400;
        --day;
    }
    std::int64_t y;
    unsigned m, d;
    apikit::detail::civil_from_days(day, y, m, d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    auto const wd = static_cast<std::size_t>(((day % 7) + 7) % 7);
    using apikit::detail::put2;
    o += days.copy(o, 3, wd * 3);
    *o++ = ',';
    *o++ = ' ';
    o = put2(o, d);
    *o++ = ' ';
    o += months.copy(o, 3, (m - 1) * 3);
    *o++ = ' ';
    o = put2(o, static_cast<unsigned>(y / 100));
    o = put2(o, static_cast<unsigned>(y % 100));
    *o++ = ' ';
    auto const s = static_cast<unsigned>(sec);
    o = put2(o, s / 3600);
    *o++ = ':';
    o = put2(o, s / 60 % 60);
    *o++ = ':';
    o = put2(o, s % 60);
    std::string_view(" GMT").copy(o, 4);
}

/// The system clock, read coarsely where the platform can (see the top).
[[nodiscard]] inline std::chrono::system_clock::time_point coarse_system_now() noexcept {
#ifdef CLOCK_REALTIME_COARSE
    timespec ts;
    if (::clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0)
        return std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
#endif
    return std::chrono::system_clock::now();
}

/// The Date value for `now`, formatted at most once a second per thread.
[[nodiscard]] inline std::string_view
http_date(std::chrono::system_clock::time_point now) noexcept {
    struct cache {
        std::int64_t second = INT64_MIN;
        char text[imf_fixdate_size];
    };
    thread_local cache c;
    auto const s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (s != c.second) {
        c.second = s;
        format_imf_fixdate(c.text, s);
    }
    return {c.text, imf_fixdate_size};
}

} // namespace apikit::http::detail

#endif
