#ifndef APIKIT_AUTH_HPP
#define APIKIT_AUTH_HPP

// apikit::auth: JSON Web Tokens (RFC 7519) signed and verified with HS256,
// RS256, ES256 and EdDSA through OpenSSL 3, each key bound to one algorithm;
// key sets with rotation, published and loaded as JWKS; a verifier with a
// cache of verified tokens; the access-token issuer; opaque refresh tokens
// rotated on every use with reuse detection, in a store of their own; the
// refresh cookie; and passwords under a slow KDF. No Beast, no Asio: the
// middleware (<apikit/auth/middleware.hpp>), the password pool
// (<apikit/auth/password_pool.hpp>) and the Redis store
// (<apikit/auth/redis_refresh_store.hpp>) are included on their own.

#include <apikit/auth/algorithm.hpp>
#include <apikit/auth/claims.hpp>
#include <apikit/auth/cookie.hpp>
#include <apikit/auth/error.hpp>
#include <apikit/auth/issuer.hpp>
#include <apikit/auth/jwks.hpp>
#include <apikit/auth/jwt.hpp>
#include <apikit/auth/key.hpp>
#include <apikit/auth/key_set.hpp>
#include <apikit/auth/memory_refresh_store.hpp>
#include <apikit/auth/password.hpp>
#include <apikit/auth/refresh_store.hpp>
#include <apikit/auth/refresh_token.hpp>
#include <apikit/auth/refresh_tokens.hpp>
#include <apikit/auth/verification_cache.hpp>
#include <apikit/auth/verifier.hpp>

#endif
