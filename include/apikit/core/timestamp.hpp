#ifndef APIKIT_CORE_TIMESTAMP_HPP
#define APIKIT_CORE_TIMESTAMP_HPP

// RFC 3339 timestamps in UTC with milliseconds (`2024-01-15T10:00:00.123Z`),
// the form every apikit envelope uses (`created_at`, `timestamp`). Written by
// hand rather than through gmtime_r or a time-zone database: this runs once per
// log line and per resource, and needs no locale and no lock.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

namespace apikit {

namespace detail {

// Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count.
constexpr void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) noexcept {
    z += 719468;
    std::int64_t const era = (z >= 0 ? z : z - 146096) / 146097;
    auto const doe = static_cast<unsigned>(z - era * 146097);
    unsigned const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned const mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

[[nodiscard]] constexpr char* put2(char* o, unsigned v) noexcept {
    o[0] = static_cast<char>('0' + v / 10);
    o[1] = static_cast<char>('0' + v % 10);
    return o + 2;
}

} // namespace detail

/// The length of every timestamp this header writes.
inline constexpr std::size_t rfc3339_ms_size = 24; // 2024-01-15T10:00:00.123Z

/// Writes `t` to `o` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (`rfc3339_ms_size`
/// characters), truncated to the millisecond, and returns the end. Years
/// outside 0000–9999 (reachable with a coarse duration such as
/// `sys_time<milliseconds>`) clamp to the first or last instant RFC 3339 can
/// write, rather than writing a malformed year.
template <class Duration>
[[nodiscard]] char* write_rfc3339_ms(char* o, std::chrono::sys_time<Duration> t) noexcept {
    using namespace std::chrono;
    auto const ms = floor<milliseconds>(t).time_since_epoch().count();
    std::int64_t const day_ms = 86'400'000;
    std::int64_t days = ms / day_ms, rem = ms % day_ms;
    if (rem < 0) {
        rem += day_ms;
        --days;
    }
    std::int64_t y;
    unsigned mo, d;
    detail::civil_from_days(days, y, mo, d);
    if (y < 0)
        y = 0, mo = 1, d = 1, rem = 0;
    if (y > 9999)
        y = 9999, mo = 12, d = 31, rem = day_ms - 1;
    auto const sec = static_cast<unsigned>(rem / 1000);
    o = detail::put2(o, static_cast<unsigned>(y / 100));
    o = detail::put2(o, static_cast<unsigned>(y % 100));
    *o++ = '-';
    o = detail::put2(o, mo);
    *o++ = '-';
    o = detail::put2(o, d);
    *o++ = 'T';
    o = detail::put2(o, sec / 3600);
    *o++ = ':';
    o = detail::put2(o, sec / 60 % 60);
    *o++ = ':';
    o = detail::put2(o, sec % 60);
    *o++ = '.';
    auto const milli = static_cast<unsigned>(rem % 1000);
    *o++ = static_cast<char>('0' + milli / 100);
    o = detail::put2(o, milli % 100);
    *o++ = 'Z';
    return o;
}

/// Appends `t` as `write_rfc3339_ms` writes it.
template <class Duration>
void append_rfc3339_ms(std::string& out, std::chrono::sys_time<Duration> t) {
    std::array<char, rfc3339_ms_size> buf;
    (void)write_rfc3339_ms(buf.data(), t);
    out.append(buf.data(), buf.size());
}

/// Writes timestamps as `write_rfc3339_ms` does, for a caller that writes
/// many in the same second (a log line per request): the date and time are
/// formatted once a second and copied, only the milliseconds every time.
/// Not thread-safe: one per thread (`thread_local`).
class rfc3339_ms_cache {
public:
    template <class Duration>
    [[nodiscard]] char* write(char* o, std::chrono::sys_time<Duration> t) noexcept {
        using namespace std::chrono;
        auto const ms = floor<milliseconds>(t).time_since_epoch().count();
        auto second = ms / 1000, milli = ms % 1000;
        if (milli < 0) {
            milli += 1000;
            --second;
        }
        // Outside the years RFC 3339 can write, the clamp applies to the
        // milliseconds too: no cache.
        if (second < first_second || second > last_second)
            return write_rfc3339_ms(o, t);
        if (second != second_) {
            (void)write_rfc3339_ms(prefix_.data(), sys_seconds(seconds(second)));
            second_ = second;
        }
        std::memcpy(o, prefix_.data(), prefix_size);
        o += prefix_size;
        auto const m = static_cast<unsigned>(milli);
        *o++ = static_cast<char>('0' + m / 100);
        o = detail::put2(o, m % 100);
        *o++ = 'Z';
        return o;
    }

private:
    static constexpr std::size_t prefix_size = 20;                // YYYY-MM-DDTHH:MM:SS.
    static constexpr std::int64_t first_second = -62'167'219'200; // 0000-01-01T00:00:00Z
    static constexpr std::int64_t last_second = 253'402'300'799;  // 9999-12-31T23:59:59Z
    std::int64_t second_ = INT64_MIN;
    std::array<char, rfc3339_ms_size> prefix_{};
};

template <class Duration>
[[nodiscard]] std::string format_rfc3339_ms(std::chrono::sys_time<Duration> t) {
    std::string s;
    append_rfc3339_ms(s, t);
    return s;
}

} // namespace apikit

#endif
