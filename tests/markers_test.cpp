#include <scopejobs/markers.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sj = scopejobs;

// Fields shown as text, so that tables can state them and failures print
// them: "-" for an unset field, "int:" or "text:" before imported_rows.

std::string show(const std::optional<std::string>& field)
{
    return field ? *field : "-";
}

std::string show(const std::optional<sj::imported_rows_value>& field)
{
    if (!field)
        return "-";
    if (auto* number = std::get_if<std::int64_t>(&*field))
        return "int:" + std::to_string(*number);
    return "text:" + std::get<std::string>(*field);
}

struct marker_case
{
    std::string line;
    std::string run_id;
    std::string scope_id;
    std::string imported_rows;
};

const std::vector<marker_case> marker_table = {
    // one marker, at the start or anywhere else
    {"RUNNING: run-1", "run-1", "-", "-"},
    {"RUNNING:abc", "abc", "-", "-"},
    {"FINAL_SCOPE: scopes-007", "-", "scopes-007", "-"},
    {"note FINAL_SCOPE: scopes-007", "-", "scopes-007", "-"},
    {"xRUNNING:  run 2  ", "run 2", "-", "-"},
    {"IMPORTED_ROWS: 42", "-", "-", "int:42"},
    {"[import] IMPORTED_ROWS:17", "-", "-", "int:17"},

    // white space around the value
    {"RUNNING: \t\v\f r1 \r\n", "r1", "-", "-"},
    {"  FINAL_SCOPE:\tscopes-001\t", "-", "scopes-001", "-"},

    // nothing after the marker
    {"RUNNING:", "-", "-", "-"},
    {"RUNNING:   \t\r", "-", "-", "-"},
    {"FINAL_SCOPE: ", "-", "-", "-"},
    {"IMPORTED_ROWS:", "-", "-", "-"},

    // several markers on one line; the first of each counts
    {"RUNNING: a FINAL_SCOPE: b", "a FINAL_SCOPE: b", "b", "-"},
    {"FINAL_SCOPE: s IMPORTED_ROWS: 3 RUNNING: r", "r", "s IMPORTED_ROWS: 3 RUNNING: r",
     "text:3 RUNNING: r"},
    {"RUNNING: first RUNNING: second", "first RUNNING: second", "-", "-"},
    {"FINAL_SCOPE:RUNNING:", "-", "RUNNING:", "-"},
    {"RUNNING:FINAL_SCOPE:IMPORTED_ROWS:5", "FINAL_SCOPE:IMPORTED_ROWS:5", "IMPORTED_ROWS:5",
     "int:5"},

    // not markers
    {"", "-", "-", "-"},
    {"12:34:56 progress 50%: done", "-", "-", "-"},
    {"running: abc", "-", "-", "-"},
    {"RUNNING abc", "-", "-", "-"},
    {"RUNNING : abc", "-", "-", "-"},
    {"RUNNIN: abc", "-", "-", "-"},
    {"UNNING: abc", "-", "-", "-"},
    {"FINAL SCOPE: x", "-", "-", "-"},
    {"IMPORTED_ROW: 3", "-", "-", "-"},
    {"::::", "-", "-", "-"},

    // bytes pass through untouched
    {"RUNNING: café 数据", "café 数据", "-", "-"},
    {"RUNNING: \xff\xfe bad", "\xff\xfe bad", "-", "-"},
};

struct rows_case
{
    std::string value;
    std::string imported_rows;
};

