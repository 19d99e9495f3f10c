#include "wedesk/common/random.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace wedesk {

namespace {
constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
}

std::uint64_t Random::Below(std::uint64_t bound) {
    if (bound <= 1) {
        return 0;
    }
    // Rejection sampling: discard the top partial range so every value is equally likely.
    const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    for (;;) {
        std::array<std::uint8_t, 8> b{};
        Fill(b);
        std::uint64_t v = 0;
        for (auto byte : b) {
            v = (v << 8) | byte;
        }
        if (v < limit) {
            return v % bound;
        }
    }
}

std::string Random::Alnum(std::size_t n) {
    std::string out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(kAlnum[Below(kAlnum.size())]);
    }
    return out;
}

std::string Random::Digits(std::size_t n) {
    std::string out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(static_cast<char>('0' + Below(10)));
    }
    return out;
}

void OpenSslRandom::Fill(std::span<std::uint8_t> out) {
    if (out.empty()) {
        return;
    }
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
        std::fputs("wedesk: fatal: the OpenSSL CSPRNG failed\n", stderr);
        std::abort();
    }
}

}  // namespace wedesk
