#ifndef SCOPEJOBS_EXAMPLES_SQLITE_STORE_IPP
#define SCOPEJOBS_EXAMPLES_SQLITE_STORE_IPP

#include <scopejobs/detail/path.hpp>

#include <boost/system/system_error.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>

namespace sqlite_example {

namespace detail {

namespace sj = scopejobs;

class sqlite_error_category : public boost::system::error_category
{
public:
    const char* name() const noexcept override { return "sqlite"; }

    std::string message(int code) const override { return ::sqlite3_errstr(code); }
};

// The tables, made when missing. WAL lets readers go on while a writer
// commits; NORMAL leaves the flush of each commit to `write`'s `sync`.
constexpr const char* schema_sql = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS job_records (
    dataset TEXT NOT NULL,
    id TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (dataset, id));
CREATE TABLE IF NOT EXISTS job_log_chunks (
    dataset TEXT NOT NULL,
    id TEXT NOT NULL,
    start INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (dataset, id, start));
)sql";

constexpr const char* write_sql = R"sql(
INSERT INTO job_records (dataset, id, record) VALUES (?1, ?2, ?3)
ON CONFLICT (dataset, id) DO UPDATE SET record = excluded.record
)sql";

// The new chunk starts where the last one ends; one statement, so two
// appends cannot claim the same offset.
constexpr const char* append_sql = R"sql(
INSERT INTO job_log_chunks (dataset, id, start, bytes)
VALUES (?1, ?2, coalesce((SELECT start + length(bytes) FROM job_log_chunks
                          WHERE dataset = ?1 AND id = ?2
                          ORDER BY start DESC LIMIT 1), 0), ?3)
)sql";

constexpr const char* read_sql = "SELECT record FROM job_records WHERE dataset = ?1 AND id = ?2";

constexpr const char* list_sql =
    "SELECT id, record FROM job_records WHERE dataset = ?1 ORDER BY id";

constexpr const char* datasets_sql =
    "SELECT dataset FROM job_records UNION SELECT dataset FROM job_log_chunks ORDER BY 1";

// The chunk that holds byte ?3 and every chunk after it.
constexpr const char* read_log_sql = R"sql(
SELECT start, bytes FROM job_log_chunks
WHERE dataset = ?1 AND id = ?2
  AND start >= coalesce((SELECT max(start) FROM job_log_chunks
                         WHERE dataset = ?1 AND id = ?2 AND start <= ?3), 0)
ORDER BY start
)sql";

constexpr const char* has_log_sql =
    "SELECT 1 FROM job_log_chunks WHERE dataset = ?1 AND id = ?2 LIMIT 1";

inline sj::error_code sqlite_code(int result) noexcept
{
    return sj::error_code(result, sqlite_category());
}

// One prepared statement, finalized when it goes out of scope. A failed
// prepare or bind is kept and answered by the next `step`.
class statement
{
public:
    statement(sqlite3* connection, const char* sql) noexcept
    {
        result_ = ::sqlite3_prepare_v2(connection, sql, -1, &handle_, nullptr);
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() { ::sqlite3_finalize(handle_); }

    // The bound views must stay valid until the last `step`.
    void bind_text(int index, std::string_view text) noexcept
    {
        keep(::sqlite3_bind_text64(handle_, index, text.data(), text.size(), SQLITE_STATIC,
                                   SQLITE_UTF8));
    }
    void bind_blob(int index, std::string_view bytes) noexcept
    {
        keep(::sqlite3_bind_blob64(handle_, index, bytes.data(), bytes.size(), SQLITE_STATIC));
    }
    void bind_integer(int index, std::int64_t value) noexcept
    {
        keep(::sqlite3_bind_int64(handle_, index, value));
    }

    // SQLITE_ROW, SQLITE_DONE or the error.
    int step() noexcept
    {
        if (result_ != SQLITE_OK)
            return result_;
        return ::sqlite3_step(handle_);
    }

    // A column of the current row as bytes, valid until the next `step`.
    std::string_view column_bytes(int index) const noexcept
    {
        auto data = static_cast<const char*>(::sqlite3_column_blob(handle_, index));
        auto size = std::size_t(::sqlite3_column_bytes(handle_, index));
        return data == nullptr ? std::string_view() : std::string_view(data, size);
    }
    std::int64_t column_integer(int index) const noexcept
    {
        return ::sqlite3_column_int64(handle_, index);
    }

private:
    void keep(int result) noexcept
    {
        if (result_ == SQLITE_OK)
            result_ = result;
    }

    sqlite3_stmt* handle_ = nullptr;
    int result_ = SQLITE_OK;
};

// Runs a statement that answers no rows, setting `ec` when it fails.
inline void run_to_end(statement& query, sj::error_code& ec) noexcept
{
    int result = query.step();
    if (result != SQLITE_DONE)
        ec = sqlite_code(result);
}

} // namespace detail

