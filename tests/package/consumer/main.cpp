// A program that uses apikit from outside: the package tests build it against
// the installed package, through add_subdirectory and through FetchContent,
// and docs/getting-started.md quotes it.
#include <apikit/core/error.hpp>
#include <apikit/core/random.hpp>

#include <fmt/core.h>

int main() {
    // A request id: a prefix and 22 random base62 characters from OpenSSL's CSPRNG.
    auto const request_id = apikit::random_id("req_");
    fmt::print("{}\n", request_id);

    // Every apikit error code maps, once, to an HTTP status and an envelope code.
    auto const& row = apikit::info(apikit::errc::validation_error);
    fmt::print("{} {}: {}\n", row.status, row.code, row.message);
}
