// Redis decisions per second, against redis-benchmark, and what the cluster
// client costs.
//
// Three comparisons, each in the same run on both sides, all of EVALSHA of a
// small GCRA script (the shape of the limiter's):
//
// 1. One connection. One private redis-server on loopback (no persistence):
//    apikit's connection sending the EVALSHA with `depth` decisions in
//    flight, and redis-benchmark (Debian's redis-tools) sending the very same
//    EVALSHA with the same key and arguments on one connection at the same
//    pipeline depth (-c 1 -P depth). redis-benchmark is a C client that only
//    writes and counts; what apikit's client costs beside Redis itself is the
//    gap between the two.
// 2. The cluster client on one node: redis::cluster_client in front of the
//    same (non-cluster) server, where it is one connection, against
//    redis::connection, same key, same depth. Its routing is what differs:
//    the goal is the client within 10% of the connection (rate, or the
//    client's own CPU per decision when Redis is what limits the rate).
// 3. A cluster. A private Redis Cluster of 3 primaries on loopback:
//    redis::cluster_client with `depth` decisions in flight on each primary
//    (keys apikit:bench:{user_N}, 10,000 per primary, each decision on the
//    next key of its primary), against `redis-benchmark --cluster -c 3
//    --threads 1 -P depth -r 10000`: in cluster mode redis-benchmark gives
//    client k to primary k mod 3, so that is one connection per primary with
//    `depth` pipelined on each, from one thread as apikit's side runs; it
//    routes by replacing "{tag}" in the key with a hash tag of one slot of
//    the client's primary, and __rand_int__ with one of 10,000 numbers, so
//    each primary sees 10,000 keys on both sides. Same script and arguments.
//    Every redis-benchmark run is checked to have had no EVALSHA rejected
//    (MOVED) or failed on any primary: it counts error replies as requests.
//
// Run: apikit-bench-redis [--rounds=N] [--tables=connection,one-node,cluster]
// [--benchmark_filter=…]. Google Benchmark's own runs come first; then N
// rounds (default 5) of each comparison (or those --tables names) that
// alternate the two sides at each depth, and a table of the medians and of
// the rounds' ratios — the figures docs/redis.md quotes.
// server_busy is the share of the run Redis (all its nodes) spent on the
// CPU; "client CPU" is the CPU time of the client process per decision
// (apikit's: this process, whose one thread runs the io_context;
// redis-benchmark's: the child process).

#include <apikit/redis.hpp>

#include "redis_bench_support.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
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
// Keys per primary in the cluster comparison, on both sides.
constexpr int cluster_keys = 10000;

// A client (redis::connection or redis::cluster_client) and its io_context,
// run on the benchmark's thread; connected, the script loaded.
template <class Client>
struct client {
    asio::io_context io;
    Client conn;

    explicit client(std::uint16_t port) : conn(io.get_executor(), options(port)) {
        std::optional<boost::system::error_code> ec;
        conn.async_connect([&](boost::system::error_code e) { ec = e; });
        auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!ec && io.run_one_until(until) > 0) {
        }
        if (!ec || *ec)
            throw std::runtime_error(
                fmt::format("apikit-bench-redis: cannot connect to 127.0.0.1:{}", port));
        io.restart();
        // Loaded once, as a limiter's first call would (on a cluster, on
        // one primary; the others are loaded by the warm-up's NOSCRIPT).
        bool loaded = false;
        conn.async_exec(gcra.load_command(), [&](auto, auto) { loaded = true; });
        while (!loaded)
            io.run_one();
        io.restart();
    }

    static redis::connection_options options(std::uint16_t port) {
        redis::connection_options o;
        o.server.port = port;
        o.command_timeout = std::chrono::seconds(10);
        return o;
    }

    // `n` decisions in `lanes` lanes, one in flight on each; lane i's next
    // key is `next_key(i)`.
    template <class NextKey>
    void decide(int n, int lanes, NextKey next_key) {
        int const failed =
            apikit_bench::keep_in_flight_lanes(io, n, lanes, [&](int lane, auto finish) {
                conn.async_eval(gcra, {next_key(lane)}, {interval_us, burst_us},
                                [finish](boost::system::error_code ec, redis::reply const& r) {
                                    finish(!ec && r.is_array());
                                });
            });
        if (failed)
            throw std::runtime_error(fmt::format("{} decisions failed", failed));
    }

    // `n` decisions of the one key with `depth` of them in flight.
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

