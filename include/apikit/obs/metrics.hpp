#ifndef APIKIT_OBS_METRICS_HPP
#define APIKIT_OBS_METRICS_HPP

// Metrics: counters, gauges and histograms, alone or in families labelled
// by a fixed list of label names, owned by a registry that reads them all
// for a scrape (prometheus.hpp writes what it reads in Prometheus' text
// format).
//
//   obs::registry reg;
//   auto& sent = reg.add_counter("app_emails_sent_total", "Emails handed to the mail server.");
//   auto& jobs = reg.add_counter_family("app_jobs_total", "Jobs run, by outcome.", {"outcome"});
//   sent.inc();
//   jobs.with({"failed"}).inc();
//
// Cost. An update takes no lock and writes no cache line another updating
// thread writes: counters and histograms keep one block of cells per thread
// slot (detail/sharded_cells.hpp), summed when read. A thread's first update
// takes its slot (once, under a mutex); after that a counter increment is a
// relaxed load and store of the thread's own cell, a histogram observation
// a bucket search and two of them. `family::with` finds the series for its
// label values in an insert-only table read with acquire loads, without a
// lock; only the first use of a label set takes the family's mutex, to add
// it. docs/obs.md has the figures.
//
// Cardinality. A family holds at most `family_options::max_series` series
// (1000 unless told): label values past that all go to one overflow series
// labelled `otel_metric_overflow="true"`, as OpenTelemetry's SDKs do, so a
// label fed by outside input cannot exhaust memory. A label is meant for a
// bounded set of values (a route template, never a raw path).
//
// A gauge is one atomic word: set(), or add() by compare-and-swap. It is for
// values set now and then, or computed when read: a collector
// (`registry::add_collector`) reports figures read at scrape time — a
// server's connections, a queue's depth — with no cost between scrapes.
//
// Threads: every member of every class here may be called from any thread.
// Metrics live as long as their registry; the references it hands out stay
// valid until it is destroyed. Misuse (a bad or duplicated name, the wrong
// number of label values) throws std::invalid_argument.

#include <apikit/obs/detail/names.hpp>
#include <apikit/obs/detail/series_table.hpp>
#include <apikit/obs/detail/sharded_cells.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace apikit::obs {

enum class metric_type : std::uint8_t { counter, gauge, histogram };

[[nodiscard]] constexpr std::string_view to_string(metric_type t) noexcept {
    switch (t) {
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    default:
        return "histogram";
    }
}

/// A count that only goes up.
class counter {
public:
    counter() : cells_(1) {}
    void inc(std::uint64_t n = 1) noexcept { cells_.add(0, n); }
    [[nodiscard]] std::uint64_t value() const noexcept { return cells_.sum(0); }

private:
    detail::sharded_cells cells_;
};

/// A value that goes up and down: one atomic word on a cache line of its own.
class alignas(detail::cache_line) gauge {
public:
    void set(double v) noexcept { bits_.store(std::bit_cast<std::uint64_t>(v), relaxed); }
    void add(double v) noexcept {
        auto old = bits_.load(relaxed);
        while (!bits_.compare_exchange_weak(
            old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v), relaxed))
            ;
    }
    void inc() noexcept { add(1); }
    void dec() noexcept { add(-1); }
    [[nodiscard]] double value() const noexcept {
        return std::bit_cast<double>(bits_.load(relaxed));
    }

private:
    static constexpr auto relaxed = std::memory_order_relaxed;
    std::atomic<std::uint64_t> bits_{0}; // +0.0
};

/// What a histogram holds at one moment. `counts` has a count for each
/// bound and a last one for +Inf; they are per bucket, not cumulative.
struct histogram_value {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;
    double sum = 0;
    std::uint64_t count = 0;
};

/// Observations counted in buckets by upper bound (an observation v goes to
/// the first bucket whose bound is >= v, as Prometheus' `le` says), with
/// their sum. NaN is not observed.
class histogram {
public:
    /// `bounds`: finite, strictly increasing; +Inf is implied (a trailing
    /// +Inf is dropped).
    explicit histogram(std::span<double const> bounds)
        : bounds_(detail::checked_bounds(bounds))
        , cells_(bounds_.size() + 2) {}

