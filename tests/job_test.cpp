#include <scopejobs/job.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

namespace json = boost::json;
namespace sj = scopejobs;

namespace {

std::string fixture(const std::string& name)
{
    std::ifstream in(std::string(SCOPEJOBS_FIXTURES) + "/reference-jobs/" + name);
    std::stringstream text;
    text << in.rdbuf();
    BOOST_REQUIRE_MESSAGE(in.good() || in.eof(), "cannot read fixture " << name);
    return text.str();
}

sj::job_record parse(std::string_view text)
{
    sj::error_code ec;
    auto record = sj::job_from_text(text, ec);
    BOOST_REQUIRE_MESSAGE(!ec, "parse failed: " << ec.message());
    return record;
}

sj::job_record full_record()
{
    sj::job_record r;
    r.id = "c9b53f1b-3692-4425-b371-f7d462d662a3";
    r.dataset = "ds 1";
    r.job_name = "cluster";
    r.command = "ls-cluster ds1 'a b'";
    r.status = sj::job_status::completed;
    r.last_update = "2026-02-15 15:32:38.123456";
    r.progress = {"RUNNING: run-abc", "quote \" back \\ tab \t", "café 数据"};
    r.times = {"2026-02-15 15:32:38.1", "2026-02-15 15:32:38.2", "2026-02-15 15:32:38"};
    r.run_id = "run-abc";
    r.scope_id = "scopes-007";
    r.imported_rows = std::int64_t(42);
    r.cause_of_death = "killed";
    r.argv = {"ls-cluster", "ds1", "a b"};
    r.pid = 4242;
    r.pid_start = 123456789;
    r.exit_code = -9;
    r.signal = 9;
    r.extra["method"] = "evoc";
    r.extra["nested"] = json::parse(R"({"a": [1, 2.5, null, true]})");
    return r;
}

struct utc_zone
{
    utc_zone()
    {
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(job)

BOOST_AUTO_TEST_CASE(status_names_are_the_wire_names)
{
    for (auto [status, name] : {std::pair{sj::job_status::running, "running"},
                                {sj::job_status::completed, "completed"},
                                {sj::job_status::error, "error"},
                                {sj::job_status::dead, "dead"}}) {
        BOOST_TEST(sj::to_string(status) == name);
        BOOST_TEST((sj::parse_status(name) == status));
    }
    BOOST_TEST(!sj::parse_status("Running"));
    BOOST_TEST(!sj::is_final(sj::job_status::running));
    BOOST_TEST(sj::is_final(sj::job_status::dead));
}

BOOST_AUTO_TEST_CASE(every_field_survives_a_round_trip)
{
    auto record = full_record();
    auto text = sj::job_to_text(record);
    BOOST_TEST((parse(text) == record));
}

BOOST_AUTO_TEST_CASE(wire_fields_come_first_in_the_reference_order)
{
    auto text = sj::job_to_text(full_record());
    std::vector<std::string> keys;
    auto document = json::parse(text);
    for (const auto& member : document.as_object())
        keys.emplace_back(member.key());
    std::vector<std::string> expected = {"id",     "dataset",     "job_name",      "command",
                                         "status", "last_update", "progress",      "times",
                                         "run_id", "scope_id",    "imported_rows", "cause_of_death",
                                         "argv",   "pid",         "pid_start",     "exit_code",
                                         "signal", "method",      "nested"};
    BOOST_TEST(keys == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_running_record_has_no_optional_fields)
{
    sj::job_record r;
    r.id = "x";
    auto object = json::parse(sj::job_to_text(r)).as_object();
    BOOST_TEST(object.size() == 8u);
    BOOST_TEST(object.at("status").as_string() == "running");
    BOOST_TEST(object.at("progress").as_array().empty());
    BOOST_TEST(!object.contains("exit_code"));
}

BOOST_AUTO_TEST_CASE(reads_a_reference_record_with_markers)
{
    auto r = parse(fixture("original-completed-markers.json"));
    BOOST_TEST(r.id == "c9b53f1b-3692-4425-b371-f7d462d662a3");
    BOOST_TEST(r.command == "ls-cluster \"ds1\" \"umap-001\" 3 2 0");
    BOOST_TEST(r.argv.empty());
    BOOST_TEST((r.status == sj::job_status::completed));
    BOOST_TEST(r.progress.size() == r.times.size());
    BOOST_TEST(r.progress.back() == "ERR-LINE");
    BOOST_TEST(*r.run_id == "run-abc");
    BOOST_TEST(*r.scope_id == "scopes-007");
    BOOST_TEST((*r.imported_rows == sj::imported_rows_value(std::int64_t(42))));
    BOOST_TEST(r.extra.empty());
}

BOOST_AUTO_TEST_CASE(reads_an_upstream_record_with_an_array_command)
{
    auto r = parse(fixture("upstream-completed.json"));
    std::vector<std::string> argv = {"ls-cluster", "ds1", "umap-001",     "3",
                                     "2",          "0",   "--method=evoc"};
    BOOST_TEST(r.argv == argv, boost::test_tools::per_element());
    BOOST_TEST(r.command == "ls-cluster ds1 umap-001 3 2 0 --method=evoc");
    BOOST_TEST(r.last_update == "2026-12-03T09:24:36.305572+00:00");
    BOOST_TEST(r.pid.has_value());
}

BOOST_AUTO_TEST_CASE(reads_every_reference_record_but_the_half_written_one)
{
    for (const char* name :
         {"original-completed-markers.json", "original-killed-then-error.json",
          "original-rerun.json", "original-error-exit.json", "original-delete.json",
          "original-twitter-import.json", "original-ingest.json", "upstream-completed.json",
          "upstream-killed.json"}) {
        BOOST_TEST_CONTEXT(name)
        {
            auto text = fixture(name);
            auto record = parse(text);
            BOOST_TEST(!record.id.empty());
            // what is written back holds everything the file held
            auto before = json::parse(text).as_object();
            auto after = json::parse(sj::job_to_text(record)).as_object();
            for (const auto& member : before)
                if (member.key() != "command")
                    BOOST_TEST(after.at(member.key()) == member.value());
        }
    }
    sj::error_code ec;
    sj::job_from_text(fixture("original-half-written.json"), ec);
    BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_kept_when_rewritten)
{
    auto r = parse(R"({"id": "a", "status": "running", "gpu": {"name": "A100"}, "tags": [1]})");
    r.status = sj::job_status::dead;
    auto object = json::parse(sj::job_to_text(r)).as_object();
    BOOST_TEST(object.at("gpu") == json::parse(R"({"name": "A100"})"));
    BOOST_TEST(object.at("tags") == json::parse("[1]"));
    BOOST_TEST(object.at("status").as_string() == "dead");
}

BOOST_AUTO_TEST_CASE(a_known_field_of_another_type_is_kept_verbatim)
{
    auto r = parse(R"({"id": "a", "status": "paused", "progress": "none", "pid": "12"})");
    BOOST_TEST((r.status == sj::job_status::running));
    BOOST_TEST(r.progress.empty());
    BOOST_TEST(!r.pid);
    BOOST_TEST(r.extra.at("status").as_string() == "paused");
    auto object = json::parse(sj::job_to_text(r)).as_object();
    BOOST_TEST(object.at("progress").as_string() == "none");
    BOOST_TEST(object.at("pid").as_string() == "12");
}

BOOST_AUTO_TEST_CASE(a_known_field_set_after_reading_is_written_once)
{
    auto r = parse(R"({"id": "a", "status": "paused", "progress": "none"})");
    auto kept = sj::job_to_text(r);
    BOOST_TEST(kept.find(R"("status": "paused")") != std::string::npos);
    BOOST_TEST(kept.find(R"("status")") == kept.rfind(R"("status")"));
    BOOST_TEST(sj::job_to_text(parse(kept)) == kept);

    // set since, the field replaces the kept value and is read back
    r.status = sj::job_status::dead;
    r.progress = {"line"};
    auto text = sj::job_to_text(r);
    BOOST_TEST(text.find(R"("status")") == text.rfind(R"("status")"));
    BOOST_TEST(text.find(R"("progress")") == text.rfind(R"("progress")"));
    auto reread = parse(text);
    BOOST_TEST((reread.status == sj::job_status::dead));
    BOOST_TEST(reread.progress.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_document_that_is_not_an_object_is_refused)
{
    for (const char* text : {"[]", "42", "\"job\"", "null"}) {
        sj::error_code ec;
        sj::job_from_text(text, ec);
        BOOST_TEST(ec.failed(), text);
    }
}

BOOST_AUTO_TEST_CASE(imported_rows_stay_integer_or_string)
{
    auto r = parse(R"({"imported_rows": "12 rows"})");
    BOOST_TEST((*r.imported_rows == sj::imported_rows_value(std::string("12 rows"))));
    r = parse(R"({"imported_rows": -3})");
    BOOST_TEST((*r.imported_rows == sj::imported_rows_value(std::int64_t(-3))));
    auto object = json::parse(sj::job_to_text(r)).as_object();
    BOOST_TEST(object.at("imported_rows").is_int64());
}

BOOST_AUTO_TEST_CASE(a_number_out_of_range_never_becomes_infinity)
{
    auto r = parse(R"({"id": "a", "huge": 1e400, "tiny": -1e400, "list": [2e308]})");
    auto text = sj::job_to_text(r);
    BOOST_TEST(text.find("Infinity") == std::string::npos);
    sj::error_code ec;
    auto again = json::parse(text, ec);
    BOOST_REQUIRE(!ec);
    BOOST_TEST(std::isinf(again.at("huge").as_double()));
    BOOST_TEST(again.at("tiny").as_double() < 0);
}

BOOST_AUTO_TEST_CASE(written_text_is_valid_json_whatever_the_strings_hold)
{
    sj::job_record r;
    r.id = "a";
    r.progress = {std::string("nul \0 bell \x07 del \x7f", 18), "bad \xff\xfe utf8 \xe2\x82",
                  "line\nbreak\rreturn", "\xf0\x9f\x98\x80 emoji"};
    r.times = {"t", "t", "t", "t"};
    auto text = sj::job_to_text(r);
    sj::error_code ec;
    auto back = sj::job_from_text(text, ec);
    BOOST_REQUIRE(!ec);
    BOOST_TEST(back.progress[0] == r.progress[0]);
    BOOST_TEST(back.progress[1] == "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD");
    BOOST_TEST(back.progress[2] == r.progress[2]);
    BOOST_TEST(back.progress[3] == r.progress[3]);
}

BOOST_AUTO_TEST_CASE(boost_json_conversions_agree_with_the_text)
{
    auto record = full_record();
    json::value value = json::value_from(record);
    BOOST_TEST(value == json::parse(sj::job_to_text(record)));
    BOOST_TEST((json::value_to<sj::job_record>(value) == record));
    BOOST_CHECK_THROW(json::value_to<sj::job_record>(json::value(3)), boost::system::system_error);
}

BOOST_FIXTURE_TEST_CASE(timestamps_have_python_str_datetime_form, utc_zone)
{
    using namespace std::chrono;
    // 2026-02-15 15:32:38 UTC
    sys_seconds base{seconds(1771169558)};
    BOOST_TEST(sj::python_timestamp(base + microseconds(123456)) == "2026-02-15 15:32:38.123456");
    BOOST_TEST(sj::python_timestamp(base + microseconds(7)) == "2026-02-15 15:32:38.000007");
    BOOST_TEST(sj::python_timestamp(base) == "2026-02-15 15:32:38");
    BOOST_TEST(sj::python_timestamp(base + nanoseconds(999)) == "2026-02-15 15:32:38");
}

BOOST_FIXTURE_TEST_CASE(the_cached_formatter_follows_the_clock_across_seconds, utc_zone)
{
    using namespace std::chrono;
    sys_seconds base{seconds(1771169558)};
    sj::timestamp_formatter format;
    BOOST_TEST(format(base + microseconds(999999)) == "2026-02-15 15:32:38.999999");
    BOOST_TEST(format(base + seconds(1)) == "2026-02-15 15:32:39");
    BOOST_TEST(format(base + seconds(1) + microseconds(5)) == "2026-02-15 15:32:39.000005");
    BOOST_TEST(format(base - seconds(86400)) == "2026-02-14 15:32:38");
}

BOOST_AUTO_TEST_CASE(timestamps_follow_the_local_zone)
{
    // a fixed-offset zone in POSIX form needs no zone database: UTC+05:30
    ::setenv("TZ", "IST-5:30", 1);
    ::tzset();
    using namespace std::chrono;
    sys_seconds base{seconds(1771169558)};
    auto text = sj::python_timestamp(base);
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    BOOST_TEST(text == "2026-02-15 21:02:38");
}

BOOST_AUTO_TEST_SUITE_END()
