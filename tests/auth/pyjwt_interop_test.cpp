// Interoperability with PyJWT, the JWT library of Python (Debian's
// python3-jwt, which `./dev deps` installs): for HS256, RS256, ES256 and
// EdDSA, a token apikit's issuer makes verifies in PyJWT (signature, exp,
// iat, iss, aud), and a token PyJWT makes verifies in apikit's verifier.
// PyJWT's half is tests/auth/pyjwt_interop.py, run by Debian's python3; the
// two exchange keys and tokens through files in a fresh directory.

#include <apikit/auth/issuer.hpp>
#include <apikit/auth/verifier.hpp>
#include <apikit/core/random.hpp>

#include "tokens_support.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace pyjwt_interop_test {

namespace auth = apikit::auth;
namespace fs = std::filesystem;

void write_file(fs::path const& p, std::string_view bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

std::string read_file(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Runs `command`; its output (stdout and stderr) and exit status.
std::pair<std::string, int> run(std::string const& command) {
    std::string out;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::array<char, 512> buffer{};
    while (auto const n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        out.append(buffer.data(), n);
    int const status = ::pclose(pipe);
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

struct interop_case {
    auth::algorithm alg;
    std::string name;
    auth::key key;
};

TEST_CASE("pyjwt interop: apikit's tokens verify in PyJWT, and PyJWT's in apikit, for every "
          "algorithm") {
    auto const dir = fs::temp_directory_path() / apikit::random_id("apikit-pyjwt-");
    fs::create_directories(dir);
    std::string secret(32, '\0');
    apikit::random_bytes(secret.data(), secret.size());

    std::vector<interop_case> cases;
    cases.push_back({auth::algorithm::hs256, "hs256", auth::key::from_secret(secret, "").value()});
    cases.push_back({auth::algorithm::rs256, "rs256", tokens_test::rsa_key()});
    cases.push_back(
        {auth::algorithm::es256, "es256", auth::key::generate(auth::algorithm::es256).value()});
    cases.push_back(
        {auth::algorithm::eddsa, "eddsa", auth::key::generate(auth::algorithm::eddsa).value()});
    std::vector<std::string> const scope{"read", "write"};
    for (auto const& c : cases) {
        write_file(dir / (c.name + ".key"),
                   c.alg == auth::algorithm::hs256 ? secret : c.key.private_pem());
        write_file(dir / (c.name + ".pub"),
                   c.alg == auth::algorithm::hs256 ? secret : c.key.public_pem());
        write_file(dir / (c.name + ".kid"), c.key.kid());
        auth::key_set keys;
        keys.add(c.key);
        auth::issuer<> iss(keys, {.issuer = "https://issuer.test", .audience = "api"});
        write_file(dir / ("apikit-" + c.name + ".jwt"), iss.issue("user_1", scope).value());
    }

    auto const script = fs::path(__FILE__).parent_path() / "pyjwt_interop.py";
    auto const ran = run("/usr/bin/python3 " + script.string() + " " + dir.string());
    auto const& output = ran.first; // PyJWT's verdict on each of apikit's tokens
    CAPTURE(output);
    CHECK(ran.second == 0);

    auth::verify_options o;
    o.issuer = "https://issuer.test";
    o.audiences = {"api"};
    o.required_claims = {"exp", "iat", "sub", "jti"};
    for (auto const& c : cases) {
        CAPTURE(c.name);
        auth::key_set keys;
        keys.add(c.key);
        auth::verifier<> v(keys, o);
        auto const token = read_file(dir / ("pyjwt-" + c.name + ".jwt"));
        auto const r = v.verify(token);
        REQUIRE(r.has_value());
        CHECK((*r)->sub == "user_py");
        CHECK((*r)->jti == "py-" + c.name);
        CHECK((*r)->scope == scope);
    }
    fs::remove_all(dir);
}

} // namespace pyjwt_interop_test
