// Redis decisions per second on one connection, against redis-benchmark.
//
// One private redis-server on loopback (no persistence) serves both sides of
// the comparison in the same run: apikit's connection sending EVALSHA of a
// small GCRA script with `depth` decisions in flight, and redis-benchmark
// (Debian's redis-tools) sending the very same EVALSHA with the same key and
// arguments on one connection at the same pipeline depth (-c 1 -P depth).
// redis-benchmark is a C client that only writes and counts; what apikit's
// client costs beside Redis itself is the gap between the two.
//
// Run: apikit-bench-redis [--rounds=N] [--benchmark_filter=…]. Google
// Benchmark's own runs come first; then N rounds (default 5) that alternate
// the two sides at each depth, and a table of the medians and their ratio —
// the figures docs/redis.md quotes. server_busy is the share of the run that
// Redis spent on the CPU.

#include <apikit/redis.hpp>

#include "redis_bench_support.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;
namespace redis = apikit::redis;

namespace {

// A token bucket as GCRA, the shape of the limiter's script: one GET, one
// SET, the time from the server. 10 tokens/s (100 ms apart), burst of 100.
redis::script const gcra(R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next_tat = tat + interval
if next_tat - now > burst then return {0, next_tat - now - burst} end
redis.call('SET', KEYS[1], next_tat, 'PX', math.floor(burst / 1000) + 1)
return {1, 0}
)");
constexpr char const* key = "apikit:bench:{user_1}";
constexpr char const* interval_us = "100000";
constexpr char const* burst_us = "10000000";

// One connection, reused by every apikit benchmark.
struct client {
    asio::io_context io;
    redis::connection conn;

    client() : conn(io.get_executor(), options()) {
        std::optional<boost::system::error_code> ec;
        conn.async_connect([&](boost::system::error_code e) { ec = e; });
        io.run_for(std::chrono::seconds(10));
        if (!ec || *ec)
            throw std::runtime_error("apikit-bench-redis: cannot connect to the private server");
        io.restart();
        // Loaded once, as a limiter's first call would.
        bool loaded = false;
        conn.async_exec(gcra.load_command(), [&](auto, auto) { loaded = true; });
        while (!loaded)
            io.run_one();
        io.restart();
    }

    static redis::connection_options options() {
        redis::connection_options o;
        o.server.port = apikit_bench::redis_server().port();
        o.command_timeout = std::chrono::seconds(10);
        return o;
    }

    // `n` decisions with `depth` of them in flight at every moment.
    void decide(int n, int depth) {
        int const failed = apikit_bench::keep_in_flight(io, n, depth, [&](auto finish) {
            conn.async_eval(gcra, {key}, {interval_us, burst_us},
                            [finish](boost::system::error_code ec, redis::reply const& r) {
                                finish(!ec && r.is_array());
                            });
        });
        if (failed)
            throw std::runtime_error(fmt::format("{} decisions failed", failed));
    }
};

client& shared_client() {
    static client c;
    return c;
}

void apikit_evalsha(benchmark::State& state) {
    apikit_bench::time_decisions(state, [](int n, int depth) { shared_client().decide(n, depth); });
}

// redis-benchmark's rate for `n` of the same EVALSHA at `depth`; 0 when it
// could not run.
double run_redis_benchmark(int depth, int n) {
    return apikit_bench::run_redis_benchmark(
        fmt::format("EVALSHA {} 1 {} {} {}", gcra.sha1(), key, interval_us, burst_us), depth, n);
}

// apikit's rate for `n` decisions at `depth`.
double run_apikit(int depth, int n) {
    return apikit_bench::decision_rate(
        [](int count, int in_flight) { shared_client().decide(count, in_flight); }, depth, n);
}

// Each iteration is one run of redis-benchmark, timed by its own report.
void redis_benchmark_evalsha(benchmark::State& state) {
    apikit_bench::time_redis_benchmark(state, run_redis_benchmark);
}

} // namespace

BENCHMARK(apikit_evalsha)->ArgName("depth")->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->MinTime(2.0);
BENCHMARK(redis_benchmark_evalsha)
    ->ArgName("depth")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->UseManualTime()
    ->Iterations(3);

int main(int argc, char** argv) {
    // --rounds=N (default 5) for the alternating table; 0 skips it. The rest
    // is Google Benchmark's.
    int const rounds = apikit_bench::take_rounds_flag(argc, argv, 5);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (rounds > 0)
        apikit_bench::alternating_rounds("EVALSHA of a GCRA script on one connection",
                                         std::min(rounds, 50), run_apikit, run_redis_benchmark);
}
