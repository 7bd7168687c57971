#ifndef APIKIT_HTTP_HPP
#define APIKIT_HTTP_HPP

// apikit's HTTP layer: the Beast server, the middleware chain, the first
// middlewares (request id, access log, rate limit), routes and JSON bodies.

#include <apikit/http/access_log.hpp>
#include <apikit/http/app.hpp>
#include <apikit/http/exchange.hpp>
#include <apikit/http/json.hpp>
#include <apikit/http/log_sink.hpp>
#include <apikit/http/log_writer.hpp>
#include <apikit/http/message.hpp>
#include <apikit/http/middleware.hpp>
#include <apikit/http/options.hpp>
#include <apikit/http/rate_limit.hpp>
#include <apikit/http/request.hpp>
#include <apikit/http/request_id.hpp>
#include <apikit/http/response.hpp>
#include <apikit/http/server.hpp>

#endif
