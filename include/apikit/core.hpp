#ifndef APIKIT_CORE_HPP
#define APIKIT_CORE_HPP

// apikit's core: the clock policy, error codes, random ids, base64url,
// constant-time comparison, HMAC, SipHash, JSON string escaping,
// timestamps, the HTTP grammar every header parser reads, the batched log
// writer with its sinks, and the sharded table of per-key state. No Beast,
// no Asio.

#include <apikit/core/base64url.hpp>
#include <apikit/core/clock.hpp>
#include <apikit/core/clock_ref.hpp>
#include <apikit/core/constant_time.hpp>
#include <apikit/core/error.hpp>
#include <apikit/core/error_category.hpp>
#include <apikit/core/hmac.hpp>
#include <apikit/core/hmac_key.hpp>
#include <apikit/core/http_grammar.hpp>
#include <apikit/core/json_string.hpp>
#include <apikit/core/log_sink.hpp>
#include <apikit/core/log_writer.hpp>
#include <apikit/core/random.hpp>
#include <apikit/core/sharded_table.hpp>
#include <apikit/core/siphash.hpp>
#include <apikit/core/timestamp.hpp>

#endif
