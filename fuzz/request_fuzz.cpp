// Bytes from a client, one request or several pipelined, delivered in
// pieces, through the real connection code (http/detail/connection.hpp: the
// parser, the limits, the deadlines) and the sample server's chain (request
// id, access log, rate limit, routes, JSON bodies) over its memory store.
// No server and no port: the connection is made on one end of a socketpair
// and run by a worker's event loop that this target polls, while it plays
// the client on the other end. The worker, the chain and the store are set
// up once; each input gets a fresh store and connection.
//
// The input: its first byte, less '0', says how to deliver the rest
//
//   bits 0-2  n: the next n bytes are the lengths of the first n pieces;
//             what follows them is the last piece
//   bit 3     the client half-closes (sends EOF) once it has sent everything
//   bit 4     a graceful shutdown begins before the last piece
//   bit 5     time passes after the first piece: the connection's deadline,
//             if one is armed, fires
//   bit 6     the client reads nothing until it has sent everything, and
//             then time passes; so does it when both directions are full.
//             With bit 3 too, it closes instead: a client that goes away
//   bit 7     before each piece, the connection has been idle for a sweep
//             interval: it gives back its buffers (and parks its read)
//
// so a seed that starts with '0' is delivered whole. `{id}` in the rest
// stands for the id of the one user the store starts with (ada@example.com,
// password "ada-password"; she also holds one refresh token, fuzz_refresh
// below, so a seed can refresh or log out with a cookie that works).
//
// Authentication: access tokens are signed with a fixed Ed25519 key
// (fuzz_key_pem, kid "fuzz"), so the corpus carries tokens that verify and
// the fuzzer reaches the protected routes from them: `auth-*` seeds hold
// tokens with `exp` in 2100 (and one expired, one with `read` alone), made
// by this shell function from the key (saved as key.pem) and the claims:
//
//     b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
//     token() { # <claims JSON>
//         local h p s
//         h=$(printf '%s' '{"alg":"EdDSA","typ":"at+jwt","kid":"fuzz"}' | b64url)
//         p=$(printf '%s' "$1" | b64url)
//         printf '%s.%s' "$h" "$p" >input # pkeyutl -rawin reads a file
//         s=$(openssl pkeyutl -sign -inkey key.pem -rawin -in input | b64url)
//         printf '%s.%s.%s' "$h" "$p" "$s"
//     }
//     token '{"iss":"apikit-sample","aud":"apikit-sample","sub":"user_fuzz",
//             "iat":1705312800,"exp":4102444800,"jti":"fuzz-1","scope":["read","write"]}'
//
// (claims on one line). The `*-signed-in` seeds are older seeds with that
// token added to each request for a protected route. The verifier decides
// on the real clock, as the server does; its cache lives across inputs (a
// hit answers as a miss would).
//
// Passwords: sign-up and login hash and check on the password pool, one
// thread of its own, which completes on the worker's event loop. So that an
// input's run does not depend on that thread's timing, the harness waits
// for the pool whenever the connection may be suspended on it (no deadline
// armed, and something besides the harness keeps it alive: a continuation)
// before deciding that the worker has nothing more to do: it posts a no-op
// behind the pool's queue (one thread: first in, first out) and waits for
// it, and then the completion is in the event loop's queue. (One timing is
// left: a check in flight while the connection writes to a client that
// reads nothing — the write's deadline is armed — completes before or after
// the harness makes that deadline pass; either way the responses are cut.)
//
// Properties: no crash or sanitizer report; the bytes the client receives
// are a sequence of well-formed HTTP/1.1 responses, each final one with a
// Content-Length, a Date and an X-Request-Id, and no 5xx but 501; a 4xx or
// 5xx carries apikit's JSON envelope naming that request id; every access
// log line is a JSON object; once the input is sent the connection has
// answered and closed, or waits with a deadline armed, and when that
// deadline fires (as often as it is re-armed) it answers and closes; it is
// released once closed; and the users created are exactly the 201
// responses that show a user, the orders exactly those that show an order
// (at least those, when a client that does not read had its responses cut
// short by the write deadline); no order is created, and no 200 shows a
// user, an order or a page, unless the input holds a token that verifies
// with the scope it needs (`write`, `read`): without one, the protected
// routes change and show nothing.
#include "fuzz.hpp"

#include "any_refresh_store.hpp"
#include "auth_service.hpp"
#include "server.hpp"

