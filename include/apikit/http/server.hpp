#ifndef APIKIT_HTTP_SERVER_HPP
#define APIKIT_HTTP_SERVER_HPP

// The HTTP/1.1 server: N worker threads, each with its own event loop and
// its own connections, behind one acceptor that deals new connections out in
// turn. Requests go through a chain of middleware to a handler (see
// middleware.hpp); errors become envelopes in the format `Format`
// (api::envelope_format unless told otherwise).
//
//   http::server server{opts, http::chain{http::request_id{}, log, std::move(app)}};
//   if (auto r = server.start(); !r) { /* r.error(): the address is taken, … */ }
//   server.wait(); // until SIGINT/SIGTERM, or server.stop(), has drained it
//
// stop() is a graceful shutdown: the acceptor closes, idle keep-alive
// connections close, requests in flight finish (their responses say
// `Connection: close`), and whatever is left when the grace period ends is
// closed, so that wait() returns within it.
//
// stats() tells what each worker has done (stats.hpp): connections, requests,
// the server's own error responses, busy time; a monitoring layer reads it
// (obs/server_metrics.hpp), the server knows no metrics library.

#include <apikit/api/error_format.hpp>
#include <apikit/core/error.hpp>
#include <apikit/http/detail/connection.hpp>
#include <apikit/http/detail/worker.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/http/options.hpp>
#include <apikit/http/stats.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace apikit::http {

template <class Handler, class Format = api::envelope_format>
class server {
    static_assert(detail::is_chain<Handler> ||
                      handler<Handler, typename detail::handler_exchange<Handler>::type>,
                  "apikit::http::server's Handler must be an apikit::http::chain or model "
                  "apikit::http::handler");
    static_assert(api::error_format<Format>,
                  "apikit::http::server's Format must model apikit::api::error_format");

public:
    /// The chain requests run through: `Handler` itself, or a chain of it alone.
    using chain_type = std::conditional_t<detail::is_chain<Handler>, Handler, chain<Handler>>;

    /// Throws std::invalid_argument for options no server can run with
    /// (no thread, a zero limit or timeout).
    server(server_options opts, Handler handler)
        : opts_(std::move(opts))
        , chain_(std::move(handler)) {
        using namespace std::chrono_literals;
        if (opts_.threads == 0 || opts_.header_limit == 0 || opts_.header_timeout <= 0ms ||
            opts_.body_timeout <= 0ms || opts_.idle_timeout <= 0ms || opts_.write_timeout <= 0ms ||
            opts_.shutdown_grace < 0ms)
            throw std::invalid_argument("apikit::http::server: invalid options");
        workers_.reserve(opts_.threads);
        for (unsigned i = 0; i < opts_.threads; ++i)
            workers_.push_back(std::make_unique<detail::worker>(opts_));
    }

    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// Stops gracefully and waits.
    ~server() {
        stop();
        wait();
    }

    /// Binds, listens, and starts the worker threads. An address that does
    /// not parse, or cannot be bound, is the error.
    result<void> start() {
        if (started_)
            return make_error_code(boost::system::errc::operation_in_progress);
        boost::system::error_code ec;
        auto const address = boost::asio::ip::make_address(opts_.address, ec);
        if (ec)
            return ec;
        // One listening socket, on the first worker; it deals connections
        // out to the workers in turn.
        auto bound = workers_.front()->listen(tcp::endpoint(address, opts_.port), opts_.backlog);
        if (!bound)
            return bound.error();
        tcp::endpoint const ep = *bound;
        endpoint_ = ep;
        if (opts_.handle_signals) {
            signals_.emplace(workers_.front()->context().get_executor(), SIGINT, SIGTERM);
            signals_->async_wait([this](boost::system::error_code e, int) {
                if (!e)
                    stop();
            });
        }
        started_ = true;
        accept();
        for (auto& w : workers_)
            threads_.emplace_back([&w = *w] { w.run(); });
        return {};
    }

