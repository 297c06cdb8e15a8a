#include <scopejobs/runner.hpp>

#include <scopejobs/process/scripted_process.hpp>
#include <scopejobs/store/memory_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

namespace asio = boost::asio;
namespace sj = scopejobs;
using namespace std::chrono_literals;
using step = sj::script_step;

namespace {

using runner_type = sj::basic_runner<sj::scripted_process, sj::memory_store>;

// A runner on a scripted backend and a memory store, with short timings.
struct fixture
{
    explicit fixture(sj::settings config = quick())
        : processes(io.get_executor()), store(collect()),
          runner(io.get_executor(), processes, store, with_log(std::move(config)))
    {
        runner.on_final([this](const sj::job_record& record) { finals.push_back(record); });
    }

    static sj::settings quick()
    {
        sj::settings config;
        config.data_dir = "/nonexistent/scopejobs-test-data";
        config.write_interval = 20ms;
        config.stop_grace = 50ms;
        config.inactivity_timeout = 0ms;
        return config;
    }

    sj::log_sink collect()
    {
        return [this](sj::log_level, std::string_view line) {
            std::lock_guard lock(log_mutex);
            log.emplace_back(line);
        };
    }

    sj::settings with_log(sj::settings config)
    {
        config.log = collect();
        return config;
    }

    std::string start(sj::script steps, std::string dataset = "ds")
    {
        processes.push(std::move(steps));
        sj::error_code ec;
        auto id = runner.start({.dataset = dataset, .argv = {"ls-embed", dataset, "text"}}, ec);
        BOOST_REQUIRE_MESSAGE(!ec, "start failed: " << ec.message());
        return id;
    }

    // Runs the executor until `done` holds, failing after a generous bound.
    template <class Predicate>
    void run_until(Predicate done, std::chrono::seconds bound = 10s)
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

    sj::job_record stored(const std::string& id, const std::string& dataset = "ds")
    {
        sj::error_code ec;
        auto record = store.read(dataset, id, ec);
        BOOST_REQUIRE(record.has_value());
        return *record;
    }

    asio::io_context io;
    sj::scripted_process processes;
    sj::memory_store store;
    runner_type runner;
    std::vector<sj::job_record> finals;
    std::mutex log_mutex;
    std::vector<std::string> log;
};

sj::settings with(auto change)
{
    auto config = fixture::quick();
    change(config);
    return config;
}

std::vector<std::string> lines_of(const std::deque<std::string>& lines)
{
    return {lines.begin(), lines.end()};
}

} // namespace

BOOST_AUTO_TEST_SUITE(runner)

BOOST_AUTO_TEST_CASE(the_record_exists_before_the_tool_starts)
{
    fixture f;
    auto id = f.start({step::print("hello")});
    BOOST_TEST(id.size() == 36u);
    BOOST_TEST(id[14] == '4');

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::running));
    BOOST_TEST(record.dataset == "ds");
    BOOST_TEST(record.job_name == "embed");
    BOOST_TEST(record.command == "ls-embed ds text");
    BOOST_TEST(record.argv.size() == 3u);
    BOOST_TEST(record.progress.empty());
    BOOST_TEST(!record.last_update.empty());
    BOOST_TEST(f.processes.specs().empty()); // the executor has not run yet
}

BOOST_AUTO_TEST_CASE(a_tool_that_exits_0_completes_with_its_lines)
{
    fixture f;
    auto id = f.start({step::print("one"), step::print("  two \t"), step::print(""),
                       step::output("three\rfour\r\nfive"), step::exit(0)});
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::completed));
    std::vector<std::string> expected = {"one", "two", "", "three", "four", "five"};
    BOOST_TEST(lines_of(record.progress) == expected, boost::test_tools::per_element());
    BOOST_TEST(record.times.size() == record.progress.size());
    BOOST_TEST(*record.exit_code == 0);
    BOOST_TEST(!record.signal);
    BOOST_TEST(f.store.log("ds", id) == "one\ntwo\n\nthree\nfour\nfive\n");
    BOOST_TEST(record.last_update >= record.times.back());
    BOOST_TEST(f.finals.size() == 1u);
    BOOST_TEST((f.finals[0] == record));
    BOOST_TEST(f.runner.running() == 0u);
}

