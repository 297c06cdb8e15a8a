// The runner with real processes and real files: the test tool plays the
// tools, filesystem_store keeps the records in a temporary data folder.

#include <scopejobs/runner.hpp>

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/store/filesystem_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace sj = scopejobs;
using namespace std::chrono_literals;

namespace {

using runner_type = sj::basic_runner<sj::posix_process, sj::filesystem_store>;

std::string slurp(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool process_exists(pid_t pid)
{
    // a zombie no longer runs: count it as gone
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return false;
    auto state = line.find(") ");
    return state != std::string::npos && line[state + 2] != 'Z';
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds bound = 10s)
{
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(5ms); // polling /proc: there is no event to wait on
    }
    return true;
}

struct fixture
{
    explicit fixture(auto change)
        : data(fs::temp_directory_path() /
               ("scopejobs-posix-" + std::to_string(::getpid()) + "-" + std::to_string(counter++))),
          io(), processes(io.get_executor()), store(data, sj::null_sink()),
          runner(io.get_executor(), processes, store, configure(change))
    {
        runner.on_final([this](const sj::job_record& record) { finals.push_back(record); });
    }

    fixture() : fixture([](sj::settings&) {}) {}

    ~fixture()
    {
        std::error_code ignored;
        fs::remove_all(data, ignored);
    }

    sj::settings configure(auto change)
    {
        sj::settings config;
        config.data_dir = data;
        config.write_interval = 50ms;
        config.stop_grace = 200ms;
        config.inactivity_timeout = 0ms;
        config.log = sj::null_sink();
        change(config);
        return config;
    }

    std::string start(std::vector<std::string> args)
    {
        args.insert(args.begin(), SCOPEJOBS_TEST_TOOL);
        sj::error_code ec;
        auto id = runner.start({.dataset = "ds", .argv = std::move(args)}, ec);
        BOOST_REQUIRE_MESSAGE(!ec, "start failed: " << ec.message());
        return id;
    }

    template <class Predicate>
    void run_until(Predicate done, std::chrono::seconds bound = 20s)
    {
        auto deadline = std::chrono::steady_clock::now() + bound;
        while (!done()) {
            BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                                  "the awaited event did not come");
            io.run_for(5ms);
            io.restart();
        }
    }

    void run_until_final(std::size_t count = 1)
    {
        run_until([&] { return finals.size() >= count; });
    }

    // The record as a client reads it: the file, parsed strictly.
    sj::job_record stored(const std::string& id)
    {
        auto text = slurp(store.record_path("ds", id));
        sj::error_code ec;
        auto record = sj::job_from_text(text, ec);
        BOOST_REQUIRE_MESSAGE(!ec, "the record is not valid JSON: " << ec.message());
        return record;
    }

    static inline int counter = 0;
    fs::path data;
    asio::io_context io;
    sj::posix_process processes;
    sj::filesystem_store store;
    runner_type runner;
    std::vector<sj::job_record> finals;
};

} // namespace

BOOST_AUTO_TEST_SUITE(runner_posix)

BOOST_AUTO_TEST_CASE(a_tool_runs_to_completion_with_its_output_recorded)
{
    fixture f;
    auto id = f.start({"print", "RUNNING: run-9", "stderr", "to stderr", "print", "done"});
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::completed));
    std::vector<std::string> lines(record.progress.begin(), record.progress.end());
    std::vector<std::string> expected = {"RUNNING: run-9", "to stderr", "done"};
    BOOST_TEST(lines == expected, boost::test_tools::per_element());
    BOOST_TEST(*record.run_id == "run-9");
    BOOST_TEST(*record.exit_code == 0);
    BOOST_TEST(record.pid.has_value());
    BOOST_TEST(record.pid_start.has_value());
    BOOST_TEST(slurp(f.store.log_path("ds", id)) == "RUNNING: run-9\nto stderr\ndone\n");
}

