#ifndef SCOPEJOBS_DETAIL_PATH_HPP
#define SCOPEJOBS_DETAIL_PATH_HPP

// The check every name that becomes one component of a path must pass:
// dataset names, job ids and artifact ids. Stores refuse names that fail
// it; routes answer 400 with the reason.

#include <scopejobs/detail/config.hpp>

#include <boost/system/errc.hpp>

#include <string_view>

namespace scopejobs::detail {

/// Why `name` is not one safe path component, as a short phrase such as
/// "is empty" or "contains '/'", or an empty view when it is safe. The
/// phrase completes a message of the form `Invalid {parameter}: {reason}`.
///
/// A safe component is non-empty; holds no `/`, `\`, NUL or other control
/// character (bytes below 0x20, and 0x7F); is not `.` or `..`; and starts
/// with neither `.` (a hidden file) nor `-` (which a tool would read as an
/// option). Spaces, dots after the first byte and non-ASCII bytes are
/// allowed.
constexpr std::string_view why_unsafe(std::string_view name) noexcept;

/// True when `name` is one safe path component (see `why_unsafe`).
constexpr bool is_safe_component(std::string_view name) noexcept
{
    return why_unsafe(name).empty();
}

/// True when both names of a job are safe path components; otherwise sets
/// `ec` to `invalid_argument` and answers false.
inline bool check_job_names(std::string_view dataset, std::string_view id, error_code& ec) noexcept;

constexpr std::string_view why_unsafe(std::string_view name) noexcept
{
    // whole-name rules
    if (name.empty())
        return "is empty";
    if (name == "." || name == "..")
        return name.size() == 1 ? "is '.'" : "is '..'";
    if (name.front() == '.')
        return "starts with '.'";
    if (name.front() == '-')
        return "starts with '-'";

    // byte rules
    for (char c : name) {
        auto byte = static_cast<unsigned char>(c);
        if (byte == '/')
            return "contains '/'";
        if (byte == '\\')
            return "contains '\\'";
        if (byte == 0)
            return "contains a NUL byte";
        if (byte < 0x20 || byte == 0x7F)
            return "contains a control character";
    }
    return {};
}

inline bool check_job_names(std::string_view dataset, std::string_view id, error_code& ec) noexcept
{
    if (is_safe_component(dataset) && is_safe_component(id))
        return true;
    ec = make_error_code(boost::system::errc::invalid_argument);
    return false;
}

} // namespace scopejobs::detail

#endif