BOOST_AUTO_TEST_CASE(a_non_zero_exit_is_an_error)
{
    fixture f;
    auto id = f.start({step::print("x"), step::exit(3)});
    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(*record.exit_code == 3);
}

BOOST_AUTO_TEST_CASE(death_by_a_signal_is_an_error_with_the_signal)
{
    fixture f;
    auto id = f.start({step::die(SIGSEGV)});
    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(*record.signal == SIGSEGV);
    BOOST_TEST(*record.exit_code == -SIGSEGV);
}

BOOST_AUTO_TEST_CASE(a_tool_that_cannot_start_ends_in_error_with_the_reason)
{
    fixture f;
    f.processes.fail_next_start(make_error_code(boost::system::errc::no_such_file_or_directory));
    sj::error_code ec;
    auto id = f.runner.start({.dataset = "ds", .argv = {"ls-missing"}}, ec);
    BOOST_REQUIRE(!ec);
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_REQUIRE(record.progress.size() == 1u);
    BOOST_TEST(record.progress[0] ==
               "Failed to start process: ls-missing: No such file or directory");
    BOOST_TEST(record.times.size() == 1u);
    BOOST_TEST(!record.exit_code);
}

BOOST_AUTO_TEST_CASE(markers_set_their_fields)
{
    fixture f;
    auto id = f.start({step::print("RUNNING:run-7"), step::print("done FINAL_SCOPE: scopes-002"),
                       step::print("IMPORTED_ROWS: 1200"), step::print("RUNNING:")});
    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST(*record.run_id == "run-7");
    BOOST_TEST(*record.scope_id == "scopes-002");
    BOOST_TEST((*record.imported_rows == sj::imported_rows_value(std::int64_t(1200))));
    BOOST_TEST(record.progress.size() == 4u);
    BOOST_TEST((record.status == sj::job_status::completed));
}

BOOST_AUTO_TEST_CASE(the_record_keeps_the_newest_lines_and_the_log_keeps_all)
{
    fixture f(with([](auto& c) { c.progress_cap = 5; }));
    sj::script steps;
    for (int i = 0; i < 20; ++i)
        steps.push_back(step::print("line " + std::to_string(i)));
    auto id = f.start(steps);
    f.run_until_final();

    auto record = f.stored(id);
    std::vector<std::string> expected = {"line 15", "line 16", "line 17", "line 18", "line 19"};
    BOOST_TEST(lines_of(record.progress) == expected, boost::test_tools::per_element());
    BOOST_TEST(record.times.size() == 5u);
    auto log = f.store.log("ds", id);
    BOOST_TEST(std::count(log.begin(), log.end(), '\n') == 20);
    BOOST_TEST(log.starts_with("line 0\nline 1\n"));
}

BOOST_AUTO_TEST_CASE(a_cap_of_zero_keeps_every_line)
{
    fixture f(with([](auto& c) { c.progress_cap = 0; }));
    sj::script steps(800, step::print("same"));
    auto id = f.start(steps);
    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST(record.progress.size() == 800u);
    BOOST_TEST(record.times.size() == 800u);
}

