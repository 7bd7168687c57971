// The events area's costs, each against a baseline in the same run:
//
//   envelope  an event written (to_json) and read back strictly
//             (parse_event: every member checked, duplicates refused),
//             against boost::json::serialize and boost::json::parse of the
//             same document, which check nothing of its shape.
//   publish   memory_bus::publish with one subscriber that does nothing —
//             the event kept in the history, handed to the subscriber's
//             buffer, its thread woken — against the least that design
//             needs: a std::deque behind a mutex, a condition variable and a
//             consumer thread.
//
// Run: apikit-bench-events [--benchmark_filter=…]

#include <apikit/events/event.hpp>
#include <apikit/events/memory_bus.hpp>

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace events = apikit::events;

namespace {

events::event sample_event() {
    boost::json::object user{{"id", "user_111UrxEDMsvoEWXWz08HI4"},
                             {"email", "ada@example.com"},
                             {"name", "Ada Lovelace"},
                             {"created_at", "2026-12-03T12:15:13.107Z"},
                             {"version", 1}};
    events::metadata meta;
    meta.correlation_id = "req_pp0eiPVqGTCJNDtoGzV4kx";
    meta.trace_id = "0af7651916cd43dd8448eb211c80319c";
    meta.traceparent = "00-0af7651916cd43dd8448eb211c80319c-8538242c3ebad01c-01";
    return events::make_event("user.created", user, std::move(meta),
                              std::chrono::system_clock::now());
}

// ---------------------------------------------------------------------------
// Envelope

void envelope_to_json(benchmark::State& state) {
    auto const e = sample_event();
    for (auto _ : state) {
        auto text = events::to_json(e);
        benchmark::DoNotOptimize(text);
    }
}
BENCHMARK(envelope_to_json);

void json_serialize_same_document(benchmark::State& state) {
    auto const jv = boost::json::parse(events::to_json(sample_event()));
    for (auto _ : state) {
        auto text = boost::json::serialize(jv);
        benchmark::DoNotOptimize(text);
    }
}
BENCHMARK(json_serialize_same_document);

void envelope_parse_event(benchmark::State& state) {
    auto const text = events::to_json(sample_event());
    for (auto _ : state) {
        auto e = events::parse_event(text);
        if (!e)
            throw std::logic_error("the benchmark's event does not read back");
        benchmark::DoNotOptimize(e);
    }
}
BENCHMARK(envelope_parse_event);

void json_parse_same_document(benchmark::State& state) {
    auto const text = events::to_json(sample_event());
    for (auto _ : state) {
        auto jv = boost::json::parse(text);
        benchmark::DoNotOptimize(jv);
    }
}
BENCHMARK(json_parse_same_document);

// ---------------------------------------------------------------------------
// Publish

void memory_bus_publish(benchmark::State& state) {
    events::memory_bus bus;
    auto sub = bus.subscribe("user.*", {}, [](events::event const& e, events::position) {
        benchmark::DoNotOptimize(&e);
    });
    auto const e = sample_event();
    for (auto _ : state) {
        auto p = bus.publish(e);
        benchmark::DoNotOptimize(p);
    }
    state.counters["dropped"] = static_cast<double>(bus.stats().dropped);
}
BENCHMARK(memory_bus_publish);

// The same hand-off with nothing else: a queue, a lock, a wake-up.
class mutex_queue {
public:
    mutex_queue() : consumer_([this] { run(); }) {}
    ~mutex_queue() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        ready_.notify_one();
        consumer_.join();
    }
    void push(events::event e) {
        {
            std::lock_guard lock(mutex_);
            if (queue_.size() == 1024) // the bus's default buffer, oldest dropped
                queue_.pop_front();
            queue_.push_back(std::move(e));
        }
        ready_.notify_one();
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty())
                return;
            auto e = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            benchmark::DoNotOptimize(&e);
            lock.lock();
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<events::event> queue_;
    bool stop_ = false;
    std::thread consumer_;
};

void mutex_queue_push(benchmark::State& state) {
    mutex_queue q;
    auto const e = sample_event();
    for (auto _ : state)
        q.push(e);
}
BENCHMARK(mutex_queue_push);

} // namespace

BENCHMARK_MAIN();