// --- 1 and 2: one redis-server.

client<redis::connection>& shared_connection() {
    static client<redis::connection> c(apikit_bench::redis_server().port());
    return c;
}

client<redis::cluster_client>& shared_single_node_client() {
    static client<redis::cluster_client> c(apikit_bench::redis_server().port());
    if (c.conn.mode() != redis::cluster_mode::single)
        throw std::runtime_error("the cluster client does not see one node as one node");
    return c;
}

void apikit_evalsha(benchmark::State& state) {
    apikit_bench::time_decisions(state,
                                 [](int n, int depth) { shared_connection().decide(n, depth); });
}

void cluster_client_one_node_evalsha(benchmark::State& state) {
    apikit_bench::time_decisions(
        state, [](int n, int depth) { shared_single_node_client().decide(n, depth); });
}

// redis-benchmark's rate for `n` of the same EVALSHA at `depth`; 0 when it
// could not run.
double run_redis_benchmark(int depth, int n) {
    return apikit_bench::run_redis_benchmark(
        fmt::format("EVALSHA {} 1 '{}' {} {}", gcra.sha1(), key, interval_us, burst_us), depth, n);
}

// apikit's rate for `n` decisions at `depth`.
double run_apikit(int depth, int n) {
    return apikit_bench::decision_rate(
        [](int count, int in_flight) { shared_connection().decide(count, in_flight); }, depth, n);
}

// Each iteration is one run of redis-benchmark, timed by its own report.
void redis_benchmark_evalsha(benchmark::State& state) {
    apikit_bench::time_redis_benchmark(state, run_redis_benchmark);
}

// --- 3: the cluster.

// The 3 primaries' CPU seconds, summed.
double cluster_cpu_seconds() {
    auto& c = apikit_bench::redis_cluster();
    double sum = 0;
    for (auto port : c.primary_ports())
        sum += apikit_bench::process_cpu_seconds(c.pid(port));
    return sum;
}

// The slots each primary says it owns (CLUSTER NODES, its "myself" line:
// ranges "first-last" or "slot" from the 9th field on).
std::vector<std::uint8_t> slot_owners(apikit_test::redis_cluster& c) {
    std::vector<std::uint8_t> owner(redis::slot_count, 0); // primary index + 1
    auto const primaries = c.primary_ports();
    for (std::size_t i = 0; i < primaries.size(); ++i) {
        std::istringstream text(c.command(primaries[i], {"CLUSTER", "NODES"}));
        for (std::string line; std::getline(text, line);) {
            if (line.find("myself") == std::string::npos)
                continue;
            std::istringstream fields(line);
            std::string field;
            for (int k = 0; k < 8 && fields >> field; ++k) {
            }
            while (fields >> field) {
                auto const dash = field.find('-');
                int const first = std::stoi(field.substr(0, dash));
                int const last =
                    dash == std::string::npos ? first : std::stoi(field.substr(dash + 1));
                for (int s = first; s <= last; ++s)
                    owner[static_cast<std::size_t>(s)] = static_cast<std::uint8_t>(i + 1);
            }
        }
    }
    return owner;
}

// The cluster client on the private cluster, and the keys of each primary:
// apikit:bench:{user_N}, N = 0, 1, …, sorted by the primary of their slot.
struct cluster_side {
    client<redis::cluster_client> c;
    std::vector<std::vector<std::string>> keys;
    std::vector<std::size_t> next;

    cluster_side() : c(apikit_bench::redis_cluster().primary_ports().front()) {
        if (c.conn.mode() != redis::cluster_mode::cluster)
            throw std::runtime_error("the cluster client does not see the cluster");
        auto const owner = slot_owners(apikit_bench::redis_cluster());
        keys.resize(apikit_bench::redis_cluster().primary_ports().size());
        next.resize(keys.size());
        for (int n = 0; std::any_of(keys.begin(), keys.end(),
                                    [](auto const& k) { return k.size() < cluster_keys; });
             ++n) {
            auto k = fmt::format("apikit:bench:{{user_{}}}", n);
            auto const o = owner[redis::hash_slot(k)];
            if (o == 0)
                throw std::runtime_error("a slot of the cluster has no primary");
            if (keys[o - 1].size() < cluster_keys)
                keys[o - 1].push_back(std::move(k));
        }
    }

