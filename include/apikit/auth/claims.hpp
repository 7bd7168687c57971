#ifndef APIKIT_AUTH_CLAIMS_HPP
#define APIKIT_AUTH_CLAIMS_HPP

// What a token says: its JOSE header (RFC 7515 §4: `alg`, `typ`, `kid`) and
// its claims (RFC 7519 §4.1: `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`,
// `jti`; `scope` of RFC 8693 §4.2 and RFC 9068), typed, with every other
// claim kept as JSON in `extra` and reachable as a user type through
// Boost.JSON's tag_invoke (`get<T>` / `set<T>`).
//
// Types are held strictly, because a claim that means something else than
// it says is how checks get skipped: a claim of the wrong type is
// `error::malformed` rather than ignored —
// - `iss`, `sub`, `jti`: strings;
// - `aud`: a string or an array of strings (written back as a string when
//   there is one, RFC 7519 §4.1.3);
// - `exp`, `nbf`, `iat`: NumericDates — a JSON integer, or a non-integer
//   number (RFC 7519 §2 allows them) rounded to the whole second on the
//   stricter side: `exp` down, `nbf` and `iat` up; outside ±2^63 s, NaN,
//   a string or null: malformed;
// - `scope`: an array of strings, or one space-separated string
//   (RFC 8693 §4.2), always written back as an array.
// An empty string claim reads as absent (`iss: ""` is no issuer).
//
// Plain values: no threads, no clock, no I/O.

#include <apikit/auth/algorithm.hpp>
#include <apikit/auth/detail/claims_json.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/core/error.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::auth {

/// A token's JOSE header, as far as apikit reads it. Other parameters
/// (`cty`, `jku`, `x5u`, …) are ignored: keys come from the key set only,
/// never from the token (RFC 8725 §3.10).
struct jose_header {
    algorithm alg = algorithm::hs256;
    std::string typ;
    std::string kid;
};

struct claims {
    std::string iss, sub, jti;
    std::vector<std::string> aud;
    std::optional<std::int64_t> exp, nbf, iat; ///< NumericDate: seconds since the Unix epoch
    std::vector<std::string> scope;
    boost::json::object extra; ///< every other claim

    /// True when `s` is one of the scope's tokens (compared exactly).
    [[nodiscard]] bool has_scope(std::string_view s) const noexcept {
        return std::find(scope.begin(), scope.end(), s) != scope.end();
    }

    /// The claim `name` as a T (Boost.JSON value_to, so a user type with a
    /// tag_invoke works): error::missing_claim when absent, error::malformed
    /// when it does not convert. Registered claims are read as written.
    template <class T>
    [[nodiscard]] result<T> get(std::string_view name) const;

    /// Sets the claim `name` to `value` (Boost.JSON value_from). A registered
    /// claim must fit its type (see above), else std::invalid_argument.
    template <class T>
    void set(std::string_view name, T const& value);
};

