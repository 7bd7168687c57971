// Any bytes as an event envelope (events::parse_event) and as a CloudEvent
// (events::parse_cloudevent), the readers of events from outside: a request
// body, a Redis stream entry, another service's CloudEvents. Properties: no
// crash; a refusal is a code of the events category, and says where when
// asked; an envelope accepted passes check_event, writes back to text that
// reads back equal and writes again to the same text; its CloudEvent reads
// back, and that event's CloudEvent is the same object (the attributes that
// can travel, travel whole); a CloudEvent accepted reads back from the
// CloudEvent written of it equal, and its envelope reads back equal.
#include "fuzz.hpp"

#include <apikit/events/cloudevents.hpp>
#include <apikit/events/event.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace events = apikit::events;
using apikit_fuzz::require;

namespace {

void check_envelope_round_trip(events::event const& e) {
    require(events::check_event(e).has_value(), "an event read keeps check_event's rules");
    auto const text = events::to_json(e);
    require(text == boost::json::serialize(boost::json::value_from(e)),
            "to_json writes what value_from and serialize write");
    auto const again = events::parse_event(text);
    require(again.has_value(), "an envelope written reads back");
    require(*again == e, "an envelope written reads back equal");
    require(events::to_json(*again) == text, "an envelope written twice is the same text");
}

void check_cloudevent_round_trip(events::event const& e) {
    auto const ce = events::to_cloudevent(e);
    auto const back = events::from_cloudevent(ce);
    require(back.has_value(), "the CloudEvent of an event reads back");
    require(events::to_cloudevent(*back) == ce,
            "a CloudEvent written, read and written is the same");
    auto const text = events::parse_cloudevent(events::to_cloudevent_json(e));
    require(text.has_value() && *text == *back, "a CloudEvent's text reads as its value does");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const input = apikit_fuzz::as_text(data, size);

    std::string at;
    auto const envelope = events::parse_event(input, at);
    if (envelope) {
        require(at.empty(), "an accepted envelope names no member at fault");
        check_envelope_round_trip(*envelope);
        check_cloudevent_round_trip(*envelope);
    } else {
        require(envelope.error().category() == events::error_category(),
                "a refused envelope is an events::error");
        require(at.empty() || at.front() == '/', "where a refusal is, is a JSON Pointer");
        require(!events::parse_event(input).has_value(), "asking where does not change the answer");
    }

    auto const ce = events::parse_cloudevent(input);
    if (ce) {
        check_envelope_round_trip(*ce);
        check_cloudevent_round_trip(*ce);
        auto const from_ce = events::from_cloudevent(events::to_cloudevent(*ce));
        require(from_ce.has_value() && *from_ce == *ce,
                "a CloudEvent read reads back equal from the CloudEvent written of it");
    } else {
        require(ce.error().category() == events::error_category(),
                "a refused CloudEvent is an events::error");
    }
    return 0;
}
