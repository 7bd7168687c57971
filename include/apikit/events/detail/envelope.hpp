#ifndef APIKIT_EVENTS_DETAIL_ENVELOPE_HPP
#define APIKIT_EVENTS_DETAIL_ENVELOPE_HPP

// The rules of an envelope's members, and where a refused one went wrong,
// shared by parse_event (event.hpp), check_event and from_cloudevent
// (cloudevents.hpp), so an event is held to one set of rules whichever way it
// came in. Pure functions.

#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/events/error.hpp>
#include <apikit/obs/trace_context.hpp>

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace apikit::events::detail {

/// The longest event id: room for any UUID, ULID or prefixed id with plenty
/// to spare, short enough to be a key and a log field.
inline constexpr std::size_t max_id_size = 256;
/// The longest `traceparent` carried: version 00 is 55 characters; a later
/// version may append fields.
inline constexpr std::size_t max_traceparent_size = 512;

// The known members of `metadata`, in the order they are written.
inline constexpr std::array<std::string_view, 4> metadata_members = {"correlation_id", "source",
                                                                     "trace_id", "traceparent"};

[[nodiscard]] constexpr bool is_metadata_member(std::string_view name) noexcept {
    for (auto const m : metadata_members)
        if (m == name)
            return true;
    return false;
}

[[nodiscard]] constexpr bool is_visible_ascii(std::string_view s) noexcept {
    for (char const c : s)
        if (c < 0x21 || c > 0x7e)
            return false;
    return true;
}

/// An event id: 1 to 256 visible ASCII characters (`evt_…` for the events
/// apikit makes, anything of that form for those it reads).
[[nodiscard]] constexpr bool valid_id(std::string_view s) noexcept {
    return !s.empty() && s.size() <= max_id_size && is_visible_ascii(s);
}

/// A source: a non-empty URI-reference (RFC 3986), as CloudEvents requires
/// of `source`: `api`, `/orders`, `https://example.com/api`.
[[nodiscard]] inline bool valid_source(std::string_view s) noexcept {
    return !s.empty() && boost::urls::parse_uri_reference(s).has_value();
}

/// A W3C trace-id as logs write it: 32 lower-case hex digits, not all zero.
[[nodiscard]] constexpr bool valid_trace_id(std::string_view s) noexcept {
    return obs::trace_id::from_hex(s).has_value();
}

/// A W3C `traceparent` (obs::parse_traceparent's rules: version 00 exactly,
/// a later version's fields read as 00's), with no surrounding space, of at
/// most 512 characters.
[[nodiscard]] inline bool valid_traceparent(std::string_view s) noexcept {
    return s.size() <= max_traceparent_size && grammar::trim_ows(s).size() == s.size() &&
           obs::parse_traceparent(s).has_value();
}

// Where a refusal happened: a JSON Pointer (RFC 6901), written only when the
// caller asked for it.
class fault_pointer {
public:
    explicit fault_pointer(std::string* out) noexcept : out_(out) {
        if (out_)
            out_->clear();
    }

    /// Records `/<name>` (or `/<parent>/<name>`) and returns `e`.
    error at(error e, std::string_view name, std::string_view parent = {}) const {
        if (out_) {
            out_->clear();
            if (!parent.empty())
                append(parent);
            append(name);
        }
        return e;
    }

    /// Records the whole document and returns `e`.
    error whole(error e) const {
        if (out_)
            out_->clear();
        return e;
    }

private:
    void append(std::string_view token) const {
        out_->push_back('/');
        for (char const c : token) {
            if (c == '~')
                out_->append("~0");
            else if (c == '/')
                out_->append("~1");
            else
                out_->push_back(c);
        }
    }

    std::string* out_;
};

// The string member `name` of `o`: null when absent or null, `wrong` when
// present but not a string.
struct string_member {
    boost::json::string const* value = nullptr;
    bool wrong = false;
};

[[nodiscard]] inline string_member find_string(boost::json::object const& o,
                                               std::string_view name) noexcept {
    auto const* v = o.if_contains(name);
    if (v == nullptr || v->is_null())
        return {};
    if (auto const* s = v->if_string())
        return {s, false};
    return {nullptr, true};
}

} // namespace apikit::events::detail

#endif