namespace detail {

// The field of a registered claim of `c` (claims or claims const): a string
// (iss, sub, jti), a date (exp, nbf, iat) or a list (aud, scope); all null
// for another name. The one place that maps a name to its field.
template <class Claims>
[[nodiscard]] constexpr auto field_of(Claims& c, claim_name n) noexcept {
    struct field {
        decltype(&c.iss) text = nullptr;
        decltype(&c.exp) date = nullptr;
        decltype(&c.aud) list = nullptr;
    };
    switch (n) {
    case claim_name::iss:
        return field{&c.iss};
    case claim_name::sub:
        return field{&c.sub};
    case claim_name::jti:
        return field{&c.jti};
    case claim_name::exp:
        return field{nullptr, &c.exp};
    case claim_name::nbf:
        return field{nullptr, &c.nbf};
    case claim_name::iat:
        return field{nullptr, &c.iat};
    case claim_name::aud:
        return field{nullptr, nullptr, &c.aud};
    case claim_name::scope:
        return field{nullptr, nullptr, &c.scope};
    case claim_name::other:
        break;
    }
    return field{};
}

// Sets the claim `name` of `c` from `v`: a registered claim by its rule, any
// other into `extra`. False when a registered claim has the wrong type.
[[nodiscard]] inline bool assign_claim(claims& c, std::string_view name,
                                       boost::json::value const& v) {
    auto const n = registered_claim(name);
    auto const f = field_of(c, n);
    if (f.text) {
        auto const* s = v.if_string();
        if (s == nullptr)
            return false;
        f.text->assign(s->data(), s->size());
        return true;
    }
    if (f.date) {
        *f.date = numeric_date(v, n == claim_name::exp ? date_rounding::down : date_rounding::up);
        return f.date->has_value();
    }
    if (f.list)
        return n == claim_name::aud ? read_audience(v, *f.list) : read_scope(v, *f.list);
    c.extra[name] = v;
    return true;
}

// The JSON of a registered claim of `c`, or nullopt when it is absent (or
// `name` is not one).
[[nodiscard]] inline std::optional<boost::json::value> registered_value(claims const& c,
                                                                        std::string_view name) {
    auto const n = registered_claim(name);
    auto const f = field_of(c, n);
    if (f.text && !f.text->empty())
        return boost::json::value(boost::json::string_view(*f.text));
    if (f.date && f.date->has_value())
        return boost::json::value(**f.date);
    if (f.list && !f.list->empty())
        return n == claim_name::aud ? audience_value(*f.list) : scope_value(*f.list);
    return std::nullopt;
}

// True when the claim `name` is present: a registered one not empty, or a
// member of `extra`.
[[nodiscard]] inline bool has_claim(claims const& c, std::string_view name) {
    auto const f = field_of(c, registered_claim(name));
    if (f.text)
        return !f.text->empty();
    if (f.date)
        return f.date->has_value();
    if (f.list)
        return !f.list->empty();
    return c.extra.contains(name);
}

} // namespace detail

template <class T>
result<T> claims::get(std::string_view name) const {
    auto convert = [](boost::json::value const& v) -> result<T> {
        auto r = boost::json::try_value_to<T>(v);
        if (!r)
            return error::malformed;
        return std::move(*r);
    };
    if (detail::registered_claim(name) != detail::claim_name::other) {
        auto const v = detail::registered_value(*this, name);
        if (!v)
            return error::missing_claim;
        return convert(*v);
    }
    auto const* v = extra.if_contains(name);
    if (v == nullptr)
        return error::missing_claim;
    return convert(*v);
}

template <class T>
void claims::set(std::string_view name, T const& value) {
    if (!detail::assign_claim(*this, name, boost::json::value_from(value)))
        throw std::invalid_argument("apikit::auth::claims::set: a registered claim of the "
                                    "wrong type");
}

/// Reads claims from a JSON object: error::malformed when a registered claim
/// has the wrong type.
[[nodiscard]] inline result<claims> parse_claims(boost::json::object const& o) {
    claims c;
    for (auto const& m : o)
        if (!detail::assign_claim(c, m.key(), m.value()))
            return error::malformed;
    return c;
}

/// `boost::json::value_from(claims)`: the registered claims present (`aud`
/// a string when there is one, `scope` an array), then `extra`, whose
/// members never overwrite a registered one.
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, claims const& c) {
    auto& o = jv.emplace_object();
    o.reserve(8 + c.extra.size());
    for (auto const* name : {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope"})
        if (auto v = detail::registered_value(c, name))
            o.emplace(name, std::move(*v));
    for (auto const& m : c.extra)
        o.emplace(m.key(), m.value());
}

/// `boost::json::value_to<claims>` (throws on a malformed claim) and
/// `try_value_to<claims>`.
inline result<claims> tag_invoke(boost::json::try_value_to_tag<claims>,
                                 boost::json::value const& jv) {
    auto const* o = jv.if_object();
    if (o == nullptr)
        return error::malformed;
    return parse_claims(*o);
}

} // namespace apikit::auth

#endif
