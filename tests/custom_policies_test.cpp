#include <nice_process/nice_process.hpp>
#include <tokenize_route/tokenize_route.hpp>

#include "support.hpp"

#include <scopejobs/process/scripted_process.hpp>
#include <scopejobs/router/test_router.hpp>
#include <scopejobs/service.hpp>
#include <scopejobs/store/memory_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sj = scopejobs;
using namespace std::chrono_literals;
using argv_t = std::vector<std::string>;

const std::string tool = SCOPEJOBS_TEST_TOOL;

// Runs the loop until `done`, failing the test after a bound.
template <class Predicate>
void run_until(asio::io_context& io, Predicate done)
{
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done()) {
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                              "the awaited event did not come");
        io.restart();
        io.run_for(5ms);
    }
}

// What one tool printed, and how it ended.
struct tool_run
{
    std::vector<std::string> lines;
    std::optional<sj::exit_status> exit;
};

// Starts `argv` on `backend` and runs the loop until the tool has exited.
tool_run run_tool(asio::io_context& io, nice_example::nice_process& backend, argv_t argv)
{
    tool_run run;
    sj::process_events events;
    events.output = [&](std::span<const std::string_view> lines) {
        run.lines.insert(run.lines.end(), lines.begin(), lines.end());
    };
    events.exit = [&](sj::exit_status status) { run.exit = status; };
    sj::error_code ec;
    auto child =
        backend.start({std::move(argv), {"PATH=/usr/bin:/bin"}, {}}, std::move(events), ec);
    BOOST_REQUIRE_MESSAGE(child, "start failed: " << ec.message());
    run_until(io, [&] { return run.exit.has_value(); });
    return run;
}

// The value of the line `name: value` among `lines`.
std::string value_of(const std::vector<std::string>& lines, const std::string& name)
{
    for (const auto& line : lines)
        if (line.starts_with(name + ": "))
            return line.substr(name.size() + 2);
    BOOST_FAIL("no line " << name << " in the tool's output");
    return {};
}

// The niceness a tool gets when `added` is asked on top of this process's.
int expected_niceness(int added)
{
    return std::min(19, ::getpriority(PRIO_PROCESS, 0) + added);
}

nice_example::nice_process_options nice_options(int niceness, const fs::path& work_root,
                                                bool keep = false)
{
    nice_example::nice_process_options options;
    options.niceness = niceness;
    options.work_root = work_root;
    options.keep_work_folders = keep;
    return options;
}

std::size_t entries_in(const fs::path& folder)
{
    std::error_code ignored;
    return std::size_t(std::distance(fs::directory_iterator(folder, ignored), {}));
}

// The service with the tokenize route, over scripted processes.
struct tokenize_fixture
{
    using service_type = sj::basic_job_service<sj::test_router, sj::scripted_process,
                                               sj::memory_store, tokenize_example::tokenize_routes>;

    explicit tokenize_fixture(bool read_only = false)
        : processes(io.get_executor()), store(sj::null_sink()),
          service(io.get_executor(), router, processes, store, configure(read_only))
    {
        sj::error_code ec;
        service.open(ec);
        BOOST_REQUIRE_MESSAGE(!ec, ec.message());
        pump();
    }

    sj::settings configure(bool read_only)
    {
        sj::settings config;
        config.data_dir = scratch.path;
        config.read_only = read_only;
        config.log = sj::null_sink();
        return config;
    }

    void pump()
    {
        io.restart();
        io.poll();
    }

    sj::http::response get(const std::string& target)
    {
        return router.call(sj::http::verb::get, "/api/jobs" + target);
    }

    sj::testing::temporary_folder scratch{"scopejobs-custom"};
    asio::io_context io;
    sj::test_router router;
    sj::scripted_process processes;
    sj::memory_store store;
    service_type service;
};

} // namespace

BOOST_AUTO_TEST_SUITE(custom_policies)

