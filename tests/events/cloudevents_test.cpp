// The CloudEvents mapping checked against the CloudEvents 1.0 specification
// (core spec: "Type System", "Context Attributes", "Attribute Naming
// Convention", "Extension Context Attributes"; JSON Event Format: §2
// attributes and their JSON types, §3 the envelope and §3.1 the handling of
// `data`, §4 batches; the JSON schema `cloudevents.json` of the 1.0 spec's
// repository; the Distributed Tracing extension). The rules are written out
// here, from the spec, independently of apikit's own code: both that what
// apikit writes keeps them and that from_cloudevent refuses what breaks them.
#include <apikit/events/cloudevents.hpp>

#include "print.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace events = apikit::events;
using events::error;
using namespace std::chrono_literals;

namespace cloudevents_test {

// Core spec, "Attribute Naming Convention": lower-case ASCII letters and
// digits; SHOULD NOT exceed 20 characters.
bool spec_attribute_name(std::string_view s) {
    static std::regex const name("^[a-z0-9]{1,20}$");
    return std::regex_match(s.begin(), s.end(), name);
}

// RFC 3339 §5.6 date-time, as the spec's Timestamp type requires.
bool spec_timestamp(std::string_view s) {
    static std::regex const date_time(
        R"(^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
    return std::regex_match(s.begin(), s.end(), date_time);
}

// JSON format §2.2: the JSON forms of the type system's values — Boolean a
// JSON boolean, Integer a JSON number in the 32-bit signed range, String,
// Binary, URI, URI-reference, Timestamp a JSON string.
bool spec_attribute_value(boost::json::value const& v) {
    if (v.is_string() || v.is_bool())
        return true;
    if (v.is_int64())
        return v.get_int64() >= std::numeric_limits<std::int32_t>::min() &&
               v.get_int64() <= std::numeric_limits<std::int32_t>::max();
    return false;
}

// Every rule of the spec and its JSON schema that one CloudEvent in JSON
// must keep, as apikit writes it.
void check_spec_rules(boost::json::object const& ce, events::event const& from) {
    CAPTURE(boost::json::serialize(ce));
    // REQUIRED attributes, and their types and constraints (schema: string,
    // minLength 1; source format uri-reference; specversion "1.0").
    for (auto const name : {"id", "source", "specversion", "type"}) {
        CAPTURE(name);
        REQUIRE(ce.contains(name));
        REQUIRE(ce.at(name).is_string());
        CHECK_FALSE(ce.at(name).get_string().empty());
    }
    CHECK(ce.at("specversion") == "1.0");
    CHECK(boost::urls::parse_uri_reference(ce.at("source").get_string()).has_value());
    // OPTIONAL attributes: absent or of their type (schema: minLength 1,
    // time format date-time, dataschema format uri).
    if (auto const* time = ce.if_contains("time")) {
        REQUIRE(time->is_string());
        CHECK(spec_timestamp(time->get_string()));
    }
    for (auto const name : {"datacontenttype", "subject", "dataschema"})
        if (auto const* v = ce.if_contains(name)) {
            REQUIRE(v->is_string());
            CHECK_FALSE(v->get_string().empty());
        }
    if (auto const* schema = ce.if_contains("dataschema"))
        CHECK(boost::urls::parse_uri(schema->get_string()).has_value());
    // Every member but data and data_base64 is an attribute: its name keeps
    // the naming convention, its value is of a CloudEvents type, and no
    // member apikit writes is null.
    for (auto const& m : ce) {
        CAPTURE(std::string_view(m.key()));
        CHECK_FALSE(m.value().is_null());
        if (m.key() == "data" || m.key() == "data_base64")
            continue;
        CHECK(spec_attribute_name(m.key()));
        CHECK(spec_attribute_value(m.value()));
    }
    // §3.1: JSON data is the member `data` itself (not a string holding it),
    // with a JSON datacontenttype; data_base64 is for binary data, never
    // beside `data`.
    CHECK_FALSE(ce.contains("data_base64"));
    if (from.data.is_null()) {
        CHECK_FALSE(ce.contains("data"));
    } else {
        REQUIRE(ce.contains("data"));
        CHECK(ce.at("data") == from.data);
        CHECK(ce.at("datacontenttype") == "application/json");
    }
    // The mapping.
    CHECK(ce.at("id") == boost::json::value(from.id));
    CHECK(ce.at("type") == boost::json::value(from.type.view()));
    CHECK(ce.at("source") == boost::json::value(from.metadata.source));
    if (!from.metadata.correlation_id.empty())
        CHECK(ce.at("correlationid") == boost::json::value(from.metadata.correlation_id));
    if (from.metadata.traceparent) // the Distributed Tracing extension
        CHECK(ce.at("traceparent") == boost::json::value(*from.metadata.traceparent));
}

std::chrono::system_clock::time_point const reference_time =
    std::chrono::sys_days(std::chrono::year(2024) / 1 / 15) + 10h;

events::event traced_event() {
    events::metadata m;
    m.correlation_id = "req_abc";
    m.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    m.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    return {"evt_123", "order.placed", reference_time + 250ms,
            boost::json::value{{"order_id", "order_9"}, {"total", 4250}}, m};
}

// A valid CloudEvent with one member set (or removed, when `value` is
// empty).
boost::json::value cloudevent_with(std::string_view member, std::string_view value) {
    auto ce = boost::json::parse(R"({"specversion":"1.0","id":"A234-1234-1234",)"
                                 R"("source":"https://example.com/orders","type":"order.placed",)"
                                 R"("time":"2018-04-05T17:31:00Z","datacontenttype":)"
                                 R"("application/json","data":{"order_id":"order_9"}})");
    if (value.empty())
        ce.as_object().erase(member);
    else
        ce.as_object()[member] = boost::json::parse(value);
    return ce;
}

struct refusal {
    std::string_view member;
    std::string_view value; // empty: the member removed
    events::error code;
};

// The cases live in the namespace too: the test area is a unity build, and
// its files' helpers must not meet.

TEST_CASE("cloudevents: the media types are the JSON format's") {
    CHECK(events::cloudevents_content_type == "application/cloudevents+json");
    CHECK(events::cloudevents_batch_content_type == "application/cloudevents-batch+json");
}

TEST_CASE("cloudevents: an event maps to the attributes in order, trace and correlation included") {
    CHECK(events::to_cloudevent_json(traced_event()) ==
          R"({"specversion":"1.0","id":"evt_123","source":"api","type":"order.placed",)"
          R"("time":"2024-01-15T10:00:00.250Z","datacontenttype":"application/json",)"
          R"("data":{"order_id":"order_9","total":4250},"correlationid":"req_abc",)"
          R"("traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",)"
          R"("traceid":"4bf92f3577b34da6a3ce929d0e0e4736"})");
}

TEST_CASE("cloudevents: what apikit writes keeps the spec's rules, for every kind of event") {
    std::vector<events::event> cases;
    cases.push_back(traced_event());
    auto bare = traced_event();
    bare.metadata = {};
    bare.data = nullptr;
    cases.push_back(bare); // no correlation, no trace, no data
    auto extras = traced_event();
    extras.metadata.source = "/orders/eu";
    extras.data = boost::json::value("a string is JSON data too");
    auto& x = extras.metadata.extra;
    x["tenant"] = "acme";
    x["attempt"] = 2;
    x["replayed"] = true;
    x["subject"] = "order_9";
    x["dataschema"] = "https://example.com/schemas/order";
    x["int32max"] = std::numeric_limits<std::int32_t>::max();
    x["int32min"] = std::numeric_limits<std::int32_t>::min();
    // None of these can be an attribute: left out.
    x["tenant_id"] = "acme";             // an underscore
    x["abcdefghijklmnopqrstu"] = "x";    // 21 characters
    x["nested"] = boost::json::object{}; // an object
    x["list"] = boost::json::array{1};   // an array
    x["ratio"] = 0.5;                    // not an integer
    x["big"] = std::int64_t(1) << 31;    // past 32 bits
    x["time"] = "2000-01-01T00:00:00Z";  // an attribute apikit maps
    x["data_base64"] = "AA==";           // the JSON format's own member
    x["subjectless"] = nullptr;          // null: no value
    cases.push_back(extras);

    for (auto const& e : cases) {
        auto const ce = events::to_cloudevent(e);
        check_spec_rules(ce, e);
        // Serialized, it is JSON that reads back as the same object.
        CHECK(boost::json::parse(events::to_cloudevent_json(e)) == ce);
    }
    auto const ce = events::to_cloudevent(extras);
    for (auto const name :
         {"tenant", "attempt", "replayed", "subject", "dataschema", "int32max", "int32min"})
        CHECK(ce.contains(name));
    for (auto const name : {"tenant_id", "abcdefghijklmnopqrstu", "nested", "list", "ratio", "big",
                            "data_base64", "subjectless"})
        CHECK_FALSE(ce.contains(name));
    CHECK(ce.at("time") == "2024-01-15T10:00:00.250Z");
}

TEST_CASE("cloudevents: a batch is a bare JSON array of CloudEvents, empty included") {
    CHECK(events::to_cloudevents_batch({}) == "[]");
    std::vector<events::event> const list{traced_event(), traced_event()};
    auto const batch = boost::json::parse(events::to_cloudevents_batch(list));
    REQUIRE(batch.is_array());
    REQUIRE(batch.as_array().size() == 2);
    for (std::size_t i = 0; i < list.size(); ++i) {
        REQUIRE(batch.as_array()[i].is_object());
        check_spec_rules(batch.as_array()[i].as_object(), list[i]);
        CHECK(events::from_cloudevent(batch.as_array()[i]).value() == list[i]);
    }
}

TEST_CASE("cloudevents: an event reads back from its CloudEvent equal") {
    auto e = traced_event();
    e.metadata.extra["tenant"] = "acme";
    e.metadata.extra["attempt"] = 2;
    e.metadata.extra["subject"] = "order_9";
    CHECK(events::from_cloudevent(events::to_cloudevent(e)).value() == e);
    CHECK(events::parse_cloudevent(events::to_cloudevent_json(e)).value() == e);
    e.metadata = {};
    e.data = nullptr;
    CHECK(events::from_cloudevent(events::to_cloudevent(e)).value() == e);
}

TEST_CASE("cloudevents: a foreign CloudEvent is read, and written back as the attributes read") {
    // The core spec's example, with an apikit type name and JSON data.
    auto const ce =
        boost::json::parse(R"({"specversion":"1.0","type":"pull_request.opened",)"
                           R"("source":"https://github.com/cloudevents/spec/pull","subject":"123",)"
                           R"("id":"A234-1234-1234","time":"2018-04-05T17:31:00Z",)"
                           R"("comexampleextension1":"value","comexampleothervalue":5,)"
                           R"("datacontenttype":"application/json","data":{"much":"wow"}})");
    auto const e = events::from_cloudevent(ce);
    REQUIRE(e);
    CHECK(e->id == "A234-1234-1234");
    CHECK(e->type == "pull_request.opened");
    CHECK(e->metadata.source == "https://github.com/cloudevents/spec/pull");
    CHECK(e->metadata.correlation_id.empty());
    CHECK(e->timestamp == std::chrono::sys_days(std::chrono::year(2018) / 4 / 5) + 17h + 31min);
    CHECK(e->data == boost::json::parse(R"({"much":"wow"})"));
    CHECK(e->metadata.extra ==
          boost::json::parse(R"({"subject":"123","comexampleextension1":"value",)"
                             R"("comexampleothervalue":5})")
              .as_object());
    auto back = events::to_cloudevent(*e);
    CHECK(back.at("time") == "2018-04-05T17:31:00.000Z");
    back["time"] = "2018-04-05T17:31:00Z";
    CHECK(back == ce.as_object());
    // The envelope carries it too.
    CHECK(events::parse_event(events::to_json(*e)).value() == *e);
}

TEST_CASE("cloudevents: null is an unset attribute, as the JSON schema allows") {
    auto ce = cloudevent_with("subject", "null");
    ce.as_object()["comexampleext"] = nullptr;
    ce.as_object()["datacontenttype"] = nullptr;
    ce.as_object()["data_base64"] = nullptr;
    auto const e = events::from_cloudevent(ce);
    REQUIRE(e);
    CHECK(e->metadata.extra.empty());
    CHECK(events::from_cloudevent(cloudevent_with("data", "null")).value().data.is_null());
    CHECK(events::from_cloudevent(cloudevent_with("data", "")).value().data.is_null());
}

TEST_CASE("cloudevents: datacontenttype may be any JSON media type") {
    for (auto const type :
         {"\"application/json\"", "\"application/json; charset=utf-8\"", "\"APPLICATION/JSON\"",
          "\"text/json\"", "\"application/vnd.apikit.order+json\"",
          "\"application/cloudevents+json\"", ""}) {
        CAPTURE(type);
        CHECK(events::from_cloudevent(cloudevent_with("datacontenttype", type)));
    }
}

TEST_CASE(
    "cloudevents: a CloudEvent that breaks the spec, or that apikit cannot carry, is refused") {
    using r = refusal;
    for (auto const& c : std::vector<refusal>{
             // REQUIRED attributes (null is unset).
             r{"specversion", "", error::missing_member},
             r{"specversion", "null", error::missing_member},
             r{"id", "", error::missing_member},
             r{"source", "", error::missing_member},
             r{"type", "", error::missing_member},
             r{"type", "null", error::missing_member},
             // specversion: "1.0" only.
             r{"specversion", "\"0.3\"", error::unsupported_specversion},
             r{"specversion", "\"1.0.2\"", error::unsupported_specversion},
             r{"specversion", "\"2.0\"", error::unsupported_specversion},
             r{"specversion", "1.0", error::unsupported_specversion},
             // id: a non-empty string.
             r{"id", "\"\"", error::invalid_id},
             r{"id", "1234", error::invalid_id},
             // source: a non-empty URI-reference.
             r{"source", "\"\"", error::invalid_attribute},
             r{"source", "5", error::invalid_attribute},
             r{"source", "\"a b\"", error::invalid_attribute},
             r{"source", "\"http://[::1\"", error::invalid_attribute},
             // type: a non-empty string, and an apikit type name.
             r{"type", "\"\"", error::invalid_attribute},
             r{"type", "true", error::invalid_attribute},
             r{"type", "\"com.github.pull_request.opened\"", error::invalid_type_name},
             // time: an RFC 3339 timestamp (and required by the envelope).
             r{"time", "", error::missing_member},
             r{"time", "\"yesterday\"", error::invalid_timestamp},
             r{"time", "\"2018-04-05\"", error::invalid_timestamp},
             r{"time", "1522949460", error::invalid_timestamp},
             // datacontenttype: a non-empty string (RFC 2046); JSON data only.
             r{"datacontenttype", "\"\"", error::invalid_attribute},
             r{"datacontenttype", "7", error::invalid_attribute},
             r{"datacontenttype", "\"text/xml\"", error::unsupported_data},
             r{"datacontenttype", "\"application/octet-stream\"", error::unsupported_data},
             r{"datacontenttype", "\"json\"", error::unsupported_data},
             r{"datacontenttype", "\"application/jsonx\"", error::unsupported_data},
             // Optional attributes: subject a non-empty string, dataschema a
             // non-empty absolute URI.
             r{"subject", "\"\"", error::invalid_attribute},
             r{"subject", "12", error::invalid_attribute},
             r{"dataschema", "\"\"", error::invalid_attribute},
             r{"dataschema", "\"schemas/order\"", error::invalid_attribute},
             // Extensions: names of a-z0-9, at most 20; values of the type
             // system (a 32-bit Integer, a Boolean, a String).
             r{"Upper", "\"x\"", error::invalid_attribute_name},
             r{"with_underscore", "\"x\"", error::invalid_attribute_name},
             r{"dash-x", "\"x\"", error::invalid_attribute_name},
             r{"abcdefghijklmnopqrstu", "\"x\"", error::invalid_attribute_name},
             r{"", "\"x\"", error::invalid_attribute_name},
             r{"ext", "{}", error::invalid_attribute},
             r{"ext", "[1]", error::invalid_attribute},
             r{"ext", "0.5", error::invalid_attribute},
             r{"ext", "2147483648", error::invalid_attribute},
             r{"ext", "-2147483649", error::invalid_attribute},
             r{"ext", "18446744073709551615", error::invalid_attribute},
             // The extensions apikit maps: correlationid a string,
             // traceparent and traceid of the metadata's form.
             r{"correlationid", "5", error::invalid_attribute},
             r{"traceparent", "\"00-abc\"", error::invalid_attribute},
             r{"traceid", "\"XYZ\"", error::invalid_attribute},
         }) {
        CAPTURE(c.member);
        CAPTURE(c.value);
        std::string at;
        auto const e = events::from_cloudevent(cloudevent_with(c.member, c.value), at);
        REQUIRE_FALSE(e);
        CHECK(e.error() == c.code);
        std::string pointer = "/";
        pointer += c.member;
        CHECK(at == pointer);
    }
}

TEST_CASE("cloudevents: binary data and a document that is not one event are refused") {
    std::string at;
    auto ce = cloudevent_with("data", "");
    ce.as_object()["data_base64"] = "PG11Y2ggd293PSJ4bWwiLz4=";
    CHECK(events::from_cloudevent(ce, at).error() == error::unsupported_data);
    CHECK(at == "/data_base64");
    ce.as_object()["data"] = "<much wow=\"xml\"/>";
    CHECK(events::from_cloudevent(ce, at).error() == error::invalid_attribute); // both: §3.1
    CHECK(at == "/data_base64");
    CHECK(events::from_cloudevent(boost::json::parse("[]"), at).error() == error::not_an_object);
    CHECK(at.empty());
    CHECK(events::parse_cloudevent(R"({"specversion":"1.0","specversion":"1.0"})").error() ==
          error::malformed_json);
    CHECK(events::parse_cloudevent("not json").error() == error::malformed_json);
}

TEST_CASE("cloudevents: extension values at the edges of the type system are read") {
    for (auto const v : {"2147483647", "-2147483648", "0", "true", "false", "\"\"", "\"text\""}) {
        CAPTURE(v);
        auto const e = events::from_cloudevent(cloudevent_with("ext", v));
        REQUIRE(e);
        CHECK(e->metadata.extra.at("ext") == boost::json::parse(v));
    }
    CHECK(events::from_cloudevent(cloudevent_with("abcdefghijklmnopqrst", "1"))); // 20
    CHECK(events::from_cloudevent(
        cloudevent_with("dataschema", "\"https://example.com/schemas/order\"")));
}

} // namespace cloudevents_test
