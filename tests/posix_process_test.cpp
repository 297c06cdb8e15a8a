#include <scopejobs/process/posix_process.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace sj = scopejobs;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string tool = SCOPEJOBS_TEST_TOOL;

std::vector<std::string> test_environment()
{
    return {"PATH=/usr/bin:/bin", "PYTHONUNBUFFERED=1", "LANG=C"};
}

// A folder under /tmp, removed with what it holds.
class temp_folder
{
public:
    temp_folder()
    {
        std::string pattern = (fs::temp_directory_path() / "scopejobs-posix-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    temp_folder(const temp_folder&) = delete;
    temp_folder& operator=(const temp_folder&) = delete;
    ~temp_folder()
    {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }

    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

void write_file(const fs::path& path, const std::string& text, fs::perms mode)
{
    std::ofstream(path) << text;
    fs::permissions(path, mode);
}

std::string read_file(const fs::path& path)
{
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// The state letter of /proc/PID/stat, or 0 when there is no such process.
char process_state(long pid)
{
    std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto name_end = text.rfind(')');
    if (name_end == std::string::npos || name_end + 2 >= text.size())
        return 0;
    return text[name_end + 2];
}

// Field 22 of /proc/PID/stat, read here independently of the library.
long long proc_start_time(long pid)
{
    std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    for (int number = 3; number < 22; ++number)
        fields >> field;
    long long start = -1;
    fields >> start;
    return start;
}

bool gone_or_zombie(long pid)
{
    char state = process_state(pid);
    return state == 0 || state == 'Z';
}

std::optional<long> read_pid_file(const fs::path& path)
{
    std::ifstream file(path);
    long pid = 0;
    if (file >> pid && pid > 0)
        return pid;
    return std::nullopt;
}

std::size_t open_descriptor_count()
{
    return std::size_t(
        std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()));
}

// One io_context, one backend and the events of the tool started on it.
struct tool_run
{
    asio::io_context io;
    sj::posix_process backend;
    std::shared_ptr<sj::posix_process::child> handle;
    sj::error_code ec;
    std::vector<std::string> lines;
    int output_calls = 0;
    std::optional<sj::exit_status> status;
    clock_type::time_point started, exited;
    std::function<void(std::span<const std::string_view>)> on_output; ///< called after recording

    explicit tool_run(sj::posix_process_options options = {}) : backend(io.get_executor(), options)
    {}

    bool start(std::vector<std::string> commands,
               std::vector<std::string> environment = test_environment())
    {
        sj::process_spec spec;
        spec.argv = {tool};
        spec.argv.insert(spec.argv.end(), commands.begin(), commands.end());
        spec.environment = std::move(environment);
        return start_spec(std::move(spec));
    }

    bool start_spec(sj::process_spec spec)
    {
        sj::process_events events;
        events.output = [this](std::span<const std::string_view> got) {
            BOOST_TEST(!status.has_value());
            ++output_calls;
            lines.insert(lines.end(), got.begin(), got.end());
            if (on_output)
                on_output(got);
        };
        events.exit = [this](sj::exit_status got) {
            BOOST_TEST(!status.has_value());
            status = got;
            exited = clock_type::now();
        };
        started = clock_type::now();
        handle = backend.start(std::move(spec), std::move(events), ec);
        return handle != nullptr;
    }

    // Runs handlers until `done()` holds; false when `limit` passed first.
    // With no handler to run, the condition waits on other processes, and
    // is checked again every few milliseconds.
    template <class Condition>
    bool run_until(Condition done, clock_type::duration limit = seconds(20))
    {
        auto deadline = clock_type::now() + limit;
        while (!done()) {
            auto now = clock_type::now();
            if (now >= deadline)
                return false;
            io.restart();
            if (io.run_one_until(std::min(deadline, now + milliseconds(10))) == 0 && io.stopped())
                std::this_thread::sleep_for(milliseconds(5));
        }
        return true;
    }

    bool run_to_exit(clock_type::duration limit = seconds(20))
    {
        return run_until([this] { return status.has_value(); }, limit);
    }

    bool saw(const std::string& line) const
    {
        return std::find(lines.begin(), lines.end(), line) != lines.end();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(posix_process)

BOOST_AUTO_TEST_CASE(a_hundred_thousand_lines_arrive_in_order)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"lines", "100000", "80"}));
    BOOST_TEST_REQUIRE(run.run_to_exit(seconds(60)));

    BOOST_TEST((*run.status == sj::exit_status{0, 0}));
    BOOST_TEST_REQUIRE(run.lines.size() == 100000u);
    bool all_right = true;
    for (std::size_t k = 1; k <= run.lines.size() && all_right; ++k) {
        const auto& line = run.lines[k - 1];
        all_right = line.size() == 80 && line.starts_with("line " + std::to_string(k) + " ");
        BOOST_TEST(all_right, "line " << k << " is \"" << line << "\"");
    }
}

BOOST_AUTO_TEST_CASE(stdout_and_stderr_are_merged_in_order)
{
    tool_run run;
    BOOST_TEST_REQUIRE(
        run.start({"print", "out 1", "stderr", "err 2", "print", "out 3", "stderr", "err 4"}));
    BOOST_TEST_REQUIRE(run.run_to_exit());

    std::vector<std::string> expected = {"out 1", "err 2", "out 3", "err 4"};
    BOOST_TEST(run.lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(carriage_returns_end_progress_lines)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"write", "10%\\r20%\\r30%\\r\\n", "print", "done"}));
    BOOST_TEST_REQUIRE(run.run_to_exit());

    std::vector<std::string> expected = {"10%", "20%", "30%", "done"};
    BOOST_TEST(run.lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_non_zero_exit_code_is_reported)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"print", "failing", "exit", "3"}));
    BOOST_TEST_REQUIRE(run.run_to_exit());

    BOOST_TEST((*run.status == sj::exit_status{3, 0}));
    BOOST_TEST(run.saw("failing"));
}

