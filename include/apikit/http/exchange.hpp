#ifndef APIKIT_HTTP_EXCHANGE_HPP
#define APIKIT_HTTP_EXCHANGE_HPP

// One request and its response as they pass through the middleware chain,
// with what a middleware needs besides them: when the request started, the
// client's address, the connection's executor, and a way to suspend the chain
// and resume it later (an asynchronous middleware or handler).
//
// A connection owns one exchange and reuses it for each of its requests, so
// nothing here is allocated per request.

#include <apikit/core/log_context.hpp>
#include <apikit/http/request.hpp>
#include <apikit/http/response.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace apikit::http {

/// What a middleware's `on_request` tells the chain.
enum class flow {
    next,    ///< go on to the next layer
    respond, ///< the response is set: skip the rest, send it
    pending, ///< the layer called `exchange::suspend()`; its continuation decides
};

class exchange;
class continuation;

namespace detail {

/// The connection behind an exchange, as the exchange sees it.
class exchange_owner {
public:
    /// Keeps the connection alive while a continuation is outstanding.
    virtual std::shared_ptr<void> keep_alive() = 0;
    /// Called on the connection's executor after a continuation resumed the
    /// chain, which may or may not have completed the exchange.
    virtual void exchange_resumed() = 0;
    /// The size of the body the owner sends for `ex`'s error response (see
    /// `exchange::response_body_size`), rendered in the owner's format.
    [[nodiscard]] virtual std::size_t error_body_size(exchange const& ex) = 0;

protected:
    ~exchange_owner() = default;
};

using resume_fn = void (*)(void const* chain, exchange& ex, flow f);

} // namespace detail

template <class... Layers>
class chain;

class exchange {
public:
    using executor_type = boost::asio::io_context::executor_type;
    using time_point = std::chrono::steady_clock::time_point;

    exchange(executor_type ex, detail::exchange_owner& owner) noexcept
        : executor_(std::move(ex))
        , owner_(&owner) {}
    exchange(exchange const&) = delete;
    exchange& operator=(exchange const&) = delete;

    http::request& request() noexcept { return request_; }
    http::request const& request() const noexcept { return request_; }
    http::response& response() noexcept { return response_; }
    http::response const& response() const noexcept { return response_; }

    /// When the request's header was complete (steady clock).
    [[nodiscard]] time_point start_time() const noexcept { return start_; }
    /// The TCP peer's address and port: the client's, or a proxy's when
    /// the client is behind one (X-Forwarded-For is the rate limiter's to
    /// read, against its trusted proxies). Port 0 when the peer is unknown.
    [[nodiscard]] boost::asio::ip::tcp::endpoint const& remote_endpoint() const noexcept {
        return remote_;
    }
    /// The bytes of body the server sends for the response as it stands:
    /// the body, or the envelope it renders for an error; none for a HEAD
    /// request, a 204 or a 304, which carry none (RFC 9112 §6.3). An
    /// error's envelope is otherwise rendered when the response is sent, so
    /// for an error this renders it now, to measure it; the server's
    /// connection sends that rendering unless a layer changes the error since.
    [[nodiscard]] std::size_t response_body_size() const {
        auto const status = response_.status();
        if (status == 204 || status == 304 || request_.method() == api::method::head)
            return 0;
        if (response_.error())
            return owner_->error_body_size(*this);
        return response_.body().size();
    }
    /// The executor of the connection: every layer runs on it.
    [[nodiscard]] executor_type const& executor() const noexcept { return executor_; }

    /// Text for the server's log only, never for the client: what an
    /// exception said, why a request was refused. The access log writes it.
    [[nodiscard]] std::string_view log_detail() const noexcept { return log_detail_; }
    void log_detail(std::string_view text) { log_detail_.assign(text); }

    /// The request's structured log fields (the trace, the user, what a
    /// handler adds): the access log's line and every line logged for the
    /// request carry them. Cleared for each request, its memory kept.
    [[nodiscard]] apikit::log_context& log_context() noexcept { return log_context_; }
    [[nodiscard]] apikit::log_context const& log_context() const noexcept { return log_context_; }

