#ifndef APIKIT_EVENTS_CLOUDEVENTS_HPP
#define APIKIT_EVENTS_CLOUDEVENTS_HPP

// Events in CloudEvents 1.0 structured JSON (the core specification and its
// JSON Event Format), one event or a batch, and back:
//
//     {"specversion":"1.0","id":"evt_…","source":"api","type":"user.created",
//      "time":"2024-01-15T10:00:00.000Z","datacontenttype":"application/json",
//      "data":{…},"correlationid":"req_…","traceparent":"00-…-…-01"}
//
// envelope                 CloudEvent
// id                       id
// type                     type
// timestamp                time (RFC 3339, UTC, milliseconds)
// data                     data (left out, with datacontenttype, when null)
// metadata.source          source (a URI-reference: "api" is a relative one)
// metadata.correlation_id  correlationid (an extension; left out when empty)
// metadata.traceparent     traceparent (the Distributed Tracing extension)
// metadata.trace_id        traceid (an extension of apikit's)
// metadata.extra           one attribute per member that can be one: a name of
//                          1–20 of a–z, 0–9, not one of the above, and a value
//                          of a CloudEvents type (a string, a boolean, a 32-bit
//                          integer; `subject` a non-empty string, `dataschema`
//                          an absolute URI). Other members are left out: a
//                          CloudEvent cannot carry them.
//
// from_cloudevent reads what the specification allows and apikit can carry,
// and refuses the rest with a reason (and, with `at`, the JSON Pointer of the
// member at fault):
// - not an object: not_an_object;
// - `specversion` absent: missing_member; not "1.0": unsupported_specversion;
// - `id` absent: missing_member; not a non-empty string (of at most 256
//   visible ASCII characters, apikit's bound): invalid_id;
// - `source` absent: missing_member; not a non-empty URI-reference:
//   invalid_attribute;
// - `type` absent: missing_member; not a non-empty string: invalid_attribute;
//   not an apikit type name (`<entity>.<action>`): invalid_type_name;
// - `time` absent (optional in CloudEvents, required by the envelope):
//   missing_member; not an RFC 3339 date-time: invalid_timestamp;
// - `datacontenttype` not a non-empty string: invalid_attribute; not a JSON
//   media type (application/json, text/json, …+json): unsupported_data;
// - `data_base64` (binary data): unsupported_data; with `data` too, which the
//   JSON format forbids: invalid_attribute;
// - a member whose name is not 1–20 of a–z, 0–9 (but `data`, `data_base64`):
//   invalid_attribute_name;
// - `subject` not a non-empty string, `dataschema` not a non-empty absolute
//   URI, `correlationid` not a string, `traceparent`/`traceid` not of the
//   metadata's form, an extension whose value is not of a CloudEvents type
//   (an object, an array, a fraction, an integer past 32 bits):
//   invalid_attribute.
// A member whose value is null is unset, as CloudEvents' JSON schema allows.
// An event to_cloudevent writes reads back equal (but for extras that cannot
// travel), and one from_cloudevent reads writes back as the attributes it
// read, but for `time`, written in UTC to the millisecond, and
// `datacontenttype`, written application/json (the data is JSON, whatever
// its more specific media type said).
//
// Pure functions, safe from any thread. No Beast, no Asio.

#include <apikit/core/detail/json_parse.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/timestamp.hpp>
#include <apikit/events/detail/cloudevent.hpp>
#include <apikit/events/detail/envelope.hpp>
#include <apikit/events/error.hpp>
#include <apikit/events/event.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <span>
#include <string>
#include <string_view>

namespace apikit::events {

/// The media type of one event in structured mode (JSON format §3).
inline constexpr std::string_view cloudevents_content_type = "application/cloudevents+json";
/// The media type of a batch: a JSON array of events (JSON format §4).
inline constexpr std::string_view cloudevents_batch_content_type =
    "application/cloudevents-batch+json";
/// The only specversion written and read.
inline constexpr std::string_view cloudevents_specversion = "1.0";

/// `e` as a CloudEvent (see the table above).
[[nodiscard]] inline boost::json::object to_cloudevent(event const& e) {
    boost::json::object o;
    o.reserve(10 + e.metadata.extra.size());
    o.emplace("specversion", cloudevents_specversion);
    o.emplace("id", e.id);
    o.emplace("source", e.metadata.source);
    o.emplace("type", e.type.view());
    o.emplace("time", format_rfc3339_ms(e.timestamp));
    if (!e.data.is_null()) {
        o.emplace("datacontenttype", "application/json");
        o.emplace("data", e.data);
    }
    if (!e.metadata.correlation_id.empty())
        o.emplace("correlationid", e.metadata.correlation_id);
    if (e.metadata.traceparent)
        o.emplace("traceparent", *e.metadata.traceparent);
    if (e.metadata.trace_id)
        o.emplace("traceid", *e.metadata.trace_id);
    for (auto const& member : e.metadata.extra)
        if (detail::is_extension(member.key(), member.value()))
            o.emplace(member.key(), member.value());
    return o;
}

/// The event a CloudEvent holds, or why apikit does not take it (see above).
[[nodiscard]] inline result<event> from_cloudevent(boost::json::value const& v) {
    return detail::read_cloudevent(v, detail::fault_pointer(nullptr));
}

/// As from_cloudevent, and `at` is the JSON Pointer of the member at fault
/// (`/source`), empty when it is the whole document.
[[nodiscard]] inline result<event> from_cloudevent(boost::json::value const& v, std::string& at) {
    return detail::read_cloudevent(v, detail::fault_pointer(&at));
}

/// The event the JSON text `text` holds as a CloudEvent, read by apikit's
/// I-JSON reader first (a member twice, nesting past 64: malformed_json).
[[nodiscard]] inline result<event> parse_cloudevent(std::string_view text) {
    boost::system::error_code ec;
    auto parsed = apikit::detail::parse_json_text(text, {}, max_event_depth, nullptr, ec);
    if (ec || parsed.repeats)
        return error::malformed_json;
    return from_cloudevent(parsed.value);
}

/// `e` as the JSON text of one CloudEvent (`cloudevents_content_type`).
[[nodiscard]] inline std::string to_cloudevent_json(event const& e) {
    return boost::json::serialize(to_cloudevent(e));
}

/// `events` as a CloudEvents JSON batch: a bare JSON array of CloudEvents,
/// in the order given (`[]` for none), sent as
/// `cloudevents_batch_content_type`.
[[nodiscard]] inline std::string to_cloudevents_batch(std::span<event const> events) {
    boost::json::array batch;
    batch.reserve(events.size());
    for (auto const& e : events)
        batch.emplace_back(to_cloudevent(e));
    return boost::json::serialize(batch);
}

} // namespace apikit::events

#endif
