#ifndef SCOPEJOBS_DETAIL_CONFIG_HPP
#define SCOPEJOBS_DETAIL_CONFIG_HPP

#include <boost/system/error_code.hpp>

/// The library's version, as major * 10000 + minor * 100 + patch.
#define SCOPEJOBS_VERSION 100

namespace scopejobs {

/// The error type of every fallible call in the library.
using error_code = boost::system::error_code;

} // namespace scopejobs

#endif
