#ifndef SCOPEJOBS_PROCESS_IMPL_POSIX_PROCESS_IPP
#define SCOPEJOBS_PROCESS_IMPL_POSIX_PROCESS_IPP

#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace scopejobs {
namespace detail {

/// An error code for an `errno` value.
inline error_code errno_code(int value)
{
    return error_code(value, boost::system::system_category());
}

/// A descriptor that is closed when it goes out of scope.
class unique_fd
{
public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    int get() const noexcept { return fd_; }

    int release() noexcept { return std::exchange(fd_, -1); }

    void reset(int fd = -1) noexcept
    {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

/// What alive() needs of /proc/PID/stat.
struct proc_stat
{
    char state = '?';
    std::int64_t start_time = 0;
};

/// Reads the state (field 3) and start time (field 22) of process `pid`.
inline std::optional<proc_stat> read_proc_stat(std::int64_t pid)
{
    if (pid <= 0)
        return std::nullopt;
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%lld/stat", static_cast<long long>(pid));
    unique_fd file(::open(path, O_RDONLY | O_CLOEXEC));
    if (file.get() < 0)
        return std::nullopt;

    // the whole line: 52 fields, the name of at most 15 bytes among them
    char text[2048];
    std::size_t size = 0;
    while (size < sizeof text) {
        ssize_t got = ::read(file.get(), text + size, sizeof text - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size += std::size_t(got);
    }

    // The name in parentheses may hold spaces and parentheses itself, so
    // the fields are counted from the last ')'.
    std::string_view line(text, size);
    std::size_t name_end = line.rfind(')');
    if (name_end == std::string_view::npos)
        return std::nullopt;
    line.remove_prefix(name_end + 1);

    proc_stat found;
    int field = 2;
    while (!line.empty() && field < 22) {
        while (!line.empty() && line.front() == ' ')
            line.remove_prefix(1);
        std::size_t length = std::min(line.find(' '), line.size());
        std::string_view value = line.substr(0, length);
        line.remove_prefix(length);
        ++field;

        if (field == 3 && !value.empty())
            found.state = value.front();
        if (field == 22) {
            auto [end, failure] =
                std::from_chars(value.data(), value.data() + value.size(), found.start_time);
            if (failure != std::errc() || end != value.data() + value.size())
                return std::nullopt;
            return found;
        }
    }
    return std::nullopt;
}

/// The program file for `name`: `name` itself when it holds a slash, else
/// the first regular, executable file of that name in an absolute folder of
/// the `PATH` of `environment`.
inline std::string find_program(const std::string& name,
                                const std::vector<std::string>& environment, error_code& ec)
{
    if (name.find('/') != std::string::npos)
        return name;

    std::string_view search = "/usr/local/bin:/usr/bin:/bin";
    for (std::string_view entry : environment) {
        if (entry.starts_with("PATH=")) {
            search = entry.substr(5);
            break;
        }
    }

    while (!name.empty() && !search.empty()) {
        std::size_t length = std::min(search.find(':'), search.size());
        std::string_view folder = search.substr(0, length);
        search.remove_prefix(std::min(length + 1, search.size()));
        if (folder.empty() || folder.front() != '/')
            continue;

        std::string candidate(folder);
        if (candidate.back() != '/')
            candidate += '/';
        candidate += name;
        struct stat info;
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            ::faccessat(AT_FDCWD, candidate.c_str(), X_OK, AT_EACCESS) == 0)
            return candidate;
    }
    ec = errno_code(ENOENT);
    return {};
}

/// Makes the pipe the child writes to: both ends close-on-exec and above
/// descriptor 2 (a server started with 0, 1 or 2 closed would get them,
/// and the child's own 0, 1 and 2 are set up from the pipe), and the read
/// end non-blocking.
inline void make_output_pipe(unique_fd& read_end, unique_fd& write_end, error_code& ec)
{
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) == -1) {
        ec = errno_code(errno);
        return;
    }
    read_end.reset(ends[0]);
    write_end.reset(ends[1]);

