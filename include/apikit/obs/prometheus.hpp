#ifndef APIKIT_OBS_PROMETHEUS_HPP
#define APIKIT_OBS_PROMETHEUS_HPP

// Prometheus' text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): what a
// `GET /metrics` answers, with `prometheus_content_type`.
//
//   # HELP http_server_request_duration_seconds Duration of HTTP server requests.
//   # TYPE http_server_request_duration_seconds histogram
//   http_server_request_duration_seconds_bucket{http_request_method="GET",le="0.005"} 3
//   …
//   http_server_request_duration_seconds_bucket{http_request_method="GET",le="+Inf"} 4
//   http_server_request_duration_seconds_sum{http_request_method="GET"} 0.0123
//   http_server_request_duration_seconds_count{http_request_method="GET"} 4
//
// Each family is written once, its HELP and TYPE lines first and its series
// after them; a histogram's buckets are cumulative and end with le="+Inf",
// equal to its _count. HELP text escapes `\` and line feeds, label values
// also `"`. A label with an empty value is left out (Prometheus treats the
// two alike). Numbers are written in the shortest form that reads back to
// the same double: integers without a fraction, +Inf, -Inf and NaN as the
// format spells them. The names' rules (a counter ends in _total, a unit in
// base units as a suffix) are checked when a metric is registered
// (detail/names.hpp), so the output passes `promtool check metrics` with no
// lint complaint; a ctest runs it on the example's output.
//
// Writing allocates only to grow `out`; it reads a snapshot
// (registry::collect), so a slow client never holds a metric's lock.

#include <apikit/obs/metrics.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::obs {

/// The Content-Type of the text format 0.0.4.
inline constexpr std::string_view prometheus_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

namespace detail {

inline void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else {
        char buf[32];
        // std::to_chars' shortest form: 3, 0.25, 1e-07, 1.8446744073709552e+19.
        auto const r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr);
    }
}

inline void append_escaped(std::string& out, std::string_view s, bool quote) {
    for (char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
}

// `{a="x",b="y"}` (with `le` last when given), or nothing for no label.
inline void append_labels(std::string& out, std::span<label const> labels,
                          std::string_view le = {}) {
    if (labels.empty() && le.empty())
        return;
    out += '{';
    bool first = true;
    for (auto const& l : labels) {
        if (!first)
            out += ',';
        first = false;
        out += l.name;
        out += "=\"";
        append_escaped(out, l.value, true);
        out += '"';
    }
    if (!le.empty()) {
        if (!first)
            out += ',';
        out += "le=\"";
        out += le;
        out += '"';
    }
    out += '}';
}

inline void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                          std::span<label const> labels, double value, std::string_view le = {}) {
    out += name;
    out += suffix;
    append_labels(out, labels, le);
    out += ' ';
    append_number(out, value);
    out += '\n';
}

} // namespace detail

/// Appends `families` in the text format 0.0.4 to `out`.
inline void write_prometheus(std::span<family_snapshot const> families, std::string& out) {
    std::string le;
    for (auto const& f : families) {
        out += "# HELP ";
        out += f.name;
        out += ' ';
        detail::append_escaped(out, f.help, false);
        out += "\n# TYPE ";
        out += f.name;
        out += ' ';
        out += to_string(f.type);
        out += '\n';
        for (auto const& s : f.series) {
            if (f.type != metric_type::histogram) {
                detail::append_sample(out, f.name, {}, s.labels, s.value);
                continue;
            }
            auto const& h = s.histogram;
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < h.counts.size(); ++i) {
                cumulative += h.counts[i];
                le.clear();
                if (i < h.bounds.size())
                    detail::append_number(le, h.bounds[i]);
                else
                    le = "+Inf";
                detail::append_sample(out, f.name, "_bucket", s.labels,
                                      static_cast<double>(cumulative), le);
            }
            detail::append_sample(out, f.name, "_sum", s.labels, h.sum);
            detail::append_sample(out, f.name, "_count", s.labels, static_cast<double>(h.count));
        }
    }
}

/// Appends every metric of `reg` in the text format 0.0.4 to `out`.
inline void write_prometheus(registry const& reg, std::string& out) {
    auto const families = reg.collect();
    write_prometheus(std::span<family_snapshot const>(families), out);
}

inline void registry::write_prometheus(std::string& out) const {
    obs::write_prometheus(*this, out);
}

} // namespace apikit::obs

#endif
