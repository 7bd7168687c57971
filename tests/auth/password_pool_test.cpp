// password_pool: completions on the caller's executor, many checks at once
// from several I/O threads, the bound, stop(), destruction with completions
// still to run, and an I/O thread that stays free while checks wait.
//
// Nothing waits for time. Where a test needs the pool's threads busy, it
// posts a gate to them (pool_gate): the operations queue behind it, in a
// known state, until the test opens it.

#include <apikit/auth/password_pool.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace auth = apikit::auth;
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto pool_cheap = auth::password_params::scrypt(4, 1, 1);

std::string pool_hash(std::string_view password) {
    auto encoded = auth::hash_password(password, pool_cheap);
    REQUIRE(encoded);
    return *encoded;
}

// Holds the pool's threads (all of them: one task each) until opened.
class pool_gate {
public:
    pool_gate(auth::password_pool& pool, unsigned threads) : open_(promise_.get_future().share()) {
        for (unsigned i = 0; i < threads; ++i)
            asio::post(pool.thread_executor(), [f = open_] { f.wait(); });
    }
    pool_gate(pool_gate const&) = delete;
    pool_gate& operator=(pool_gate const&) = delete;
    ~pool_gate() { open(); }

    void open() {
        if (!opened_) {
            opened_ = true;
            promise_.set_value();
        }
    }

private:
    std::promise<void> promise_;
    std::shared_future<void> open_;
    bool opened_ = false;
};

// What one operation completed with, and where.
struct pool_outcome {
    std::optional<error_code> ec;
    bool ok = false;
    int calls = 0;
};

// One verify of "pw" against `stored` per element of `out`, each recorded in
// its element, on `ioc`.
void pool_verify_each(auth::password_pool& pool, asio::io_context& ioc, std::string const& stored,
                      std::vector<pool_outcome>& out) {
    for (auto& o : out)
        pool.async_verify("pw", stored, asio::bind_executor(ioc, [&o](error_code ec, bool ok) {
                              o = {ec, ok, o.calls + 1};
                          }));
}

} // namespace

TEST_CASE("password_pool: a verify completes on the caller's strand, with the answer") {
    auto const stored = pool_hash("open sesame");
    asio::io_context ioc;
    auto strand = asio::make_strand(ioc);
    auth::password_pool pool(2, 16, pool_cheap);

    pool_outcome right, wrong;
    bool on_strand_right = false, on_strand_wrong = false;
    pool.async_verify("open sesame", stored,
                      asio::bind_executor(strand, [&](error_code ec, bool ok) {
                          on_strand_right = strand.running_in_this_thread();
                          right = {ec, ok, right.calls + 1};
                      }));
    pool.async_verify("open sesame!", stored,
                      asio::bind_executor(strand, [&](error_code ec, bool ok) {
                          on_strand_wrong = strand.running_in_this_thread();
                          wrong = {ec, ok, wrong.calls + 1};
                      }));
    // Nothing else keeps run() going: the pending checks' work guards must.
    std::thread other([&] { ioc.run(); });
    ioc.run();
    other.join();

    CHECK(right.calls == 1);
    CHECK(right.ec == error_code{});
    CHECK(right.ok);
    CHECK(on_strand_right);
    CHECK(wrong.calls == 1);
    CHECK(wrong.ec == error_code{});
    CHECK_FALSE(wrong.ok);
    CHECK(on_strand_wrong);
}

