#include <scopejobs/store/filesystem_store.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

namespace sj = scopejobs;
namespace fs = std::filesystem;
namespace errc = boost::system::errc;

using scopejobs::testing::collected_log;
using scopejobs::testing::temporary_folder;

// A store over a fresh data folder, logging into `log`.
struct store_fixture
{
    temporary_folder folder{"scopejobs-filesystem-store"};
    collected_log log;
    sj::filesystem_store store{folder.path, log.sink()};
};

std::string file_text(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void put_file(const fs::path& path, std::string_view text)
{
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), std::streamsize(text.size()));
}

// The names in a folder, sorted.
std::vector<std::string> names_in(const fs::path& folder)
{
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A record with every field set, an array and an object among its extras.
sj::job_record full_record(std::string id = "0b7e5a3c-3f1e-4c7b-9d55-2f6f0e9a1c42",
                           std::string dataset = "ds1")
{
    sj::job_record record;
    record.id = std::move(id);
    record.dataset = std::move(dataset);
    record.job_name = "umap";
    record.command = "ls-umap \"ds1\" \"embedding-001\" 25 0.1";
    record.status = sj::job_status::completed;
    record.last_update = "2026-02-15 15:32:38.123456";
    record.progress = {"RUNNING: run-abc", "caf\xc3\xa9 \"quoted\" \\ tab\t", "done"};
    record.times = {"2026-02-15 15:32:30", "2026-02-15 15:32:31.5", "2026-02-15 15:32:38.123456"};
    record.run_id = "run-abc";
    record.scope_id = "scopes-007";
    record.imported_rows = std::int64_t(42);
    record.cause_of_death = "killed";
    record.argv = {"ls-umap", "ds1", "embedding-001", "25", "0.1"};
    record.pid = 4242;
    record.pid_start = 987654321;
    record.exit_code = 0;
    record.signal = 15;
    record.extra["note"] = "kept";
    record.extra["nested"] = boost::json::parse(R"({"a": [1, 2.5, null, true]})");
    return record;
}

} // namespace

BOOST_AUTO_TEST_SUITE(filesystem_store)

BOOST_AUTO_TEST_CASE(safe_component_rule_allows_spaces_inner_dots_and_non_ascii)
{
    using sj::detail::is_safe_component;
    const std::string_view names[] = {
        "ds1",     "my data", "tweets.2024", "a..b",
        "données", "x-",      "x.",          "0b7e5a3c-3f1e-4c7b-9d55-2f6f0e9a1c42",
    };
    for (auto name : names)
        BOOST_TEST(is_safe_component(name), name);
}

BOOST_AUTO_TEST_CASE(safe_component_rule_refuses_each_unsafe_form_with_a_reason)
{
    using sj::detail::why_unsafe;
    BOOST_TEST(why_unsafe("") == "is empty");
    BOOST_TEST(why_unsafe(".") == "is '.'");
    BOOST_TEST(why_unsafe("..") == "is '..'");
    BOOST_TEST(why_unsafe(".hidden") == "starts with '.'");
    BOOST_TEST(why_unsafe("-rf") == "starts with '-'");
    BOOST_TEST(why_unsafe("a/b") == "contains '/'");
    BOOST_TEST(why_unsafe("a\\b") == "contains '\\'");
    BOOST_TEST(why_unsafe(std::string_view("a\0b", 3)) == "contains a NUL byte");
    BOOST_TEST(why_unsafe("a\nb") == "contains a control character");
    BOOST_TEST(why_unsafe("a\x1f") == "contains a control character");
    BOOST_TEST(why_unsafe("a\x7f") == "contains a control character");
    BOOST_TEST(!sj::detail::is_safe_component("../etc"));
    static_assert(sj::detail::is_safe_component("ds1"));
}

BOOST_FIXTURE_TEST_CASE(write_then_read_round_trips_every_field, store_fixture)
{
    auto record = full_record();
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());

    auto back = store.read(record.dataset, record.id, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == record));

    // a second write replaces the first as a whole
    record.status = sj::job_status::dead;
    record.progress.push_back("one more");
    record.times.push_back("2026-02-15 15:32:39");
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec);
    back = store.read(record.dataset, record.id, ec);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == record));
}