#include <apikit/api/error_format.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/auth/memory_refresh_store.hpp>
#include <apikit/auth/password.hpp>
#include <apikit/auth/refresh_token.hpp>
#include <apikit/core/base64url.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/http/detail/connection.hpp>
#include <apikit/http/detail/worker.hpp>
#include <apikit/http/options.hpp>
#include <apikit/ratelimit/any_limiter.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/memory_store.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace bhttp = boost::beast::http;
namespace http = apikit::http;
namespace json = boost::json;
namespace rl = apikit::ratelimit;
using apikit_fuzz::require;
using namespace std::chrono_literals;

using sys = std::chrono::system_clock;
using clock_type = apikit::manual_clock<sys>;
using clock_ref = apikit::clock_ref<clock_type>;
using store_type = sample::memory_user_store<clock_ref>;

/// Checks every access-log line is a JSON object, whatever bytes the
/// request that it logs carried, and keeps nothing.
struct checking_sink {
    void write(std::string_view lines) {
        while (!lines.empty()) {
            auto const eol = lines.find('\n');
            require(eol != std::string_view::npos, "a log line ends in a newline");
            boost::system::error_code ec;
            auto const v = json::parse(lines.substr(0, eol), ec);
            require(!ec && v.is_object(), "a log line is a JSON object");
            lines.remove_prefix(eol + 1);
        }
    }
};

using chain_type = sample::chain_type<clock_ref, checking_sink>;
using connection_type = http::detail::connection<chain_type, apikit::api::envelope_format>;

http::server_options harness_options() {
    http::server_options o;
    // Small limits, so that inputs of a few KiB reach them: a header over
    // 2 KiB is a 431, a body over 4 KiB a 413.
    o.header_limit = 2048;
    o.body_limit = 4096;
    // No deadline passes by itself while an input runs: the target makes
    // time pass (bit 5 of the control byte, and at the end).
    o.header_timeout = o.body_timeout = o.idle_timeout = o.write_timeout = 1h;
    o.handle_signals = false;
    return o;
}

std::string const ada_email = "ada@example.com";

rl::trusted_proxies trusted(std::string_view network) {
    std::string_view const list[] = {network};
    return rl::trusted_proxies::parse(list).value();
}

/// The key access tokens are signed with: fixed, so that the corpus can
/// carry tokens that verify (made by `openssl genpkey -algorithm ed25519`;
/// see the top of this file for how the seeds' tokens were signed with it).
constexpr std::string_view fuzz_key_pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIImT+16umPbSWDsxcA7i/4wnjFCIipseHieXeWt3zV4n\n"
    "-----END PRIVATE KEY-----\n";

std::string const ada_password = "ada-password";

/// The refresh token Ada holds at the start of every input, as it travels
/// in the cookie: `__Secure-refresh=cmVmcmVzaC1mYW1pbHktMQ.ZnV6ei1yZWZy...`.
/// Its family and secret are base64url of fixed bytes.
struct fuzz_refresh {
    std::string family = apikit::base64url::encode("refresh-family-1");
    std::string secret = apikit::base64url::encode("fuzz-refresh-secret-0123456789ab");
};

/// The service's authentication: the fixed Ed25519 key, refresh tokens in
/// memory, a password KDF cheap enough for a fuzzer on a pool of one thread
/// (so that the harness can wait for it: see the top of this file).
std::shared_ptr<sample::auth_service> fuzz_auth() {
    sample::auth_settings s;
    s.password = apikit::auth::password_params::scrypt(4, 1, 1);
    s.password_threads = 1;
    return std::make_shared<sample::auth_service>(
        apikit::auth::key::from_pem(apikit::auth::algorithm::eddsa, fuzz_key_pem, "fuzz").value(),
        sample::any_refresh_store(std::in_place_type<apikit::auth::memory_refresh_store>),
        std::move(s));
}

