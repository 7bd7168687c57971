#ifndef APIKIT_EVENTS_EVENT_HPP
#define APIKIT_EVENTS_EVENT_HPP

// The event envelope, exactly the five members of the reference, in this
// order:
//
//     {"id":"evt_4UM1pQy0r8hV3kX9cTn2Lb","type":"user.created",
//      "timestamp":"2024-01-15T10:00:00.000Z","data":{…},
//      "metadata":{"correlation_id":"req_…","source":"api"}}
//
// `metadata` holds correlation_id and source, then trace_id and traceparent
// when the event was made while serving a traced request, then any members a
// user adds (`extra`), in their order. `data` is any JSON value; typed data
// goes in through Boost.JSON's value_from and comes out through
// try_value_to (data_as), so a user type with tag_invoke overloads (or
// Boost.Describe) is an event's data as it is a response body.
//
// Ids are `evt_` and 22 random base62 characters from the CSPRNG
// (core/random.hpp). Timestamps are RFC 3339 in UTC with milliseconds, as in
// every apikit envelope; make_event keeps its `now` to the millisecond so
// that an event reads back equal to itself.
//
// parse_event is strict, so that every reader of an event sees the same
// event: the text is read by apikit's I-JSON reader (a member name twice in
// one object, at any depth, nesting past 64, a number past a double's range
// are refused: error::malformed_json); the document is an object with exactly
// the five members (none missing, none other: missing_member,
// unknown_member), in any order (RFC 8259: member order carries no meaning);
// `id` is 1–256 visible ASCII characters (invalid_id); `type` is a type name
// (invalid_type_name); `timestamp` an RFC 3339 date-time (any offset, kept
// to the millisecond in UTC; invalid_timestamp); `metadata` an object whose
// correlation_id is a string, whose source is a non-empty URI-reference (it
// becomes the CloudEvents `source`), whose trace_id, when present, is 32
// lower-case hex digits not all zero and whose traceparent is a W3C
// traceparent (obs::parse_traceparent; at most 512 characters)
// (invalid_metadata, or missing_member). The overloads that
// take `std::string& at` also say where: the JSON Pointer of the member at
// fault (`/metadata/source`), empty for the whole document. parse_event
// reads what it is given: bound the text's size before (a request body
// limit, a stream entry).
//
// Everything here is a value or a pure function, safe from any thread; no
// clock is read (make_event is given `now`). No Beast, no Asio.

#include <apikit/core/detail/json_parse.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/random.hpp>
#include <apikit/core/timestamp.hpp>
#include <apikit/events/detail/envelope.hpp>
#include <apikit/events/detail/rfc3339.hpp>
#include <apikit/events/error.hpp>
#include <apikit/events/type_name.hpp>

#include <boost/json/conversion.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::events {

/// How deep an envelope's JSON may nest: the envelope is one level, its data
/// at most 63.
inline constexpr std::size_t max_event_depth = 64;

/// What an event says about where it came from.
struct metadata {
    std::string correlation_id;             ///< the request's id (X-Request-Id), or the cause's
    std::string source = "api";             ///< a non-empty URI-reference: the producer
    std::optional<std::string> trace_id;    ///< 32 hex digits: the request's trace
    std::optional<std::string> traceparent; ///< the W3C header for the consumer's span
    boost::json::object extra; ///< the user's members; none may be named like the four above

    friend bool operator==(metadata const&, metadata const&) = default;
};

/// One event: the envelope's five members.
struct event {
    std::string id; ///< `evt_…`
    type_name type;
    std::chrono::system_clock::time_point timestamp;
    boost::json::value data;
    events::metadata metadata;

    friend bool operator==(event const&, event const&) = default;
};

/// A new event of `type` with `data` (through boost::json::value_from), a
/// new `evt_` id and `now` kept to the millisecond.
template <class T>
[[nodiscard]] event make_event(type_name type, T const& data, metadata meta,
                               std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    return event{random_id("evt_"), type,
                 time_point_cast<system_clock::duration>(floor<milliseconds>(now)),
                 boost::json::value_from(data), std::move(meta)};
}

