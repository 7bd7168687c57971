// REST resource routes: a router from method and path to a handler, typed
// path parameters, 404 and 405 with Allow. Quoted by docs/api.md.
#include <apikit/api/error_format.hpp>
#include <apikit/api/router.hpp>

#include <fmt/core.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace api = apikit::api;

// [handler]
// A handler here returns a body or an api_error; the HTTP layer's handler
// type carries the request and the response instead, the routing is the same.
using handler = std::function<api::api_result<std::string>(api::path_params const&)>;
// [handler]

int main() {
    // [routes]
    api::router<handler> routes;
    routes.add(api::method::get, "/users", [](auto const&) { return std::string("[users]"); })
        .add(api::method::post, "/users", [](auto const&) { return std::string("created"); })
        .add(api::method::get, "/users/:id",
             [](api::path_params const& p) -> api::api_result<std::string> {
                 auto const id = p.get<std::string_view>("id").value();
                 return fmt::format("user {}", id);
             })
        .add(api::method::get, "/users/:id/orders/:number",
             [](api::path_params const& p) -> api::api_result<std::string> {
                 auto const number = p.get<std::int64_t>("number");
                 if (!number) // not a canonical integer: errc::not_found
                     return api::api_error(number.error());
                 return fmt::format("order {} of {}", *number, *p.find("id"));
             });
    // [routes]

    // [dispatch]
    auto dispatch = [&](api::method m,
                        std::string_view target) -> std::pair<unsigned, std::string> {
        auto const found = routes.match(m, target);
        api::api_result<std::string> body =
            found ? found->handler()(found->params()) : found.error().to_api_error();
        if (body)
            return {200, std::move(*body)};
        auto error = std::move(body).error();
        error.request_id = "req_4UM1pQy0r8hV3kX9cTn2Lb"; // the HTTP layer's request id
        if (!found && !found.error().allowed.empty())    // a 405: the Allow header
            fmt::print("Allow: {}\n", found.error().allowed.to_string());
        return {error.status(), api::render(error)};
    };
    std::pair<api::method, std::string_view> const requests[] = {
        {api::method::get, "/users/user_42"},
        {api::method::get, "/users/user_42/orders/7?expand=items"},
        {api::method::get, "/users/user_42/orders/007"},
        {api::method::head, "/users/"},
        {api::method::delete_, "/users"},
        {api::method::get, "/nope"},
    };
    for (auto const& [m, target] : requests) {
        auto const [status, body] = dispatch(m, target);
        fmt::print("{} {} -> {} {}\n", api::to_string(m), target, status, body);
    }
    // [dispatch]
}
