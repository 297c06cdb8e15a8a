#ifndef SCOPEJOBS_STORE_MEMORY_STORE_HPP
#define SCOPEJOBS_STORE_MEMORY_STORE_HPP

// The job store in memory, for tests and for programs that want nothing on
// disk. It keeps each record as the text a job file would hold, so reads
// go through the same parser as `filesystem_store` and see what a file
// would show, and it can fail on request and hold corrupt text, so that
// the code above it can be tested against a full disk or another writer.

#include <scopejobs/detail/config.hpp>
#include <scopejobs/detail/path.hpp>
#include <scopejobs/job.hpp>
#include <scopejobs/log.hpp>
#include <scopejobs/store.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scopejobs {

/// A `job_store` that keeps records and logs in maps.
///
/// Thread safety: every member may be called from any thread, concurrently
/// with any other; one mutex guards the contents. The log sink is called
/// from the thread that calls `list`, with the mutex released.
class memory_store
{
public:
    /// An empty store. Records that `list` has to skip are reported to
    /// `log`.
    explicit memory_store(log_sink log = stderr_sink());

    memory_store(const memory_store&) = delete;
    memory_store& operator=(const memory_store&) = delete;

    /// Replaces the record `record.id` of `record.dataset` with
    /// `job_to_text(record)`. `sync` changes nothing here. Fails with
    /// `invalid_argument` for unsafe names, and with the injected error
    /// while `fail_writes` has failures left; a failed write changes
    /// nothing.
    void write(const job_record& record, bool sync, error_code& ec);

    /// Appends `text` to the job's log. Fails like `write`, and an injected
    /// failure appends nothing.
    void append_log(std::string_view dataset, std::string_view id, std::string_view text,
                    error_code& ec);

    /// The job's record, parsed from its text; nothing with `ec` clear when
    /// there is none; nothing with `ec` set when the text does not parse
    /// (see `put_text`) or a name is unsafe (`invalid_argument`).
    std::optional<job_record> read(std::string_view dataset, std::string_view id,
                                   error_code& ec) const;

    /// Every record of the dataset whose text parses, ordered by id. Text
    /// that does not parse is skipped and logged as a warning once per
    /// version of it (each `write` or `put_text` makes a new version). An
    /// unsafe name gives an empty list.
    std::vector<job_record> list(std::string_view dataset) const;

    /// The names, sorted, of every dataset that holds a record or a log.
    std::vector<std::string> datasets() const;

    /// At most `max` bytes of the job's log from byte `offset`, or nothing
    /// when there is no log.
    std::optional<std::string> read_log(std::string_view dataset, std::string_view id,
                                        std::uint64_t offset, std::size_t max,
                                        error_code& ec) const;

    /// The job's log as appended so far; empty when there is none.
    std::string log(std::string_view dataset, std::string_view id) const;

    /// The text held for the job's record, exactly as a file would hold it,
    /// or nothing when there is none.
    std::optional<std::string> record_text(std::string_view dataset, std::string_view id) const;

    /// How many calls to `write` have succeeded, over all records.
    std::size_t write_count() const;

    /// Makes the next `count` calls to `write` or `append_log` (together,
    /// in the order they come, counting only calls with safe names) fail
    /// with `what` and change nothing. A clear `what` is taken as
    /// `io_error`. A later call replaces the earlier request; a `count` of
    /// 0 cancels it.
    void fail_writes(std::size_t count, error_code what);

    /// Holds `text`, whatever it is, as the record of `id`: a half-written
    /// document, for example, which `read` and `list` must then treat as a
    /// corrupt file. Names are not checked, and `write_count` is unchanged.
    void put_text(std::string_view dataset, std::string_view id, std::string text);

private:
    // One version of a record's text. Shared, so that `list` can parse a
    // snapshot after releasing the mutex.
    struct stored_text
    {
        std::shared_ptr<const std::string> text;
        std::uint64_t version = 0;
    };

    template <class Value>
    using by_name = std::map<std::string, Value, std::less<>>;

    void store_text(std::string_view dataset, std::string_view id, std::string text, bool counted);

    std::optional<error_code> take_injected_failure();

    log_sink log_;

    mutable std::mutex contents_mutex_;
    by_name<by_name<stored_text>> records_;
    by_name<by_name<std::string>> logs_;
    mutable by_name<by_name<std::uint64_t>> reported_versions_; ///< bad texts logged
    std::uint64_t next_version_ = 1;
    std::size_t write_count_ = 0;
    std::size_t failures_left_ = 0;
    error_code failure_;
};

static_assert(job_store<memory_store>);

inline memory_store::memory_store(log_sink log) : log_(log ? std::move(log) : null_sink()) {}

inline std::optional<error_code> memory_store::take_injected_failure()
{
    if (failures_left_ == 0)
        return std::nullopt;
    --failures_left_;
    return failure_;
}

inline void memory_store::store_text(std::string_view dataset, std::string_view id,
                                     std::string text, bool counted)
{
    auto shared = std::make_shared<const std::string>(std::move(text));
    auto& records = records_.try_emplace(std::string(dataset)).first->second;
    auto& slot = records.try_emplace(std::string(id)).first->second;
    slot.text = std::move(shared);
    slot.version = next_version_++;
    if (counted)
        ++write_count_;
}

inline void memory_store::write(const job_record& record, bool, error_code& ec)
{
    ec = {};
    if (!detail::check_job_names(record.dataset, record.id, ec))
        return;
    auto text = job_to_text(record);

    std::lock_guard lock(contents_mutex_);
    if (auto failure = take_injected_failure()) {
        ec = *failure;
        return;
    }
    store_text(record.dataset, record.id, std::move(text), true);
}