BOOST_AUTO_TEST_CASE(streaming_writes_the_record_at_most_once_per_interval)
{
    fixture f(with([](auto& c) { c.write_interval = 100ms; }));
    sj::script steps;
    for (int i = 0; i < 120; ++i) {
        steps.push_back(step::print("tick " + std::to_string(i)));
        steps.push_back(step::wait(5ms));
    }
    auto begin = std::chrono::steady_clock::now();
    f.start(steps);
    f.run_until_final();
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();

    // the first record, the pid, then the throttled rewrites, and the final one
    auto writes = f.store.write_count();
    BOOST_TEST_MESSAGE(writes << " writes in " << seconds << " s");
    BOOST_TEST(writes <= std::size_t(seconds / 0.1) + 4);
    BOOST_TEST(writes >= 4u); // something was written while it streamed
    BOOST_TEST(f.runner.counters().record_writes + 1 == writes); // + the first
}

BOOST_AUTO_TEST_CASE(a_burst_of_output_is_one_write_not_one_per_line)
{
    fixture f(with([](auto& c) { c.write_interval = 10s; }));
    sj::script steps(5000, step::print("burst"));
    f.start(steps);
    f.run_until_final();
    // first record, pid, at most one throttled write, final
    BOOST_TEST(f.store.write_count() <= 4u);
    BOOST_TEST(f.runner.counters().log_writes <= 3u);
}

BOOST_AUTO_TEST_CASE(silence_past_the_timeout_stops_the_tool_and_records_error)
{
    fixture f(with([](auto& c) { c.inactivity_timeout = 100ms; }));
    auto id = f.start({step::print("working"), step::ignore_term(), step::hang()});
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(record.progress.back() == "Timeout: No output for more than 0.1 seconds.");
    BOOST_TEST(record.times.size() == record.progress.size());
    // asked with SIGTERM, which it ignored, then forced after the grace
    auto signals = f.processes.children().at(0)->signals();
    std::vector<int> expected = {SIGTERM, SIGKILL};
    BOOST_TEST(signals == expected, boost::test_tools::per_element());
    BOOST_TEST(*record.signal == SIGKILL);
}

BOOST_AUTO_TEST_CASE(a_tool_that_stops_on_sigterm_is_not_forced)
{
    fixture f(with([](auto& c) {
        c.inactivity_timeout = 50ms;
        c.stop_grace = 10s;
    }));
    auto id = f.start({step::hang()});
    f.run_until_final(); // well before the grace would run out
    auto signals = f.processes.children().at(0)->signals();
    BOOST_TEST(signals == std::vector<int>{SIGTERM}, boost::test_tools::per_element());
    BOOST_TEST((f.stored(id).status == sj::job_status::error));
}

BOOST_AUTO_TEST_CASE(output_keeps_a_slow_tool_alive)
{
    fixture f(with([](auto& c) { c.inactivity_timeout = 150ms; }));
    sj::script steps;
    for (int i = 0; i < 8; ++i) {
        steps.push_back(step::wait(50ms));
        steps.push_back(step::output(".")); // not even a whole line
    }
    auto id = f.start(steps);
    f.run_until_final();
    BOOST_TEST((f.stored(id).status == sj::job_status::completed));
}

BOOST_AUTO_TEST_CASE(kill_kills_the_group_and_the_record_stays_dead)
{
    fixture f;
    auto id = f.start({step::print("working"), step::hang()});
    f.run_until([&] { return f.store.log("ds", id).size() > 0; });

    sj::error_code ec;
    auto answer = f.runner.kill("ds", id, ec);
    BOOST_REQUIRE(answer.has_value());
    BOOST_TEST((answer->status == sj::job_status::dead));
    BOOST_TEST(*answer->cause_of_death == "killed");
    BOOST_TEST((f.stored(id).status == sj::job_status::dead)); // written at once

    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::dead));
    BOOST_TEST(*record.cause_of_death == "killed");
    BOOST_TEST(*record.signal == SIGKILL);
    BOOST_TEST(f.processes.children().at(0)->signals() == std::vector<int>{SIGKILL},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_kill_before_the_tool_started_starts_nothing)
{
    fixture f;
    auto id = f.start({step::print("never")});
    sj::error_code ec;
    auto answer = f.runner.kill("ds", id, ec);
    BOOST_TEST((answer->status == sj::job_status::dead));
    f.run_until_final();
    BOOST_TEST(f.processes.specs().empty());
    BOOST_TEST((f.stored(id).status == sj::job_status::dead));
}

