// The observability area's costs, each against a baseline in the same run:
//
//   metrics      a counter increment and a histogram observation, on 1 and 2
//                threads, against the same behind a std::mutex (and, for the
//                counter, one shared std::atomic: what sharding avoids); the
//                RED middleware's path (a labelled family's lookup, then an
//                observation) against a std::map behind a mutex.
//   logging      a line with 5 context fields through obs::logger (into its
//                log_writer, whose sink discards), against fmt::format of
//                the same line into a string.
//   traceparent  parse + produce, and the tracing middleware's whole
//                per-request work, against a plain copy of the header.
//
// Google Benchmark reports per-thread time; items_per_second is the
// aggregate rate over the threads, so at 2 threads an update "scales" when
// that rate doubles. ns per update in docs/obs.md is the per-thread
// time at 1 thread.
//
// Run: apikit-bench-obs [--benchmark_filter=…]

#include <apikit/core/clock.hpp>
#include <apikit/core/log_context.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/obs/http_metrics.hpp>
#include <apikit/obs/logger.hpp>
#include <apikit/obs/metrics.hpp>
#include <apikit/obs/trace_context.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace obs = apikit::obs;

namespace {

// ---------------------------------------------------------------------------
// Metrics

obs::registry& bench_registry() {
    static obs::registry reg;
    return reg;
}

obs::counter& bench_counter() {
    static auto& c = bench_registry().add_counter("bench_updates_total", "Updates.");
    return c;
}

obs::histogram& bench_histogram() {
    static auto& h = bench_registry().add_histogram(
        "bench_duration_seconds", "Durations.",
        {obs::http_duration_buckets.begin(), obs::http_duration_buckets.end()});
    return h;
}

// Durations that land in different buckets, as a server's would: the
// observation's bucket search is not always the first compare.
constexpr std::array<double, 8> durations{0.0004, 0.003, 0.012, 0.0007, 0.06, 0.002, 0.3, 0.0011};

void counter_inc(benchmark::State& state) {
    auto& c = bench_counter();
    for (auto _ : state)
        c.inc();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(counter_inc)->Threads(1)->Threads(2)->UseRealTime();

// What a sharded counter avoids: every thread adding to one cache line.
void shared_atomic_inc(benchmark::State& state) {
    alignas(64) static std::atomic<std::uint64_t> n{0};
    for (auto _ : state)
        n.fetch_add(1, std::memory_order_relaxed);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(shared_atomic_inc)->Threads(1)->Threads(2)->UseRealTime();

// The baseline: a counter behind a mutex.
void mutex_counter_inc(benchmark::State& state) {
    static std::mutex m;
    static std::uint64_t n = 0;
    for (auto _ : state) {
        std::lock_guard lock(m);
        ++n;
    }
    benchmark::DoNotOptimize(n);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(mutex_counter_inc)->Threads(1)->Threads(2)->UseRealTime();

void histogram_observe(benchmark::State& state) {
    auto& h = bench_histogram();
    std::size_t i = 0;
    for (auto _ : state)
        h.observe(durations[i++ % durations.size()]);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(histogram_observe)->Threads(1)->Threads(2)->UseRealTime();

// The baseline: the same buckets, count and sum behind a mutex.
struct mutex_histogram {
    std::mutex m;
    std::vector<double> bounds{obs::http_duration_buckets.begin(),
                               obs::http_duration_buckets.end()};
    std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(bounds.size() + 1);
    double sum = 0;
    void observe(double v) {
        auto const b = static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) -
                                                bounds.begin());
        std::lock_guard lock(m);
        ++counts[b];
        sum += v;
    }
};

void mutex_histogram_observe(benchmark::State& state) {
    static mutex_histogram h;
    std::size_t i = 0;
    for (auto _ : state)
        h.observe(durations[i++ % durations.size()]);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(mutex_histogram_observe)->Threads(1)->Threads(2)->UseRealTime();

// The RED middleware's per-response work after the clock read: the series
// of (method, route, code, error_type) found in the family, then observed.
using label_values = std::array<std::string_view, 4>;
constexpr std::array<label_values, 4> red_series{{
    {"GET", "/users", "200", ""},
    {"GET", "/users/:id", "200", ""},
    {"POST", "/users/:id/orders", "201", ""},
    {"GET", "/users/:id", "404", ""},
}};

void family_with_observe(benchmark::State& state) {
    static auto& f = bench_registry().add_histogram_family(
        "bench_http_server_request_duration_seconds", "Durations.",
        {"http_request_method", "http_route", "http_response_status_code", "error_type"},
        {obs::http_duration_buckets.begin(), obs::http_duration_buckets.end()});
    std::size_t i = 0;
    for (auto _ : state) {
        auto const& v = red_series[i % red_series.size()];
        f.with(v).observe(durations[i % durations.size()]);
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(family_with_observe)->Threads(1)->Threads(2)->UseRealTime();

// The baseline: a std::map from the label values to a histogram, both
// behind one mutex.
void mutex_map_observe(benchmark::State& state) {
    static std::mutex m;
    static std::map<std::tuple<std::string, std::string, std::string, std::string>,
                    std::vector<std::uint64_t>>
        series;
    static std::vector<double> const bounds{obs::http_duration_buckets.begin(),
                                            obs::http_duration_buckets.end()};
    std::size_t i = 0;
    for (auto _ : state) {
        auto const& v = red_series[i % red_series.size()];
        auto const d = durations[i % durations.size()];
        auto const b = static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), d) -
                                                bounds.begin());
        std::lock_guard lock(m);
        auto& counts =
            series[{std::string(v[0]), std::string(v[1]), std::string(v[2]), std::string(v[3])}];
        if (counts.empty())
            counts.resize(bounds.size() + 1);
        ++counts[b];
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(mutex_map_observe)->Threads(1)->Threads(2)->UseRealTime();

// ---------------------------------------------------------------------------
// Logging: a line with 5 context fields through obs::logger — the clock
// read, the line written into the per-thread buffer with its strings
// escaped, and appended to the writer's batch — against fmt::format of the
// same line into a string, its timestamp already formatted and no string
// escaped (the least a formatter can do for this line). The writer's sink
// discards what it is given; `dropped` counts the lines the writer dropped
// because its flusher fell behind (then the call was cheaper than a write).

struct discard_sink {
    void write(std::string_view lines) noexcept { benchmark::DoNotOptimize(lines.data()); }
};

apikit::log_context five_fields() {
    apikit::log_context ctx;
    ctx.set("request_id", "req_8f14e45fceea167a5a36dedd4bea2543");
    ctx.set("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
    ctx.set("span_id", "00f067aa0ba902b7");
    ctx.set("user_id", "user_c4ca4238a0b923820dcc509a6f75849b");
    ctx.set("order_id", "order_1679091c5a880faf6fb5e6087eb1b2dc");
    return ctx;
}

void log_line_5_fields(benchmark::State& state) {
    auto writer = std::make_shared<apikit::log_writer<discard_sink>>(discard_sink{});
    obs::basic_logger<discard_sink> log(writer);
    auto const ctx = five_fields();
    for (auto _ : state)
        log.info(ctx, "Order placed");
    state.SetItemsProcessed(state.iterations());
    state.counters["dropped"] = static_cast<double>(writer->dropped_lines());
}
BENCHMARK(log_line_5_fields);

void fmt_format_same_line(benchmark::State& state) {
    std::string_view const timestamp = "2024-01-15T10:00:00.123Z";
    for (auto _ : state) {
        auto line = fmt::format(
            R"({{"timestamp":"{}","level":"info","message":"{}","context":{{"request_id":"{}",)"
            R"("trace_id":"{}","span_id":"{}","user_id":"{}","order_id":"{}"}}}})"
            "\n",
            timestamp, "Order placed", "req_8f14e45fceea167a5a36dedd4bea2543",
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
            "user_c4ca4238a0b923820dcc509a6f75849b", "order_1679091c5a880faf6fb5e6087eb1b2dc");
        benchmark::DoNotOptimize(line);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(fmt_format_same_line);

// ---------------------------------------------------------------------------
// Trace context: what obs::tracing does with a caller's traceparent on every
// request — parse it, then write the response's — against copying the
// header's value into a std::string (what passing it on untouched would
// cost), and the whole per-request work (parse, a new span id from the
// per-thread random pool, write).

constexpr std::string_view bench_traceparent =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

void traceparent_copy(benchmark::State& state) {
    std::string_view in = bench_traceparent;
    for (auto _ : state) {
        benchmark::DoNotOptimize(in);
        std::string out(in);
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(traceparent_copy);

void traceparent_parse_produce(benchmark::State& state) {
    std::string_view in = bench_traceparent;
    for (auto _ : state) {
        benchmark::DoNotOptimize(in);
        auto const tp = obs::parse_traceparent(in);
        if (!tp)
            state.SkipWithError("the traceparent did not parse");
        auto const out = obs::to_chars(*tp);
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(traceparent_parse_produce);

void traceparent_continue(benchmark::State& state) {
    std::string_view in = bench_traceparent;
    obs::request_trace t;
    for (auto _ : state) {
        benchmark::DoNotOptimize(in);
        if (auto const tp = obs::parse_traceparent(in))
            t.continue_from(*tp);
        auto const out = obs::to_chars(t.context());
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(traceparent_continue);

} // namespace

BENCHMARK_MAIN();