inline const boost::system::error_category& sqlite_category() noexcept
{
    static const detail::sqlite_error_category category;
    return category;
}

inline sqlite_store::sqlite_store(std::filesystem::path file, scopejobs::log_sink log)
    : file_(std::move(file)), log_(log ? std::move(log) : scopejobs::null_sink())
{
    // one connection, serialized by connection_mutex_ rather than by SQLite
    constexpr int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int result = ::sqlite3_open_v2(file_.c_str(), &connection_, flags, nullptr);
    scopejobs::error_code ec;
    if (result != SQLITE_OK) {
        ec = detail::sqlite_code(result);
    } else {
        ::sqlite3_extended_result_codes(connection_, 1);
        ::sqlite3_busy_timeout(connection_, busy_timeout_ms);
        execute(detail::schema_sql, ec);
    }

    if (ec) {
        ::sqlite3_close(connection_);
        throw boost::system::system_error(ec, "cannot open job database " + file_.string());
    }
}

inline sqlite_store::~sqlite_store()
{
    ::sqlite3_close(connection_);
}

inline void sqlite_store::execute(const char* sql, scopejobs::error_code& ec) const
{
    int result = ::sqlite3_exec(connection_, sql, nullptr, nullptr, nullptr);
    if (result != SQLITE_OK)
        ec = detail::sqlite_code(result);
}

inline void sqlite_store::write(const scopejobs::job_record& record, bool sync,
                                scopejobs::error_code& ec)
{
    ec = {};
    if (!scopejobs::detail::check_job_names(record.dataset, record.id, ec))
        return;
    auto text = scopejobs::job_to_text(record);

    std::lock_guard lock(connection_mutex_);
    if (sync)
        execute("PRAGMA synchronous = FULL", ec);
    if (!ec) {
        detail::statement query(connection_, detail::write_sql);
        query.bind_text(1, record.dataset);
        query.bind_text(2, record.id);
        query.bind_text(3, text);
        detail::run_to_end(query, ec);
    }

    // back to the default, whatever the write did
    if (sync) {
        scopejobs::error_code ignored;
        execute("PRAGMA synchronous = NORMAL", ignored);
    }
}

inline void sqlite_store::append_log(std::string_view dataset, std::string_view id,
                                     std::string_view text, scopejobs::error_code& ec)
{
    ec = {};
    if (!scopejobs::detail::check_job_names(dataset, id, ec) || text.empty())
        return;

    std::lock_guard lock(connection_mutex_);
    detail::statement query(connection_, detail::append_sql);
    query.bind_text(1, dataset);
    query.bind_text(2, id);
    query.bind_blob(3, text);
    detail::run_to_end(query, ec);
}

inline std::optional<scopejobs::job_record>
sqlite_store::read(std::string_view dataset, std::string_view id, scopejobs::error_code& ec) const
{
    ec = {};
    if (!scopejobs::detail::check_job_names(dataset, id, ec))
        return std::nullopt;

    // the text under the lock, the parse after it
    std::string text;
    {
        std::lock_guard lock(connection_mutex_);
        detail::statement query(connection_, detail::read_sql);
        query.bind_text(1, dataset);
        query.bind_text(2, id);
        int result = query.step();
        if (result == SQLITE_DONE)
            return std::nullopt;
        if (result != SQLITE_ROW) {
            ec = detail::sqlite_code(result);
            return std::nullopt;
        }
        text = query.column_bytes(0);
    }

    auto record = scopejobs::job_from_text(text, ec);
    if (ec)
        return std::nullopt;
    return record;
}