const std::vector<rows_case> rows_table = {
    {"42", "int:42"},
    {"-7", "int:-7"},
    {"+5", "int:5"},
    {"0", "int:0"},
    {"-0", "int:0"},
    {"007", "int:7"},
    {"9223372036854775807", "int:9223372036854775807"},
    {"-9223372036854775808", "int:-9223372036854775808"},
    {"9223372036854775808", "text:9223372036854775808"},
    {"-9223372036854775809", "text:-9223372036854775809"},
    {"99999999999999999999", "text:99999999999999999999"},
    {"1_000", "text:1_000"},
    {"4.5", "text:4.5"},
    {"1e3", "text:1e3"},
    {"0x10", "text:0x10"},
    {"12 rows", "text:12 rows"},
    {"+", "text:+"},
    {"-", "text:-"},
    {"+-5", "text:+-5"},
    {"--5", "text:--5"},
    {"5-", "text:5-"},
    {"\xd9\xa4\xd9\xa2", "text:\xd9\xa4\xd9\xa2"}, // Arabic-Indic digits
    {"many", "text:many"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(markers)

BOOST_AUTO_TEST_CASE(parse_markers_reads_each_marker_anywhere_in_the_line)
{
    for (const auto& row : marker_table) {
        BOOST_TEST_CONTEXT("line " << row.line)
        {
            sj::marker_values values = sj::parse_markers(row.line);
            BOOST_TEST(show(values.run_id) == row.run_id);
            BOOST_TEST(show(values.scope_id) == row.scope_id);
            BOOST_TEST(show(values.imported_rows) == row.imported_rows);
        }
    }
}

BOOST_AUTO_TEST_CASE(imported_rows_is_an_integer_only_for_a_signed_64_bit_decimal)
{
    for (const auto& row : rows_table) {
        BOOST_TEST_CONTEXT("value " << row.value)
        {
            auto values = sj::parse_markers("IMPORTED_ROWS: " + row.value);
            BOOST_TEST(show(values.imported_rows) == row.imported_rows);
        }
    }
}

BOOST_AUTO_TEST_CASE(marker_values_end_at_the_end_of_the_line_not_at_a_nul)
{
    using namespace std::string_view_literals;
    auto values = sj::parse_markers("RUNNING: a\0b "sv);
    BOOST_TEST(show(values.run_id) == std::string("a\0b", 3));
}

BOOST_AUTO_TEST_CASE(apply_markers_from_a_line_agrees_with_parse_markers)
{
    for (const auto& row : marker_table) {
        BOOST_TEST_CONTEXT("line " << row.line)
        {
            sj::job_record by_line, by_values;
            bool changed = sj::apply_markers(by_line, row.line);
            sj::marker_values values = sj::parse_markers(row.line);
            sj::apply_markers(by_values, values);
            BOOST_TEST((by_line == by_values));
            BOOST_TEST(changed == !(values == sj::marker_values{}));
        }
    }
}

BOOST_AUTO_TEST_CASE(apply_markers_leaves_unset_fields_alone)
{
    sj::job_record record;
    record.run_id = "old-run";
    record.scope_id = "old-scope";
    record.imported_rows = std::int64_t(1);
    record.progress = {"line"};
    sj::job_record before = record;

    sj::marker_values values;
    values.scope_id = "scopes-002";
    sj::apply_markers(record, values);
    BOOST_TEST(show(record.run_id) == "old-run");
    BOOST_TEST(show(record.scope_id) == "scopes-002");
    BOOST_TEST(show(record.imported_rows) == "int:1");

    sj::apply_markers(record, sj::marker_values{});
    before.scope_id = "scopes-002";
    BOOST_TEST((record == before));
}

BOOST_AUTO_TEST_CASE(apply_markers_overwrites_the_fields_a_line_sets)
{
    sj::job_record record;
    record.run_id = "old-run";
    record.imported_rows = std::string("old");
    BOOST_TEST(sj::apply_markers(record, "RUNNING: new-run IMPORTED_ROWS: 9"));
    BOOST_TEST(show(record.run_id) == "new-run IMPORTED_ROWS: 9");
    BOOST_TEST(show(record.imported_rows) == "int:9");
    BOOST_TEST(show(record.scope_id) == "-");
}

BOOST_AUTO_TEST_CASE(a_line_without_a_marker_or_with_an_empty_one_changes_nothing)
{
    const std::string lines[] = {"",         "plain output",    "epoch 3: loss 0.25",
                                 "RUNNING:", "FINAL_SCOPE:   ", "IMPORTED_ROWS:\t"};
    for (const auto& line : lines) {
        BOOST_TEST_CONTEXT("line " << line)
        {
            sj::job_record record;
            record.run_id = "kept";
            sj::job_record before = record;
            BOOST_TEST(!sj::apply_markers(record, line));
            BOOST_TEST((record == before));
        }
    }
}

BOOST_AUTO_TEST_CASE(markers_never_throw_for_any_bytes)
{
    const std::string_view pieces[] = {
        "RUNNING:", "FINAL_SCOPE:", "IMPORTED_ROWS:", ":", " ", "-", "+", "9", "\xff"};
    std::mt19937 random(12345);
    for (int round = 0; round < 2000; ++round) {
        std::string line;
        int length = int(random() % 12);
        for (int i = 0; i < length; ++i) {
            if (random() % 3 == 0)
                line += static_cast<char>(random() % 256);
            else
                line += pieces[random() % std::size(pieces)];
        }
        sj::job_record record;
        BOOST_CHECK_NO_THROW(sj::parse_markers(line));
        BOOST_CHECK_NO_THROW(sj::apply_markers(record, line));
    }
}

BOOST_AUTO_TEST_CASE(values_lose_the_white_space_python_strips)
{
    // U+00A0 no-break space and U+3000 ideographic space, as str.strip() does
    auto found = sj::parse_markers("RUNNING:\xC2\xA0run-1\xE3\x80\x80");
    BOOST_TEST(*found.run_id == "run-1");
    found = sj::parse_markers("FINAL_SCOPE: \x1fscope\x1c");
    BOOST_TEST(*found.scope_id == "scope");
}

BOOST_AUTO_TEST_SUITE_END()
