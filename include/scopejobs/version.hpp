#ifndef SCOPEJOBS_VERSION_HPP
#define SCOPEJOBS_VERSION_HPP

// The version of this copy of scopejobs, as macros so that `#if` can test
// it. CMakeLists.txt and meson.build state the same version; the consumer
// projects under tests/consumers/ fail when the two disagree.

/// Raised when a release breaks code written for an earlier one (and,
/// before 1.0, `SCOPEJOBS_VERSION_MINOR` is raised instead).
#define SCOPEJOBS_VERSION_MAJOR 0

/// Raised when a release adds to the library.
#define SCOPEJOBS_VERSION_MINOR 1

/// Raised when a release only fixes what was there.
#define SCOPEJOBS_VERSION_PATCH 0

/// The version as one number, major * 10000 + minor * 100 + patch: 100 for
/// 0.1.0, 10203 for 1.2.3.
#define SCOPEJOBS_VERSION                                                                          \
    (SCOPEJOBS_VERSION_MAJOR * 10000 + SCOPEJOBS_VERSION_MINOR * 100 + SCOPEJOBS_VERSION_PATCH)

/// The version as text, "major.minor.patch".
#define SCOPEJOBS_VERSION_STRING "0.1.0"

#endif
