#ifndef SCOPEJOBS_RUNNER_HPP
#define SCOPEJOBS_RUNNER_HPP

// The job loop: writes the first record, starts the tool, streams its
// output into the record and the log, enforces the inactivity timeout, and
// records how the job ended. Kill, the start-up reconcile and shutdown live
// here too, since they change the same records.

#include <scopejobs/detail/config.hpp>
#include <scopejobs/job.hpp>
#include <scopejobs/process.hpp>
#include <scopejobs/registry.hpp>
#include <scopejobs/settings.hpp>
#include <scopejobs/store.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs {

/// What to run as a job.
struct launch
{
    std::string dataset{};
    std::vector<std::string> argv{};

    /// Paths inside the dataset folder removed once the job has ended (an
    /// upload the tool consumed). Paths outside it are refused.
    std::vector<std::filesystem::path> cleanup{};

    std::string id{};       ///< empty: a new random UUID
    std::string job_name{}; ///< empty: derived from `argv[0]`
    std::string command{};  ///< empty: `argv` joined as a shell would read it
};

/// What an in-process job (see `basic_runner::start_task`) reports: the
/// lines to record, and whether it succeeded.
struct task_result
{
    std::vector<std::string> lines{};
    bool ok = true;
};

/// Totals since the runner was made, for tests and benchmarks.
struct runner_counters
{
    std::uint64_t jobs_started = 0;
    std::uint64_t jobs_finished = 0;
    std::uint64_t record_writes = 0;
    std::uint64_t log_writes = 0;
};

namespace detail {
template <class Child>
struct live_job;
}

/// Runs jobs with the process backend `Process` and keeps their records in
/// the store `Store`.
///
/// Threads: `start`, `kill`, `live_record`, `running`, `counters`,
/// `reconcile` and `shutdown` may be called from any thread. Everything
/// else happens on the executor given at construction, which must be the
/// one the process backend delivers its events on and must not run
/// handlers concurrently (an `io_context` run by one thread, or a strand).
/// A job's record is guarded by a mutex of its own, so a kill from another
/// thread and the streaming loop never interleave their writes.
///
/// Lifetime: the backend, the store and the runner must outlive every job;
/// call `shutdown` and let it complete before destroying them.
template <process_backend Process, job_store Store>
class basic_runner
{
public:
    using executor_type = boost::asio::any_io_executor;

    basic_runner(executor_type executor, Process& process, Store& store, settings config);

    basic_runner(const basic_runner&) = delete;
    basic_runner& operator=(const basic_runner&) = delete;

    /// Starts a job: writes its record with status `running` and asks the
    /// executor to start the tool. Answers the job id once the record
    /// exists. Fails, starting nothing, with `invalid_argument` for an
    /// unsafe dataset name or an empty argv, `operation_aborted` after
    /// `shutdown`, or the store's error when the record cannot be written.
    std::string start(launch what, error_code& ec);

    /// Starts an in-process job (a cascade delete, say): the record is
    /// written as by `start`, then `work` runs on `worker` (it may block on
    /// the file system, so not on the runner's executor), and its result
    /// ends the job: `completed` or `error`, with its lines recorded. A kill
    /// marks the job `dead` at once but cannot stop `work`.
    std::string start_task(launch what, executor_type worker, std::function<task_result()> work,
                           error_code& ec);

    /// Kills a job: SIGKILL to its process group and status `dead` with
    /// `cause_of_death` `killed`. A record that says `running` with no live
    /// job behind it becomes `dead`, "process not found, presumed dead". A
    /// final record is answered unchanged. Nothing, with `ec` clear, when
    /// there is no such job.
    std::optional<job_record> kill(std::string_view dataset, std::string_view id, error_code& ec);

    /// The record of a live job as it is in memory now (possibly newer than
    /// the file, which is written at most every `write_interval`).
    std::optional<job_record> live_record(std::string_view id) const;

    /// Marks every record left `running` by an earlier server: `error`,
    /// after stopping its process group when the process still runs.
    /// `done` is called on the executor once every record is settled.
    void reconcile(std::function<void()> done = {});

    /// Refuses new jobs, records every running one as `error` ("server
    /// stopped while job was running") and stops its process group as the
    /// timeout does. `done` is called on the executor once no job is live.
    void shutdown(std::function<void()> done = {});

    /// Called on the executor with each job's final record, once the job
    /// has ended and the record is written. Set it before starting jobs.
    void on_final(std::function<void(const job_record&)> handler);

    /// How many jobs are live (started and not yet finished).
    std::size_t running() const { return jobs_.size(); }

    runner_counters counters() const;

    const settings& config() const noexcept { return settings_; }

private:
    using child_type = typename Process::child;
    using job = detail::live_job<child_type>;
    using job_ptr = std::shared_ptr<job>;

    job_ptr make_job(launch& what, error_code& ec);
    void spawn(const job_ptr& j);
    void end_task(const job_ptr& j, task_result result);
    void on_output(const job_ptr& j, std::span<const std::string_view> lines);
    void on_exit(const job_ptr& j, exit_status status);
    void on_timeout(const job_ptr& j);
    void fail_start(const job_ptr& j, const error_code& ec);
    void finish(const job_ptr& j);
    void retry_final(const job_ptr& j);

    void arm_inactivity(const job_ptr& j);
    void schedule_write(const job_ptr& j);
    void write_now(const job_ptr& j);
    void stop_group(const job_ptr& j);
    void add_line(job& j, std::string_view text, const std::string& stamp);
    void record_line(job& j, std::string_view text, std::string_view stamp);
    void log_line(job& j, std::string_view text);
    void persist(job& j, bool status_change);
    void flush_log(job& j);
    std::vector<std::string> clean_up(const job& j);

    struct orphan_stop
    {
        orphan_stop(job_record r, process_identity id, const executor_type& executor)
            : record(std::move(r)), identity(id), timer(executor)
        {}

        job_record record;
        process_identity identity;
        boost::asio::steady_timer timer;
        std::chrono::steady_clock::time_point deadline;
        bool forced = false;
    };

    void settle_orphan(std::shared_ptr<orphan_stop> stop,
                       std::shared_ptr<std::function<void()>> settled);
    void mark_orphan(job_record record, std::string_view line);
    void check_idle();

    executor_type executor_;
    Process& process_;
    Store& store_;
    settings settings_;
    std::vector<std::string> environment_;
    std::function<void(const job_record&)> on_final_;
    job_registry<job> jobs_;
    std::vector<job_ptr> retrying_; // executor only: final records not yet written

    std::atomic<bool> stopping_{false};
    std::function<void()> on_idle_; // executor only
    std::atomic<std::uint64_t> started_{0}, finished_{0}, record_writes_{0}, log_writes_{0};
};

} // namespace scopejobs

#include <scopejobs/impl/runner.hpp>

#endif
