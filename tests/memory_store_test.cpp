#include <scopejobs/store/memory_store.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace sj = scopejobs;
namespace errc = boost::system::errc;

using scopejobs::testing::collected_log;

// An empty store, logging into `log`.
struct store_fixture
{
    collected_log log;
    sj::memory_store store{log.sink()};
};

// A record with every field set, an array and an object among its extras.
sj::job_record full_record(std::string id = "0b7e5a3c-3f1e-4c7b-9d55-2f6f0e9a1c42",
                           std::string dataset = "ds1")
{
    sj::job_record record;
    record.id = std::move(id);
    record.dataset = std::move(dataset);
    record.job_name = "cluster";
    record.command = "ls-cluster \"ds1\" \"umap-001\" 3 2 0";
    record.status = sj::job_status::error;
    record.last_update = "2026-02-15 15:32:38";
    record.progress = {"RUNNING: run-abc", "caf\xc3\xa9 \"quoted\" \\", "IMPORTED_ROWS: 12x"};
    record.times = {"2026-02-15 15:32:30", "2026-02-15 15:32:31.5", "2026-02-15 15:32:38"};
    record.run_id = "run-abc";
    record.scope_id = "scopes-001";
    record.imported_rows = std::string("12x");
    record.cause_of_death = "process not found, presumed dead";
    record.argv = {"ls-cluster", "ds1", "umap-001", "3", "2", "0"};
    record.pid = 31337;
    record.pid_start = 123456;
    record.exit_code = 3;
    record.signal = 9;
    record.extra["note"] = "kept";
    record.extra["nested"] = boost::json::parse(R"({"a": [1, 2.5, null, false]})");
    return record;
}

std::string file_text(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

BOOST_AUTO_TEST_SUITE(memory_store)

BOOST_FIXTURE_TEST_CASE(write_then_read_round_trips_every_field, store_fixture)
{
    auto record = full_record();
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec);

    auto back = store.read(record.dataset, record.id, ec);
    BOOST_TEST_REQUIRE(!ec);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == record));

    record.status = sj::job_status::completed;
    store.write(record, true, ec);
    BOOST_TEST_REQUIRE(!ec);
    back = store.read(record.dataset, record.id, ec);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == record));
}

BOOST_FIXTURE_TEST_CASE(records_are_held_as_the_text_a_file_would_hold, store_fixture)
{
    auto record = full_record("job-1");
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec);
    BOOST_TEST((store.record_text("ds1", "job-1") == sj::job_to_text(record)));
    BOOST_TEST(!store.record_text("ds1", "job-2").has_value());
    BOOST_TEST(!store.record_text("ds2", "job-1").has_value());
}

BOOST_FIXTURE_TEST_CASE(read_of_an_absent_record_is_empty_without_error, store_fixture)
{
    sj::error_code ec;
    BOOST_TEST(!store.read("ds1", "job-1", ec).has_value());
    BOOST_TEST(!ec);

    store.write(full_record("job-1"), false, ec);
    BOOST_TEST(!store.read("ds1", "job-2", ec).has_value());
    BOOST_TEST(!ec);
    BOOST_TEST(!store.read("ds2", "job-1", ec).has_value());
    BOOST_TEST(!ec);
    BOOST_TEST(store.list("ds2").empty());
}

