#ifndef SCOPEJOBS_STORE_FILESYSTEM_STORE_HPP
#define SCOPEJOBS_STORE_FILESYSTEM_STORE_HPP

// The job store on disk, in the layout latent-scope uses: the record of job
// `id` of dataset `D` is `{data}/{D}/jobs/{id}.json`, its log
// `{data}/{D}/jobs/{id}.log`. Records are replaced by writing a hidden
// temporary file beside them and renaming it over the old one, so readers
// (this store, the web UI, the Python services) only ever see whole files.

#include <scopejobs/detail/config.hpp>
#include <scopejobs/detail/path.hpp>
#include <scopejobs/job.hpp>
#include <scopejobs/log.hpp>
#include <scopejobs/store.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs {

namespace detail {

/// What tells one version of a file from the next: a rewrite changes at
/// least one of these, unless it keeps the inode and the size and lands
/// within one tick of the file system's clock (see `filesystem_store`).
struct file_version
{
    std::uint64_t inode = 0;
    std::int64_t size = 0;
    std::int64_t mtime_seconds = 0;
    std::int64_t mtime_nanoseconds = 0;
    std::int64_t ctime_seconds = 0;
    std::int64_t ctime_nanoseconds = 0;

    friend bool operator==(const file_version&, const file_version&) = default;
};

/// What a `filesystem_store` knows of one job file: the version it saw and
/// the record as `job_to_text` writes it (shared, so that a listing copies
/// it into its answer without holding the index).
struct indexed_record
{
    file_version version;
    std::shared_ptr<const std::string> text;
    std::uint64_t scan = 0; // the listing that last found the file
};

/// The indexed files of one dataset, by file name, and what the kernel's
/// change events said of its `jobs` folder since the last full scan.
struct record_index
{
    std::map<std::string, indexed_record, std::less<>> files;
    std::uint64_t scans = 0;         // listings begun
    std::size_t last_list_bytes = 0; // the size of the last listing's text

    int watch = -1;                  // the inotify watch on the folder, -1 when none
    std::uint64_t folder_device = 0; // the folder the last full scan read
    std::uint64_t folder_inode = 0;
    // True while `files` holds every good job file of that folder, as the
    // last full scan found them and changed since only as `changed` names.
    bool whole = false;
    std::set<std::string, std::less<>> changed;
    std::uint64_t refusals = 0; // texts the budget refused or dropped
};

} // namespace detail

/// A `job_store` that keeps records and logs as files under a data folder.
///
/// Thread safety: every member may be called from any thread, concurrently
/// with any other, on one instance; several instances, or other processes,
/// may share one data folder. The log sink is called from the thread that
/// calls `list`.
///
/// The data folder and the dataset folders may be symbolic links, and are
/// followed. A job file or log that is itself a symbolic link is not: it
/// reads as unreadable, and appending to such a log fails.
///
/// Index: the store keeps the text of the records it wrote and of the
/// files it read, each with the version of the file it came from (inode,
/// size, modification and change times), up to `index_budget` bytes of
/// text. `read_text` and `list_text` check each file's version with one
/// `stat` and parse only the files that changed, so a listing costs a
/// directory scan and a copy of the texts. A file another writer replaced
/// (by rename, or by a write that changes its size or lands in a later tick
/// of the file system's clock) is read again. One rewrite in place that
/// keeps the size within the same clock tick goes unnoticed until the file
/// changes again; kernels since 6.13 give ext4, XFS, Btrfs and tmpfs
/// fine-grained times whenever a file was looked at since its last change,
/// which closes that gap.
///
/// Change events: on ext2/3/4, XFS, Btrfs and tmpfs, `list_text` also
/// watches each `jobs` folder it scans with inotify. While the kernel has
/// reported every change since the last full scan, a listing checks only
/// the files it named and copies the other texts without a `stat`; any
/// doubt (a full event queue, the folder moved, removed or replaced, a
/// file the budget left out, no watch to be had) brings back the full
/// scan. Writes through a shared mapping or through another hard link of
/// a file raise no event on its folder and are not seen this way: turn
/// the events off (`set_change_events(false)`) where files change so. On
/// other file systems, where another machine may write, every listing
/// checks every file.
class filesystem_store
{
public:
    /// A store over `data_dir`, which need not exist yet. Files that `list`
    /// has to skip are reported to `log`.
    explicit filesystem_store(std::filesystem::path data_dir, log_sink log = stderr_sink());

    filesystem_store(const filesystem_store&) = delete;
    filesystem_store& operator=(const filesystem_store&) = delete;
    ~filesystem_store();

    /// Replaces the job file of `record` with `job_to_text(record)`,
    /// creating the dataset's `jobs` folder, and any folder above it, when
    /// missing. With `sync`, the file's data and then the folder entry are
    /// flushed to the device before the call returns. On failure the old
    /// file, if any, is left as it was and no temporary file remains, except
    /// when only the flush of the folder fails: the new file is then in
    /// place, and `ec` says it may not survive a crash. Fails with
    /// `invalid_argument` when `record.dataset` or `record.id` is not a safe
    /// path component.
    void write(const job_record& record, bool sync, error_code& ec);

    /// Appends `text` to the job's log with one `O_APPEND` write, creating
    /// the file and its folder when missing. Appending nothing does
    /// nothing. Fails with `invalid_argument` for unsafe names.
    void append_log(std::string_view dataset, std::string_view id, std::string_view text,
                    error_code& ec);

    /// The job's record; nothing, with `ec` clear, when the file or its
    /// folders do not exist; nothing with `ec` set when the file exists but
    /// cannot be read or parsed (for example a file another writer left
    /// half written), or when a name is unsafe (`invalid_argument`).
    std::optional<job_record> read(std::string_view dataset, std::string_view id,
                                   error_code& ec) const;

