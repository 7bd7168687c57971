// The error envelope and its two renderings: apikit's envelope and RFC 9457
// problem+json. Quoted by docs/api.md.
#include <apikit/api/error.hpp>
#include <apikit/api/error_format.hpp>
#include <apikit/core/random.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <fmt/core.h>

namespace api = apikit::api;

int main() {
    // [validation]
    auto error = api::api_error::validation("email", "Invalid format");
    error.request_id = apikit::random_id("req_"); // the HTTP layer stamps this

    fmt::print("{} {}\n{}\n", error.status(), api::envelope_format::content_type,
               api::render<api::envelope_format>(error));
    fmt::print("{} {}\n{}\n", error.status(), api::problem_json_format::content_type,
               api::render<api::problem_json_format>(error));
    // [validation]

    // [server-error]
    // Whatever a 5xx says, a client sees the table's message and no details.
    api::api_error internal(apikit::errc::internal_error, "pq: password authentication failed");
    internal.request_id = "req_4UM1pQy0r8hV3kX9cTn2Lb";
    fmt::print("{}\n", api::render(internal)); // ..."message":"Internal server error"...
    // [server-error]

    // [from-error-code]
    // A failed apikit call becomes a response through the same table.
    apikit::result<int> const failed = apikit::errc::conflict;
    api::api_error const conflict(failed.error());
    fmt::print("{} {}\n", conflict.status(), conflict.code_name()); // 409 conflict
    // [from-error-code]

    // [value-from]
    // For code that composes JSON: value_from gives the envelope as a json::value.
    boost::json::value const doc = boost::json::value_from(error);
    fmt::print("{}\n", boost::json::serialize(doc.at("error").at("details")));
    // [value-from]
}
