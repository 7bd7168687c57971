// Precompiled for every test binary: doctest, the standard library, and the
// heavy headers the core and API patterns use.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <boost/system/result.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
