// obs/metrics.hpp: counters, gauges, histograms and labelled families — the
// values they hold, exact under concurrent updates from more threads than
// there are slots, the lock-free series lookup, the overflow series, and
// the registry's checks and collectors.

#include <apikit/obs/metrics.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace obs_metrics_test {

namespace obs = apikit::obs;

// Runs `fn(i)` on `n` threads at once and joins them.
template <class F>
void on_threads(std::size_t n, F fn) {
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            while (!go.load())
                std::this_thread::yield();
            fn(i);
        });
    go = true;
    for (auto& t : threads)
        t.join();
}

obs::family_snapshot const& family_named(std::vector<obs::family_snapshot> const& all,
                                         std::string const& name) {
    for (auto const& f : all)
        if (f.name == name)
            return f;
    FAIL("no family " << name);
    throw std::logic_error("unreachable");
}

TEST_CASE("a counter adds what it is given") {
    obs::registry reg;
    auto& c = reg.add_counter("test_things_total", "Things.");
    CHECK(c.value() == 0);
    c.inc();
    c.inc(41);
    CHECK(c.value() == 42);
}

TEST_CASE("a counter updated by more threads than there are slots counts every update") {
    obs::registry reg;
    auto& c = reg.add_counter("test_updates_total", "Updates.");
    // Past the exclusive slots, threads share the last one (atomic adds).
    auto const threads = apikit::obs::detail::exclusive_slots() + 4;
    constexpr std::uint64_t per_thread = 20'000;
    on_threads(threads, [&](std::size_t) {
        for (std::uint64_t i = 0; i < per_thread; ++i)
            c.inc();
    });
    CHECK(c.value() == threads * per_thread);
}

