// What verifying an access token costs, per algorithm, against the raw
// OpenSSL cost of the very same signature check on the same signing input,
// in the same run. The tokens are the sample server's: RFC 9068 access
// tokens made by auth::issuer (iss, sub, aud, iat, exp, jti, scope; about
// 330 bytes of signing input), one per algorithm.
// - raw_openssl: HS256 is HMAC-SHA256 through EVP_MAC on a reused context
//   whose key is set once, then CRYPTO_memcmp; RS256, ES256 and EdDSA are
//   EVP_DigestVerifyInit + EVP_DigestVerify on a reused EVP_MD_CTX with a
//   prepared EVP_PKEY (ECDSA's signature handed over as DER, as EVP takes
//   it). What a careful caller of OpenSSL writes.
// - key_verify: auth::key::verify on that signing input and the JOSE
//   signature (the verify context prepared once per key and copied per
//   check; ES256's R || S turned into DER).
// - decode: auth::decode alone (base64url, JSON header and claims, no key),
//   the part of the verifier that is not the signature;
// - verifier: the whole token through auth::verifier — decode, key lookup
//   by kid, signature, typ, exp/iat, iss, aud, required claims.
// - cache_hit: the same token again through a verifier with a verification
//   cache (verify_options::cache_entries), its times rechecked.
//
// After Google Benchmark's runs, the comparisons run again in alternating
// rounds, timed in this thread's CPU time (about 30 ms per side and round,
// so the machine's drift and other processes' load hit both sides), and a
// table gives the median of each, the median of the rounds' ratios, and the
// goals: key::verify and the verifier at most 1.05x the raw check for RS256,
// ES256 and EdDSA; HS256 decode and verify at most 2x the raw HMAC; a cache
// hit at most 150 ns.
//
// Run: apikit-bench-auth [--benchmark_filter=...].

#include <apikit/auth/issuer.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/auth/key_set.hpp>
#include <apikit/auth/verifier.hpp>
#include <apikit/core/base64url.hpp>

#include <benchmark/benchmark.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace auth = apikit::auth;
using auth::algorithm;

namespace {

constexpr algorithm algorithms[] = {algorithm::hs256, algorithm::rs256, algorithm::es256,
                                    algorithm::eddsa};

auth::verify_options options(std::size_t cache_entries) {
    auth::verify_options o;
    o.issuer = "https://api.example.com";
    o.audiences = {"https://api.example.com"};
    o.cache_entries = cache_entries;
    return o;
}

// One algorithm's key, in a key set; its token; and what the raw check
// needs: the EVP_PKEY (or the HMAC secret) and the signature as EVP takes it.
struct fixture {
    algorithm alg;
    std::string secret;
    auth::key_set keys;
    std::string token;
    std::string_view signing_input;
    std::string jose_signature;
    std::string raw_signature;
    auth::detail::pkey_ptr pkey;
    std::unique_ptr<auth::verifier<>> plain, cached;

