#ifndef APIKIT_API_HPP
#define APIKIT_API_HPP

// apikit's API patterns: the error envelope and its renderings, cursor and
// offset pagination with their query parameters and cursor codecs, and REST
// resource routes. No Beast, no Asio: the HTTP layer builds on these.

#include <apikit/api/cursor.hpp>
#include <apikit/api/cursor_page.hpp>
#include <apikit/api/error.hpp>
#include <apikit/api/error_format.hpp>
#include <apikit/api/keyset.hpp>
#include <apikit/api/method.hpp>
#include <apikit/api/offset_page.hpp>
#include <apikit/api/query_param.hpp>
#include <apikit/api/router.hpp>
#include <apikit/api/signed_cursor.hpp>

#endif