TEST_CASE("password_pool: many checks at once from several I/O threads, each on its strand") {
    std::vector<std::string> stored;
    for (int i = 0; i < 4; ++i)
        stored.push_back(pool_hash("password " + std::to_string(i)));
    asio::io_context ioc;
    std::vector<asio::strand<asio::io_context::executor_type>> strands;
    for (int i = 0; i < 8; ++i)
        strands.push_back(asio::make_strand(ioc));
    auth::password_pool pool(2, 1000, pool_cheap);

    constexpr int checks = 96;
    std::atomic<int> done{0}, right{0}, off_strand{0}, failed{0};
    for (int i = 0; i < checks; ++i) {
        auto const& strand = strands[static_cast<std::size_t>(i) % strands.size()];
        // Even i: the right password; odd: another user's.
        auto const user = static_cast<std::size_t>(i / 2) % stored.size();
        auto const password = "password " + std::to_string(i % 2 == 0 ? user : user + 1);
        pool.async_verify(password, stored[user],
                          asio::bind_executor(strand, [&, strand, i](error_code ec, bool ok) {
                              if (!strand.running_in_this_thread())
                                  ++off_strand;
                              if (ec)
                                  ++failed;
                              if (ok == (i % 2 == 0))
                                  ++right;
                              ++done;
                          }));
    }
    std::vector<std::thread> io;
    for (int t = 0; t < 3; ++t)
        io.emplace_back([&] { ioc.run(); });
    for (auto& t : io)
        t.join();

    CHECK(done == checks);
    CHECK(right == checks);
    CHECK(off_strand == 0);
    CHECK(failed == 0);
    CHECK(pool.pending() == 0);
}

TEST_CASE("password_pool: past max_waiting pending, a check is a 503 at once, running nothing") {
    auto const stored = pool_hash("pw");
    asio::io_context ioc;
    auth::password_pool pool(1, 2, pool_cheap);
    pool_gate gate(pool, 1);

    std::vector<pool_outcome> out(4);
    pool_verify_each(pool, ioc, stored, out);
    CHECK(pool.pending() == 2);
    // The two refused complete now, while the pool's only thread is held.
    ioc.poll();
    CHECK(out[0].calls == 0);
    CHECK(out[1].calls == 0);
    for (auto i : {2, 3}) {
        CHECK(out[i].calls == 1);
        CHECK(out[i].ec == apikit::make_error_code(apikit::errc::service_unavailable));
        CHECK(apikit::http_status(*out[i].ec) == 503);
        CHECK_FALSE(out[i].ok);
    }

    gate.open();
    ioc.restart();
    ioc.run(); // until the two accepted complete: their work guards hold it
    for (auto i : {0, 1}) {
        CHECK(out[i].calls == 1);
        CHECK(out[i].ec == error_code{});
        CHECK(out[i].ok);
    }
    CHECK(pool.pending() == 0);

    // A freed slot takes a check again.
    pool_outcome again;
    pool.async_verify("pw", stored, asio::bind_executor(ioc, [&](error_code ec, bool ok) {
                          again = {ec, ok, 1};
                      }));
    ioc.restart();
    ioc.run();
    CHECK(again.ec == error_code{});
    CHECK(again.ok);
}

TEST_CASE("password_pool: stop() completes the queued checks and every later one aborted") {
    auto const stored = pool_hash("pw");
    asio::io_context ioc;
    auth::password_pool pool(1, 16, pool_cheap);
    pool_gate gate(pool, 1);

    std::vector<pool_outcome> out(3);
    pool_verify_each(pool, ioc, stored, out);
    pool.stop();
    CHECK(pool.pending() == 0);
    pool_outcome late;
    pool.async_hash("pw", asio::bind_executor(ioc, [&](error_code ec, std::string const& h) {
                        late = {ec, !h.empty(), late.calls + 1};
                    }));
    ioc.poll();
    for (auto const& o : out) {
        CHECK(o.calls == 1);
        CHECK(o.ec == asio::error::operation_aborted);
        CHECK_FALSE(o.ok);
    }
    CHECK(late.calls == 1);
    CHECK(late.ec == asio::error::operation_aborted);
    CHECK_FALSE(late.ok);
    pool.stop(); // again: nothing more to do
}

TEST_CASE("password_pool: destroyed after stop() while its completions wait to run") {
    auto const stored = pool_hash("pw");
    asio::io_context ioc;
    std::vector<pool_outcome> out(3);
    {
        auto pool = std::make_unique<auth::password_pool>(1, 16, pool_cheap);
        pool_gate gate(*pool, 1);
        pool_verify_each(*pool, ioc, stored, out);
        pool->stop();
        gate.open();
        pool.reset(); // joins its threads; the completions are still queued on ioc
    }
    for (auto const& o : out)
        CHECK(o.calls == 0);
    ioc.run();
    for (auto const& o : out) {
        CHECK(o.calls == 1);
        CHECK(o.ec == asio::error::operation_aborted);
    }
}