    for (unique_fd* end : {&read_end, &write_end}) {
        if (end->get() > 2)
            continue;
        int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, 3);
        if (moved == -1) {
            ec = errno_code(errno);
            return;
        }
        end->reset(moved);
    }

    int flags = ::fcntl(read_end.get(), F_GETFL);
    if (flags == -1 || ::fcntl(read_end.get(), F_SETFL, flags | O_NONBLOCK) == -1)
        ec = errno_code(errno);
}

/// The attributes and file actions of one posix_spawn call.
class spawn_setup
{
public:
    spawn_setup()
    {
        ::posix_spawnattr_init(&attributes_);
        ::posix_spawn_file_actions_init(&actions_);
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;
    ~spawn_setup()
    {
        ::posix_spawn_file_actions_destroy(&actions_);
        ::posix_spawnattr_destroy(&attributes_);
    }

    /// Sets up the child as `posix_process` documents; answers the first
    /// error (an error number, as the posix_spawn calls give it) or 0.
    int prepare(int output, const std::string& working_directory)
    {
        int error = 0;
        auto check = [&error](int result) {
            if (error == 0)
                error = result;
        };

        // A new process group, an empty mask, every signal at its default.
        // sigfillset leaves out the two signals glibc keeps for itself, and
        // glibc's posix_spawn sets those to "ignored" in the child unless
        // they are in the default set: every bit is set by hand.
        sigset_t none, all;
        ::sigemptyset(&none);
        std::memset(&all, 0xff, sizeof all);
        check(::posix_spawnattr_setflags(
            &attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
        check(::posix_spawnattr_setpgroup(&attributes_, 0));
        check(::posix_spawnattr_setsigmask(&attributes_, &none));
        check(::posix_spawnattr_setsigdefault(&attributes_, &all));

        // stdin from /dev/null, stdout and stderr into the pipe, and no
        // other descriptor
        check(::posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0));
        check(::posix_spawn_file_actions_adddup2(&actions_, output, 1));
        check(::posix_spawn_file_actions_adddup2(&actions_, output, 2));
        if (!working_directory.empty())
            check(::posix_spawn_file_actions_addchdir_np(&actions_, working_directory.c_str()));
        check(::posix_spawn_file_actions_addclosefrom_np(&actions_, 3));
        return error;
    }

    const posix_spawnattr_t* attributes() const noexcept { return &attributes_; }
    const posix_spawn_file_actions_t* actions() const noexcept { return &actions_; }

private:
    posix_spawnattr_t attributes_;
    posix_spawn_file_actions_t actions_;
};

/// The strings as the null-terminated array of pointers that exec takes.
inline std::vector<char*> exec_array(const std::vector<std::string>& strings)
{
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (const auto& text : strings)
        pointers.push_back(const_cast<char*>(text.c_str()));
    pointers.push_back(nullptr);
    return pointers;
}

/// True when a string holds a NUL byte, which exec would cut it at.
inline bool any_holds_nul(const std::vector<std::string>& strings)
{
    for (const auto& text : strings)
        if (text.find('\0') != std::string::npos)
            return true;
    return false;
}

/// How a wait status reads as an `exit_status`.
inline exit_status to_exit_status(int wait_status)
{
    if (WIFEXITED(wait_status))
        return {WEXITSTATUS(wait_status), 0};
    if (WIFSIGNALED(wait_status))
        return {-1, WTERMSIG(wait_status)};
    return {};
}

/// The read buffer of the calling thread, allocated on first use, so
/// that an idle job holds none.
inline std::span<char> output_buffer()
{
    constexpr std::size_t size = 64 * 1024;
    thread_local std::unique_ptr<char[]> buffer;
    if (!buffer)
        buffer = std::make_unique_for_overwrite<char[]>(size);
    return {buffer.get(), size};
}

/// Reads per wakeup before a job lets other work run.
constexpr int reads_per_turn = 4;

} // namespace detail

inline std::optional<std::int64_t> process_start_time(std::int64_t pid)
{
    auto fields = detail::read_proc_stat(pid);
    if (!fields)
        return std::nullopt;
    return fields->start_time;
}

inline posix_process::posix_process(boost::asio::any_io_executor executor,
                                    posix_process_options options)
    : executor_(std::move(executor)), options_(options)
{}

inline std::shared_ptr<posix_process::child>
posix_process::start(process_spec spec, process_events events, error_code& ec)
{
    ec = {};
    if (spec.argv.empty() || detail::any_holds_nul(spec.argv) ||
        detail::any_holds_nul(spec.environment) ||
        spec.working_directory.find('\0') != std::string::npos) {
        ec = detail::errno_code(EINVAL);
        return nullptr;
    }
    if (!events.output)
        events.output = [](std::span<const std::string_view>) {};
    if (!events.exit)
        events.exit = [](exit_status) {};

    std::string program = detail::find_program(spec.argv.front(), spec.environment, ec);
    if (ec)
        return nullptr;

    // the pipe, its read end registered with the reactor before any child
    // exists, so that nothing can fail between the spawn and the handle
    // but the pidfd
    detail::unique_fd read_end, write_end;
    detail::make_output_pipe(read_end, write_end, ec);
    if (ec)
        return nullptr;
    boost::asio::posix::stream_descriptor pipe(executor_);
    pipe.assign(read_end.get(), ec);
    if (ec)
        return nullptr;
    read_end.release();

    // the spawn
    detail::spawn_setup setup;
    if (int error = setup.prepare(write_end.get(), spec.working_directory)) {
        ec = detail::errno_code(error);
        return nullptr;
    }
    auto argv = detail::exec_array(spec.argv);
    auto envp = detail::exec_array(spec.environment);
    pid_t pid = -1;
    int error = ::posix_spawn(&pid, program.c_str(), setup.actions(), setup.attributes(),
                              argv.data(), envp.data());
    write_end.reset();
    if (error != 0) {
        ec = detail::errno_code(error);
        return nullptr;
    }

    // the handle; the start time is read while the child cannot have been
    // reaped yet
    auto start_time = process_start_time(pid);
    try {
        auto handle = std::make_shared<child>(start_key(), executor_, pid, start_time,
                                              std::move(pipe), options_, std::move(events));
        handle->begin();
        return handle;
    } catch (const boost::system::system_error& failure) {
        ec = failure.code();
    } catch (const std::bad_alloc&) {
        ec = detail::errno_code(ENOMEM);
    }

    // Without a handle nothing would ever wait for the child: end it now,
    // its group with it, and reap it.
    ::killpg(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) == -1 && errno == EINTR)
        continue;
    return nullptr;
}

