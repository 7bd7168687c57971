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

#include "services/redis_server.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

apikit_test::redis_server& server() {
    static apikit_test::redis_server s;
    return s;
}

// The server's CPU time so far (user + system, from /proc/<pid>/stat), so
// each benchmark can say how busy Redis was: a client that keeps Redis
// waiting shows as less server time per second.
double server_cpu_seconds() {
    std::FILE* f = std::fopen(fmt::format("/proc/{}/stat", server().pid()).c_str(), "r");
    if (!f)
        return 0;
    char buf[1024];
    auto const n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // Fields after the command name (which may hold spaces) in parentheses.
    char const* p = std::strrchr(buf, ')');
    unsigned long utime = 0, stime = 0;
    if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                          &stime) != 2)
        return 0;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

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
        o.server.port = server().port();
        o.command_timeout = std::chrono::seconds(10);
        return o;
    }

    // `n` decisions with `depth` of them in flight at every moment.
    void decide(int n, int depth) {
        int issued = 0, done = 0, failed = 0;
        std::function<void()> issue = [&] {
            ++issued;
            conn.async_eval(gcra, {key}, {interval_us, burst_us},
                            [&](boost::system::error_code ec, redis::reply const& r) {
                                ++done;
                                if (ec || !r.is_array())
                                    ++failed;
                                if (issued < n)
                                    issue();
                            });
        };
        for (int i = 0; i < depth && issued < n; ++i)
            issue();
        while (done < n)
            io.run_one();
        io.restart();
        if (failed)
            throw std::runtime_error(fmt::format("{} decisions failed", failed));
    }
};

client& shared_client() {
    static client c;
    return c;
}

void apikit_evalsha(benchmark::State& state) {
    int const depth = static_cast<int>(state.range(0));
    constexpr int batch = 2000;
    auto& c = shared_client();
    c.decide(batch, depth); // warm
    auto const cpu = server_cpu_seconds();
    auto const start = std::chrono::steady_clock::now();
    for (auto _ : state)
        c.decide(batch, depth);
    std::chrono::duration<double> const took = std::chrono::steady_clock::now() - start;
    auto const decisions = static_cast<double>(state.iterations()) * batch;
    state.SetItemsProcessed(static_cast<std::int64_t>(decisions));
    state.counters["server_busy"] = (server_cpu_seconds() - cpu) / took.count();
}

// Decisions per run of each side at each depth: about a second each.
int decisions_for(int depth) {
    return depth == 1 ? 20000 : std::min(20000 * depth, 400000);
}

// redis-benchmark's own figure (requests per second, from --csv) for `n` of
// the same EVALSHA at `depth`; 0 when it could not run.
double run_redis_benchmark(int depth, int n) {
    auto const cmd = fmt::format(
        "redis-benchmark -h 127.0.0.1 -p {} -c 1 -P {} -n {} --csv EVALSHA {} 1 {} {} {} "
        "2>/dev/null",
        server().port(), depth, n, gcra.sha1(), key, interval_us, burst_us);
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
    if (!p)
        return 0;
    std::string out;
    char buf[4096];
    while (auto got = std::fread(buf, 1, sizeof buf, p.get()))
        out.append(buf, got);
    // The CSV's second line: "EVALSHA …","183486.23",…
    auto const line = out.find('\n');
    auto const q = line == std::string::npos ? std::string::npos : out.find("\",\"", line);
    return q == std::string::npos ? 0.0 : std::atof(out.c_str() + q + 3);
}

// apikit's rate for `n` decisions at `depth`.
double run_apikit(int depth, int n) {
    auto const start = std::chrono::steady_clock::now();
    shared_client().decide(n, depth);
    std::chrono::duration<double> const took = std::chrono::steady_clock::now() - start;
    return n / took.count();
}

// Each iteration is one run of redis-benchmark, timed by its own report.
void redis_benchmark_evalsha(benchmark::State& state) {
    int const depth = static_cast<int>(state.range(0));
    int const n = decisions_for(depth);
    double total = 0;
    auto const cpu = server_cpu_seconds();
    auto const start = std::chrono::steady_clock::now();
    for (auto _ : state) {
        double const rps = run_redis_benchmark(depth, n);
        if (rps <= 0) {
            state.SkipWithError("redis-benchmark gave no rate: is redis-tools installed "
                                "(./dev deps)?");
            return;
        }
        state.SetIterationTime(n / rps);
        total += n;
    }
    std::chrono::duration<double> const took = std::chrono::steady_clock::now() - start;
    state.SetItemsProcessed(static_cast<std::int64_t>(total));
    state.counters["server_busy"] = (server_cpu_seconds() - cpu) / took.count();
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

// The table: rounds that alternate the two sides at each depth, so that
// load from anything else on the machine falls on both alike; the median
// of each, and the ratio of the medians.
void alternating_rounds(int rounds) {
    std::map<int, std::vector<double>> ours, theirs;
    for (int round = 0; round < rounds; ++round)
        for (int depth : {1, 16, 64}) {
            int const n = decisions_for(depth);
            ours[depth].push_back(run_apikit(depth, n));
            theirs[depth].push_back(run_redis_benchmark(depth, n));
        }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : v[v.size() / 2];
    };
    fmt::print("\nEVALSHA of a GCRA script on one connection, decisions/s, median of {} "
               "alternating rounds\n(one redis-server on 127.0.0.1:{}; the same script, key and "
               "arguments on both sides)\n",
               rounds, server().port());
    fmt::print("{:>6} {:>14} {:>16} {:>7}\n", "depth", "apikit", "redis-benchmark", "ratio");
    for (int depth : {1, 16, 64}) {
        double const a = median(ours[depth]), b = median(theirs[depth]);
        fmt::print("{:>6} {:>14.0f} {:>16.0f} {:>7.2f}\n", depth, a, b, b > 0 ? a / b : 0.0);
    }
}

int main(int argc, char** argv) {
    // --rounds=N (default 5) for the alternating table; 0 skips it. The rest
    // is Google Benchmark's.
    int rounds = 5;
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]).starts_with("--rounds=")) {
            rounds = std::atoi(argv[i] + 9);
            for (int j = i; j + 1 < argc; ++j)
                argv[j] = argv[j + 1];
            --argc;
            break;
        }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (rounds > 0)
        alternating_rounds(std::min(rounds, 50));
}