BOOST_FIXTURE_TEST_CASE(unsafe_names_are_refused_and_store_nothing, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("../escape"), false, ec);
    BOOST_TEST((ec == errc::invalid_argument));
    store.write(full_record("job-1", ".hidden"), false, ec);
    BOOST_TEST((ec == errc::invalid_argument));
    store.append_log("ds1", "-rf", "line\n", ec);
    BOOST_TEST((ec == errc::invalid_argument));
    BOOST_TEST(!store.read("ds1", "a/b", ec).has_value());
    BOOST_TEST((ec == errc::invalid_argument));
    BOOST_TEST(!store.read("", "job-1", ec).has_value());
    BOOST_TEST((ec == errc::invalid_argument));

    BOOST_TEST(store.list("..").empty());
    BOOST_TEST(store.datasets().empty());
    BOOST_TEST(store.write_count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(planted_half_written_text_reads_as_corrupt, store_fixture)
{
    store.put_text("ds1", "job-1", R"({"id": "job-1", "progress": ["li)");
    sj::error_code ec;
    BOOST_TEST(!store.read("ds1", "job-1", ec).has_value());
    BOOST_TEST(ec.failed());

    store.put_text("ds1", "job-2", "[1, 2]");
    BOOST_TEST(!store.read("ds1", "job-2", ec).has_value());
    BOOST_TEST((ec == errc::invalid_argument));
    BOOST_TEST(store.write_count() == 0u);
    BOOST_TEST(log.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(list_skips_corrupt_text_and_logs_it_once_per_version, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    store.put_text("ds1", "job-2", "{\"id\": ");

    BOOST_TEST(store.list("ds1").size() == 1u);
    BOOST_TEST_REQUIRE(log.size() == 1u);
    BOOST_TEST(log.text(0).find("ds1/job-2") != std::string::npos);
    BOOST_TEST(store.list("ds1").size() == 1u);
    BOOST_TEST(log.size() == 1u);

    // a different bad text is a new version
    store.put_text("ds1", "job-2", "{\"id\": [");
    BOOST_TEST(store.list("ds1").size() == 1u);
    BOOST_TEST(log.size() == 2u);

    // repaired, then broken again with the first text: reported again
    store.write(full_record("job-2"), false, ec);
    BOOST_TEST(store.list("ds1").size() == 2u);
    store.put_text("ds1", "job-2", "{\"id\": ");
    BOOST_TEST(store.list("ds1").size() == 1u);
    BOOST_TEST(log.size() == 3u);
}

BOOST_FIXTURE_TEST_CASE(list_reads_the_reference_files_and_skips_the_half_written_one,
                        store_fixture)
{
    std::set<std::string> good_ids;
    for (const auto& entry :
         std::filesystem::directory_iterator(SCOPEJOBS_FIXTURES "/reference-jobs")) {
        if (entry.path().extension() != ".json")
            continue;
        auto text = file_text(entry.path());
        store.put_text("ds1", entry.path().stem().string(), text);
        if (entry.path().filename() != "original-half-written.json")
            good_ids.insert(std::string(boost::json::parse(text).at("id").as_string()));
    }
    BOOST_TEST_REQUIRE(good_ids.size() == 9u);

    auto records = store.list("ds1");
    std::set<std::string> ids;
    for (const auto& record : records)
        ids.insert(record.id);
    BOOST_TEST(records.size() == 9u);
    BOOST_TEST(ids == good_ids);
    BOOST_TEST_REQUIRE(log.size() == 1u);
    BOOST_TEST(log.text(0).find("original-half-written") != std::string::npos);

    BOOST_TEST(store.list("ds1").size() == 9u);
    BOOST_TEST(log.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(append_log_concatenates_per_job, store_fixture)
{
    sj::error_code ec;
    store.append_log("ds1", "job-1", "first line\n", ec);
    BOOST_TEST_REQUIRE(!ec);
    store.append_log("ds1", "job-1", "second line\nthird line\n", ec);
    store.append_log("ds1", "job-2", "other\n", ec);
    store.append_log("ds1", "job-1", "", ec);
    BOOST_TEST_REQUIRE(!ec);

    BOOST_TEST(store.log("ds1", "job-1") == "first line\nsecond line\nthird line\n");
    BOOST_TEST(store.log("ds1", "job-2") == "other\n");
    BOOST_TEST(store.log("ds1", "job-3") == "");
    BOOST_TEST(store.log("ds2", "job-1") == "");
    BOOST_TEST(!store.read("ds1", "job-1", ec).has_value());
}

BOOST_FIXTURE_TEST_CASE(datasets_names_every_dataset_with_a_record_or_log, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1", "ds2"), false, ec);
    store.append_log("ds1", "job-1", "line\n", ec);
    store.put_text("my data", "job-1", "{");
    store.append_log("ds2", "job-1", "line\n", ec);
    BOOST_TEST(store.datasets() == (std::vector<std::string>{"ds1", "ds2", "my data"}));
}

BOOST_FIXTURE_TEST_CASE(write_count_counts_successful_writes_of_all_records, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    store.write(full_record("job-1"), false, ec);
    store.write(full_record("job-2", "ds2"), true, ec);
    store.write(full_record("-bad"), false, ec);
    store.append_log("ds1", "job-1", "line\n", ec);
    store.put_text("ds1", "job-3", "{}");
    BOOST_TEST(store.write_count() == 3u);
}

BOOST_FIXTURE_TEST_CASE(injected_failures_fail_the_next_writes_and_change_nothing, store_fixture)
{
    sj::error_code ec;
    auto record = full_record("job-1");
    store.write(record, false, ec);
    store.append_log("ds1", "job-1", "kept\n", ec);
    auto disk_full = make_error_code(errc::no_space_on_device);
    store.fail_writes(3, disk_full);

    // write, append and write again fail, in the order they come
    auto changed = record;
    changed.status = sj::job_status::dead;
    store.write(changed, true, ec);
    BOOST_TEST((ec == disk_full));
    store.append_log("ds1", "job-1", "lost\n", ec);
    BOOST_TEST((ec == disk_full));
    store.write(full_record("job-2"), false, ec);
    BOOST_TEST((ec == disk_full));
    BOOST_TEST((store.read("ds1", "job-1", ec) == record));
    BOOST_TEST(!store.read("ds1", "job-2", ec).has_value());
    BOOST_TEST(store.log("ds1", "job-1") == "kept\n");
    BOOST_TEST(store.write_count() == 1u);

    // then the store works again
    store.write(changed, false, ec);
    BOOST_TEST(!ec);
    BOOST_TEST((store.read("ds1", "job-1", ec) == changed));
    BOOST_TEST(store.write_count() == 2u);
}

BOOST_FIXTURE_TEST_CASE(injected_failures_can_be_cancelled_and_default_to_io_error, store_fixture)
{
    sj::error_code ec;
    store.fail_writes(5, {});
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST((ec == errc::io_error));

    store.fail_writes(0, {});
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST(!ec);

    // an unsafe name is refused as such and uses up no failure
    store.fail_writes(1, make_error_code(errc::no_space_on_device));
    store.write(full_record(".."), false, ec);
    BOOST_TEST((ec == errc::invalid_argument));
    store.append_log("ds1", "job-1", "line\n", ec);
    BOOST_TEST((ec == errc::no_space_on_device));
    store.append_log("ds1", "job-1", "line\n", ec);
    BOOST_TEST(!ec);
    BOOST_TEST(store.log("ds1", "job-1") == "line\n");
}

BOOST_FIXTURE_TEST_CASE(concurrent_writers_and_readers_see_whole_records, store_fixture)
{
    constexpr int threads = 4, rewrites = 200;
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            auto record = full_record("job-" + std::to_string(t));
            for (int r = 0; r < rewrites; ++r) {
                sj::error_code ec;
                record.progress.push_back("line " + std::to_string(r));
                record.times.push_back("2026-02-15 15:32:38");
                store.write(record, false, ec);
                store.append_log(record.dataset, record.id, "line\n", ec);
                auto back = store.read(record.dataset, record.id, ec);
                if (ec || !back || back->progress.size() != record.progress.size())
                    ++failures;
                if (store.list("ds1").empty())
                    ++failures;
            }
        });
    for (auto& worker : workers)
        worker.join();

    BOOST_TEST(failures.load() == 0);
    BOOST_TEST(store.write_count() == std::size_t(threads * rewrites));
    BOOST_TEST(store.list("ds1").size() == std::size_t(threads));
    BOOST_TEST(store.log("ds1", "job-0").size() == std::size_t(rewrites) * 5);
    BOOST_TEST(log.size() == 0u);
}

BOOST_AUTO_TEST_CASE(read_log_answers_bytes_from_an_offset)
{
    sj::memory_store store(sj::null_sink());
    sj::error_code ec;
    BOOST_TEST(!store.read_log("ds1", "job-1", 0, 100, ec));
    store.append_log("ds1", "job-1", "first\nsecond\n", ec);
    BOOST_TEST(*store.read_log("ds1", "job-1", 6, 3, ec) == "sec");
    BOOST_TEST(store.read_log("ds1", "job-1", 99, 100, ec)->empty());
}

BOOST_AUTO_TEST_SUITE_END()