BOOST_AUTO_TEST_CASE(a_kill_racing_the_exit_keeps_whichever_came_first)
{
    for (int round = 0; round < 200; ++round) {
        fixture f;
        auto id = f.start({step::print("x"), step::exit(0)});
        std::optional<sj::job_record> answer;
        std::thread killer([&] {
            sj::error_code ec;
            answer = f.runner.kill("ds", id, ec);
        });
        f.run_until_final();
        killer.join();

        auto record = f.stored(id);
        BOOST_REQUIRE(answer.has_value());
        // a kill answered dead means dead for good; otherwise it came late
        BOOST_TEST((record.status == answer->status || answer->status == sj::job_status::running));
        BOOST_TEST(
            (record.status == sj::job_status::dead || record.status == sj::job_status::completed));
    }
}

BOOST_AUTO_TEST_CASE(kill_of_a_finished_job_changes_nothing)
{
    fixture f;
    auto id = f.start({step::exit(0)});
    f.run_until_final();
    auto before = f.store.record_text("ds", id);
    sj::error_code ec;
    auto answer = f.runner.kill("ds", id, ec);
    BOOST_TEST((answer->status == sj::job_status::completed));
    BOOST_TEST(!answer->cause_of_death);
    BOOST_TEST((f.store.record_text("ds", id) == before));
}

BOOST_AUTO_TEST_CASE(kill_of_a_running_record_without_a_process_presumes_it_dead)
{
    fixture f;
    sj::job_record orphan;
    orphan.id = "3f2a0000-0000-4000-8000-000000000000";
    orphan.dataset = "ds";
    orphan.progress = {"old line"};
    orphan.times = {"2026-01-01 00:00:00"};
    sj::error_code ec;
    f.store.write(orphan, false, ec);

    auto answer = f.runner.kill("ds", orphan.id, ec);
    BOOST_TEST((answer->status == sj::job_status::dead));
    BOOST_TEST(*answer->cause_of_death == "process not found, presumed dead");
    BOOST_TEST((f.stored(orphan.id).status == sj::job_status::dead));
    BOOST_TEST(f.stored(orphan.id).progress.size() == 1u);
}

