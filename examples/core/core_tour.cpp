// A tour of apikit's core: the pieces every other pattern is built from.
// docs/core.md quotes this file.
#include <apikit/core.hpp>

#include <fmt/format.h>

#include <chrono>

int main() {
    using namespace std::chrono_literals;

    // [ids] Prefixed random ids from the CSPRNG.
    auto const request_id = apikit::random_id("req_"); // req_ + 22 base62 characters
    fmt::print("request id: {}\n", request_id);
    // [ids]

    // [errors] One table maps each error code to its status and envelope code.
    apikit::result<int> const parsed = apikit::errc::validation_error;
    auto const& row = apikit::info(apikit::errc::validation_error);
    fmt::print("{} -> HTTP {} \"{}\": {}\n", parsed.error().message(), row.status, row.code,
               row.message);
    // [errors]

    // [clock] Time is a policy: tests move a manual clock instead of sleeping.
    apikit::manual_clock<std::chrono::system_clock> clock(
        std::chrono::sys_seconds(std::chrono::seconds(1'705'312'800)));
    clock.advance(1500ms);
    fmt::print("now: {}\n", apikit::format_rfc3339_ms(clock.now())); // 2024-01-15T10:00:01.500Z
    // [clock]

    // [crypto] Strict base64url, HMAC-SHA256 and constant-time comparison.
    auto const mac = apikit::hmac_sha256("server key", "payload");
    auto const tag = apikit::base64url::encode(apikit::as_string_view(mac));
    auto const back = apikit::base64url::decode(tag);
    bool const same = back && apikit::constant_time_equal(*back, apikit::as_string_view(mac));
    fmt::print("tag {} verifies: {}\n", tag, same);
    // [crypto]
    return same ? 0 : 1;
}
