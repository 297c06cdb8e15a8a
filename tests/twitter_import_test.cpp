#include <scopejobs/routes/twitter_import.hpp>

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace sj = scopejobs;

using strings = std::vector<std::string>;

sj::http::fields form_of(std::initializer_list<std::pair<std::string, std::string>> items)
{
    sj::http::fields form;
    for (const auto& [name, value] : items)
        form.add(name, value);
    return form;
}

// An absent field is shown as "<absent>" in the tables below.
constexpr std::string_view absent = "<absent>";

std::optional<std::string_view> field(std::string_view value)
{
    if (value == absent)
        return std::nullopt;
    return value;
}

// A payload with the format and a profile, around the given lists and counts.
std::string payload(std::string_view tweets, std::string_view likes,
                    std::string_view counts = R"("tweet_count": 1, "likes_count": 1,
                                                 "total_count": 2)")
{
    std::string text = R"({"archive_format": "x_native_extracted_v1",
                           "profile": {"username": "alice"}, "tweets": )";
    text += tweets;
    text += R"(, "likes": )";
    text += likes;
    text += ", ";
    text += counts;
    text += "}";
    return text;
}

constexpr std::string_view one_tweet = R"([{"id_str": "1", "full_text": "hello"}])";
constexpr std::string_view one_like = R"([{"tweetId": "2"}])";

std::string validate(std::string_view text)
{
    return sj::validate_extracted_payload(json::parse(text));
}

// A fresh folder for files, removed with everything in it.
struct temp_folder
{
    fs::path path;

    temp_folder()
    {
        std::string pattern = (fs::temp_directory_path() / "scopejobs-twitter-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path = pattern;
    }

    ~temp_folder()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }

