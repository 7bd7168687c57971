#ifndef APIKIT_OBS_HPP
#define APIKIT_OBS_HPP

// apikit::obs: structured JSON logs with levels and the request's context,
// metrics for Prometheus, W3C trace context. No Beast, no Asio: the HTTP
// middleware (tracing, RED metrics, the server's figures) are in
// <apikit/obs/middleware.hpp>, <apikit/obs/http_metrics.hpp> and
// <apikit/obs/server_metrics.hpp>, and a Redis connection's figures in
// <apikit/obs/redis_metrics.hpp>, included on their own.

#include <apikit/obs/level.hpp>
#include <apikit/obs/logger.hpp>
#include <apikit/obs/metrics.hpp>
#include <apikit/obs/prometheus.hpp>
#include <apikit/obs/trace_context.hpp>

#endif