BOOST_AUTO_TEST_CASE(death_by_a_signal_is_reported)
{
    for (int sig : {SIGKILL, SIGTERM, SIGSEGV}) {
        tool_run run;
        BOOST_TEST_REQUIRE(run.start({"kill-self", std::to_string(sig)}));
        BOOST_TEST_REQUIRE(run.run_to_exit());
        BOOST_TEST((*run.status == sj::exit_status{-1, sig}));
    }
}

BOOST_AUTO_TEST_CASE(a_missing_program_fails_to_start)
{
    std::size_t descriptors = open_descriptor_count();
    for (std::string program : {"/nonexistent/scopejobs-tool", "scopejobs-no-such-tool"}) {
        tool_run run;
        sj::process_spec spec;
        spec.argv = {program};
        spec.environment = test_environment();
        BOOST_TEST(!run.start_spec(spec));
        BOOST_TEST(run.ec == boost::system::errc::no_such_file_or_directory);
        BOOST_TEST(run.io.poll() == 0u);
    }
    BOOST_TEST(open_descriptor_count() == descriptors);
}

BOOST_AUTO_TEST_CASE(an_empty_argv_or_a_nul_byte_is_refused)
{
    tool_run run;
    BOOST_TEST(!run.start_spec(sj::process_spec{}));
    BOOST_TEST(run.ec == boost::system::errc::invalid_argument);

    BOOST_TEST(!run.start({"print", std::string("a\0b", 3)}));
    BOOST_TEST(run.ec == boost::system::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(an_exec_failure_is_an_error_and_stdio_is_flushed_once)
{
    temp_folder folder;
    fs::path script = folder.path() / "not-a-program";
    write_file(script, "this is text, not a program\n", fs::perms(0755));
    fs::path log = folder.path() / "buffered.txt";

    // stdio of this process with data in its buffer while the child starts
    std::FILE* buffered = std::fopen(log.c_str(), "w");
    BOOST_TEST_REQUIRE(buffered != nullptr);
    std::setvbuf(buffered, nullptr, _IOFBF, 4096);
    std::fputs("marker\n", buffered);

    std::size_t descriptors = open_descriptor_count();
    {
        tool_run run;
        sj::process_spec spec;
        spec.argv = {script.string()};
        spec.environment = test_environment();
        BOOST_TEST(!run.start_spec(spec));
        BOOST_TEST(run.ec.value() == ENOEXEC);
        BOOST_TEST(&run.ec.category() == &boost::system::system_category());
    }
    BOOST_TEST(open_descriptor_count() == descriptors); // the pipe is closed

    std::fclose(buffered);
    BOOST_TEST(read_file(log) == "marker\n");
}

BOOST_AUTO_TEST_CASE(a_file_without_execute_permission_is_refused)
{
    temp_folder folder;
    fs::path file = folder.path() / "no-x";
    write_file(file, "#!/bin/sh\nexit 0\n", fs::perms(0644));

    tool_run run;
    sj::process_spec spec;
    spec.argv = {file.string()};
    BOOST_TEST(!run.start_spec(spec));
    BOOST_TEST(run.ec == boost::system::errc::permission_denied);
}

BOOST_AUTO_TEST_CASE(killing_the_group_reaches_a_grandchild)
{
    temp_folder folder;
    fs::path pid_file = folder.path() / "grandchild.pid";
    tool_run run;
    BOOST_TEST_REQUIRE(
        run.start({"grandchild", pid_file.string(), "print", "ready", "sleep", "30"}));

    std::optional<long> grandchild;
    BOOST_TEST_REQUIRE(run.run_until([&] {
        grandchild = read_pid_file(pid_file);
        return grandchild && run.saw("ready");
    }));
    BOOST_TEST_REQUIRE(process_state(*grandchild) != 0);

    BOOST_TEST(!run.handle->signal_group(SIGKILL));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.status == sj::exit_status{-1, SIGKILL}));
    BOOST_TEST(run.run_until([&] { return gone_or_zombie(*grandchild); }));
}