    explicit fixture(algorithm a) : alg(a), secret(32, '\0') {
        for (std::size_t i = 0; i < secret.size(); ++i)
            secret[i] = static_cast<char>(i * 37 + 11);
        auto k =
            a == algorithm::hs256 ? auth::key::from_secret(secret, {}) : auth::key::generate(a);
        if (!k)
            throw std::runtime_error("apikit-bench-auth: cannot make a key");
        keys.add(*k);
        keys.use_for_signing(k->kid());
        auth::issue_options io{"https://api.example.com", "https://api.example.com",
                               std::chrono::hours(24)};
        std::string const scope[] = {"read", "write"};
        token = auth::issuer<>(keys, io).issue("usr_4UM1pQy0r8hV3kX9cTn2Lb", scope).value();
        auto const dot = token.rfind('.');
        signing_input = std::string_view(token).substr(0, dot);
        jose_signature = apikit::base64url::decode(token.substr(dot + 1)).value();
        raw_signature = jose_signature;
        if (a != algorithm::hs256) {
            bool priv = false;
            pkey = auth::detail::read_pem(k->public_pem(), priv);
        }
        if (a == algorithm::es256) {
            unsigned char der[72];
            auto const n = auth::detail::es256_der(jose_signature, der);
            raw_signature.assign(reinterpret_cast<char*>(der), n);
        }
        plain = std::make_unique<auth::verifier<>>(keys, options(0));
        cached = std::make_unique<auth::verifier<>>(keys, options(1024));
    }
};

fixture& fixture_for(algorithm a) {
    static std::unique_ptr<fixture> const f[] = {
        std::make_unique<fixture>(algorithm::hs256), std::make_unique<fixture>(algorithm::rs256),
        std::make_unique<fixture>(algorithm::es256), std::make_unique<fixture>(algorithm::eddsa)};
    return *f[static_cast<int>(a)];
}

// ------------------------------------------------------------ the checks

using check = std::function<bool()>;

// HMAC-SHA256 through EVP_MAC, its key set once; each check re-initialises
// the context with that key (EVP_MAC_init with no key), MACs, compares.
class raw_hmac {
public:
    explicit raw_hmac(fixture const& f) : f_(f) {
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        if (!ctx_ ||
            EVP_MAC_init(ctx_.get(), reinterpret_cast<unsigned char const*>(f.secret.data()),
                         f.secret.size(), params) != 1)
            throw std::runtime_error("apikit-bench-auth: EVP_MAC_init failed");
    }
    bool operator()() const {
        unsigned char out[32];
        std::size_t n = 0;
        auto const in = f_.signing_input;
        return EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) == 1 &&
               EVP_MAC_update(ctx_.get(), reinterpret_cast<unsigned char const*>(in.data()),
                              in.size()) == 1 &&
               EVP_MAC_final(ctx_.get(), out, &n, sizeof out) == 1 &&
               CRYPTO_memcmp(out, f_.raw_signature.data(), n) == 0;
    }

private:
    struct mac_free {
        void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
    };
    struct ctx_free {
        void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
    };
    fixture const& f_;
    std::shared_ptr<EVP_MAC> mac_{EVP_MAC_fetch(nullptr, "HMAC", nullptr), mac_free{}};
    std::shared_ptr<EVP_MAC_CTX> ctx_{EVP_MAC_CTX_new(mac_.get()), ctx_free{}};
};

// EVP_DigestVerifyInit + EVP_DigestVerify on a reused EVP_MD_CTX and a
// prepared EVP_PKEY.
class raw_evp {
public:
    explicit raw_evp(fixture const& f)
        : f_(f)
        , md_(f.alg == algorithm::eddsa ? nullptr : EVP_sha256()) {}
    bool operator()() const {
        auto const in = f_.signing_input;
        EVP_MD_CTX_reset(ctx_.get());
        return EVP_DigestVerifyInit(ctx_.get(), nullptr, md_, nullptr, f_.pkey.get()) == 1 &&
               EVP_DigestVerify(ctx_.get(),
                                reinterpret_cast<unsigned char const*>(f_.raw_signature.data()),
                                f_.raw_signature.size(),
                                reinterpret_cast<unsigned char const*>(in.data()), in.size()) == 1;
    }

private:
    fixture const& f_;
    EVP_MD const* md_;
    std::shared_ptr<EVP_MD_CTX> ctx_{EVP_MD_CTX_new(), EVP_MD_CTX_free};
};

check raw_check(fixture const& f) {
    if (f.alg == algorithm::hs256)
        return raw_hmac(f);
    return raw_evp(f);
}

check key_check(fixture const& f) {
    return [&f] { return f.keys.signing_key()->verify(f.signing_input, f.jose_signature); };
}

check decode_check(fixture const& f) {
    return [&f] { return auth::decode(f.token).has_value(); };
}

check verifier_check(fixture const& f) {
    return [&f] { return f.plain->verify(f.token).has_value(); };
}

check cache_check(fixture const& f) {
    return [&f] { return f.cached->verify(f.token).has_value(); };
}

void run(benchmark::State& state, check const& c) {
    if (!c()) {
        state.SkipWithError("the token does not verify");
        return;
    }
    for (auto _ : state)
        benchmark::DoNotOptimize(c());
    state.SetItemsProcessed(state.iterations());
}

