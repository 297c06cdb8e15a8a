#ifndef SCOPEJOBS_EXAMPLES_NICE_PROCESS_HPP
#define SCOPEJOBS_EXAMPLES_NICE_PROCESS_HPP

// A process backend that runs every tool at a lower priority and in a
// fresh working folder of its own: a custom `scopejobs::process_backend`
// that wraps `posix_process`, named with
// `job_service::with_process<nice_process>`.
//
// posix_process starts tools with posix_spawn, which can set a working
// folder but has no attribute for the priority, and offers no hook that
// runs in the child before exec. Setting the priority from the server once
// the child runs would race the tool (what it starts in its first moments
// would keep the old one). So the priority is set by `nice` itself:
// argv becomes `/usr/bin/nice -n N -- PROGRAM ARG...`, and nice execs the
// tool in place, so the pid, the process group and the exit status the
// runner sees are the tool's. PROGRAM is found on the tools' PATH here,
// before the start, the way posix_process finds it, so a missing tool
// still fails the start rather than ending as nice's exit 127.

#include <scopejobs/process.hpp>
#include <scopejobs/process/posix_process.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace nice_example {

//[nice_options
/// The settings of a `nice_process` backend.
struct nice_process_options
{
    /// Added to the server's own niceness for every tool (the kernel caps
    /// the sum at 19).
    int niceness = 10;

    /// The folder under which each start makes the tool's working folder,
    /// `{work_root}/{program}-XXXXXX`. Made when missing.
    std::filesystem::path work_root = "scopejobs-work";

    /// Keep each working folder once its tool has exited; by default it is
    /// removed with what the tool left in it, on the executor, so a very
    /// large tree holds up other jobs' events while it goes. A server
    /// stopped while tools run leaves their folders behind.
    bool keep_work_folders = false;

    /// The `nice` program, run by its absolute path.
    std::filesystem::path nice_program = "/usr/bin/nice";

    /// Passed on to the wrapped `posix_process`.
    scopejobs::posix_process_options process;
};
//]

/// A `process_backend` that starts each tool through `nice` in a working
/// folder made for it.
///
/// Thread safety: as `posix_process`: `start` on the thread that runs the
/// executor, where the callbacks run too (removing a working folder
/// included); `alive`, `signal_group` and the handles' members from any
/// thread.
class nice_process
{
public:
    /// The handle of a started tool: posix_process's own.
    using child = scopejobs::posix_process::child;

    /// A backend whose handles run on `executor`.
    explicit nice_process(boost::asio::any_io_executor executor, nice_process_options options = {});

    /// Makes the tool's working folder, then starts
    /// `nice -n N -- PROGRAM ARG...` in it with `spec.environment`; a
    /// working folder in `spec` is replaced by the new one. Fails, leaving
    /// no folder behind, with `no_such_file_or_directory` when the program
    /// is not on the tools' PATH, with the error of making the folder, or
    /// as `posix_process::start` fails.
    std::shared_ptr<child> start(scopejobs::process_spec spec, scopejobs::process_events events,
                                 scopejobs::error_code& ec);

    /// As `posix_process::alive`.
    bool alive(const scopejobs::process_identity& id) const { return inner_.alive(id); }

    /// As `posix_process::signal_group`.
    scopejobs::error_code signal_group(const scopejobs::process_identity& id, int sig) const
    {
        return inner_.signal_group(id, sig);
    }

    /// The executor `start` must be called on.
    boost::asio::any_io_executor get_executor() const noexcept { return inner_.get_executor(); }

    /// The settings given to the constructor.
    const nice_process_options& options() const noexcept { return options_; }

private:
    // A fresh `{work_root}/{program}-XXXXXX`.
    std::filesystem::path make_work_folder(const std::string& program,
                                           scopejobs::error_code& ec) const;

    scopejobs::posix_process inner_;
    nice_process_options options_;
};

static_assert(scopejobs::process_backend<nice_process>,
              "nice_process must model scopejobs::process_backend: see process.hpp");

} // namespace nice_example

#include "impl/nice_process.ipp"

#endif