// --- nice_process ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_tool_runs_with_the_niceness_asked_in_a_folder_of_its_own)
{
    sj::testing::temporary_folder scratch("scopejobs-custom");
    asio::io_context io;
    nice_example::nice_process backend(io.get_executor(), nice_options(5, scratch.path / "work"));

    auto first = run_tool(io, backend, {tool, "nice-cwd"});
    BOOST_TEST((*first.exit == sj::exit_status{0, 0}));
    BOOST_TEST(value_of(first.lines, "nice") == std::to_string(expected_niceness(5)));
    fs::path folder = value_of(first.lines, "cwd");
    BOOST_TEST(folder.parent_path() == scratch.path / "work");
    BOOST_TEST(folder.filename().string().starts_with(fs::path(tool).filename().string() + "-"));

    // the folder is gone once the tool has exited, and the next gets its own
    BOOST_TEST(!fs::exists(folder));
    auto second = run_tool(io, backend, {tool, "nice-cwd"});
    BOOST_TEST(value_of(second.lines, "cwd") != folder.string());
    BOOST_TEST(entries_in(scratch.path / "work") == 0u);
}

BOOST_AUTO_TEST_CASE(working_folders_are_kept_when_asked)
{
    sj::testing::temporary_folder scratch("scopejobs-custom");
    asio::io_context io;
    nice_example::nice_process backend(io.get_executor(),
                                       nice_options(2, scratch.path / "work", true));

    auto run = run_tool(io, backend, {tool, "nice-cwd", "exit", "3"});
    BOOST_TEST(run.exit->code == 3); // the tool's own status, not nice's
    BOOST_TEST(fs::is_directory(value_of(run.lines, "cwd")));
    BOOST_TEST(entries_in(scratch.path / "work") == 1u);
}

BOOST_AUTO_TEST_CASE(a_missing_tool_fails_the_start_and_leaves_no_folder)
{
    sj::testing::temporary_folder scratch("scopejobs-custom");
    asio::io_context io;
    nice_example::nice_process backend(io.get_executor(), nice_options(10, scratch.path / "work"));

    sj::error_code ec;
    auto child = backend.start({{"scopejobs-no-such-tool"}, {"PATH=/usr/bin:/bin"}, {}}, {}, ec);
    BOOST_TEST(!child);
    BOOST_TEST((ec == boost::system::errc::no_such_file_or_directory));
    BOOST_TEST(entries_in(scratch.path / "work") == 0u);
}

BOOST_AUTO_TEST_CASE(the_service_records_and_kills_the_tool_itself_not_nice)
{
    sj::testing::temporary_folder scratch("scopejobs-custom");
    asio::io_context io;
    nice_example::nice_process backend(io.get_executor(), nice_options(4, scratch.path / "work"));
    sj::memory_store store(sj::null_sink());
    sj::test_router router;
    sj::settings config;
    config.data_dir = scratch.path / "data";
    config.log = sj::null_sink();
    sj::basic_job_service<sj::test_router, nice_example::nice_process, sj::memory_store> service(
        io.get_executor(), router, backend, store, config);
    sj::error_code ec;
    service.open(ec);
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());

    // the record keeps the command as asked; the niceness is the tool's
    auto id = service.start("ds", {tool, "nice-cwd"}, ec);
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());
    run_until(io, [&] { return service.runner().running() == 0; });
    auto record = service.get("ds", id, ec);
    BOOST_REQUIRE(record.has_value());
    BOOST_TEST((record->status == sj::job_status::completed));
    BOOST_TEST(record->argv == (argv_t{tool, "nice-cwd"}), boost::test_tools::per_element());
    std::vector<std::string> lines(record->progress.begin(), record->progress.end());
    BOOST_TEST(value_of(lines, "nice") == std::to_string(expected_niceness(4)));

    // the pid recorded runs the tool, and a kill through the route ends it
    auto sleeper = service.start("ds", {tool, "print", "up", "sleep", "30"}, ec);
    BOOST_REQUIRE(!ec);
    run_until(io, [&] { return store.log("ds", sleeper) == "up\n"; });
    auto pid = service.get("ds", sleeper, ec)->pid.value_or(0);
    BOOST_TEST(fs::read_symlink("/proc/" + std::to_string(pid) + "/exe") == fs::canonical(tool));
    auto killed = router.call(sj::http::verb::get, "/api/jobs/kill?dataset=ds&job_id=" + sleeper);
    BOOST_TEST(killed.status == 200);
    run_until(io, [&] { return service.runner().running() == 0; });
    BOOST_TEST((service.get("ds", sleeper, ec)->status == sj::job_status::dead));

    bool closed = false;
    service.close([&] { closed = true; });
    run_until(io, [&] { return closed; });
}

