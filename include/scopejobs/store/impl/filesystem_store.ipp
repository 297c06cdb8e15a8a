#ifndef SCOPEJOBS_STORE_IMPL_FILESYSTEM_STORE_IPP
#define SCOPEJOBS_STORE_IMPL_FILESYSTEM_STORE_IPP

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace scopejobs {

namespace detail {

// The error the last failed POSIX call left in errno.
inline error_code last_error() noexcept
{
    return error_code(errno, boost::system::system_category());
}

// Repeats a POSIX call for as long as a signal interrupts it.
template <class Call>
auto retry_on_eintr(Call call) noexcept
{
    decltype(call()) result;
    do {
        result = call();
    } while (result == -1 && errno == EINTR);
    return result;
}

// Owns a file descriptor and closes it once.
class file_descriptor
{
public:
    explicit file_descriptor(int fd = -1) noexcept : fd_(fd) {}
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;
    ~file_descriptor()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

    // Closes now, reporting what `close` says (a delayed write error, for
    // example). The descriptor is gone whatever the outcome.
    void close(error_code& ec) noexcept
    {
        int fd = fd_;
        fd_ = -1;
        if (fd >= 0 && ::close(fd) != 0 && errno != EINTR)
            ec = last_error();
    }

private:
    int fd_;
};

// Writes all of `text`, resuming after short writes.
inline void write_all(int fd, std::string_view text, error_code& ec) noexcept
{
    while (!text.empty()) {
        auto written = retry_on_eintr([&] { return ::write(fd, text.data(), text.size()); });
        if (written < 0) {
            ec = last_error();
            return;
        }
        text.remove_prefix(std::size_t(written));
    }
}

inline void sync_file(int fd, error_code& ec) noexcept
{
    if (retry_on_eintr([&] { return ::fsync(fd); }) != 0)
        ec = last_error();
}

// Flushes a folder's entries, so that a rename in it survives a crash.
inline void sync_folder(const std::filesystem::path& folder, error_code& ec) noexcept
{
    file_descriptor dir(
        retry_on_eintr([&] { return ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
    if (!dir) {
        ec = last_error();
        return;
    }
    sync_file(dir.get(), ec);
    dir.close(ec);
}

// A fast generator for the names of temporary files: splitmix64, seeded
// per thread from the clock, the process and the thread's own state.
inline std::uint64_t next_random() noexcept
{
    thread_local std::uint64_t state = [] {
        auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        auto self = reinterpret_cast<std::uintptr_t>(&state);
        return std::uint64_t(now) ^ (std::uint64_t(::getpid()) << 32) ^ std::uint64_t(self);
    }();
    std::uint64_t z = (state += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

// `.{id}.{8 hex digits}.tmp`: hidden, and not ending in `.json`.
inline std::string temporary_name(std::string_view id)
{
    static constexpr char hex[] = "0123456789abcdef";
    auto bits = next_random();
    std::string name;
    name.reserve(id.size() + 14);
    name += '.';
    name += id;
    name += '.';
    for (int i = 0; i < 8; ++i, bits >>= 4)
        name += hex[bits & 15];
    name += ".tmp";
    return name;
}

// Opens `path` with `flags` (which include O_CREAT), creating its folder
// and the folders above it when the first attempt finds one missing.
inline int open_creating_folder(const std::filesystem::path& path, int flags, error_code& ec)
{
    auto attempt = [&] {
        return retry_on_eintr([&] { return ::open(path.c_str(), flags, 0666); });
    };
    int fd = attempt();
    if (fd < 0 && errno == ENOENT) {
        std::error_code created;
        std::filesystem::create_directories(path.parent_path(), created);
        if (created) {
            ec = error_code(created.value(), boost::system::system_category());
            return -1;
        }
        fd = attempt();
    }
    if (fd < 0)
        ec = last_error();
    return fd;
}

// Opens a folder for reading its entries; the stream owns the descriptor.
using folder_stream = std::unique_ptr<DIR, int (*)(DIR*)>;

inline folder_stream open_folder(const std::filesystem::path& folder) noexcept
{
    int fd =
        retry_on_eintr([&] { return ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    DIR* dir = fd < 0 ? nullptr : ::fdopendir(fd);
    if (dir == nullptr && fd >= 0)
        ::close(fd);
    return folder_stream(dir, &::closedir);
}

// True for a name `list` reads: `*.json`, not hidden.
inline bool is_job_file_name(std::string_view name) noexcept
{
    return name.size() > 5 && name.front() != '.' && name.ends_with(".json");
}

// The version of a file as `stat` describes it.
inline file_version version_of(const struct stat& st) noexcept
{
    return file_version{std::uint64_t(st.st_ino),        std::int64_t(st.st_size),
                        std::int64_t(st.st_mtim.tv_sec), std::int64_t(st.st_mtim.tv_nsec),
                        std::int64_t(st.st_ctim.tv_sec), std::int64_t(st.st_ctim.tv_nsec)};
}

} // namespace detail

inline filesystem_store::filesystem_store(std::filesystem::path data_dir, log_sink log)
    : data_dir_(std::move(data_dir)), log_(log ? std::move(log) : null_sink())
{}

inline filesystem_store::~filesystem_store()
{
    if (notify_fd_ >= 0)
        ::close(notify_fd_);
}

inline std::filesystem::path filesystem_store::jobs_dir(std::string_view dataset) const
{
    auto folder = data_dir_ / dataset;
    folder /= "jobs";
    return folder;
}

inline std::filesystem::path filesystem_store::file_path(std::string_view dataset,
                                                         std::string_view id,
                                                         std::string_view extension) const
{
    std::string name;
    name.reserve(id.size() + extension.size());
    name += id;
    name += extension;
    auto path = jobs_dir(dataset);
    path /= name;
    return path;
}

inline std::filesystem::path filesystem_store::record_path(std::string_view dataset,
                                                           std::string_view id) const
{
    return file_path(dataset, id, ".json");
}

inline std::filesystem::path filesystem_store::log_path(std::string_view dataset,
                                                        std::string_view id) const
{
    return file_path(dataset, id, ".log");
}

inline void filesystem_store::write(const job_record& record, bool sync, error_code& ec)
{
    ec = {};
    if (!detail::check_job_names(record.dataset, record.id, ec))
        return;
    auto text = job_to_text(record);
    auto target = record_path(record.dataset, record.id);

    // a new temporary file; a name already taken is drawn again
    constexpr int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
    std::filesystem::path temporary;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        ec = {};
        temporary = target.parent_path() / detail::temporary_name(record.id);
        fd = detail::open_creating_folder(temporary, flags, ec);
        if (fd < 0 && ec != boost::system::errc::file_exists)
            return;
    }
    if (fd < 0)
        return;
    detail::file_descriptor file(fd);

    // its contents, then the rename that publishes them
    detail::write_all(file.get(), text, ec);
    if (!ec && sync)
        detail::sync_file(file.get(), ec);
    struct stat written
    {};
    bool known = !ec && ::fstat(file.get(), &written) == 0;
    auto inode = written.st_ino;
    file.close(ec);
    if (!ec && ::rename(temporary.c_str(), target.c_str()) != 0)
        ec = detail::last_error();
    if (ec) {
        ::unlink(temporary.c_str());
        return;
    }

    // the index learns the file as written, without reading it; the rename
    // changed its change time, so that is taken again, from the name, while
    // the name still holds this file
    auto name = target.filename().native();
    if (known && ::lstat(target.c_str(), &written) == 0 && written.st_ino == inode) {
        std::lock_guard lock(index_mutex_);
        auto& index = index_of(record.dataset);
        index_record(index, name, detail::version_of(written),
                     std::make_shared<const std::string>(std::move(text)), index.scans);
    }

    if (sync)
        detail::sync_folder(target.parent_path(), ec);
}

inline void filesystem_store::append_log(std::string_view dataset, std::string_view id,
                                         std::string_view text, error_code& ec)
{
    ec = {};
    if (!detail::check_job_names(dataset, id, ec) || text.empty())
        return;

    constexpr int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
    detail::file_descriptor file(detail::open_creating_folder(log_path(dataset, id), flags, ec));
    if (!file)
        return;
    detail::write_all(file.get(), text, ec);
    file.close(ec);
}

namespace detail {

// Reads the job file `name`, relative to the folder `dir_fd` (or to the
// working folder for AT_FDCWD), into `buffer`, which grows as needed and is
// reused across calls. Answers the length read, and the file's identity in
// `version` whenever it could be had. A file that does not exist fails with
// `no_such_file_or_directory`, a folder with `is_a_directory`, a symbolic
// link with `too_many_symbolic_link_levels`.
inline std::size_t read_job_file(int dir_fd, const char* name, std::string& buffer,
                                 file_version& version, error_code& ec)
{
    version = {};
    struct stat st;

    // open without following a link, and without blocking on a fifo
    constexpr int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    file_descriptor file(retry_on_eintr([&] { return ::openat(dir_fd, name, flags); }));
    if (!file) {
        ec = last_error();
        if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            version = version_of(st);
        return 0;
    }
    if (::fstat(file.get(), &st) != 0) {
        ec = last_error();
        return 0;
    }
    version = version_of(st);
    if (!S_ISREG(st.st_mode)) {
        ec = make_error_code(S_ISDIR(st.st_mode) ? boost::system::errc::is_a_directory
                                                 : boost::system::errc::operation_not_supported);
        return 0;
    }

    // one spare byte, so that a file of the size fstat saw ends in one pass
    std::size_t length = 0;
    if (buffer.size() < std::size_t(st.st_size) + 1)
        buffer.resize(std::size_t(st.st_size) + 1);
    for (;;) {
        if (length == buffer.size())
            buffer.resize(buffer.size() * 2);
        auto count = retry_on_eintr(
            [&] { return ::read(file.get(), buffer.data() + length, buffer.size() - length); });
        if (count < 0) {
            ec = last_error();
            return 0;
        }
        if (count == 0)
            return length;
        length += std::size_t(count);
    }
}

} // namespace detail

inline std::optional<job_record> filesystem_store::read(std::string_view dataset,
                                                        std::string_view id, error_code& ec) const
{
    namespace errc = boost::system::errc;
    ec = {};
    if (!detail::check_job_names(dataset, id, ec))
        return std::nullopt;

    std::string buffer;
    detail::file_version version;
    auto path = record_path(dataset, id);
    auto length = detail::read_job_file(AT_FDCWD, path.c_str(), buffer, version, ec);
    if (ec == errc::no_such_file_or_directory || ec == errc::not_a_directory) {
        ec = {};
        return std::nullopt;
    }
    if (ec)
        return std::nullopt;

    auto record = job_from_text(std::string_view(buffer.data(), length), ec);
    if (ec)
        return std::nullopt;
    return record;
}

inline std::optional<std::string>
filesystem_store::read_text(std::string_view dataset, std::string_view id, error_code& ec) const
{
    ec = {};
    if (!detail::check_job_names(dataset, id, ec))
        return std::nullopt;

    // the version on disk; the text of the index when it is that one (the
    // path built as a plain string: this runs on every poll)
    std::string name(id);
    name += ".json";
    std::string path = data_dir_.native();
    if (!path.empty() && path.back() != '/')
        path += '/';
    path.append(dataset).append("/jobs/").append(name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            std::lock_guard lock(index_mutex_);
            if (auto index = index_.find(dataset); index != index_.end())
                unindex_record(index->second, name);
            return std::nullopt;
        }
    } else if (S_ISREG(st.st_mode)) {
        std::lock_guard lock(index_mutex_);
        auto index = index_.find(dataset);
        if (index != index_.end()) {
            auto& files = index->second.files;
            auto found = files.find(name);
            if (found != files.end() && found->second.version == detail::version_of(st))
                return *found->second.text;
        }
    }

    // read, parse and index it; a file that is not a regular one fails there
    detail::file_version version;
    std::string buffer;
    auto length = detail::read_job_file(AT_FDCWD, path.c_str(), buffer, version, ec);
    namespace errc = boost::system::errc;
    if (ec == errc::no_such_file_or_directory || ec == errc::not_a_directory) {
        ec = {};
        return std::nullopt;
    }
    if (ec)
        return std::nullopt;
    auto record = job_from_text(std::string_view(buffer.data(), length), ec);
    if (ec)
        return std::nullopt;
    auto text = std::make_shared<const std::string>(job_to_text(record));
    std::lock_guard lock(index_mutex_);
    auto& index = index_of(dataset);
    index_record(index, name, version, text, index.scans);
    return *text;
}

inline std::optional<std::string> filesystem_store::read_log(std::string_view dataset,
                                                             std::string_view id,
                                                             std::uint64_t offset, std::size_t max,
                                                             error_code& ec) const
{
    ec = {};
    if (!detail::check_job_names(dataset, id, ec))
        return std::nullopt;

    int fd = ::open(log_path(dataset, id).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            ec = error_code(errno, boost::system::system_category());
        return std::nullopt;
    }

    // one pread loop from the offset, up to `max` bytes
    std::string text(max, '\0');
    std::size_t got = 0;
    while (got < max) {
        ssize_t n = ::pread(fd, text.data() + got, max - got, off_t(offset + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ec = error_code(errno, boost::system::system_category());
            break;
        }
        if (n == 0)
            break;
        got += std::size_t(n);
    }
    ::close(fd);
    text.resize(got);
    if (ec)
        return std::nullopt;
    return text;
}

inline std::vector<job_record> filesystem_store::list(std::string_view dataset) const
{
    namespace errc = boost::system::errc;
    std::vector<job_record> records;
    if (!detail::is_safe_component(dataset))
        return records;

    // the folder, opened once; every file is opened relative to it
    auto folder = jobs_dir(dataset);
    auto dir = detail::open_folder(folder);
    if (!dir)
        return records;
    int fd = ::dirfd(dir.get());

    std::string buffer;
    std::vector<std::string> still_bad;
    while (const dirent* entry = ::readdir(dir.get())) {
        std::string_view name = entry->d_name;
        if (!detail::is_job_file_name(name) || entry->d_type == DT_DIR)
            continue;

        // read and parse; a file gone since readdir, or a folder, is no job
        error_code ec;
        detail::file_version version;
        auto length = detail::read_job_file(fd, entry->d_name, buffer, version, ec);
        if (ec == errc::no_such_file_or_directory || ec == errc::is_a_directory)
            continue;
        if (!ec) {
            auto record = job_from_text(std::string_view(buffer.data(), length), ec);
            if (!ec) {
                records.push_back(std::move(record));
                continue;
            }
        }

        // a bad file: say so once per version
        still_bad.emplace_back(name);
        if (remember_bad_file(dataset, name, version))
            log_(log_level::warning,
                 "skipping unreadable job file " + (folder / name).string() + ": " + ec.message());
    }
    dir.reset();

    forget_bad_files_except(dataset, still_bad);
    return records;
}

inline std::string filesystem_store::list_text(std::string_view dataset) const
{
    namespace errc = boost::system::errc;
    auto dir = detail::is_safe_component(dataset) ? detail::open_folder(jobs_dir(dataset))
                                                  : detail::folder_stream(nullptr, &::closedir);
    if (!dir)
        return "[]";
    int fd = ::dirfd(dir.get());
    struct stat folder
    {};
    bool folder_known = ::fstat(fd, &folder) == 0;

    std::string body = "[";
    auto append = [&](std::string_view text) {
        if (body.size() > 1)
            body += ", ";
        body += text;
    };

    // While the change events account for every change since the last full
    // scan, the index is the listing: only the files they named are looked
    // at again. The texts are taken under the lock and joined after it.
    detail::record_index* index = nullptr;
    std::uint64_t scan = 0;
    bool watched = false;
    int watch = -1;
    std::uint64_t refusals = 0, overflows = 0;
    {
        std::vector<std::shared_ptr<const std::string>> texts;
        bool from_index = false;
        {
            std::lock_guard lock(index_mutex_);
            index = &index_of(dataset);
            read_change_events();
            if (index->whole && folder_known && index->folder_device == folder.st_dev &&
                index->folder_inode == folder.st_ino)
                refresh_changed(dataset, *index, fd);
            else
                index->whole = false;
            if (index->whole) {
                texts.reserve(index->files.size());
                for (const auto& file : index->files)
                    texts.push_back(file.second.text);
                body.reserve(index->last_list_bytes + 1024);
                from_index = true;
            } else {
                // a full scan: this listing's number, the folder watched
                // before its entries are read, what is known of changes
                // from here on cleared
                scan = ++index->scans;
                index->changed.clear();
                watched = folder_known && watch_folder(dataset, *index, fd);
                index->folder_device = folder.st_dev;
                index->folder_inode = folder.st_ino;
                watch = index->watch;
                refusals = index->refusals;
                overflows = overflows_;
                body.reserve(index->last_list_bytes + 1024);
            }
        }
        if (from_index) {
            for (const auto& text : texts)
                append(*text);
            body += ']';
            return body;
        }
    }

    // the texts found, by file name, joined in that order as the index is
    std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> found_texts;
    std::string buffer;
    std::vector<std::string> still_bad;
    bool complete = true; // every good file indexed
    while (const dirent* entry = ::readdir(dir.get())) {
        std::string_view name = entry->d_name;
        if (!detail::is_job_file_name(name) || entry->d_type == DT_DIR)
            continue;

        // the file's version: the index answers for a file it knows
        struct stat st;
        if (::fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
            continue;
        auto version = detail::version_of(st);
        if (S_ISREG(st.st_mode)) {
            std::lock_guard lock(index_mutex_);
            auto found = index->files.find(name);
            if (found != index->files.end() && found->second.version == version) {
                found->second.scan = scan;
                found_texts.emplace_back(name, found->second.text);
                continue;
            }
        }
        if (is_known_bad_file(dataset, name, version)) {
            still_bad.emplace_back(name);
            continue;
        }

        // read, parse, index; a file gone since readdir, or a folder, is no job
        error_code ec;
        auto length = detail::read_job_file(fd, entry->d_name, buffer, version, ec);
        if (ec == errc::no_such_file_or_directory || ec == errc::is_a_directory)
            continue;
        if (!ec) {
            auto record = job_from_text(std::string_view(buffer.data(), length), ec);
            if (!ec) {
                auto text = std::make_shared<const std::string>(job_to_text(record));
                found_texts.emplace_back(name, text);
                std::lock_guard lock(index_mutex_);
                complete = index_record(*index, name, version, std::move(text), scan) && complete;
                continue;
            }
        }

        // a bad file: say so once per version
        still_bad.emplace_back(name);
        if (remember_bad_file(dataset, name, version))
            log_(log_level::warning, "skipping unreadable job file " +
                                         (jobs_dir(dataset) / name).string() + ": " + ec.message());
    }
    dir.reset();
    forget_bad_files_except(dataset, still_bad);
    std::sort(found_texts.begin(), found_texts.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& found : found_texts)
        append(*found.second);

    // what this listing did not find is gone, unless a later listing or a
    // write has seen it since this one began; the index is whole when the
    // watch stood, and nothing was refused or lost, for the whole scan
    {
        std::lock_guard lock(index_mutex_);
        std::erase_if(index->files, [&](const auto& file) {
            bool gone = file.second.scan < scan;
            if (gone)
                index_bytes_ -= file.second.text->size();
            return gone;
        });
        index->last_list_bytes = body.size();
        index->whole = watched && complete && index->watch == watch &&
                       index->refusals == refusals && overflows_ == overflows &&
                       index->scans == scan;
    }
    body += ']';
    return body;
}

inline void filesystem_store::set_index_budget(std::size_t bytes)
{
    std::lock_guard lock(index_mutex_);
    index_budget_ = bytes;
    for (auto& [dataset, index] : index_) {
        auto dropped = std::erase_if(index.files, [&](const auto& file) {
            bool over = index_bytes_ > index_budget_;
            if (over)
                index_bytes_ -= file.second.text->size();
            return over;
        });
        if (dropped != 0) {
            index.whole = false;
            ++index.refusals;
        }
    }
}

inline std::size_t filesystem_store::index_bytes() const
{
    std::lock_guard lock(index_mutex_);
    return index_bytes_;
}

inline void filesystem_store::set_change_events(bool on)
{
    std::lock_guard lock(index_mutex_);
    change_events_ = on;
    if (!on)
        drop_watches();
}

inline detail::record_index& filesystem_store::index_of(std::string_view dataset) const
{
    auto found = index_.find(dataset);
    if (found == index_.end())
        found = index_.emplace(std::string(dataset), detail::record_index{}).first;
    return found->second;
}

inline bool filesystem_store::index_record(detail::record_index& index, std::string_view name,
                                           const detail::file_version& version,
                                           std::shared_ptr<const std::string> text,
                                           std::uint64_t scan) const
{
    unindex_record(index, name);
    if (index_bytes_ + text->size() > index_budget_) {
        index.whole = false;
        ++index.refusals;
        return false;
    }
    index_bytes_ += text->size();
    index.files.emplace(std::string(name), detail::indexed_record{version, std::move(text), scan});
    return true;
}

inline void filesystem_store::unindex_record(detail::record_index& index,
                                             std::string_view name) const
{
    auto found = index.files.find(name);
    if (found == index.files.end())
        return;
    index_bytes_ -= found->second.text->size();
    index.files.erase(found);
}

inline bool filesystem_store::watch_folder(std::string_view dataset, detail::record_index& index,
                                           int dir_fd) const
{
    // only where every change passes through this kernel
    struct statfs fs
    {};
    if (!change_events_ || ::fstatfs(dir_fd, &fs) != 0)
        return false;
    switch (fs.f_type) {
    case EXT4_SUPER_MAGIC: // ext2 and ext3 too
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case TMPFS_MAGIC:
        break;
    default:
        return false;
    }
    if (notify_fd_ < 0) {
        if (notify_failed_)
            return false;
        notify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (notify_fd_ < 0) {
            notify_failed_ = true;
            return false;
        }
    }

    constexpr std::uint32_t mask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE |
                                   IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                                   IN_ONLYDIR;
    auto path = jobs_dir(dataset);
    int wd = ::inotify_add_watch(notify_fd_, path.c_str(), mask);
    if (wd < 0)
        return false;
    if (index.watch >= 0 && index.watch != wd) {
        // the folder was replaced: the old watch is of no use
        ::inotify_rm_watch(notify_fd_, index.watch);
        watched_.erase(index.watch);
        index.watch = -1;
    }

    // one folder seen under two names (a linked dataset) tells its changes
    // to only one of them; and the name must still lead to the folder read
    auto owner = watched_.try_emplace(wd, dataset).first;
    if (owner->second != dataset)
        return false;
    index.watch = wd;
    struct stat now;
    struct stat opened;
    return ::stat(path.c_str(), &now) == 0 && ::fstat(dir_fd, &opened) == 0 &&
           now.st_dev == opened.st_dev && now.st_ino == opened.st_ino;
}

inline void filesystem_store::read_change_events() const
{
    if (notify_fd_ < 0)
        return;
    alignas(inotify_event) char events[16384];
    for (;;) {
        auto length = ::read(notify_fd_, events, sizeof events);
        if (length < 0 && errno == EINTR)
            continue;
        if (length < 0 && errno == EAGAIN)
            return;
        if (length <= 0) {
            // what was missed cannot be told
            drop_watches();
            return;
        }
        for (std::size_t at = 0; at < std::size_t(length);) {
            const auto* event = reinterpret_cast<const inotify_event*>(events + at);
            at += sizeof(inotify_event) + event->len;
            if (event->mask & IN_Q_OVERFLOW) {
                ++overflows_;
                for (auto& entry : index_)
                    entry.second.whole = false;
                continue;
            }
            auto watch = watched_.find(event->wd);
            if (watch == watched_.end())
                continue;
            auto& index = index_of(watch->second);
            if (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
                index.whole = false;
                if (event->mask & IN_IGNORED) {
                    if (index.watch == event->wd)
                        index.watch = -1;
                    watched_.erase(watch);
                }
                continue;
            }
            if (event->len != 0) {
                std::string_view name(event->name);
                if (detail::is_job_file_name(name))
                    index.changed.emplace(name);
            }
        }
    }
}

inline void filesystem_store::refresh_changed(std::string_view dataset, detail::record_index& index,
                                              int dir_fd) const
{
    namespace errc = boost::system::errc;
    std::string buffer;
    auto changed = std::move(index.changed);
    index.changed.clear();
    for (const auto& name : changed) {
        struct stat st;
        if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT) {
                index.whole = false;
                return;
            }
            unindex_record(index, name);
            continue;
        }
        auto version = detail::version_of(st);
        if (S_ISREG(st.st_mode)) {
            auto found = index.files.find(name);
            if (found != index.files.end() && found->second.version == version)
                continue;
        }
        unindex_record(index, name);
        if (S_ISDIR(st.st_mode) || is_known_bad_file(dataset, name, version))
            continue;

        error_code ec;
        auto length = detail::read_job_file(dir_fd, name.c_str(), buffer, version, ec);
        if (ec == errc::no_such_file_or_directory || ec == errc::is_a_directory)
            continue;
        if (!ec) {
            auto record = job_from_text(std::string_view(buffer.data(), length), ec);
            if (!ec) {
                auto text = std::make_shared<const std::string>(job_to_text(record));
                if (!index_record(index, name, version, std::move(text), index.scans))
                    return;
                continue;
            }
        }
        // a bad file, logged by the full scan that this brings back, so
        // that the line is written outside the index's lock
        index.whole = false;
        return;
    }
}

inline void filesystem_store::drop_watches() const
{
    if (notify_fd_ >= 0)
        ::close(notify_fd_);
    notify_fd_ = -1;
    watched_.clear();
    for (auto& entry : index_) {
        entry.second.watch = -1;
        entry.second.whole = false;
        entry.second.changed.clear();
    }
}

inline bool filesystem_store::is_known_bad_file(std::string_view dataset, std::string_view name,
                                                const detail::file_version& version) const
{
    std::lock_guard lock(bad_files_mutex_);
    auto folder = bad_files_.find(dataset);
    if (folder == bad_files_.end())
        return false;
    auto file = folder->second.find(name);
    return file != folder->second.end() && file->second == version;
}

inline bool filesystem_store::remember_bad_file(std::string_view dataset, std::string_view name,
                                                const detail::file_version& version) const
{
    std::lock_guard lock(bad_files_mutex_);
    auto folder = bad_files_.find(dataset);
    if (folder == bad_files_.end())
        folder = bad_files_.emplace(std::string(dataset), bad_file_map{}).first;
    auto file = folder->second.find(name);
    if (file == folder->second.end()) {
        folder->second.emplace(std::string(name), version);
        return true;
    }
    if (file->second == version)
        return false;
    file->second = version;
    return true;
}

inline void filesystem_store::forget_bad_files_except(std::string_view dataset,
                                                      std::vector<std::string>& still_bad) const
{
    std::sort(still_bad.begin(), still_bad.end());
    std::lock_guard lock(bad_files_mutex_);
    auto folder = bad_files_.find(dataset);
    if (folder == bad_files_.end())
        return;
    if (still_bad.empty()) {
        bad_files_.erase(folder);
        return;
    }
    std::erase_if(folder->second, [&](const auto& file) {
        return !std::binary_search(still_bad.begin(), still_bad.end(), file.first);
    });
}

inline std::vector<std::string> filesystem_store::datasets() const
{
    std::vector<std::string> names;
    auto dir = detail::open_folder(data_dir_);
    if (!dir)
        return names;
    int fd = ::dirfd(dir.get());

    // a folder, or a link to one, holding a `jobs` folder
    std::string jobs;
    while (const dirent* entry = ::readdir(dir.get())) {
        std::string_view name = entry->d_name;
        if (!detail::is_safe_component(name))
            continue;
        if (entry->d_type != DT_DIR && entry->d_type != DT_LNK && entry->d_type != DT_UNKNOWN)
            continue;
        jobs.assign(name);
        jobs += "/jobs";
        struct stat st;
        if (::fstatat(fd, jobs.c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode))
            names.emplace_back(name);
    }
    dir.reset();

    std::sort(names.begin(), names.end());
    return names;
}

} // namespace scopejobs

#endif
