// Runs a fuzz target over its corpus, once each input, without libFuzzer: the
// ctest form of a fuzz target, so every target keeps compiling and every
// input it was ever given (seeds, and crashes once fixed) keeps passing.
//
//   apikit_fuzz_replay_<name> <file or directory>...
#include "fuzz.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        if (fs::is_directory(argv[i])) {
            for (auto const& e : fs::directory_iterator(argv[i]))
                if (e.is_regular_file())
                    inputs.push_back(e.path());
        } else {
            inputs.emplace_back(argv[i]);
        }
    }
    std::sort(inputs.begin(), inputs.end());
    if (inputs.empty()) {
        std::fprintf(stderr, "no inputs: give files or directories\n");
        return 2;
    }
    for (auto const& path : inputs) {
        std::ifstream in(path, std::ios::binary);
        std::string const bytes{std::istreambuf_iterator<char>(in), {}};
        auto const name = path.string();
        apikit_fuzz::replayed_input = name.c_str();
        LLVMFuzzerTestOneInput(reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size());
    }
    std::printf("%zu inputs replayed\n", inputs.size());
    return 0;
}