inline bool posix_process::alive(const process_identity& id) const
{
    auto fields = detail::read_proc_stat(id.pid);
    return fields && fields->state != 'Z' && fields->state != 'X' &&
           fields->start_time == id.start_time;
}

inline error_code posix_process::signal_group(const process_identity& id, int sig) const
{
    if (!alive(id))
        return detail::errno_code(ESRCH);
    if (::killpg(static_cast<pid_t>(id.pid), sig) == -1)
        return detail::errno_code(errno);
    return {};
}

inline posix_process::child::child(start_key, boost::asio::any_io_executor executor,
                                   std::int64_t pid, std::optional<std::int64_t> start_time,
                                   boost::asio::posix::stream_descriptor pipe,
                                   const posix_process_options& options, process_events events)
    : pid_(pid), start_time_(start_time),
      process_(executor, static_cast<boost::process::v2::pid_type>(pid)), pipe_(std::move(pipe)),
      drain_timer_(executor), poll_timer_(executor), drain_timeout_(options.drain_timeout),
      splitter_(options.max_line), events_(std::move(events))
{}

inline posix_process::child::~child()
{
    // basic_process would SIGKILL a live pid (not its group) and wait for
    // it; detached, it does neither
    process_.detach();
}

inline std::optional<process_identity> posix_process::child::identity() const
{
    if (!start_time_)
        return std::nullopt;
    return process_identity{pid_, *start_time_};
}