BOOST_FIXTURE_TEST_CASE(write_lays_files_out_as_data_dataset_jobs_id_json, store_fixture)
{
    auto record = full_record("job-1", "my data");
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec);
    store.append_log("my data", "job-1", "line\n", ec);
    BOOST_TEST_REQUIRE(!ec);

    auto jobs = folder.path / "my data" / "jobs";
    BOOST_TEST(names_in(folder.path) == std::vector<std::string>{"my data"});
    BOOST_TEST(names_in(folder.path / "my data") == std::vector<std::string>{"jobs"});
    BOOST_TEST(names_in(jobs) == (std::vector<std::string>{"job-1.json", "job-1.log"}));
    BOOST_TEST(file_text(jobs / "job-1.json") == sj::job_to_text(record));

    BOOST_TEST(store.data_dir() == folder.path);
    BOOST_TEST(store.jobs_dir("my data") == jobs);
    BOOST_TEST(store.record_path("my data", "job-1") == jobs / "job-1.json");
    BOOST_TEST(store.log_path("my data", "job-1") == jobs / "job-1.log");
}

BOOST_FIXTURE_TEST_CASE(read_of_an_absent_record_is_empty_and_creates_nothing, store_fixture)
{
    sj::error_code ec;
    BOOST_TEST(!store.read("ds1", "job-1", ec).has_value());
    BOOST_TEST(!ec);

    fs::create_directories(folder.path / "ds1");
    BOOST_TEST(!store.read("ds1", "job-1", ec).has_value());
    BOOST_TEST(!ec);

    fs::create_directories(folder.path / "ds1" / "jobs");
    BOOST_TEST(!store.read("ds1", "job-1", ec).has_value());
    BOOST_TEST(!ec);

    sj::filesystem_store nowhere(folder.path / "missing", sj::null_sink());
    BOOST_TEST(!nowhere.read("ds1", "job-1", ec).has_value());
    BOOST_TEST(!ec);
    BOOST_TEST(nowhere.list("ds1").empty());
    BOOST_TEST(nowhere.datasets().empty());
    BOOST_TEST(!fs::exists(folder.path / "missing"));
    BOOST_TEST(names_in(folder.path / "ds1") == std::vector<std::string>{"jobs"});
    BOOST_TEST(fs::is_empty(folder.path / "ds1" / "jobs"));
}