TEST_CASE("password_pool: the destructor alone completes every check, once") {
    auto const stored = pool_hash("pw");
    asio::io_context ioc;
    std::vector<pool_outcome> out(4);
    {
        auth::password_pool pool(1, 16, pool_cheap);
        pool_gate gate(pool, 1);
        pool_verify_each(pool, ioc, stored, out);
        gate.open();
    } // the gate opens first; the pool may have started one, and aborts the rest
    ioc.run();
    for (auto const& o : out) {
        CHECK(o.calls == 1);
        CHECK((o.ec == error_code{} ? o.ok : *o.ec == asio::error::operation_aborted));
    }
}

TEST_CASE("password_pool: the I/O thread runs other work while checks wait") {
    auto const stored = pool_hash("pw");
    asio::io_context ioc;
    auth::password_pool pool(1, 16, pool_cheap);
    pool_gate gate(pool, 1);

    pool_outcome check;
    pool.async_verify("pw", stored, asio::bind_executor(ioc, [&](error_code ec, bool ok) {
                          check = {ec, ok, check.calls + 1};
                      }));
    // A timer already due: it fires on this thread with the check still
    // pending, and only then lets the pool go.
    asio::steady_timer timer(ioc, asio::steady_timer::duration::zero());
    bool timer_first = false;
    timer.async_wait([&](error_code) {
        timer_first = check.calls == 0;
        gate.open();
    });
    ioc.run();
    CHECK(timer_first);
    CHECK(check.calls == 1);
    CHECK(check.ok);
}

TEST_CASE("password_pool: hash then verify through the pool, the pool's errors and params") {
    asio::io_context ioc;
    auth::password_pool pool(2, 16, pool_cheap);
    CHECK(pool.params() == pool_cheap);
    CHECK(pool.max_waiting() == 16);

    std::optional<error_code> hash_ec;
    std::string encoded;
    pool.async_hash("correct horse", asio::bind_executor(ioc, [&](error_code ec, std::string h) {
                        hash_ec = ec;
                        encoded = std::move(h);
                    }));
    std::optional<error_code> long_ec;
    std::string long_hash = "untouched";
    pool.async_hash(std::string(auth::max_password_size + 1, 'x'),
                    asio::bind_executor(ioc, [&](error_code ec, std::string h) {
                        long_ec = ec;
                        long_hash = std::move(h);
                    }));
    ioc.run();
    REQUIRE(hash_ec == error_code{});
    CHECK(auth::password_hash_params(encoded) == pool_cheap);
    CHECK(long_ec == auth::error::password_too_long);
    CHECK(long_hash.empty());

    // A handler with no executor of its own: std::future (the system executor).
    CHECK(pool.async_verify("correct horse", encoded, asio::use_future).get());
    CHECK_FALSE(pool.async_verify("correct horsE", encoded, asio::use_future).get());
    CHECK_FALSE(pool.async_verify("correct horse", "not a hash", asio::use_future).get());

    CHECK_THROWS_AS(auth::password_pool(1, 1, auth::password_params::scrypt(25, 8, 1)),
                    std::invalid_argument);
}

TEST_CASE("password_pool: a coroutine awaits a hash and a verify, and resumes on its executor") {
    asio::io_context ioc;
    auth::password_pool pool(2, 16, pool_cheap);
    bool right = false, wrong = true, on_ioc = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            auto const encoded = co_await pool.async_hash("swordfish", asio::use_awaitable);
            on_ioc = ioc.get_executor().running_in_this_thread();
            right = co_await pool.async_verify("swordfish", encoded, asio::use_awaitable);
            wrong = co_await pool.async_verify("swordfisH", encoded, asio::use_awaitable);
        },
        [](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
    ioc.run();
    CHECK(on_ioc);
    CHECK(right);
    CHECK_FALSE(wrong);
}
