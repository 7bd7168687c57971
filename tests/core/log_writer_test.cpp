#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

namespace {

// A sink whose write() blocks until the test releases it, so the test knows
// the flusher is stuck in the sink while it appends: no sleeping, no timing.
class gated_sink {
public:
    void write(std::string_view lines) {
        std::unique_lock lock(s_->mutex);
        ++s_->entered;
        s_->changed.notify_all();
        s_->changed.wait(lock, [&] { return s_->open; });
        s_->text.append(lines);
    }
    // Waits until the flusher is inside write() for the `n`th time.
    void wait_entered(int n) const {
        std::unique_lock lock(s_->mutex);
        s_->changed.wait(lock, [&] { return s_->entered >= n; });
    }
    void release() const {
        std::lock_guard lock(s_->mutex);
        s_->open = true;
        s_->changed.notify_all();
    }
    std::string text() const {
        std::lock_guard lock(s_->mutex);
        return s_->text;
    }

private:
    struct state {
        std::mutex mutex;
        std::condition_variable changed;
        int entered = 0;
        bool open = false;
        std::string text;
    };
    std::shared_ptr<state> s_ = std::make_shared<state>();
};

} // namespace

TEST_CASE(
    "log_writer: when the sink falls behind, lines are dropped and counted, never waited for") {
    gated_sink sink;
    std::string const line = "123456789\n"; // 10 bytes
    {
        apikit::log_writer w(sink, {.flush_bytes = 10, .flush_interval = 1h, .max_bytes = 100});
        w.append(line); // a full batch: the flusher takes it and blocks in the sink
        sink.wait_entered(1);
        for (int i = 0; i < 10; ++i) // up to max_bytes exactly: buffered
            w.append(line);
        CHECK(w.dropped_lines() == 0);
        w.append(line); // past max_bytes: these return at once, dropped
        w.append("a\nb\nc\n");
        w.append("1");
        CHECK(w.dropped_lines() == 5); // a text without '\n' counts as one line
        CHECK(w.dropped_bytes() == 17);
        sink.release();
    } // the writer writes what it buffered before it goes
    auto const text = sink.text();
    CHECK(text.size() == 11 * line.size());
    CHECK(text.find('a') == std::string::npos);
}

TEST_CASE("log_writer: a line longer than max_bytes is dropped even into an empty buffer") {
    apikit::memory_sink sink;
    apikit::log_writer w(sink, {.max_bytes = 8});
    w.append("123456789\n");
    w.append("1234567\n");
    w.flush();
    CHECK(w.dropped_lines() == 1);
    CHECK(w.dropped_bytes() == 10);
    CHECK(sink.lines() == std::vector<std::string>{"1234567"});
}

TEST_CASE("file_sink appends to the file it opens, created 0640") {
    char dir_template[] = "/tmp/apikit-file-sink-XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    std::string const dir = dir_template;
    std::string const path = dir + "/app.log";
    {
        auto sink = apikit::file_sink::open(path);
        REQUIRE(sink.has_value());
        sink->write("one\n");
        apikit::log_writer w(std::move(*sink));
        w.append("two\n");
    }
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777 & ~0640) == 0); // the umask may only take more away
    {
        auto again = apikit::file_sink::open(path); // appends, never truncates
        REQUIRE(again.has_value());
        apikit::file_sink moved = std::move(*again);
        CHECK(again->fd() == -1);
        moved.write("three\n");
    }
    char buf[64] = {};
    int const fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK(::read(fd, buf, sizeof buf) == 14);
    ::close(fd);
    CHECK(std::string_view(buf) == "one\ntwo\nthree\n");
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());

    auto const missing = apikit::file_sink::open(dir + "/no/such/dir/app.log");
    REQUIRE(missing.has_error());
    CHECK(missing.error() == std::errc::no_such_file_or_directory);
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