BOOST_AUTO_TEST_CASE(sigterm_can_be_ignored_but_sigkill_cannot)
{
    // SIGTERM goes out when "ready" arrives, a second before "survived"
    tool_run run;
    run.on_output = [&](std::span<const std::string_view> got) {
        if (std::find(got.begin(), got.end(), "ready") != got.end())
            BOOST_TEST(!run.handle->signal_group(SIGTERM));
    };
    BOOST_TEST_REQUIRE(run.start(
        {"ignore-term", "print", "ready", "sleep", "1", "print", "survived", "sleep", "30"}));
    BOOST_TEST_REQUIRE(run.run_until([&] { return run.saw("survived") || run.status; }));
    BOOST_TEST_REQUIRE(!run.status.has_value());

    BOOST_TEST(!run.handle->signal_group(SIGKILL));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.status == sj::exit_status{-1, SIGKILL}));
}

BOOST_AUTO_TEST_CASE(the_signal_mask_and_dispositions_start_empty)
{
    // this thread blocks SIGUSR1 and ignores SIGPIPE while it starts the tool
    sigset_t usr1, old_mask;
    ::sigemptyset(&usr1);
    ::sigaddset(&usr1, SIGUSR1);
    ::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);
    struct sigaction ignore = {}, old_pipe = {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old_pipe);

    tool_run run;
    bool started = run.start({"sigmask"});

    ::sigaction(SIGPIPE, &old_pipe, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);

    BOOST_TEST_REQUIRE(started);
    BOOST_TEST_REQUIRE(run.run_to_exit());
    std::vector<std::string> expected = {"SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"};
    BOOST_TEST(run.lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_descriptor_beyond_the_three_is_inherited)
{
    int inheritable = ::open("/dev/null", O_RDONLY); // no O_CLOEXEC
    BOOST_TEST_REQUIRE(inheritable > 2);

    tool_run run;
    bool started = run.start({"fds"});
    ::close(inheritable);

    BOOST_TEST_REQUIRE(started);
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.lines == std::vector<std::string>{"fds: 0 1 2"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_server_without_stdin_still_sets_up_the_child)
{
    // The pipe gets descriptor 0; the child's stdin must still be
    // /dev/null and its output the pipe. Descriptor 0 is given back only
    // once the job is over and the library holds nothing there.
    tool_run run;
    asio::steady_timer reactor_first(run.io); // its descriptors exist before 0 is closed
    int saved = ::dup(0);
    BOOST_TEST_REQUIRE(saved > 2);
    ::close(0);
    bool started = run.start({"stdin", "print", "still here"});
    bool exited = started && run.run_to_exit();
    run.handle.reset();
    bool zero_free = ::fcntl(0, F_GETFD) == -1;
    ::dup2(saved, 0);
    ::close(saved);

    BOOST_TEST(zero_free);
    BOOST_TEST_REQUIRE(exited);
    std::vector<std::string> expected = {"/dev/null", "still here"};
    BOOST_TEST(run.lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(stdin_is_dev_null)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"stdin"}));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.lines == std::vector<std::string>{"/dev/null"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_environment_is_exactly_the_given_one)
{
    ::setenv("SCOPEJOBS_SERVER_ONLY", "1", 1);
    tool_run run;
    bool started =
        run.start({"env", "PYTHONUNBUFFERED", "env", "LATENT_SCOPE_DATA", "env",
                   "SCOPEJOBS_SERVER_ONLY", "env", "HOME"},
                  {"PATH=/usr/bin:/bin", "PYTHONUNBUFFERED=1", "LATENT_SCOPE_DATA=/srv/data"});
    ::unsetenv("SCOPEJOBS_SERVER_ONLY");

    BOOST_TEST_REQUIRE(started);
    BOOST_TEST_REQUIRE(run.run_to_exit());
    std::vector<std::string> expected = {"PYTHONUNBUFFERED=1", "LATENT_SCOPE_DATA=/srv/data",
                                         "SCOPEJOBS_SERVER_ONLY unset", "HOME unset"};
    BOOST_TEST(run.lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_bare_name_is_looked_up_on_the_spec_path)
{
    // the first two candidates are not executable files, the third is
    temp_folder folder;
    for (auto name : {"text", "folder", "tools"})
        fs::create_directory(folder.path() / name);
    write_file(folder.path() / "text" / "ls-fake", "#!/bin/sh\n", fs::perms(0644));
    fs::create_directory(folder.path() / "folder" / "ls-fake");
    fs::create_symlink(tool, folder.path() / "tools" / "ls-fake");

    std::string path = "PATH=relative:" + (folder.path() / "text").string() + ":" +
                       (folder.path() / "folder").string() +
                       "::" + (folder.path() / "tools").string() + ":/usr/bin:/bin";
    tool_run run;
    sj::process_spec spec;
    spec.argv = {"ls-fake", "print", "found"};
    spec.environment = {path};
    BOOST_TEST_REQUIRE(run.start_spec(spec));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.lines == std::vector<std::string>{"found"}, boost::test_tools::per_element());
    BOOST_TEST((*run.status == sj::exit_status{0, 0}));

    // not on the default path, which applies without PATH
    tool_run missing;
    spec.environment = {};
    BOOST_TEST(!missing.start_spec(spec));
    BOOST_TEST(missing.ec == boost::system::errc::no_such_file_or_directory);
}

