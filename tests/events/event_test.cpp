#include <apikit/events/event.hpp>

#include "print.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace events = apikit::events;
using events::error;
using namespace std::chrono_literals;

namespace event_test {

struct user {
    std::string id;
    std::string email;
    std::vector<std::string> roles;
    friend bool operator==(user const&, user const&) = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, user const& u) {
    v = {{"id", u.id}, {"email", u.email}, {"roles", boost::json::value_from(u.roles)}};
}

boost::system::result<user> tag_invoke(boost::json::try_value_to_tag<user>,
                                       boost::json::value const& v) {
    auto const* o = v.if_object();
    if (!o || !o->contains("id") || !o->contains("email") || !o->contains("roles"))
        return boost::system::error_code(EINVAL, boost::system::generic_category());
    auto id = boost::json::try_value_to<std::string>(o->at("id"));
    auto email = boost::json::try_value_to<std::string>(o->at("email"));
    auto roles = boost::json::try_value_to<std::vector<std::string>>(o->at("roles"));
    if (!id || !email || !roles)
        return boost::system::error_code(EINVAL, boost::system::generic_category());
    return user{*id, *email, *roles};
}

// A type whose conversion reports failure by throwing, as an older
// value_to overload does.
struct strict_number {
    int n = 0;
};
strict_number tag_invoke(boost::json::value_to_tag<strict_number>, boost::json::value const& v) {
    if (!v.is_int64())
        throw std::invalid_argument("not a number");
    return {static_cast<int>(v.get_int64())};
}

// 2024-01-15T10:00:00Z, the reference's instant.
inline std::chrono::system_clock::time_point const reference_time =
    std::chrono::sys_days(std::chrono::year(2024) / 1 / 15) + 10h;

events::event reference_event() {
    events::metadata m;
    m.correlation_id = "req_abc";
    return events::event{"evt_123", "user.created", reference_time,
                         boost::json::value{{"id", "user_1"}, {"email", "ada@example.com"}}, m};
}

// A valid envelope with one member replaced (or removed, when `value` is
// empty): the text parse_event is tested on.
std::string envelope_with(std::string_view member, std::string_view value) {
    auto v = boost::json::value_from(reference_event());
    auto& o = v.as_object();
    auto* target = &o;
    auto name = member;
    if (member.starts_with("metadata.")) {
        target = &o["metadata"].as_object();
        name = member.substr(9);
    }
    if (value.empty())
        target->erase(name);
    else
        (*target)[name] = boost::json::parse(value);
    return boost::json::serialize(v);
}

struct refusal {
    std::string text;
    events::error code;
    std::string_view at;
};

void check_refused(refusal const& r) {
    CAPTURE(r.text);
    std::string at = "stale";
    auto const e = events::parse_event(r.text, at);
    REQUIRE_FALSE(e);
    CHECK(e.error() == r.code);
    CHECK(at == r.at);
    CHECK_FALSE(events::parse_event(r.text)); // the same without asking where
}

// The cases live in the namespace too: the test area is a unity build, and
// its files' helpers must not meet.

TEST_CASE("event: make_event gives an evt_ id, keeps now to the millisecond, data via value_from") {
    events::metadata m;
    m.correlation_id = "req_1";
    user const u{"user_1", "ada@example.com", {"admin"}};
    auto const now = reference_time + 1234567us;
    auto const e = events::make_event("user.created", u, m, now);
    CHECK(e.id.size() == 4 + apikit::id_random_length);
    CHECK(e.id.starts_with("evt_"));
    CHECK(e.id.find_first_not_of(apikit::id_alphabet, 4) == std::string::npos);
    CHECK(e.type == "user.created");
    CHECK(e.timestamp == reference_time + 1234ms);
    CHECK(e.data ==
          boost::json::parse(R"({"id":"user_1","email":"ada@example.com","roles":["admin"]})"));
    CHECK(e.metadata == m);
    CHECK(events::data_as<user>(e).value() == u);

    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i)
        ids.insert(events::make_event("user.created", 1, m, now).id);
    CHECK(ids.size() == 1000);
}

TEST_CASE("event: the envelope is exactly the reference's five members, in order") {
    CHECK(events::to_json(reference_event()) ==
          R"({"id":"evt_123","type":"user.created","timestamp":"2024-01-15T10:00:00.000Z",)"
          R"("data":{"id":"user_1","email":"ada@example.com"},)"
          R"("metadata":{"correlation_id":"req_abc","source":"api"}})");
}

