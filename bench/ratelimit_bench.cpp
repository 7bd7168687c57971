// Rate-limit decisions per second: the lock-free GCRA bucket and the keyed
// memory store, against a token bucket behind a std::mutex (the baseline),
// on one key and across 1,000,000 keys, on 1 and 2 threads; and the Redis
// store's decisions through one connection, against redis-benchmark sending
// the very same EVALSHA (keys, arguments, pipeline depth) to the same private
// redis-server, in the same run.
//
// Every decision here is an allowed one — the path that writes — because the
// time point advances by one emission interval per decision. Google Benchmark
// reports per-thread time; items_per_second is the aggregate rate, and
// ns/decision in docs/ratelimit.md is 1e9 / items_per_second.
//
// Run: apikit-bench-ratelimit [--rounds=N] [--benchmark_filter=…]. With
// Redis (apikit::redis), after Google Benchmark's runs come N rounds
// (default 5; 0 skips them) alternating the Redis store and redis-benchmark
// at depths 1, 16 and 64, and a table of the medians and their ratio.

#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/token_bucket.hpp>

#if APIKIT_BENCH_WITH_REDIS
#include <apikit/ratelimit/redis_store.hpp>

#include "redis_bench_support.hpp"

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <optional>
#include <stdexcept>
#endif

#include <benchmark/benchmark.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rl = apikit::ratelimit;
using clk = std::chrono::steady_clock;

namespace {

// One token per nanosecond and a trillion of them: the bucket never runs dry
// while a benchmark runs, so each decision takes the allowed, writing path.
rl::limit wide_limit() {
    return rl::limit{"bench", 1'000'000'000'000, rl::rate{1, std::chrono::nanoseconds(1)}};
}

// The textbook token bucket behind a mutex: tokens kept as nanoseconds of
// refill (capped at the window), topped up on every call. Same integer
// arithmetic as GCRA; the difference is the lock.
class mutex_bucket {
public:
    explicit mutex_bucket(rl::limit const& l)
        : interval_(l.emission_interval().count())
        , window_(l.window().count())
        , avail_(window_) {}

