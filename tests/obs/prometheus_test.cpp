// obs/prometheus.hpp: the text exposition format 0.0.4, byte for byte — HELP
// and TYPE, label and help escaping, histograms' cumulative buckets, numbers.

#include <apikit/obs/prometheus.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

namespace obs_prometheus_test {

namespace obs = apikit::obs;

std::string text_of(obs::registry const& reg) {
    std::string out;
    reg.write_prometheus(out);
    return out;
}

TEST_CASE("a counter, a labelled gauge and a histogram in the text format") {
    obs::registry reg;
    reg.add_counter("app_emails_sent_total", "Emails sent.").inc(3);
    auto& depth = reg.add_gauge_family("app_queue_depth", "Jobs waiting.", {"queue"});
    depth.with({"mail"}).set(2);
    depth.with({"pdf"}).set(0.5);
    auto& h =
        reg.add_histogram_family("app_job_duration_seconds", "Job duration.", {"type"}, {0.1, 1});
    h.with({"mail"}).observe(0.25);
    h.with({"mail"}).observe(0.05);
    h.with({"mail"}).observe(4);
    CHECK(text_of(reg) == R"(# HELP app_emails_sent_total Emails sent.
# TYPE app_emails_sent_total counter
app_emails_sent_total 3
# HELP app_queue_depth Jobs waiting.
# TYPE app_queue_depth gauge
app_queue_depth{queue="mail"} 2
app_queue_depth{queue="pdf"} 0.5
# HELP app_job_duration_seconds Job duration.
# TYPE app_job_duration_seconds histogram
app_job_duration_seconds_bucket{type="mail",le="0.1"} 1
app_job_duration_seconds_bucket{type="mail",le="1"} 2
app_job_duration_seconds_bucket{type="mail",le="+Inf"} 3
app_job_duration_seconds_sum{type="mail"} 4.3
app_job_duration_seconds_count{type="mail"} 3
)");
}

TEST_CASE(
    "label values escape backslash, double quote and line feed, help text the first and last") {
    obs::registry reg;
    reg.add_gauge_family("app_odd", "A \\ help\ntext with \"quotes\".", {"v"})
        .with({"a\\b\"c\nd é"})
        .set(1);
    CHECK(text_of(reg) == "# HELP app_odd A \\\\ help\\ntext with \"quotes\".\n"
                          "# TYPE app_odd gauge\n"
                          "app_odd{v=\"a\\\\b\\\"c\\nd é\"} 1\n");
}

TEST_CASE("an empty label value is left out, and an unlabelled histogram has only le") {
    obs::registry reg;
    reg.add_counter_family("app_hits_total", "Hits.", {"route", "code"}).with({"", "404"}).inc();
    reg.add_histogram("app_wait_seconds", "Wait.", {0.5}).observe(0.5);
    CHECK(text_of(reg) == R"(# HELP app_hits_total Hits.
# TYPE app_hits_total counter
app_hits_total{code="404"} 1
# HELP app_wait_seconds Wait.
# TYPE app_wait_seconds histogram
app_wait_seconds_bucket{le="0.5"} 1
app_wait_seconds_bucket{le="+Inf"} 1
app_wait_seconds_sum 0.5
app_wait_seconds_count 1
)");
}

TEST_CASE(
    "numbers are written in their shortest form, infinities and NaN as the format spells them") {
    obs::registry reg;
    auto& g = reg.add_gauge_family("app_value", "Values.", {"k"});
    g.with({"int"}).set(1234567);
    g.with({"tenth"}).set(0.1);
    g.with({"small"}).set(1e-7);
    g.with({"negative"}).set(-2.5);
    g.with({"inf"}).set(std::numeric_limits<double>::infinity());
    g.with({"-inf"}).set(-std::numeric_limits<double>::infinity());
    g.with({"nan"}).set(std::numeric_limits<double>::quiet_NaN());
    CHECK(text_of(reg) == R"(# HELP app_value Values.
# TYPE app_value gauge
app_value{k="int"} 1234567
app_value{k="tenth"} 0.1
app_value{k="small"} 1e-07
app_value{k="negative"} -2.5
app_value{k="inf"} +Inf
app_value{k="-inf"} -Inf
app_value{k="nan"} NaN
)");
}

TEST_CASE("a family with no series yet has its HELP and TYPE, and the overflow series its label") {
    obs::registry reg;
    (void)reg.add_counter_family("app_none_total", "None yet.", {"k"});
    auto& f = reg.add_counter_family("app_capped_total", "Capped.", {"k"}, {.max_series = 1});
    f.with({"a"}).inc();
    f.with({"b"}).inc();
    CHECK(text_of(reg) == R"(# HELP app_none_total None yet.
# TYPE app_none_total counter
# HELP app_capped_total Capped.
# TYPE app_capped_total counter
app_capped_total{k="a"} 1
app_capped_total{otel_metric_overflow="true"} 1
)");
}

TEST_CASE("collectors' families follow the registry's, one HELP and TYPE for each name") {
    obs::registry reg;
    (void)reg.add_collector([](obs::sample_writer& w) {
        w.counter("app_conn_total", "Connections.", 2, {{"side", "in"}});
        w.gauge("app_open", "Open.", 1);
        w.counter("app_conn_total", "Connections.", 5, {{"side", "out"}});
    });
    CHECK(text_of(reg) == R"(# HELP app_conn_total Connections.
# TYPE app_conn_total counter
app_conn_total{side="in"} 2
app_conn_total{side="out"} 5
# HELP app_open Open.
# TYPE app_open gauge
app_open 1
)");
}

TEST_CASE("the content type is the text format's, version 0.0.4") {
    CHECK(obs::prometheus_content_type == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("write_prometheus appends to what the string holds") {
    obs::registry reg;
    reg.add_counter("app_x_total", "X.").inc();
    std::string out = "before\n";
    obs::write_prometheus(reg, out);
    CHECK(out == "before\n# HELP app_x_total X.\n# TYPE app_x_total counter\napp_x_total 1\n");
}

} // namespace obs_prometheus_test
