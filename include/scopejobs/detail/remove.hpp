#ifndef SCOPEJOBS_DETAIL_REMOVE_HPP
#define SCOPEJOBS_DETAIL_REMOVE_HPP

// The one place that removes files inside a dataset (upload cleanup,
// cascade deletes). It refuses any path outside its root and never follows
// a link below the root: a link is removed, not what it points to. The root
// itself may be a link a user made on purpose.

#include <scopejobs/detail/config.hpp>

#include <boost/system/errc.hpp>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace scopejobs::detail {

/// Removes `target` (a file, a link, or a folder and all it holds) when it
/// lies strictly inside `root`. Answers whether something was there; a
/// missing target is not an error. Fails with `invalid_argument` for a
/// target outside `root` (or `root` itself) and with `too_many_symbolic_
/// link_levels` when a folder on the way is a link.
bool remove_inside(const std::filesystem::path& root, const std::filesystem::path& target,
                   error_code& ec);

namespace remove_impl {

inline error_code last_error()
{
    return error_code(errno, boost::system::system_category());
}

struct fd_guard
{
    int fd = -1;
    ~fd_guard()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

// Removes the entry `name` of the folder `parent`, recursing into folders
// without following links.
inline void remove_entry(int parent, const char* name, error_code& ec)
{
    struct stat info;
    if (::fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
        ec = last_error();
        return;
    }
    if (!S_ISDIR(info.st_mode)) {
        if (::unlinkat(parent, name, 0) != 0)
            ec = last_error();
        return;
    }

    int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        ec = last_error();
        return;
    }
    DIR* folder = ::fdopendir(fd);
    if (folder == nullptr) {
        ec = last_error();
        ::close(fd);
        return;
    }

    // collect first: removing while reading a folder may skip entries
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(folder)) {
        std::string_view entry_name = entry->d_name;
        if (entry_name != "." && entry_name != "..")
            names.emplace_back(entry_name);
    }
    for (const auto& child : names) {
        remove_entry(fd, child.c_str(), ec);
        if (ec)
            break;
    }
    ::closedir(folder);

    if (!ec && ::unlinkat(parent, name, AT_REMOVEDIR) != 0)
        ec = last_error();
}

} // namespace remove_impl

inline bool remove_inside(const std::filesystem::path& root, const std::filesystem::path& target,
                          error_code& ec)
{
    using namespace remove_impl;
    ec = {};

    // the target, as names below the root
    auto relative = target.lexically_normal().lexically_relative(root.lexically_normal());
    std::vector<std::string> names;
    for (const auto& part : relative) {
        if (part.empty())
            continue;
        if (part == "." || part == "..") {
            names.clear();
            break;
        }
        names.push_back(part.string());
    }
    if (names.empty()) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return false;
    }

    // walk down without following links
    fd_guard folder{::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (folder.fd < 0) {
        if (errno == ENOENT)
            return false;
        ec = last_error();
        return false;
    }
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        int next =
            ::openat(folder.fd, names[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            if (errno == ENOENT)
                return false;
            ec = last_error(); // ELOOP for a link: never followed
            return false;
        }
        ::close(folder.fd);
        folder.fd = next;
    }

    // and remove the last name
    struct stat info;
    if (::fstatat(folder.fd, names.back().c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            ec = last_error();
        return false;
    }
    remove_entry(folder.fd, names.back().c_str(), ec);
    return true;
}

} // namespace scopejobs::detail

#endif
