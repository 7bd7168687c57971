#ifndef APIKIT_CORE_HPP
#define APIKIT_CORE_HPP

// apikit's core: the clock policy, error codes, random ids, base64url,
// constant-time comparison, HMAC and timestamps. No Beast, no Asio.

#include <apikit/core/base64url.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/constant_time.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/hmac.hpp>
#include <apikit/core/random.hpp>
#include <apikit/core/timestamp.hpp>

#endif
