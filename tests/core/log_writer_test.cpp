#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

using namespace std::chrono_literals;

TEST_CASE("log_writer batches lines and writes them all at destruction") {
    apikit::memory_sink sink;
    {
        apikit::log_writer w(sink, {.flush_bytes = 1 << 20, .flush_interval = 1h});
        for (int i = 0; i < 1000; ++i)
            w.append("line " + std::to_string(i) + "\n");
        CHECK(sink.writes() == 0); // neither full nor old: nothing written yet
    }
    auto const lines = sink.lines();
    REQUIRE(lines.size() == 1000);
    CHECK(lines.front() == "line 0");
    CHECK(lines.back() == "line 999");
    CHECK(sink.writes() == 1);
}

TEST_CASE("log_writer flushes when a batch is full") {
    apikit::memory_sink sink;
    apikit::log_writer w(sink, {.flush_bytes = 1000, .flush_interval = 1h});
    std::string const line(99, 'x');
    for (int i = 0; i < 10; ++i)
        w.append(line + "\n");
    CHECK(sink.wait_for_lines(10, 10s));
    CHECK(sink.writes() == 1);
}

TEST_CASE("log_writer flushes a batch that is old enough") {
    apikit::memory_sink sink;
    apikit::log_writer w(sink, {.flush_bytes = 1 << 20, .flush_interval = 20ms});
    w.append("one\n");
    CHECK(sink.wait_for_lines(1, 10s)); // waits on the flusher, not on a sleep
    w.append("two\n");
    CHECK(sink.wait_for_lines(2, 10s));
    CHECK(sink.writes() == 2);
}

TEST_CASE("log_writer: flush() writes now, and lines from many threads arrive whole") {
    apikit::memory_sink sink;
    {
        apikit::log_writer w(sink, {.flush_bytes = 4096, .flush_interval = 5ms});
        w.append("first\n");
        w.flush();
        CHECK(sink.lines() == std::vector<std::string>{"first"});
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 500; ++i)
                    w.append("thread " + std::to_string(t) + " line " + std::to_string(i) + "\n");
            });
        for (auto& t : threads)
            t.join();
    }
    auto const lines = sink.lines();
    REQUIRE(lines.size() == 2001);
    std::vector<int> next(4, 0);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        int t = -1, n = -1;
        REQUIRE(std::sscanf(lines[i].c_str(), "thread %d line %d", &t, &n) == 2);
        CHECK(n == next[t]++); // each thread's lines in its order
    }
}

TEST_CASE("log_writer: appenders wait for a slow sink rather than drop lines") {
    struct slow_sink {
        std::shared_ptr<std::atomic<std::size_t>> bytes =
            std::make_shared<std::atomic<std::size_t>>(0);
        void write(std::string_view s) { *bytes += s.size(); }
    };
    slow_sink sink;
    {
        apikit::log_writer w(sink, {.flush_bytes = 64, .flush_interval = 1ms, .max_bytes = 128});
        for (int i = 0; i < 2000; ++i)
            w.append("0123456789abcdef0123456789abcdef\n");
    }
    CHECK(*sink.bytes == 2000u * 33);
}

TEST_CASE("fd_sink writes to its descriptor") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    apikit::fd_sink sink(fds[1]);
    sink.write("hello\n");
    char buf[16] = {};
    CHECK(::read(fds[0], buf, sizeof buf) == 6);
    CHECK(std::string_view(buf) == "hello\n");
    ::close(fds[0]);
    ::close(fds[1]);
}