    void observe(double v) noexcept {
        if (std::isnan(v))
            return;
        auto const i = static_cast<std::size_t>(
            std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
        cells_.add_with_sum(i, 1, sum_word(), v);
    }

    [[nodiscard]] std::span<double const> bounds() const noexcept { return bounds_; }

    [[nodiscard]] histogram_value value() const {
        histogram_value h;
        h.bounds = bounds_;
        h.counts.resize(bounds_.size() + 1);
        for (std::size_t i = 0; i < h.counts.size(); ++i) {
            h.counts[i] = cells_.sum(i);
            h.count += h.counts[i];
        }
        h.sum = cells_.sum_double(sum_word());
        return h;
    }

private:
    [[nodiscard]] std::size_t sum_word() const noexcept { return bounds_.size() + 1; }

    std::vector<double> bounds_;
    detail::sharded_cells cells_;
};

/// A label's name and value, as a snapshot holds them.
struct label {
    std::string name;
    std::string value;
    friend bool operator==(label const&, label const&) = default;
};

/// One series as read: its labels, and its value (a counter's or a
/// gauge's) or its histogram.
struct series_snapshot {
    std::vector<label> labels;
    double value = 0;
    histogram_value histogram;
};

/// One family as read, what a text format writes under one HELP and TYPE.
struct family_snapshot {
    std::string name;
    std::string help;
    metric_type type = metric_type::counter;
    std::vector<series_snapshot> series;
};

/// Limits of a labelled family.
struct family_options {
    /// Series past this many go to the overflow series (top of this header).
    std::size_t max_series = 1000;
};

/// What a collector reports at scrape time: counters (names ending in
/// _total) and gauges, each a family of its own or another series of a
/// family reported before (by name; the type must be the same).
class sample_writer {
public:
    using labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

    void counter(std::string_view name, std::string_view help, double value, labels ls = {}) {
        add(metric_type::counter, name, help, value, ls);
    }
    void gauge(std::string_view name, std::string_view help, double value, labels ls = {}) {
        add(metric_type::gauge, name, help, value, ls);
    }

private:
    friend class registry;
    explicit sample_writer(std::vector<family_snapshot>& out) noexcept : out_(out) {}
    void add(metric_type type, std::string_view name, std::string_view help, double value,
             labels ls);
    std::vector<family_snapshot>& out_;
};

namespace detail {
class family_base {
public:
    family_base(std::string name, std::string help, metric_type type,
                std::vector<std::string> label_names);
    family_base(family_base const&) = delete;
    family_base& operator=(family_base const&) = delete;
    virtual ~family_base() = default;
    virtual void collect(family_snapshot& out) const = 0;

    std::string const& name() const noexcept { return name_; }
    std::vector<std::string> const& label_names() const noexcept { return label_names_; }

protected:
    std::string name_;
    std::string help_;
    metric_type type_;
    std::vector<std::string> label_names_;
};
} // namespace detail

/// Metrics of one name, one series per set of label values.
template <class Metric>
class family final : public detail::family_base {
    static_assert(
        std::is_same_v<Metric, counter> || std::is_same_v<Metric, gauge> ||
            std::is_same_v<Metric, histogram>,
        "apikit::obs::family's Metric must be obs::counter, obs::gauge or obs::histogram");

public:
    /// The series for `values`, one for each label name, in their order;
    /// an empty value is a label left out. Lock-free once the series exists.
    Metric& with(std::initializer_list<std::string_view> values) {
        return with(std::span<std::string_view const>(values.begin(), values.size()));
    }
    Metric& with(std::span<std::string_view const> values);

    /// How many series there are, the overflow series included.
    [[nodiscard]] std::size_t size() const;
    /// True once label values went to the overflow series.
    [[nodiscard]] bool overflowed() const noexcept {
        return overflow_.load(std::memory_order_acquire) != nullptr;
    }

