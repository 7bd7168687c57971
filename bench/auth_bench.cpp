// What verifying a token's signature through auth::key costs, per
// algorithm, against the raw OpenSSL cost of the very same check on the
// same signing input, in the same run:
// - HS256: apikit's key (hmac_sha256_key's prepared states, a constant-time
//   compare) against HMAC-SHA256 through EVP_MAC on a reused context whose
//   key is set once, and CRYPTO_memcmp;
// - RS256, ES256, EdDSA: auth::key::verify (the verify context prepared once
//   per key and copied per check; ES256's R || S turned into DER) against
//   EVP_DigestVerifyInit + EVP_DigestVerify on a reused EVP_MD_CTX with a
//   prepared EVP_PKEY (the DER signature handed over as it is).
// The signing input is an access token's as the sample server issues it
// (RFC 9068 header and claims, about 330 bytes).
//
// After Google Benchmark's runs, the pairs run again in alternating rounds
// (about 30 ms per side per round, so the machine's drift hits both), and a
// table gives the median of each and their ratio against the goals: RS256,
// ES256 and EdDSA at most 1.05x the raw check.
//
// Run: apikit-bench-auth [--benchmark_filter=...].

#include <apikit/auth/key.hpp>
#include <apikit/core/base64url.hpp>

#include <benchmark/benchmark.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace auth = apikit::auth;
using auth::algorithm;

namespace {

std::string const& signing_input() {
    static std::string const s = [] {
        namespace b64 = apikit::base64url;
        return b64::encode(
                   R"({"alg":"RS256","typ":"at+jwt","kid":"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"})") +
               "." +
               b64::encode(
                   R"({"iss":"https://api.example.com","sub":"usr_4UM1pQy0r8hV3kX9cTn2Lb","aud":"https://api.example.com","iat":1764752400,"exp":1764753300,"jti":"jti_8sKq2VfX0bLm4NcR7tYw1H","scope":["read","write"]})");
    }();
    return s;
}

// One key per algorithm, its signature of the input, and what the raw
// check needs: the EVP_PKEY (or the HMAC secret) and the signature as EVP
// takes it (DER for ECDSA).
struct fixture {
    auth::key key;
    std::string jose_signature;
    std::string raw_signature;
    auth::detail::pkey_ptr pkey;
    std::string secret;
};

fixture make_fixture(algorithm a) {
    std::string secret(32, '\0');
    for (std::size_t i = 0; i < secret.size(); ++i)
        secret[i] = static_cast<char>(i * 37 + 11);
    auto k = a == algorithm::hs256 ? auth::key::from_secret(secret, "bench")
                                   : auth::key::generate(a, "bench");
    if (!k)
        throw std::runtime_error("apikit-bench-auth: cannot make a key");
    fixture f{*k, k->sign(signing_input()).value(), {}, {}, secret};
    f.raw_signature = f.jose_signature;
    if (a != algorithm::hs256) {
        bool priv = false;
        f.pkey = auth::detail::read_pem(k->public_pem(), priv);
    }
    if (a == algorithm::es256) {
        unsigned char der[72];
        auto const n = auth::detail::es256_der(f.jose_signature, der);
        f.raw_signature.assign(reinterpret_cast<char*>(der), n);
    }
    return f;
}

fixture& fixture_for(algorithm a) {
    static fixture f[] = {make_fixture(algorithm::hs256), make_fixture(algorithm::rs256),
                          make_fixture(algorithm::es256), make_fixture(algorithm::eddsa)};
    return f[static_cast<int>(a)];
}

// ------------------------------------------------------------ the checks

// apikit: one auth::key::verify.
struct apikit_check {
    fixture& f;
    bool operator()() const { return f.key.verify(signing_input(), f.jose_signature); }
};

// HMAC-SHA256 through EVP_MAC, its key set once; each check re-initialises
// the context with that key (EVP_MAC_init with no key), MACs, compares.
struct raw_hmac_check {
    fixture& f;
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);

    explicit raw_hmac_check(fixture& fx) : f(fx) {
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        if (EVP_MAC_init(ctx, reinterpret_cast<unsigned char const*>(f.secret.data()),
                         f.secret.size(), params) != 1)
            throw std::runtime_error("apikit-bench-auth: EVP_MAC_init failed");
    }
    raw_hmac_check(raw_hmac_check const&) = delete;
    ~raw_hmac_check() {
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(mac);
    }
    bool operator()() const {
        unsigned char out[32];
        std::size_t n = 0;
        auto const& in = signing_input();
        return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 &&
               EVP_MAC_update(ctx, reinterpret_cast<unsigned char const*>(in.data()), in.size()) ==
                   1 &&
               EVP_MAC_final(ctx, out, &n, sizeof out) == 1 &&
               CRYPTO_memcmp(out, f.raw_signature.data(), n) == 0;
    }
};

// EVP_DigestVerifyInit + EVP_DigestVerify on a reused EVP_MD_CTX and a
// prepared EVP_PKEY: what a careful caller of OpenSSL writes.
struct raw_evp_check {
    fixture& f;
    EVP_MD const* md;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();

