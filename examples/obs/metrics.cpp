// Metrics for Prometheus: a registry of counters, gauges and histograms
// (alone or labelled), collectors read at scrape time, the RED middleware
// and the server's USE metrics, written in the text format 0.0.4.
//
//   apikit-example-obs-metrics        prints the exposition on stdout
//
// It serves one request on a loopback port of its own, then prints what a
// GET /metrics would answer (ctest pipes it through `promtool check
// metrics`) and exits non-zero if something shown here does not hold.

#include <apikit/http.hpp>
#include <apikit/obs/http_metrics.hpp>
#include <apikit/obs/metrics.hpp>
#include <apikit/obs/prometheus.hpp>
#include <apikit/obs/server_metrics.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <deque>
#include <string>
#include <string_view>

namespace http = apikit::http;
namespace obs = apikit::obs;

namespace {

bool check(bool ok, char const* what) {
    if (!ok)
        std::fprintf(stderr, "FAILED: %s\n", what);
    return ok;
}

// One request with `Connection: close`; the whole response.
std::string get(std::uint16_t port, std::string_view target) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    std::string const req =
        "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(req));
    std::string res;
    boost::system::error_code ec;
    boost::asio::read(s, boost::asio::dynamic_buffer(res), ec); // to EOF
    return res;
}

} // namespace

int main() {
    bool ok = true;

    // [registry] One registry per process; metrics live as long as it does.
    obs::registry reg;
    auto& sent = reg.add_counter("app_emails_sent_total", "Emails handed to the mail server.");
    auto& depth = reg.add_gauge("app_jobs_queued", "Jobs waiting to run.");
    sent.inc();
    depth.set(3);
    // [registry]

    // [family] Labelled: one series per label value set, found without a lock.
    auto& jobs = reg.add_counter_family("app_jobs_total", "Jobs run, by type and outcome.",
                                        {"type", "outcome"});
    jobs.with({"email.send", "ok"}).inc();
    jobs.with({"email.send", "failed"}).inc();
    jobs.with({"email.send", "ok"}).inc();
    // [family]
    ok &= check(jobs.with({"email.send", "ok"}).value() == 2, "two ok jobs");

    // [histogram] Buckets by upper bound, in the unit the name says (seconds).
    auto& run_time = reg.add_histogram("app_job_duration_seconds", "Time a job takes to run.",
                                       {0.01, 0.1, 1, 10});
    run_time.observe(0.042);
    run_time.observe(2.5);
    // [histogram]
    ok &= check(run_time.value().counts[1] == 1 && run_time.value().counts[3] == 1,
                "the observations in their buckets");

    // [collector] Figures computed when scraped: no cost between scrapes.
    std::deque<int> queue{1, 2, 3, 4};
    auto const queue_id = reg.add_collector([&queue](obs::sample_writer& w) {
        w.gauge("app_queue_length", "Items in the in-process queue.",
                static_cast<double>(queue.size()));
    });
    // [collector]

    // [http] RED for every response, USE of the server, and the endpoint.
    http::app app;
    app.get("/users/:id",
            [](http::request const&, http::response& res) { res.json_text(R"({"id":"42"})"); });
    app.get("/metrics", obs::metrics_handler(reg)); // the text format, its content type
    http::server_options opts;
    opts.port = 0;
    opts.handle_signals = false;
    // First in the chain: its on_response runs last, on the final status.
    http::server server{opts, http::chain{obs::http_metrics{reg}, std::move(app)}};
    auto const server_id = obs::add_server_metrics(reg, server);
    // [http]
    if (!check(server.start().has_value(), "the server starts"))
        return 1;
    ok &= check(get(server.port(), "/users/42").starts_with("HTTP/1.1 200"), "GET /users/42");
    auto const scraped = get(server.port(), "/metrics");
    ok &= check(scraped.find("Content-Type: text/plain; version=0.0.4; charset=utf-8") !=
                    std::string::npos,
                "the text format's content type");

    // [exposition] What GET /metrics answers.
    std::string text;
    reg.write_prometheus(text);
    // [exposition]
    std::fputs(text.c_str(), stdout);

    auto const has = [&text](std::string_view line) {
        return text.find(std::string(line) + "\n") != std::string::npos;
    };
    ok &= check(has(R"(app_jobs_total{type="email.send",outcome="ok"} 2)"), "the family's line");
    ok &= check(has(R"(app_job_duration_seconds_bucket{le="+Inf"} 2)"), "+Inf holds every one");
    ok &= check(has("app_queue_length 4"), "the collector's gauge");
    // The route template, never the raw path.
    ok &= check(has(R"(http_server_request_duration_seconds_count{http_request_method="GET",)"
                    R"(http_route="/users/:id",http_response_status_code="200"} 1)"),
                "the RED series of GET /users/:id");
    ok &= check(text.find("/users/42") == std::string::npos, "no raw path");
    ok &= check(has("apikit_http_server_connections_accepted_total 2"), "two connections");

    // Collectors that read something must go before it does.
    reg.remove_collector(server_id);
    reg.remove_collector(queue_id);
    server.stop();
    server.wait();
    return ok ? 0 : 1;
}
