// auth::error: what a client is answered for each code (401 for a token that
// does not verify, whatever the reason; 403 for a missing scope; 500 for a
// key the server itself was given wrong), and that no code leaks into the
// backend-outage condition.

#include <apikit/auth/error.hpp>

#include <doctest/doctest.h>

#include <boost/system/error_code.hpp>

#include <string>

namespace auth = apikit::auth;
using apikit::errc;

TEST_CASE("auth::error: every token failure is a 401, a missing scope a 403, a bad key a 500") {
    using E = auth::error;
    for (auto e :
         {E::malformed, E::token_too_large, E::unsupported_algorithm, E::algorithm_mismatch,
          E::unknown_key, E::bad_signature, E::expired, E::not_yet_valid, E::issued_in_future,
          E::wrong_type, E::wrong_issuer, E::wrong_audience, E::missing_claim, E::missing_token,
          E::invalid_credentials, E::refresh_invalid, E::refresh_reused}) {
        CAPTURE(static_cast<int>(e));
        CHECK(apikit::to_errc(make_error_code(e)) == errc::unauthorized);
        CHECK(apikit::http_status(make_error_code(e)) == 401);
    }
    CHECK(apikit::to_errc(make_error_code(E::insufficient_scope)) == errc::forbidden);
    for (auto e : {E::invalid_key, E::invalid_jwks, E::key_cannot_sign})
        CHECK(apikit::to_errc(make_error_code(e)) == errc::internal_error);
}

TEST_CASE("auth::error: its category is apikit.auth and its messages name the reason") {
    boost::system::error_code const ec = auth::error::expired;
    CHECK(std::string(ec.category().name()) == "apikit.auth");
    CHECK(ec.message() == "auth: the token has expired");
    CHECK(ec != apikit::condition::backend_unavailable);
    CHECK(ec.category() == auth::error_category());
}
