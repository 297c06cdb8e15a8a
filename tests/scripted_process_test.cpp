#include <scopejobs/process/scripted_process.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace sj = scopejobs;
namespace asio = boost::asio;
using step = sj::script_step;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// One io_context, one backend, and what the children it started reported.
struct scripted_run
{
    struct events_seen
    {
        std::vector<std::string> lines;
        int output_calls = 0;
        std::optional<sj::exit_status> status;
        std::function<void(std::span<const std::string_view>)> on_output;
    };

    asio::io_context io;
    sj::scripted_process backend{io.get_executor()};
    std::vector<std::unique_ptr<events_seen>> seen;

    // Starts a process; its events land in `seen.back()`.
    std::shared_ptr<sj::scripted_process::child> start(sj::error_code& ec,
                                                       std::vector<std::string> argv = {"tool"})
    {
        auto& record = *seen.emplace_back(std::make_unique<events_seen>());
        sj::process_events events;
        events.output = [&record](std::span<const std::string_view> got) {
            BOOST_TEST(!record.status.has_value());
            ++record.output_calls;
            record.lines.insert(record.lines.end(), got.begin(), got.end());
            if (record.on_output)
                record.on_output(got);
        };
        events.exit = [&record](sj::exit_status status) {
            BOOST_TEST(!record.status.has_value());
            record.status = status;
        };
        sj::process_spec spec;
        spec.argv = std::move(argv);
        return backend.start(std::move(spec), std::move(events), ec);
    }

    std::shared_ptr<sj::scripted_process::child> start_script(sj::script steps)
    {
        backend.push(std::move(steps));
        sj::error_code ec;
        auto child = start(ec);
        BOOST_TEST(!ec);
        return child;
    }

    events_seen& last() { return *seen.back(); }

    // Runs handlers until `done()` holds, within a generous bound.
    template <class Condition>
    bool run_until(Condition done)
    {
        auto deadline = clock_type::now() + seconds(20);
        while (!done() && clock_type::now() < deadline) {
            io.restart();
            if (io.run_one_until(deadline) == 0)
                return done();
        }
        return done();
    }

