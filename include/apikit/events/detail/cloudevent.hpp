#ifndef APIKIT_EVENTS_DETAIL_CLOUDEVENT_HPP
#define APIKIT_EVENTS_DETAIL_CLOUDEVENT_HPP

// The CloudEvents 1.0 rules behind cloudevents.hpp: attribute names, the
// type system's JSON forms, JSON media types, and the reading of one
// structured-mode event into an apikit event. Pure functions.

#include <apikit/core/error.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/events/detail/envelope.hpp>
#include <apikit/events/detail/rfc3339.hpp>
#include <apikit/events/error.hpp>
#include <apikit/events/event.hpp>
#include <apikit/events/type_name.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::events::detail {

/// The longest attribute name apikit reads or writes (CloudEvents 1.0 §
/// "Attribute Naming Convention": names SHOULD NOT exceed 20 characters;
/// apikit holds them to it).
inline constexpr std::size_t max_attribute_name_size = 20;

/// A CloudEvents attribute name: 1 to 20 of a–z and 0–9.
[[nodiscard]] constexpr bool valid_attribute_name(std::string_view s) noexcept {
    if (s.empty() || s.size() > max_attribute_name_size)
        return false;
    for (char const c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    return true;
}

// Members a CloudEvent's JSON form gives a meaning of its own, which an
// extension (from metadata.extra) may not take: the context attributes
// apikit maps, and the members of the JSON format (`data`, `data_base64`).
inline constexpr std::array<std::string_view, 11> mapped_members = {
    "specversion",   "id",          "source",  "type", "time",       "datacontenttype",
    "correlationid", "traceparent", "traceid", "data", "data_base64"};

[[nodiscard]] constexpr bool is_mapped_member(std::string_view name) noexcept {
    for (auto const m : mapped_members)
        if (m == name)
            return true;
    return false;
}

/// A value of a CloudEvents type in JSON (JSON format §2.2): a string
/// (String, URI, URI-reference, Timestamp, Binary), a boolean (Boolean), or
/// an integer in the 32-bit range (Integer).
[[nodiscard]] inline bool is_attribute_value(boost::json::value const& v) noexcept {
    if (v.is_string() || v.is_bool())
        return true;
    if (auto const* i = v.if_int64())
        return *i >= std::numeric_limits<std::int32_t>::min() &&
               *i <= std::numeric_limits<std::int32_t>::max();
    if (auto const* u = v.if_uint64())
        return *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
    return false;
}

/// Optional attributes with rules of their own (core spec): `subject` a
/// non-empty string, `dataschema` a non-empty absolute URI.
[[nodiscard]] inline bool valid_optional_attribute(std::string_view name,
                                                   boost::json::value const& v) noexcept {
    if (name == "subject")
        return v.is_string() && !v.get_string().empty();
    if (name == "dataschema")
        return v.is_string() && !v.get_string().empty() &&
               boost::urls::parse_uri(v.get_string()).has_value();
    return is_attribute_value(v);
}

/// An extra metadata member that can travel as an extension attribute.
[[nodiscard]] inline bool is_extension(std::string_view name,
                                       boost::json::value const& v) noexcept {
    return valid_attribute_name(name) && !is_mapped_member(name) &&
           valid_optional_attribute(name, v);
}

/// A JSON media type (JSON format §3.1): `application/json`, `text/json`, or
/// any `…/…+json`, in any case, with any parameters.
[[nodiscard]] constexpr bool is_json_content_type(std::string_view s) noexcept {
    auto const essence = grammar::trim_ows(s.substr(0, s.find(';')));
    auto const slash = essence.find('/');
    if (slash == std::string_view::npos)
        return false;
    auto const type = essence.substr(0, slash), subtype = essence.substr(slash + 1);
    if (!grammar::is_token(type) || !grammar::is_token(subtype))
        return false;
    if (grammar::iequals(subtype, "json"))
        return grammar::iequals(type, "application") || grammar::iequals(type, "text");
    return subtype.size() > 5 && grammar::iequals(subtype.substr(subtype.size() - 5), "+json");
}

// A member that is absent or JSON null: CloudEvents' JSON schema allows null
// for every optional attribute, meaning unset.
[[nodiscard]] inline boost::json::value const* present(boost::json::object const& o,
                                                       std::string_view name) noexcept {
    auto const* v = o.if_contains(name);
    return v && !v->is_null() ? v : nullptr;
}

[[nodiscard]] inline result<event> read_cloudevent(boost::json::value const& v,
                                                   fault_pointer const& at) {
    auto const* o = v.if_object();
    if (o == nullptr)
        return at.whole(error::not_an_object);

    // Required attributes (core spec, "REQUIRED Attributes"), then `time`,
    // which apikit requires too: an envelope has a timestamp.
    auto const* specversion = present(*o, "specversion");
    if (specversion == nullptr)
        return at.at(error::missing_member, "specversion");
    if (!specversion->is_string() || specversion->get_string() != "1.0")
        return at.at(error::unsupported_specversion, "specversion");
    auto const* id = present(*o, "id");
    if (id == nullptr)
        return at.at(error::missing_member, "id");
    if (!id->is_string() || !valid_id(id->get_string()))
        return at.at(error::invalid_id, "id");
    auto const* source = present(*o, "source");
    if (source == nullptr)
        return at.at(error::missing_member, "source");
    if (!source->is_string() || !valid_source(source->get_string()))
        return at.at(error::invalid_attribute, "source");
    auto const* type_text = present(*o, "type");
    if (type_text == nullptr)
        return at.at(error::missing_member, "type");
    if (!type_text->is_string() || type_text->get_string().empty())
        return at.at(error::invalid_attribute, "type");
    auto const type = type_name::parse(type_text->get_string());
    if (!type)
        return at.at(error::invalid_type_name, "type");
    auto const* time = present(*o, "time");
    if (time == nullptr)
        return at.at(error::missing_member, "time");
    auto const when = time->is_string() ? parse_rfc3339(time->get_string()) : std::nullopt;
    if (!when)
        return at.at(error::invalid_timestamp, "time");

    // The data: JSON in `data`; binary (`data_base64`) is not carried.
    if (auto const* ct = present(*o, "datacontenttype")) {
        if (!ct->is_string() || ct->get_string().empty())
            return at.at(error::invalid_attribute, "datacontenttype");
        if (!is_json_content_type(ct->get_string()))
            return at.at(error::unsupported_data, "datacontenttype");
    }
    auto const* data = present(*o, "data");
    if (present(*o, "data_base64"))
        return at.at(data ? error::invalid_attribute : error::unsupported_data, "data_base64");

    event e{std::string(id->get_string()), *type, *when, data ? *data : boost::json::value(), {}};
    e.metadata.source = source->get_string();
    e.metadata.correlation_id.clear();
    for (auto const& member : *o) {
        auto const name = std::string_view(member.key());
        if (name == "data" || name == "data_base64")
            continue;
        if (!valid_attribute_name(name))
            return at.at(error::invalid_attribute_name, name);
        auto const& value = member.value();
        if (value.is_null() || is_mapped_member(name)) {
            if (name == "correlationid" && !value.is_null()) {
                if (!value.is_string())
                    return at.at(error::invalid_attribute, name);
                e.metadata.correlation_id = value.get_string();
            } else if (name == "traceparent" && !value.is_null()) {
                if (!value.is_string() || !valid_traceparent(value.get_string()))
                    return at.at(error::invalid_attribute, name);
                e.metadata.traceparent.emplace(value.get_string());
            } else if (name == "traceid" && !value.is_null()) {
                if (!value.is_string() || !valid_trace_id(value.get_string()))
                    return at.at(error::invalid_attribute, name);
                e.metadata.trace_id.emplace(value.get_string());
            }
            continue;
        }
        if (!valid_optional_attribute(name, value))
            return at.at(error::invalid_attribute, name);
        e.metadata.extra.emplace(name, value);
    }
    return e;
}

} // namespace apikit::events::detail

#endif