BOOST_AUTO_TEST_CASE(kill_of_an_unknown_job_answers_nothing)
{
    fixture f;
    sj::error_code ec;
    BOOST_TEST(!f.runner.kill("ds", "no-such-job", ec));
    BOOST_TEST(!ec);
    BOOST_TEST(!f.runner.kill("ds", "../../etc", ec));
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(unsafe_or_empty_launches_are_refused)
{
    fixture f;
    sj::error_code ec;
    f.runner.start({.dataset = "../x", .argv = {"ls-embed"}}, ec);
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
    f.runner.start({.dataset = "ds", .argv = {}}, ec);
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
    BOOST_TEST(f.store.write_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_first_record_that_cannot_be_written_starts_nothing)
{
    fixture f;
    f.store.fail_writes(1, make_error_code(boost::system::errc::no_space_on_device));
    sj::error_code ec;
    auto id = f.runner.start({.dataset = "ds", .argv = {"ls-embed"}}, ec);
    BOOST_TEST((ec == boost::system::errc::no_space_on_device));
    BOOST_TEST(id.empty());
    f.io.poll();
    BOOST_TEST(f.processes.specs().empty());
    BOOST_TEST(f.runner.running() == 0u);
}

BOOST_AUTO_TEST_CASE(a_store_failing_mid_job_is_logged_once_and_the_job_ends)
{
    fixture f;
    auto id = f.start(
        {step::print("a"), step::wait(30ms), step::print("b"), step::wait(30ms), step::print("c")});
    f.store.fail_writes(1000, make_error_code(boost::system::errc::no_space_on_device));
    f.run_until_final();
    std::size_t reports = 0;
    for (const auto& line : f.log)
        reports += line.find("cannot write its record") != std::string::npos;
    BOOST_TEST(reports == 1u);
    BOOST_TEST((f.finals.at(0).status == sj::job_status::completed));
    BOOST_TEST((f.stored(id).status == sj::job_status::running)); // the last good write

    // once the store takes writes again, the final record reaches it
    f.store.fail_writes(0, {});
    f.run_until([&] { return f.stored(id).status == sj::job_status::completed; });
    BOOST_TEST(f.stored(id).progress.size() == 3u);
    std::size_t written = 0;
    for (const auto& line : f.log)
        written += line.find("final record written after") != std::string::npos;
    BOOST_TEST(written == 1u);
}

BOOST_AUTO_TEST_CASE(a_final_record_still_unwritten_at_shutdown_is_tried_once_more)
{
    fixture f;
    auto id = f.start({step::print("a"), step::exit(0)});
    f.store.fail_writes(1000, make_error_code(boost::system::errc::no_space_on_device));
    f.run_until_final();

    // shutdown does not wait out the retry interval, and leaves no timer
    bool closed = false;
    f.runner.shutdown([&] { closed = true; });
    f.run_until([&] { return closed; });
    f.io.restart();
    f.io.poll();
    BOOST_TEST(f.io.stopped());
    std::size_t gave_up = 0;
    for (const auto& line : f.log)
        gave_up += line.find("still not written at shutdown") != std::string::npos;
    BOOST_TEST(gave_up == 1u);
    f.store.fail_writes(0, {});
    BOOST_TEST((f.stored(id).status == sj::job_status::running)); // for the next start to settle
}

BOOST_AUTO_TEST_CASE(tools_get_the_environment_they_need)
{
    ::setenv("SCOPEJOBS_TEST_INHERITED", "yes", 1);
    fixture f(with([](auto& c) {
        c.tools_dir = "/opt/tools";
        c.environment = {"EXTRA=1", "PYTHONUNBUFFERED=0"};
    }));
    f.start({step::exit(0)});
    f.run_until_final();

    auto environment = f.processes.specs().at(0).environment;
    auto value = [&](std::string_view name) -> std::optional<std::string> {
        std::optional<std::string> found;
        for (const auto& variable : environment)
            if (variable.starts_with(std::string(name) + "=")) {
                BOOST_TEST(!found, "set twice: " << name);
                found = variable.substr(name.size() + 1);
            }
        return found;
    };
    BOOST_TEST(*value("SCOPEJOBS_TEST_INHERITED") == "yes");
    BOOST_TEST(*value("LATENT_SCOPE_DATA") == "/nonexistent/scopejobs-test-data");
    BOOST_TEST(value("PATH")->starts_with("/opt/tools:"));
    BOOST_TEST(*value("EXTRA") == "1");
    BOOST_TEST(*value("PYTHONUNBUFFERED") == "0"); // the embedder's word is last
    ::unsetenv("SCOPEJOBS_TEST_INHERITED");
}

BOOST_AUTO_TEST_CASE(times_come_from_the_settings_clock)
{
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    fixture f(with([](auto& c) {
        c.clock = [] {
            return std::chrono::system_clock::time_point(std::chrono::seconds(1771169558));
        };
    }));
    auto id = f.start({step::print("x")});
    f.run_until_final();
    auto record = f.stored(id);
    BOOST_TEST(record.times.at(0) == "2026-02-15 15:32:38");
    BOOST_TEST(record.last_update == "2026-02-15 15:32:38");
}

BOOST_AUTO_TEST_CASE(upload_cleanup_runs_after_the_exit_inside_the_dataset_only)
{
    auto data =
        std::filesystem::temp_directory_path() / ("scopejobs-runner-" + std::to_string(::getpid()));
    std::filesystem::create_directories(data / "ds" / "uploads" / "job");
    std::ofstream(data / "ds" / "uploads" / "job" / "payload.json") << "{}";
    std::filesystem::create_directories(data / "other");
    std::ofstream(data / "other" / "keep") << "x";

    fixture f(with([&](auto& c) { c.data_dir = data; }));
    f.processes.push({step::print("importing")});
    sj::error_code ec;
    auto id = f.runner.start({.dataset = "ds",
                              .argv = {"ls-twitter-import", "ds"},
                              .cleanup = {data / "ds" / "uploads" / "job"}},
                             ec);
    f.processes.push({step::exit(0)});
    auto outside = f.runner.start(
        {.dataset = "ds", .argv = {"ls-x"}, .cleanup = {data / "ds" / ".." / "other" / "keep"}},
        ec);
    f.run_until_final(2);

    BOOST_TEST(!std::filesystem::exists(data / "ds" / "uploads" / "job"));
    BOOST_TEST(f.stored(id).progress.back() == "Cleaned up temporary upload files.");
    BOOST_TEST(std::filesystem::exists(data / "other" / "keep"));
    auto refused = f.stored(outside).progress;
    BOOST_REQUIRE(refused.size() == 2u);
    BOOST_TEST(refused[0] == "Cleanup errors:");
    BOOST_TEST(refused[1].find("keep: Invalid argument") != std::string::npos);
    std::filesystem::remove_all(data);
}

BOOST_AUTO_TEST_CASE(reconcile_settles_records_an_earlier_server_left_running)
{
    fixture f;
    auto plant = [&](std::string id, sj::job_status status, std::optional<std::int64_t> pid) {
        sj::job_record r;
        r.id = std::move(id);
        r.dataset = "ds";
        r.status = status;
        r.pid = pid;
        if (pid)
            r.pid_start = *pid + 1;
        sj::error_code ec;
        f.store.write(r, false, ec);
    };
    plant("gone", sj::job_status::running, std::nullopt); // reference record, no pid
    plant("reused", sj::job_status::running, 777);        // pid no longer alive
    plant("orphan", sj::job_status::running, 888);        // still running
    plant("finished", sj::job_status::completed, std::nullopt);
    f.processes.mark_alive({888, 889});

    bool done = false;
    f.runner.reconcile([&] { done = true; });
    f.run_until([&] { return done; });

    auto gone = f.stored("gone");
    BOOST_TEST((gone.status == sj::job_status::error));
    BOOST_TEST(gone.progress.back() == "server restarted while job was running; marked as dead");
    BOOST_TEST((f.stored("reused").status == sj::job_status::error));
    auto orphan = f.stored("orphan");
    BOOST_TEST((orphan.status == sj::job_status::error));
    BOOST_TEST(orphan.progress.back() ==
               "server restarted while job was running; stopped the orphaned process");
    BOOST_TEST(orphan.times.size() == orphan.progress.size());
    auto signals = f.processes.orphan_signals();
    BOOST_REQUIRE(signals.size() == 1u);
    BOOST_TEST(signals[0].second == SIGTERM);
    BOOST_TEST((f.stored("finished").status == sj::job_status::completed));
}

BOOST_AUTO_TEST_CASE(shutdown_stops_every_job_and_refuses_new_ones)
{
    fixture f;
    auto a = f.start({step::print("a"), step::hang()});
    auto b = f.start({step::ignore_term(), step::hang()});
    f.run_until([&] { return f.processes.children().size() == 2; });

    bool done = false;
    f.runner.shutdown([&] { done = true; });
    f.run_until([&] { return done; });

    for (const auto& id : {a, b}) {
        auto record = f.stored(id);
        BOOST_TEST((record.status == sj::job_status::error));
        BOOST_TEST(record.progress.back() == "server stopped while job was running");
    }
    BOOST_TEST(f.finals.size() == 2u);
    sj::error_code ec;
    f.runner.start({.dataset = "ds", .argv = {"ls-embed"}}, ec);
    BOOST_TEST((ec == boost::system::errc::operation_canceled));
}

BOOST_AUTO_TEST_CASE(output_after_a_shutdown_goes_to_the_log_and_the_record_ends_with_the_stop)
{
    fixture f(with([](auto& c) { c.stop_grace = 5s; }));
    auto id = f.start({step::print("a"), step::ignore_term(), step::wait(300ms),
                       step::print("printed while stopping"), step::exit(0)});
    f.run_until([&] { return f.store.log("ds", id).size() > 0; });

    bool done = false;
    f.runner.shutdown([&] { done = true; });
    f.run_until([&] { return done; });

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(lines_of(record.progress) ==
                   (std::vector<std::string>{"a", "server stopped while job was running"}),
               boost::test_tools::per_element());
    BOOST_TEST(record.times.size() == record.progress.size());
    BOOST_TEST(f.store.log("ds", id) ==
               "a\nserver stopped while job was running\nprinted while stopping\n");
}

BOOST_AUTO_TEST_CASE(output_after_a_timeout_goes_to_the_log_and_the_record_ends_with_it)
{
    // the timeout at 100 ms, the line at 300 ms, the forced stop at 500 ms
    fixture f(with([](auto& c) {
        c.inactivity_timeout = 100ms;
        c.stop_grace = 400ms;
    }));
    auto id = f.start({step::print("working"), step::ignore_term(), step::wait(300ms),
                       step::print("printed while stopping"), step::hang()});
    f.run_until_final();

    auto record = f.stored(id);
    BOOST_TEST((record.status == sj::job_status::error));
    BOOST_TEST(record.progress.back() == "Timeout: No output for more than 0.1 seconds.");
    BOOST_TEST(record.progress.size() == 2u);
    BOOST_TEST(f.store.log("ds", id).ends_with("printed while stopping\n"));
}

BOOST_AUTO_TEST_CASE(the_live_record_is_newer_than_the_file)
{
    fixture f(with([](auto& c) { c.write_interval = 10s; }));
    auto id = f.start({step::print("one"), step::print("two"), step::hang()});
    f.run_until([&] {
        auto live = f.runner.live_record(id);
        return live && live->progress.size() == 2;
    });
    BOOST_TEST(f.runner.running() == 1u);
    sj::error_code ec;
    f.runner.kill("ds", id, ec);
    f.run_until_final();
    BOOST_TEST(!f.runner.live_record(id));
}

BOOST_AUTO_TEST_CASE(an_in_process_task_is_recorded_like_a_tool)
{
    fixture f;
    sj::error_code ec;
    auto ok = f.runner.start_task(
        {.dataset = "ds", .argv = {"delete", "umap", "umap-001"}}, f.io.get_executor(),
        [] {
            return sj::task_result{{"removed a", "removed b"}, true};
        },
        ec);
    auto failed = f.runner.start_task(
        {.dataset = "ds", .argv = {"delete", "scope", "s"}}, f.io.get_executor(),
        []() -> sj::task_result { throw std::runtime_error("disk on fire"); }, ec);
    BOOST_TEST((f.stored(ok).status == sj::job_status::running)); // written before it runs
    f.run_until_final(2);

    auto record = f.stored(ok);
    BOOST_TEST((record.status == sj::job_status::completed));
    BOOST_TEST(record.job_name == "delete");
    BOOST_TEST(record.command == "delete umap umap-001");
    BOOST_TEST(lines_of(record.progress) == (std::vector<std::string>{"removed a", "removed b"}),
               boost::test_tools::per_element());
    auto bad = f.stored(failed);
    BOOST_TEST((bad.status == sj::job_status::error));
    BOOST_TEST(bad.progress.back() == "disk on fire");
    BOOST_TEST(f.processes.specs().empty());
}

BOOST_AUTO_TEST_SUITE_END()
