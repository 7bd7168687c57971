#include <apikit/core/random.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

bool is_base62(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return apikit::id_alphabet.find(c) != std::string_view::npos;
    });
}

} // namespace

TEST_CASE("random_id is the prefix and 22 base62 characters") {
    for (auto prefix : {"req_", "evt_", "job_", "user_", ""}) {
        auto const id = apikit::random_id(prefix);
        CAPTURE(id);
        CHECK(id.starts_with(prefix));
        CHECK(id.size() == std::string_view(prefix).size() + apikit::id_random_length);
        CHECK(is_base62(std::string_view(id).substr(std::string_view(prefix).size())));
    }
}

TEST_CASE("random ids do not repeat") {
    std::unordered_set<std::string> seen;
    for (int i = 0; i < 20'000; ++i)
        REQUIRE(seen.insert(apikit::random_id("req_")).second);
}

TEST_CASE("random id characters are spread over the whole alphabet") {
    // 62 symbols × ~645 draws each: a biased mapping (b % 62 without
    // rejection) would over-draw the first 8 symbols by ~25%.
    std::array<int, 62> counts{};
    constexpr int ids = 1'820;
    for (int i = 0; i < ids; ++i)
        for (char c : apikit::random_id(""))
            ++counts[apikit::id_alphabet.find(c)];
    auto const expected = ids * 22.0 / 62;
    for (int n : counts) {
        CHECK(n > expected * 0.75);
        CHECK(n < expected * 1.25);
    }
}

TEST_CASE("random_bytes fills large and small requests") {
    std::vector<unsigned char> big(10'000, 0); // larger than the per-thread pool
    apikit::random_bytes(big.data(), big.size());
    CHECK(std::count(big.begin(), big.end(), 0) < 200); // ~39 zeros expected
    std::array<unsigned char, 16> a{}, b{};
    apikit::random_bytes(a.data(), a.size());
    apikit::random_bytes(b.data(), b.size());
    CHECK(a != b);
}

TEST_CASE("threads draw distinct ids from their own pools") {
    constexpr int threads = 4, per_thread = 2'000;
    std::vector<std::vector<std::string>> ids(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&ids, t] {
            for (int i = 0; i < per_thread; ++i)
                ids[t].push_back(apikit::random_id("job_"));
        });
    for (auto& w : workers)
        w.join();
    std::set<std::string> all;
    for (auto const& v : ids)
        all.insert(v.begin(), v.end());
    CHECK(all.size() == threads * per_thread);
}

TEST_CASE("a forked child does not repeat its parent's next ids") {
    (void)apikit::random_id("x_"); // the parent's pool is now filled
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t const pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        auto const id = apikit::random_id("x_");
        auto const n = ::write(fds[1], id.data(), id.size());
        ::_exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    std::string child(64, '\0');
    auto const n = ::read(fds[0], child.data(), child.size());
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(n > 0);
    child.resize(static_cast<std::size_t>(n));
    CHECK(WIFEXITED(status));
    CHECK(child != apikit::random_id("x_"));
}