    raw_evp_check(fixture& fx, algorithm a)
        : f(fx)
        , md(a == algorithm::eddsa ? nullptr : EVP_sha256()) {}
    raw_evp_check(raw_evp_check const&) = delete;
    ~raw_evp_check() { EVP_MD_CTX_free(ctx); }
    bool operator()() const {
        auto const& in = signing_input();
        EVP_MD_CTX_reset(ctx);
        return EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, f.pkey.get()) == 1 &&
               EVP_DigestVerify(ctx, reinterpret_cast<unsigned char const*>(f.raw_signature.data()),
                                f.raw_signature.size(),
                                reinterpret_cast<unsigned char const*>(in.data()), in.size()) == 1;
    }
};

template <class Check>
void run(benchmark::State& state, Check const& check) {
    if (!check()) {
        state.SkipWithError("the signature does not verify");
        return;
    }
    for (auto _ : state)
        benchmark::DoNotOptimize(check());
    state.SetItemsProcessed(state.iterations());
}

void raw_openssl(benchmark::State& state, algorithm a) {
    auto& f = fixture_for(a);
    if (a == algorithm::hs256) {
        raw_hmac_check const check(f);
        run(state, check);
    } else {
        raw_evp_check const check(f, a);
        run(state, check);
    }
}

void key_verify(benchmark::State& state, algorithm a) {
    run(state, apikit_check{fixture_for(a)});
}

BENCHMARK_CAPTURE(raw_openssl, HS256, algorithm::hs256);
BENCHMARK_CAPTURE(key_verify, HS256, algorithm::hs256);
BENCHMARK_CAPTURE(raw_openssl, RS256, algorithm::rs256);
BENCHMARK_CAPTURE(key_verify, RS256, algorithm::rs256);
BENCHMARK_CAPTURE(raw_openssl, ES256, algorithm::es256);
BENCHMARK_CAPTURE(key_verify, ES256, algorithm::es256);
BENCHMARK_CAPTURE(raw_openssl, EdDSA, algorithm::eddsa);
BENCHMARK_CAPTURE(key_verify, EdDSA, algorithm::eddsa);

// ------------------------------------------------- the alternating rounds

// This thread's CPU time, in nanoseconds: on a machine shared with other
// work, wall time would count theirs too.
double thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// CPU nanoseconds per call of `check` over `n` calls.
double time_per_call(std::function<bool()> const& check, long n) {
    auto const start = thread_cpu_ns();
    bool all = true;
    for (long i = 0; i < n; ++i)
        all = check() && all;
    auto const ns = thread_cpu_ns() - start;
    if (!all)
        throw std::runtime_error("apikit-bench-auth: a check failed");
    return ns / static_cast<double>(n);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct pair_result {
    std::string name;
    double ours, raw, ratio; // medians; ratio: of the rounds' ratios
    double goal;             // the highest ratio allowed, 0 for none
};

pair_result alternate(std::string name, std::function<bool()> const& ours,
                      std::function<bool()> const& raw, double goal, int rounds) {
    // Calls for about 30 ms of the raw check.
    auto const probe = time_per_call(raw, 20);
    auto const n = std::max(20L, static_cast<long>(30e6 / probe));
    std::vector<double> a, b, ratio;
    for (int r = 0; r < rounds; ++r) {
        a.push_back(time_per_call(ours, n));
        b.push_back(time_per_call(raw, n));
        ratio.push_back(a.back() / b.back());
    }
    return {std::move(name), median(a), median(b), median(ratio), goal};
}

void print_rounds(int rounds) {
    std::vector<pair_result> results;
    for (auto a : {algorithm::hs256, algorithm::rs256, algorithm::es256, algorithm::eddsa}) {
        auto& f = fixture_for(a);
        apikit_check const ours{f};
        if (a == algorithm::hs256) {
            raw_hmac_check const raw(f);
            results.push_back(alternate("HS256 key::verify / raw HMAC", std::cref(ours),
                                        std::cref(raw), 0, rounds));
        } else {
            raw_evp_check const raw(f, a);
            results.push_back(alternate(std::string(auth::name(a)) + " key::verify / raw EVP",
                                        std::cref(ours), std::cref(raw), 1.05, rounds));
        }
    }
    std::printf("\nSignature checks, CPU ns per check, median of %d alternating rounds\n", rounds);
    std::printf("%-34s %10s %10s %7s  %s\n", "", "apikit", "raw", "ratio", "goal");
    for (auto const& r : results) {
        double const ratio = r.ratio;
        std::printf("%-34s %10.0f %10.0f %6.2fx  %s\n", r.name.c_str(), r.ours, r.raw, ratio,
                    r.goal == 0       ? "-"
                    : ratio <= r.goal ? "<= 1.05x: met"
                                      : "<= 1.05x: NOT MET");
    }
}

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    print_rounds(7);
}
