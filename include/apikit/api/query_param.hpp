#ifndef APIKIT_API_QUERY_PARAM_HPP
#define APIKIT_API_QUERY_PARAM_HPP

// Bounded integer query parameters (`limit`, `page`, `per_page`). The HTTP
// layer finds a parameter with Boost.URL and hands over its percent-decoded
// value, or std::nullopt when the query does not have it; these functions
// decide. A bad value is a 422 `validation_error` whose details name the
// parameter, so every parser returns api_result<T> (a value or an api_error
// carrying the field details), never apikit::result<T>.
//
// The accepted text is plain decimal digits, nothing else: no sign, no
// spaces, no fraction, no exponent. `?limit=` (present but empty) is an
// error, not the default: a client that sends a parameter means a value.

#include <apikit/api/error.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace apikit::api {

/// The rule for one integer query parameter: its name (the `field` of a
/// validation error), its bounds and the value it takes when absent.
class integer_param {
public:
    /// The largest bound: values stay within a signed 64-bit integer so they
    /// fit a SQL bigint and a JSON number that every client reads exactly.
    static constexpr std::uint64_t unbounded = std::numeric_limits<std::int64_t>::max();

    /// Throws std::invalid_argument (a compile error in a constant expression)
    /// when the bounds are empty or the default lies outside them.
    constexpr integer_param(std::string_view name, std::uint64_t min, std::uint64_t max,
                            std::uint64_t default_value)
        : name_(name)
        , min_(min)
        , max_(max)
        , default_(default_value) {
        if (name.empty() || min > max || max > unbounded || default_value < min ||
            default_value > max)
            throw std::invalid_argument("apikit::api::integer_param: inconsistent bounds");
    }

    [[nodiscard]] constexpr std::string_view name() const noexcept { return name_; }
    [[nodiscard]] constexpr std::uint64_t min() const noexcept { return min_; }
    [[nodiscard]] constexpr std::uint64_t max() const noexcept { return max_; }
    [[nodiscard]] constexpr std::uint64_t default_value() const noexcept { return default_; }

    /// The value: the default when `text` is std::nullopt, else `text` when it
    /// is decimal digits naming an integer within the bounds.
    [[nodiscard]] api_result<std::uint64_t> parse(std::optional<std::string_view> text) const {
        if (!text)
            return default_;
        auto const s = *text;
        // 20 digits hold any uint64; longer is out of range whatever it says
        // (leading zeros included), and from_chars need not see it.
        if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != s.npos)
            return invalid();
        std::uint64_t v = 0;
        auto const r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec != std::errc() || v < min_ || v > max_)
            return invalid();
        return v;
    }

    /// The field error for a bad value: `must be an integer from 1 to 100`.
    [[nodiscard]] field_error error() const {
        if (max_ == unbounded)
            return {std::string(name_), fmt::format("must be an integer of at least {}", min_)};
        return {std::string(name_), fmt::format("must be an integer from {} to {}", min_, max_)};
    }

private:
    [[nodiscard]] api_error invalid() const { return api_error::validation({error()}); }

    std::string_view name_;
    std::uint64_t min_, max_, default_;
};

/// `limit` of a cursor page: 1 to 100, default 20.
inline constexpr integer_param limit_param{"limit", 1, 100, 20};
/// `page` of an offset page: from 1, default 1.
inline constexpr integer_param page_param{"page", 1, integer_param::unbounded, 1};
/// `per_page` of an offset page: 1 to 100, default 20.
inline constexpr integer_param per_page_param{"per_page", 1, 100, 20};

} // namespace apikit::api

#endif