TEST_CASE("event: metadata writes correlation_id, source, the trace, then the user's members") {
    auto e = reference_event();
    e.metadata.extra["tenant"] = "acme";
    e.metadata.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    e.metadata.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    e.metadata.extra["attempt"] = 2;
    CHECK(boost::json::serialize(boost::json::value_from(e.metadata)) ==
          R"({"correlation_id":"req_abc","source":"api",)"
          R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",)"
          R"("traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",)"
          R"("tenant":"acme","attempt":2})");
    CHECK(events::check_event(e));

    // A user member named like one of the four would write it twice: it is
    // not written, and check_event says so.
    e.metadata.extra["source"] = "elsewhere";
    auto const written = boost::json::value_from(e.metadata);
    CHECK(written.at("source") == "api");
    CHECK(written.as_object().size() == 6);
    std::string at;
    auto const checked = events::check_event(e, at);
    REQUIRE_FALSE(checked);
    CHECK(checked.error() == error::invalid_metadata);
    CHECK(at == "/metadata/source");
}

TEST_CASE("event: an envelope reads back equal to the event it was written from") {
    auto e = reference_event();
    e.metadata.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    e.metadata.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    e.metadata.extra["tenant"] = "acme";
    e.metadata.extra["tags"] = boost::json::array{"a", 1, nullptr, 2.5};
    e.data =
        boost::json::parse(R"({"n":[1,-2,18446744073709551615,0.1,1e300,0.5e50,1e-400,-0.0],)"
                           R"("s":"é \"q\" \u0001 \ud83d\ude00","b":[true,false,null],"o":{}})");
    auto const text = events::to_json(e);
    CHECK(text == boost::json::serialize(boost::json::value_from(e))); // one text, two ways
    auto const back = events::parse_event(text);
    REQUIRE(back);
    CHECK(*back == e);
    CHECK(events::to_json(*back) == text);

    // Numbers are read exactly (Boost.JSON alone reads 0.5e50 two ulps
    // low, and the value would drift at each round trip).
    std::string number = envelope_with("data", "1");
    number.replace(number.find("\"data\":1") + 7, 1, "[0.5e50]");
    auto const exact = events::parse_event(number);
    REQUIRE(exact);
    CHECK(exact->data.at(0).as_double() == 0.5e50);
    CHECK(events::parse_event(events::to_json(*exact)).value() == *exact);

    // Any JSON value is data, null included.
    for (auto const data : {"null", "\"text\"", "[]", "42", "{\"a\":{\"b\":[{}]}}"}) {
        CAPTURE(data);
        e.data = boost::json::parse(data);
        CHECK(events::parse_event(events::to_json(e)).value() == e);
    }
}

TEST_CASE("event: a hand-made string that is not UTF-8 is written as U+FFFD, still JSON") {
    auto e = reference_event();
    e.metadata.correlation_id = "req_\xff";
    auto const back = events::parse_event(events::to_json(e));
    REQUIRE(back);
    CHECK(back->metadata.correlation_id == "req_\xef\xbf\xbd");
}

TEST_CASE("event: value_from and value_to convert events and metadata as the text does") {
    auto const e = reference_event();
    auto const v = boost::json::value_from(e);
    CHECK(boost::json::serialize(v) == events::to_json(e));
    CHECK(boost::json::value_to<events::event>(v) == e);
    CHECK(boost::json::value_to<events::metadata>(v.at("metadata")) == e.metadata);
    CHECK(boost::json::try_value_to<events::event>(boost::json::value(1)).error() ==
          error::not_an_object);
    CHECK_THROWS_AS((void)boost::json::value_to<events::event>(boost::json::parse("[]")),
                    boost::system::system_error);
    auto const bad_meta = boost::json::try_value_to<events::metadata>(boost::json::parse("{}"));
    CHECK(bad_meta.error() == error::missing_member);
    // Events in containers, as a user's types compose.
    std::vector<events::event> const list{e, e};
    CHECK(boost::json::value_to<std::vector<events::event>>(boost::json::value_from(list)) == list);
}

TEST_CASE("event: data_as converts the data, or says data_mismatch") {
    auto const e = events::make_event("user.created", user{"u", "e@x", {}}, {}, reference_time);
    CHECK(events::data_as<user>(e).value().email == "e@x");
    CHECK(events::data_as<boost::json::object>(e).value().size() == 3);
    auto const wrong = events::data_as<int>(e);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error() == error::data_mismatch);
    CHECK(apikit::to_errc(wrong.error()) == apikit::errc::validation_error);
    CHECK(events::data_as<strict_number>(events::make_event("n.x", 7, {}, reference_time))
              .value()
              .n == 7);
    CHECK(events::data_as<strict_number>(e).error() == error::data_mismatch);
}

