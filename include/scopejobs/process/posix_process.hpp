#ifndef SCOPEJOBS_PROCESS_POSIX_PROCESS_HPP
#define SCOPEJOBS_PROCESS_POSIX_PROCESS_HPP

// The process backend that runs real tools, on Linux. A tool is started
// with posix_spawn, in its own process group, its stdout and stderr merged
// into one pipe that an Asio descriptor reads; its exit is learned through
// Boost.Process v2, which waits on a pidfd, so a running job costs a pipe
// and a pidfd, and no thread or SIGCHLD handler.
//
// posix_spawn rather than the default launcher of Boost.Process v2: the
// 1.81 launcher forks the whole server, runs io_context fork hooks in the
// child, and on a failed exec leaves that child through exit(), which
// flushes the server's stdio buffers a second time; glibc's posix_spawn
// runs nothing of the server in the child and reports a failed exec as
// an error of the call.

#include <scopejobs/detail/config.hpp>
#include <scopejobs/detail/line_splitter.hpp>
#include <scopejobs/process.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/v2/process.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace scopejobs {

/// The settings of a `posix_process` backend.
struct posix_process_options
{
    /// Output lines longer than this many bytes are delivered in pieces.
    std::size_t max_line = 65536;

    /// How long output is still read after the tool exited while something
    /// it left behind (a process it started in the background) holds the
    /// pipe open. Then the pipe is closed and the exit reported.
    std::chrono::steady_clock::duration drain_timeout = std::chrono::seconds(2);
};

/// The start time of process `pid` in clock ticks since boot (field 22 of
/// /proc/PID/stat), or nothing when there is no such process.
std::optional<std::int64_t> process_start_time(std::int64_t pid);

/// A `process_backend` that runs tools as processes of this machine.
///
/// `start` runs `spec.argv` with no shell: `argv[0]` with a slash is used
/// as is (relative to `spec.working_directory` when one is given, since the
/// child changes folder first); without one it is looked up on the `PATH`
/// of `spec.environment` (`/usr/local/bin:/usr/bin:/bin` when it has none),
/// taking the first regular file with execute permission. Entries of
/// `PATH` that are not absolute paths (an empty one, `.`) are skipped, so
/// a tool is never taken from whatever folder the server happens to run
/// in. The child gets exactly `spec.environment`, stdin from `/dev/null`,
/// stdout and stderr on one pipe, no other descriptor, an empty signal
/// mask and every signal at its default action, and leads a new process
/// group.
///
/// Thread safety: `start` must be called on the thread that runs the
/// backend's executor, and the callbacks of `process_events` run there.
/// `alive`, `signal_group` and a handle's `identity` and `signal_group`
/// may be called from any thread. Destroying the backend or a handle
/// never signals or waits for a process.
class posix_process
{
public:
    /// A started tool. Held by `shared_ptr`; its pending reads and its
    /// wait keep it alive until `exit` has been delivered, so dropping the
    /// handle does not stop the events. A handle must not outlive the
    /// io_context of the backend's executor.
    class child;

    /// A backend whose handles run on `executor`.
    explicit posix_process(boost::asio::any_io_executor executor,
                           posix_process_options options = {});

    /// The executor that `start` must be called on and callbacks run on.
    boost::asio::any_io_executor get_executor() const noexcept { return executor_; }

    /// The settings given to the constructor.
    const posix_process_options& options() const noexcept { return options_; }

    /// Starts `spec`. On success `ec` is clear and the handle is returned;
    /// `events.output` then receives the output of each read (possibly no
    /// complete line) and `events.exit` is called once, after the tool
    /// exited and its output reached its end or the drain timeout passed.
    /// On failure `ec` says why (`no_such_file_or_directory` when the
    /// program is not found, the error of exec, such as `permission_denied`
    /// or `ENOEXEC` for a file that is no program, `invalid_argument` for
    /// an empty argv or a NUL byte in a string), nothing is left running
    /// and null is returned.
    std::shared_ptr<child> start(process_spec spec, process_events events, error_code& ec);

    /// True when process `id.pid` exists, is not a zombie and started at
    /// `id.start_time`, so that it is the process `id` names and not a
    /// later one that reuses its pid.
    bool alive(const process_identity& id) const;

    /// Sends `sig` to the process group that `id` leads, when `alive(id)`;
    /// `no_such_process` otherwise, so a reused pid is never signalled.
    error_code signal_group(const process_identity& id, int sig) const;

private:
    // Lets only `start` construct a child.
    struct start_key
    {
        explicit start_key() = default;
    };

    boost::asio::any_io_executor executor_;
    posix_process_options options_;
};

class posix_process::child : public std::enable_shared_from_this<child>
{
public:
    /// A handle of a spawned process; made by `posix_process::start` only.
    child(start_key, boost::asio::any_io_executor executor, std::int64_t pid,
          std::optional<std::int64_t> start_time, boost::asio::posix::stream_descriptor pipe,
          const posix_process_options& options, process_events events);

    child(const child&) = delete;
    child& operator=(const child&) = delete;

    /// Leaves the process alone, running or not.
    ~child();

    /// The pid and start time, read right after the spawn; nothing when
    /// /proc could not tell the start time.
    std::optional<process_identity> identity() const;

    /// Sends `sig` to the process group with `killpg`, and answers its
    /// error. Once the exit has been learned (the pid is reaped and may be
    /// reused), nothing is sent and the answer is clear. Callable from any
    /// thread.
    error_code signal_group(int sig);

private:
    friend class posix_process;

    // Arms the wait for the exit and the first wait for output.
    void begin();

    // Without a pidfd (refused before Linux 5.3, under valgrind, or with
    // descriptors exhausted) the exit is polled with waitpid instead.
    void poll_exit(std::chrono::milliseconds interval);

    // The exit is known: remember it, stop the wait's claim on the pid,
    // and give the output the drain timeout to end.
    void on_exit(error_code ec, int wait_status);

    void wait_for_output();
    void on_readable(error_code ec);

    // Reads what the pipe holds, a few reads at most, then waits again or
    // lets other work run first.
    void read_output();

    // The output ended (end of file, a read error or the drain timeout):
    // delivers the unfinished line and closes the pipe.
    void end_output();

    // Delivers `exit` once both the exit and the end of output are known.
    void report_when_done();

    std::int64_t pid_;
    std::optional<std::int64_t> start_time_;
    std::atomic<bool> reaped_{false}; ///< read by signal_group on any thread

    // Used on the executor only.
    boost::process::v2::basic_process<boost::asio::any_io_executor> process_;
    boost::asio::posix::stream_descriptor pipe_;
    boost::asio::steady_timer drain_timer_;
    boost::asio::steady_timer poll_timer_;
    std::chrono::steady_clock::duration drain_timeout_;
    detail::line_splitter splitter_;
    std::vector<std::string_view> lines_; ///< the lines of the last read
    process_events events_;
    exit_status status_;
    bool exited_ = false;
    bool output_ended_ = false;
    bool reported_ = false;
};

static_assert(process_backend<posix_process>);

} // namespace scopejobs

#include <scopejobs/process/impl/posix_process.ipp>

#endif
