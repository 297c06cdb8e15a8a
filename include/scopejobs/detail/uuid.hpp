#ifndef SCOPEJOBS_DETAIL_UUID_HPP
#define SCOPEJOBS_DETAIL_UUID_HPP

#include <cstdint>
#include <random>
#include <string>

namespace scopejobs::detail {

/// A random (version 4) UUID in its canonical 36-character form. Each
/// thread draws from its own generator, seeded once from the system.
inline std::string random_uuid()
{
    thread_local std::mt19937_64 generator{[] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device()};
        return std::mt19937_64{seed};
    }()};

    std::uint64_t high = generator(), low = generator();
    high = (high & ~std::uint64_t(0xF000)) | 0x4000;                      // version 4
    low = (low & ~(std::uint64_t(0xC) << 60)) | std::uint64_t(0x8) << 60; // variant 1

    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    auto put = [&](std::uint64_t bits, int from, int to) {
        for (int nibble = from; nibble > to; --nibble)
            out += hex[(bits >> (4 * (nibble - 1))) & 15];
    };
    put(high, 16, 8);
    out += '-';
    put(high, 8, 4);
    out += '-';
    put(high, 4, 0);
    out += '-';
    put(low, 16, 12);
    out += '-';
    put(low, 12, 0);
    return out;
}

} // namespace scopejobs::detail

#endif
