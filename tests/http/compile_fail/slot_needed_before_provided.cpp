// A layer that needs a slot no earlier layer provides: the chain does not
// compile, and says which rule it broke.
// expect: no layer before it provides
#include <apikit/http/context.hpp>
#include <apikit/http/middleware.hpp>

#include <string>

struct principal {
    std::string id;
};

struct authenticate {
    using provides = apikit::http::slots<principal>;
    apikit::http::flow on_request(apikit::http::exchange&) const {
        return apikit::http::flow::next;
    }
};

struct audit {
    using needs = apikit::http::slots<principal>;
    void on_response(apikit::http::exchange&) const {}
};

struct handler {
    void operator()(apikit::http::exchange&) const {}
};

// audit runs before authenticate has found anyone.
using wrong_order = apikit::http::chain<audit, authenticate, handler>;
wrong_order::exchange_type* instantiate = nullptr;
static_assert(sizeof(wrong_order) > 0);
