#ifndef APIKIT_OBS_TRACE_CONTEXT_HPP
#define APIKIT_OBS_TRACE_CONTEXT_HPP

// W3C Trace Context (Level 1, https://www.w3.org/TR/trace-context-1/): the
// `traceparent` and `tracestate` fields that carry a distributed trace from
// one service to the next, and the trace of one request as a server sees it.
//
//   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//                ^  ^ trace id (16 bytes)             ^ parent id (8)  ^ flags (01: sampled)
//   tracestate:  rojo=00f067aa0ba902b7,congo=t61rcWkgMzE
//
// `parse_traceparent` is strict, as the spec asks: lower-case hex only, an
// all-zero trace id or parent id, version `ff`, or version 00 with anything
// after the flags is invalid, and the caller then starts a new trace. A
// higher version is read as §3.2.4 says: its first 55 characters as version
// 00's fields, then the end or a '-' (what follows is the future's, and is
// ignored). `to_chars` always writes version 00, with the sampled flag only
// (the other flags are reserved: "vendors MUST set those to zero").
//
// `tracestate` (obs/tracestate.hpp, included here) is lenient, as the spec
// allows: bad members, duplicates and members past the 32nd are dropped and
// counted, the rest keep their order.
//
// `request_trace` is one request's trace as the server continues or starts
// it: the trace id, the server's own span id, the caller's span id when it
// sent a valid traceparent, and what the server sends onwards (`traceparent()`).
// obs::tracing (obs/middleware.hpp) fills it for every HTTP request and says
// where the trace goes: HTTP responses, log lines, event metadata.
//
// Threads and failures: everything here is a value; ids come from the
// CSPRNG's per-thread pool (core/random.hpp), a copy with no lock. A
// traceparent is parsed and written without allocating; a tracestate
// allocates its text only when there is one. This header has no Beast and
// no Asio: events and non-HTTP consumers use it alone.

#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/core/random.hpp>
#include <apikit/obs/detail/trace_hex.hpp>
#include <apikit/obs/tracestate.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace apikit::obs {

inline constexpr std::string_view traceparent_field = "traceparent";
inline constexpr std::string_view tracestate_field = "tracestate";

/// Text of a fixed size, in place: what the id and traceparent writers
/// return, so that nothing is allocated. Keep it while its view is used.
template <std::size_t M>
struct fixed_chars {
    std::array<char, M> chars{};
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), M}; }
    [[nodiscard]] std::string to_string() const { return std::string(view()); }
};

/// An id of `N` bytes: a trace id (16) or a span id (8). All zeros is the
/// invalid id (the spec forbids it on the wire); a default one is invalid.
template <std::size_t N>
struct basic_id {
    std::array<std::uint8_t, N> bytes{};

    [[nodiscard]] constexpr bool valid() const noexcept { return !detail::all_zero(bytes); }
    /// The id as 2N lower-case hex characters.
    [[nodiscard]] constexpr fixed_chars<2 * N> hex() const noexcept {
        fixed_chars<2 * N> out;
        detail::encode_hex(bytes, out.chars.data());
        return out;
    }
    /// Reads 2N lower-case hex characters; std::nullopt for anything else
    /// or for the all-zero id.
    [[nodiscard]] static constexpr std::optional<basic_id> from_hex(std::string_view s) noexcept {
        basic_id id;
        if (s.size() != 2 * N || !detail::decode_hex(s.data(), id.bytes) || !id.valid())
            return std::nullopt;
        return id;
    }
    friend constexpr bool operator==(basic_id const&, basic_id const&) noexcept = default;
};

using trace_id = basic_id<16>;
using span_id = basic_id<8>;

namespace detail {
template <std::size_t N>
[[nodiscard]] basic_id<N> new_id() {
    basic_id<N> id;
    do
        random_bytes(id.bytes.data(), N);
    while (!id.valid()); // 2^-64 at worst, but never all zeros
    return id;
}
} // namespace detail

/// A random trace id from the CSPRNG, never all zeros.
[[nodiscard]] inline trace_id new_trace_id() {
    return detail::new_id<16>();
}
/// A random span id from the CSPRNG, never all zeros.
[[nodiscard]] inline span_id new_span_id() {
    return detail::new_id<8>();
}

inline constexpr std::uint8_t sampled_flag = 0x01;
/// The characters of a version-00 traceparent.
inline constexpr std::size_t traceparent_size = 55;

