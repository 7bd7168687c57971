#ifndef APIKIT_OBS_LEVEL_HPP
#define APIKIT_OBS_LEVEL_HPP

// Log levels, from the most detailed to the gravest: trace, debug, info,
// warn, error, fatal. A log line writes its level in lower case
// (`"level":"warn"`); a logger drops the lines below its minimum, which can
// be changed while the server runs. Plain values and pure functions: no
// threads, no time, no failure other than an unknown name.

#include <apikit/core/http_grammar.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace apikit::obs {

enum class level : std::uint8_t { trace, debug, info, warn, error, fatal };

namespace detail {
inline constexpr std::array<std::string_view, 6> level_names = {"trace", "debug", "info",
                                                                "warn",  "error", "fatal"};
} // namespace detail

/// The level's name as a log line writes it: "trace" … "fatal".
[[nodiscard]] constexpr std::string_view to_string(level l) noexcept {
    auto const i = static_cast<std::size_t>(l);
    return i < detail::level_names.size() ? detail::level_names[i] : std::string_view("info");
}

/// The level named `name`, compared without case ("info", "WARN"), with
/// "warning" for warn as syslog and Python spell it; std::nullopt for any
/// other name, for `--log-level` to refuse.
[[nodiscard]] constexpr std::optional<level> parse_level(std::string_view name) noexcept {
    for (std::size_t i = 0; i < detail::level_names.size(); ++i)
        if (grammar::iequals(name, detail::level_names[i]))
            return static_cast<level>(i);
    if (grammar::iequals(name, "warning"))
        return level::warn;
    return std::nullopt;
}

} // namespace apikit::obs

#endif
