// Rate-limit decisions per second: the lock-free GCRA bucket and the keyed
// memory store, against a token bucket behind a std::mutex (the baseline),
// on one key and across 1,000,000 keys, on 1 and 2 threads.
//
// Every decision here is an allowed one — the path that writes — because the
// time point advances by one emission interval per decision. Google Benchmark
// reports per-thread time; items_per_second is the aggregate rate, and
// ns/decision in docs/ratelimit.md is 1e9 / items_per_second.

#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/token_bucket.hpp>

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

} // namespace

BENCHMARK_MAIN();
