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

#include <apikit/api/error_format.hpp>
#include <apikit/core/error.hpp>
#include <apikit/http/detail/connection.hpp>
#include <apikit/http/detail/worker.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/http/options.hpp>

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
    static_assert(detail::is_chain<Handler> || handler<Handler>,
                  "a server's Handler must be an apikit::http::chain or model "
                  "apikit::http::handler");
    static_assert(api::error_format<Format>,
                  "a server's Format must model apikit::api::error_format");

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
        auto& ioc = workers_.front()->context();
        acceptor_.emplace(ioc.get_executor());
        tcp::endpoint const ep(address, opts_.port);
        acceptor_->open(ep.protocol(), ec);
        if (!ec)
            acceptor_->set_option(boost::asio::socket_base::reuse_address(true), ec);
        if (!ec)
            acceptor_->bind(ep, ec);
        if (!ec)
            acceptor_->listen(opts_.backlog, ec);
        if (!ec)
            endpoint_ = acceptor_->local_endpoint(ec);
        if (ec) {
            acceptor_.reset();
            return ec;
        }
        accept_retry_.emplace(ioc.get_executor());
        if (opts_.handle_signals) {
            signals_.emplace(ioc.get_executor(), SIGINT, SIGTERM);
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
        boost::asio::post(workers_.front()->context(), [this] {
            boost::system::error_code ec;
            acceptor_->close(ec);
            accept_retry_->cancel();
            if (signals_)
                signals_->cancel();
        });
        for (auto& w : workers_)
            boost::asio::post(w->context(), [&w = *w] { w.begin_shutdown(); });
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

    chain_type const& handler() const noexcept { return chain_; }
    server_options const& options() const noexcept { return opts_; }

private:
    using tcp = boost::asio::ip::tcp;
    using connection_type = detail::connection<chain_type, Format>;

    void accept() {
        auto& w = *workers_[next_worker_];
        next_worker_ = (next_worker_ + 1) % workers_.size();
        // The socket is created on its worker's io_context; the connection
        // is built on the worker's thread, which alone touches its list.
        acceptor_->async_accept(
            w.context(), [this, &w](boost::system::error_code ec, detail::socket_type socket) {
                if (ec == boost::asio::error::operation_aborted || !acceptor_->is_open())
                    return;
                if (ec) {
                    // Out of descriptors or memory: back off rather than spin.
                    accept_retry_->expires_after(std::chrono::milliseconds(50));
                    accept_retry_->async_wait([this](boost::system::error_code e) {
                        if (!e && acceptor_->is_open())
                            accept();
                    });
                    return;
                }
                boost::asio::post(w.context(), [this, &w, s = std::move(socket)]() mutable {
                    std::make_shared<connection_type>(w, chain_, std::move(s))->start();
                });
                accept();
            });
    }

    server_options opts_;
    chain_type chain_;
    // Destroyed before the chain, which their connections refer to.
    std::vector<std::unique_ptr<detail::worker>> workers_;
    std::optional<detail::acceptor_type> acceptor_;
    std::optional<detail::timer_type> accept_retry_;
    std::optional<boost::asio::basic_signal_set<detail::executor_type>> signals_;
    std::vector<std::thread> threads_;
    tcp::endpoint endpoint_;
    std::size_t next_worker_ = 0;
    std::mutex stop_mutex_;
    std::atomic<bool> stopping_{false};
    bool started_ = false;
};

} // namespace apikit::http

#endif