/// The event's data as a `T` (through boost::json::try_value_to), or
/// error::data_mismatch when it does not convert.
template <class T>
[[nodiscard]] result<T> data_as(event const& e) {
    try {
        auto r = boost::json::try_value_to<T>(e.data);
        if (r)
            return std::move(*r);
    } catch (std::bad_alloc const&) {
        throw;
    } catch (std::exception const&) {
        // A conversion that reports failure by throwing (a user's value_to).
    }
    return error::data_mismatch;
}

namespace detail {

[[nodiscard]] inline result<void> check_metadata(metadata const& m, fault_pointer const& at) {
    if (!valid_source(m.source))
        return at.at(error::invalid_metadata, "source", "metadata");
    if (m.trace_id && !valid_trace_id(*m.trace_id))
        return at.at(error::invalid_metadata, "trace_id", "metadata");
    if (m.traceparent && !valid_traceparent(*m.traceparent))
        return at.at(error::invalid_metadata, "traceparent", "metadata");
    for (auto const& member : m.extra)
        if (is_metadata_member(member.key()))
            return at.at(error::invalid_metadata, member.key(), "metadata");
    return {};
}

[[nodiscard]] inline result<metadata> read_metadata(boost::json::value const& v,
                                                    fault_pointer const& at) {
    auto const* o = v.if_object();
    if (o == nullptr)
        return at.at(error::invalid_metadata, "metadata");
    metadata m;
    bool correlation = false, source = false;
    for (auto const& member : *o) {
        auto const name = std::string_view(member.key());
        if (!is_metadata_member(name)) {
            m.extra.emplace(name, member.value());
            continue;
        }
        auto const* s = member.value().if_string();
        if (s == nullptr)
            return at.at(error::invalid_metadata, name, "metadata");
        if (name == "correlation_id") {
            m.correlation_id = *s;
            correlation = true;
        } else if (name == "source") {
            m.source = *s;
            source = true;
        } else if (name == "trace_id")
            m.trace_id.emplace(*s);
        else
            m.traceparent.emplace(*s);
    }
    if (!correlation)
        return at.at(error::missing_member, "correlation_id", "metadata");
    if (!source)
        return at.at(error::missing_member, "source", "metadata");
    if (auto r = check_metadata(m, at); !r)
        return r.error();
    return m;
}

inline constexpr std::array<std::string_view, 5> envelope_members = {"id", "type", "timestamp",
                                                                     "data", "metadata"};

[[nodiscard]] inline result<event> read_event(boost::json::value const& v,
                                              fault_pointer const& at) {
    auto const* o = v.if_object();
    if (o == nullptr)
        return at.whole(error::not_an_object);
    for (auto const& member : *o) {
        bool known = false;
        for (auto const name : envelope_members)
            known = known || member.key() == name;
        if (!known)
            return at.at(error::unknown_member, member.key());
    }
    for (auto const name : envelope_members)
        if (!o->contains(name))
            return at.at(error::missing_member, name);

    auto const* id = o->at("id").if_string();
    if (id == nullptr || !valid_id(*id))
        return at.at(error::invalid_id, "id");
    auto const* type_text = o->at("type").if_string();
    auto type =
        type_text ? type_name::parse(*type_text) : result<type_name>(error::invalid_type_name);
    if (!type)
        return at.at(error::invalid_type_name, "type");
    auto const* stamp = o->at("timestamp").if_string();
    auto const when = stamp ? parse_rfc3339(*stamp) : std::nullopt;
    if (!when)
        return at.at(error::invalid_timestamp, "timestamp");
    auto meta = read_metadata(o->at("metadata"), at);
    if (!meta)
        return meta.error();
    return event{std::string(*id), *type, *when, o->at("data"), std::move(*meta)};
}

[[nodiscard]] inline result<event> parse_event(std::string_view json, fault_pointer const& at) {
    boost::system::error_code ec;
    auto parsed = apikit::detail::parse_json_text(json, {}, max_event_depth, nullptr, ec);
    if (ec || parsed.repeats)
        return at.whole(error::malformed_json);
    return read_event(parsed.value, at);
}

} // namespace detail

