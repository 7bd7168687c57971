#ifndef APIKIT_RATELIMIT_HEADERS_HPP
#define APIKIT_RATELIMIT_HEADERS_HPP

// The response header fields of a rate-limited request, as a pure function of
// a decision and the wall-clock time:
//
//     X-RateLimit-Limit: 100              the binding limit's capacity
//     X-RateLimit-Remaining: 42           its tokens left
//     X-RateLimit-Reset: 1704067260       Unix seconds when it is full again
//     RateLimit-Policy: "default";q=100;w=10
//     RateLimit: "default";r=42;t=6
//     Retry-After: 1                      only when denied
//
// The last three follow draft-ietf-httpapi-ratelimit-headers (-10): a List of
// Items whose value is the policy name as a String, `q` the quota, `w` the
// window in seconds (for a token bucket, the time an empty bucket takes to
// fill: 100 tokens at 10/s is w=10), `r` the remaining quota and `t` the
// seconds until more quota is available. Every limit of the policy is listed.
//
// Time. Decisions are made on a steady clock and carry durations, not
// instants: X-RateLimit-Reset is the wall-clock `now` the caller passes plus
// the time until full, so a wall-clock step moves only the advertised instant,
// never the limit. Every duration is rounded UP to whole seconds (a client
// that waits what it is told is never early), and Retry-After is at least 1.
// `t` is a limit's time until full when the request was allowed. The draft
// asks that Retry-After not point earlier than `t`, so when it was denied the
// denying limit's `t` is its retry-after and no `t` exceeds Retry-After.

#include <apikit/ratelimit/limit.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace apikit::ratelimit {

struct header_options {
    /// X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset.
    bool x_ratelimit = true;
    /// RateLimit-Policy and RateLimit (the IETF draft's structured fields).
    bool draft = true;
    /// Retry-After when the request was denied.
    bool retry_after = true;
};

/// Whole seconds in `d`, rounded up; 0 for no time at all.
[[nodiscard]] constexpr std::int64_t ceil_seconds(nanoseconds d) noexcept {
    if (d.count() <= 0)
        return 0;
    return (d.count() - 1) / 1'000'000'000 + 1;
}

/// The Retry-After of a denied decision: its wait in whole seconds, rounded
/// up, at least 1.
[[nodiscard]] constexpr std::int64_t retry_after_seconds(decision const& d) noexcept {
    auto const s = ceil_seconds(d.retry_after);
    return s > 0 ? s : 1;
}

namespace detail {

// An RFC 8941 String: quoted, with `"` and `\` escaped. Names are printable
// ASCII (checked when the limit is built).
inline void append_sf_string(fmt::memory_buffer& out, std::string_view s) {
    out.push_back('"');
    for (char c : s) {
        if (c == '"' || c == '\\')
            out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
}

} // namespace detail

/// Calls `emit(name, value)` for each header field of `d` at wall-clock
/// `wall_now`. The values are valid during the call only.
template <class Emit>
void write_headers(policy_decision const& d, std::chrono::system_clock::time_point wall_now,
                   Emit&& emit, header_options const& o = {}) {
    fmt::memory_buffer buf;
    auto put = [&](std::string_view name) {
        emit(name, std::string_view(buf.data(), buf.size()));
        buf.clear();
    };
    if (o.x_ratelimit) {
        fmt::format_to(std::back_inserter(buf), "{}", d.limit);
        put("X-RateLimit-Limit");
        fmt::format_to(std::back_inserter(buf), "{}", d.remaining);
        put("X-RateLimit-Remaining");
        auto const wall_ns =
            std::chrono::duration_cast<nanoseconds>(wall_now.time_since_epoch()) + d.reset_after;
        fmt::format_to(std::back_inserter(buf), "{}", ceil_seconds(wall_ns));
        put("X-RateLimit-Reset");
    }
    auto const limits = d.limits();
    if (o.draft && !limits.empty()) {
        for (std::size_t i = 0; i < limits.size(); ++i) {
            auto const& s = limits[i];
            if (i > 0)
                buf.append(std::string_view(", "));
            detail::append_sf_string(buf, s.name);
            // A window is a positive number of seconds: at least 1.
            auto const w = ceil_seconds(s.window);
            fmt::format_to(std::back_inserter(buf), ";q={};w={}", s.limit, w > 0 ? w : 1);
        }
        put("RateLimit-Policy");
        auto const retry = retry_after_seconds(d);
        for (std::size_t i = 0; i < limits.size(); ++i) {
            auto const& s = limits[i];
            if (i > 0)
                buf.append(std::string_view(", "));
            detail::append_sf_string(buf, s.name);
            auto t = ceil_seconds(s.allowed ? s.reset_after : s.retry_after);
            if (!d.allowed && t > retry)
                t = retry;
            fmt::format_to(std::back_inserter(buf), ";r={};t={}", s.remaining, t);
        }
        put("RateLimit");
    }
    if (o.retry_after && !d.allowed) {
        fmt::format_to(std::back_inserter(buf), "{}", retry_after_seconds(d));
        put("Retry-After");
    }
}

} // namespace apikit::ratelimit

#endif
