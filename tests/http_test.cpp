#include <scopejobs/http.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>

namespace sjh = scopejobs::http;
namespace fs = std::filesystem;

namespace {

using pairs = std::vector<std::pair<std::string, std::string>>;

// Pairs as strings Boost.Test can print: `[name]=[value]`.
std::vector<std::string> show(const pairs& items)
{
    std::vector<std::string> out;
    for (const auto& [name, value] : items)
        out.push_back("[" + name + "]=[" + value + "]");
    return out;
}

// A new empty folder, removed with all it holds at the end of the test.
struct temp_folder
{
    fs::path path;

    temp_folder()
    {
        std::string pattern = (fs::temp_directory_path() / "http-test-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }

    ~temp_folder()
    {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }

    std::size_t count() const
    {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& entry : fs::directory_iterator(path))
            ++n;
        return n;
    }
};

std::string read_all(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// What a parse gave, in a form tests compare.
struct outcome
{
    bool ok = false;
    std::string error;
    pairs fields;
    struct file
    {
        std::string field, filename, content_type, content;
        bool operator==(const file&) const = default;
    };
    std::vector<file> files;
    bool operator==(const outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const outcome& o)
{
    out << (o.ok ? "ok" : "failed: " + o.error) << ", " << o.fields.size() << " fields, "
        << o.files.size() << " files";
    return out;
}

outcome collect(sjh::multipart_parser& parser, bool ok)
{
    outcome o;
    o.ok = ok;
    o.error = parser.error();
    for (const auto& [name, value] : parser.text_fields())
        o.fields.emplace_back(name, value);
    for (const auto& f : parser.files()) {
        BOOST_TEST(fs::file_size(f.path) == f.size);
        o.files.push_back({f.field, f.filename, f.content_type, read_all(f.path)});
    }
    return o;
}

// Parses `body` fed in the pieces `cuts` marks (offsets, increasing).
outcome parse_cut(std::string_view body, const std::vector<std::size_t>& cuts, const fs::path& dir,
                  const sjh::parse_limits& limits = {}, std::string boundary = "XyZ")
{
    sjh::multipart_parser parser(boundary, dir, limits);
    std::size_t start = 0;
    bool ok = true;
    for (std::size_t cut : cuts) {
        ok = parser.feed(body.substr(start, cut - start)) && ok;
        start = cut;
    }
    ok = parser.feed(body.substr(start)) && ok;
    ok = parser.finish() && ok;
    return collect(parser, ok);
}

outcome parse_whole(std::string_view body, const fs::path& dir,
                    const sjh::parse_limits& limits = {}, std::string boundary = "XyZ")
{
    return parse_cut(body, {}, dir, limits, boundary);
}

outcome parse_in_chunks(std::string_view body, std::size_t chunk, const fs::path& dir,
                        const sjh::parse_limits& limits = {}, std::string boundary = "XyZ")
{
    std::vector<std::size_t> cuts;
    for (std::size_t at = chunk; at < body.size(); at += chunk)
        cuts.push_back(at);
    return parse_cut(body, cuts, dir, limits, boundary);
}

const std::string small_body = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"dataset\"\r\n"
                               "\r\n"
                               "ds-1\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"file\"; "
                               "filename=\"a.csv\"\r\n"
                               "Content-Type: text/csv\r\n"
                               "\r\n"
                               "x\r\n--XyQ\r\n\r\n"
                               "--XyZ--\r\n";

outcome small_expected()
{
    outcome o;
    o.ok = true;
    o.fields = {{"dataset", "ds-1"}};
    o.files = {{"file", "a.csv", "text/csv", "x\r\n--XyQ\r\n"}};
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http)

// ---- verbs and fields

BOOST_AUTO_TEST_CASE(verbs_parse_case_sensitively_and_print_back)
{
    struct row
    {
        std::string_view name;
        sjh::verb method;
    };
    const row table[] = {
        {"GET", sjh::verb::get},         {"HEAD", sjh::verb::head},
        {"POST", sjh::verb::post},       {"PUT", sjh::verb::put},
        {"PATCH", sjh::verb::patch},     {"DELETE", sjh::verb::delete_},
        {"OPTIONS", sjh::verb::options},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT(r.name)
        {
            BOOST_TEST((sjh::parse_verb(r.name) == r.method));
            BOOST_TEST(sjh::to_string(r.method) == r.name);
        }
    }
    for (std::string_view other : {"get", "Post", "", "TRACE", "CONNECT", "GET "})
        BOOST_TEST((sjh::parse_verb(other) == sjh::verb::other));
    BOOST_TEST(sjh::to_string(sjh::verb::other) == "");
}

BOOST_AUTO_TEST_CASE(fields_keep_order_and_find_the_first_value)
{
    sjh::fields f;
    BOOST_TEST(f.empty());
    f.add("a", "1");
    f.add("b", "2");
    f.add("a", "3");
    BOOST_TEST(f.size() == 3u);
    BOOST_TEST(!f.empty());
    BOOST_TEST(f.find("a").value_or("<absent>") == "1");
    BOOST_TEST(f.find("b").value_or("<absent>") == "2");
    BOOST_TEST(!f.find("c"));
    BOOST_TEST(!f.find("A"));
    BOOST_TEST(f.contains("b"));
    BOOST_TEST(!f.contains("c"));

    std::vector<std::string> order;
    for (const auto& [name, value] : f)
        order.push_back(name + "=" + value);
    BOOST_TEST(order == (std::vector<std::string>{"a=1", "b=2", "a=3"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_empty_value_is_found_and_differs_from_absent)
{
    sjh::fields f;
    f.add("a", "");
    BOOST_TEST(f.find("a").has_value());
    BOOST_TEST(f.find("a")->empty());
}

// ---- request

BOOST_AUTO_TEST_CASE(param_reads_form_then_query_for_post_and_query_only_otherwise)
{
    sjh::request req;
    req.query.add("a", "query-a");
    req.query.add("b", "query-b");
    req.form.add("a", "form-a");
    req.form.add("c", "form-c");

    req.method = sjh::verb::post;
    BOOST_TEST(req.param("a").value_or("<absent>") == "form-a");
    BOOST_TEST(req.param("b").value_or("<absent>") == "query-b");
    BOOST_TEST(req.param("c").value_or("<absent>") == "form-c");
    BOOST_TEST(!req.param("d"));

    for (auto method : {sjh::verb::get, sjh::verb::head, sjh::verb::put, sjh::verb::other}) {
        req.method = method;
        BOOST_TEST(req.param("a").value_or("<absent>") == "query-a");
        BOOST_TEST(!req.param("c"));
    }
}

BOOST_AUTO_TEST_CASE(request_removes_files_not_taken)
{
    temp_folder dir;
    auto make = [&](const std::string& name) {
        std::ofstream(dir.path / name) << name;
        return sjh::uploaded_file{"f-" + name, name, "text/plain", dir.path / name, 1};
    };

    {
        sjh::request req;
        req.files.push_back(make("one"));
        req.files.push_back(make("two"));
        req.files.push_back(make("three"));
        BOOST_TEST(req.file("f-two")->filename == "two");
        BOOST_TEST(req.file("f-none") == nullptr);

        auto taken = req.take("f-two");
        BOOST_REQUIRE(taken.has_value());
        BOOST_TEST(taken->path == dir.path / "two");
        BOOST_TEST(!req.take("f-two").has_value());
        BOOST_TEST(req.files.size() == 2u);
    }
    BOOST_TEST(!fs::exists(dir.path / "one"));
    BOOST_TEST(fs::exists(dir.path / "two"));
    BOOST_TEST(!fs::exists(dir.path / "three"));
}

BOOST_AUTO_TEST_CASE(moving_a_request_moves_its_files_and_assignment_removes_the_old_ones)
{
    temp_folder dir;
    std::ofstream(dir.path / "old") << "x";
    std::ofstream(dir.path / "new") << "x";

    sjh::request target;
    target.files.push_back({"f", "old", "", dir.path / "old", 1});
    {
        sjh::request source;
        source.method = sjh::verb::post;
        source.files.push_back({"f", "new", "", dir.path / "new", 1});
        sjh::request middle(std::move(source));
        BOOST_TEST(source.files.empty());
        target = std::move(middle);
        BOOST_TEST(middle.files.empty());
    }
    BOOST_TEST(!fs::exists(dir.path / "old"));
    BOOST_TEST(fs::exists(dir.path / "new"));
    BOOST_TEST((target.method == sjh::verb::post));
    BOOST_TEST(target.files.size() == 1u);

    target = sjh::request();
    BOOST_TEST(!fs::exists(dir.path / "new"));
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_ignored_on_removal)
{
    temp_folder dir;
    {
        sjh::request req;
        req.files.push_back({"f", "gone", "", dir.path / "gone", 0});
    }
    BOOST_TEST(dir.count() == 0u);
}

// ---- responses

BOOST_AUTO_TEST_CASE(json_response_serialises_with_status_and_content_type)
{
    auto r = sjh::json_response(201, boost::json::parse(R"({"job_id":"x","n":[1,2]})"));
    BOOST_TEST(r.status == 201u);
    BOOST_TEST(r.content_type == "application/json");
    BOOST_TEST(r.body == R"({"job_id":"x","n":[1,2]})");
    BOOST_TEST(r.headers.empty());
}

BOOST_AUTO_TEST_CASE(error_response_is_an_error_object_and_always_valid_json)
{
    auto r = sjh::error_response(400, "Missing required parameters: a, \"b\"");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(r.body == R"({"error":"Missing required parameters: a, \"b\""})");

    auto bad = sjh::error_response(500, "bad \xFF byte");
    auto parsed = boost::json::parse(bad.body);
    BOOST_TEST(parsed.at("error").as_string() == "bad \xEF\xBF\xBD byte");
}

// ---- urlencoded

BOOST_AUTO_TEST_CASE(urlencoded_decoding_follows_the_form_rules)
{
    struct row
    {
        std::string_view text;
        pairs expected;
    };
    const row table[] = {
        {"", {}},
        {"a=1", {{"a", "1"}}},
        {"a=x+y", {{"a", "x y"}}},
        {"a=%2F", {{"a", "/"}}},
        {"a=%2f", {{"a", "/"}}},
        {"a=%2B+", {{"a", "+ "}}},
        {"a=%zz", {{"a", "%zz"}}},
        {"a=%", {{"a", "%"}}},
        {"a=%4", {{"a", "%4"}}},
        {"a=%4g%41", {{"a", "%4gA"}}},
        {"a=100%", {{"a", "100%"}}},
        {"a&&b=", {{"a", ""}, {"b", ""}}},
        {"=x", {{"", "x"}}},
        {"&&&", {}},
        {"a=1=2", {{"a", "1=2"}}},
        {"a=1&a=2", {{"a", "1"}, {"a", "2"}}},
        {"d=caf%C3%A9", {{"d", "caf\xC3\xA9"}}},
        {"caf%C3%A9=1", {{"caf\xC3\xA9", "1"}}},
        {"n=%00", {{"n", std::string(1, '\0')}}},
        {"a+b%20c=;", {{"a b c", ";"}}},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT("text \"" << r.text << "\"")
        {
            sjh::fields out;
            std::string error;
            BOOST_TEST(sjh::parse_urlencoded(r.text, out, error));
            BOOST_TEST(error.empty());
            pairs got(out.begin(), out.end());
            BOOST_TEST(show(got) == show(r.expected), boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(urlencoded_parse_appends_to_existing_fields)
{
    sjh::fields out;
    out.add("a", "first");
    std::string error;
    BOOST_TEST(sjh::parse_urlencoded("a=second&b=2", out, error));
    BOOST_TEST(out.size() == 3u);
    BOOST_TEST(out.find("a").value_or("<absent>") == "first");
}

BOOST_AUTO_TEST_CASE(urlencoded_invalid_utf8_fails_naming_the_parameter)
{
    struct row
    {
        std::string_view text;
        std::string_view message;
    };
    const row table[] = {
        {"dataset=%FF", "Invalid parameter encoding: dataset"},
        {"ok=1&dataset=a%C3", "Invalid parameter encoding: dataset"},
        {"dataset=\xFF", "Invalid parameter encoding: dataset"},
        {"x=%ED%A0%80", "Invalid parameter encoding: x"},
        {"%FF=1", "Invalid parameter encoding: %FF"},
        {"a%0Ab%FF=1", "Invalid parameter encoding: a%0Ab%FF"},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT("text \"" << r.text << "\"")
        {
            sjh::fields out;
            out.add("kept", "1");
            std::string error;
            BOOST_TEST(!sjh::parse_urlencoded(r.text, out, error));
            BOOST_TEST(error == r.message);
            BOOST_TEST(out.size() == 1u); // unchanged on failure
        }
    }
}

BOOST_AUTO_TEST_CASE(urlencoded_limits_fail_with_a_message)
{
    sjh::parse_limits limits;
    limits.max_fields = 3;
    limits.max_field_size = 4;
    std::string error;
    sjh::fields out;

    BOOST_TEST(sjh::parse_urlencoded("a=1&&b=2&c=3&&", out, error, limits));
    BOOST_TEST(out.size() == 3u);

    BOOST_TEST(!sjh::parse_urlencoded("a=1&b=2&c=3&d=4", out, error, limits));
    BOOST_TEST(error == "Too many parameters (limit is 3)");

    BOOST_TEST(sjh::parse_urlencoded("a=%41%41%41%41", out, error, limits));
    BOOST_TEST(!sjh::parse_urlencoded("a=12345", out, error, limits));
    BOOST_TEST(error == "Parameter too large: a (limit is 4 bytes)");
    BOOST_TEST(!sjh::parse_urlencoded("abcde=1", out, error, limits));
    BOOST_TEST(error == "Parameter name too long (limit is 4 bytes)");
}

BOOST_AUTO_TEST_CASE(an_error_message_shows_a_long_name_cut)
{
    std::string text = std::string(200, 'n') + "=%FF";
    sjh::fields out;
    std::string error;
    BOOST_TEST(!sjh::parse_urlencoded(text, out, error));
    BOOST_TEST(error == "Invalid parameter encoding: " + std::string(64, 'n') + "...");
}

// ---- multipart boundary

BOOST_AUTO_TEST_CASE(multipart_boundary_reads_the_content_type)
{
    struct row
    {
        std::string content_type;
        std::optional<std::string> boundary;
    };
    const std::string seventy(70, 'b');
    const row table[] = {
        {"multipart/form-data; boundary=----WebKitFormBoundaryu7oxE4ADgMTrnJac",
         "----WebKitFormBoundaryu7oxE4ADgMTrnJac"},
        {"multipart/form-data; boundary=---------------------------9051914041544843365972754266",
         "---------------------------9051914041544843365972754266"},
        {"Multipart/Form-Data;BOUNDARY=abc", "abc"},
        {"multipart/form-data; charset=utf-8; boundary=\"a b:c\"", "a b:c"},
        {"multipart/form-data; boundary=\"quoted=\\\"x\"", std::nullopt},
        {"multipart/form-data; boundary=\"q\\\\x\"", std::nullopt},
        {"multipart/form-data; boundary=abc ; other=1", "abc"},
        {"multipart/form-data; boundary=first; boundary=second", "first"},
        {" multipart/form-data ;boundary=x", "x"},
        {"multipart/form-data; boundary=" + seventy, seventy},
        {"multipart/form-data; boundary=" + seventy + "b", std::nullopt},
        {"multipart/form-data; boundary=", std::nullopt},
        {"multipart/form-data; boundary=\"\"", std::nullopt},
        {"multipart/form-data; boundary=\"ends in space \"", std::nullopt},
        {"multipart/form-data; boundary=a\rb", std::nullopt},
        {"multipart/form-data; boundary=caf\xC3\xA9", std::nullopt},
        {"multipart/form-data", std::nullopt},
        {"multipart/form-data; name=x", std::nullopt},
        {"multipart/mixed; boundary=abc", std::nullopt},
        {"application/x-www-form-urlencoded", std::nullopt},
        {"", std::nullopt},
        {"multipart/form-data; boundary=\"unterminated", "unterminated"},
        {"multipart/form-data; boundary", std::nullopt},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT("content type \"" << r.content_type << "\"")
        {
            auto got = sjh::multipart_boundary(r.content_type);
            BOOST_TEST(got.has_value() == r.boundary.has_value());
            if (got && r.boundary)
                BOOST_TEST(*got == *r.boundary);
        }
    }
}

// ---- multipart parsing

BOOST_AUTO_TEST_CASE(a_chrome_shaped_body_parses)
{
    temp_folder dir;
    const std::string boundary = "----WebKitFormBoundaryu7oxE4ADgMTrnJac";
    const std::string body = "------WebKitFormBoundaryu7oxE4ADgMTrnJac\r\n"
                             "Content-Disposition: form-data; name=\"dataset\"\r\n"
                             "\r\n"
                             "my dataset\r\n"
                             "------WebKitFormBoundaryu7oxE4ADgMTrnJac\r\n"
                             "Content-Disposition: form-data; name=\"file\"; "
                             "filename=\"data.csv\"\r\n"
                             "Content-Type: text/csv\r\n"
                             "\r\n"
                             "id,text\r\n1,hello\r\n\r\n"
                             "------WebKitFormBoundaryu7oxE4ADgMTrnJac\r\n"
                             "Content-Disposition: form-data; name=\"text_column\"\r\n"
                             "\r\n"
                             "text\r\n"
                             "------WebKitFormBoundaryu7oxE4ADgMTrnJac--\r\n";
    auto ct = "multipart/form-data; boundary=" + boundary;
    auto parsed_boundary = sjh::multipart_boundary(ct);
    BOOST_REQUIRE(parsed_boundary.has_value());

    sjh::multipart_parser parser(*parsed_boundary, dir.path);
    BOOST_TEST(parser.feed(body));
    BOOST_TEST_REQUIRE(parser.finish(), parser.error());
    BOOST_TEST(parser.error().empty());
    BOOST_TEST(!parser.io_error());
    BOOST_TEST(parser.text_fields().find("dataset").value_or("<absent>") == "my dataset");
    BOOST_TEST(parser.text_fields().find("text_column").value_or("<absent>") == "text");
    BOOST_REQUIRE(parser.files().size() == 1u);

    const auto& f = parser.files()[0];
    BOOST_TEST(f.field == "file");
    BOOST_TEST(f.filename == "data.csv");
    BOOST_TEST(f.content_type == "text/csv");
    BOOST_TEST(f.size == 18u);
    BOOST_TEST(read_all(f.path) == "id,text\r\n1,hello\r\n");
    BOOST_TEST(f.path.parent_path() == dir.path);
    BOOST_TEST(f.path.filename().string().rfind(".upload-", 0) == 0u);
    BOOST_TEST(f.path.filename().string().size() == 24u);

    struct stat info;
    BOOST_REQUIRE(::stat(f.path.c_str(), &info) == 0);
    BOOST_TEST((info.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(a_firefox_shaped_body_with_several_fields_and_files_parses)
{
    temp_folder dir;
    const std::string b = "---------------------------9051914041544843365972754266";
    const std::string body = "--" + b +
                             "\r\n"
                             "Content-Disposition: form-data; name=\"dataset\"\r\n\r\n"
                             "caf\xC3\xA9\r\n--" +
                             b +
                             "\r\n"
                             "Content-Disposition: form-data; name=\"a\"; filename=\"a.txt\"\r\n"
                             "Content-Type: text/plain\r\n\r\n"
                             "Content of a.txt.\n\r\n--" +
                             b +
                             "\r\n"
                             "Content-Disposition: form-data; name=\"b\"; filename=\"b.html\"\r\n"
                             "Content-Type: text/html\r\n\r\n"
                             "<!DOCTYPE html><title>Content of b.html.</title>\n\r\n--" +
                             b +
                             "\r\n"
                             "Content-Disposition: form-data; name=\"dataset\"\r\n\r\n"
                             "second\r\n--" +
                             b + "--\r\n";
    auto o = parse_in_chunks(body, 7, dir.path, {}, b);
    BOOST_TEST(o.ok, o.error);
    BOOST_TEST(show(o.fields) == show(pairs{{"dataset", "caf\xC3\xA9"}, {"dataset", "second"}}),
               boost::test_tools::per_element());
    BOOST_REQUIRE(o.files.size() == 2u);
    BOOST_TEST((o.files[0] == outcome::file{"a", "a.txt", "text/plain", "Content of a.txt.\n"}));
    BOOST_TEST((o.files[1] == outcome::file{"b", "b.html", "text/html",
                                            "<!DOCTYPE html><title>Content of b.html.</title>\n"}));
}

BOOST_AUTO_TEST_CASE(content_may_hold_the_boundary_without_its_crlf_and_dash_runs)
{
    temp_folder dir;
    const std::string content = "--XyZ at start\n--XyZ\r\n\n--XyZ--\r-XyZ\r\n-XyZ\r\n--XY"
                                "\r\n--\r\n--Xy\r\r\n\r\n\r\n-- --XyZ";
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
                             "filename=\"f\"\r\n\r\n" +
                             content + "\r\n--XyZ--";
    auto o = parse_whole(body, dir.path);
    BOOST_TEST(o.ok, o.error);
    BOOST_REQUIRE(o.files.size() == 1u);
    BOOST_TEST(o.files[0].content == content);
}

BOOST_AUTO_TEST_CASE(boundaries_of_every_allowed_length_parse_in_every_chunking)
{
    temp_folder dir;
    for (std::string boundary :
         {std::string("a"), std::string("--"), std::string(70, '-'), std::string(69, 'z') + "-"}) {
        const std::string content = "\r\r\r\r\r\n-\r\n--" + boundary.substr(1) + "\r";
        const std::string body = "--" + boundary +
                                 "\r\nContent-Disposition: form-data; name=\"f\"; "
                                 "filename=\"f\"\r\n\r\n" +
                                 content + "\r\n--" + boundary + "--";
        outcome expected;
        expected.ok = true;
        expected.files = {{"f", "f", "", content}};
        for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
            BOOST_TEST_CONTEXT("boundary " << boundary << ", chunk size " << chunk)
            {
                BOOST_TEST(parse_in_chunks(body, chunk, dir.path, {}, boundary) == expected);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(empty_files_and_empty_fields_parse)
{
    temp_folder dir;
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                             "filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                             "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
                             "\r\n--XyZ--\r\n";
    auto o = parse_whole(body, dir.path);
    BOOST_TEST(o.ok, o.error);
    BOOST_TEST(show(o.fields) == show(pairs{{"t", ""}}), boost::test_tools::per_element());
    BOOST_REQUIRE(o.files.size() == 1u);
    BOOST_TEST((o.files[0] == outcome::file{"file", "", "application/octet-stream", ""}));
}

BOOST_AUTO_TEST_CASE(an_empty_form_parses)
{
    temp_folder dir;
    for (std::string_view body : {"--XyZ--\r\n", "--XyZ--", "", "preamble\r\n--XyZ--  \r\nepi"}) {
        BOOST_TEST_CONTEXT("body \"" << body << "\"")
        {
            auto o = parse_whole(body, dir.path);
            BOOST_TEST(o.ok, o.error);
            BOOST_TEST(o.fields.empty());
            BOOST_TEST(o.files.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(preamble_padding_and_epilogue_are_ignored)
{
    temp_folder dir;
    const std::string body = "A preamble, not a --XyZ line.\r\n\r\n--XyZ \t\r\n"
                             "content-disposition: FORM-DATA; NAME=a\r\n\r\n1\r\n--XyZ\t\r\n"
                             "Content-Disposition: form-data;name=b;filename=x.bin\r\n\r\n"
                             "2\r\n--XyZ--\r\nThis is the epilogue: --XyZ\r\ngarbage";
    auto o = parse_whole(body, dir.path);
    BOOST_TEST(o.ok, o.error);
    BOOST_TEST(show(o.fields) == show(pairs{{"a", "1"}}), boost::test_tools::per_element());
    BOOST_REQUIRE(o.files.size() == 1u);
    BOOST_TEST((o.files[0] == outcome::file{"b", "x.bin", "", "2"}));
}

BOOST_AUTO_TEST_CASE(disposition_parameters_are_quoted_or_tokens_and_first_wins)
{
    temp_folder dir;
    auto part = [](std::string_view disposition) {
        return "--XyZ\r\nContent-Disposition: " + std::string(disposition) +
               "\r\n\r\nv\r\n--XyZ--\r\n";
    };
    struct row
    {
        std::string_view disposition;
        std::string name;
        std::optional<std::string> filename;
    };
    const row table[] = {
        {"form-data; name=\"a\"", "a", std::nullopt},
        {"form-data; name=a", "a", std::nullopt},
        {"form-data ; name = \"a b\" ; x=1", "a b", std::nullopt},
        {"form-data; name=\"a;b\"", "a;b", std::nullopt},
        {"form-data; name=\"q\\\"x\"", "q\"x", std::nullopt},
        {"form-data; name=\"a\"; name=\"b\"", "a", std::nullopt},
        {"form-data; name=\"\"", "", std::nullopt},
        {"form-data; name=\"f\"; filename=\"C:\\Users\\me\\a.txt\"", "f", "C:\\Users\\me\\a.txt"},
        {"form-data; name=\"f\"; filename=\"caf\xC3\xA9.csv\"", "f", "caf\xC3\xA9.csv"},
        {"form-data; name=\"f\"; filename=\"bad\xFF.csv\"", "f", "bad\xEF\xBF\xBD.csv"},
        {"form-data; name=\"f\"; filename=\"a\"; filename*=UTF-8''%C3%A9.txt", "f", "\xC3\xA9.txt"},
        {"form-data; name=\"f\"; filename*=utf-8'en'b%20c", "f", "b c"},
        {"form-data; name=\"f\"; filename*=iso-8859-1''x", "f", ""},
        {"form-data; name=\"f\"; filename*=junk", "f", ""},
    };
    for (const auto& r : table) {
        BOOST_TEST_CONTEXT("disposition " << r.disposition)
        {
            auto o = parse_whole(part(r.disposition), dir.path);
            BOOST_TEST(o.ok, o.error);
            if (!r.filename) {
                BOOST_TEST(show(o.fields) == show(pairs{{r.name, "v"}}),
                           boost::test_tools::per_element());
                BOOST_TEST(o.files.empty());
            } else {
                BOOST_TEST(o.fields.empty());
                BOOST_REQUIRE(o.files.size() == 1u);
                BOOST_TEST(o.files[0].field == r.name);
                BOOST_TEST(o.files[0].filename == *r.filename);
                BOOST_TEST(o.files[0].content == "v");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(header_names_are_case_insensitive_and_folded_lines_join)
{
    temp_folder dir;
    const std::string body =
        "--XyZ\r\nX-Other: 1\r\nCONTENT-TYPE:image/png\r\n"
        "content-disposition: form-data;\r\n name=\"f\";\r\n\tfilename=\"p.png\"\r\n"
        "\r\n\x89PNG\r\n--XyZ--\r\n";
    auto o = parse_whole(body, dir.path);
    BOOST_TEST(o.ok, o.error);
    BOOST_REQUIRE(o.files.size() == 1u);
    BOOST_TEST((o.files[0] == outcome::file{"f", "p.png", "image/png", "\x89PNG"}));
}

BOOST_AUTO_TEST_CASE(a_quoted_boundary_from_the_content_type_parses)
{
    temp_folder dir;
    auto boundary = sjh::multipart_boundary("multipart/form-data; boundary=\"a b:c?\"");
    BOOST_REQUIRE(boundary.has_value());
    const std::string body = "--a b:c?\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
                             "1\r\n--a b:c?--\r\n";
    auto o = parse_whole(body, dir.path, {}, *boundary);
    BOOST_TEST(o.ok, o.error);
    BOOST_TEST(show(o.fields) == show(pairs{{"x", "1"}}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_chunking_of_a_small_body_gives_the_same_result)
{
    temp_folder dir;
    const auto expected = small_expected();
    BOOST_TEST(parse_whole(small_body, dir.path) == expected);

    // every chunk size
    for (std::size_t chunk = 1; chunk <= small_body.size(); ++chunk) {
        BOOST_TEST_CONTEXT("chunk size " << chunk)
        {
            BOOST_TEST(parse_in_chunks(small_body, chunk, dir.path) == expected);
        }
    }

    // every single cut and every pair of cuts
    for (std::size_t a = 0; a <= small_body.size(); ++a)
        for (std::size_t b = a; b <= small_body.size(); ++b)
            BOOST_TEST_CONTEXT("cuts " << a << ", " << b)
            {
                BOOST_TEST(parse_cut(small_body, {a, b}, dir.path) == expected);
            }

    // random splits
    std::mt19937 random(12345);
    for (int round = 0; round < 500; ++round) {
        std::vector<std::size_t> cuts;
        for (std::size_t at = 0; at < small_body.size(); ++at)
            if (random() % 4 == 0)
                cuts.push_back(at);
        BOOST_TEST_CONTEXT("round " << round)
        {
            BOOST_TEST(parse_cut(small_body, cuts, dir.path) == expected);
        }
    }
    BOOST_TEST(dir.count() == 0u); // each parser removed its file
}

BOOST_AUTO_TEST_CASE(random_bodies_parse_the_same_whole_and_in_random_pieces)
{
    temp_folder dir;
    std::mt19937 random(777);
    const std::string boundaries[] = {"b0undary", "----x--", "a", "--"};

    for (int round = 0; round < 400; ++round) {
        const std::string& boundary = boundaries[round % 4];
        const std::string alphabet = "\r\n-x " + boundary;
        // content made of bytes likely to nearly form a delimiter
        std::string body, content;
        outcome expected;
        expected.ok = true;
        int parts = static_cast<int>(random() % 4);
        for (int p = 0; p < parts; ++p) {
            content.clear();
            std::size_t length = random() % 40;
            for (std::size_t i = 0; i < length; ++i)
                content += alphabet[random() % alphabet.size()];
            if (content.find("\r\n--" + boundary) != std::string::npos)
                continue;
            // a content ending in CR and followed by the delimiter is fine too
            bool is_file = random() % 2 == 0;
            body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"p" +
                    std::to_string(p) + "\"" + (is_file ? "; filename=\"f\"" : "") + "\r\n\r\n" +
                    content + "\r\n";
            if (is_file)
                expected.files.push_back({"p" + std::to_string(p), "f", "", content});
            else
                expected.fields.emplace_back("p" + std::to_string(p), content);
        }
        body += "--" + boundary + "--\r\n";

        auto whole = parse_whole(body, dir.path, {}, boundary);
        BOOST_TEST_CONTEXT("round " << round)
        {
            BOOST_TEST(whole == expected);
            for (int split = 0; split < 10; ++split) {
                std::vector<std::size_t> cuts;
                for (std::size_t at = 0; at < body.size(); ++at)
                    if (random() % 5 == 0)
                        cuts.push_back(at);
                BOOST_TEST(parse_cut(body, cuts, dir.path, {}, boundary) == expected);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_bodies_fail_cleanly_in_every_chunking)
{
    sjh::parse_limits limits;
    limits.max_fields = 2;
    limits.max_field_size = 8;
    limits.max_file_size = 10;
    limits.max_part_header_size = 80;

    const std::string field = "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nv\r\n";
    const std::string file = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
                             "filename=\"a\"\r\n\r\n0123456789\r\n";
    struct row
    {
        std::string name;
        std::string body;
        std::string message;
    };
    const row table[] = {
        {"no boundary line", "garbage without any boundary",
         "Malformed multipart body: no boundary line"},
        {"boundary not at a line start", "x--XyZ\r\n",
         "Malformed multipart body: no boundary line"},
        {"missing close", field,
         "Malformed multipart body: the body ends before its closing "
         "boundary"},
        {"truncated content",
         field + "--XyZ\r\nContent-Disposition: form-data; name=\"u\"\r\n"
                 "\r\nabc",
         "Malformed multipart body: the body ends before its closing boundary"},
        {"close without the second dash", field + "--XyZ-x",
         "Malformed multipart body: "
         "unexpected text after a boundary"},
        {"close cut after one dash", field + "--XyZ-",
         "Malformed multipart body: the body ends "
         "before its closing boundary"},
        {"garbage after padding", "--XyZ  x\r\n",
         "Malformed multipart body: unexpected text "
         "after a boundary"},
        {"truncated headers", "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n",
         "Malformed multipart body: the body ends inside a part's headers"},
        {"truncated boundary line", "--XyZ\r",
         "Malformed multipart body: the body ends before "
         "its closing boundary"},
        {"text after a boundary", "--XyZjunk\r\n",
         "Malformed multipart body: unexpected text "
         "after a boundary"},
        {"boundary line with a bare LF", "--XyZ\n",
         "Malformed multipart body: unexpected text "
         "after a boundary"},
        {"CR without LF", "--XyZ\rX",
         "Malformed multipart body: a boundary line does not end "
         "in CRLF"},
        {"header line without a colon", "--XyZ\r\nnot a header\r\n\r\nv\r\n--XyZ--",
         "Malformed multipart body: bad part header line"},
        {"header line with an empty name", "--XyZ\r\n: x\r\n\r\nv\r\n--XyZ--",
         "Malformed multipart body: bad part header line"},
        {"no disposition", "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--",
         "Malformed multipart body: a part is not form-data"},
        {"no headers", "--XyZ\r\n\r\nv\r\n--XyZ--",
         "Malformed multipart body: a part is not "
         "form-data"},
        {"not form-data",
         "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n"
         "v\r\n--XyZ--",
         "Malformed multipart body: a part is not form-data"},
        {"no name", "--XyZ\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nv\r\n--XyZ--",
         "Malformed multipart body: a part has no form-data name"},
        {"name without a value",
         "--XyZ\r\nContent-Disposition: form-data; name\r\n\r\nv\r\n"
         "--XyZ--",
         "Malformed multipart body: a part has no form-data name"},
        {"header too long",
         "--XyZ\r\nContent-Disposition: form-data; name=\"" + std::string(100, 'n') +
             "\"\r\n\r\nv\r\n--XyZ--",
         "Malformed multipart body: part headers too large"},
        {"headers never end", "--XyZ\r\n" + std::string(300, 'h'),
         "Malformed multipart body: part headers too large"},
        {"field too large",
         "--XyZ\r\nContent-Disposition: form-data; name=\"big\"\r\n\r\n"
         "123456789\r\n--XyZ--",
         "Form field too large: big (limit is 8 bytes)"},
        {"file too large",
         "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
         "filename=\"a\"\r\n\r\n0123456789A\r\n--XyZ--",
         "Uploaded file too large: f (limit is 10 bytes)"},
        {"too many fields", field + file + field + "--XyZ--", "Too many form fields (limit is 2)"},
        {"field not UTF-8",
         "--XyZ\r\nContent-Disposition: form-data; name=\"dataset\"\r\n\r\n"
         "\xC3(\r\n--XyZ--",
         "Invalid parameter encoding: dataset"},
        {"name not UTF-8",
         "--XyZ\r\nContent-Disposition: form-data; name=\"\xFF\"\r\n\r\n"
         "v\r\n--XyZ--",
         "Invalid parameter encoding: %FF"},
        {"a file then garbage",
         "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
         "filename=\"a\"\r\n\r\n01\r\ngarb",
         "Malformed multipart body: the body ends "
         "before its closing boundary"},
        {"a file then a bad part", file + "--XyZ\r\nbad\r\n\r\n",
         "Malformed multipart body: bad part header line"},
    };

    for (const auto& r : table) {
        for (std::size_t chunk : {std::size_t(1), std::size_t(2), std::size_t(5), r.body.size()}) {
            BOOST_TEST_CONTEXT(r.name << ", chunk size " << chunk)
            {
                temp_folder dir;
                auto o = parse_in_chunks(r.body, chunk, dir.path, limits);
                BOOST_TEST(!o.ok);
                BOOST_TEST(o.error == r.message);
                BOOST_TEST(o.fields.empty());
                BOOST_TEST(o.files.empty());
                BOOST_TEST(dir.count() == 0u);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(limits_are_inclusive)
{
    temp_folder dir;
    sjh::parse_limits limits;
    limits.max_fields = 2;
    limits.max_field_size = 3;
    limits.max_file_size = 4;
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n"
                             "abc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
                             "filename=\"x\"\r\n\r\nabcd\r\n--XyZ--";
    limits.max_part_header_size = 64;
    auto o = parse_in_chunks(body, 3, dir.path, limits);
    BOOST_TEST(o.ok, o.error);
    BOOST_TEST(o.fields.size() == 1u);
    BOOST_TEST(o.files.size() == 1u);

    // a header block of exactly the limit, counting its line ends
    std::string headers = "Content-Disposition: form-data; name=\"t\"";
    limits.max_part_header_size = headers.size();
    auto exact = parse_whole("--XyZ\r\n" + headers + "\r\n\r\nabc\r\n--XyZ--", dir.path, limits);
    BOOST_TEST(exact.ok, exact.error);
    limits.max_part_header_size = headers.size() - 1;
    auto over = parse_whole("--XyZ\r\n" + headers + "\r\n\r\nabc\r\n--XyZ--", dir.path, limits);
    BOOST_TEST(!over.ok);
}

BOOST_AUTO_TEST_CASE(an_invalid_boundary_fails_the_parse)
{
    temp_folder dir;
    for (std::string boundary :
         {std::string(), std::string("a\r\nb"), std::string(71, 'x'), std::string("space ")}) {
        sjh::multipart_parser parser(boundary, dir.path);
        BOOST_TEST(!parser.feed("--" + boundary + "--"));
        BOOST_TEST(!parser.finish());
        BOOST_TEST(parser.error() == "Malformed multipart body: invalid boundary");
    }
}

BOOST_AUTO_TEST_CASE(feeding_after_a_failure_or_after_finish_changes_nothing)
{
    temp_folder dir;
    {
        sjh::multipart_parser parser("XyZ", dir.path);
        BOOST_TEST(!parser.feed("--XyZjunk"));
        BOOST_TEST(!parser.feed(small_body));
        BOOST_TEST(!parser.finish());
        BOOST_TEST(parser.error() == "Malformed multipart body: unexpected text after a boundary");
        BOOST_TEST(dir.count() == 0u);
    }
    {
        sjh::multipart_parser parser("XyZ", dir.path);
        BOOST_TEST(parser.feed(small_body));
        BOOST_TEST(parser.finish());
        BOOST_TEST(parser.feed("--XyZjunk"));
        BOOST_TEST(parser.finish());
        BOOST_TEST(parser.error().empty());
        BOOST_TEST(parser.files().size() == 1u);
    }
}

BOOST_AUTO_TEST_CASE(files_are_removed_on_failure_and_when_an_unfinished_parser_goes)
{
    temp_folder dir;
    const std::string two_files = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; "
                                  "filename=\"a\"\r\n\r\naaaa\r\n--XyZ\r\n"
                                  "Content-Disposition: form-data; name=\"b\"; "
                                  "filename=\"b\"\r\n\r\nbbbb";
    {
        sjh::multipart_parser parser("XyZ", dir.path);
        BOOST_TEST(parser.feed(two_files));
        BOOST_TEST(parser.files().size() == 1u);
        BOOST_TEST(dir.count() == 2u); // one complete, one being written
    }
    BOOST_TEST(dir.count() == 0u);

    {
        sjh::multipart_parser parser("XyZ", dir.path);
        BOOST_TEST(parser.feed(two_files));
        BOOST_TEST(!parser.finish());
        BOOST_TEST(parser.files().empty());
        BOOST_TEST(dir.count() == 0u);
    }
}

BOOST_AUTO_TEST_CASE(files_moved_out_of_a_finished_parser_stay_until_the_request_goes)
{
    temp_folder dir;
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; "
                             "filename=\"a\"\r\n\r\naaaa\r\n--XyZ\r\n"
                             "Content-Disposition: form-data; name=\"b\"; "
                             "filename=\"b\"\r\n\r\nbbbb\r\n--XyZ--\r\n";
    std::optional<sjh::uploaded_file> kept;
    {
        sjh::request req;
        {
            sjh::multipart_parser parser("XyZ", dir.path);
            BOOST_TEST(parser.feed(body));
            BOOST_TEST(parser.finish());
            req.form = std::move(parser.text_fields());
            req.files = std::move(parser.files());
        }
        BOOST_TEST(dir.count() == 2u);
        kept = req.take("b");
    }
    BOOST_REQUIRE(kept.has_value());
    BOOST_TEST(dir.count() == 1u);
    BOOST_TEST(read_all(kept->path) == "bbbb");

    // files left in a finished parser go with it
    {
        sjh::multipart_parser parser("XyZ", dir.path);
        BOOST_TEST(parser.feed(body));
        BOOST_TEST(parser.finish());
        BOOST_TEST(dir.count() == 3u);
    }
    BOOST_TEST(dir.count() == 1u);
}

BOOST_AUTO_TEST_CASE(an_upload_folder_that_does_not_exist_is_an_io_error)
{
    temp_folder dir;
    sjh::multipart_parser parser("XyZ", dir.path / "missing");
    BOOST_TEST(!parser.feed(small_body));
    BOOST_TEST(!parser.finish());
    BOOST_TEST((parser.io_error() == boost::system::errc::no_such_file_or_directory));
    BOOST_TEST(parser.error().rfind("Could not create an upload file: ", 0) == 0u);
    BOOST_TEST(parser.text_fields().empty());
}

BOOST_AUTO_TEST_CASE(a_large_file_streams_to_disk_in_large_chunks)
{
    temp_folder dir;
    const std::string boundary = "----WebKitFormBoundaryu7oxE4ADgMTrnJac";
    const std::uint64_t size = 50u << 20;
    const std::size_t chunk = 1u << 20;

    // content with CRs and near-delimiters throughout
    std::string block(chunk, 'a');
    for (std::size_t i = 0; i < block.size(); i += 997)
        block[i] = '\r';
    const std::string near = "\r\n--" + boundary.substr(0, boundary.size() - 1);
    for (std::size_t i = 500; i + near.size() < block.size(); i += 65536)
        block.replace(i, near.size(), near);
    block.replace(block.size() - 12, 12, near.substr(0, 12));

    sjh::multipart_parser parser(boundary, dir.path);
    BOOST_TEST(parser.feed("--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; "
                           "filename=\"big.bin\"\r\n\r\n"));
    // each chunk starts in the middle of a possible delimiter
    std::string_view view = block;
    bool ok = true;
    for (std::uint64_t fed = 0; fed < size; fed += chunk)
        ok = parser.feed(view) && ok;
    BOOST_TEST(ok);
    BOOST_TEST(parser.feed("\r\n--" + boundary + "--\r\n"));
    BOOST_TEST(parser.finish(), parser.error());
    BOOST_REQUIRE(parser.files().size() == 1u);
    const auto& f = parser.files()[0];
    BOOST_TEST(f.size == size);
    BOOST_TEST(fs::file_size(f.path) == size);

    // spot checks of the content
    std::ifstream in(f.path, std::ios::binary);
    std::string piece(chunk, '\0');
    for (std::uint64_t at : {std::uint64_t(0), size / 2, size - chunk}) {
        in.seekg(static_cast<std::streamoff>(at));
        in.read(piece.data(), static_cast<std::streamsize>(piece.size()));
        BOOST_TEST((piece == block));
    }
}

BOOST_AUTO_TEST_SUITE_END()