inline void memory_store::append_log(std::string_view dataset, std::string_view id,
                                     std::string_view text, error_code& ec)
{
    ec = {};
    if (!detail::check_job_names(dataset, id, ec))
        return;

    std::lock_guard lock(contents_mutex_);
    if (auto failure = take_injected_failure()) {
        ec = *failure;
        return;
    }
    if (text.empty())
        return;
    auto& logs = logs_.try_emplace(std::string(dataset)).first->second;
    logs.try_emplace(std::string(id)).first->second += text;
}

inline std::optional<job_record> memory_store::read(std::string_view dataset, std::string_view id,
                                                    error_code& ec) const
{
    ec = {};
    if (!detail::check_job_names(dataset, id, ec))
        return std::nullopt;

    // the text under the lock, the parse after it
    std::shared_ptr<const std::string> text;
    {
        std::lock_guard lock(contents_mutex_);
        auto records = records_.find(dataset);
        if (records == records_.end())
            return std::nullopt;
        auto slot = records->second.find(id);
        if (slot == records->second.end())
            return std::nullopt;
        text = slot->second.text;
    }

    auto record = job_from_text(*text, ec);
    if (ec)
        return std::nullopt;
    return record;
}

inline std::vector<job_record> memory_store::list(std::string_view dataset) const
{
    std::vector<job_record> records;
    if (!detail::is_safe_component(dataset))
        return records;

    // a snapshot of the dataset's texts
    std::vector<std::pair<std::string, stored_text>> snapshot;
    {
        std::lock_guard lock(contents_mutex_);
        auto found = records_.find(dataset);
        if (found != records_.end())
            snapshot.assign(found->second.begin(), found->second.end());
    }

    // parse each; keep the bad ones, with their versions
    by_name<std::uint64_t> bad;
    std::vector<std::pair<std::string, error_code>> failures;
    records.reserve(snapshot.size());
    for (const auto& [id, stored] : snapshot) {
        error_code ec;
        auto record = job_from_text(*stored.text, ec);
        if (!ec) {
            records.push_back(std::move(record));
            continue;
        }
        bad.emplace(id, stored.version);
        failures.emplace_back(id, ec);
    }

    // remember the bad versions, and find which ones are new
    std::vector<std::pair<std::string, error_code>> to_report;
    {
        std::lock_guard lock(contents_mutex_);
        auto& reported = reported_versions_[std::string(dataset)];
        for (auto& failure : failures) {
            auto old = reported.find(failure.first);
            if (old == reported.end() || old->second != bad[failure.first])
                to_report.push_back(std::move(failure));
        }
        reported = std::move(bad);
        if (reported.empty())
            reported_versions_.erase(std::string(dataset));
    }

    for (const auto& [id, ec] : to_report)
        log_(log_level::warning, "skipping unreadable job record " + std::string(dataset) + "/" +
                                     id + ": " + ec.message());
    return records;
}

inline std::vector<std::string> memory_store::datasets() const
{
    std::vector<std::string> names;
    std::lock_guard lock(contents_mutex_);
    auto record = records_.begin();
    auto log = logs_.begin();
    while (record != records_.end() || log != logs_.end()) {
        if (log == logs_.end() || (record != records_.end() && record->first < log->first)) {
            names.push_back((record++)->first);
        } else if (record == records_.end() || log->first < record->first) {
            names.push_back((log++)->first);
        } else {
            names.push_back(record->first);
            ++record;
            ++log;
        }
    }
    return names;
}

inline std::optional<std::string> memory_store::read_log(std::string_view dataset,
                                                         std::string_view id, std::uint64_t offset,
                                                         std::size_t max, error_code& ec) const
{
    ec = {};
    if (!detail::check_job_names(dataset, id, ec))
        return std::nullopt;
    std::lock_guard lock(contents_mutex_);
    auto logs = logs_.find(dataset);
    if (logs == logs_.end())
        return std::nullopt;
    auto text = logs->second.find(id);
    if (text == logs->second.end())
        return std::nullopt;
    if (offset >= text->second.size())
        return std::string();
    return text->second.substr(std::size_t(offset), max);
}

inline std::string memory_store::log(std::string_view dataset, std::string_view id) const
{
    std::lock_guard lock(contents_mutex_);
    auto logs = logs_.find(dataset);
    if (logs == logs_.end())
        return {};
    auto text = logs->second.find(id);
    return text == logs->second.end() ? std::string() : text->second;
}

inline std::optional<std::string> memory_store::record_text(std::string_view dataset,
                                                            std::string_view id) const
{
    std::lock_guard lock(contents_mutex_);
    auto records = records_.find(dataset);
    if (records == records_.end())
        return std::nullopt;
    auto slot = records->second.find(id);
    if (slot == records->second.end())
        return std::nullopt;
    return *slot->second.text;
}

inline std::size_t memory_store::write_count() const
{
    std::lock_guard lock(contents_mutex_);
    return write_count_;
}

inline void memory_store::fail_writes(std::size_t count, error_code what)
{
    std::lock_guard lock(contents_mutex_);
    failures_left_ = count;
    failure_ = what ? what : make_error_code(boost::system::errc::io_error);
}

inline void memory_store::put_text(std::string_view dataset, std::string_view id, std::string text)
{
    std::lock_guard lock(contents_mutex_);
    store_text(dataset, id, std::move(text), false);
}

} // namespace scopejobs

#endif
