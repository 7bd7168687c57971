#ifndef APIKIT_REDIS_DETAIL_COMPLETION_HPP
#define APIKIT_REDIS_DETAIL_COMPLETION_HPP

// A completion handler, type-erased so that commands of every caller wait in
// one queue. Lighter than asio::any_completion_handler for this one use: the
// handler's own executor type is kept (no any_executor per call), its memory
// comes from its associated allocator (Asio's recycling allocator by
// default, as for Asio's own operations), and it is invoked through
// asio::dispatch on that executor, which runs it at once when the caller is
// already there — the connection's strand, by default.
//
// While it waits, the handler's executor counts it as outstanding work, as
// Asio's own operations do, so an io_context running only the handler does
// not return early.

#include <boost/asio/append.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/recycling_allocator.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace apikit::redis::detail {

template <class... Args>
class completion {
public:
    completion() noexcept = default;

    /// Takes `handler`; `io_executor` is where it runs if it names no
    /// executor of its own.
    template <class Handler, class IoExecutor>
    completion(Handler&& handler, IoExecutor const& io_executor)
        : p_(node<std::decay_t<Handler>, IoExecutor>::make(std::forward<Handler>(handler),
                                                           io_executor)) {}

    completion(completion&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    completion& operator=(completion&& o) noexcept {
        if (this != &o) {
            reset();
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    ~completion() { reset(); }

    [[nodiscard]] explicit operator bool() const noexcept { return p_ != nullptr; }

    /// Hands `args` to the handler through its executor; empties this. The
    /// memory is freed first, so the handler may start a new operation that
    /// reuses it.
    void operator()(Args... args) {
        auto* p = std::exchange(p_, nullptr);
        p->complete(p, std::move(args)...);
    }

private:
    struct base {
        void (*complete)(base*, Args...);
        void (*destroy)(base*) noexcept;
    };

    template <class Handler, class IoExecutor>
    struct node final : base {
        using executor_type = boost::asio::associated_executor_t<Handler, IoExecutor>;
        using work_type = std::decay_t<decltype(boost::asio::prefer(
            std::declval<executor_type const&>(),
            boost::asio::execution::outstanding_work.tracked))>;
        using allocator_type = typename std::allocator_traits<boost::asio::associated_allocator_t<
            Handler, boost::asio::recycling_allocator<void>>>::template rebind_alloc<node>;

        node(Handler&& h, IoExecutor const& io)
            : base{&do_complete, &do_destroy}
            , work(boost::asio::prefer(boost::asio::get_associated_executor(h, io),
                                       boost::asio::execution::outstanding_work.tracked))
            , handler(std::move(h)) {}

        [[nodiscard]] static base* make(Handler&& h, IoExecutor const& io) {
            allocator_type alloc(
                boost::asio::get_associated_allocator(h, boost::asio::recycling_allocator<void>()));
            node* p = std::allocator_traits<allocator_type>::allocate(alloc, 1);
            try {
                std::allocator_traits<allocator_type>::construct(alloc, p, std::move(h), io);
            } catch (...) {
                std::allocator_traits<allocator_type>::deallocate(alloc, p, 1);
                throw;
            }
            return p;
        }

        // The node's memory is given back through the allocator of a live
        // handler, moved out of the node first (as Asio's own operations
        // do): a moved-from handler may have no allocator, and
        // any_completion_handler's refers to the handler it came from.
        static allocator_type allocator_of(Handler const& h) noexcept {
            return allocator_type(
                boost::asio::get_associated_allocator(h, boost::asio::recycling_allocator<void>()));
        }

        static void free(node* p, allocator_type alloc) noexcept {
            std::allocator_traits<allocator_type>::destroy(alloc, p);
            std::allocator_traits<allocator_type>::deallocate(alloc, p, 1);
        }

        static void do_complete(base* b, Args... args) {
            auto* self = static_cast<node*>(b);
            Handler h(std::move(self->handler));
            work_type w(std::move(self->work));
            free(self, allocator_of(h));
            boost::asio::dispatch(w, boost::asio::append(std::move(h), std::move(args)...));
        }

        static void do_destroy(base* b) noexcept {
            auto* self = static_cast<node*>(b);
            Handler h(std::move(self->handler));
            free(self, allocator_of(h));
        }

        work_type work;
        Handler handler;
    };

    void reset() noexcept {
        if (auto* p = std::exchange(p_, nullptr))
            p->destroy(p);
    }

    base* p_ = nullptr;
};

} // namespace apikit::redis::detail

#endif
