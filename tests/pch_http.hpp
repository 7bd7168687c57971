// Precompiled for test areas that use the HTTP layer: the core set plus Beast.
#include "pch_core.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
