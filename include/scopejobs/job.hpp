#ifndef SCOPEJOBS_JOB_HPP
#define SCOPEJOBS_JOB_HPP

// The job record: what `{data}/{dataset}/jobs/{id}.json` holds, and its
// mapping to and from JSON. The field names are a wire format shared with
// the latent-scope web UI and the Python services; readers accept any
// subset of fields, and fields this library does not know are kept.

#include <scopejobs/detail/config.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace scopejobs {

/// Where a job stands. `running` is the only state that changes; the other
/// three are final.
enum class job_status
{
    running,
    completed,
    error,
    dead
};

/// The wire name of a status: "running", "completed", "error" or "dead".
constexpr std::string_view to_string(job_status status) noexcept;

/// The status a wire name denotes, or nothing for any other text.
constexpr std::optional<job_status> parse_status(std::string_view name) noexcept;

/// True for the three states a job never leaves.
constexpr bool is_final(job_status status) noexcept
{
    return status != job_status::running;
}

/// `imported_rows` as a tool reported it: an integer when the text was one
/// within signed 64 bits, otherwise the text.
using imported_rows_value = std::variant<std::int64_t, std::string>;

/// One job as recorded. A default-constructed record is a running job with
/// no output.
struct job_record
{
    std::string id;
    std::string dataset;
    std::string job_name;
    std::string command; ///< display string; `argv` is what runs
    job_status status = job_status::running;
    std::string last_update;
    std::deque<std::string> progress; ///< output lines, oldest first
    std::deque<std::string> times;    ///< one timestamp per progress line

    std::optional<std::string> run_id;
    std::optional<std::string> scope_id;
    std::optional<imported_rows_value> imported_rows;
    std::optional<std::string> cause_of_death;

    // Fields this library adds; files from the Python services lack them.
    std::vector<std::string> argv;
    std::optional<std::int64_t> pid;
    std::optional<std::int64_t> pid_start; ///< start time from /proc, in clock ticks
    std::optional<int> exit_code;
    std::optional<int> signal;

    /// Fields the file had that none of the above names, in file order;
    /// written back unchanged.
    boost::json::object extra;

    friend bool operator==(const job_record&, const job_record&) = default;
};

/// Reads a record from a parsed document. Any subset of fields is
/// accepted; `command` may be a string or (as the maintained upstream
/// wrote it) an array, which then fills `argv` and is shown as
/// `join_command` shows it. A known field of an unexpected type is kept in
/// `extra` rather than dropped. Fails with `invalid_argument` only when the
/// document is not an object.
job_record job_from_json(const boost::json::value& document, error_code& ec);

/// Parses and reads a record from the text of a job file. Fails with the
/// parser's error for text that is not JSON (a half-written file from
/// another writer, for example).
job_record job_from_text(std::string_view text, error_code& ec);

/// The record as a JSON object, wire names first, then `extra`.
boost::json::object job_to_json(const job_record& record);

/// The record as the text of a job file, one line, without a trailing
/// newline. Always valid JSON: a number too large for a double is written
/// as `1e999`, never as `Infinity`. No name appears twice: a value `extra`
/// keeps under a field's name is written when that field is at its
/// default (empty, or `running`) and left out once the field is set.
std::string job_to_text(const job_record& record);

/// Boost.JSON customisation: `boost::json::value_from(record)`.
void tag_invoke(const boost::json::value_from_tag&, boost::json::value& out,
                const job_record& record);

/// Boost.JSON customisation: `boost::json::value_to<job_record>(value)`,
/// which throws `boost::system::system_error` where `job_from_json` fails.
job_record tag_invoke(const boost::json::value_to_tag<job_record>&,
                      const boost::json::value& document);

/// Formats a time as Python's `str(datetime.now())` does, in local time:
/// `2026-02-15 15:32:38.123456`, or `2026-02-15 15:32:38` when the
/// microsecond is 0.
std::string python_timestamp(std::chrono::system_clock::time_point when);

/// The same formatting, caching the broken-down local time of the last
/// second it saw: a hot loop that stamps many lines per second pays for one
/// `localtime_r` per second. Not thread-safe; keep one per thread or job.
class timestamp_formatter
{
public:
    std::string operator()(std::chrono::system_clock::time_point when);

private:
    std::int64_t second_ = INT64_MIN;
    char prefix_[32] = {};
    std::size_t prefix_size_ = 0;
};

} // namespace scopejobs

#include <scopejobs/impl/job.ipp>

#endif
