#ifndef SCOPEJOBS_TESTS_FUZZ_CHECK_HPP
#define SCOPEJOBS_TESTS_FUZZ_CHECK_HPP

// What every fuzzer shares: a check that ends the run as a finding when an
// invariant does not hold, saying which one and where.

#include <cstdio>
#include <cstdlib>

/// Aborts, which libFuzzer reports as a crash and saves the input, when
/// `condition` is false.
#define SCOPEJOBS_FUZZ_CHECK(condition)                                                            \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

#endif
