#ifndef APIKIT_AUTH_DETAIL_CLAIMS_JSON_HPP
#define APIKIT_AUTH_DETAIL_CLAIMS_JSON_HPP

// The type rules of the registered claims (claims.hpp), in one place for
// parse_claims, claims::set and the token decoder (jwt.hpp): which JSON a
// claim may hold, and how it is written back. Pure functions, no state.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::auth::detail {

// Which way a fractional NumericDate is rounded: toward the stricter reading
// of its claim (an earlier `exp`, a later `nbf` or `iat`).
enum class date_rounding : bool { down, up };

// A NumericDate (RFC 7519 §2): a JSON integer, or a finite number within
// ±2^63 whose fraction is rounded the stricter way. Anything else (a string,
// a bool, null, an integer past 2^63 - 1): nullopt.
[[nodiscard]] inline std::optional<std::int64_t> numeric_date(boost::json::value const& v,
                                                              date_rounding r) noexcept {
    if (auto const* i = v.if_int64())
        return *i;
    if (auto const* u = v.if_uint64()) {
        if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return std::nullopt;
        return static_cast<std::int64_t>(*u);
    }
    if (auto const* d = v.if_double()) {
        double const x = r == date_rounding::down ? std::floor(*d) : std::ceil(*d);
        // 2^63 is exact as a double; every double below it converts.
        if (!std::isfinite(x) || x >= 9223372036854775808.0 || x < -9223372036854775808.0)
            return std::nullopt;
        return static_cast<std::int64_t>(x);
    }
    return std::nullopt;
}

// A claim's string, or nullopt when it is not one.
[[nodiscard]] inline std::optional<std::string> claim_string(boost::json::value const& v) {
    if (auto const* s = v.if_string())
        return std::string(s->data(), s->size());
    return std::nullopt;
}

// Appends the strings of `a` to `out`; false if one is not a string.
[[nodiscard]] inline bool read_strings(boost::json::array const& a, std::vector<std::string>& out) {
    out.reserve(out.size() + a.size());
    for (auto const& e : a) {
        auto const* s = e.if_string();
        if (s == nullptr)
            return false;
        out.emplace_back(s->data(), s->size());
    }
    return true;
}

// `aud`: a string, or an array of strings (RFC 7519 §4.1.3).
[[nodiscard]] inline bool read_audience(boost::json::value const& v,
                                        std::vector<std::string>& out) {
    out.clear();
    if (auto const* s = v.if_string()) {
        out.emplace_back(s->data(), s->size());
        return true;
    }
    auto const* a = v.if_array();
    return a != nullptr && read_strings(*a, out);
}

// `scope` as RFC 8693 §4.2 writes it: scope-tokens separated by spaces. Runs
// of spaces separate as one; a leading or trailing one is ignored.
inline void split_scope(std::string_view s, std::vector<std::string>& out) {
    while (!s.empty()) {
        auto const start = s.find_first_not_of(' ');
        if (start == std::string_view::npos)
            break;
        s.remove_prefix(start);
        auto const end = s.find(' ');
        out.emplace_back(s.substr(0, end));
        s.remove_prefix(end == std::string_view::npos ? s.size() : end);
    }
}

// `scope`: a space-separated string (RFC 8693) or an array of strings (the
// reference's `["read", "write"]`).
[[nodiscard]] inline bool read_scope(boost::json::value const& v, std::vector<std::string>& out) {
    out.clear();
    if (auto const* s = v.if_string()) {
        split_scope(std::string_view(s->data(), s->size()), out);
        return true;
    }
    auto const* a = v.if_array();
    return a != nullptr && read_strings(*a, out);
}

// The registered claims, and `scope`.
enum class claim_name : unsigned char { iss, sub, aud, exp, nbf, iat, jti, scope, other };

[[nodiscard]] constexpr claim_name registered_claim(std::string_view name) noexcept {
    if (name.size() == 5)
        return name == "scope" ? claim_name::scope : claim_name::other;
    if (name.size() != 3)
        return claim_name::other;
    // The seven names of three letters, each as one number: a switch, not
    // seven comparisons, on the path of every member of every token.
    auto const code = [](char a, char b, char c) {
        return static_cast<unsigned char>(a) << 16 | static_cast<unsigned char>(b) << 8 |
               static_cast<unsigned char>(c);
    };
    switch (code(name[0], name[1], name[2])) {
    case code('i', 's', 's'):
        return claim_name::iss;
    case code('s', 'u', 'b'):
        return claim_name::sub;
    case code('a', 'u', 'd'):
        return claim_name::aud;
    case code('e', 'x', 'p'):
        return claim_name::exp;
    case code('n', 'b', 'f'):
        return claim_name::nbf;
    case code('i', 'a', 't'):
        return claim_name::iat;
    case code('j', 't', 'i'):
        return claim_name::jti;
    default:
        return claim_name::other;
    }
}

// Writes `aud`: one audience as a string (the common form, RFC 7519 §4.1.3),
// several as an array.
[[nodiscard]] inline boost::json::value audience_value(std::vector<std::string> const& aud,
                                                       boost::json::storage_ptr sp = {}) {
    if (aud.size() == 1)
        return boost::json::string(aud.front(), sp);
    boost::json::array a(sp);
    a.reserve(aud.size());
    for (auto const& s : aud)
        a.emplace_back(boost::json::string_view(s));
    return a;
}

[[nodiscard]] inline boost::json::value scope_value(std::vector<std::string> const& scope,
                                                    boost::json::storage_ptr sp = {}) {
    boost::json::array a(sp);
    a.reserve(scope.size());
    for (auto const& s : scope)
        a.emplace_back(boost::json::string_view(s));
    return a;
}

} // namespace apikit::auth::detail

#endif
