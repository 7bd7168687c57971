#ifndef APIKIT_RATELIMIT_HPP
#define APIKIT_RATELIMIT_HPP

// apikit::ratelimit: token buckets (GCRA) and sliding windows, keyed, with
// per-key quotas, several limits per decision, the standard response headers
// and the client key behind proxies. No Beast, no Asio: the Asio wait is in
// <apikit/ratelimit/async_wait.hpp>, included on its own.

#include <apikit/ratelimit/client_key.hpp>
#include <apikit/ratelimit/gcra.hpp>
#include <apikit/ratelimit/headers.hpp>
#include <apikit/ratelimit/limit.hpp>
#include <apikit/ratelimit/limiter.hpp>
#include <apikit/ratelimit/memory_store.hpp>
#include <apikit/ratelimit/quota.hpp>
#include <apikit/ratelimit/sliding_window.hpp>
#include <apikit/ratelimit/store.hpp>
#include <apikit/ratelimit/token_bucket.hpp>

#endif
