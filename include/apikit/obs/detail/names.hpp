#ifndef APIKIT_OBS_DETAIL_NAMES_HPP
#define APIKIT_OBS_DETAIL_NAMES_HPP

// The checks a registry makes when a metric is registered (not when it is
// updated): names as Prometheus' data model has them
// (https://prometheus.io/docs/concepts/data_model/) and as `promtool check
// metrics` lints them, and a histogram's bounds.

#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::obs::detail {

[[nodiscard]] constexpr bool is_name_start(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
[[nodiscard]] constexpr bool is_name_char(char c) noexcept {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`: a label name, or a metric name without the
/// colons Prometheus reserves for recording rules.
[[nodiscard]] constexpr bool is_valid_name(std::string_view s) noexcept {
    if (s.empty() || !is_name_start(s.front()))
        return false;
    for (char c : s)
        if (!is_name_char(c))
            return false;
    return true;
}

[[nodiscard]] constexpr bool ends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

inline void check_metric_name(std::string_view name, bool counter) {
    if (!is_valid_name(name))
        throw std::invalid_argument("apikit::obs: invalid metric name \"" + std::string(name) +
                                    "\"");
    // promtool: a counter's name ends in _total, nothing else's does.
    if (counter != ends_with(name, "_total"))
        throw std::invalid_argument(
            "apikit::obs: metric \"" + std::string(name) + "\": " +
            (counter ? "a counter's name ends in _total" : "only a counter's name ends in _total"));
}

inline void check_label_name(std::string_view name, bool histogram) {
    // Names starting with __ are Prometheus' own; `le` is the histogram's.
    if (!is_valid_name(name) || name.starts_with("__") || (histogram && name == "le"))
        throw std::invalid_argument("apikit::obs: invalid label name \"" + std::string(name) +
                                    "\"");
}

/// The bounds of a histogram: finite and strictly increasing; a trailing
/// +Inf (implied) is dropped.
[[nodiscard]] inline std::vector<double> checked_bounds(std::span<double const> bounds) {
    std::vector<double> b(bounds.begin(), bounds.end());
    if (!b.empty() && std::isinf(b.back()) && b.back() > 0)
        b.pop_back();
    for (std::size_t i = 0; i < b.size(); ++i)
        if (!std::isfinite(b[i]) || (i > 0 && !(b[i - 1] < b[i])))
            throw std::invalid_argument(
                "apikit::obs::histogram: bounds must be finite and strictly increasing");
    return b;
}

} // namespace apikit::obs::detail

#endif
