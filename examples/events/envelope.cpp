// Event envelopes: a type name checked while compiling, an event of a user
// type made and written in the reference's format, read back strictly, its
// data typed again, and the same event as a CloudEvent and in a CloudEvents
// batch. Prints each step; exits non-zero when something it shows does not
// hold (ctest runs it). docs/events.md quotes this file.
//
//   apikit-example-events-envelope

#include <apikit/events.hpp>

#include <boost/json.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace events = apikit::events;
using namespace std::chrono_literals;

namespace {

int failures = 0;

void expect(bool ok, char const* what) {
    if (!ok) {
        fmt::print(stderr, "FAILED: {}\n", what);
        ++failures;
    }
}

} // namespace

// [data] An event's data is any type Boost.JSON converts: here a user,
// without its password hash.
namespace shop {

struct user {
    std::string id;
    std::string email;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, user const& u) {
    v = {{"id", u.id}, {"email", u.email}};
}

user tag_invoke(boost::json::value_to_tag<user>, boost::json::value const& v) {
    auto const& o = v.as_object();
    return {boost::json::value_to<std::string>(o.at("id")),
            boost::json::value_to<std::string>(o.at("email"))};
}

} // namespace shop
// [data]

int main() {
    // [type] A literal type name is checked while compiling: "User.created"
    // or "user.created.v2" would not compile. A name from outside is parsed.
    events::type_name const created = "user.created";
    fmt::print("{} = entity {} + action {}\n", created, created.entity(), created.action());
    // user.created = entity user + action created
    auto const from_outside = events::type_name::parse("User.Created");
    fmt::print("User.Created: {}\n", from_outside.error().message());
    // User.Created: events: not a type name (<entity>.<action>: lower case, ...)
    // [type]
    expect(created.entity() == "user" && created.action() == "created", "entity and action");
    expect(from_outside.error() == events::error::invalid_type_name, "a bad name is refused");

    // [make] make_event: a new evt_ id, `now` to the millisecond, the data
    // through value_from, and where the event comes from.
    events::metadata meta;
    meta.correlation_id = "req_7Jd2kQ9xLm";             // the request's X-Request-Id
    meta.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"; // the request's trace
    auto const now = std::chrono::sys_days(std::chrono::year(2024) / 1 / 15) + 10h;
    auto const e = events::make_event(created, shop::user{"user_1", "ada@example.com"}, meta, now);
    auto const text = events::to_json(e);
    fmt::print("{}\n", text);
    // {"id":"evt_…","type":"user.created","timestamp":"2024-01-15T10:00:00.000Z",
    //  "data":{"id":"user_1","email":"ada@example.com"},
    //  "metadata":{"correlation_id":"req_7Jd2kQ9xLm","source":"api",
    //              "trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}
    // [make]
    expect(e.id.starts_with("evt_") && e.id.size() == 26, "an evt_ id");
    expect(text.starts_with("{\"id\":\"" + e.id +
                            "\",\"type\":\"user.created\",\"timestamp\":"
                            "\"2024-01-15T10:00:00.000Z\",\"data\":{"),
           "the reference's members, in order");

    // [parse] parse_event is strict: the envelope reads back equal, its data
    // as the type it was; an envelope with a member twice, or without one,
    // is refused, and `at` says where.
    auto const back = events::parse_event(text).value(); // throws if refused
    auto const u = events::data_as<shop::user>(back).value();
    fmt::print("read back: {}, data: {} <{}>\n", back == e, u.id, u.email);
    // read back: true, data: user_1 <ada@example.com>
    std::string at;
    auto const refused = events::parse_event(
        R"({"id":"evt_1","type":"user.created","timestamp":"2024-01-15T10:00:00Z",)"
        R"("data":{},"metadata":{"correlation_id":"req_1"}})",
        at);
    fmt::print("refused: {} at {}\n", refused.error().message(), at);
    // refused: events: a required member is missing at /metadata/source
    // [parse]
    expect(back == e, "the envelope reads back equal");
    expect(u.email == "ada@example.com", "the data reads back typed");
    expect(!refused && refused.error() == events::error::missing_member && at == "/metadata/source",
           "a missing member is refused, and named");

    // [cloudevents] The same event in CloudEvents 1.0 structured JSON: the
    // correlation id as the extension `correlationid`, the trace id as
    // `traceid` (and a traceparent, when set, as the Distributed Tracing
    // extension's `traceparent`); and read back.
    fmt::print("{}\n", events::to_cloudevent_json(e));
    // {"specversion":"1.0","id":"evt_…","source":"api","type":"user.created",
    //  "time":"2024-01-15T10:00:00.000Z","datacontenttype":"application/json",
    //  "data":{"id":"user_1","email":"ada@example.com"},
    //  "correlationid":"req_7Jd2kQ9xLm","traceid":"4bf92f3577b34da6a3ce929d0e0e4736"}
    auto const from_ce = events::from_cloudevent(events::to_cloudevent(e));
    std::vector<events::event> const page{e, e};
    auto const batch = events::to_cloudevents_batch(page); // [{…},{…}]
    fmt::print("{} events as {}\n", page.size(), events::cloudevents_batch_content_type);
    // 2 events as application/cloudevents-batch+json
    // [cloudevents]
    expect(from_ce && *from_ce == e, "the CloudEvent reads back equal");
    expect(batch.starts_with("[{\"specversion\":\"1.0\"") && batch.ends_with("}]"),
           "a batch is a bare array");

    // [pattern] What a subscriber chooses events by: one type, an entity's
    // every action, or everything.
    events::type_pattern const users = "user.*";
    fmt::print("user.* matches {}: {}, order.placed: {}\n", e.type, users.matches(e.type),
               users.matches("order.placed"));
    // user.* matches user.created: true, order.placed: false
    // [pattern]
    expect(users.matches(e.type) && !users.matches("order.placed"), "user.* selects user events");

    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