    /// The job's record as `job_to_text` writes it, or nothing as `read`
    /// answers it: from the index when the file is the version it holds,
    /// else read, parsed and indexed.
    std::optional<std::string> read_text(std::string_view dataset, std::string_view id,
                                         error_code& ec) const;

    /// Every record that parses among the `*.json` files directly in the
    /// dataset's `jobs` folder, in no particular order. Hidden files,
    /// temporary files and folders are ignored. A file that cannot be read
    /// or parsed is skipped and logged as a warning once per version of the
    /// file (its size, modification time and inode), so that polling does
    /// not repeat the line. A missing folder or an unsafe name gives an
    /// empty list. Never throws for the contents of the folder.
    std::vector<job_record> list(std::string_view dataset) const;

    /// The records `list` answers, as one JSON array of the texts
    /// `read_text` answers in the order of their file names, `[` and `]`
    /// around them, `, ` between: files
    /// the index holds in their current version are not read. Bad files
    /// are skipped and logged as by `list`; a bad file whose version was
    /// logged already is not read again. Index entries of files no longer
    /// in the folder are dropped.
    std::string list_text(std::string_view dataset) const;

    /// The most text the index keeps, 256 MiB unless set; files beyond it
    /// are read on every call. Zero turns the index off.
    void set_index_budget(std::size_t bytes);

    /// How many bytes of text the index holds now.
    std::size_t index_bytes() const;

    /// Whether `list_text` may trust the kernel's change events (see the
    /// class); on unless set. Turning them off drops every watch.
    void set_change_events(bool on);

    /// At most `max` bytes of the job's log from byte `offset`: empty past
    /// its end, nothing when there is no log (or a name is unsafe, with
    /// `invalid_argument`). A log that is a link is not followed.
    std::optional<std::string> read_log(std::string_view dataset, std::string_view id,
                                        std::uint64_t offset, std::size_t max,
                                        error_code& ec) const;

    /// The names, sorted, of the folders directly in the data folder that
    /// hold a `jobs` folder, leaving out hidden folders and names that are
    /// not safe path components.
    std::vector<std::string> datasets() const;

    /// The data folder, as given.
    const std::filesystem::path& data_dir() const noexcept { return data_dir_; }

    /// `{data}/{dataset}/jobs`. Names are not checked here.
    std::filesystem::path jobs_dir(std::string_view dataset) const;

    /// `{data}/{dataset}/jobs/{id}.json`. Names are not checked here.
    std::filesystem::path record_path(std::string_view dataset, std::string_view id) const;

    /// `{data}/{dataset}/jobs/{id}.log`. Names are not checked here.
    std::filesystem::path log_path(std::string_view dataset, std::string_view id) const;

private:
    // File name to the version last logged, per dataset.
    using bad_file_map = std::map<std::string, detail::file_version, std::less<>>;

    std::filesystem::path file_path(std::string_view dataset, std::string_view id,
                                    std::string_view extension) const;

    // Records a bad file; true when this version of it was not logged yet.
    bool remember_bad_file(std::string_view dataset, std::string_view name,
                           const detail::file_version& version) const;

    // Drops what is remembered of the dataset's files that are no longer bad.
    void forget_bad_files_except(std::string_view dataset,
                                 std::vector<std::string>& still_bad) const;

    // The dataset's index, made when missing; call with `index_mutex_` held.
    detail::record_index& index_of(std::string_view dataset) const;

    // Keeps `text` as the record of `name` in this version; false when the
    // budget refused it. Call with `index_mutex_` held.
    bool index_record(detail::record_index& index, std::string_view name,
                      const detail::file_version& version, std::shared_ptr<const std::string> text,
                      std::uint64_t scan) const;

    // Watches the dataset's folder, open as `dir_fd`, when its file system
    // is one whose events can be trusted; true when the watch is on that
    // folder. Call with `index_mutex_` held.
    bool watch_folder(std::string_view dataset, detail::record_index& index, int dir_fd) const;

    // Reads every pending change event into the indexes; call with
    // `index_mutex_` held.
    void read_change_events() const;

    // Checks again the files a change event named, from the folder open
    // as `dir_fd`; call with `index_mutex_` held.
    void refresh_changed(std::string_view dataset, detail::record_index& index, int dir_fd) const;

    // Drops every watch and trusts no index as whole; call with
    // `index_mutex_` held.
    void drop_watches() const;

    // Drops the entry of `name`; call with `index_mutex_` held.
    void unindex_record(detail::record_index& index, std::string_view name) const;

    // Whether this version of a bad file was logged already.
    bool is_known_bad_file(std::string_view dataset, std::string_view name,
                           const detail::file_version& version) const;

    std::filesystem::path data_dir_;
    log_sink log_;

    mutable std::mutex index_mutex_; // guards what follows
    mutable std::map<std::string, detail::record_index, std::less<>> index_;
    mutable std::size_t index_bytes_ = 0;
    std::size_t index_budget_ = std::size_t(256) << 20;
    bool change_events_ = true;
    mutable int notify_fd_ = -1;                 // the inotify instance, made on first use
    mutable bool notify_failed_ = false;         // no instance could be had
    mutable std::map<int, std::string> watched_; // watch to dataset
    mutable std::uint64_t overflows_ = 0;        // event queues that overflowed

    mutable std::mutex bad_files_mutex_;
    mutable std::map<std::string, bad_file_map, std::less<>> bad_files_;
};

static_assert(job_store<filesystem_store>);

} // namespace scopejobs

#include <scopejobs/store/impl/filesystem_store.ipp>

#endif
