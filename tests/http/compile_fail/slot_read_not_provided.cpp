// A hook that reads a slot its chain does not carry does not compile, and
// says what to add.
// expect: no layer of this chain provides this slot
#include <apikit/http/context.hpp>
#include <apikit/http/middleware.hpp>

struct principal {
    int id = 0;
};
struct trace {
    int span = 0;
};

struct reads_principal {
    template <class Exchange>
    void on_response(Exchange& ex) const {
        (void)apikit::http::slot<principal>(ex).id;
    }
};

struct provides_trace {
    using provides = apikit::http::slots<trace>;
    apikit::http::flow on_request(apikit::http::exchange&) const {
        return apikit::http::flow::next;
    }
};

int main() {
    apikit::http::exchange_with<trace>* ex = nullptr;
    reads_principal{}.on_response(*ex);
}