BOOST_FIXTURE_TEST_CASE(read_of_a_corrupt_record_sets_the_error, store_fixture)
{
    put_file(store.record_path("ds1", "job-1"), R"({"id": "job-1", "progress": ["li)");
    sj::error_code ec;
    BOOST_TEST(!store.read("ds1", "job-1", ec).has_value());
    BOOST_TEST(ec.failed());

    put_file(store.record_path("ds1", "job-2"), "[1, 2]");
    BOOST_TEST(!store.read("ds1", "job-2", ec).has_value());
    BOOST_TEST((ec == errc::invalid_argument));

    fs::create_directories(store.record_path("ds1", "job-3"));
    BOOST_TEST(!store.read("ds1", "job-3", ec).has_value());
    BOOST_TEST((ec == errc::is_a_directory));
    BOOST_TEST(log.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(unsafe_names_are_refused_and_touch_nothing, store_fixture)
{
    auto record = full_record("../escape", "ds1");
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST((ec == errc::invalid_argument));

    record = full_record("job-1", "..");
    store.write(record, false, ec);
    BOOST_TEST((ec == errc::invalid_argument));

    store.append_log("ds1", "-rf", "line\n", ec);
    BOOST_TEST((ec == errc::invalid_argument));
    store.append_log(".hidden", "job-1", "line\n", ec);
    BOOST_TEST((ec == errc::invalid_argument));

    BOOST_TEST(!store.read("ds1", "a/b", ec).has_value());
    BOOST_TEST((ec == errc::invalid_argument));
    BOOST_TEST(!store.read("", "job-1", ec).has_value());
    BOOST_TEST((ec == errc::invalid_argument));

    BOOST_TEST(store.list("..").empty());
    BOOST_TEST(store.list("").empty());
    BOOST_TEST(fs::is_empty(folder.path));
}

BOOST_FIXTURE_TEST_CASE(list_reads_the_reference_files_and_skips_the_half_written_one,
                        store_fixture)
{
    // every reference file in one dataset's jobs folder
    auto jobs = folder.path / "ds1" / "jobs";
    fs::create_directories(jobs);
    std::set<std::string> good_ids;
    for (const auto& entry : fs::directory_iterator(SCOPEJOBS_FIXTURES "/reference-jobs")) {
        if (entry.path().extension() != ".json")
            continue;
        fs::copy_file(entry.path(), jobs / entry.path().filename());
        if (entry.path().filename() != "original-half-written.json") {
            auto document = boost::json::parse(file_text(entry.path()));
            good_ids.insert(std::string(document.at("id").as_string()));
        }
    }
    BOOST_TEST_REQUIRE(good_ids.size() == 9u);

    // the nine good ones, each as job_from_text reads its file
    auto records = store.list("ds1");
    std::set<std::string> ids;
    for (const auto& record : records)
        ids.insert(record.id);
    BOOST_TEST(records.size() == 9u);
    BOOST_TEST(ids == good_ids);
    BOOST_TEST_REQUIRE(log.size() == 1u);
    BOOST_TEST(log.text(0).find("original-half-written.json") != std::string::npos);

    // polling again says nothing new
    BOOST_TEST(store.list("ds1").size() == 9u);
    BOOST_TEST(store.list("ds1").size() == 9u);
    BOOST_TEST(log.size() == 1u);

    // a new bad version is reported once more, then not again
    put_file(jobs / "original-half-written.json", R"({"id": "x", "progress": [)");
    BOOST_TEST(store.list("ds1").size() == 9u);
    BOOST_TEST(log.size() == 2u);
    BOOST_TEST(store.list("ds1").size() == 9u);
    BOOST_TEST(log.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(list_reports_a_file_again_when_it_breaks_after_a_repair, store_fixture)
{
    auto path = store.record_path("ds1", "job-1");
    put_file(path, "{");
    BOOST_TEST(store.list("ds1").empty());
    BOOST_TEST(log.size() == 1u);

    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    BOOST_TEST(store.list("ds1").size() == 1u);
    BOOST_TEST(log.size() == 1u);

    put_file(path, "{");
    BOOST_TEST(store.list("ds1").empty());
    BOOST_TEST(log.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(list_ignores_temporary_hidden_and_folder_entries, store_fixture)
{
    sj::error_code ec;
    auto record = full_record("job-1");
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec);

    auto jobs = store.jobs_dir("ds1");
    auto good = sj::job_to_text(full_record("other"));
    put_file(jobs / ".job-2.0123abcd.tmp", good);
    put_file(jobs / ".hidden.json", good);
    put_file(jobs / "job-3.json.tmp", good);
    put_file(jobs / "notes.txt", good);
    put_file(jobs / ".json", good);
    put_file(jobs / "job-1.log", "line\n");
    fs::create_directories(jobs / "folder.json");
    put_file(jobs / "nested" / "job-4.json", good);

    auto records = store.list("ds1");
    BOOST_TEST_REQUIRE(records.size() == 1u);
    BOOST_TEST((records[0] == record));
    BOOST_TEST(log.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(list_of_a_missing_dataset_is_empty, store_fixture)
{
    BOOST_TEST(store.list("ds1").empty());
    fs::create_directories(folder.path / "ds1");
    BOOST_TEST(store.list("ds1").empty());
    put_file(folder.path / "ds2" / "jobs", "a file, not a folder");
    BOOST_TEST(store.list("ds2").empty());
    BOOST_TEST(log.size() == 0u);
    BOOST_TEST(names_in(folder.path / "ds1").empty());
}

BOOST_FIXTURE_TEST_CASE(job_files_that_are_links_are_not_followed, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    fs::create_symlink(store.record_path("ds1", "job-1"), store.record_path("ds1", "job-2"));

    BOOST_TEST(!store.read("ds1", "job-2", ec).has_value());
    BOOST_TEST((ec == errc::too_many_symbolic_link_levels));
    BOOST_TEST(store.list("ds1").size() == 1u);
    BOOST_TEST(log.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(append_log_creates_the_file_and_concatenates, store_fixture)
{
    sj::error_code ec;
    store.append_log("ds1", "job-1", "first line\n", ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    store.append_log("ds1", "job-1", "second line\nthird line\n", ec);
    BOOST_TEST_REQUIRE(!ec);
    store.append_log("ds1", "job-1", "", ec);
    BOOST_TEST_REQUIRE(!ec);

    BOOST_TEST(file_text(store.log_path("ds1", "job-1")) ==
               "first line\nsecond line\nthird line\n");
    BOOST_TEST(!fs::exists(store.record_path("ds1", "job-1")));

    store.append_log("ds1", "job-2", "", ec);
    BOOST_TEST(!ec);
    BOOST_TEST(!fs::exists(store.log_path("ds1", "job-2")));
}

BOOST_FIXTURE_TEST_CASE(datasets_names_the_folders_that_hold_a_jobs_folder, store_fixture)
{
    temporary_folder elsewhere;
    fs::create_directories(folder.path / "ds1" / "jobs");
    fs::create_directories(folder.path / "my data" / "jobs");
    fs::create_directories(folder.path / "no-jobs" / "umaps");
    fs::create_directories(folder.path / ".hidden" / "jobs");
    fs::create_directories(elsewhere.path / "jobs");
    fs::create_directory_symlink(elsewhere.path, folder.path / "linked");
    put_file(folder.path / "file-jobs" / "jobs", "not a folder");
    put_file(folder.path / "loose.json", "{}");

    BOOST_TEST(store.datasets() == (std::vector<std::string>{"ds1", "linked", "my data"}));
}

BOOST_AUTO_TEST_CASE(linked_data_and_dataset_folders_are_followed)
{
    temporary_folder real;
    temporary_folder links;
    temporary_folder dataset;
    fs::create_directory_symlink(real.path, links.path / "data");
    fs::create_directory_symlink(dataset.path, real.path / "ds1");

    sj::filesystem_store store(links.path / "data", sj::null_sink());
    sj::error_code ec;
    auto record = full_record("job-1", "ds1");
    store.write(record, true, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    store.append_log("ds1", "job-1", "line\n", ec);
    BOOST_TEST_REQUIRE(!ec);

    BOOST_TEST(fs::is_regular_file(dataset.path / "jobs" / "job-1.json"));
    BOOST_TEST(fs::is_regular_file(dataset.path / "jobs" / "job-1.log"));
    auto back = store.read("ds1", "job-1", ec);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((*back == record));
    BOOST_TEST(store.list("ds1").size() == 1u);
    BOOST_TEST(store.datasets() == std::vector<std::string>{"ds1"});
}

BOOST_FIXTURE_TEST_CASE(many_writes_leave_no_temporary_files, store_fixture)
{
    auto record = full_record("job-1");
    sj::error_code ec;
    for (int i = 0; i < 500; ++i) {
        record.progress.push_back("line " + std::to_string(i));
        record.times.push_back("2026-02-15 15:32:38");
        store.write(record, i % 100 == 0, ec);
        BOOST_TEST_REQUIRE(!ec, ec.message());
    }
    BOOST_TEST(names_in(store.jobs_dir("ds1")) == std::vector<std::string>{"job-1.json"});
    auto back = store.read("ds1", "job-1", ec);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST(back->progress.size() == 503u);
}

BOOST_FIXTURE_TEST_CASE(sync_writes_are_whole_and_leave_no_temporary_files, store_fixture)
{
    auto record = full_record("job-1");
    sj::error_code ec;
    store.write(record, true, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());
    record.status = sj::job_status::error;
    store.write(record, true, ec);
    BOOST_TEST_REQUIRE(!ec, ec.message());

    BOOST_TEST(file_text(store.record_path("ds1", "job-1")) == sj::job_to_text(record));
    BOOST_TEST(names_in(store.jobs_dir("ds1")) == std::vector<std::string>{"job-1.json"});
}

BOOST_FIXTURE_TEST_CASE(readers_never_see_a_partial_record, store_fixture)
{
    auto record = full_record("job-1");
    record.progress.clear();
    record.times.clear();
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec);

    // the writer: 2,000 rewrites of a record that grows to about 100 KB
    constexpr int rewrites = 2000;
    std::atomic<bool> done{false};
    std::thread writer([&] {
        sj::error_code write_ec;
        for (int i = 0; i < rewrites && !write_ec; ++i) {
            record.progress.push_back("line " + std::to_string(i) + " " + std::string(40, 'x'));
            record.times.push_back("2026-02-15 15:32:38.123456");
            store.write(record, false, write_ec);
        }
        ec = write_ec;
        done = true;
    });

    // the reader: through the store and through plain open, read and parse
    auto path = store.record_path("ds1", "job-1");
    int reads = 0, failures = 0;
    std::string text(1 << 20, '\0');
    while (!done.load()) {
        sj::error_code read_ec;
        auto seen = store.read("ds1", "job-1", read_ec);
        if (read_ec || !seen || seen->id != "job-1")
            ++failures;

        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        std::size_t length = 0;
        if (fd >= 0) {
            ssize_t n;
            while ((n = ::read(fd, text.data() + length, text.size() - length)) > 0)
                length += std::size_t(n);
            ::close(fd);
        }
        boost::json::error_code parse_ec;
        boost::json::parse(std::string_view(text.data(), length), parse_ec);
        if (fd < 0 || parse_ec)
            ++failures;
        ++reads;
    }
    writer.join();
    BOOST_TEST_MESSAGE(reads << " reads during " << rewrites << " rewrites");

    BOOST_TEST(!ec, ec.message());
    BOOST_TEST(reads > 0);
    BOOST_TEST(failures == 0);
    BOOST_TEST(names_in(store.jobs_dir("ds1")) == std::vector<std::string>{"job-1.json"});
    BOOST_TEST(store.read("ds1", "job-1", ec)->progress.size() == std::size_t(rewrites));
}

BOOST_FIXTURE_TEST_CASE(concurrent_writers_of_many_jobs_all_land, store_fixture)
{
    constexpr int threads = 4, jobs_each = 25, rewrites = 10;
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (int t = 0; t < threads; ++t)
        writers.emplace_back([&, t] {
            for (int j = 0; j < jobs_each; ++j) {
                auto record = full_record("job-" + std::to_string(t) + "-" + std::to_string(j));
                for (int r = 0; r < rewrites; ++r) {
                    sj::error_code ec;
                    store.write(record, false, ec);
                    store.append_log(record.dataset, record.id, "line\n", ec);
                    if (ec || store.list("ds1").size() < std::size_t(j + 1))
                        ++failures;
                }
            }
        });
    for (auto& writer : writers)
        writer.join();

    BOOST_TEST(failures.load() == 0);
    BOOST_TEST(store.list("ds1").size() == std::size_t(threads * jobs_each));
    std::string expected_log;
    for (int r = 0; r < rewrites; ++r)
        expected_log += "line\n";
    BOOST_TEST(file_text(store.log_path("ds1", "job-0-0")) == expected_log);
    BOOST_TEST(log.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(write_into_a_file_where_the_jobs_folder_should_be_fails_cleanly,
                        store_fixture)
{
    put_file(folder.path / "ds1" / "jobs", "a file, not a folder");

    sj::error_code ec;
    store.write(full_record("job-1"), true, ec);
    BOOST_TEST(ec.failed());
    store.append_log("ds1", "job-1", "line\n", ec);
    BOOST_TEST(ec.failed());

    BOOST_TEST(names_in(folder.path / "ds1") == std::vector<std::string>{"jobs"});
    BOOST_TEST(file_text(folder.path / "ds1" / "jobs") == "a file, not a folder");
    BOOST_TEST(!store.read("ds1", "job-1", ec).has_value());
    BOOST_TEST(!ec);
}

BOOST_FIXTURE_TEST_CASE(failed_rename_removes_the_temporary_file, store_fixture)
{
    // a folder in the record's place: the temporary is written, the rename fails
    fs::create_directories(store.record_path("ds1", "job-1") / "inside");

    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST(ec.failed());
    BOOST_TEST(names_in(store.jobs_dir("ds1")) == std::vector<std::string>{"job-1.json"});
    BOOST_TEST(fs::is_directory(store.record_path("ds1", "job-1")));
}

BOOST_FIXTURE_TEST_CASE(too_long_an_id_fails_and_keeps_the_folder_clean, store_fixture)
{
    // the record's name fits in 255 bytes, the temporary file's does not
    auto record = full_record(std::string(245, 'a'));
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST((ec == errc::filename_too_long));
    BOOST_TEST(fs::is_empty(store.jobs_dir("ds1")));
}

BOOST_FIXTURE_TEST_CASE(read_log_answers_bytes_from_an_offset, store_fixture)
{
    sj::error_code ec;
    BOOST_TEST(!store.read_log("ds1", "job-1", 0, 100, ec));
    BOOST_TEST(!ec);
    store.append_log("ds1", "job-1", "first\nsecond\n", ec);
    BOOST_TEST(*store.read_log("ds1", "job-1", 0, 100, ec) == "first\nsecond\n");
    BOOST_TEST(*store.read_log("ds1", "job-1", 6, 100, ec) == "second\n");
    BOOST_TEST(*store.read_log("ds1", "job-1", 6, 3, ec) == "sec");
    BOOST_TEST(store.read_log("ds1", "job-1", 99, 100, ec)->empty());
    BOOST_TEST(!store.read_log("ds1", "../x", 0, 100, ec));
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
}

// ---- the index behind read_text and list_text

// Writes `text` as another writer would: a new file renamed over the old.
void replace_file(const fs::path& path, std::string_view text)
{
    auto temporary = path.parent_path() / ".other-writer.tmp";
    put_file(temporary, text);
    fs::rename(temporary, path);
}

// The texts of a listing's array, each serialised again, sorted.
std::vector<std::string> listed_texts(std::string_view listing)
{
    std::vector<std::string> texts;
    auto document = boost::json::parse(listing);
    for (const auto& item : document.as_array()) {
        sj::error_code ec;
        texts.push_back(sj::job_to_text(sj::job_from_json(item, ec)));
        BOOST_TEST(!ec);
    }
    std::sort(texts.begin(), texts.end());
    return texts;
}

BOOST_FIXTURE_TEST_CASE(list_text_answers_what_list_answers_and_logs_a_bad_file_once, store_fixture)
{
    auto jobs = folder.path / "ds1" / "jobs";
    fs::create_directories(jobs);
    for (const auto& entry : fs::directory_iterator(SCOPEJOBS_FIXTURES "/reference-jobs"))
        if (entry.path().extension() == ".json")
            fs::copy_file(entry.path(), jobs / entry.path().filename());

    // the same records as list, serialised as job_to_text does
    std::vector<std::string> expected;
    for (const auto& record : store.list("ds1"))
        expected.push_back(sj::job_to_text(record));
    std::sort(expected.begin(), expected.end());
    BOOST_TEST_REQUIRE(expected.size() == 9u);
    BOOST_TEST_REQUIRE(log.size() == 1u);

    // the first listing parses them; the later ones answer the same text
    auto first = store.list_text("ds1");
    BOOST_TEST(listed_texts(first) == expected);
    BOOST_TEST(store.list_text("ds1") == first);
    BOOST_TEST(store.list_text("ds1") == first);
    BOOST_TEST(log.size() == 1u);

    // a new bad version is logged once, by either call
    put_file(jobs / "original-half-written.json", R"({"id": "x", "progress": [)");
    BOOST_TEST(store.list_text("ds1") == first);
    BOOST_TEST(log.size() == 2u);
    BOOST_TEST(store.list("ds1").size() == 9u);
    BOOST_TEST(store.list_text("ds1") == first);
    BOOST_TEST(log.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(list_text_of_a_missing_or_unsafe_dataset_is_an_empty_array, store_fixture)
{
    BOOST_TEST(store.list_text("nothing") == "[]");
    BOOST_TEST(store.list_text("../etc") == "[]");
    BOOST_TEST(!fs::exists(folder.path / "nothing"));
}

BOOST_FIXTURE_TEST_CASE(read_text_is_what_a_fresh_store_reads_from_the_file, store_fixture)
{
    auto record = full_record("job-1");
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec);

    // from the index, as written; from the file, parsed, by a store that never wrote it
    auto indexed = store.read_text("ds1", "job-1", ec);
    BOOST_TEST_REQUIRE(indexed.has_value());
    BOOST_TEST(*indexed == sj::job_to_text(record));
    sj::filesystem_store fresh(folder.path, sj::null_sink());
    BOOST_TEST(*fresh.read_text("ds1", "job-1", ec) == *indexed);
    BOOST_TEST(store.list_text("ds1") == "[" + *indexed + "]");
}

BOOST_FIXTURE_TEST_CASE(a_file_another_writer_replaced_is_read_again, store_fixture)
{
    auto record = full_record("job-1");
    sj::error_code ec;
    store.write(record, false, ec);
    BOOST_TEST_REQUIRE(!ec);
    BOOST_TEST_REQUIRE(store.list_text("ds1").find("\"completed\"") != std::string::npos);
    auto path = store.record_path("ds1", "job-1");

    // replaced by a rename: a new inode
    record.status = sj::job_status::dead;
    replace_file(path, sj::job_to_text(record));
    BOOST_TEST(*store.read_text("ds1", "job-1", ec) == sj::job_to_text(record));
    BOOST_TEST(store.list_text("ds1") == "[" + sj::job_to_text(record) + "]");

    // rewritten in place, to another size
    record.progress.push_back("one more line");
    record.times.push_back("2026-02-15 15:32:40");
    put_file(path, sj::job_to_text(record));
    BOOST_TEST(store.list_text("ds1") == "[" + sj::job_to_text(record) + "]");
    BOOST_TEST(*store.read_text("ds1", "job-1", ec) == sj::job_to_text(record));

    // broken in place: read fails as read does, and the listing skips it
    put_file(path, "{\"id\": ");
    BOOST_TEST(!store.read_text("ds1", "job-1", ec));
    BOOST_TEST(ec.failed());
    BOOST_TEST(store.list_text("ds1") == "[]");

    // removed: nothing, and no error
    fs::remove(path);
    BOOST_TEST(!store.read_text("ds1", "job-1", ec));
    BOOST_TEST(!ec);
}

BOOST_FIXTURE_TEST_CASE(read_text_refuses_links_and_unsafe_names_as_read_does, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    fs::create_symlink(store.record_path("ds1", "job-1"), store.record_path("ds1", "job-2"));
    BOOST_TEST(!store.read_text("ds1", "job-2", ec));
    BOOST_TEST(ec.failed());
    BOOST_TEST(!store.read_text("ds1", "../job-1", ec));
    BOOST_TEST((ec == errc::invalid_argument));
}

BOOST_FIXTURE_TEST_CASE(the_index_forgets_files_gone_from_the_folder, store_fixture)
{
    sj::error_code ec;
    for (auto id : {"job-1", "job-2", "job-3"})
        store.write(full_record(id), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    auto one = sj::job_to_text(full_record("job-1")).size();
    BOOST_TEST(store.index_bytes() > 2 * one);

    fs::remove(store.record_path("ds1", "job-2"));
    fs::remove(store.record_path("ds1", "job-3"));
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 1u);
    BOOST_TEST(store.index_bytes() == one);
}

BOOST_FIXTURE_TEST_CASE(a_zero_budget_keeps_no_text_and_answers_the_same, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    auto listing = store.list_text("ds1");
    store.set_index_budget(0);
    BOOST_TEST(store.index_bytes() == 0u);
    store.write(full_record("job-2"), false, ec);
    BOOST_TEST(store.index_bytes() == 0u);
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 2u);
    BOOST_TEST(*store.read_text("ds1", "job-1", ec) == sj::job_to_text(full_record("job-1")));
    BOOST_TEST(store.index_bytes() == 0u);
}

BOOST_FIXTURE_TEST_CASE(listings_during_writes_are_whole_arrays_of_whole_records, store_fixture)
{
    std::atomic<bool> done{false};
    std::thread writer([&] {
        sj::error_code ec;
        for (int i = 0; i < 300; ++i) {
            auto record = full_record("job-" + std::to_string(i % 20));
            record.progress.push_back(std::string(std::size_t(i), 'x'));
            record.times.push_back("2026-02-15 15:32:40");
            store.write(record, false, ec);
        }
        done = true;
    });
    int listings = 0;
    while (!done || listings == 0) {
        boost::system::error_code ec;
        auto value = boost::json::parse(store.list_text("ds1"), ec);
        BOOST_TEST_REQUIRE(!ec);
        BOOST_TEST_REQUIRE(value.is_array());
        ++listings;
    }
    writer.join();
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 20u);
    BOOST_TEST(log.size() == 0u);
}

// ---- listings that trust the kernel's change events

// The texts a store that checks every file answers for the dataset.
std::vector<std::string> checked_listing(const fs::path& data, std::string_view dataset)
{
    sj::filesystem_store checking(data, sj::null_sink());
    checking.set_change_events(false);
    return listed_texts(checking.list_text(dataset));
}

BOOST_FIXTURE_TEST_CASE(listings_after_other_writers_changes_answer_what_checking_every_file_does,
                        store_fixture)
{
    sj::error_code ec;
    for (auto id : {"job-1", "job-2", "job-3"})
        store.write(full_record(id), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    auto jobs = folder.path / "ds1" / "jobs";
    auto agrees = [&] {
        return listed_texts(store.list_text("ds1")) == checked_listing(folder.path, "ds1");
    };
    BOOST_TEST(agrees());
    BOOST_TEST(agrees());

    auto record = full_record("job-1");
    record.status = sj::job_status::dead;
    replace_file(store.record_path("ds1", "job-1"), sj::job_to_text(record));
    BOOST_TEST(agrees());

    // in place, the same size: only the events or a later clock tick tell
    auto text = sj::job_to_text(full_record("job-2"));
    auto at = text.find("\"umap\"");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    text.replace(at, 6, "\"tsne\"");
    put_file(store.record_path("ds1", "job-2"), text);
    BOOST_TEST(agrees());
    BOOST_TEST(store.list_text("ds1").find("\"tsne\"") != std::string::npos);

    put_file(jobs / "job-4.json", sj::job_to_text(full_record("job-4")));
    BOOST_TEST(agrees());
    fs::remove(store.record_path("ds1", "job-3"));
    BOOST_TEST(agrees());
    put_file(store.record_path("ds1", "job-4"), "{\"id\": ");
    BOOST_TEST(agrees());
    BOOST_TEST(log.size() == 1u);
    put_file(store.record_path("ds1", "job-4"), sj::job_to_text(full_record("job-4")));
    BOOST_TEST(agrees());
    fs::create_directory(jobs / "folder.json");
    put_file(jobs / "notes.txt", "not a job");
    BOOST_TEST(agrees());
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 3u);
    BOOST_TEST(log.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_dataset_folder_replaced_under_the_watch_is_scanned_again, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 1u);

    // the parent moved away: the watched folder itself sees no event
    fs::rename(folder.path / "ds1", folder.path / "ds1-old");
    put_file(folder.path / "ds1" / "jobs" / "job-7.json", sj::job_to_text(full_record("job-7")));
    put_file(folder.path / "ds1" / "jobs" / "job-8.json", sj::job_to_text(full_record("job-8")));
    BOOST_TEST(listed_texts(store.list_text("ds1")) == checked_listing(folder.path, "ds1"));
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 2u);

    // removed, then made again
    fs::remove_all(folder.path / "ds1");
    BOOST_TEST(store.list_text("ds1") == "[]");
    put_file(folder.path / "ds1" / "jobs" / "job-9.json", sj::job_to_text(full_record("job-9")));
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(one_folder_under_two_dataset_names_is_current_under_both, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    fs::create_directory_symlink(folder.path / "ds1", folder.path / "ds2");
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 1u);
    BOOST_TEST(listed_texts(store.list_text("ds2")).size() == 1u);

    put_file(folder.path / "ds1" / "jobs" / "job-2.json", sj::job_to_text(full_record("job-2")));
    BOOST_TEST(listed_texts(store.list_text("ds2")).size() == 2u);
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 2u);
    fs::remove(folder.path / "ds1" / "jobs" / "job-1.json");
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 1u);
    BOOST_TEST(listed_texts(store.list_text("ds2")).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_change_lost_to_a_full_event_queue_is_found_by_a_full_scan, store_fixture)
{
    sj::error_code ec;
    store.write(full_record("job-1"), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 1u);

    // more events than the queue holds (two files in turn, so that none
    // merges with the one before), then a change whose event is dropped
    std::size_t queue = 16384;
    std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> queue;
    auto jobs = folder.path / "ds1" / "jobs";
    {
        std::ofstream a(jobs / "a.log", std::ios::binary);
        std::ofstream b(jobs / "b.log", std::ios::binary);
        for (std::size_t i = 0; i <= queue; ++i) {
            a << 'x' << std::flush;
            b << 'x' << std::flush;
        }
    }
    auto record = full_record("job-1");
    record.status = sj::job_status::dead;
    record.progress.push_back("after the overflow");
    put_file(store.record_path("ds1", "job-1"), sj::job_to_text(record));
    BOOST_TEST(store.list_text("ds1") == "[" + sj::job_to_text(record) + "]");
}

BOOST_FIXTURE_TEST_CASE(a_budget_too_small_for_the_folder_keeps_every_listing_whole, store_fixture)
{
    sj::error_code ec;
    for (auto id : {"job-1", "job-2", "job-3"})
        store.write(full_record(id), false, ec);
    BOOST_TEST_REQUIRE(!ec);
    auto one = sj::job_to_text(full_record("job-1")).size();
    store.set_index_budget(2 * one + 1);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 3u);
    fs::remove(store.record_path("ds1", "job-1"));
    BOOST_TEST(listed_texts(store.list_text("ds1")).size() == 2u);
    store.set_change_events(false);
    BOOST_TEST(listed_texts(store.list_text("ds1")) == checked_listing(folder.path, "ds1"));
}

BOOST_AUTO_TEST_SUITE_END()