BOOST_AUTO_TEST_CASE(many_lines_stream_into_a_capped_record_and_a_whole_log)
{
    fixture f;
    auto id = f.start({"lines", "100000", "79"});
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::completed));
    BOOST_TEST(record.progress.size() == 500u);
    BOOST_TEST(record.times.size() == 500u);
    BOOST_TEST(record.progress.back().starts_with("line 100000 "));
    BOOST_TEST(record.progress.front().starts_with("line 99501 "));
    auto log = slurp(f.store.log_path("ds", id));
    BOOST_TEST(std::count(log.begin(), log.end(), '\n') == 100000);
    BOOST_TEST(f.runner.counters().log_writes < 1000u); // batched, not one per line
}

BOOST_AUTO_TEST_CASE(a_silent_tool_times_out_and_its_group_is_stopped)
{
    fixture f([](auto& c) { c.inactivity_timeout = 300ms; });
    auto id = f.start({"print", "started", "sleep", "30"});
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(record.progress.back() == "Timeout: No output for more than 0.3 seconds.");
    BOOST_TEST(*record.signal == SIGTERM);
    BOOST_TEST(!process_exists(pid_t(*record.pid)));
}

BOOST_AUTO_TEST_CASE(a_tool_that_ignores_sigterm_is_forced_after_the_grace)
{
    fixture f([](auto& c) { c.inactivity_timeout = 300ms; });
    auto id = f.start({"ignore-term", "print", "started", "sleep", "30"});
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(*record.signal == SIGKILL);
}

BOOST_AUTO_TEST_CASE(kill_takes_the_grandchildren_with_the_group)
{
    fixture f;
    auto pidfile = f.data / "grandchild.pid";
    fs::create_directories(f.data);
    auto id = f.start({"grandchild", pidfile.string(), "print", "ready", "sleep", "30"});
    f.run_until([&] {
        auto live = f.runner.live_record(id);
        return live && !live->progress.empty() && fs::exists(pidfile);
    });
    pid_t grandchild = std::stoi(slurp(pidfile));
    BOOST_REQUIRE(process_exists(grandchild));

    sj::error_code ec;
    auto answer = f.runner.kill("ds", id, ec);
    BOOST_TEST((answer->status == sj::job_status::dead));
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::dead));
    BOOST_TEST(*record.cause_of_death == "killed");
    BOOST_TEST(eventually([&] { return !process_exists(grandchild); }));
}

BOOST_AUTO_TEST_CASE(a_non_zero_exit_is_recorded_as_error)
{
    fixture f;
    auto id = f.start({"print", "failing", "exit", "3"});
    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(*record.exit_code == 3);
}

BOOST_AUTO_TEST_CASE(a_missing_executable_is_an_error_record_not_a_crash)
{
    fixture f;
    sj::error_code ec;
    auto id = f.runner.start({.dataset = "ds", .argv = {"scopejobs-no-such-tool", "x"}}, ec);
    BOOST_REQUIRE(!ec);
    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(record.progress.back() ==
               "Failed to start process: scopejobs-no-such-tool: No such file or directory");
}

BOOST_AUTO_TEST_CASE(an_endless_line_is_recorded_in_bounded_pieces)
{
    fixture f;
    auto id = f.start({"endless", "200000"});
    f.run_until_final();
    auto record = f.stored(id);
    std::size_t total = 0;
    for (const auto& piece : record.progress) {
        BOOST_TEST(piece.size() <= 65536u);
        BOOST_TEST(piece.find_first_not_of('y') == std::string::npos);
        total += piece.size();
    }
    BOOST_TEST(total == 200000u);
    BOOST_TEST(record.progress.size() == 4u);
}

BOOST_AUTO_TEST_CASE(bytes_that_are_not_utf8_leave_the_record_valid_json)
{
    fixture f;
    auto id = f.start({"write", "\\xff\\xfeok \\xe2\\x82\\n", "print", "after"});
    f.run_until_final();
    auto text = slurp(f.store.record_path("ds", id));
    sj::error_code ec;
    boost::json::parse(text, ec); // strict: rejects invalid UTF-8
    BOOST_TEST(!ec);
    auto record = f.stored(id);
    BOOST_TEST(record.progress.at(0) == "\xEF\xBF\xBD\xEF\xBF\xBDok \xEF\xBF\xBD");
    BOOST_TEST((record.status == sj::job_status::completed));
}

