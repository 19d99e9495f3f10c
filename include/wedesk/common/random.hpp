#pragma once
/// Random: cryptographically secure random bytes (OpenSSL RAND_bytes in production), behind an
/// interface so tests can make output reproducible.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wedesk {

class Random {
public:
    virtual ~Random() = default;
    /// Fills `out` with random bytes. Aborts the process if the CSPRNG fails (never silently weak).
    virtual void Fill(std::span<std::uint8_t> out) = 0;

    /// `n` characters from [A-Za-z0-9], uniformly (rejection sampling).
    std::string Alnum(std::size_t n);
    /// `n` decimal digits, uniformly (rejection sampling). Used for SMS codes.
    std::string Digits(std::size_t n);
    /// Uniform integer in [0, bound).
    std::uint64_t Below(std::uint64_t bound);
};

class OpenSslRandom final : public Random {
public:
    void Fill(std::span<std::uint8_t> out) override;
};

}  // namespace wedesk