/// Whether `e` keeps the rules parse_event holds an envelope to (its id,
/// its metadata; its type always does), for a producer that built it by hand.
[[nodiscard]] inline result<void> check_event(event const& e) {
    detail::fault_pointer const at(nullptr);
    if (!detail::valid_id(e.id))
        return at.at(error::invalid_id, "id");
    return detail::check_metadata(e.metadata, at);
}

/// As check_event, and `at` is the JSON Pointer of the member at fault.
[[nodiscard]] inline result<void> check_event(event const& e, std::string& at) {
    detail::fault_pointer const where(&at);
    if (!detail::valid_id(e.id))
        return where.at(error::invalid_id, "id");
    return detail::check_metadata(e.metadata, where);
}

/// The envelope `text` holds, or why it is not one (see above).
[[nodiscard]] inline result<event> parse_event(std::string_view text) {
    return detail::parse_event(text, detail::fault_pointer(nullptr));
}

/// As parse_event, and `at` is the JSON Pointer of the member at fault
/// (`/metadata/source`), empty when it is the whole document.
[[nodiscard]] inline result<event> parse_event(std::string_view text, std::string& at) {
    return detail::parse_event(text, detail::fault_pointer(&at));
}

/// `metadata` as a JSON object: correlation_id, source, then trace_id and
/// traceparent when set, then `extra` (but members named like those four).
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, metadata const& m) {
    auto& o = v.emplace_object();
    o.reserve(4 + m.extra.size());
    o.emplace("correlation_id", m.correlation_id);
    o.emplace("source", m.source);
    if (m.trace_id)
        o.emplace("trace_id", *m.trace_id);
    if (m.traceparent)
        o.emplace("traceparent", *m.traceparent);
    for (auto const& member : m.extra)
        if (!detail::is_metadata_member(member.key()))
            o.emplace(member.key(), member.value());
}

/// The envelope as a JSON object, its five members in order.
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, event const& e) {
    auto& o = v.emplace_object();
    o.reserve(5);
    o.emplace("id", e.id);
    o.emplace("type", e.type.view());
    o.emplace("timestamp", format_rfc3339_ms(e.timestamp));
    o.emplace("data", e.data);
    o.emplace("metadata", boost::json::value_from(e.metadata, o.storage()));
}

/// A metadata object, held to parse_event's rules.
[[nodiscard]] inline result<metadata> tag_invoke(boost::json::try_value_to_tag<metadata>,
                                                 boost::json::value const& v) {
    return detail::read_metadata(v, detail::fault_pointer(nullptr));
}

/// An envelope, held to parse_event's rules.
[[nodiscard]] inline result<event> tag_invoke(boost::json::try_value_to_tag<event>,
                                              boost::json::value const& v) {
    return detail::read_event(v, detail::fault_pointer(nullptr));
}

/// The envelope as JSON text, its five members in order: the text
/// `boost::json::serialize(boost::json::value_from(e))` gives, written
/// straight into one string (no copy of the data as a value first). A string
/// member that is not UTF-8 (an event built by hand) has its bad bytes
/// written as U+FFFD, so the text is always JSON.
[[nodiscard]] inline std::string to_json(event const& e) {
    std::string out;
    out.reserve(160 + e.id.size() + e.metadata.correlation_id.size());
    out += R"({"id":)";
    append_json_string(out, e.id);
    out += R"(,"type":")";
    out += e.type.view(); // a type name needs no escape
    out += R"(","timestamp":")";
    append_rfc3339_ms(out, e.timestamp);
    out += R"(","data":)";
    out += boost::json::serialize(e.data);
    out += R"(,"metadata":{"correlation_id":)";
    append_json_string(out, e.metadata.correlation_id);
    out += R"(,"source":)";
    append_json_string(out, e.metadata.source);
    if (e.metadata.trace_id) {
        out += R"(,"trace_id":)";
        append_json_string(out, *e.metadata.trace_id);
    }
    if (e.metadata.traceparent) {
        out += R"(,"traceparent":)";
        append_json_string(out, *e.metadata.traceparent);
    }
    for (auto const& member : e.metadata.extra) {
        if (detail::is_metadata_member(member.key()))
            continue;
        out += ',';
        append_json_string(out, member.key());
        out += ':';
        out += boost::json::serialize(member.value());
    }
    out += "}}";
    return out;
}

} // namespace apikit::events

#endif