TEST_CASE("a slot given back by a thread that exited keeps its counts for the next thread") {
    obs::registry reg;
    auto& c = reg.add_counter("test_handover_total", "Counts across thread lifetimes.");
    // One thread after another: each takes the slot the last one gave back.
    for (int round = 0; round < 20; ++round)
        std::thread([&] {
            for (int i = 0; i < 1000; ++i)
                c.inc();
        }).join();
    CHECK(c.value() == 20'000);
}

TEST_CASE("a gauge is set, added to and read") {
    obs::registry reg;
    auto& g = reg.add_gauge("test_queue_depth", "Depth.");
    CHECK(g.value() == 0);
    g.set(2.5);
    g.add(1);
    g.inc();
    g.dec();
    g.dec();
    CHECK(g.value() == 2.5);
    on_threads(4, [&](std::size_t) {
        for (int i = 0; i < 1000; ++i)
            g.inc();
    });
    CHECK(g.value() == 4002.5);
}

TEST_CASE("a histogram counts an observation in the first bucket whose bound is not below it") {
    obs::registry reg;
    auto& h = reg.add_histogram("test_latency_seconds", "Latency.", {0.1, 1, 10});
    h.observe(0.1);                                      // on the bound: le="0.1"
    h.observe(0.05);                                     // le="0.1"
    h.observe(0.5);                                      // le="1"
    h.observe(10);                                       // le="10"
    h.observe(11);                                       // +Inf
    h.observe(-1);                                       // below every bound: le="0.1"
    h.observe(std::numeric_limits<double>::quiet_NaN()); // not observed
    h.observe(std::numeric_limits<double>::infinity());  // +Inf
    auto const v = h.value();
    CHECK(v.bounds == std::vector<double>{0.1, 1, 10});
    CHECK(v.counts == std::vector<std::uint64_t>{3, 1, 1, 2});
    CHECK(v.count == 7);
    CHECK(std::isinf(v.sum));
}

TEST_CASE("a histogram observed from many threads has every observation and their sum") {
    obs::registry reg;
    auto& h = reg.add_histogram("test_sizes_bytes", "Sizes.", {1, 2, 4});
    auto const threads = apikit::obs::detail::exclusive_slots() + 2;
    on_threads(threads, [&](std::size_t i) {
        for (int k = 0; k < 10'000; ++k)
            h.observe(static_cast<double>(i % 5)); // 0..4: exact in binary
    });
    auto const v = h.value();
    std::uint64_t expect_count = 0;
    double expect_sum = 0;
    std::vector<std::uint64_t> expect(4, 0);
    for (std::size_t i = 0; i < threads; ++i) {
        auto const x = i % 5;
        expect[x <= 1 ? 0 : x == 2 ? 1 : x <= 4 ? 2 : 3] += 10'000;
        expect_count += 10'000;
        expect_sum += 10'000.0 * static_cast<double>(x);
    }
    CHECK(v.counts == expect);
    CHECK(v.count == expect_count);
    CHECK(v.sum == expect_sum);
}

TEST_CASE("histogram bounds must be finite and increasing, and a trailing +Inf is dropped") {
    obs::registry reg;
    auto const inf = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(reg.add_histogram("test_a_seconds", "A.", {1, 1}), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_histogram("test_b_seconds", "B.", {2, 1}), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_histogram("test_c_seconds", "C.", {std::nan("")}),
                    std::invalid_argument);
    auto& h = reg.add_histogram("test_d_seconds", "D.", {1, inf});
    CHECK(h.bounds().size() == 1);
    auto& none = reg.add_histogram("test_e_seconds", "Only +Inf.", {});
    none.observe(3);
    CHECK(none.value().counts == std::vector<std::uint64_t>{1});
}

TEST_CASE("a family gives the same series for the same label values and another for others") {
    obs::registry reg;
    auto& f = reg.add_counter_family("test_requests_total", "Requests.", {"route", "code"});
    auto& a = f.with({"/users/:id", "200"});
    auto& b = f.with({"/users/:id", "404"});
    auto& c = f.with({"/users/:id", "200"});
    CHECK(&a == &c);
    CHECK(&a != &b);
    // Values that concatenate alike are still different series.
    CHECK(&f.with({"ab", "c"}) != &f.with({"a", "bc"}));
    CHECK(f.size() == 4);
    CHECK_THROWS_AS(f.with({"/users/:id"}), std::invalid_argument);
    CHECK_THROWS_AS(f.with({"a", "b", "c"}), std::invalid_argument);
}

TEST_CASE("series created by many threads at once are each created once and count exactly") {
    obs::registry reg;
    auto& f = reg.add_counter_family("test_keys_total", "Keys.", {"key"});
    constexpr int keys = 64;
    on_threads(6, [&](std::size_t) {
        for (int round = 0; round < 50; ++round)
            for (int k = 0; k < keys; ++k)
                f.with({std::to_string(k)}).inc();
    });
    CHECK(f.size() == keys);
    for (int k = 0; k < keys; ++k)
        CHECK(f.with({std::to_string(k)}).value() == 6 * 50);
}

TEST_CASE("label values past max_series go to the overflow series") {
    obs::registry reg;
    auto& f = reg.add_counter_family("test_paths_total", "Paths.", {"path"}, {.max_series = 3});
    f.with({"/a"}).inc();
    f.with({"/b"}).inc();
    f.with({"/c"}).inc();
    CHECK_FALSE(f.overflowed());
    f.with({"/d"}).inc();
    f.with({"/e"}).inc(2);
    CHECK(f.overflowed());
    CHECK(&f.with({"/d"}) == &f.with({"/zzz"}));
    CHECK(f.with({"/a"}).value() == 1); // known series still have their own
    CHECK(f.size() == 4);
    auto const all = reg.collect();
    auto const& s = family_named(all, "test_paths_total").series;
    REQUIRE(s.size() == 4);
    CHECK(s[3].labels == std::vector<obs::label>{{"otel_metric_overflow", "true"}});
    CHECK(s[3].value == 3);
}

TEST_CASE("the registry refuses bad names, a name twice, and _total on anything but a counter") {
    obs::registry reg;
    CHECK_THROWS_AS(reg.add_counter("test_requests", "No _total."), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_gauge("test_open_total", "A gauge."), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("9_total", "Digit first."), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("test-dash_total", "Dash."), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter("", "Empty."), std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter_family("test_x_total", "X.", {"__reserved"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter_family("test_y_total", "Y.", {"a", "a"}),
                    std::invalid_argument);
    CHECK_THROWS_AS(reg.add_histogram_family("test_z_seconds", "Z.", {"le"}, {1}),
                    std::invalid_argument);
    CHECK_THROWS_AS(reg.add_counter_family("test_w_total", "W.", {"a"}, {.max_series = 0}),
                    std::invalid_argument);
    (void)reg.add_counter("test_once_total", "Once.");
    CHECK_THROWS_AS(reg.add_gauge("test_once_total", "Again."), std::invalid_argument);
    // `le` is only the histogram's.
    CHECK_NOTHROW(reg.add_counter_family("test_le_total", "Le.", {"le"}));
}

TEST_CASE("collectors report at every scrape until removed, into families by name") {
    obs::registry reg;
    auto& own = reg.add_counter("test_own_total", "Own.");
    own.inc();
    int scrapes = 0;
    auto const id = reg.add_collector([&](obs::sample_writer& w) {
        ++scrapes;
        w.gauge("test_pool_size", "Pool size.", 4, {{"pool", "a"}});
        w.gauge("test_pool_size", "Pool size.", 2, {{"pool", "b"}, {"empty", ""}});
        w.counter("test_own_total", "Own.", 5, {{"from", "collector"}});
    });
    auto const all = reg.collect();
    CHECK(scrapes == 1);
    REQUIRE(all.size() == 2);
    CHECK(all[0].name == "test_own_total");
    CHECK(all[0].series.size() == 2); // the registry's and the collector's
    auto const& pool = family_named(all, "test_pool_size");
    CHECK(pool.type == obs::metric_type::gauge);
    REQUIRE(pool.series.size() == 2);
    CHECK(pool.series[1].labels == std::vector<obs::label>{{"pool", "b"}}); // "" is left out
    CHECK(pool.series[1].value == 2);
    reg.remove_collector(id);
    CHECK(reg.collect().size() == 1);
    CHECK(scrapes == 1);
}

TEST_CASE("a collector that reports a name with another type fails the scrape") {
    obs::registry reg;
    (void)reg.add_collector([](obs::sample_writer& w) { w.counter("test_x_total", "X.", 1); });
    (void)reg.add_collector([](obs::sample_writer& w) { w.gauge("test_x_total", "X.", 1); });
    CHECK_THROWS_AS((void)reg.collect(), std::invalid_argument);
}

TEST_CASE("scrapes while other threads update and add series see consistent families") {
    obs::registry reg;
    auto& f = reg.add_histogram_family("test_work_seconds", "Work.", {"kind"}, {0.5, 1});
    std::atomic<bool> done{false};
    std::atomic<int> inconsistent{0};
    std::atomic<int> scrapes{0};
    std::thread scraper([&] {
        while (!done.load() || scrapes.load() == 0) {
            for (auto const& fam : reg.collect())
                for (auto const& s : fam.series) {
                    std::uint64_t n = 0;
                    for (auto c : s.histogram.counts)
                        n += c;
                    if (n != s.histogram.count)
                        ++inconsistent;
                }
            ++scrapes;
        }
    });
    on_threads(3, [&](std::size_t i) {
        for (int k = 0; k < 2000; ++k)
            f.with({std::to_string((i * 7 + static_cast<std::size_t>(k)) % 20)}).observe(0.75);
    });
    done = true;
    scraper.join();
    CHECK(inconsistent.load() == 0);
    std::uint64_t total = 0;
    auto const all = reg.collect();
    for (auto const& s : all.front().series)
        total += s.histogram.count;
    CHECK(total == 3 * 2000);
}

} // namespace obs_metrics_test