inline error_code posix_process::child::signal_group(int sig)
{
    // The flag is set in the handler of the wait that reaped the child. A
    // signal sent in the short gap before still finds the right group
    // while any member of it lives, since Linux reuses no pid that is a
    // group's id; an empty group makes killpg fail with ESRCH.
    if (reaped_.load(std::memory_order_acquire))
        return {};
    if (::killpg(static_cast<pid_t>(pid_), sig) == -1)
        return detail::errno_code(errno);
    return {};
}

inline void posix_process::child::begin()
{
    if (process_.is_open())
        process_.async_wait([self = shared_from_this()](error_code ec, int) {
            self->on_exit(ec, self->process_.native_exit_code());
        });
    else
        poll_exit(std::chrono::milliseconds(10));
    wait_for_output();
}

inline void posix_process::child::poll_exit(std::chrono::milliseconds interval)
{
    int wait_status = 0;
    pid_t reaped = ::waitpid(static_cast<pid_t>(pid_), &wait_status, WNOHANG);
    if (reaped != 0) {
        on_exit(reaped < 0 ? detail::errno_code(errno) : error_code{}, wait_status);
        return;
    }
    poll_timer_.expires_after(interval);
    poll_timer_.async_wait([self = shared_from_this(), interval](error_code) {
        self->poll_exit(std::min(interval * 2, std::chrono::milliseconds(100)));
    });
}

inline void posix_process::child::on_exit(error_code ec, int wait_status)
{
    reaped_.store(true, std::memory_order_release);

    // An error means the status is lost (a server that ignores SIGCHLD has
    // its children reaped by the kernel): the exit reads as code -1.
    status_ = ec ? exit_status{} : detail::to_exit_status(wait_status);
    process_.detach();
    exited_ = true;

    if (!output_ended_) {
        drain_timer_.expires_after(drain_timeout_);
        drain_timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
            if (!wait_ec && !self->output_ended_)
                self->end_output();
        });
    }
    report_when_done();
}

inline void posix_process::child::wait_for_output()
{
    pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
}

inline void posix_process::child::on_readable(error_code ec)
{
    if (output_ended_)
        return; // the drain timeout closed the pipe
    if (ec) {
        end_output();
        return;
    }
    read_output();
}

inline void posix_process::child::read_output()
{
    auto buffer = detail::output_buffer();
    for (int turn = 0; turn < detail::reads_per_turn; ++turn) {
        ssize_t got = ::read(pipe_.native_handle(), buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_for_output();
            return;
        }
        if (got <= 0) {
            end_output(); // end of file, or a read error that ends it too
            return;
        }

        splitter_.feed(std::string_view(buffer.data(), std::size_t(got)), lines_);
        events_.output(lines_);
    }

    // The pipe may hold more. The reactor reports a descriptor only when
    // new data comes, so read on from a posted handler rather than waiting.
    boost::asio::post(pipe_.get_executor(), [self = shared_from_this()] {
        if (!self->output_ended_)
            self->read_output();
    });
}

inline void posix_process::child::end_output()
{
    output_ended_ = true;
    error_code ignored;
    pipe_.close(ignored);
    drain_timer_.cancel();

    splitter_.finish(lines_);
    if (!lines_.empty())
        events_.output(lines_);
    report_when_done();
}

inline void posix_process::child::report_when_done()
{
    if (!exited_ || !output_ended_ || reported_)
        return;
    reported_ = true;

    // the callbacks are let go first: they may hold what holds this handle
    auto exit = std::move(events_.exit);
    events_ = {};
    exit(status_);
}

} // namespace scopejobs

#endif
