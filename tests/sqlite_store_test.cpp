#include <sqlite_store/sqlite_store.hpp>

#include "support.hpp"

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/router/test_router.hpp>
#include <scopejobs/service.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sj = scopejobs;
using store_type = sqlite_example::sqlite_store;
using namespace std::chrono_literals;

sj::job_record make_record(std::string dataset, std::string id, std::string status = "running")
{
    sj::error_code ec;
    auto record =
        sj::job_from_text(R"({"id": ")" + id + R"(", "dataset": ")" + dataset +
                              R"(", "job_name": "embed", "command": "ls-embed )" + dataset +
                              R"(", "status": ")" + status +
                              R"(", "last_update": "2026-02-15 15:32:38",)"
                              R"( "progress": ["one"], "times": ["2026-02-15 15:32:38"]})",
                          ec);
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());
    return record;
}

// Puts `text` as the record of `dataset/id` through a connection of its
// own, as another program writing the database would.
void put_raw_record(const fs::path& file, const std::string& dataset, const std::string& id,
                    const std::string& text)
{
    sqlite3* connection = nullptr;
    BOOST_REQUIRE(::sqlite3_open(file.c_str(), &connection) == SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    const char* sql = "INSERT OR REPLACE INTO job_records (dataset, id, record) VALUES (?, ?, ?)";
    BOOST_REQUIRE(::sqlite3_prepare_v2(connection, sql, -1, &statement, nullptr) == SQLITE_OK);
    ::sqlite3_bind_text(statement, 1, dataset.c_str(), -1, SQLITE_TRANSIENT);
    ::sqlite3_bind_text(statement, 2, id.c_str(), -1, SQLITE_TRANSIENT);
    ::sqlite3_bind_text(statement, 3, text.c_str(), -1, SQLITE_TRANSIENT);
    BOOST_TEST(::sqlite3_step(statement) == SQLITE_DONE);
    ::sqlite3_finalize(statement);
    ::sqlite3_close(connection);
}

std::string read_whole_log(const store_type& store, std::string_view dataset, std::string_view id)
{
    sj::error_code ec;
    auto log = store.read_log(dataset, id, 0, std::size_t(1) << 30, ec);
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());
    BOOST_REQUIRE(log.has_value());
    return *log;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sqlite_store)

