#ifndef APIKIT_EVENTS_ERROR_HPP
#define APIKIT_EVENTS_ERROR_HPP

// Why an event, a type name, a CloudEvent or a bus operation was refused: the
// events area's codes, in a category of their own ("apikit.events"). An
// envelope refused by parse_event or from_cloudevent says which rule it
// broke here, and which member broke it through the JSON Pointer those
// functions can report (event.hpp); a client is answered with the errc of
// the row: 400 for what is not JSON, 422 for JSON that is not an event, 415
// for data apikit does not carry, 503 when the bus cannot take an event.
//
// The table below is the one place that maps them. Everything here is
// constant and safe from any thread. No Beast, no Asio.

#include <apikit/core/error.hpp>
#include <apikit/core/error_category.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace apikit::events {

enum class error : int {
    // Names (type_name.hpp).
    invalid_type_name = 1, ///< not `<entity>.<action>` in the grammar of type_name.hpp
    invalid_type_pattern,  ///< not `<entity>.<action>`, `<entity>.*` or `*`

    // Envelopes (event.hpp) and CloudEvents (cloudevents.hpp).
    malformed_json,    ///< not JSON, or JSON that breaks I-JSON (a member twice, too deep, ±Inf)
    not_an_object,     ///< the document is not a JSON object
    missing_member,    ///< a member the format requires is absent (or null)
    unknown_member,    ///< a top-level envelope member other than the five
    invalid_id,        ///< `id` is not a non-empty string of at most 256 visible characters
    invalid_timestamp, ///< `timestamp` / `time` is not an RFC 3339 date-time apikit can hold
    invalid_metadata,  ///< `metadata` is not an object of the members and types event.hpp lists
    data_mismatch,     ///< data_as<T>: the event's data does not convert to T

    unsupported_specversion, ///< `specversion` is not "1.0"
    invalid_attribute,       ///< a CloudEvents attribute of the wrong type or form (source,
                             ///< dataschema, subject, an extension's value)
    invalid_attribute_name,  ///< an extension attribute's name is not [a-z0-9]{1,20}
    unsupported_data,        ///< `data_base64`, or a datacontenttype that is not JSON

    // Buses (bus.hpp and its backends).
    bus_unavailable,     ///< the backend (Redis) did not answer: condition backend_unavailable
    subscriber_overflow, ///< a subscriber's buffer is full and its policy refuses the event
    bus_closed,          ///< the bus or the subscription is shut down
    invalid_position,    ///< a stream position (`ms-seq`) or an event-log cursor that does not
                         ///< parse
};

} // namespace apikit::events

/// events::error's table: each code's message (for logs) and the
/// apikit::errc a client is answered with.
template <>
struct apikit::error_table<apikit::events::error> {
    using error = events::error;
    static constexpr char const* name = "apikit.events";
    static constexpr std::uint64_t id = 0x5e0b3a97c42d18f1;
    static constexpr std::string_view unknown = "events: unknown error";
    static constexpr std::array<error_row<error>, 18> rows{{
        {error::invalid_type_name,
         "events: not a type name (<entity>.<action>: lower case, one dot, each part "
         "[a-z][a-z0-9_]*, at most 64 characters)",
         errc::validation_error},
        {error::invalid_type_pattern,
         "events: not a type pattern (<entity>.<action>, <entity>.* or *)", errc::validation_error},
        {error::malformed_json, "events: the document is not JSON (or breaks I-JSON)",
         errc::malformed_request},
        {error::not_an_object, "events: the document is not a JSON object",
         errc::malformed_request},
        {error::missing_member, "events: a required member is missing", errc::validation_error},
        {error::unknown_member,
         "events: an envelope has exactly id, type, timestamp, data and metadata",
         errc::validation_error},
        {error::invalid_id, "events: the id is not a non-empty string of visible characters",
         errc::validation_error},
        {error::invalid_timestamp,
         "events: the timestamp is not an RFC 3339 date-time between 1678 and 2261",
         errc::validation_error},
        {error::invalid_metadata,
         "events: metadata is not an object with string correlation_id and source",
         errc::validation_error},
        {error::data_mismatch, "events: the event's data does not convert to the type asked for",
         errc::validation_error},
        {error::unsupported_specversion, "events: the CloudEvent's specversion is not 1.0",
         errc::validation_error},
        {error::invalid_attribute, "events: a CloudEvents attribute has the wrong type or form",
         errc::validation_error},
        {error::invalid_attribute_name,
         "events: a CloudEvents extension attribute's name is not [a-z0-9]{1,20}",
         errc::validation_error},
        {error::unsupported_data,
         "events: the CloudEvent's data is not JSON (data_base64 or a non-JSON datacontenttype)",
         errc::unsupported_media_type},
        {error::bus_unavailable, "events: the bus's backend did not answer",
         errc::service_unavailable, condition::backend_unavailable},
        {error::subscriber_overflow, "events: a subscriber's buffer is full",
         errc::service_unavailable},
        {error::bus_closed, "events: the bus or the subscription is closed",
         errc::service_unavailable},
        {error::invalid_position, "events: not a stream position or event-log cursor",
         errc::invalid_cursor},
    }};
};

namespace apikit::events {

/// The category of `events::error`; its name is "apikit.events".
[[nodiscard]] inline boost::system::error_category const& error_category() noexcept {
    return error_category_of<error>();
}

using apikit::make_error_code;

} // namespace apikit::events

#endif