    // `n` decisions with `depth` in flight on each primary: lane i works on
    // primary i mod 3, on its keys in turn.
    void decide(int n, int depth) {
        auto const primaries = static_cast<int>(keys.size());
        c.decide(n, depth * primaries, [this, primaries](int lane) -> std::string const& {
            auto const p = static_cast<std::size_t>(lane % primaries);
            return keys[p][next[p]++ % keys[p].size()];
        });
    }
};

cluster_side& shared_cluster_side() {
    static cluster_side s;
    return s;
}

// Rejected (MOVED, ASK, CROSSSLOT…) and failed EVALSHA calls, summed over
// the primaries since they started.
long evalsha_errors() {
    auto& c = apikit_bench::redis_cluster();
    long sum = 0;
    for (auto port : c.primary_ports()) {
        auto const stats = c.command(port, {"INFO", "commandstats"});
        auto const at = stats.find("cmdstat_evalsha:");
        if (at == std::string::npos)
            continue;
        auto const line = stats.substr(at, stats.find('\n', at) - at);
        for (char const* field : {"rejected_calls=", "failed_calls="})
            if (auto const f = line.find(field); f != std::string::npos)
                sum += std::atol(line.c_str() + f + std::string_view(field).size());
    }
    return sum;
}

apikit_bench::sample run_cluster_redis_benchmark(int depth, int n) {
    auto& c = apikit_bench::redis_cluster();
    static bool const loaded = [&] {
        for (auto port : c.primary_ports())
            if (c.command(port, {"SCRIPT", "LOAD", std::string(gcra.source())}) != gcra.sha1())
                throw std::runtime_error("SCRIPT LOAD gave another SHA1");
        return true;
    }();
    (void)loaded;
    auto const errors = evalsha_errors();
    auto const s = apikit_bench::redis_benchmark_sample(
        fmt::format("--cluster -h 127.0.0.1 -p {} -c {} --threads 1 -r {}",
                    c.primary_ports().front(), c.primary_ports().size(), cluster_keys),
        fmt::format("EVALSHA {} 1 'apikit:bench:{{tag}}:__rand_int__' {} {}", gcra.sha1(),
                    interval_us, burst_us),
        depth, n);
    if (auto const more = evalsha_errors() - errors; more != 0) {
        std::fprintf(stderr,
                     "apikit-bench-redis: redis-benchmark --cluster had %ld EVALSHA calls "
                     "rejected or failed: its rate is not the script's\n",
                     more);
        return {};
    }
    return s;
}

apikit_bench::sample run_cluster_apikit(int depth, int n) {
    return apikit_bench::decision_sample(
        [](int count, int in_flight) { shared_cluster_side().decide(count, in_flight); }, depth, n);
}

// The cluster and its client, or why not: a machine whose redis-server
// cannot run a cluster skips the cluster's benchmarks, not the program.
bool cluster_ready(benchmark::State& state) {
    try {
        static_cast<void>(shared_cluster_side());
        return true;
    } catch (std::exception const& e) {
        state.SkipWithError(e.what());
        return false;
    }
}

void apikit_cluster_evalsha(benchmark::State& state) {
    if (!cluster_ready(state))
        return;
    apikit_bench::time_decisions(
        state, [](int n, int depth) { shared_cluster_side().decide(n, depth); },
        cluster_cpu_seconds);
}

void redis_benchmark_cluster_evalsha(benchmark::State& state) {
    if (!cluster_ready(state))
        return;
    apikit_bench::time_redis_benchmark(
        state, [](int depth, int n) { return run_cluster_redis_benchmark(depth, n).rate; },
        cluster_cpu_seconds);
}

} // namespace