TEST_CASE("event: parse_event takes the members in any order and any RFC 3339 offset") {
    auto const e = reference_event();
    auto const reordered = events::parse_event(
        R"({"metadata":{"source":"api","correlation_id":"req_abc"},"data":)"
        R"({"id":"user_1","email":"ada@example.com"},"timestamp":"2024-01-15T11:30:00+01:30",)"
        R"("type":"user.created","id":"evt_123"})");
    REQUIRE(reordered);
    CHECK(*reordered == e);
    struct stamp {
        std::string_view text;
        std::chrono::system_clock::time_point when;
    };
    for (auto const& s : std::vector<stamp>{
             {"2024-01-15T10:00:00Z", reference_time},
             {"2024-01-15t10:00:00z", reference_time},
             {"2024-01-15T10:00:00.5Z", reference_time + 500ms},
             {"2024-01-15T10:00:00.123456789Z", reference_time + 123ms}, // kept to the ms
             {"2024-01-15T05:00:00-05:00", reference_time},
             {"2024-01-15T10:00:00+00:00", reference_time},
             {"2024-01-15T10:00:00-00:00", reference_time},
             {"2024-02-29T00:00:00Z", std::chrono::sys_days(std::chrono::year(2024) / 2 / 29)},
             {"1970-01-01T00:00:00Z", std::chrono::system_clock::time_point()},
             {"1969-12-31T23:59:59.999Z", std::chrono::system_clock::time_point() - 1ms},
         }) {
        CAPTURE(s.text);
        auto const parsed =
            events::parse_event(envelope_with("timestamp", "\"" + std::string(s.text) + "\""));
        REQUIRE(parsed);
        CHECK(parsed->timestamp == s.when);
    }
}

TEST_CASE("event: what is not JSON, or breaks I-JSON, is malformed_json") {
    auto const data = [](std::string_view json) { // an envelope whose data is `json`, verbatim
        std::string text = envelope_with("data", "1");
        return text.replace(text.find("\"data\":1") + 7, 1, json);
    };
    for (std::string const& text : std::vector<std::string>{
             "", "not json", "{", R"({"id":"evt_1"} x)", "\xff",
             // a member twice, at the top and deep in the data (Boost.JSON
             // alone would keep the last)
             R"({"id":"evt_1","id":"evt_2","type":"a.b","timestamp":"2024-01-15T10:00:00Z",)"
             R"("data":{},"metadata":{"correlation_id":"","source":"api"}})",
             data(R"({"a":{"b":1,"b":2}})"), data(R"([{"x":[{"k":1,"k":1}]}])"),
             // a number JSON cannot write back; nesting past 64
             data("1e999"), data(std::string(64, '[') + std::string(64, ']'))}) {
        check_refused({text, error::malformed_json, ""});
    }
    CHECK(events::parse_event(data(R"({"a":{"b":1,"c":2}})")));
    // 63 levels of data nest 64 deep with the envelope: still read.
    CHECK(events::parse_event(data(std::string(63, '[') + std::string(63, ']'))));
}

