// What every fuzz target shares: the libFuzzer entry point's signature, and a
// check that stops the run with a message when a property does not hold
// (libFuzzer keeps the input that stopped it).
#ifndef APIKIT_FUZZ_FUZZ_HPP
#define APIKIT_FUZZ_FUZZ_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

namespace apikit_fuzz {

inline std::string_view as_text(std::uint8_t const* data, std::size_t size) noexcept {
    return {reinterpret_cast<char const*>(data), size};
}

/// The file being replayed (replay_main.cpp), for the message of a broken
/// property; null under libFuzzer, which names the input itself.
inline char const* replayed_input = nullptr;

/// Aborts, naming the property (and the input being replayed), unless `ok`.
inline void require(bool ok, char const* property) {
    if (!ok) {
        std::fprintf(stderr, "apikit fuzz: property broken: %s\n", property);
        if (replayed_input)
            std::fprintf(stderr, "apikit fuzz: input: %s\n", replayed_input);
        std::abort();
    }
}

} // namespace apikit_fuzz

#endif