BENCHMARK(apikit_evalsha)->Apply(apikit_bench::apikit_runs);
BENCHMARK(redis_benchmark_evalsha)->Apply(apikit_bench::redis_benchmark_runs);
BENCHMARK(cluster_client_one_node_evalsha)->Apply(apikit_bench::apikit_runs);
// Depth per primary: three times as many in flight in all.
BENCHMARK(apikit_cluster_evalsha)->Apply(apikit_bench::apikit_runs);
BENCHMARK(redis_benchmark_cluster_evalsha)->Apply(apikit_bench::redis_benchmark_runs);

// Takes `--tables=a,b` out of argv: which of the alternating tables to
// print (connection, one-node, cluster); all when absent.
std::string take_tables_flag(int& argc, char** argv) {
    constexpr std::string_view flag = "--tables=";
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]).starts_with(flag)) {
            std::string tables(argv[i] + flag.size());
            for (int j = i; j + 1 < argc; ++j)
                argv[j] = argv[j + 1];
            --argc;
            return tables;
        }
    return "connection,one-node,cluster";
}

int main(int argc, char** argv) {
    // --rounds=N (default 5) for the alternating tables, 0 skips them;
    // --tables=… picks some of them. The rest is Google Benchmark's.
    int const rounds = std::min(apikit_bench::take_rounds_flag(argc, argv, 5), 50);
    auto const tables = take_tables_flag(argc, argv);
    auto const wanted = [&](std::string_view name) {
        return ("," + tables + ",").find(fmt::format(",{},", name)) != std::string::npos;
    };
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (rounds <= 0)
        return 0;
    bool met = true;
    if (wanted("connection")) {
        shared_connection().decide(2000, 16); // warm, and connected before the clock runs
        apikit_bench::alternating_rounds("EVALSHA of a GCRA script on one connection", rounds,
                                         run_apikit, run_redis_benchmark);
    }

    if (wanted("one-node")) {
        auto const one_node = [](auto& c) {
            c.decide(2000, 16);
            return [&c](int depth, int n) {
                return apikit_bench::decision_sample(
                    [&c](int count, int in_flight) { c.decide(count, in_flight); }, depth, n);
            };
        };
        met = apikit_bench::compare_rounds(
                  "The cluster client in front of one Redis against the connection, decisions/s",
                  fmt::format("one redis-server on 127.0.0.1:{}, not a cluster; the same key "
                              "and depth on both sides",
                              apikit_bench::redis_server().port()),
                  rounds, {"cluster_client", one_node(shared_single_node_client())},
                  {"connection", one_node(shared_connection())},
                  {.min_ratio = 0.9, .max_cpu_ratio = 1.1}) &&
              met;
    }

    bool cluster = wanted("cluster");
    if (cluster) {
        try {
            // Warm: the map read, NOSCRIPT answered by EVAL on two primaries.
            shared_cluster_side().decide(30000, 16);
        } catch (std::exception const& e) {
            // Said, and the rest of `./dev bench` goes on.
            fmt::print("\nno cluster comparison: {}\n", e.what());
            cluster = met = false;
        }
    }
    if (cluster) {
        auto const& primaries = apikit_bench::redis_cluster().primary_ports();
        met = apikit_bench::compare_rounds(
                  "A 3-primary Redis Cluster: the cluster client against redis-benchmark "
                  "--cluster, decisions/s (depth: in flight on each primary)",
                  fmt::format("primaries on 127.0.0.1:{}, {}, {}; one connection per primary, "
                              "one thread, {} keys per primary, on both sides",
                              primaries[0], primaries[1], primaries[2], cluster_keys),
                  rounds, {"cluster_client", run_cluster_apikit},
                  {"redis-benchmark", run_cluster_redis_benchmark}, {.min_ratio = 0.7}) &&
              met;
        auto const s = shared_cluster_side().c.conn.cluster_stats();
        fmt::print("the cluster client followed {} MOVED and {} ASK, read the slot map {} times\n",
                   s.moved, s.ask, s.refreshes);
    }
    // A goal not met is a figure to read, not a failure of the program.
    fmt::print("\nissue 11's goals (the cluster client): {}\n", met ? "met" : "NOT MET");
}