inline std::vector<scopejobs::job_record> sqlite_store::list(std::string_view dataset) const
{
    std::vector<scopejobs::job_record> records;
    if (!scopejobs::detail::is_safe_component(dataset))
        return records;

    // the dataset's rows, copied out under the lock
    std::vector<std::pair<std::string, std::string>> rows;
    scopejobs::error_code query_ec;
    {
        std::lock_guard lock(connection_mutex_);
        detail::statement query(connection_, detail::list_sql);
        query.bind_text(1, dataset);
        int result;
        while ((result = query.step()) == SQLITE_ROW)
            rows.emplace_back(query.column_bytes(0), query.column_bytes(1));
        if (result != SQLITE_DONE)
            query_ec = detail::sqlite_code(result);
    }
    if (query_ec)
        log_(scopejobs::log_level::error, "cannot list the jobs of " + std::string(dataset) +
                                              " in " + file_.string() + ": " + query_ec.message());

    // parse each; a bad row is logged once per version of its text
    bad_row_map bad;
    records.reserve(rows.size());
    for (const auto& [id, text] : rows) {
        scopejobs::error_code ec;
        auto record = scopejobs::job_from_text(text, ec);
        if (!ec) {
            records.push_back(std::move(record));
            continue;
        }
        auto version = std::hash<std::string>()(text);
        bad.emplace(id, version);

        bool seen = false;
        {
            std::lock_guard lock(bad_rows_mutex_);
            auto known = bad_rows_.find(dataset);
            if (known != bad_rows_.end()) {
                auto row = known->second.find(id);
                seen = row != known->second.end() && row->second == version;
            }
        }
        if (!seen)
            log_(scopejobs::log_level::warning, "skipping unreadable job record " +
                                                    std::string(dataset) + "/" + id + " in " +
                                                    file_.string() + ": " + ec.message());
    }

    // what is remembered is what is bad now
    std::lock_guard lock(bad_rows_mutex_);
    if (bad.empty())
        bad_rows_.erase(std::string(dataset));
    else
        bad_rows_[std::string(dataset)] = std::move(bad);
    return records;
}

inline std::vector<std::string> sqlite_store::datasets() const
{
    std::vector<std::string> names;
    std::lock_guard lock(connection_mutex_);
    detail::statement query(connection_, detail::datasets_sql);
    while (query.step() == SQLITE_ROW) {
        auto name = query.column_bytes(0);
        if (scopejobs::detail::is_safe_component(name))
            names.emplace_back(name);
    }
    return names;
}

inline std::optional<std::string> sqlite_store::read_log(std::string_view dataset,
                                                         std::string_view id, std::uint64_t offset,
                                                         std::size_t max,
                                                         scopejobs::error_code& ec) const
{
    ec = {};
    if (!scopejobs::detail::check_job_names(dataset, id, ec))
        return std::nullopt;
    constexpr auto largest = std::uint64_t(std::numeric_limits<std::int64_t>::max());
    auto from = std::int64_t(std::min(offset, largest));

    // the chunks from the one holding `offset`, cut to [offset, offset + max)
    std::lock_guard lock(connection_mutex_);
    detail::statement query(connection_, detail::read_log_sql);
    query.bind_text(1, dataset);
    query.bind_text(2, id);
    query.bind_integer(3, from);
    std::string text;
    bool any = false;
    int result = SQLITE_DONE;
    while (text.size() < max && (result = query.step()) == SQLITE_ROW) {
        any = true;
        auto start = query.column_integer(0);
        auto bytes = query.column_bytes(1);
        auto skip = std::size_t(std::max<std::int64_t>(from - start, 0));
        if (skip < bytes.size())
            text.append(bytes.substr(skip, max - text.size()));
    }
    if (text.size() < max && result != SQLITE_DONE) {
        ec = detail::sqlite_code(result);
        return std::nullopt;
    }
    if (any)
        return text;

    // no chunk from `offset` on: past the end of a log, or no log at all
    detail::statement exists(connection_, detail::has_log_sql);
    exists.bind_text(1, dataset);
    exists.bind_text(2, id);
    result = exists.step();
    if (result == SQLITE_ROW)
        return std::string();
    if (result != SQLITE_DONE)
        ec = detail::sqlite_code(result);
    return std::nullopt;
}

} // namespace sqlite_example

#endif
