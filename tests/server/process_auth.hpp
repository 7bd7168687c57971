#ifndef APIKIT_TESTS_SERVER_PROCESS_AUTH_HPP
#define APIKIT_TESTS_SERVER_PROCESS_AUTH_HPP

// Signing in to an apikit-server process the test started: a key written to
// a PEM file for --jwt-key, and access tokens signed with it exactly as the
// server signs its own (issuer and audience "apikit-sample", typ at+jwt), so
// a test reaches the routes that need a scope without a sign-up and a login
// (which the tests of those routes do over HTTP); and the port such a
// process listens on.

#include "process.hpp"

#include <apikit/auth/issuer.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/auth/key_set.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace test_process {

class signing_key_file {
public:
    /// A fresh key of `alg` in a new file under $TMPDIR.
    explicit signing_key_file(apikit::auth::algorithm alg = apikit::auth::algorithm::eddsa)
        : key_(apikit::auth::key::generate(alg).value()) {
        char const* dir = std::getenv("TMPDIR");
        std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/apikit-jwt-XXXXXX";
        int const fd = ::mkstemp(pattern.data());
        REQUIRE(fd >= 0);
        ::close(fd);
        path_ = pattern;
        std::ofstream(path_, std::ios::binary) << key_.private_pem();
        keys_.add(key_);
        keys_.use_for_signing(key_.kid());
    }
    signing_key_file(signing_key_file const&) = delete;
    signing_key_file& operator=(signing_key_file const&) = delete;
    ~signing_key_file() { std::remove(path_.c_str()); }

    [[nodiscard]] std::string const& path() const noexcept { return path_; }
    [[nodiscard]] apikit::auth::key const& key() const noexcept { return key_; }

    /// `Bearer <token>` for `subject` with `scopes`, as the server issues.
    [[nodiscard]] std::string bearer(std::string_view subject = "user_test",
                                     std::vector<std::string> const& scopes = {"read",
                                                                               "write"}) const {
        apikit::auth::issuer<> const issuer(keys_, {"apikit-sample", "apikit-sample"});
        return "Bearer " + issuer.issue(subject, scopes).value();
    }

private:
    apikit::auth::key key_;
    apikit::auth::key_set keys_;
    std::string path_;
};

/// Reads `server`'s log lines up to "listening" (the signing key's line and
/// the Redis it found, or a warning that Redis is unreachable, come first),
/// keeping those before it in `before` when given; returns its port.
inline std::uint16_t listening_port_of(child& server, std::vector<std::string>* before = nullptr) {
    for (;;) {
        auto const line = server.read_line(std::chrono::seconds(20));
        REQUIRE(line.has_value());
        auto const v = boost::json::parse(*line);
        if (v.at("message") != "listening") {
            if (before)
                before->push_back(*line);
            continue;
        }
        auto const port = v.at("context").at("port").as_int64();
        REQUIRE(port > 0);
        REQUIRE(port < 65536);
        return static_cast<std::uint16_t>(port);
    }
}

/// An apikit-server process a test started with `args`, the log lines it
/// wrote before "listening", and the port it listens on (read from its log).
struct server_process {
    server_process(std::string const& binary, std::vector<std::string> const& args)
        : process(binary, args)
        , port(listening_port_of(process, &startup)) {}

    /// Stops it with SIGTERM, which it must obey within 10 s with exit 0;
    /// returns what it logged after "listening".
    std::string stop() {
        process.signal(SIGTERM);
        auto const status = process.wait_exit(std::chrono::seconds(10));
        REQUIRE(status.has_value());
        CHECK(*status == 0);
        return process.output();
    }

    child process;
    std::vector<std::string> startup; ///< before `port`, which reads them
    std::uint16_t port = 0;
};

} // namespace test_process

#endif
