#ifndef APIKIT_EVENTS_DETAIL_RFC3339_HPP
#define APIKIT_EVENTS_DETAIL_RFC3339_HPP

// Reading RFC 3339 date-times (§5.6) for envelopes and CloudEvents: the
// writing side is core/timestamp.hpp. Every form the grammar allows is read
// — `T` or `t`, `Z`, `z` or a numeric offset, any number of fraction digits —
// and the instant is kept to the millisecond (finer digits are dropped, as
// the envelope writes milliseconds), in UTC. Refused: anything else, a date
// that does not exist (2023-02-29), a leap second (`:60`: a
// system_clock::time_point cannot hold one), and an instant a
// system_clock::time_point of nanoseconds cannot hold (before 1677-09-22,
// after 2262-04-11). Pure functions.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace apikit::events::detail {

// Howard Hinnant's days_from_civil: the day count of a proleptic Gregorian
// date (core/timestamp.hpp has its inverse).
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m,
                                                     unsigned d) noexcept {
    y -= m <= 2;
    std::int64_t const era = (y >= 0 ? y : y - 399) / 400;
    auto const yoe = static_cast<unsigned>(y - era * 400);
    unsigned const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

[[nodiscard]] constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool const leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

// The value of the `n` digits at `s[i]`, or -1 unless they are all digits.
[[nodiscard]] constexpr int digits(std::string_view s, std::size_t i, std::size_t n) noexcept {
    if (i + n > s.size())
        return -1;
    int v = 0;
    for (std::size_t k = i; k < i + n; ++k) {
        if (s[k] < '0' || s[k] > '9')
            return -1;
        v = v * 10 + (s[k] - '0');
    }
    return v;
}

using time_point = std::chrono::system_clock::time_point;

/// The instant `s` names, to the millisecond, or nothing.
[[nodiscard]] inline std::optional<time_point> parse_rfc3339(std::string_view s) noexcept {
    // YYYY-MM-DDTHH:MM:SS: 19 characters, then [.fraction] and the offset.
    int const year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
    int const hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
        minute > 59 || second < 0 || second > 59 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return std::nullopt;
    if (static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
        return std::nullopt;
    std::size_t i = 19;
    std::int64_t milli = 0;
    if (i < s.size() && s[i] == '.') {
        std::size_t const first = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (i - first < 3)
                milli = milli * 10 + (s[i] - '0');
            ++i;
        }
        if (i == first)
            return std::nullopt;
        for (auto n = i - first; n < 3; ++n)
            milli *= 10;
    }
    std::int64_t offset_minutes = 0;
    if (i + 1 == s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        // UTC
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int const oh = digits(s, i + 1, 2), om = digits(s, i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return std::nullopt;
        offset_minutes = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
    } else {
        return std::nullopt;
    }
    std::int64_t const seconds =
        days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
        hour * 3600 + minute * 60 + second - offset_minutes * 60;
    // What a time_point of nanoseconds holds, whole seconds inside it.
    constexpr std::int64_t limit = INT64_MAX / 1'000'000'000 - 1;
    if (seconds < -limit || seconds > limit)
        return std::nullopt;
    using namespace std::chrono;
    return time_point(duration_cast<system_clock::duration>(milliseconds(seconds * 1000 + milli)));
}

} // namespace apikit::events::detail

#endif
