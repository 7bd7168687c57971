#ifndef APIKIT_HTTP_HPP
#define APIKIT_HTTP_HPP

// apikit's HTTP layer: the Beast server, the middleware chain and the
// per-request context its layers share, the request id and access log,
// routes and JSON bodies. Each pattern area's middleware is in
// <apikit/<area>/middleware.hpp> (<apikit/ratelimit/middleware.hpp>, …).

#include <apikit/http/access_log.hpp>
#include <apikit/http/app.hpp>
#include <apikit/http/context.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/json.hpp>
#include <apikit/http/message.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/http/options.hpp>
#include <apikit/http/request.hpp>
#include <apikit/http/request_id.hpp>
#include <apikit/http/response.hpp>
#include <apikit/http/server.hpp>

#endif