void raw_openssl(benchmark::State& state, algorithm a) {
    run(state, raw_check(fixture_for(a)));
}
void key_verify(benchmark::State& state, algorithm a) {
    run(state, key_check(fixture_for(a)));
}
void decode(benchmark::State& state, algorithm a) {
    run(state, decode_check(fixture_for(a)));
}
void verifier(benchmark::State& state, algorithm a) {
    run(state, verifier_check(fixture_for(a)));
}
void cache_hit(benchmark::State& state, algorithm a) {
    run(state, cache_check(fixture_for(a)));
}

#define APIKIT_AUTH_BENCH(alg, name)                                                               \
    BENCHMARK_CAPTURE(raw_openssl, name, algorithm::alg);                                          \
    BENCHMARK_CAPTURE(key_verify, name, algorithm::alg);                                           \
    BENCHMARK_CAPTURE(decode, name, algorithm::alg);                                               \
    BENCHMARK_CAPTURE(verifier, name, algorithm::alg);                                             \
    BENCHMARK_CAPTURE(cache_hit, name, algorithm::alg)
APIKIT_AUTH_BENCH(hs256, HS256);
APIKIT_AUTH_BENCH(rs256, RS256);
APIKIT_AUTH_BENCH(es256, ES256);
APIKIT_AUTH_BENCH(eddsa, EdDSA);
#undef APIKIT_AUTH_BENCH

// ------------------------------------------------- the alternating rounds

// This thread's CPU time, in nanoseconds: on a machine shared with other
// work, wall time would count theirs too.
double thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// CPU nanoseconds per call of `c` over `n` calls.
double time_per_call(check const& c, long n) {
    auto const start = thread_cpu_ns();
    bool all = true;
    for (long i = 0; i < n; ++i)
        all = c() && all;
    auto const ns = thread_cpu_ns() - start;
    if (!all)
        throw std::runtime_error("apikit-bench-auth: a check failed");
    return ns / static_cast<double>(n);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// One algorithm's three sides, timed in turn in each round.
struct row {
    double raw, key, decode, verifier, cache_hit, key_ratio, verifier_ratio;
};

row alternate(fixture const& f, int rounds) {
    check const sides[] = {raw_check(f), key_check(f), decode_check(f), verifier_check(f),
                           cache_check(f)};
    auto const n = std::max(20L, static_cast<long>(30e6 / time_per_call(sides[0], 20)));
    std::vector<double> t[5], key_ratio, verifier_ratio;
    for (int r = 0; r < rounds; ++r) {
        for (int s = 0; s < 5; ++s) // decode and cache hits: at least about 30 ms too
            t[s].push_back(time_per_call(sides[s], s == 2 || s == 4 ? std::max(n, 200'000L) : n));
        key_ratio.push_back(t[1].back() / t[0].back());
        verifier_ratio.push_back(t[3].back() / t[0].back());
    }
    return {median(t[0]), median(t[1]),      median(t[2]),          median(t[3]),
            median(t[4]), median(key_ratio), median(verifier_ratio)};
}

char const* verdict(bool met) {
    return met ? "met" : "NOT MET";
}

void print_rounds(int rounds) {
    std::printf("\nOne access token per algorithm, CPU ns per check, median of %d alternating "
                "rounds;\nratios are the median of the rounds' ratios to the raw OpenSSL check\n",
                rounds);
    std::printf("%-6s %9s %11s %6s %7s %9s %6s %10s  %s\n", "", "raw", "key::verify", "ratio",
                "decode", "verifier", "ratio", "cache hit", "goals");
    for (auto a : algorithms) {
        auto const r = alternate(fixture_for(a), rounds);
        double const goal = a == algorithm::hs256 ? 2.0 : 1.05;
        bool const key_met = a == algorithm::hs256 || r.key_ratio <= goal;
        std::printf("%-6s %9.0f %11.0f %5.2fx %7.0f %9.0f %5.2fx %10.0f  verifier <= %.2fx: %s; "
                    "%scache hit <= 150 ns: %s\n",
                    std::string(auth::name(a)).c_str(), r.raw, r.key, r.key_ratio, r.decode,
                    r.verifier, r.verifier_ratio, r.cache_hit, goal,
                    verdict(r.verifier_ratio <= goal),
                    a == algorithm::hs256
                        ? ""
                        : (std::string("key::verify <= 1.05x: ") + verdict(key_met) + "; ").c_str(),
                    verdict(r.cache_hit <= 150));
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
