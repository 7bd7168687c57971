// What the Redis benchmarks share (apikit-bench-redis, the raw connection
// and the cluster client; apikit-bench-ratelimit, the rate limiter's Redis
// store): one private redis-server on loopback and, for the cluster figures,
// one private 3-primary Redis Cluster; processes' CPU time; redis-benchmark
// run on the very same EVALSHA at the same pipeline depth; and the table of
// alternating rounds whose medians and ratios the docs quote.
#ifndef APIKIT_BENCH_REDIS_BENCH_SUPPORT_HPP
#define APIKIT_BENCH_REDIS_BENCH_SUPPORT_HPP

#include "services/redis_cluster.hpp"
#include "services/redis_server.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>

#include <fmt/format.h>

#include <sys/resource.h>
#include <time.h>
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

/// A private Redis Cluster of 3 primaries without replicas (a throughput
/// figure needs no failover), started once, on first use. Its node timeout
/// is 5 s rather than the tests' 500 ms: on a loaded 2-core machine a node
/// kept off the CPU for half a second must not be voted failed mid-run.
inline apikit_test::redis_cluster& redis_cluster() {
    static apikit_test::redis_cluster c(3, 0, {"--cluster-node-timeout", "5000"});
    return c;
}

/// A process's CPU time so far (user + system, from /proc/<pid>/stat); 0
/// when it cannot be read.
[[nodiscard]] inline double process_cpu_seconds(pid_t pid) {
    std::FILE* f = std::fopen(fmt::format("/proc/{}/stat", pid).c_str(), "r");
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

/// The private server's CPU time so far, so each benchmark can say how busy
/// Redis was: a client that keeps Redis waiting shows as less server time
/// per second.
inline double server_cpu_seconds() {
    return process_cpu_seconds(redis_server().pid());
}

/// This process's CPU time so far, all its threads: apikit's side of a
/// comparison runs its io_context on the benchmark's one thread, so this is
/// what the client costs.
[[nodiscard]] inline double own_cpu_seconds() {
    timespec t{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

/// The CPU time of the children this process has waited for (the shell of
/// popen, and the redis-benchmark it waited for): redis-benchmark's side.
[[nodiscard]] inline double children_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_CHILDREN, &u);
    auto const s = [](timeval const& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return s(u.ru_utime) + s(u.ru_stime);
}

/// One run of one side: its rate (decisions/s) and the client's own CPU
/// time per decision in µs (0: not measured).
struct sample {
    double rate = 0;
    double cpu_us = 0;
};

/// Decisions per run of each side at each depth: about a second each.
inline int decisions_for(int depth) {
    return depth == 1 ? 20000 : std::min(20000 * depth, 400000);
}

/// redis-benchmark's own figure (requests per second, from --csv) for `n`
/// commands at `depth`, and its CPU time per request; `where` says where
/// and how (e.g. "-h 127.0.0.1 -p 6379 -c 1"), `command` is the command
/// line as redis-benchmark takes it (arguments already quoted for the
/// shell). A rate of 0 when it could not run.
[[nodiscard]] inline sample redis_benchmark_sample(std::string_view where, std::string_view command,
                                                   int depth, int n) {
    auto const cmd = fmt::format("redis-benchmark {} -P {} -n {} --csv {} 2>/dev/null", where,
                                 depth, n, command);
    auto const cpu = children_cpu_seconds();
    std::string out;
    {
        std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
        if (!p)
            return {};
        char buf[4096];
        while (auto got = std::fread(buf, 1, sizeof buf, p.get()))
            out.append(buf, got);
    }
    // The line after the CSV's header ("test","rps",…): "EVALSHA …","183486.23",…
    // (in --cluster mode the list of primaries comes first).
    auto const header = out.find("\"test\",\"rps\"");
    auto const line = header == std::string::npos ? header : out.find('\n', header);
    auto const q = line == std::string::npos ? line : out.find("\",\"", line);
    if (q == std::string::npos)
        return {};
    double const rate = std::atof(out.c_str() + q + 3);
    return {rate, n > 0 ? (children_cpu_seconds() - cpu) * 1e6 / n : 0.0};
}

/// redis-benchmark's rate for `n` commands at `depth` on one connection to
/// the private server (-c 1 -P depth); 0 when it could not run.
inline double run_redis_benchmark(std::string_view command, int depth, int n) {
    return redis_benchmark_sample(fmt::format("-h 127.0.0.1 -p {} -c 1", redis_server().port()),
                                  command, depth, n)
        .rate;
}

/// Runs `n` operations on `io` in `lanes` lanes, one operation in flight
/// on each at every moment: `start(lane, finish)` starts one, whose
/// completion calls `finish(ok)`, and the next on that lane starts at once.
/// A lane is what a caller ties to a node: `depth` lanes per node keep
/// `depth` in flight on each. Returns how many failed.
template <class Start>
[[nodiscard]] int keep_in_flight_lanes(boost::asio::io_context& io, int n, int lanes, Start start) {
    int issued = 0, done = 0, failed = 0;
    std::function<void(int)> issue = [&](int lane) {
        ++issued;
        start(lane, [&, lane](bool ok) {
            ++done;
            failed += ok ? 0 : 1;
            if (issued < n)
                issue(lane);
        });
    };
    for (int lane = 0; lane < lanes && issued < n; ++lane)
        issue(lane);
    while (done < n)
        io.run_one();
    io.restart();
    return failed;
}

/// Runs `n` operations on `io` with `depth` of them in flight at every
/// moment, as a pipelining client does: `start(finish)` starts one, whose
/// completion calls `finish(ok)`. Returns how many failed.
template <class Start>
[[nodiscard]] int keep_in_flight(boost::asio::io_context& io, int n, int depth, Start start) {
    return keep_in_flight_lanes(io, n, depth, [&](int, auto finish) { start(std::move(finish)); });
}

/// apikit's side: `decide(n, depth)` makes `n` decisions with `depth` in
/// flight. Google Benchmark times batches of 2,000 after one to warm up;
/// `server_busy` is the share of the run Redis spent on the CPU (`server_cpu`
/// reads its CPU seconds: the private server's by default, summed over a
/// cluster's nodes).
inline void time_decisions(benchmark::State& state, std::function<void(int, int)> const& decide,
                           std::function<double()> const& server_cpu = server_cpu_seconds) {
    int const depth = static_cast<int>(state.range(0));
    constexpr int batch = 2000;
    decide(batch, depth); // warm
    auto const cpu = server_cpu();
    auto const start = std::chrono::steady_clock::now();
    for (auto _ : state)
        decide(batch, depth);
    std::chrono::duration<double> const took = std::chrono::steady_clock::now() - start;
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
    state.counters["server_busy"] = (server_cpu() - cpu) / took.count();
}

/// The rate of `decide(n, depth)` and this process's CPU time per decision.
[[nodiscard]] inline sample decision_sample(std::function<void(int, int)> const& decide, int depth,
                                            int n) {
    auto const cpu = own_cpu_seconds();
    auto const start = std::chrono::steady_clock::now();
    decide(n, depth);
    std::chrono::duration<double> const took = std::chrono::steady_clock::now() - start;
    return {n / took.count(), (own_cpu_seconds() - cpu) * 1e6 / n};
}

/// The rate of `decide(n, depth)`, in decisions per second: apikit's side of
/// the alternating rounds.
inline double decision_rate(std::function<void(int, int)> const& decide, int depth, int n) {
    return decision_sample(decide, depth, n).rate;
}

/// Google Benchmark's side of redis-benchmark: each iteration is one run of
/// `rate(depth, n)` (redis-benchmark's own rate, from its report) at the
/// depth of the benchmark's argument, timed by that report; `server_busy`
/// is the share of the run Redis spent on the CPU (as time_decisions).
inline void time_redis_benchmark(benchmark::State& state,
                                 std::function<double(int, int)> const& rate,
                                 std::function<double()> const& server_cpu = server_cpu_seconds) {
    int const depth = static_cast<int>(state.range(0));
    int const n = decisions_for(depth);
    double total = 0;
    auto const cpu = server_cpu();
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
    state.counters["server_busy"] = (server_cpu() - cpu) / took.count();
}

/// Google Benchmark's registration of apikit's side: depths 1, 16 and 64,
/// timed by the clock on the wall for at least 2 s each.
inline void apikit_runs(benchmark::internal::Benchmark* b) {
    b->ArgName("depth")->Arg(1)->Arg(16)->Arg(64)->UseRealTime()->MinTime(2.0);
}

/// Google Benchmark's registration of redis-benchmark's side: depths 1, 16
/// and 64, three runs each, timed by redis-benchmark's own report.
inline void redis_benchmark_runs(benchmark::internal::Benchmark* b) {
    b->ArgName("depth")->Arg(1)->Arg(16)->Arg(64)->UseManualTime()->Iterations(3);
}

/// One side of a comparison: its name in the table, and one run of it at
/// (depth, n).
struct side {
    std::string name;
    std::function<sample(int depth, int n)> run;
};

/// What a comparison must show at every depth: side a's rate at least
/// `min_ratio` times side b's, or (when max_cpu_ratio > 0) a's client CPU
/// per decision at most `max_cpu_ratio` times b's. No goal when both are 0.
struct goal {
    double min_ratio = 0;
    double max_cpu_ratio = 0;
};

/// Rounds that alternate the two sides at each depth, so that load from
/// anything else on the machine falls on both alike; prints, per depth, the
/// median rate of each side, the median of the rounds' ratios a/b (each
/// round's two runs are neighbours, so drift of the machine cancels) with
/// their range, and the same for the clients' CPU per decision where
/// measured. Returns whether the goal was met.
[[nodiscard]] inline bool compare_rounds(std::string_view title, std::string_view where, int rounds,
                                         side const& a, side const& b, goal g = {}) {
    constexpr int depths[] = {1, 16, 64};
    std::map<int, std::vector<sample>> as, bs;
    for (int round = 0; round < rounds; ++round)
        for (int depth : depths) {
            int const n = decisions_for(depth);
            as[depth].push_back(a.run(depth, n));
            bs[depth].push_back(b.run(depth, n));
        }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        auto const k = v.size();
        return k == 0 ? 0.0 : k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
    };
    struct figures {
        double mid = 0, lo = 0, hi = 0;
    };
    auto spread = [&](std::vector<double> const& v) {
        if (v.empty())
            return figures{};
        auto const [lo, hi] = std::minmax_element(v.begin(), v.end());
        return figures{median(v), *lo, *hi};
    };
    auto column = [](std::vector<sample> const& v, double sample::*field) {
        std::vector<double> out;
        for (auto const& x : v)
            out.push_back(x.*field);
        return out;
    };
    auto ratios = [](std::vector<sample> const& x, std::vector<sample> const& y,
                     double sample::*field) {
        std::vector<double> out;
        for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
            if (x[i].*field > 0 && y[i].*field > 0)
                out.push_back(x[i].*field / y[i].*field);
        return out;
    };
    fmt::print("\n{}, median of {} alternating round{}\n({})\n", title, rounds,
               rounds == 1 ? "" : "s", where);
    fmt::print("{:>6} {:>16} {:>16} {:>6} {:>11}   client CPU us/decision: {:>6} {:>6} {:>6}\n",
               "depth", a.name + "/s", b.name + "/s", "ratio", "min-max", "a", "b", "a/b");
    bool met = true;
    std::string verdict;
    for (int depth : depths) {
        auto const rate = spread(ratios(as[depth], bs[depth], &sample::rate));
        auto const cpu = spread(ratios(as[depth], bs[depth], &sample::cpu_us));
        double const cpu_a = median(column(as[depth], &sample::cpu_us));
        double const cpu_b = median(column(bs[depth], &sample::cpu_us));
        auto const cpu_text = [](double x, char const* f) {
            return x > 0 ? fmt::format(fmt::runtime(f), x) : std::string("-");
        };
        fmt::print("{:>6} {:>16.0f} {:>16.0f} {:>6.2f} {:>11}   {:>23} {:>6} {:>6} {:>6}\n", depth,
                   median(column(as[depth], &sample::rate)),
                   median(column(bs[depth], &sample::rate)), rate.mid,
                   fmt::format("{:.2f}-{:.2f}", rate.lo, rate.hi), "", cpu_text(cpu_a, "{:.2f}"),
                   cpu_text(cpu_b, "{:.2f}"), cpu_text(cpu.mid, "{:.2f}"));
        bool const ok = rate.mid >= g.min_ratio ||
                        (g.max_cpu_ratio > 0 && cpu.mid > 0 && cpu.mid <= g.max_cpu_ratio);
        met = met && ok;
        verdict +=
            fmt::format("{}depth {}: {:.2f}x{}", verdict.empty() ? "" : ", ", depth, rate.mid,
                        g.max_cpu_ratio > 0 ? fmt::format(", CPU {:.2f}x", cpu.mid) : "");
    }
    if (g.min_ratio > 0 || g.max_cpu_ratio > 0) {
        auto const what =
            g.max_cpu_ratio > 0
                ? fmt::format("{} at >= {:.2f}x the rate of {} or <= {:.2f}x its client CPU per "
                              "decision",
                              a.name, g.min_ratio, b.name, g.max_cpu_ratio)
                : fmt::format("{} at >= {:.2f}x {}", a.name, g.min_ratio, b.name);
        fmt::print("goal: {}, at every depth: {} ({})\n", what, met ? "met" : "NOT MET", verdict);
    }
    return met;
}

/// compare_rounds for two sides that give only a rate (`ours` and `theirs`
/// return a rate for (depth, n)), on the private server.
inline void alternating_rounds(std::string_view title, int rounds,
                               std::function<double(int, int)> const& ours,
                               std::function<double(int, int)> const& theirs) {
    auto rate_only = [](std::function<double(int, int)> const& f) {
        return [f](int depth, int n) { return sample{f(depth, n), 0}; };
    };
    // Issue 9's goal is read from the table (docs/redis.md), not checked here.
    static_cast<void>(compare_rounds(
        fmt::format("{}, decisions/s", title),
        fmt::format("one redis-server on 127.0.0.1:{}; the same script, keys and "
                    "arguments on both sides",
                    redis_server().port()),
        rounds, {"apikit", rate_only(ours)}, {"redis-benchmark", rate_only(theirs)}));
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
