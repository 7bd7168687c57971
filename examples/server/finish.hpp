#ifndef APIKIT_SERVER_FINISH_HPP
#define APIKIT_SERVER_FINISH_HPP

// How a route that suspended its exchange answers: `finish` writes the
// response and resumes the exchange, from whatever thread the work it
// waited for completed on (the store's, the password pool's, the bus's).
// The exchange is not touched by its connection while it is suspended, so
// writing its response there is safe; the continuation posts the rest of
// the chain back to the connection.

#include <apikit/core/error.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/response.hpp>

#include <exception>

namespace sample::detail {

/// Runs `answer(response)` for a suspended exchange and resumes it: an
/// exception from `answer` is a 500, answered here, on whatever thread
/// this is.
template <class Answer>
void finish(apikit::http::exchange& ex, apikit::http::continuation& resume,
            Answer&& answer) noexcept {
    try {
        answer(ex.response());
    } catch (std::exception const& e) {
        ex.log_detail(e.what());
        ex.response().clear();
        ex.response().error(apikit::errc::internal_error);
    } catch (...) {
        ex.response().clear();
        ex.response().error(apikit::errc::internal_error);
    }
    resume();
}

} // namespace sample::detail

#endif