    // Made by registry::add_*_family.
    family(std::string name, std::string help, std::vector<std::string> label_names,
           std::vector<double> bounds, family_options opts);
    void collect(family_snapshot& out) const override;

private:
    struct series;
    [[nodiscard]] Metric& insert(std::uint64_t hash, std::span<std::string_view const> values);
    [[nodiscard]] std::unique_ptr<series> make_series(std::uint64_t hash,
                                                      std::vector<std::string> values) const;

    std::vector<double> bounds_; // a histogram's
    family_options opts_;
    detail::series_table<series> table_;
    mutable std::mutex m_;
    std::vector<std::unique_ptr<series>> all_; // in order of first use
    std::unique_ptr<series> overflow_series_;
    std::atomic<series*> overflow_{nullptr};
};

/// Identifies a collector, to remove it.
enum class collector_id : std::uint64_t {};

/// Owns metric families and the collectors that report figures at scrape
/// time, and reads them all (collect(); prometheus.hpp's write_prometheus).
class registry {
public:
    registry() = default;
    registry(registry const&) = delete;
    registry& operator=(registry const&) = delete;

    counter& add_counter(std::string name, std::string help) {
        return add_counter_family(std::move(name), std::move(help), {}).with({});
    }
    gauge& add_gauge(std::string name, std::string help) {
        return add_gauge_family(std::move(name), std::move(help), {}).with({});
    }
    histogram& add_histogram(std::string name, std::string help, std::vector<double> bounds) {
        return add_histogram_family(std::move(name), std::move(help), {}, std::move(bounds))
            .with({});
    }

    family<counter>& add_counter_family(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        family_options opts = {}) {
        return add<counter>(std::move(name), std::move(help), std::move(label_names), {}, opts);
    }
    family<gauge>& add_gauge_family(std::string name, std::string help,
                                    std::vector<std::string> label_names,
                                    family_options opts = {}) {
        return add<gauge>(std::move(name), std::move(help), std::move(label_names), {}, opts);
    }
    family<histogram>& add_histogram_family(std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> bounds, family_options opts = {}) {
        return add<histogram>(std::move(name), std::move(help), std::move(label_names),
                              std::move(bounds), opts);
    }

    /// Calls `fn` at every scrape, after the registry's own families, on
    /// the scraping thread; what it reports must not be a name the registry
    /// holds with another type. A collector must not add or remove
    /// collectors; it may read anything that can be read from any thread.
    collector_id add_collector(std::function<void(sample_writer&)> fn) {
        std::lock_guard lock(collectors_mutex_);
        auto const id = static_cast<collector_id>(++last_collector_);
        collectors_.push_back({id, std::move(fn)});
        return id;
    }
    /// Once this returns, the collector is not running and never runs again.
    void remove_collector(collector_id id) noexcept {
        std::lock_guard lock(collectors_mutex_);
        std::erase_if(collectors_, [id](auto const& c) { return c.id == id; });
    }

    /// Every family and every collector's report, in the order they were
    /// added.
    [[nodiscard]] std::vector<family_snapshot> collect() const;

    /// Appends the Prometheus text exposition (0.0.4) of collect() to
    /// `out`; defined in prometheus.hpp, which this header includes.
    void write_prometheus(std::string& out) const;

private:
    template <class Metric>
    family<Metric>& add(std::string name, std::string help, std::vector<std::string> label_names,
                        std::vector<double> bounds, family_options opts);

    struct collector {
        collector_id id;
        std::function<void(sample_writer&)> fn;
    };

    mutable std::mutex families_mutex_;
    std::vector<std::unique_ptr<detail::family_base>> families_;
    mutable std::mutex collectors_mutex_;
    std::vector<collector> collectors_;
    std::uint64_t last_collector_ = 0;
};

} // namespace apikit::obs

#include <apikit/obs/detail/metrics_impl.hpp>
#include <apikit/obs/prometheus.hpp>

#endif