TEST_CASE("event: a document that is not an envelope is refused, naming the member") {
    using r = refusal;
    std::string const long_id(257, 'x');
    for (auto const& c : std::vector<refusal>{
             r{"[]", error::not_an_object, ""},
             r{"\"evt_1\"", error::not_an_object, ""},
             r{envelope_with("id", ""), error::missing_member, "/id"},
             r{envelope_with("type", ""), error::missing_member, "/type"},
             r{envelope_with("timestamp", ""), error::missing_member, "/timestamp"},
             r{envelope_with("data", ""), error::missing_member, "/data"},
             r{envelope_with("metadata", ""), error::missing_member, "/metadata"},
             r{envelope_with("extra", "1"), error::unknown_member, "/extra"},
             r{envelope_with("Id", "\"evt_1\""), error::unknown_member, "/Id"},
             r{envelope_with("a/b~c", "1"), error::unknown_member, "/a~1b~0c"},
             r{envelope_with("id", "1"), error::invalid_id, "/id"},
             r{envelope_with("id", "null"), error::invalid_id, "/id"},
             r{envelope_with("id", "\"\""), error::invalid_id, "/id"},
             r{envelope_with("id", "\"evt 1\""), error::invalid_id, "/id"},
             r{envelope_with("id", "\"evt_\\u0001\""), error::invalid_id, "/id"},
             r{envelope_with("id", "\"evt_é\""), error::invalid_id, "/id"},
             r{envelope_with("id", "\"" + long_id + "\""), error::invalid_id, "/id"},
             r{envelope_with("type", "\"User.created\""), error::invalid_type_name, "/type"},
             r{envelope_with("type", "\"user\""), error::invalid_type_name, "/type"},
             r{envelope_with("type", "\"user.*\""), error::invalid_type_name, "/type"},
             r{envelope_with("type", "7"), error::invalid_type_name, "/type"},
             r{envelope_with("metadata", "[]"), error::invalid_metadata, "/metadata"},
             r{envelope_with("metadata", "\"api\""), error::invalid_metadata, "/metadata"},
             r{envelope_with("metadata.correlation_id", ""), error::missing_member,
               "/metadata/correlation_id"},
             r{envelope_with("metadata.source", ""), error::missing_member, "/metadata/source"},
             r{envelope_with("metadata.correlation_id", "5"), error::invalid_metadata,
               "/metadata/correlation_id"},
             r{envelope_with("metadata.correlation_id", "null"), error::invalid_metadata,
               "/metadata/correlation_id"},
             r{envelope_with("metadata.source", "\"\""), error::invalid_metadata,
               "/metadata/source"},
             r{envelope_with("metadata.source", "\"not a uri\""), error::invalid_metadata,
               "/metadata/source"},
             r{envelope_with("metadata.source", "\"http://[::1\""), error::invalid_metadata,
               "/metadata/source"},
             r{envelope_with("metadata.trace_id", "\"4BF92F3577B34DA6A3CE929D0E0E4736\""),
               error::invalid_metadata, "/metadata/trace_id"},
             r{envelope_with("metadata.trace_id", "\"00000000000000000000000000000000\""),
               error::invalid_metadata, "/metadata/trace_id"},
             r{envelope_with("metadata.trace_id", "\"4bf92f3577b34da6a3ce929d0e0e473\""),
               error::invalid_metadata, "/metadata/trace_id"},
             r{envelope_with("metadata.trace_id", "null"), error::invalid_metadata,
               "/metadata/trace_id"},
             r{envelope_with("metadata.traceparent", "\"00-abc\""), error::invalid_metadata,
               "/metadata/traceparent"},
             r{envelope_with("metadata.traceparent", "1"), error::invalid_metadata,
               "/metadata/traceparent"},
             r{envelope_with("metadata.traceparent",
                             "\"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01\""),
               error::invalid_metadata, "/metadata/traceparent"},
             r{envelope_with("metadata.traceparent",
                             "\"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\""),
               error::invalid_metadata, "/metadata/traceparent"},
             r{envelope_with("metadata.traceparent",
                             "\"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01\""),
               error::invalid_metadata, "/metadata/traceparent"},
             r{envelope_with("metadata.traceparent",
                             "\" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\""),
               error::invalid_metadata, "/metadata/traceparent"},
             r{envelope_with("metadata.traceparent",
                             "\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra\""),
               error::invalid_metadata, "/metadata/traceparent"},
         })
        check_refused(c);
}

TEST_CASE("event: a timestamp that is not an RFC 3339 date-time apikit can hold is refused") {
    for (std::string_view const t : {"2024-01-15",
                                     "2024-01-15T10:00:00",
                                     "2024-01-15 10:00:00Z",
                                     "2024-01-15T10:00Z",
                                     "2024-13-01T00:00:00Z",
                                     "2024-00-01T00:00:00Z",
                                     "2023-02-29T00:00:00Z",
                                     "2024-04-31T00:00:00Z",
                                     "2024-01-32T00:00:00Z",
                                     "2024-01-15T24:00:00Z",
                                     "2024-01-15T10:60:00Z",
                                     "2024-01-15T10:00:60Z",
                                     "2024-01-15T10:00:00.Z",
                                     "2024-01-15T10:00:00+1:00",
                                     "2024-01-15T10:00:00+01",
                                     "2024-01-15T10:00:00+24:00",
                                     "2024-01-15T10:00:00+01:60",
                                     "2024-01-15T10:00:00ZZ",
                                     "+2024-01-15T10:00:00Z",
                                     "2024-1-15T10:00:00Z",
                                     "1600-01-01T00:00:00Z",
                                     "2300-01-01T00:00:00Z",
                                     "2024-01-15T10:00:00 Z",
                                     "２０２４-01-15T10:00:00Z"}) {
        CAPTURE(t);
        check_refused({envelope_with("timestamp", "\"" + std::string(t) + "\""),
                       error::invalid_timestamp, "/timestamp"});
    }
    check_refused(
        {envelope_with("timestamp", "1705312800"), error::invalid_timestamp, "/timestamp"});
}

TEST_CASE("event: a later traceparent version is carried, as W3C trace context reads it") {
    auto const e = events::parse_event(
        envelope_with("metadata.traceparent",
                      R"("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future")"));
    REQUIRE(e);
    CHECK(e->metadata.traceparent ==
          "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future");
}

TEST_CASE("event: check_event holds a hand-made event to parse_event's rules") {
    auto e = reference_event();
    CHECK(events::check_event(e));
    e.id = "evt 1";
    std::string at;
    CHECK(events::check_event(e, at).error() == error::invalid_id);
    CHECK(at == "/id");
    e.id = "evt_1";
    e.metadata.source = "";
    CHECK(events::check_event(e, at).error() == error::invalid_metadata);
    CHECK(at == "/metadata/source");
    e.metadata.source = "https://example.com/api";
    CHECK(events::check_event(e, at));
    CHECK(at.empty());
}

} // namespace event_test