// --- tokenize_route -------------------------------------------------------

BOOST_AUTO_TEST_CASE(tokenize_runs_ls_tokenize_with_the_dataset_and_embedding)
{
    tokenize_fixture f;
    auto response = f.get("/tokenize?dataset=my%20data&embedding_id=embedding-001");
    BOOST_REQUIRE_MESSAGE(response.status == 200, response.body);
    auto id = json::parse(response.body).at("job_id").as_string();
    f.pump();

    auto specs = f.processes.specs();
    BOOST_REQUIRE(specs.size() == 1u);
    BOOST_TEST(specs[0].argv == (argv_t{"ls-tokenize", "my data", "embedding-001"}),
               boost::test_tools::per_element());
    sj::error_code ec;
    auto record = f.service.get("my data", id, ec);
    BOOST_REQUIRE(record.has_value());
    BOOST_TEST(record->job_name == "tokenize");
}

BOOST_AUTO_TEST_CASE(tokenize_refuses_missing_and_unsafe_parameters)
{
    tokenize_fixture f;
    struct row
    {
        std::string target;
        std::string error;
    };
    std::vector<row> table = {
        {"/tokenize?dataset=ds", "Missing required parameters: embedding_id"},
        {"/tokenize", "Missing required parameters: dataset, embedding_id"},
        {"/tokenize?dataset=ds&embedding_id=", "Invalid embedding_id: is empty"},
        {"/tokenize?dataset=ds&embedding_id=..", "Invalid embedding_id: is '..'"},
        {"/tokenize?dataset=ds&embedding_id=a%2Fb", "Invalid embedding_id: contains '/'"},
        {"/tokenize?dataset=ds&embedding_id=-rf", "Invalid embedding_id: starts with '-'"},
        {"/tokenize?dataset=.hidden&embedding_id=e", "Invalid dataset: starts with '.'"},
    };
    for (const auto& [target, error] : table) {
        auto response = f.get(target);
        BOOST_TEST(response.status == 400, target);
        auto body = json::parse(response.body);
        BOOST_TEST(body.at("error").as_string() == error, target);
    }
    f.pump();
    BOOST_TEST(f.processes.specs().empty());
}

BOOST_AUTO_TEST_CASE(the_other_routes_still_work_beside_tokenize)
{
    tokenize_fixture f;
    auto response = f.get("/embed_truncate?dataset=ds&embedding_id=e&dimensions=64");
    BOOST_REQUIRE_MESSAGE(response.status == 200, response.body);
    auto id = std::string(json::parse(response.body).at("job_id").as_string());
    f.pump();
    BOOST_TEST(f.processes.specs().back().argv == (argv_t{"ls-embed-truncate", "ds", "e", "64"}),
               boost::test_tools::per_element());

    // reads, and an unknown path, as before
    BOOST_TEST(f.get("/job?dataset=ds&job_id=" + id).status == 200);
    BOOST_TEST(json::parse(f.get("/all?dataset=ds").body).as_array().size() == 1u);
    BOOST_TEST(f.get("/health").status == 200);
    BOOST_TEST(f.get("/tokenize/").status == 404);
}

BOOST_AUTO_TEST_CASE(tokenize_is_a_write_route_and_not_served_read_only)
{
    tokenize_fixture f(true);
    BOOST_TEST(f.get("/tokenize?dataset=ds&embedding_id=e").status == 404);
    BOOST_TEST(f.get("/health").status == 200);
    f.pump();
    BOOST_TEST(f.processes.specs().empty());
}

BOOST_AUTO_TEST_SUITE_END()