    bool try_acquire(std::uint64_t cost, std::int64_t now) {
        std::lock_guard lock(mutex_);
        if (now > last_) {
            avail_ = std::min(window_, avail_ + (now - last_));
            last_ = now;
        }
        auto const need = static_cast<std::int64_t>(cost) * interval_;
        if (avail_ < need)
            return false;
        avail_ -= need;
        return true;
    }

private:
    std::mutex mutex_;
    std::int64_t interval_;
    std::int64_t window_;
    std::int64_t avail_;
    std::int64_t last_ = 0;
};

std::int64_t start_ns() {
    return rl::to_ns(clk::now());
}

// ---------------------------------------------------------------- the clock

void clock_read(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(clk::now());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(clock_read);

// ------------------------------------------------------------ one key, bucket

rl::token_bucket<>* shared_bucket = nullptr;
mutex_bucket* shared_mutex_bucket = nullptr;

void bucket_given_time(benchmark::State& state) {
    if (state.thread_index() == 0)
        shared_bucket = new rl::token_bucket<>(wide_limit());
    auto now = clk::time_point(std::chrono::nanoseconds(start_ns()));
    for (auto _ : state) {
        now += std::chrono::nanoseconds(1);
        auto r = shared_bucket->try_acquire(1, now);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        delete shared_bucket;
        shared_bucket = nullptr;
    }
}
BENCHMARK(bucket_given_time)->Threads(1)->Threads(2)->UseRealTime();

void bucket_with_clock(benchmark::State& state) {
    if (state.thread_index() == 0)
        shared_bucket = new rl::token_bucket<>(wide_limit());
    for (auto _ : state) {
        auto r = shared_bucket->try_acquire(1);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        delete shared_bucket;
        shared_bucket = nullptr;
    }
}
BENCHMARK(bucket_with_clock)->Threads(1)->Threads(2)->UseRealTime();

void mutex_baseline_given_time(benchmark::State& state) {
    if (state.thread_index() == 0)
        shared_mutex_bucket = new mutex_bucket(wide_limit());
    auto now = start_ns();
    for (auto _ : state) {
        ++now;
        benchmark::DoNotOptimize(shared_mutex_bucket->try_acquire(1, now));
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        delete shared_mutex_bucket;
        shared_mutex_bucket = nullptr;
    }
}
BENCHMARK(mutex_baseline_given_time)->Threads(1)->Threads(2)->UseRealTime();

// ------------------------------------------------------ keyed: memory store

using keyed = rl::limiter<rl::memory_store>;

// Key i as a request would carry it: "user:" and a number, built on the
// stack (a server has the key in hand, in cache, when it asks).
struct key_text {
    char buf[32];
    std::size_t size;
    explicit key_text(std::size_t i) noexcept {
        std::memcpy(buf, "user:", 5);
        size =
            5 + static_cast<std::size_t>(
                    std::to_chars(buf + 5, buf + sizeof buf, 1'000'000 + i * 7919 % 9'000'000).ptr -
                    (buf + 5));
    }
    std::string_view view() const noexcept { return {buf, size}; }
};

struct keyed_fixture {
    std::unique_ptr<keyed> limiter;
    std::size_t keys = 0;
};
keyed_fixture* fixture = nullptr;

constexpr std::size_t million = 1'000'000;

// Builds the store once and fills it with `n` keys, so the timed loop finds
// every key present (the steady state of a busy server).
keyed_fixture& fixture_for(std::size_t n) {
    if (fixture == nullptr || fixture->keys != n) {
        delete fixture;
        fixture = new keyed_fixture;
        fixture->limiter = std::make_unique<keyed>(
            rl::policy{wide_limit()}, clk{},
            rl::memory_store_options{.max_keys = std::max<std::size_t>(2 * n, 64), .shards = 64});
        fixture->keys = n;
        auto const now = clk::now();
        for (std::size_t i = 0; i < n; ++i)
            (void)fixture->limiter->try_acquire(key_text(i).view(), 1, now);
    }
    return *fixture;
}

// Thread 0 builds the fixture before the loop; Google Benchmark starts every
// thread's loop together, after that.
void store_one_key_given_time(benchmark::State& state) {
    if (state.thread_index() == 0)
        fixture_for(1);
    auto now = clk::now();
    for (auto _ : state) {
        now += std::chrono::nanoseconds(1);
        auto r = fixture->limiter->try_acquire(key_text(0).view(), 1, now);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(store_one_key_given_time)->Threads(1)->Threads(2)->UseRealTime();

// Keys picked at random among state.range(0): 10,000 keys fit in cache (the
// cost of a decision itself); a million (34 MB of buckets) do not, and every
// decision misses the cache, as a million active keys would on a server.
void store_keys_given_time(benchmark::State& state) {
    auto const n = static_cast<std::size_t>(state.range(0));
    if (state.thread_index() == 0)
        fixture_for(n);
    auto now = clk::now();
    std::uint64_t x = 0x9e3779b97f4a7c15ULL * (state.thread_index() + 1);
    for (auto _ : state) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        now += std::chrono::nanoseconds(1);
        auto r = fixture->limiter->try_acquire(key_text(x % n).view(), 1, now);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        auto const& store = fixture->limiter->get_store();
        state.counters["bytes_per_key"] =
            static_cast<double>(store.memory_bytes()) / static_cast<double>(store.size());
        state.counters["keys"] = static_cast<double>(store.size());
    }
}
BENCHMARK(store_keys_given_time)->Arg(10'000)->Arg(million)->Threads(1)->Threads(2)->UseRealTime();

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

// The floor under any keyed store of this size: one dependent random read
// over 34 MB (the memory_store's table at a million keys), the cache and TLB
// miss every decision on a cold key pays.
void memory_latency_34mb(benchmark::State& state) {
    std::size_t const n = (34u << 20) / sizeof(std::size_t);
    std::vector<std::size_t> next(n);
    for (std::size_t i = 0; i < n; ++i)
        next[i] = i;
    std::uint64_t x = 88172645463325252ULL;
    for (std::size_t i = n - 1; i > 0; --i) { // one random cycle through every slot
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::swap(next[i], next[x % i]);
    }
    std::size_t j = 0;
    for (auto _ : state) {
        j = next[j];
        benchmark::DoNotOptimize(j);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(memory_latency_34mb);

// The keyed baseline: std::unordered_map<std::string, bucket> behind one
// mutex, the first thing one writes.
struct mutex_map {
    std::mutex mutex;
    std::unordered_map<std::string, std::int64_t, string_hash, std::equal_to<>> tat;
    rl::gcra::params params;
};
mutex_map* baseline_map = nullptr;

void mutex_map_1m_keys_given_time(benchmark::State& state) {
    if (state.thread_index() == 0) {
        baseline_map = new mutex_map;
        baseline_map->params = rl::gcra::params::of(wide_limit());
        baseline_map->tat.reserve(million);
        for (std::size_t i = 0; i < million; ++i)
            baseline_map->tat.emplace(key_text(i).view(), rl::gcra::full);
    }
    std::int64_t now = start_ns();
    std::uint64_t x = 0x9e3779b97f4a7c15ULL * (state.thread_index() + 1);
    for (auto _ : state) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ++now;
        std::lock_guard lock(baseline_map->mutex);
        auto const it = baseline_map->tat.find(key_text(x % million).view());
        auto& tat = it->second;
        auto const s = rl::gcra::evaluate(tat, now, 1, baseline_map->params);
        if (s.d.allowed)
            tat = s.tat;
        benchmark::DoNotOptimize(s);
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        delete baseline_map;
        baseline_map = nullptr;
    }
}
BENCHMARK(mutex_map_1m_keys_given_time)->Threads(1)->Threads(2)->UseRealTime();

#if APIKIT_BENCH_WITH_REDIS
// ------------------------------------------------------- keyed: Redis store

// The limiter as a server runs it: the system clock, Redis's own time (the
// default), fail open; one connection, `depth` decisions in flight. The
// limit never runs dry (wide_limit), so every decision writes.
struct redis_limiter {
    boost::asio::io_context io;
    apikit::redis::connection conn;
    rl::limiter<rl::redis_store, std::chrono::system_clock> limiter;
    static constexpr std::string_view key = "user:1";

    redis_limiter()
        : conn(io.get_executor(), options())
        , limiter(rl::policy{wide_limit()}, {}, conn, rl::redis_store_options{}) {
        std::optional<boost::system::error_code> ec;
        conn.async_connect([&](boost::system::error_code e) { ec = e; });
        io.run_for(std::chrono::seconds(10));
        if (!ec || *ec)
            throw std::runtime_error(
                "apikit-bench-ratelimit: cannot connect to the private server");
        io.restart();
        // Loaded once, as the first decision would.
        bool loaded = false;
        conn.async_exec(rl::redis_store::script().load_command(),
                        [&](auto, auto) { loaded = true; });
        while (!loaded)
            io.run_one();
        io.restart();
    }

    static apikit::redis::connection_options options() {
        apikit::redis::connection_options o;
        o.server.port = apikit_bench::redis_server().port();
        o.command_timeout = std::chrono::seconds(10);
        return o;
    }

    // `n` decisions with `depth` of them in flight at every moment.
    void decide(int n, int depth) {
        int const failed = apikit_bench::keep_in_flight(io, n, depth, [&](auto finish) {
            limiter.async_acquire(key, 1, std::chrono::system_clock::now(),
                                  [finish](boost::system::error_code ec, rl::policy_decision d) {
                                      finish(!ec && d.allowed && !d.limits().empty());
                                  });
        });
        if (failed || limiter.get_store().failures())
            throw std::runtime_error(fmt::format("{} decisions failed", failed));
    }

    // The EVALSHA the store sends for one decision of `key`: the script's
    // SHA1, the key, and the arguments redis_store.hpp documents — now
    // ("" "": Redis's TIME), the expiry margin in ms, then cost × T and the
    // window, each as seconds and nanoseconds.
    std::vector<std::string> evalsha() const {
        auto const& store = limiter.get_store();
        auto const& l = limiter.quotas().policy_for(key)[0];
        auto const inc = l.emission_interval().count(), w = l.window().count();
        constexpr std::int64_t s = 1'000'000'000;
        return {"EVALSHA",
                std::string(rl::redis_store::script().sha1()),
                "1",
                store.redis_key(key, l),
                "",
                "",
                std::to_string(store.get_options().expiry_margin.count()),
                std::to_string(inc / s),
                std::to_string(inc % s),
                std::to_string(w / s),
                std::to_string(w % s)};
    }

    // The same, as redis-benchmark's command line. Checked once on this
    // connection first: redis-benchmark counts error replies as requests.
    std::string evalsha_command_line() {
        auto const parts = evalsha();
        std::vector<apikit::redis::arg> args(parts.begin(), parts.end());
        std::optional<apikit::redis::reply> r;
        conn.async_exec(apikit::redis::command(args),
                        [&](boost::system::error_code, apikit::redis::reply got) { r = got; });
        while (!r)
            io.run_one();
        io.restart();
        if (!r->is_array() || r->elements().empty() ||
            r->elements()[0] != apikit::redis::reply::integer(1))
            throw std::runtime_error(fmt::format("the EVALSHA for redis-benchmark is not the "
                                                 "store's: {}",
                                                 *r));
        std::string line;
        for (auto const& p : parts)
            line += fmt::format("'{}' ", p);
        return line;
    }
};

redis_limiter& shared_redis_limiter() {
    static redis_limiter r;
    return r;
}

void redis_store_decisions(benchmark::State& state) {
    apikit_bench::time_decisions(state,
                                 [](int n, int depth) { shared_redis_limiter().decide(n, depth); });
}
BENCHMARK(redis_store_decisions)
    ->ArgName("depth")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->UseRealTime()
    ->MinTime(2.0);

double run_redis_store(int depth, int n) {
    return apikit_bench::decision_rate(
        [](int count, int in_flight) { shared_redis_limiter().decide(count, in_flight); }, depth,
        n);
}

double run_redis_benchmark(int depth, int n) {
    static std::string const command = shared_redis_limiter().evalsha_command_line();
    return apikit_bench::run_redis_benchmark(command, depth, n);
}

// Each iteration is one run of redis-benchmark, timed by its own report.
void redis_benchmark_same_evalsha(benchmark::State& state) {
    apikit_bench::time_redis_benchmark(state, run_redis_benchmark);
}
BENCHMARK(redis_benchmark_same_evalsha)
    ->ArgName("depth")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->UseManualTime()
    ->Iterations(3);
#endif

} // namespace

int main(int argc, char** argv) {
#if APIKIT_BENCH_WITH_REDIS
    int const rounds = apikit_bench::take_rounds_flag(argc, argv, 5);
#endif
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
#if APIKIT_BENCH_WITH_REDIS
    if (rounds > 0)
        apikit_bench::alternating_rounds("The limiter's Redis decisions (redis_store) on one "
                                         "connection",
                                         std::min(rounds, 50), run_redis_store,
                                         run_redis_benchmark);
#endif
}
