// events::error: what a client is answered for each code (400 for what is not
// JSON, 422 for JSON that is not an event, 415 for data apikit does not
// carry, 503 when the bus cannot take an event, 400 invalid_cursor for a bad
// position), and that only an unreachable backend is in the outage
// condition.

#include <apikit/events/error.hpp>

#include <doctest/doctest.h>

#include <boost/system/error_code.hpp>

#include <set>
#include <string>

namespace events = apikit::events;
using apikit::errc;

TEST_CASE("events::error: each code is answered with the errc of its kind") {
    using E = events::error;
    for (auto e :
         {E::invalid_type_name, E::invalid_type_pattern, E::missing_member, E::unknown_member,
          E::invalid_id, E::invalid_timestamp, E::invalid_metadata, E::data_mismatch,
          E::unsupported_specversion, E::invalid_attribute, E::invalid_attribute_name}) {
        CAPTURE(static_cast<int>(e));
        CHECK(apikit::to_errc(make_error_code(e)) == errc::validation_error);
        CHECK(apikit::http_status(make_error_code(e)) == 422);
    }
    CHECK(apikit::to_errc(make_error_code(E::malformed_json)) == errc::malformed_request);
    CHECK(apikit::to_errc(make_error_code(E::not_an_object)) == errc::malformed_request);
    CHECK(apikit::http_status(make_error_code(E::unsupported_data)) == 415);
    for (auto e : {E::bus_unavailable, E::subscriber_overflow, E::bus_closed})
        CHECK(apikit::http_status(make_error_code(e)) == 503);
    CHECK(apikit::to_errc(make_error_code(E::invalid_position)) == errc::invalid_cursor);
}

TEST_CASE("events::error: only bus_unavailable is a backend outage") {
    using E = events::error;
    CHECK(make_error_code(E::bus_unavailable) == apikit::condition::backend_unavailable);
    for (int v = 1; v <= static_cast<int>(E::invalid_position); ++v) {
        CAPTURE(v);
        boost::system::error_code const ec(v, events::error_category());
        CHECK((ec == apikit::condition::backend_unavailable) ==
              (v == static_cast<int>(E::bus_unavailable)));
    }
}

TEST_CASE("events::error: its category is apikit.events and every message is its own") {
    boost::system::error_code const ec = events::error::invalid_type_name;
    CHECK(std::string(ec.category().name()) == "apikit.events");
    CHECK(ec.category() == events::error_category());
    std::set<std::string> messages;
    int const last = static_cast<int>(events::error::invalid_position);
    for (int v = 1; v <= last; ++v) {
        auto const m = boost::system::error_code(v, events::error_category()).message();
        CHECK(m.starts_with("events: "));
        messages.insert(m);
    }
    CHECK(messages.size() == static_cast<std::size_t>(last));
    CHECK(boost::system::error_code(last + 1, events::error_category()).message() ==
          "events: unknown error");
}
