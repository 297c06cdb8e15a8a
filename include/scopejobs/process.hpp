#ifndef SCOPEJOBS_PROCESS_HPP
#define SCOPEJOBS_PROCESS_HPP

// The process policy: what the runner asks of a backend that runs tools.
// Models: posix_process (real processes, process/posix_process.hpp) and
// scripted_process (a deterministic script, process/scripted_process.hpp).

#include <scopejobs/detail/config.hpp>

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs {

/// What to run. The backend runs `argv` with no shell; `argv[0]` without a
/// slash is looked up on the `PATH` of `environment`.
struct process_spec
{
    std::vector<std::string> argv;
    std::vector<std::string> environment; ///< the child's whole environment, "NAME=value"
    std::string working_directory;        ///< empty: the server's own
};

/// How a process ended: `code` is its exit code when it exited, `signal`
/// the signal that ended it otherwise (and `code` is then -1).
struct exit_status
{
    int code = -1;
    int signal = 0;

    friend bool operator==(const exit_status&, const exit_status&) = default;
};

/// A process told apart from a later one that reuses its pid: the pid and
/// the start time the kernel gives it (clock ticks since boot, as field 22
/// of /proc/PID/stat).
struct process_identity
{
    std::int64_t pid = 0;
    std::int64_t start_time = 0;

    friend bool operator==(const process_identity&, const process_identity&) = default;
};

/// What a backend tells the runner about a started process. Both are called
/// on the backend's executor, never concurrently.
struct process_events
{
    /// Output arrived: the lines it completed, each without its line end
    /// and with invalid UTF-8 replaced (possibly none, when a read ended
    /// inside a line; every call counts as activity). The views are valid
    /// during the call only.
    std::function<void(std::span<const std::string_view> lines)> output;

    /// Called once, after the last `output`: the process has exited and its
    /// output is drained.
    std::function<void(exit_status)> exit;
};

/// The requirements on a process backend `P`:
///
/// - `p.start(spec, events, ec)` starts `spec` in a new process group and
///   answers a handle, or sets `ec` (the tool could not be started) and
///   answers null. Called on the backend's executor.
/// - `c.identity()` on a handle names the process, when it is a real one.
/// - `c.signal_group(sig)` sends `sig` to the process group; a no-op once
///   the process has been reaped. Callable from any thread.
/// - `p.alive(id)` tells whether the process `id` still runs (not a zombie,
///   not another process with the same pid), and `p.signal_group(id, sig)`
///   signals its group: the start-up reconcile uses them for processes an
///   earlier server started.
template <class P>
concept process_backend = requires(P& backend, process_spec spec, process_events events,
                                   error_code& ec, typename P::child& child,
                                   const process_identity& id, int sig)
{
    typename P::child;
    {
        backend.start(std::move(spec), std::move(events), ec)
        } -> std::same_as<std::shared_ptr<typename P::child>>;
    {
        child.identity()
        } -> std::same_as<std::optional<process_identity>>;
    {
        child.signal_group(sig)
        } -> std::same_as<error_code>;
    {
        backend.alive(id)
        } -> std::same_as<bool>;
    {
        backend.signal_group(id, sig)
        } -> std::same_as<error_code>;
};

} // namespace scopejobs

#endif