    /// Suspends the chain at the current layer. The layer returns
    /// `flow::pending` (a handler simply returns) and later calls the
    /// continuation, from any thread, exactly once.
    [[nodiscard]] continuation suspend();
    [[nodiscard]] bool suspended() const noexcept { return suspended_; }
    /// True once the response is final and every on_response hook has run.
    [[nodiscard]] bool completed() const noexcept { return completed_; }

    /// Starts the next request: called by the connection.
    void reset(time_point start, boost::asio::ip::tcp::endpoint const& remote) noexcept {
        ++generation_;
        response_.clear();
        log_detail_.clear();
        log_context_.clear();
        start_ = start;
        remote_ = remote;
        depth_ = 0;
        suspended_ = false;
        completed_ = false;
        unwinding_ = false;
    }

private:
    template <class... Layers>
    friend class chain;
    friend class continuation;

    http::request request_;
    http::response response_;
    executor_type executor_;
    detail::exchange_owner* owner_;
    boost::asio::ip::tcp::endpoint remote_;
    time_point start_{};
    std::string log_detail_;
    apikit::log_context log_context_;
    std::uint64_t generation_ = 0;
    // The chain's position: which layers' on_response hooks are due, and
    // where a continuation resumes.
    void const* chain_ = nullptr;
    detail::resume_fn resume_ = nullptr;
    std::size_t depth_ = 0;
    bool suspended_ = false;
    bool completed_ = false;
    bool unwinding_ = false;
};

/// Resumes a suspended chain. Move-only; call it once, from any thread: the
/// chain goes on, on the connection's executor, with `flow::next` (run the
/// next layer; after a handler, send the response) or `flow::respond` (send
/// the response as it is now). A continuation destroyed without being called
/// answers its request with a 500 rather than leave it hanging; it must be
/// called or destroyed before the server is.
class continuation {
public:
    continuation(continuation&& o) noexcept
        : keep_(std::move(o.keep_))
        , ex_(std::exchange(o.ex_, nullptr))
        , chain_(o.chain_)
        , resume_(o.resume_)
        , generation_(o.generation_) {}
    continuation& operator=(continuation&& o) noexcept {
        if (this != &o) {
            drop();
            keep_ = std::move(o.keep_);
            ex_ = std::exchange(o.ex_, nullptr);
            chain_ = o.chain_;
            resume_ = o.resume_;
            generation_ = o.generation_;
        }
        return *this;
    }
    ~continuation() { drop(); }

    void operator()(flow f = flow::next) {
        assert(ex_ && "an apikit::http::continuation is called once");
        assert(f != flow::pending);
        if (ex_)
            post(f == flow::pending ? flow::respond : f);
    }

private:
    friend class exchange;
    continuation(std::shared_ptr<void> keep, exchange& ex) noexcept
        : keep_(std::move(keep))
        , ex_(&ex)
        , chain_(ex.chain_)
        , resume_(ex.resume_)
        , generation_(ex.generation_) {}

    // flow::pending tells the chain that the continuation was dropped.
    void drop() noexcept {
        if (!ex_)
            return;
        try {
            post(flow::pending);
        } catch (...) {
            // Out of memory: the request is answered when its connection closes.
        }
    }

    void post(flow f) {
        auto* ex = std::exchange(ex_, nullptr);
        // Always posted, never run inline: a layer that resumes before it has
        // returned would otherwise re-enter the chain under its own feet.
        boost::asio::post(ex->executor_, [keep = std::move(keep_), ex, chain = chain_,
                                          resume = resume_, gen = generation_, f] {
            // A continuation that outlived its request (the connection was
            // closed at shutdown) finds a later generation and does nothing.
            if (ex->generation_ != gen || !ex->suspended_)
                return;
            ex->suspended_ = false;
            resume(chain, *ex, f);
            ex->owner_->exchange_resumed();
        });
    }

    std::shared_ptr<void> keep_;
    exchange* ex_;
    void const* chain_;
    detail::resume_fn resume_;
    std::uint64_t generation_;
};

inline continuation exchange::suspend() {
    assert(!suspended_ && !completed_ && resume_);
    suspended_ = true;
    return continuation(owner_->keep_alive(), *this);
}

} // namespace apikit::http

#endif
