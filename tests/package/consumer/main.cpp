// A program that uses apikit from outside: the package tests build it against
// the installed package, through add_subdirectory and through FetchContent,
// and docs/getting-started.md quotes it.
#include <apikit/api/error.hpp>
#include <apikit/api/error_format.hpp>
#include <apikit/core/random.hpp>

#include <fmt/core.h>

int main() {
    // A request id: a prefix and 22 random base62 characters from OpenSSL's CSPRNG.
    auto const request_id = apikit::random_id("req_");
    fmt::print("{}\n", request_id);

    // A validation failure, and the response a client gets for it: the status
    // and the error envelope, which carries the request id.
    auto error = apikit::api::api_error::validation("email", "Invalid format");
    error.request_id = request_id;
    fmt::print("{} {}\n", error.status(), apikit::api::render(error));
}
