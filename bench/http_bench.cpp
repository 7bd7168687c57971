// What holding a JSON request body to apikit's rules costs (http/json.hpp:
// I-JSON's unique member names, a nesting limit, UTF-8, numbers in range),
// against the baseline a handler would otherwise write: one
// boost::json::parse of the same bytes with Boost.JSON's defaults, which
// keeps the last of two duplicate names and accepts 1e999 as infinity.
//
// Bodies: the sample server's POST /users body, an order, an object of 64
// members with nested arrays (about 2.7 KB), and the user body with a member
// named twice, which apikit refuses after reading the body a second time to
// name the duplicate. Each benchmark reports bytes_per_second; the ratio in
// docs/http.md is apikit's time per body over the baseline's.
//
// Run: apikit-bench-http [--benchmark_filter=…].

#include <apikit/http/json.hpp>

#include <boost/json/parse.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

namespace {

std::string const user_body = R"({"email":"ada@example.com","name":"Ada Lovelace"})";
std::string const order_body = R"({"item":"Difference engine, replacement gear","quantity":3})";
std::string const duplicate_body =
    R"({"email":"ada@example.com","name":"Ada Lovelace","name":"Mallory"})";

std::string wide_body() {
    std::string s = "{";
    for (int i = 0; i < 64; ++i) {
        if (i != 0)
            s += ',';
        s += "\"field_" + std::to_string(i) + "\":";
        if (i % 4 == 0)
            s += "[1,2.5,\"three\",{\"four\":4,\"five\":[true,false,null]}]";
        else if (i % 4 == 1)
            s += "\"a string value with \\\"escapes\\\" and \\u00e9\"";
        else if (i % 4 == 2)
            s += std::to_string(i * 1234567);
        else
            s += "{\"nested\":{\"deeper\":\"value\"}}";
    }
    s += '}';
    return s;
}
std::string const wide = wide_body();

void baseline(benchmark::State& state, std::string const* body) {
    for (auto _ : state) {
        boost::system::error_code ec;
        auto v = boost::json::parse(*body, ec);
        benchmark::DoNotOptimize(v);
        benchmark::DoNotOptimize(ec);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body->size()));
}

void apikit_rules(benchmark::State& state, std::string const* body) {
    for (auto _ : state) {
        auto v = apikit::http::parse_json_body(*body);
        benchmark::DoNotOptimize(v);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body->size()));
}

} // namespace

BENCHMARK_CAPTURE(baseline, user, &user_body);
BENCHMARK_CAPTURE(apikit_rules, user, &user_body);
BENCHMARK_CAPTURE(baseline, order, &order_body);
BENCHMARK_CAPTURE(apikit_rules, order, &order_body);
BENCHMARK_CAPTURE(baseline, wide, &wide);
BENCHMARK_CAPTURE(apikit_rules, wide, &wide);
BENCHMARK_CAPTURE(baseline, duplicate, &duplicate_body);
BENCHMARK_CAPTURE(apikit_rules, duplicate, &duplicate_body);

BENCHMARK_MAIN();
