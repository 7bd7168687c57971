// What the Redis benchmarks share (apikit-bench-redis, the raw connection;
// apikit-bench-ratelimit, the rate limiter's Redis store): one private
// redis-server on loopback, its CPU time, redis-benchmark run on the very
// same EVALSHA at the same pipeline depth, and the table of alternating
// rounds whose medians and ratio the docs quote.
#ifndef APIKIT_BENCH_REDIS_BENCH_SUPPORT_HPP
#define APIKIT_BENCH_REDIS_BENCH_SUPPORT_HPP

#include "services/redis_server.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace apikit_bench {

/// The private server both sides of a comparison talk to, started once.
inline apikit_test::redis_server& redis_server() {
    static apikit_test::redis_server s;
    return s;
}

/// The server's CPU time so far (user + system, from /proc/<pid>/stat), so
/// each benchmark can say how busy Redis was: a client that keeps Redis
/// waiting shows as less server time per second.
inline double server_cpu_seconds() {
    std::FILE* f = std::fopen(fmt::format("/proc/{}/stat", redis_server().pid()).c_str(), "r");
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

/// Decisions per run of each side at each depth: about a second each.
inline int decisions_for(int depth) {
    return depth == 1 ? 20000 : std::min(20000 * depth, 400000);
}

/// redis-benchmark's own figure (requests per second, from --csv) for `n`
/// commands at `depth` on one connection; `command` is the command line as
/// redis-benchmark takes it (arguments already quoted for the shell). 0 when
/// it could not run.
inline double run_redis_benchmark(std::string_view command, int depth, int n) {
    auto const cmd =
        fmt::format("redis-benchmark -h 127.0.0.1 -p {} -c 1 -P {} -n {} --csv {} 2>/dev/null",
                    redis_server().port(), depth, n, command);
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

/// Runs `n` operations on `io` with `depth` of them in flight at every
/// moment, as a pipelining client does: `start(finish)` starts one, whose
/// completion calls `finish(ok)`. Returns how many failed.
template <class Start>
int keep_in_flight(boost::asio::io_context& io, int n, int depth, Start start) {
    int issued = 0, done = 0, failed = 0;
    std::function<void()> issue = [&] {
        ++issued;
        start([&](bool ok) {
            ++done;
            failed += ok ? 0 : 1;
            if (issued < n)
                issue();
        });
    };
    for (int i = 0; i < depth && issued < n; ++i)
        issue();
    while (done < n)
        io.run_one();
    io.restart();
    return failed;
}

/// apikit's side: `decide(n, depth)` makes `n` decisions with `depth` in
/// flight. Google Benchmark times batches of 2,000 after one to warm up;
/// `server_busy` is the share of the run Redis spent on the CPU.
inline void time_decisions(benchmark::State& state, std::function<void(int, int)> const& decide) {
    int const depth = static_cast<int>(state.range(0));
    constexpr int batch = 2000;
    decide(batch, depth); // warm
    auto const cpu = server_cpu_seconds();
    auto const start = std::chrono::steady_clock::now();
    for (auto _ : state)
        decide(batch, depth);
    std::chrono::duration<double> const took = std::chrono::steady_clock::now() - start;
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
    state.counters["server_busy"] = (server_cpu_seconds() - cpu) / took.count();
}

/// The rate of `decide(n, depth)`, in decisions per second: apikit's side of
/// the alternating rounds.
inline double decision_rate(std::function<void(int, int)> const& decide, int depth, int n) {
    auto const start = std::chrono::steady_clock::now();
    decide(n, depth);
    std::chrono::duration<double> const took = std::chrono::steady_clock::now() - start;
    return n / took.count();
}

/// Google Benchmark's side of redis-benchmark: each iteration is one run of
/// `rate(depth, n)` (redis-benchmark's own rate, from its report) at the
/// depth of the benchmark's argument, timed by that report; `server_busy`
/// is the share of the run Redis spent on the CPU.
inline void time_redis_benchmark(benchmark::State& state,
                                 std::function<double(int, int)> const& rate) {
    int const depth = static_cast<int>(state.range(0));
    int const n = decisions_for(depth);
    double total = 0;
    auto const cpu = server_cpu_seconds();
    auto const start = std::chrono::steady_clock::now();
    for (auto _ : state) {
        double const rps = rate(depth, n);
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

/// Rounds that alternate the two sides at each depth, so that load from
/// anything else on the machine falls on both alike; prints the median of
/// each and the ratio of the medians. `ours` and `theirs` return a rate for
/// (depth, n).
inline void alternating_rounds(std::string_view title, int rounds,
                               std::function<double(int, int)> const& ours,
                               std::function<double(int, int)> const& theirs) {
    std::map<int, std::vector<double>> a, b;
    for (int round = 0; round < rounds; ++round)
        for (int depth : {1, 16, 64}) {
            int const n = decisions_for(depth);
            a[depth].push_back(ours(depth, n));
            b[depth].push_back(theirs(depth, n));
        }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : v[v.size() / 2];
    };
    fmt::print("\n{}, decisions/s, median of {} alternating rounds\n(one redis-server on "
               "127.0.0.1:{}; the same script, keys and arguments on both sides)\n",
               title, rounds, redis_server().port());
    fmt::print("{:>6} {:>14} {:>16} {:>7}\n", "depth", "apikit", "redis-benchmark", "ratio");
    for (int depth : {1, 16, 64}) {
        double const x = median(a[depth]), y = median(b[depth]);
        fmt::print("{:>6} {:>14.0f} {:>16.0f} {:>7.2f}\n", depth, x, y, y > 0 ? x / y : 0.0);
    }
}

/// Takes `--rounds=N` out of argv (the rest is Google Benchmark's); returns
/// N, or `fallback` when absent.
inline int take_rounds_flag(int& argc, char** argv, int fallback) {
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]).starts_with("--rounds=")) {
            int const rounds = std::atoi(argv[i] + 9);
            for (int j = i; j + 1 < argc; ++j)
                argv[j] = argv[j + 1];
            --argc;
            return rounds;
        }
    return fallback;
}

} // namespace apikit_bench

#endif