    /// Begins a graceful shutdown; from any thread, any number of times.
    void stop() noexcept {
        std::lock_guard lock(stop_mutex_);
        if (!started_ || stopping_.exchange(true))
            return;
        if (signals_)
            boost::asio::post(workers_.front()->context(), [this] {
                boost::system::error_code ec;
                signals_->cancel(ec);
            });
        for (auto& w : workers_)
            boost::asio::post(w->context(), [&w = *w] {
                w.close_acceptor();
                w.begin_shutdown();
            });
    }

    /// Blocks until every worker has finished: after stop() (or a signal),
    /// within the grace period.
    void wait() {
        for (auto& t : threads_)
            if (t.joinable())
                t.join();
    }

    /// start() then wait().
    result<void> run() {
        if (auto r = start(); !r)
            return r;
        wait();
        return {};
    }

    /// The address and port the server listens on (the port the kernel
    /// chose when the options said 0), once started.
    boost::asio::ip::tcp::endpoint local_endpoint() const noexcept { return endpoint_; }
    std::uint16_t port() const noexcept { return endpoint_.port(); }

    /// Every worker's figures, from any thread, at any time (before start()
    /// they are zeros; after wait() they stay what they were).
    [[nodiscard]] server_stats stats() const {
        server_stats s;
        s.workers.reserve(workers_.size());
        for (auto const& w : workers_)
            s.workers.push_back(w->stats());
        return s;
    }

    chain_type const& handler() const noexcept { return chain_; }
    server_options const& options() const noexcept { return opts_; }

private:
    using tcp = boost::asio::ip::tcp;
    using connection_type = detail::connection<chain_type, Format>;

    // Runs on the first worker's thread. A socket is registered with the
    // reactor of the thread that accepted it, and a reactor of this server
    // is only ever touched by its own thread; so a connection for another
    // worker leaves this reactor as a bare descriptor and is registered
    // again, by its worker, on its worker's thread.
    void accept() {
        auto& first = *workers_.front();
        first.acceptor().async_accept(
            [this, &first](boost::system::error_code ec, detail::socket_type socket) {
                if (ec == boost::asio::error::operation_aborted || !first.acceptor().is_open())
                    return;
                if (ec) {
                    // Out of descriptors or memory: back off rather than spin.
                    first.counters().refused.bump();
                    first.retry_accept_after(std::chrono::milliseconds(50), [this] { accept(); });
                    return;
                }
                auto& w = *workers_[next_worker_];
                next_worker_ = (next_worker_ + 1) % workers_.size();
                if (&w == &first) {
                    w.dealt();
                    std::make_shared<connection_type>(w, chain_, std::move(socket))->start();
                } else {
                    boost::system::error_code e;
                    auto const protocol = socket.local_endpoint(e).protocol();
                    detail::unique_fd fd(socket.release(e));
                    if (e) {
                        first.counters().refused.bump();
                    } else {
                        w.dealt(); // the worker counts what becomes of it
                        boost::asio::post(
                            w.context(), [this, &w, protocol, fd = std::move(fd)]() mutable {
                                detail::socket_type s(w.context());
                                boost::system::error_code ae;
                                s.assign(protocol, fd.get(), ae);
                                if (ae) {
                                    w.counters().lost.bump();
                                    w.counters().refused.bump();
                                    return; // fd closes with its holder
                                }
                                fd.release();
                                std::make_shared<connection_type>(w, chain_, std::move(s))->start();
                            });
                    }
                }
                accept();
            });
    }

    server_options opts_;
    chain_type chain_;
    // Destroyed before the chain, which their connections refer to.
    std::vector<std::unique_ptr<detail::worker>> workers_;
    std::optional<boost::asio::basic_signal_set<detail::executor_type>> signals_;
    std::vector<std::thread> threads_;
    tcp::endpoint endpoint_;
    std::size_t next_worker_ = 0;
    std::mutex stop_mutex_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> started_{false};
};

} // namespace apikit::http

#endif
