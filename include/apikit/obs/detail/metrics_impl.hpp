#ifndef APIKIT_OBS_DETAIL_METRICS_IMPL_HPP
#define APIKIT_OBS_DETAIL_METRICS_IMPL_HPP

// The out-of-line parts of metrics.hpp: a family's series lookup and
// insertion, and the registry's reading of families and collectors.

#include <apikit/obs/metrics.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apikit::obs {

namespace detail {

inline family_base::family_base(std::string name, std::string help, metric_type type,
                                std::vector<std::string> label_names)
    : name_(std::move(name))
    , help_(std::move(help))
    , type_(type)
    , label_names_(std::move(label_names)) {
    check_metric_name(name_, type_ == metric_type::counter);
    for (std::size_t i = 0; i < label_names_.size(); ++i) {
        check_label_name(label_names_[i], type_ == metric_type::histogram);
        for (std::size_t j = 0; j < i; ++j)
            if (label_names_[j] == label_names_[i])
                throw std::invalid_argument("apikit::obs: label \"" + label_names_[i] +
                                            "\" named twice in \"" + name_ + "\"");
    }
}

template <class Metric>
inline constexpr metric_type type_of = std::is_same_v<Metric, counter> ? metric_type::counter
                                       : std::is_same_v<Metric, gauge> ? metric_type::gauge
                                                                       : metric_type::histogram;

inline double value_of(counter const& c) noexcept {
    return static_cast<double>(c.value());
}
inline double value_of(gauge const& g) noexcept {
    return g.value();
}

} // namespace detail

template <class Metric>
struct family<Metric>::series {
    template <class... Args>
    series(std::uint64_t h, std::vector<std::string> v, Args&&... args)
        : hash(h)
        , values(std::move(v))
        , metric(std::forward<Args>(args)...) {}

    [[nodiscard]] bool matches(std::span<std::string_view const> vs) const noexcept {
        return std::equal(vs.begin(), vs.end(), values.begin(), values.end(),
                          [](std::string_view a, std::string const& b) { return a == b; });
    }

    std::uint64_t hash;
    std::vector<std::string> values;
    Metric metric;
};

template <class Metric>
family<Metric>::family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> bounds, family_options opts)
    : family_base(std::move(name), std::move(help), detail::type_of<Metric>, std::move(label_names))
    , bounds_(std::move(bounds))
    , opts_(opts)
    , table_(opts.max_series) {
    if (opts_.max_series == 0)
        throw std::invalid_argument("apikit::obs: family \"" + name_ + "\": max_series is 0");
    if constexpr (std::is_same_v<Metric, histogram>)
        bounds_ = detail::checked_bounds(bounds_); // now, not at the first use
}

template <class Metric>
Metric& family<Metric>::with(std::span<std::string_view const> values) {
    if (values.size() != label_names_.size())
        throw std::invalid_argument("apikit::obs: family \"" + name_ + "\" takes " +
                                    std::to_string(label_names_.size()) + " label values, not " +
                                    std::to_string(values.size()));
    auto const h = detail::hash_values(values);
    if (auto* s = table_.find(h, values))
        return s->metric;
    if (auto* o = overflow_.load(std::memory_order_acquire))
        return o->metric;
    return insert(h, values);
}

template <class Metric>
auto family<Metric>::make_series(std::uint64_t hash, std::vector<std::string> values) const
    -> std::unique_ptr<series> {
    if constexpr (std::is_same_v<Metric, histogram>)
        return std::make_unique<series>(hash, std::move(values), std::span<double const>(bounds_));
    else
        return std::make_unique<series>(hash, std::move(values));
}

template <class Metric>
Metric& family<Metric>::insert(std::uint64_t hash, std::span<std::string_view const> values) {
    std::lock_guard lock(m_);
    if (auto* s = table_.find(hash, values)) // another thread was first
        return s->metric;
    if (all_.size() >= opts_.max_series) {
        if (!overflow_series_) {
            overflow_series_ = make_series(0, {});
            overflow_.store(overflow_series_.get(), std::memory_order_release);
        }
        return overflow_series_->metric;
    }
    auto s = make_series(hash, std::vector<std::string>(values.begin(), values.end()));
    auto* p = s.get();
    all_.push_back(std::move(s));
    table_.insert(p);
    return p->metric;
}

template <class Metric>
std::size_t family<Metric>::size() const {
    std::lock_guard lock(m_);
    return all_.size() + (overflow_series_ ? 1 : 0);
}

template <class Metric>
void family<Metric>::collect(family_snapshot& out) const {
    out.name = name_;
    out.help = help_;
    out.type = type_;
    auto const read = [&](series const& s, std::vector<label> labels) {
        auto& r = out.series.emplace_back();
        r.labels = std::move(labels);
        if constexpr (std::is_same_v<Metric, histogram>)
            r.histogram = s.metric.value();
        else
            r.value = detail::value_of(s.metric);
    };
    std::lock_guard lock(m_);
    out.series.reserve(all_.size() + 1);
    for (auto const& s : all_) {
        std::vector<label> labels;
        for (std::size_t i = 0; i < label_names_.size(); ++i)
            if (!s->values[i].empty())
                labels.push_back({label_names_[i], s->values[i]});
        read(*s, std::move(labels));
    }
    if (overflow_series_)
        read(*overflow_series_, {{"otel_metric_overflow", "true"}});
}

inline void sample_writer::add(metric_type type, std::string_view name, std::string_view help,
                               double value, labels ls) {
    auto f = std::find_if(out_.begin(), out_.end(),
                          [name](family_snapshot const& s) { return s.name == name; });
    if (f == out_.end()) {
        detail::check_metric_name(name, type == metric_type::counter);
        f = out_.insert(out_.end(),
                        family_snapshot{std::string(name), std::string(help), type, {}});
    } else if (f->type != type) {
        throw std::invalid_argument("apikit::obs: a collector reported \"" + std::string(name) +
                                    "\" as a " + std::string(to_string(type)) + ", it is a " +
                                    std::string(to_string(f->type)));
    }
    auto& s = f->series.emplace_back();
    s.value = value;
    for (auto const& [n, v] : ls) {
        detail::check_label_name(n, false);
        if (!v.empty())
            s.labels.push_back({std::string(n), std::string(v)});
    }
}

template <class Metric>
family<Metric>& registry::add(std::string name, std::string help,
                              std::vector<std::string> label_names, std::vector<double> bounds,
                              family_options opts) {
    auto f = std::make_unique<family<Metric>>(std::move(name), std::move(help),
                                              std::move(label_names), std::move(bounds), opts);
    auto& ref = *f;
    std::lock_guard lock(families_mutex_);
    for (auto const& g : families_)
        if (g->name() == ref.name())
            throw std::invalid_argument("apikit::obs: metric \"" + ref.name() +
                                        "\" is already registered");
    families_.push_back(std::move(f));
    return ref;
}

inline std::vector<family_snapshot> registry::collect() const {
    std::vector<family_snapshot> out;
    {
        std::lock_guard lock(families_mutex_);
        out.resize(families_.size());
        for (std::size_t i = 0; i < families_.size(); ++i)
            families_[i]->collect(out[i]);
    }
    std::lock_guard lock(collectors_mutex_);
    sample_writer w(out);
    for (auto const& c : collectors_)
        c.fn(w);
    return out;
}

} // namespace apikit::obs

#endif