BOOST_AUTO_TEST_CASE(records_are_written_read_and_listed)
{
    sj::testing::temporary_folder scratch("scopejobs-sqlite");
    store_type store(scratch.path / "jobs.sqlite3", sj::null_sink());

    sj::error_code ec;
    store.write(make_record("ds", "b-job"), false, ec);
    BOOST_REQUIRE(!ec);
    store.write(make_record("ds", "a-job"), true, ec); // durable write, same result
    BOOST_REQUIRE(!ec);
    store.write(make_record("other", "c-job"), false, ec);
    BOOST_REQUIRE(!ec);

    // a write replaces the whole record
    store.write(make_record("ds", "b-job", "completed"), false, ec);
    BOOST_REQUIRE(!ec);
    auto record = store.read("ds", "b-job", ec);
    BOOST_REQUIRE(!ec);
    BOOST_REQUIRE(record.has_value());
    BOOST_TEST(sj::job_to_text(*record) ==
               sj::job_to_text(make_record("ds", "b-job", "completed")));

    auto listed = store.list("ds");
    BOOST_REQUIRE(listed.size() == 2u);
    BOOST_TEST(listed[0].id == "a-job");
    BOOST_TEST(listed[1].id == "b-job");
    BOOST_TEST(store.list("nothing").empty());
    BOOST_TEST(store.datasets() == (std::vector<std::string>{"ds", "other"}));

    // none there: nothing, and no error
    BOOST_TEST(!store.read("ds", "missing", ec).has_value());
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(unsafe_names_are_refused)
{
    sj::testing::temporary_folder scratch("scopejobs-sqlite");
    store_type store(scratch.path / "jobs.sqlite3", sj::null_sink());

    sj::error_code ec;
    store.write(make_record("../ds", "job"), false, ec);
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
    store.append_log("ds", ".hidden", "line\n", ec);
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
    BOOST_TEST(!store.read("ds", "a/b", ec).has_value());
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
    BOOST_TEST(!store.read_log("-ds", "job", 0, 10, ec).has_value());
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
    BOOST_TEST(store.list("..").empty());
    BOOST_TEST(store.datasets().empty());
}

BOOST_AUTO_TEST_CASE(logs_are_appended_and_read_from_any_offset)
{
    sj::testing::temporary_folder scratch("scopejobs-sqlite");
    store_type store(scratch.path / "jobs.sqlite3", sj::null_sink());

    sj::error_code ec;
    BOOST_TEST(!store.read_log("ds", "job", 0, 100, ec).has_value()); // no log yet
    BOOST_TEST(!ec);
    store.append_log("ds", "job", "", ec); // nothing appends nothing
    BOOST_TEST(!store.read_log("ds", "job", 0, 100, ec).has_value());

    for (std::string_view chunk : {"first\n", "second\nthird\n", "fourth\n"}) {
        store.append_log("ds", "job", chunk, ec);
        BOOST_REQUIRE(!ec);
    }
    const std::string whole = "first\nsecond\nthird\nfourth\n";
    BOOST_TEST(read_whole_log(store, "ds", "job") == whole);

    // every window, across the chunk boundaries
    for (std::size_t offset = 0; offset <= whole.size() + 2; ++offset)
        for (std::size_t max : {std::size_t(0), std::size_t(1), std::size_t(5), std::size_t(40)}) {
            auto part = store.read_log("ds", "job", offset, max, ec);
            BOOST_REQUIRE(!ec);
            BOOST_REQUIRE(part.has_value());
            auto expected = offset >= whole.size() ? std::string() : whole.substr(offset, max);
            BOOST_TEST(*part == expected, "offset " << offset << " max " << max);
        }
    BOOST_TEST(*store.read_log("ds", "job", std::uint64_t(-1), 10, ec) == "");

    // a dataset with only a log is a dataset
    BOOST_TEST(store.datasets() == std::vector<std::string>{"ds"});
}

BOOST_AUTO_TEST_CASE(a_reopened_file_reads_back)
{
    sj::testing::temporary_folder scratch("scopejobs-sqlite");
    auto file = scratch.path / "jobs.sqlite3";
    sj::error_code ec;
    {
        store_type store(file, sj::null_sink());
        store.write(make_record("ds", "job", "completed"), true, ec);
        BOOST_REQUIRE(!ec);
        store.append_log("ds", "job", "one\ntwo\n", ec);
        BOOST_REQUIRE(!ec);
    }

    store_type store(file, sj::null_sink());
    auto record = store.read("ds", "job", ec);
    BOOST_REQUIRE(record.has_value());
    BOOST_TEST((record->status == sj::job_status::completed));
    BOOST_TEST(read_whole_log(store, "ds", "job") == "one\ntwo\n");

    // appends go on where the earlier connection stopped
    store.append_log("ds", "job", "three\n", ec);
    BOOST_TEST(read_whole_log(store, "ds", "job") == "one\ntwo\nthree\n");
}

BOOST_AUTO_TEST_CASE(a_file_that_is_no_database_is_refused)
{
    sj::testing::temporary_folder scratch("scopejobs-sqlite");
    auto file = scratch.path / "jobs.sqlite3";
    std::ofstream(file) << std::string(4096, 'x');
    BOOST_CHECK_THROW(store_type(file, sj::null_sink()), boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(two_threads_write_concurrently_through_two_connections)
{
    sj::testing::temporary_folder scratch("scopejobs-sqlite");
    auto file = scratch.path / "jobs.sqlite3";
    store_type first(file, sj::null_sink());
    store_type second(file, sj::null_sink());
    constexpr int per_thread = 200;

    // each writes its own records and appends to one shared log; the
    // records are made here, since Boost.Test may not be used from threads
    std::map<std::string, std::vector<sj::job_record>> records;
    for (std::string name : {"a", "b"})
        for (int i = 0; i < per_thread; ++i)
            records[name].push_back(make_record("ds", name + "-" + std::to_string(i)));
    auto writer = [&](store_type& store, std::string name, std::vector<sj::error_code>& errors) {
        for (int i = 0; i < per_thread; ++i) {
            sj::error_code ec;
            store.write(records.at(name)[std::size_t(i)], false, ec);
            if (ec)
                errors.push_back(ec);
            store.append_log("ds", "shared", name + " " + std::to_string(i) + "\n", ec);
            if (ec)
                errors.push_back(ec);
        }
    };
    std::vector<sj::error_code> first_errors, second_errors;
    std::thread a(writer, std::ref(first), "a", std::ref(first_errors));
    std::thread b(writer, std::ref(second), "b", std::ref(second_errors));
    a.join();
    b.join();
    BOOST_TEST(first_errors.empty());
    BOOST_TEST(second_errors.empty());

    // every record, and every line whole and in each writer's order
    BOOST_TEST(first.list("ds").size() == std::size_t(2 * per_thread));
    std::istringstream log(read_whole_log(second, "ds", "shared"));
    int next_a = 0, next_b = 0;
    for (std::string line; std::getline(log, line);) {
        if (line == "a " + std::to_string(next_a))
            ++next_a;
        else if (line == "b " + std::to_string(next_b))
            ++next_b;
        else
            BOOST_FAIL("unexpected log line: " << line);
    }
    BOOST_TEST(next_a == per_thread);
    BOOST_TEST(next_b == per_thread);
}

BOOST_AUTO_TEST_CASE(a_corrupt_row_is_unreadable_and_skipped_with_one_warning_per_version)
{
    sj::testing::temporary_folder scratch("scopejobs-sqlite");
    auto file = scratch.path / "jobs.sqlite3";
    sj::testing::collected_log log;
    store_type store(file, log.sink());
    sj::error_code ec;
    store.write(make_record("ds", "good"), false, ec);
    BOOST_REQUIRE(!ec);

    // half a document, as a writer that died mid-way would leave it
    put_raw_record(file, "ds", "bad", R"({"id": "bad", "status": "runn)");
    BOOST_TEST(!store.read("ds", "bad", ec).has_value());
    BOOST_TEST(ec.failed());

    auto listed = store.list("ds");
    BOOST_REQUIRE(listed.size() == 1u);
    BOOST_TEST(listed[0].id == "good");
    BOOST_REQUIRE(log.size() == 1u);
    BOOST_TEST(log.text(0).find("ds/bad") != std::string::npos);

    // polling again says nothing more; another bad version is said again
    store.list("ds");
    BOOST_TEST(log.size() == 1u);
    put_raw_record(file, "ds", "bad", "not json");
    store.list("ds");
    BOOST_TEST(log.size() == 2u);

    // repaired, it reads again
    store.write(make_record("ds", "bad", "error"), false, ec);
    BOOST_TEST(store.list("ds").size() == 2u);
    BOOST_TEST(log.size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_service_runs_a_real_tool_over_the_database)
{
    sj::testing::temporary_folder scratch("scopejobs-sqlite");
    asio::io_context io;
    sj::posix_process processes(io.get_executor());
    store_type store(scratch.path / "jobs.sqlite3", sj::null_sink());
    sj::test_router router;
    sj::settings config;
    config.data_dir = scratch.path / "data";
    config.log = sj::null_sink();
    using service_type = sj::basic_job_service<sj::test_router, sj::posix_process, store_type>;
    service_type service(io.get_executor(), router, processes, store, config);
    sj::error_code ec;
    service.open(ec);
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());

    auto get = [&](const std::string& target) {
        return router.call(sj::http::verb::get, "/api/jobs" + target);
    };
    auto status_of = [&](const std::string& id) {
        auto response = get("/job?dataset=ds&job_id=" + id);
        BOOST_REQUIRE(response.status == 200);
        return std::string(json::parse(response.body).at("status").as_string());
    };
    auto run_until = [&](auto done) {
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while (!done()) {
            BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                                  "the job did not end");
            io.restart();
            io.run_for(5ms);
        }
    };

    // a job that prints and ends, read back over the routes
    auto id = service.start("ds", {SCOPEJOBS_TEST_TOOL, "print", "hello", "print", "bye"}, ec);
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());
    run_until([&] { return status_of(id) != "running"; });
    BOOST_TEST(status_of(id) == "completed");
    BOOST_TEST(get("/log?dataset=ds&job_id=" + id).body == "hello\nbye\n");
    auto all = json::parse(get("/all?dataset=ds").body).as_array();
    BOOST_REQUIRE(all.size() == 1u);
    BOOST_TEST(all[0].at("progress").as_array().size() == 2u);

    // a rerun through its route is a second row
    auto rerun = get("/rerun?dataset=ds&job_id=" + id);
    BOOST_REQUIRE_MESSAGE(rerun.status == 200, rerun.body);
    auto second = std::string(json::parse(rerun.body).at("job_id").as_string());
    run_until([&] { return status_of(second) != "running"; });
    BOOST_TEST(store.list("ds").size() == 2u);

    // and a kill reaches the tool and is recorded
    auto sleeper = service.start("ds", {SCOPEJOBS_TEST_TOOL, "print", "up", "sleep", "30"}, ec);
    BOOST_REQUIRE(!ec);
    run_until([&] {
        auto log = store.read_log("ds", sleeper, 0, 100, ec);
        return log && *log == "up\n";
    });
    BOOST_TEST(get("/kill?dataset=ds&job_id=" + sleeper).status == 200);
    run_until([&] { return service.runner().running() == 0; });
    BOOST_TEST(status_of(sleeper) == "dead");

    bool closed = false;
    service.close([&] { closed = true; });
    run_until([&] { return closed; });
}

BOOST_AUTO_TEST_SUITE_END()
