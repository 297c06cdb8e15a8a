#ifndef SCOPEJOBS_DETAIL_DATA_LOCK_HPP
#define SCOPEJOBS_DETAIL_DATA_LOCK_HPP

#include <scopejobs/detail/config.hpp>

#include <boost/system/errc.hpp>

#include <cerrno>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace scopejobs::detail {

/// An advisory lock on `{data}/.scopejobs.lock`, held while the object
/// lives: one server owns a data folder. A second one fails to take it
/// with `device_or_resource_busy`.
class data_lock
{
public:
    data_lock() = default;
    data_lock(const data_lock&) = delete;
    data_lock& operator=(const data_lock&) = delete;
    ~data_lock() { release(); }

    void acquire(const std::filesystem::path& data_dir, error_code& ec)
    {
        ec = {};
        release();
        std::error_code made;
        std::filesystem::create_directories(data_dir, made);
        auto path = data_dir / ".scopejobs.lock";
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd_ < 0) {
            ec = error_code(errno, boost::system::system_category());
            return;
        }
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            ec = errno == EWOULDBLOCK
                     ? make_error_code(boost::system::errc::device_or_resource_busy)
                     : error_code(errno, boost::system::system_category());
            release();
        }
    }

    bool held() const noexcept { return fd_ >= 0; }

    void release() noexcept
    {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

} // namespace scopejobs::detail

#endif
