// Passwords with apikit: stored as a slow, salted hash (scrypt, in the PHC
// string format), checked in constant time, an unknown email checked against
// a dummy hash so that it answers as slowly as a wrong password, and the
// checks run on a small pool off the threads that serve connections, each
// completing on the caller's io_context. docs/auth.md quotes this file.
//
// It prints what it shows (the times are this machine's) and exits 0 when
// every check answers as its comments say.
#include <apikit/auth/password.hpp>
#include <apikit/auth/password_pool.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace auth = apikit::auth;

namespace {

/// How long `f` takes, in milliseconds.
template <class F>
long long milliseconds(F&& f) {
    auto const start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start)
        .count();
}

} // namespace

int main() {
    bool ok = true;

    // [hash] Sign-up: the hash is what the users table keeps. Its string
    // says the KDF and its cost, so a later change of defaults still
    // verifies the old hashes.
    auto const stored = auth::hash_password("correct horse battery staple");
    if (!stored)
        return EXIT_FAILURE;
    fmt::print("{}…\n", stored->substr(0, 22));
    // $scrypt$ln=15,r=8,p=1$…
    // [hash]
    ok = ok && stored->starts_with("$scrypt$ln=15,r=8,p=1$");

    // [verify] Login: true only for the password; the hashes are compared
    // in constant time.
    bool right = false, wrong = true;
    auto const took = milliseconds(
        [&] { right = auth::verify_password("correct horse battery staple", *stored); });
    wrong = auth::verify_password("correct horse battery stable", *stored);
    fmt::print("right: {}, wrong: {} ({} ms a check)\n", right, wrong, took);
    // right: true, wrong: false (120 ms a check)
    // [verify]
    ok = ok && right && !wrong;

    // [dummy] An email nobody registered: check the password all the same,
    // against a hash that matches nothing, so the answer comes as late as
    // for a wrong password and the timing does not tell who has an account.
    bool unknown = true;
    auto const dummy_took = milliseconds([&] {
        unknown =
            auth::verify_password("correct horse battery staple", auth::dummy_password_hash());
    });
    fmt::print("unknown email: {} ({} ms)\n", unknown, dummy_took);
    // unknown email: false (120 ms): as long as a wrong password
    // [dummy]
    ok = ok && !unknown;

    // [pool] In a server the KDF runs on a pool of its own, so that a flood
    // of logins does not stall the threads that serve every other route;
    // each check completes on the executor its handler is bound to.
    asio::io_context io; // stands for a connection's executor
    auth::password_pool pool{2};
    auto const serving = std::this_thread::get_id();
    bool answered = false, on_io_thread = false;
    pool.async_verify("correct horse battery staple", *stored,
                      asio::bind_executor(io, [&](boost::system::error_code ec, bool match) {
                          // ec: errc::service_unavailable when too many wait
                          answered = !ec && match;
                          on_io_thread = std::this_thread::get_id() == serving;
                      }));
    io.run(); // the KDF runs meanwhile on a pool thread; the handler runs here
    fmt::print("verified on the pool: {}, answered on the io_context's thread: {}\n", answered,
               on_io_thread);
    // verified on the pool: true, answered on the io_context's thread: true
    // [pool]
    ok = ok && answered && on_io_thread;

    // [coroutine] The same with a coroutine: hash at sign-up, verify at
    // login, neither on the io_context's thread.
    io.restart();
    bool signed_in = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            try {
                std::string const hash =
                    co_await pool.async_hash("hunter2 is not it", asio::use_awaitable);
                signed_in =
                    co_await pool.async_verify("hunter2 is not it", hash, asio::use_awaitable);
            } catch (boost::system::system_error const& e) {
                fmt::print("{}\n", e.code().message()); // the pool was full or stopped
            }
        },
        asio::detached);
    io.run();
    fmt::print("signed up and in: {}\n", signed_in);
    // signed up and in: true
    // [coroutine]
    ok = ok && signed_in;

    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
