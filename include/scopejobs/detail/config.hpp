#ifndef SCOPEJOBS_DETAIL_CONFIG_HPP
#define SCOPEJOBS_DETAIL_CONFIG_HPP

#include <scopejobs/version.hpp>

#include <boost/system/error_code.hpp>

namespace scopejobs {

/// The error type of every fallible call in the library.
using error_code = boost::system::error_code;

} // namespace scopejobs

#endif