    fs::path write(const std::string& name, std::string_view bytes) const
    {
        std::ofstream out(path / name, std::ios::binary);
        out.write(bytes.data(), std::streamsize(bytes.size()));
        return path / name;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(twitter_import)

// the dataset slug

BOOST_AUTO_TEST_CASE(dataset_slug_follows_the_reference_rule)
{
    struct row
    {
        std::string raw;
        std::string slug;
    };
    const std::vector<row> table = {
        {"  My Archive!! ", "my-archive"},
        {"a__b", "a__b"},
        {"--x--", "x"},
        {"UPPER_case-1", "upper_case-1"},
        {"a - b", "a-b"},
        {"a-!-b", "a-b"},
        {"-_-", "_"},
        {"tweets 2024/01", "tweets-2024-01"},
        {"\tdata\r\n", "data"},
        {"caf\xC3\xA9 au lait", "caf-au-lait"},
        {"\xC3\x84\xC3\x96", ""},
        {"x\xC3\x84\xC3\x96y", "x-y"},
        {"\xC2\xA0name\xC2\xA0", "name"},
        {"", ""},
        {"   ", ""},
        {"!!!", ""},
        {"---", ""},
    };
    for (const auto& [raw, slug] : table)
        BOOST_TEST_CONTEXT("raw " << raw) BOOST_TEST(sj::dataset_slug(raw) == slug);
}

// flag words

BOOST_AUTO_TEST_CASE(flag_words_are_truthy_falsy_or_neither)
{
    struct row
    {
        std::string_view value;
        bool truthy;
        bool falsy;
        bool truthy_or_absent;
    };
    const std::vector<row> table = {
        {"1", true, false, true},
        {"true", true, false, true},
        {"yes", true, false, true},
        {"on", true, false, true},
        {" TRUE ", true, false, true},
        {"Yes\n", true, false, true},
        {"\xC2\xA0on", true, false, true},
        {"0", false, true, false},
        {"false", false, true, false},
        {"no", false, true, false},
        {"off", false, true, false},
        {" OFF\t", false, true, false},
        {"False", false, true, false},
        // neither: absent, empty, unknown words
        {absent, false, false, true},
        {"", false, false, false},
        {"  ", false, false, false},
        {"t", false, false, false},
        {"y", false, false, false},
        {"2", false, false, false},
        {"truthy", false, false, false},
        {"o n", false, false, false},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT("value '" << r.value << "'")
        {
            BOOST_TEST(sj::is_truthy(field(r.value)) == r.truthy);
            BOOST_TEST(sj::is_falsy(field(r.value)) == r.falsy);
            BOOST_TEST(sj::is_truthy_or_absent(field(r.value)) == r.truthy_or_absent);
        }
    }
}

// the command line

BOOST_AUTO_TEST_CASE(argv_of_a_full_form_keeps_the_documented_order)
{
    // fields in an order unlike the tool's, to show the tool's order wins
    auto form = form_of({
        {"import_batch_id", "batch-7"},
        {"cluster_selection_epsilon", "0.05"},
        {"cluster_min_samples", "3"},
        {"cluster_samples", "5"},
        {"umap_min_dist", "0.1"},
        {"umap_neighbors", "25"},
        {"embedding_model", "model-x"},
        {"text_column", "text"},
        {"sort", "engagement"},
        {"top_n", "100"},
        {"min_text_length", "10"},
        {"min_favorites", "2"},
        {"lang", "en"},
        {"year", "2024"},
        {"incremental_links", "off"},
        {"run_pipeline", "yes"},
        {"include_likes", "no"},
        {"exclude_retweets", "on"},
        {"exclude_replies", "1"},
        {"dataset", "ignored"},
    });
    strings source = {"--source", "community", "--username", "alice"};

    strings expected = {"ls-twitter-import",
                        "my-archive",
                        "--source",
                        "community",
                        "--username",
                        "alice",
                        "--year",
                        "2024",
                        "--lang",
                        "en",
                        "--min_favorites",
                        "2",
                        "--min_text_length",
                        "10",
                        "--top_n",
                        "100",
                        "--sort",
                        "engagement",
                        "--text_column",
                        "text",
                        "--embedding_model",
                        "model-x",
                        "--umap_neighbors",
                        "25",
                        "--umap_min_dist",
                        "0.1",
                        "--cluster_samples",
                        "5",
                        "--cluster_min_samples",
                        "3",
                        "--cluster_selection_epsilon",
                        "0.05",
                        "--import_batch_id",
                        "batch-7",
                        "--exclude_replies",
                        "--exclude_retweets",
                        "--exclude_likes",
                        "--run_pipeline",
                        "--no-incremental-links"};
    auto argv = sj::twitter_import_argv("my-archive", source, form);
    BOOST_TEST(argv == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(argv_of_a_minimal_form_keeps_likes_and_runs_the_pipeline)
{
    auto argv = sj::twitter_import_argv("d", {}, sj::http::fields{});
    strings expected = {"ls-twitter-import", "d", "--run_pipeline"};
    BOOST_TEST(argv == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(argv_switches_follow_the_flag_rules)
{
    struct row
    {
        std::string_view field;
        std::string_view value;
        strings switches; // what follows `ls-twitter-import d`
    };
    const std::vector<row> table = {
        // include_likes: absent or truthy keeps likes; anything else drops them
        {"include_likes", "true", {"--run_pipeline"}},
        {"include_likes", "", {"--exclude_likes", "--run_pipeline"}},
        {"include_likes", "maybe", {"--exclude_likes", "--run_pipeline"}},
        {"include_likes", "0", {"--exclude_likes", "--run_pipeline"}},
        // run_pipeline: absent or truthy runs it; anything else does not
        {"run_pipeline", "ON", {"--run_pipeline"}},
        {"run_pipeline", "", {}},
        {"run_pipeline", "later", {}},
        {"run_pipeline", "false", {}},
        // incremental_links: only a falsy word turns it off
        {"incremental_links", "no", {"--run_pipeline", "--no-incremental-links"}},
        {"incremental_links", "", {"--run_pipeline"}},
        {"incremental_links", "nope", {"--run_pipeline"}},
        {"incremental_links", "1", {"--run_pipeline"}},
        // exclusions: only a truthy word adds them
        {"exclude_replies", "yes", {"--exclude_replies", "--run_pipeline"}},
        {"exclude_replies", "", {"--run_pipeline"}},
        {"exclude_retweets", " 1 ", {"--exclude_retweets", "--run_pipeline"}},
        {"exclude_retweets", "off", {"--run_pipeline"}},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT(r.field << "='" << r.value << "'")
        {
            auto form = form_of({{std::string(r.field), std::string(r.value)}});
            strings expected = {"ls-twitter-import", "d"};
            expected.insert(expected.end(), r.switches.begin(), r.switches.end());
            auto argv = sj::twitter_import_argv("d", {}, form);
            BOOST_TEST(argv == expected, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(argv_values_are_passed_as_sent_and_empty_ones_dropped)
{
    auto form = form_of({
        {"year", ""},
        {"lang", " en "},
        {"sort", "recent"},
        {"sort", "engagement"},
        {"top_n", ""},
        {"top_n", "5"},
    });

    // a repeated field counts by its first value, even an empty one
    auto argv = sj::twitter_import_argv("d", {}, form);
    strings expected = {"ls-twitter-import", "d", "--lang", " en ", "--sort", "recent",
                        "--run_pipeline"};
    BOOST_TEST(argv == expected, boost::test_tools::per_element());
}

// the source

BOOST_AUTO_TEST_CASE(source_type_selects_the_source_or_a_message)
{
    using kind = sj::twitter_source_kind;
    struct row
    {
        std::string_view source_type;
        std::string_view username;
        kind expected_kind;
        strings args;
        std::string error;
    };
    const std::vector<row> table = {
        {absent, absent, kind::community_json, {}, ""},
        {"community_json", absent, kind::community_json, {}, ""},
        {" Community_JSON\n", absent, kind::community_json, {}, ""},
        {"community",
         " alice ",
         kind::community,
         {"--source", "community", "--username", "alice"},
         ""},
        {"COMMUNITY", "Bob", kind::community, {"--source", "community", "--username", "Bob"}, ""},
        {"community", absent, kind::community, {}, "Missing username"},
        {"community", " \t ", kind::community, {}, "Missing username"},
        {"zip",
         absent,
         kind::community_json,
         {},
         "Raw zip uploads are disabled. Upload extracted JSON payload instead "
         "(source_type=community_json)."},
        {" ZIP ",
         absent,
         kind::community_json,
         {},
         "Raw zip uploads are disabled. Upload extracted JSON payload instead "
         "(source_type=community_json)."},
        {"tarball", absent, kind::community_json, {}, "Unsupported source_type: tarball"},
        {" RSS ", absent, kind::community_json, {}, "Unsupported source_type: rss"},
        {"", absent, kind::community_json, {}, "Unsupported source_type: "},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT("source_type '" << r.source_type << "' username '" << r.username << "'")
        {
            sj::http::fields form;
            if (r.source_type != absent)
                form.add("source_type", std::string(r.source_type));
            if (r.username != absent)
                form.add("username", std::string(r.username));

            auto source = sj::select_twitter_source(form);
            BOOST_TEST(source.error == r.error);
            BOOST_TEST(source.accepted() == r.error.empty());
            if (source.accepted())
                BOOST_TEST((source.kind == r.expected_kind));
            BOOST_TEST(source.args == r.args, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(community_json_args_name_the_saved_upload)
{
    auto args = sj::community_json_args("/data/d/uploads/job-1/community-extract-ab12.json");
    strings expected = {"--source", "community_json", "--input_path",
                        "/data/d/uploads/job-1/community-extract-ab12.json"};
    BOOST_TEST(args == expected, boost::test_tools::per_element());
    BOOST_TEST(sj::missing_community_json_message == "Missing community JSON file");
    BOOST_TEST(sj::invalid_dataset_message == "Invalid dataset id");
}

// the payload

BOOST_AUTO_TEST_CASE(each_payload_rule_gives_its_message)
{
    struct row
    {
        std::string behaviour;
        std::string text;
        std::string message;
    };
    const std::string format = R"("archive_format": "x_native_extracted_v1")";
    const std::string counts = R"("tweet_count": 1, "likes_count": 1, "total_count": 2)";
    const std::string lists = R"("tweets": [{"id_str": "1", "full_text": "hi"}],
                                 "likes": [{"tweetId": "2"}], )" +
                              counts;
    const std::string profile = R"("profile": {}, )";
    const std::vector<row> table = {
        // the envelope
        {"an array is no payload", "[]", "Extracted payload must be a JSON object"},
        {"a string is no payload", R"("x")", "Extracted payload must be a JSON object"},
        {"the format is required", "{" + profile + lists + "}",
         "archive_format must be 'x_native_extracted_v1'"},
        {"the format must match",
         R"({"archive_format": "x_native_extracted_v2", )" + profile + lists + "}",
         "archive_format must be 'x_native_extracted_v1'"},
        {"the format must be text", R"({"archive_format": 1, )" + profile + lists + "}",
         "archive_format must be 'x_native_extracted_v1'"},
        {"the profile is required", "{" + format + ", " + lists + "}",
         "Missing required field: profile"},
        {"a null profile is missing", "{" + format + R"(, "profile": null, )" + lists + "}",
         "Missing required field: profile"},
        {"the profile is an object", "{" + format + R"(, "profile": [], )" + lists + "}",
         "profile must be an object"},

        // the lists
        {"tweets are required",
         "{" + format + ", " + profile + R"("likes": [{"tweetId": "2"}], )" + counts + "}",
         "tweets must be an array"},
        {"tweets are an array", payload(R"({})", one_like), "tweets must be an array"},
        {"likes are an array", payload(one_tweet, "null"), "likes must be an array"},
        {"one list holds something", payload("[]", "[]"),
         "Extracted payload must include at least one tweet or like"},

        // tweets
        {"a tweet is an object", payload(R"([{"id_str": "1", "full_text": "a"}, 7])", one_like),
         "tweets[1] must be an object"},
        {"a tweet wrapper holds an object", payload(R"([{"tweet": "x"}])", one_like),
         "tweets[0].tweet must be an object"},
        {"a null tweet wrapper is no object", payload(R"([{"tweet": null}])", one_like),
         "tweets[0].tweet must be an object"},
        {"a tweet has an id", payload(R"([{"full_text": "a"}])", one_like),
         "tweets[0] missing id_str/id"},
        {"a blank id is no id", payload(R"([{"id_str": " \t", "full_text": "a"}])", one_like),
         "tweets[0] missing id_str/id"},
        {"a blank id_str hides a good id",
         payload(R"([{"id_str": "  ", "id": 5, "full_text": "a"}])", one_like),
         "tweets[0] missing id_str/id"},
        {"a null id is no id", payload(R"([{"id": null, "full_text": "a"}])", one_like),
         "tweets[0] missing id_str/id"},
        {"the id is looked for inside the wrapper",
         payload(R"([{"id_str": "1", "tweet": {"full_text": "a"}}])", one_like),
         "tweets[0] missing id_str/id"},
        {"a tweet has a text", payload(R"([{"id_str": "1"}])", one_like),
         "tweets[0] missing full_text/text"},
        {"a blank text is no text",
         payload(R"([{"id_str": "1", "full_text": "\u00a0\n"}])", one_like),
         "tweets[0] missing full_text/text"},
        {"the index names the tweet",
         payload(R"([{"id_str": "1", "text": "a"}, {"id_str": "2", "text": "b"},
                     {"id_str": "3"}])",
                 one_like, R"("tweet_count": 3, "likes_count": 1, "total_count": 4)"),
         "tweets[2] missing full_text/text"},

        // likes
        {"a like is an object", payload(one_tweet, R"([["2"]])"), "likes[0] must be an object"},
        {"a like wrapper holds an object", payload(one_tweet, R"([{"like": []}])"),
         "likes[0].like must be an object"},
        {"a like has an id", payload(one_tweet, R"([{"tweetId": "2"}, {"fullText": "x"}])"),
         "likes[1] missing tweetId/tweet_id/id"},
        {"a blank like id is no id", payload(one_tweet, R"([{"like": {"tweet_id": " "}}])"),
         "likes[0] missing tweetId/tweet_id/id"},
        {"tweets are checked before likes", payload(R"([1])", R"([1])"),
         "tweets[0] must be an object"},

        // counts
        {"tweet_count is required", payload(one_tweet, one_like, R"("likes_count": 1,
                                                                    "total_count": 2)"),
         "tweet_count must be an integer"},
        {"tweet_count is an integer",
         payload(one_tweet, one_like, R"("tweet_count": 1.0, "likes_count": 1,
                                         "total_count": 2)"),
         "tweet_count must be an integer"},
        {"a boolean is no count",
         payload(one_tweet, one_like, R"("tweet_count": true, "likes_count": 1,
                                         "total_count": 2)"),
         "tweet_count must be an integer"},
        {"likes_count is an integer",
         payload(one_tweet, one_like, R"("tweet_count": 1, "likes_count": "1x",
                                         "total_count": 2)"),
         "likes_count must be an integer"},
        {"a signed string is no count",
         payload(one_tweet, one_like, R"("tweet_count": 1, "likes_count": "+1",
                                         "total_count": 2)"),
         "likes_count must be an integer"},
        {"total_count is an integer",
         payload(one_tweet, one_like, R"("tweet_count": 1, "likes_count": 1,
                                         "total_count": "")"),
         "total_count must be an integer"},
        {"counts are all checked before they are compared",
         payload(one_tweet, one_like, R"("tweet_count": 9, "likes_count": 9)"),
         "total_count must be an integer"},
        {"tweet_count matches the tweets",
         payload(one_tweet, one_like, R"("tweet_count": 2, "likes_count": 1,
                                         "total_count": 3)"),
         "tweet_count does not match tweets length"},
        {"a negative count matches nothing",
         payload(one_tweet, one_like, R"("tweet_count": -1, "likes_count": 1,
                                         "total_count": 0)"),
         "tweet_count does not match tweets length"},
        {"likes_count matches the likes",
         payload(one_tweet, one_like, R"("tweet_count": 1, "likes_count": "0",
                                         "total_count": 1)"),
         "likes_count does not match likes length"},
        {"total_count is the sum",
         payload(one_tweet, one_like, R"("tweet_count": 1, "likes_count": 1,
                                         "total_count": 3)"),
         "total_count must equal tweet_count + likes_count"},
        {"a count past 64 bits matches nothing",
         payload(one_tweet, one_like, R"("tweet_count": 1, "likes_count": 1,
                                         "total_count": "18446744073709551618")"),
         "total_count must equal tweet_count + likes_count"},
    };
    for (const auto& r : table)
        BOOST_TEST_CONTEXT(r.behaviour) BOOST_TEST(validate(r.text) == r.message);
}

BOOST_AUTO_TEST_CASE(valid_payloads_give_no_message)
{
    struct row
    {
        std::string behaviour;
        std::string text;
    };
    const std::vector<row> table = {
        {"plain items", payload(one_tweet, one_like)},
        {"wrapped items", payload(R"([{"tweet": {"id_str": "1", "full_text": "hello"}}])",
                                  R"([{"like": {"tweetId": "2"}}])")},
        {"counts as digit strings",
         payload(one_tweet, one_like,
                 R"("tweet_count": "1", "likes_count": "01", "total_count": "2")")},
        {"only tweets",
         payload(one_tweet, "[]", R"("tweet_count": 1, "likes_count": 0, "total_count": 1)")},
        {"only likes",
         payload("[]", one_like, R"("tweet_count": 0, "likes_count": 1, "total_count": 1)")},
        {"number ids", payload(R"([{"id": 0, "text": "a"}])", R"([{"id": 12345678901234}])")},
        {"empty id_str falls back to id", payload(R"([{"id_str": "", "id": "9", "text": "a"}])",
                                                  R"([{"tweetId": null, "tweet_id": "3"}])")},
        {"false falls back to the next key",
         payload(R"([{"id_str": false, "id": "9", "full_text": [], "text": "a"}])",
                 R"([{"tweetId": {}, "id_str": "3"}])")},
        {"the last like key counts", payload(one_tweet, R"([{"id": "4"}])")},
        {"other fields are ignored", payload(R"([{"id_str": "1", "full_text": "a", "x": 1}])",
                                             R"([{"tweetId": "2", "expandedUrl": null}])")},
    };
    for (const auto& r : table)
        BOOST_TEST_CONTEXT(r.behaviour) BOOST_TEST(validate(r.text) == "");
}

BOOST_AUTO_TEST_CASE(payload_messages_can_be_wrapped_for_the_answer)
{
    BOOST_TEST(sj::invalid_payload_message("tweets must be an array") ==
               "Invalid extracted archive payload: tweets must be an array");
}

// the file

BOOST_AUTO_TEST_CASE(file_reader_gives_the_parser_message_or_the_rule_message)
{
    struct row
    {
        std::string behaviour;
        std::string bytes;
        std::string message;
    };
    const std::string syntax = json::make_error_code(json::error::syntax).message();
    const std::string incomplete = json::make_error_code(json::error::incomplete).message();
    const std::string too_deep = json::make_error_code(json::error::too_deep).message();
    const std::vector<row> table = {
        {"valid payload", payload(one_tweet, one_like), ""},
        {"invalid JSON", R"({"archive_format": )", incomplete},
        {"not JSON at all", "PK\x03\x04", syntax},
        {"empty file", "", incomplete},
        {"invalid UTF-8", payload(R"([{"id_str": "1", "full_text": "caf\xE9"}])", one_like),
         syntax},
        {"a byte order mark", "\xEF\xBB\xBF" + payload(one_tweet, one_like), syntax},
        {"nesting past the limit", std::string(300, '[') + std::string(300, ']'), too_deep},
        {"nesting within the limit", std::string(200, '[') + std::string(200, ']'),
         "Extracted payload must be a JSON object"},
        {"a broken rule", payload("[]", "[]"),
         "Extracted payload must include at least one tweet or like"},
    };
    temp_folder folder;
    for (std::size_t i = 0; i < table.size(); ++i) {
        BOOST_TEST_CONTEXT(table[i].behaviour)
        {
            auto path = folder.write("upload-" + std::to_string(i) + ".json", table[i].bytes);
            BOOST_TEST(sj::validate_extracted_file(path) == table[i].message);
        }
    }
}

BOOST_AUTO_TEST_CASE(file_reader_reports_a_missing_file)
{
    temp_folder folder;
    auto message = sj::validate_extracted_file(folder.path / "absent.json");
    BOOST_TEST(message == std::make_error_code(std::errc::no_such_file_or_directory).message());
}

BOOST_AUTO_TEST_CASE(file_reader_is_the_default_payload_validator)
{
    temp_folder folder;
    sj::payload_validator validator = sj::validate_extracted_file;
    BOOST_TEST(validator(folder.write("ok.json", payload(one_tweet, one_like))) == "");
    BOOST_TEST(validator(folder.write("bad.json", "[]")) ==
               "Extracted payload must be a JSON object");

    // a custom validator plugs in the same way
    sj::payload_validator custom = [](const fs::path& path) -> std::string {
        return path.extension() == ".csv" ? "" : "expected a CSV file";
    };
    BOOST_TEST(custom("x.json") == "expected a CSV file");
}

BOOST_AUTO_TEST_SUITE_END()
