// docs/api.md lists every errc with its status, code and message. The table
// is written by hand for readers; this test holds it to apikit::info, the
// one table, so the documentation cannot drift from the code.
#include <apikit/core/error.hpp>

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef APIKIT_SOURCE_DIR
#error "tests/api/CMakeLists.txt defines APIKIT_SOURCE_DIR"
#endif

namespace {

std::string read_file(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The rows of the Markdown table whose header line is `header`.
std::vector<std::string> table_rows(std::string const& doc, std::string const& header) {
    std::vector<std::string> rows;
    auto at = doc.find("\n" + header + "\n");
    REQUIRE_MESSAGE(at != std::string::npos, "no table headed `" << header << "`");
    std::istringstream lines(doc.substr(at + header.size() + 2));
    std::string line;
    std::getline(lines, line); // the |---| line
    CHECK(line.starts_with("|-"));
    while (std::getline(lines, line) && line.starts_with("|"))
        rows.push_back(line);
    return rows;
}

} // namespace

TEST_CASE("docs/api.md: the errors table is apikit::info, row for row") {
    auto const doc = read_file(APIKIT_SOURCE_DIR "/docs/api.md");
    auto const rows = table_rows(doc, "| code | status | message |");
    std::vector<std::string> expected;
    for (std::size_t v = 1; v < apikit::detail::errc_table.size(); ++v) {
        auto const& row = apikit::info(static_cast<apikit::errc>(v));
        expected.push_back(fmt::format("| `{}` | {} | {} |", row.code, row.status, row.message));
    }
    CHECK(rows.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(expected[i]);
        REQUIRE(i < rows.size());
        CHECK(rows[i] == expected[i]);
    }
}