/// The sample server's parts and chain, put together by sample::make_chain
/// as sample::basic_server puts them (server.hpp), with the manual clock of
/// tests/server's fixture for the store's created_at and the rate limit (5
/// requests, 1 more a second: a pipelined input reaches it), and a worker
/// that is never given a thread.
struct harness {
    clock_type clock{sys::time_point(std::chrono::seconds(1'705'312'800))};
    sample::server_parts<clock_ref, checking_sink> parts{
        .http = harness_options(),
        .log = std::make_shared<apikit::log_writer<checking_sink>>(checking_sink{}),
        .auth = fuzz_auth(),
        .rate_limit = rl::basic_any_limiter<clock_ref>(
            std::in_place_type<rl::limiter<rl::memory_store, clock_ref>>,
            sample::rate_limit_policy({5, 1}), clock_ref(clock)),
        .login_limit = {},
        // The socketpair's peer reads as "::" (an AF_UNIX peer has no
        // address): trusted as a proxy, so that X-Forwarded-For names the
        // client the limit keys by, as behind a load balancer.
        .trusted_proxies = trusted("::/128"),
        .users = sample::any_user_store(std::in_place_type<store_type>, clock_ref(clock)),
        .cursor_key = std::string(32, 'k'),
    };
    apikit::api::signed_cursor cursors{parts.cursor_key};
    chain_type chain = sample::make_chain(parts, cursors);
    http::detail::worker worker{parts.http}; // after the chain: its connections refer to it
    std::string const ada_hash =
        apikit::auth::hash_password(ada_password, parts.auth->settings().password).value();
    fuzz_refresh const refresh{};
    std::string ada_id;
    /// The input's connection: drain() waits for the password pool while
    /// the connection may be suspended on it.
    std::weak_ptr<connection_type const> current;

    /// A fresh store holding one user with a password and a refresh token,
    /// and a full bucket for every client.
    void reset() {
        parts.users = sample::any_user_store(std::in_place_type<store_type>, clock_ref(clock));
        ada_id = store().create_user({ada_email, "Ada", ada_hash}).value()->id;
        // The refresh tokens of earlier inputs go with their store; the
        // service's refresh_tokens refers to the store's slot, not to it.
        namespace auth = apikit::auth;
        auto& tokens = parts.auth->refresh_store();
        tokens = sample::any_refresh_store(std::in_place_type<auth::memory_refresh_store>);
        auto const now = static_cast<std::int64_t>(std::time(nullptr));
        require(tokens.target<auth::memory_refresh_store>()
                    ->try_create({refresh.family, ada_id, now + 7 * 86'400,
                                  auth::refresh_token_hash(refresh.secret)},
                                 now)
                    .has_value(),
                "Ada's refresh token is stored");
        clock.advance(10s); // the bucket holds 5, refilled 1 a second
    }

    /// Returns once every password check the pool has been given has
    /// completed into the worker's event loop: a no-op queued behind them
    /// (one thread, first in, first out) has run.
    void wait_for_password_pool() {
        std::promise<void> done;
        boost::asio::post(parts.auth->passwords().thread_executor(), [&done] { done.set_value(); });
        done.get_future().wait();
    }

    /// No deadline is armed while the connection runs a handler (perhaps
    /// suspended on the password pool) or once it is closed; and a
    /// suspended one is kept alive by its continuation as well as by the
    /// harness (a closed one, once its last handler has run, by the
    /// harness alone).
    bool may_wait_for_password_pool() const {
        auto const conn = current.lock();
        return conn && conn->deadline == http::detail::steady_time::max() &&
               current.use_count() > 2; // the harness's, conn, and another
    }

    store_type& store() { return *parts.users.target<store_type>(); }

    std::size_t user_count() { return store().list_users_offset(0, 0).total; }

    std::size_t order_count() {
        std::size_t n = 0;
        for (auto const& u : store().list_users_offset(0, user_count()).rows)
            n += store().list_orders(u->id, 1'000'000, std::nullopt).value().rows.size();
        return n;
    }
};

/// How the input is delivered, read from its first byte.
struct delivery {
    std::vector<std::string_view> pieces;
    bool half_close = false;
    bool shutdown = false;
    bool time_passes = false;
    bool slow_reader = false;
    bool goes_away = false;
    bool idle_trim = false;
};

delivery plan(std::string_view payload, std::uint8_t control, std::string_view lengths) {
    delivery d;
    d.half_close = (control & 0x08) != 0;
    d.shutdown = (control & 0x10) != 0;
    d.time_passes = (control & 0x20) != 0;
    d.slow_reader = (control & 0x40) != 0;
    d.goes_away = d.slow_reader && d.half_close;
    d.idle_trim = (control & 0x80) != 0;
    for (unsigned char length : lengths) {
        auto const n = std::min<std::size_t>(length, payload.size());
        d.pieces.push_back(payload.substr(0, n));
        payload.remove_prefix(n);
    }
    d.pieces.push_back(payload);
    return d;
}

std::string expand(std::string_view text, std::string_view id) {
    std::string out;
    out.reserve(text.size());
    for (;;) {
        auto const at = text.find("{id}");
        out.append(text.substr(0, at));
        if (at == std::string_view::npos)
            return out;
        out.append(id);
        text.remove_prefix(at + 4);
    }
}

/// The client's end of the socketpair.
class client {
public:
    explicit client(int fd) : fd_(fd) {}
    client(client const&) = delete;
    client& operator=(client const&) = delete;
    ~client() { close(); }

    /// Reads whatever has arrived, unless paused; notes the end of the stream.
    void receive() {
        std::array<char, 16 * 1024> buf;
        while (fd_ >= 0 && !eof_ && !paused) {
            auto const n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
            if (n > 0)
                received_.append(buf.data(), static_cast<std::size_t>(n));
            else if (n == 0 || errno == ECONNRESET)
                eof_ = true;
            else
                return; // EAGAIN: nothing more for now
        }
    }

    /// Sends what the socket takes now: the bytes sent, or nothing once the
    /// server has closed its end.
    std::optional<std::size_t> send(std::string_view bytes) {
        auto const n = ::send(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0)
            return static_cast<std::size_t>(n);
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        return std::nullopt; // EPIPE, ECONNRESET
    }

    void half_close() { ::shutdown(fd_, SHUT_WR); }

    void close() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

    bool eof() const noexcept { return eof_; }
    std::string const& received() const noexcept { return received_; }

    bool paused = false; ///< reads nothing: a client that does not read its responses

private:
    int fd_;
    bool eof_ = false;
    std::string received_;
};

/// Runs the worker until it has nothing ready, reading what it sends; and
/// nothing will be, but for the client: a password check the connection
/// may be waiting for has completed and run.
void drain(harness& h, client& c) {
    for (;;) {
        auto ran = h.worker.context().poll();
        c.receive();
        if (ran == 0 && h.may_wait_for_password_pool()) {
            h.wait_for_password_pool();
            ran = h.worker.context().poll();
            c.receive();
        }
        if (ran == 0)
            return;
    }
}

/// The deadline fires, as the worker's sweep would have it once its time
/// has come, if one is armed, and the server does what it does then. If the
/// client is not reading, the server may be blocked writing: the write
/// deadline closes it, and its responses are `cut` short, or never sent.
void time_passes(harness& h, client& c, connection_type& conn, bool& cut) {
    if (conn.deadline == http::detail::steady_time::max())
        return;
    conn.on_deadline(conn.deadline);
    drain(h, c);
    cut = cut || c.paused;
}

/// Sends all of `bytes`, running the server while the socket is full;
/// false when the server closed first. A client that reads nothing can fill
/// both directions: the server stops reading while its responses wait, and
/// then only its write deadline ends the wait (`cut`: responses may have
/// been cut short, or never sent).
bool send_all(harness& h, client& c, connection_type& conn, std::string_view bytes, bool& cut) {
    int stalled = 0;
    while (!bytes.empty()) {
        auto const n = c.send(bytes);
        if (!n)
            return false;
        bytes.remove_prefix(*n);
        drain(h, c);
        stalled = *n == 0 ? stalled + 1 : 0;
        if (stalled < 2)
            continue;
        require(c.paused, "a connection reads what it is sent, or closes");
        require(conn.deadline != http::detail::steady_time::max(),
                "a connection blocked on a client that does not read has a deadline armed");
        time_passes(h, c, conn, cut);
        stalled = 0;
    }
    drain(h, c);
    return true;
}

/// Once the client has closed its end: the connection closes too, and is
/// released; what it logged reaches the sink (which checks it).
void release(harness& h, client& c, std::shared_ptr<connection_type>& conn) {
    drain(h, c);
    require(conn.use_count() == 1, "a connection is released once its client has closed");
    conn.reset();
    require(h.worker.connections() == 0, "the worker forgets a closed connection");
    h.parts.log->flush();
}

/// What the responses said, for the store's counts and the guard.
struct tally {
    std::size_t users_created = 0;
    std::size_t orders_created = 0;
    std::size_t protected_shown = 0; ///< 200s showing a user, an order or a page
};

/// The scopes of the tokens in `payload` that verify: every maximal run of
/// token68 characters with two dots is tried, a superset of what the
/// bearer middleware can read out of an Authorization field.
struct scopes_held {
    bool read = false;
    bool write = false;
};

scopes_held verified_scopes(harness const& h, std::string_view payload) {
    auto const t68 = [](char ch) { return apikit::grammar::is_token68({&ch, 1}); }; // '=' is not
    scopes_held held;
    std::size_t i = 0;
    while (i < payload.size()) {
        if (!t68(payload[i])) {
            ++i;
            continue;
        }
        std::size_t const start = i;
        while (i < payload.size() && t68(payload[i]))
            ++i;
        auto const run = payload.substr(start, i - start);
        if (std::count(run.begin(), run.end(), '.') != 2)
            continue;
        if (auto const v = h.parts.auth->verifier().verify(run)) {
            held.read = held.read || (*v)->has_scope("read");
            held.write = held.write || (*v)->has_scope("write");
        }
    }
    return held;
}

void check_envelope(std::string_view body, std::string_view request_id) {
    boost::system::error_code ec;
    auto const v = json::parse(body, ec);
    require(!ec && v.is_object() && v.as_object().size() == 1,
            "an error response's body is a JSON object of one member");
    auto const* error = v.as_object().if_contains("error");
    require(error && error->is_object(), "an error response's body is {\"error\":{...}}");
    auto const& e = error->as_object();
    auto const* code = e.if_contains("code");
    auto const* message = e.if_contains("message");
    auto const* id = e.if_contains("request_id");
    require(code && code->is_string() && !code->as_string().empty(),
            "an error envelope has a code");
    require(message && message->is_string() && !message->as_string().empty(),
            "an error envelope has a message");
    require(id && id->is_string() && id->as_string() == request_id,
            "an error envelope names the response's X-Request-Id");
    auto const* details = e.if_contains("details");
    require(e.size() == 3u + (details ? 1u : 0u) && (!details || details->is_array()),
            "an error envelope has code, message, request_id and perhaps details");
}

/// Parses `bytes` as the responses of one connection and checks each.
/// A response whose Content-Length is not followed by as many bytes is
/// taken as the answer to a HEAD only when the input holds "HEAD"; the
/// last one may be incomplete only when the responses were `cut` (and
/// then a cut body may pass for the end of a HEAD's response).
tally check_responses(std::string_view bytes, bool may_head, bool cut) {
    tally t;
    while (!bytes.empty()) {
        if (cut && !bytes.starts_with("HTTP/1.1 "))
            break; // what is left of the last response, cut short
        require(bytes.starts_with("HTTP/1.1 "), "a response starts with HTTP/1.1");
        bhttp::response_parser<bhttp::string_body> p;
        p.eager(true);
        p.header_limit(64 * 1024);
        p.body_limit(16 * 1024 * 1024);
        boost::system::error_code ec;
        auto const n = p.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
        bool const head = may_head && p.is_header_done() && p.content_length().value_or(0) != 0 &&
                          (ec == bhttp::error::need_more || (!ec && !p.is_done()) ||
                           (!ec && std::string_view(p.get().body()).starts_with("HTTP/1.1 ")));
        std::size_t used = n;
        if (head) {
            bhttp::response_parser<bhttp::string_body> bodiless;
            bodiless.skip(true);
            bodiless.header_limit(64 * 1024);
            ec = {};
            used = bodiless.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
            require(!ec && bodiless.is_done(), "a response to HEAD parses");
            p.get() = bodiless.release();
        } else {
            if (cut && (ec == bhttp::error::need_more || (!ec && !p.is_done())))
                break; // the last response, cut short by the write deadline
            require(!ec, "a response parses, whole, as HTTP/1.1");
            require(p.is_done(), "a response is whole");
        }
        bytes.remove_prefix(used);

        auto const& res = p.get();
        auto const status = res.result_int();
        require(res.version() == 11, "a response is HTTP/1.1");
        require(status >= 100 && status <= 599, "a status is from 100 to 599");
        if (status < 200) {
            require(status == 100 && res.begin() == res.end(),
                    "an interim response is 100 Continue");
            continue;
        }
        require(status < 500 || status == 501, "no 5xx but 501 not_implemented");
        require(res.count(bhttp::field::content_length) == 1 ||
                    ((status == 204 || status == 304) && !res.count(bhttp::field::content_length)),
                "a response has one Content-Length");
        require(!res.count(bhttp::field::transfer_encoding), "a response is not chunked");
        require(res.count(bhttp::field::date) == 1, "a response has one Date");
        require(res.count("X-Request-Id") == 1, "a response has one X-Request-Id");
        auto const request_id = std::string_view(res["X-Request-Id"]);
        if (head)
            continue;
        std::string_view const body = res.body();
        if (status >= 400) {
            require(res[bhttp::field::content_type] == "application/json",
                    "an error response is application/json");
            check_envelope(body, request_id);
        } else if (status == 201) {
            boost::system::error_code jec;
            auto const v = json::parse(body, jec);
            require(!jec && v.is_object(), "a 201's body is a JSON object");
            auto const& o = v.as_object();
            bool const user = o.contains("email");
            bool const order = o.contains("item");
            require(user != order, "a 201 shows a user or an order");
            t.users_created += user ? 1 : 0;
            t.orders_created += order ? 1 : 0;
        } else if (status == 200) {
            boost::system::error_code jec;
            auto const v = json::parse(body, jec);
            if (!jec && v.is_object()) {
                auto const& o = v.as_object();
                t.protected_shown +=
                    o.contains("email") || o.contains("item") || o.contains("data") ? 1 : 0;
            }
        }
    }
    return t;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static harness& h = *new harness; // never destroyed: the worker outlives every input
    if (size == 0)
        return 0;
    auto const text = apikit_fuzz::as_text(data, size);
    auto const control = static_cast<std::uint8_t>(text[0] - '0');
    auto const cuts = std::min<std::size_t>(control & 0x07, text.size() - 1);

    h.reset();
    auto const users_before = h.user_count();
    auto const orders_before = h.order_count();
    std::string const payload = expand(text.substr(1 + cuts), h.ada_id);
    auto const d = plan(payload, control, text.substr(1, cuts));

    int fds[2];
    require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0,
            "socketpair");
    client c(fds[1]);
    c.paused = d.slow_reader;
    // The server's sends take some 4.5 KiB at a time (the kernel's least):
    // a batch of responses larger than that waits for the client to read.
    int const least = 1;
    ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &least, sizeof least);
    http::detail::socket_type socket(h.worker.context());
    boost::system::error_code ec;
    socket.assign(boost::asio::ip::tcp::v4(), fds[0], ec);
    require(!ec, "the server's end of the socketpair is assigned");
    auto conn = std::make_shared<connection_type>(h.worker, h.chain, std::move(socket));
    h.current = conn;
    conn->start();
    drain(h, c);

    bool open = true;
    bool cut = false;
    for (std::size_t i = 0; i < d.pieces.size() && open; ++i) {
        if (d.idle_trim) {
            // As the worker's sweep would, a sweep interval on: a
            // connection that is waiting for a request trims itself.
            conn->on_idle_trim(std::chrono::steady_clock::now() + 1h);
            drain(h, c);
        }
        if (d.shutdown && i + 1 == d.pieces.size()) {
            conn->on_shutdown();
            drain(h, c);
        }
        open = send_all(h, c, *conn, d.pieces[i], cut);
        if (d.time_passes && i == 0)
            time_passes(h, c, *conn, cut);
    }
    if (d.goes_away) {
        // It read nothing, so what was created is not known; but the
        // connection must notice, and go, and no order came of no token.
        c.close();
        release(h, c, conn);
        require(h.order_count() == orders_before || verified_scopes(h, payload).write,
                "no order is created without a token with write");
        return 0;
    }
    if (d.half_close) {
        c.half_close();
        drain(h, c);
    }
    // The client that does not read stalls for good: the connection's
    // deadline passes with its responses, perhaps, still unsent.
    if (c.paused)
        time_passes(h, c, *conn, cut);
    c.paused = false;
    drain(h, c);
    // Everything is sent: the connection has answered and closed (or is
    // closing), or it waits with a deadline armed, which answers or closes
    // once it fires. Lingering and idle waiting are deadlines too.
    for (int round = 0; !c.eof(); ++round) {
        require(round < 4, "a connection closes once its deadlines have passed");
        require(conn->deadline != http::detail::steady_time::max(),
                "a connection waiting for bytes has a deadline armed");
        time_passes(h, c, *conn, cut);
    }
    c.close(); // ends the lingering close
    release(h, c, conn);

    auto const t = check_responses(c.received(), payload.find("HEAD") != std::string::npos, cut);
    auto const users = h.user_count() - users_before;
    auto const orders = h.order_count() - orders_before;
    // Responses cut short or never sent may have created something: then
    // the 201s received are a lower bound.
    require(cut ? users >= t.users_created : users == t.users_created,
            "the users created are the 201s that show a user");
    require(cut ? orders >= t.orders_created : orders == t.orders_created,
            "the orders created are the 201s that show an order");
    if (orders != 0 || t.protected_shown != 0) { // verifying costs: only when it matters
        auto const held = verified_scopes(h, payload);
        require(orders == 0 || held.write, "no order is created without a token with write");
        require(t.protected_shown == 0 || held.read,
                "no user, order or page is shown without a token with read");
    }
    return 0;
}