BOOST_AUTO_TEST_CASE(without_path_the_default_path_is_searched)
{
    tool_run run;
    sj::process_spec spec;
    spec.argv = {"true"};
    BOOST_TEST_REQUIRE(run.start_spec(spec));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.status == sj::exit_status{0, 0}));
}

BOOST_AUTO_TEST_CASE(the_working_directory_is_entered_before_exec)
{
    temp_folder folder;
    fs::create_symlink(tool, folder.path() / "here-tool");

    tool_run run;
    sj::process_spec spec;
    spec.argv = {"./here-tool", "print", "in folder"};
    spec.working_directory = folder.path().string();
    BOOST_TEST_REQUIRE(run.start_spec(spec));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.lines == std::vector<std::string>{"in folder"},
               boost::test_tools::per_element());

    tool_run nowhere;
    spec.working_directory = (folder.path() / "missing").string();
    BOOST_TEST(!nowhere.start_spec(spec));
    BOOST_TEST(nowhere.ec == boost::system::errc::no_such_file_or_directory);
}

BOOST_AUTO_TEST_CASE(an_endless_line_arrives_in_bounded_pieces)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"endless", "200000"}));
    BOOST_TEST_REQUIRE(run.run_to_exit());

    std::string whole;
    for (const auto& piece : run.lines) {
        BOOST_TEST(piece.size() <= 65536u);
        whole += piece;
    }
    BOOST_TEST(run.lines.size() == 4u);
    BOOST_TEST(whole == std::string(200000, 'y'));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"write", "ok\\xff\\xfe end\\n"}));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.lines == std::vector<std::string>{"ok\xEF\xBF\xBD\xEF\xBF\xBD end"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_tool_that_closes_its_output_runs_until_it_exits)
{
    // "partial" has no line end: it arrives when the output ends
    tool_run run;
    bool output_ended = false;
    run.on_output = [&](std::span<const std::string_view> got) {
        if (std::find(got.begin(), got.end(), "partial") != got.end())
            output_ended = true;
    };
    BOOST_TEST_REQUIRE(run.start({"write", "partial", "close-output", "sleep", "0.5"}));
    auto id = run.handle->identity();
    BOOST_TEST_REQUIRE(id.has_value());
    BOOST_TEST_REQUIRE(run.run_to_exit());

    BOOST_TEST(output_ended);
    BOOST_TEST((*run.status == sj::exit_status{0, 0}));
    BOOST_TEST(!run.backend.alive(*id));
    BOOST_TEST((run.exited - run.started >= milliseconds(450)));
}

