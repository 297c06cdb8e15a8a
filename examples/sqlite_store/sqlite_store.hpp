#ifndef SCOPEJOBS_EXAMPLES_SQLITE_STORE_HPP
#define SCOPEJOBS_EXAMPLES_SQLITE_STORE_HPP

// A job store in one SQLite database file: a custom `scopejobs::job_store`
// that a server names with `job_service::with_store<sqlite_store>`.
//
// Records are rows of `job_records (dataset, id, record)`, `record` holding
// the text a job file would hold, so reads go through the same parser as
// the filesystem store's. Logs are rows of `job_log_chunks (dataset, id,
// start, bytes)`: each append adds one chunk at the byte offset where the
// log ended, so appending never rewrites what is there and `read_log` finds
// its offset through the primary key. The store does not offer `read_text`
// and `list_text`, so `/job` and `/all` parse each record and print it again.

#include <scopejobs/job.hpp>
#include <scopejobs/log.hpp>
#include <scopejobs/store.hpp>

#include <boost/system/error_category.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace sqlite_example {

/// The category of the error codes this store sets for a failed SQLite
/// call: the value is SQLite's (extended) result code, the message its
/// description of that code.
const boost::system::error_category& sqlite_category() noexcept;

/// A `job_store` over one SQLite database file.
///
/// Thread safety: every member may be called from any thread, concurrently
/// with any other, on one instance: the instance has one connection, and a
/// mutex lets one call use it at a time. Several instances, or other
/// processes, may share one file: the database runs in WAL mode, so readers
/// do not wait for a writer, and a writer waits up to `busy_timeout` for
/// another; past that its call fails with `SQLITE_BUSY`. The log sink is
/// called from the thread that calls `list`, with the mutex released.
class sqlite_store
{
public:
    /// How long a call waits for another connection's write to finish.
    static constexpr int busy_timeout_ms = 5000;

    /// Opens `file`, creating it and its tables when missing (its folder
    /// must exist). Rows that `list` has to skip are reported to `log`.
    /// Throws `boost::system::system_error` when the file cannot be opened
    /// or is not a database.
    explicit sqlite_store(std::filesystem::path file,
                          scopejobs::log_sink log = scopejobs::stderr_sink());

    /// Closes the connection.
    ~sqlite_store();

    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;

    /// Replaces the row of `record.id` of `record.dataset` with
    /// `job_to_text(record)`, in one statement, so a reader sees the old
    /// row or the new one. With `sync` the commit is flushed to the device
    /// before the call returns (`synchronous = FULL` for that statement).
    /// Fails with `invalid_argument` for unsafe names, and with an error of
    /// `sqlite_category()` when SQLite refuses; a failed write changes
    /// nothing.
    void write(const scopejobs::job_record& record, bool sync, scopejobs::error_code& ec);

    /// Appends `text` to the job's log as one chunk starting where the log
    /// ends. Appending nothing does nothing. Fails like `write`.
    void append_log(std::string_view dataset, std::string_view id, std::string_view text,
                    scopejobs::error_code& ec);

    /// The job's record; nothing with `ec` clear when there is no row;
    /// nothing with `ec` set when the row's text does not parse (a row
    /// another writer left corrupt, as a half-written job file is for the
    /// filesystem store), a name is unsafe (`invalid_argument`), or SQLite
    /// fails.
    std::optional<scopejobs::job_record> read(std::string_view dataset, std::string_view id,
                                              scopejobs::error_code& ec) const;

    /// Every record of the dataset whose text parses, ordered by id. A row
    /// that does not parse is skipped and logged as a warning once per
    /// version of its text, so that polling does not repeat the line. An
    /// unsafe name gives an empty list; a failed query is logged as an
    /// error and gives what was read before it.
    std::vector<scopejobs::job_record> list(std::string_view dataset) const;

    /// The names, sorted, of every dataset that has a record or a log, of
    /// those that are safe path components.
    std::vector<std::string> datasets() const;

    /// At most `max` bytes of the job's log from byte `offset`: empty past
    /// its end, nothing when the job has no log (or a name is unsafe, with
    /// `invalid_argument`).
    std::optional<std::string> read_log(std::string_view dataset, std::string_view id,
                                        std::uint64_t offset, std::size_t max,
                                        scopejobs::error_code& ec) const;

    /// The database file, as given.
    const std::filesystem::path& file() const noexcept { return file_; }

private:
    // The record texts of one dataset that did not parse: id to a hash of
    // the text last logged.
    using bad_row_map = std::map<std::string, std::size_t, std::less<>>;

    // Runs statements that take no parameters, one after the other.
    void execute(const char* sql, scopejobs::error_code& ec) const;

    std::filesystem::path file_;
    scopejobs::log_sink log_;

    mutable std::mutex connection_mutex_; ///< guards every use of connection_
    sqlite3* connection_ = nullptr;

    mutable std::mutex bad_rows_mutex_; ///< guards bad_rows_
    mutable std::map<std::string, bad_row_map, std::less<>> bad_rows_;
};

//[sqlite_check
// A missing or mistyped member fails here, with this sentence.
static_assert(scopejobs::job_store<sqlite_store>,
              "sqlite_store must model scopejobs::job_store: see store.hpp");
//]

} // namespace sqlite_example

#include "impl/sqlite_store.ipp"

#endif