    bool run_to_exit()
    {
        return run_until([this] { return last().status.has_value(); });
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(scripted_process)

BOOST_AUTO_TEST_CASE(print_delivers_one_line_per_step)
{
    scripted_run run;
    auto child = run.start_script({step::print("one"), step::print("two")});
    BOOST_TEST_REQUIRE(child != nullptr);
    BOOST_TEST(run.last().output_calls == 0); // nothing before start returned

    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.last().lines == (std::vector<std::string>{"one", "two"}),
               boost::test_tools::per_element());
    BOOST_TEST(run.last().output_calls == 2);
    BOOST_TEST((*run.last().status == sj::exit_status{0, 0}));
    BOOST_TEST(child->ended());
}

BOOST_AUTO_TEST_CASE(output_goes_through_the_line_splitter)
{
    scripted_run run;
    run.start_script({step::output("10%\r20%"), step::output("\r\nhalf "), step::output("line"),
                      step::output("\xFFok\n"), step::output("unfinished")});
    BOOST_TEST_REQUIRE(run.run_to_exit());

    std::vector<std::string> expected = {"10%", "20%", "half line\xEF\xBF\xBDok", "unfinished"};
    BOOST_TEST(run.last().lines == expected, boost::test_tools::per_element());
    BOOST_TEST(run.last().output_calls == 6); // five steps, and the end
}

BOOST_AUTO_TEST_CASE(long_lines_are_cut_at_max_line)
{
    asio::io_context io;
    sj::scripted_process backend(io.get_executor(), 8);
    backend.push({step::print("abcdefghij")});
    std::vector<std::string> lines;
    sj::process_events events;
    events.output = [&](std::span<const std::string_view> got) {
        lines.insert(lines.end(), got.begin(), got.end());
    };
    sj::error_code ec;
    backend.start({}, std::move(events), ec);
    io.run_for(seconds(20));
    BOOST_TEST(lines == (std::vector<std::string>{"abcdefgh", "ij"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(wait_delays_the_next_step)
{
    scripted_run run;
    auto before = clock_type::now();
    run.start_script({step::print("before"), step::wait(milliseconds(100)), step::print("after")});
    BOOST_TEST_REQUIRE(run.run_until([&] { return !run.last().lines.empty(); }));
    BOOST_TEST(run.last().lines.size() == 1u);

    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((clock_type::now() - before >= milliseconds(100)));
    BOOST_TEST(run.last().lines == (std::vector<std::string>{"before", "after"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(exit_ends_with_its_code_and_skips_the_rest)
{
    scripted_run run;
    run.start_script({step::print("a"), step::exit(3), step::print("never")});
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{3, 0}));
    BOOST_TEST(run.last().lines == std::vector<std::string>{"a"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(die_ends_as_if_killed)
{
    scripted_run run;
    run.start_script({step::output("partial"), step::die(SIGSEGV)});
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{-1, SIGSEGV}));
    BOOST_TEST(run.last().lines == std::vector<std::string>{"partial"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_empty_script_exits_zero)
{
    scripted_run run;
    run.start_script({});
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{0, 0}));
    BOOST_TEST(run.last().output_calls == 0);
}

BOOST_AUTO_TEST_CASE(hang_waits_for_a_signal)
{
    scripted_run run;
    auto child = run.start_script({step::print("working"), step::hang(), step::print("never")});
    BOOST_TEST_REQUIRE(run.run_until([&] { return !run.last().lines.empty(); }));
    run.io.restart();
    run.io.poll();
    BOOST_TEST(run.io.stopped()); // nothing left to do: it hangs
    BOOST_TEST(!run.last().status.has_value());
    BOOST_TEST(!child->ended());

    BOOST_TEST(!child->signal_group(SIGKILL));
    BOOST_TEST(!run.last().status.has_value()); // delivered later, as a real exit is
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{-1, SIGKILL}));
    BOOST_TEST(run.last().lines == std::vector<std::string>{"working"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sigterm_ends_a_script_that_does_not_ignore_it)
{
    scripted_run run;
    auto child = run.start_script({step::wait(seconds(60)), step::print("never")});
    BOOST_TEST(!child->signal_group(SIGTERM));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{-1, SIGTERM}));
    BOOST_TEST(run.last().lines.empty());
    BOOST_TEST(child->signals() == std::vector<int>{SIGTERM}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ignore_term_leaves_sigkill_working)
{
    scripted_run run;
    std::shared_ptr<sj::scripted_process::child> child;
    run.backend.push({step::ignore_term(), step::print("ready"), step::hang()});
    sj::error_code ec;
    child = run.start(ec);
    run.last().on_output = [&](std::span<const std::string_view>) {
        BOOST_TEST(!child->signal_group(SIGTERM));
        BOOST_TEST(!child->signal_group(SIGUSR1));
    };
    BOOST_TEST_REQUIRE(run.run_until([&] { return child->signals().size() == 2; }));
    run.io.restart();
    run.io.poll();
    BOOST_TEST(!run.last().status.has_value());

    BOOST_TEST(!child->signal_group(SIGKILL));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{-1, SIGKILL}));
    BOOST_TEST(child->signals() == (std::vector<int>{SIGTERM, SIGUSR1, SIGKILL}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(other_signals_are_only_recorded)
{
    scripted_run run;
    auto child = run.start_script({step::wait(milliseconds(50)), step::print("done")});
    BOOST_TEST(!child->signal_group(SIGINT));
    BOOST_TEST(!child->signal_group(SIGHUP));
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{0, 0}));
    BOOST_TEST(run.last().lines == std::vector<std::string>{"done"},
               boost::test_tools::per_element());
    BOOST_TEST(child->signals() == (std::vector<int>{SIGINT, SIGHUP}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_kill_during_output_stops_the_next_steps)
{
    scripted_run run;
    std::shared_ptr<sj::scripted_process::child> child;
    run.backend.push({step::print("one"), step::print("two"), step::print("three")});
    sj::error_code ec;
    child = run.start(ec);
    run.last().on_output = [&](std::span<const std::string_view>) { child->signal_group(SIGKILL); };
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{-1, SIGKILL}));
    BOOST_TEST(run.last().lines == std::vector<std::string>{"one"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(signals_after_the_exit_do_nothing)
{
    scripted_run run;
    auto child = run.start_script({step::exit(0)});
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(!child->signal_group(SIGKILL));
    run.io.restart();
    run.io.poll();
    BOOST_TEST(child->signals().empty());
    BOOST_TEST((*run.last().status == sj::exit_status{0, 0}));
}

BOOST_AUTO_TEST_CASE(signals_from_another_thread_are_handled_on_the_executor)
{
    scripted_run run;
    auto child = run.start_script({step::hang()});
    std::thread sender([&] { BOOST_CHECK(!child->signal_group(SIGKILL)); });
    sender.join();
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST((*run.last().status == sj::exit_status{-1, SIGKILL}));
}

BOOST_AUTO_TEST_CASE(scripts_come_from_the_queue_then_the_source)
{
    scripted_run run;
    run.backend.set_source([](const sj::process_spec& spec) {
        return sj::script{step::print("made for " + spec.argv.at(0)), step::exit(7)};
    });
    run.backend.push({step::print("queued")});

    sj::error_code ec;
    run.start(ec, {"first"});
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.last().lines == std::vector<std::string>{"queued"},
               boost::test_tools::per_element());

    run.start(ec, {"second"});
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.last().lines == std::vector<std::string>{"made for second"},
               boost::test_tools::per_element());
    BOOST_TEST((*run.last().status == sj::exit_status{7, 0}));
}

BOOST_AUTO_TEST_CASE(a_start_can_be_made_to_fail_once)
{
    scripted_run run;
    run.backend.push({step::print("kept for the next start")});
    run.backend.fail_next_start(make_error_code(boost::system::errc::no_such_file_or_directory));

    sj::error_code ec;
    BOOST_TEST(run.start(ec) == nullptr);
    BOOST_TEST(ec == boost::system::errc::no_such_file_or_directory);
    BOOST_TEST(run.backend.children().empty());

    auto child = run.start(ec);
    BOOST_TEST(!ec);
    BOOST_TEST_REQUIRE(child != nullptr);
    BOOST_TEST_REQUIRE(run.run_to_exit());
    BOOST_TEST(run.last().lines == std::vector<std::string>{"kept for the next start"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(specs_children_and_identities_are_recorded)
{
    scripted_run run;
    run.backend.fail_next_start(make_error_code(boost::system::errc::permission_denied));
    sj::error_code ec;
    run.start(ec, {"failed"});
    auto first = run.start(ec, {"ls-embed", "ds"});
    auto second = run.start(ec, {"ls-umap", "ds"});

    auto specs = run.backend.specs();
    BOOST_TEST_REQUIRE(specs.size() == 3u);
    BOOST_TEST(specs[0].argv == std::vector<std::string>{"failed"});
    BOOST_TEST(specs[1].argv == (std::vector<std::string>{"ls-embed", "ds"}));
    BOOST_TEST(specs[2].argv == (std::vector<std::string>{"ls-umap", "ds"}));

    auto children = run.backend.children();
    BOOST_TEST_REQUIRE(children.size() == 2u);
    BOOST_TEST((children[0] == first));
    BOOST_TEST((children[1] == second));
    BOOST_TEST((first->identity() == sj::process_identity{100000, 1100000}));
    BOOST_TEST((second->identity() == sj::process_identity{100001, 1100001}));
    run.io.run_for(seconds(20));
}

BOOST_AUTO_TEST_CASE(marked_identities_are_alive_until_signalled)
{
    scripted_run run;
    sj::process_identity orphan{4242, 99};
    BOOST_TEST(!run.backend.alive(orphan));
    BOOST_TEST(run.backend.signal_group(orphan, SIGTERM) == boost::system::errc::no_such_process);

    run.backend.mark_alive(orphan);
    BOOST_TEST(run.backend.alive(orphan));
    BOOST_TEST(!run.backend.alive(sj::process_identity{4242, 100}));
    BOOST_TEST(!run.backend.signal_group(orphan, SIGTERM));
    BOOST_TEST(!run.backend.alive(orphan));
    BOOST_TEST(run.backend.signal_group(orphan, SIGKILL) == boost::system::errc::no_such_process);

    auto signals = run.backend.orphan_signals();
    BOOST_TEST_REQUIRE(signals.size() == 1u);
    BOOST_TEST((signals[0].first == orphan));
    BOOST_TEST(signals[0].second == SIGTERM);
}

BOOST_AUTO_TEST_SUITE_END()