BOOST_AUTO_TEST_CASE(tools_see_the_data_folder_and_unbuffered_python)
{
    fixture f;
    auto id = f.start({"env", "LATENT_SCOPE_DATA", "env", "PYTHONUNBUFFERED"});
    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST(record.progress.at(0) == "LATENT_SCOPE_DATA=" + fs::absolute(f.data).string());
    BOOST_TEST(record.progress.at(1) == "PYTHONUNBUFFERED=1");
}

BOOST_AUTO_TEST_CASE(a_kill_racing_a_real_exit_never_flips_the_record)
{
    fixture f;
    for (int round = 0; round < 40; ++round) {
        auto id = f.start({"exit", "0"});
        std::optional<sj::job_record> answer;
        std::thread killer([&] {
            sj::error_code ec;
            answer = f.runner.kill("ds", id, ec);
        });
        f.run_until_final(std::size_t(round) + 1);
        killer.join();

        auto record = f.stored(id);
        BOOST_REQUIRE(answer.has_value());
        if (answer->status == sj::job_status::dead)
            BOOST_TEST((record.status == sj::job_status::dead));
        BOOST_TEST(
            (record.status == sj::job_status::dead || record.status == sj::job_status::completed));
    }
}

BOOST_AUTO_TEST_CASE(reconcile_stops_an_orphan_and_spares_a_reused_pid)
{
    fixture f([](auto& c) { c.stop_grace = 2s; });

    // a tool an earlier server started, now nobody's child but ours
    auto spawn_sleeper = [] {
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attributes, 0);
        const char* argv[] = {SCOPEJOBS_TEST_TOOL, "sleep", "30", nullptr};
        pid_t pid = 0;
        int rc = posix_spawn(&pid, SCOPEJOBS_TEST_TOOL, nullptr, &attributes,
                             const_cast<char**>(argv), environ);
        posix_spawnattr_destroy(&attributes);
        BOOST_REQUIRE(rc == 0);
        return pid;
    };
    pid_t orphan = spawn_sleeper();
    pid_t bystander = spawn_sleeper();
    BOOST_REQUIRE(eventually([&] { return sj::process_start_time(bystander).has_value(); }));

    auto plant = [&](std::string id, pid_t pid, std::int64_t start) {
        sj::job_record r;
        r.id = std::move(id);
        r.dataset = "ds";
        r.pid = pid;
        r.pid_start = start;
        sj::error_code ec;
        f.store.write(r, false, ec);
        BOOST_REQUIRE(!ec);
    };
    plant("orphan", orphan, *sj::process_start_time(orphan));
    plant("reused", bystander, *sj::process_start_time(bystander) + 1); // another process

    bool done = false;
    f.runner.reconcile([&] { done = true; });
    f.run_until([&] { return done; });

    int status = 0;
    BOOST_TEST(::waitpid(orphan, &status, 0) == orphan); // it was stopped
    BOOST_TEST(WIFSIGNALED(status));
    BOOST_TEST(f.stored("orphan").progress.back() ==
               "server restarted while job was running; stopped the orphaned process");
    BOOST_TEST(f.stored("reused").progress.back() ==
               "server restarted while job was running; marked as dead");
    BOOST_TEST(process_exists(bystander)); // never signalled

    ::kill(bystander, SIGKILL);
    ::waitpid(bystander, &status, 0);
}

BOOST_AUTO_TEST_CASE(shutdown_records_every_running_job_as_stopped)
{
    fixture f;
    auto id = f.start({"print", "started", "sleep", "30"});
    f.run_until([&] {
        auto live = f.runner.live_record(id);
        return live && !live->progress.empty();
    });
    bool done = false;
    f.runner.shutdown([&] { done = true; });
    f.run_until([&] { return done; });
    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(record.progress.back() == "server stopped while job was running");
    BOOST_TEST(!process_exists(pid_t(*record.pid)));
}

BOOST_AUTO_TEST_SUITE_END()