/// The fields of a `traceparent` value.
struct traceparent {
    std::uint8_t version = 0;
    trace_id trace;
    span_id parent; ///< the sender's span: the parent of the receiver's
    std::uint8_t flags = 0;

    /// The caller may have recorded its span (flags bit 0).
    [[nodiscard]] constexpr bool sampled() const noexcept { return (flags & sampled_flag) != 0; }
    friend constexpr bool operator==(traceparent const&, traceparent const&) noexcept = default;
};

/// Parses a `traceparent` field value (surrounding spaces and tabs
/// ignored); errc::malformed_request when it is not one (see the top).
[[nodiscard]] inline result<traceparent> parse_traceparent(std::string_view s) noexcept {
    s = grammar::trim_ows(s);
    // A higher version may be longer, never shorter (§3.2.4).
    if (s.size() < traceparent_size)
        return errc::malformed_request;
    char const* p = s.data();
    traceparent tp;
    // Every part is read, whatever the one before: a valid value takes no
    // branch until the end.
    bool ok = detail::decode_hex_byte(p, tp.version);
    ok &= detail::decode_hex(p + 3, tp.trace.bytes);
    ok &= detail::decode_hex(p + 36, tp.parent.bytes);
    ok &= detail::decode_hex_byte(p + 53, tp.flags);
    ok &= (p[2] == '-') & (p[35] == '-') & (p[52] == '-');
    if (!ok || tp.version == 0xff || !tp.trace.valid() || !tp.parent.valid())
        return errc::malformed_request;
    // Version 00 is exactly 55 characters; a later one may go on after a '-'.
    if (s.size() > traceparent_size && (tp.version == 0 || p[traceparent_size] != '-'))
        return errc::malformed_request;
    return tp;
}

/// Writes `tp` as a version-00 value, `00-<trace>-<parent>-<flags>`, with
/// only the flags this version defines (sampled).
[[nodiscard]] constexpr fixed_chars<traceparent_size> to_chars(traceparent const& tp) noexcept {
    fixed_chars<traceparent_size> out;
    char* p = out.chars.data();
    p[0] = '0';
    p[1] = '0';
    p[2] = p[35] = p[52] = '-';
    detail::encode_hex(tp.trace.bytes, p + 3);
    detail::encode_hex(tp.parent.bytes, p + 36);
    detail::encode_hex_byte(static_cast<std::uint8_t>(tp.flags & sampled_flag), p + 53);
    return out;
}

[[nodiscard]] inline std::string to_string(traceparent const& tp) {
    return to_chars(tp).to_string();
}

/// One request's trace as the server sees it: the slot obs::tracing fills
/// (obs/middleware.hpp), or made by hand where no HTTP request is (an event
/// consumer continuing the trace of the event's `traceparent`).
struct request_trace {
    trace_id trace;
    span_id span;                  ///< the server's own span for this request
    std::optional<span_id> parent; ///< the caller's span, when a valid traceparent came
    std::uint8_t flags = 0;        ///< sampled or not: the caller's decision, or ours
    tracestate state;              ///< the caller's, when its traceparent was valid

    /// Starts a new trace: new ids, no parent, no tracestate.
    void start(bool sampled = true) {
        trace = new_trace_id();
        span = new_span_id();
        parent.reset();
        flags = sampled ? sampled_flag : 0;
        state.clear();
    }

    /// Continues the caller's trace with a span of our own, which is never
    /// the caller's; keeps the caller's sampling decision.
    void continue_from(obs::traceparent const& caller) {
        trace = caller.trace;
        parent = caller.parent;
        do
            span = new_span_id();
        while (span == caller.parent);
        flags = static_cast<std::uint8_t>(caller.flags & sampled_flag);
        state.clear();
    }

    [[nodiscard]] bool valid() const noexcept { return trace.valid() && span.valid(); }
    [[nodiscard]] bool sampled() const noexcept { return (flags & sampled_flag) != 0; }

    /// What to send onwards (the response, an outgoing call, an event):
    /// this trace, with the server's span as the parent.
    [[nodiscard]] obs::traceparent context() const noexcept { return {0, trace, span, flags}; }
    /// `00-<trace>-<span>-<flags>`.
    [[nodiscard]] std::string traceparent() const { return to_string(context()); }

    void clear() noexcept {
        trace = {};
        span = {};
        parent.reset();
        flags = 0;
        state.clear();
    }
};

} // namespace apikit::obs

#endif