BOOST_AUTO_TEST_CASE(the_drain_timeout_bounds_a_pipe_held_by_a_grandchild)
{
    temp_folder folder;
    fs::path pid_file = folder.path() / "grandchild.pid";
    sj::posix_process_options options;
    options.drain_timeout = milliseconds(300);
    tool_run run(options);
    BOOST_TEST_REQUIRE(run.start({"grandchild", pid_file.string(), "print", "parent done"}));

    // the grandchild sleeps 60 s with the pipe open
    BOOST_TEST_REQUIRE(run.run_to_exit(seconds(20)));
    BOOST_TEST((*run.status == sj::exit_status{0, 0}));
    BOOST_TEST(run.saw("parent done"));
    BOOST_TEST((run.exited - run.started >= milliseconds(250)));

    std::optional<long> grandchild;
    BOOST_TEST_REQUIRE(run.run_until([&] {
        grandchild = read_pid_file(pid_file);
        return grandchild.has_value();
    }));
    BOOST_TEST(process_state(*grandchild) != 0);
    ::kill(pid_t(*grandchild), SIGKILL);
    BOOST_TEST(run.run_until([&] { return gone_or_zombie(*grandchild); }));
}

BOOST_AUTO_TEST_CASE(destroying_the_handle_neither_kills_nor_waits)
{
    std::optional<sj::process_identity> id;
    auto before = clock_type::now();
    {
        tool_run run;
        BOOST_TEST_REQUIRE(run.start({"sleep", "30"}));
        id = run.handle->identity();
        run.io.poll();
        run.handle.reset();
    } // the io_context goes too, with the handlers that held the child
    BOOST_TEST((clock_type::now() - before < seconds(5)));
    BOOST_TEST_REQUIRE(id.has_value());

    asio::io_context io;
    sj::posix_process backend(io.get_executor());
    BOOST_TEST(backend.alive(*id));

    // the child is still this process's to reap
    BOOST_TEST(::killpg(pid_t(id->pid), SIGKILL) == 0);
    int wait_status = 0;
    BOOST_TEST(::waitpid(pid_t(id->pid), &wait_status, 0) == pid_t(id->pid));
    BOOST_TEST(WIFSIGNALED(wait_status));
    BOOST_TEST(WTERMSIG(wait_status) == SIGKILL);
}

BOOST_AUTO_TEST_CASE(the_identity_matches_proc)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"sleep", "0.2"}));
    auto id = run.handle->identity();
    BOOST_TEST_REQUIRE(id.has_value());

    // not reaped before the io_context runs, so /proc still has it
    BOOST_TEST(id->pid > 0);
    BOOST_TEST(id->start_time == proc_start_time(long(id->pid)));
    BOOST_TEST((sj::process_start_time(id->pid) == std::optional<std::int64_t>(id->start_time)));
    BOOST_TEST(run.backend.alive(*id));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(!sj::process_start_time(id->pid).has_value());
}

BOOST_AUTO_TEST_CASE(alive_tells_zombies_reaped_and_other_processes_apart)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"sleep", "30"}));
    auto id = *run.handle->identity();
    auto other = sj::process_identity{id.pid, id.start_time + 1};

    BOOST_TEST(run.backend.alive(id));
    BOOST_TEST(!run.backend.alive(other));
    BOOST_TEST(!run.backend.alive(sj::process_identity{0, 0}));
    BOOST_TEST(!run.backend.alive(sj::process_identity{-1, 0}));
    BOOST_TEST(run.backend.signal_group(other, SIGKILL) == boost::system::errc::no_such_process);
    BOOST_TEST(run.backend.alive(id));

    // killed but not yet reaped: a zombie is not alive
    BOOST_TEST(!run.backend.signal_group(id, SIGKILL));
    auto zombie = [&] { return process_state(long(id.pid)) == 'Z'; };
    for (auto deadline = clock_type::now() + seconds(10);
         !zombie() && clock_type::now() < deadline;)
        std::this_thread::sleep_for(milliseconds(5));
    BOOST_TEST_REQUIRE(zombie());
    BOOST_TEST(!run.backend.alive(id));

    // reaped
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.status == sj::exit_status{-1, SIGKILL}));
    BOOST_TEST(!run.backend.alive(id));
    BOOST_TEST(run.backend.signal_group(id, SIGTERM) == boost::system::errc::no_such_process);
    BOOST_TEST(!run.handle->signal_group(SIGTERM)); // a no-op once reaped
}

BOOST_AUTO_TEST_CASE(every_read_is_reported_even_without_a_line)
{
    tool_run run;
    BOOST_TEST_REQUIRE(run.start({"write", "no end yet", "sleep", "30"}));
    BOOST_TEST_REQUIRE(run.run_until([&] { return run.output_calls > 0; }));
    BOOST_TEST(run.lines.empty());

    BOOST_TEST(!run.handle->signal_group(SIGKILL));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.lines == std::vector<std::string>{"no end yet"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
