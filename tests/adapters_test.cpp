// The host adapters: beast_host_router in process, and both example hosts
// (a Beast server of its own, an httplib::Server) run as programs with the
// demo tools and driven over loopback.

#include <scopejobs/router/beast_host_router.hpp>

#include "server_support.hpp"
#include "support.hpp"

#include <boost/beast/core/ostream.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cctype>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace bdata = boost::unit_test::data;
namespace beast_http = boost::beast::http;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sj = scopejobs;
using namespace std::chrono_literals;

namespace {

using namespace scopejobs::testing;

const std::vector<std::string> quick = {"DEMO_STEPS=2", "DEMO_STEP_SECONDS=0.01"};

// ---- in process

// What a handler saw of the last request it answered.
struct seen_request
{
    sj::http::verb method = sj::http::verb::other;
    std::string path;
    std::string query;
    std::string form;
    std::string header;
    std::vector<sj::http::uploaded_file> files;
    bool file_was_there = false;
};

// A router with `/api/jobs` mounted onto a handler that records what it got.
struct mounted_router
{
    mounted_router()
    {
        sj::mount_options options;
        options.max_body = 256;
        options.too_large_message = "Upload too large. Limit is 256 bytes.";
        options.upload_dir = scratch.path;
        options.response_headers.add("Access-Control-Allow-Origin", "*");
        router.mount(
            "/api/jobs/",
            [this](sj::http::request& request) {
                seen.method = request.method;
                seen.path = request.path;
                seen.query = std::string(request.query.find("a").value_or("-"));
                seen.form = std::string(request.form.find("b").value_or("-"));
                seen.header = std::string(request.headers.find("x-custom").value_or("-"));
                seen.files = request.files;
                seen.file_was_there = !request.files.empty() && fs::exists(request.files[0].path);
                if (request.path == "/api/jobs/throw")
                    throw std::runtime_error("boom");
                sj::http::response reply{201, "application/json", R"({"ok":true})", {}};
                reply.headers.add("X-Answer", "yes");
                reply.headers.add("Connection", "upgrade"); // not the handler's to set
                return reply;
            },
            options);
    }

    sj::testing::temporary_folder scratch;
    sj::beast_host_router router{sj::null_sink()};
    seen_request seen;
};

sj::beast_host_router::request_type make_request(beast_http::verb method, std::string target,
                                                 std::string body = {},
                                                 std::string content_type = {})
{
    sj::beast_host_router::request_type request(method, target, 11);
    request.set(beast_http::field::host, "127.0.0.1:8080");
    if (!content_type.empty())
        request.set(beast_http::field::content_type, content_type);
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
}

// ---- over loopback

// One example host, for the data test cases and their names.
struct host_program
{
    std::string name;
    std::string path;
};

std::ostream& operator<<(std::ostream& out, const host_program& host)
{
    return out << host.name;
}

const std::vector<host_program> hosts = {{"beast", SCOPEJOBS_EMBED_BEAST},
                                         {"httplib", SCOPEJOBS_EMBED_HTTPLIB}};

// The example on a free loopback port with the demo tools.
struct host_process : child_process
{
    host_process(const host_program& host, const fs::path& data,
                 std::vector<std::string> extra = {}, std::vector<std::string> environment = {})
        : child_process(arguments(host, data, std::move(extra)), std::move(environment))
    {}

    static std::vector<std::string> arguments(const host_program& host, const fs::path& data,
                                              std::vector<std::string> extra)
    {
        std::vector<std::string> args = {host.path, "--data-dir",  data.string(),       "--port",
                                         "0",       "--tools-dir", SCOPEJOBS_DEMO_TOOLS};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }
};

// `method target` on its own connection, with a Host naming the port.
reply send(unsigned short port, const std::string& method, const std::string& target,
           const std::string& headers = {}, std::string* head = nullptr)
{
    return http_send(port,
                     method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                         std::to_string(port) + "\r\nConnection: close\r\n" + headers + "\r\n",
                     head);
}

// The value of header `name` in a response head, or "".
std::string header_value(const std::string& head, const std::string& name)
{
    std::string lower_head = head, lower_name = name + ":";
    for (auto* text : {&lower_head, &lower_name})
        for (char& c : *text)
            c = char(std::tolower(static_cast<unsigned char>(c)));
    auto at = lower_head.find("\r\n" + lower_name);
    if (at == std::string::npos)
        return "";
    auto start = at + 2 + lower_name.size();
    auto end = head.find("\r\n", start);
    auto value = head.substr(start, end - start);
    return value.substr(value.find_first_not_of(' '));
}

} // namespace

BOOST_AUTO_TEST_SUITE(adapters)

BOOST_AUTO_TEST_CASE(the_host_router_declines_paths_outside_its_prefixes)
{
    mounted_router m;
    BOOST_TEST(!m.router.handle(make_request(beast_http::verb::get, "/hello")));
    BOOST_TEST(!m.router.handle(make_request(beast_http::verb::get, "/api/jobsx/all")));
    BOOST_TEST(!m.router.handle(make_request(beast_http::verb::get, "/api/job")));
    BOOST_TEST(!m.router.covers("/other?x=/api/jobs"));
    BOOST_TEST(m.seen.path.empty()); // the handler never ran

    auto answer = m.router.handle(make_request(beast_http::verb::get, "/api/jobs?a=1"));
    BOOST_REQUIRE(answer);
    BOOST_TEST(m.seen.path == "/api/jobs");
    BOOST_TEST(m.router.covers("/api/jobs/all?dataset=x"));
}

BOOST_AUTO_TEST_CASE(the_host_router_converts_requests_and_responses_as_beast_router_does)
{
    mounted_router m;
    auto request = make_request(beast_http::verb::post, "/api/jobs/all%2Fx?a=x+y%21",
                                "b=%C3%A9&b=2", "application/x-www-form-urlencoded");
    request.set("X-Custom", "kept");
    request.keep_alive(false);
    auto answer = m.router.handle(request);
    BOOST_REQUIRE(answer);

    BOOST_TEST((m.seen.method == sj::http::verb::post));
    BOOST_TEST(m.seen.path == "/api/jobs/all%2Fx"); // not decoded
    BOOST_TEST(m.seen.query == "x y!");
    BOOST_TEST(m.seen.form == "\xC3\xA9"); // the first of a repeated name
    BOOST_TEST(m.seen.header == "kept");   // looked up in lower case

    BOOST_TEST(answer->result_int() == 201u);
    BOOST_TEST(answer->version() == 11u);
    BOOST_TEST(!answer->keep_alive());
    BOOST_TEST(answer->body() == R"({"ok":true})");
    BOOST_TEST((*answer)[beast_http::field::content_type] == "application/json");
    BOOST_TEST((*answer)[beast_http::field::content_length] == "11");
    BOOST_TEST((*answer)["X-Answer"] == "yes");
    BOOST_TEST((*answer)[beast_http::field::connection] == "close");

    // HEAD: the length of the body, not the body
    auto head = m.router.handle(make_request(beast_http::verb::head, "/api/jobs/x"));
    BOOST_REQUIRE(head);
    BOOST_TEST(head->body().empty());
    BOOST_TEST((*head)[beast_http::field::content_length] == "11");
}

BOOST_AUTO_TEST_CASE(the_host_router_writes_multipart_files_that_the_request_removes_after)
{
    mounted_router m;
    std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ntext\r\n"
                       "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                       "filename=\"rows.csv\"\r\n\r\na,b\r\n--XyZ--\r\n";
    sj::beast_host_router::dynamic_request_type request(beast_http::verb::post, "/api/jobs/up", 11);
    request.set(beast_http::field::content_type, "multipart/form-data; boundary=XyZ");
    boost::beast::ostream(request.body()) << body;
    request.prepare_payload();
    auto answer = m.router.handle(request);
    BOOST_REQUIRE(answer);
    BOOST_TEST(answer->result_int() == 201u);

    BOOST_TEST(m.seen.form == "text");
    BOOST_REQUIRE(m.seen.files.size() == 1u);
    BOOST_TEST(m.seen.files[0].filename == "rows.csv");
    BOOST_TEST(m.seen.files[0].size == 3u);
    BOOST_TEST(m.seen.files[0].path.parent_path() == m.scratch.path);
    BOOST_TEST(m.seen.file_was_there);
    BOOST_TEST(!fs::exists(m.seen.files[0].path)); // no route took it
}

BOOST_AUTO_TEST_CASE(the_host_router_refuses_bad_and_large_bodies_with_the_mount_headers)
{
    mounted_router m;

    // over max_body, read by the host
    auto large = m.router.handle(make_request(beast_http::verb::post, "/api/jobs/x",
                                              "b=" + std::string(300, 'x'),
                                              "application/x-www-form-urlencoded"));
    BOOST_REQUIRE(large);
    BOOST_TEST(large->result_int() == 413u);
    BOOST_TEST(json::parse(large->body()).at("error").as_string() ==
               "Upload too large. Limit is 256 bytes.");
    BOOST_TEST((*large)[beast_http::field::access_control_allow_origin] == "*");

    // over max_body, declared in the head only
    beast_http::request_header<> head;
    head.method(beast_http::verb::post);
    head.target("/api/jobs/ingest");
    head.set(beast_http::field::content_length, "1000");
    auto early = m.router.check_head(head);
    BOOST_REQUIRE(early);
    BOOST_TEST(early->result_int() == 413u);
    BOOST_TEST(!early->keep_alive());
    head.set(beast_http::field::content_length, "256");
    BOOST_TEST(!m.router.check_head(head));
    head.target("/elsewhere");
    head.set(beast_http::field::content_length, "1000");
    BOOST_TEST(!m.router.check_head(head));

    // malformed: a multipart type without a boundary, a query not UTF-8
    auto malformed = m.router.handle(
        make_request(beast_http::verb::post, "/api/jobs/x", "--a--", "multipart/form-data"));
    BOOST_REQUIRE(malformed);
    BOOST_TEST(malformed->result_int() == 400u);
    BOOST_TEST((*malformed)[beast_http::field::access_control_allow_origin] == "*");
    auto query = m.router.handle(make_request(beast_http::verb::get, "/api/jobs/x?a=%FF"));
    BOOST_REQUIRE(query);
    BOOST_TEST(query->result_int() == 400u);
    BOOST_TEST(m.seen.path.empty()); // the handler saw none of them
}

BOOST_AUTO_TEST_CASE(the_host_router_answers_500_when_a_handler_throws)
{
    mounted_router m;
    auto answer = m.router.handle(make_request(beast_http::verb::get, "/api/jobs/throw"));
    BOOST_REQUIRE(answer);
    BOOST_TEST(answer->result_int() == 500u);
    BOOST_TEST(json::parse(answer->body()).at("error").as_string() == "Internal server error");
}

BOOST_DATA_TEST_CASE(each_host_runs_a_job_to_completion_and_lists_it, bdata::make(hosts), host)
{
    data_folder data;
    host_process p(host, data.path, {}, quick);
    auto port = p.listen_port();
    auto id = job_id_of(send(port, "GET",
                             "/api/jobs/embed?dataset=ds&text_column=text&model_id=m"
                             "&prefix=&batch_size=10"));
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "completed");
    BOOST_TEST(fs::exists(data.path / "ds" / "embeddings" / "embedding-001.json"));

    auto all = json::parse(send(port, "GET", "/api/jobs/all?dataset=ds").body).as_array();
    BOOST_REQUIRE(all.size() == 1u);
    BOOST_TEST(all[0].at("id").as_string() == id);
}

BOOST_DATA_TEST_CASE(each_host_takes_an_upload_through_multipart, bdata::make(hosts), host)
{
    data_folder data;
    host_process p(host, data.path, {}, quick);
    auto port = p.listen_port();
    auto id = job_id_of(http_upload(port, "/api/jobs/ingest", "ds", "my rows.csv", "text\na\n"));
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "completed");
    std::ifstream saved(data.path / "ds" / "my_rows.csv");
    BOOST_TEST(std::string(std::istreambuf_iterator<char>(saved), {}) == "text\na\n");
    BOOST_TEST(fs::is_empty(data.path / ".scopejobs-uploads")); // nothing left behind
}

BOOST_DATA_TEST_CASE(each_host_keeps_its_own_routes_outside_the_prefix, bdata::make(hosts), host)
{
    data_folder data;
    host_process p(host, data.path);
    auto port = p.listen_port();

    auto hello = send(port, "GET", "/hello");
    BOOST_TEST(hello.status == 200u);
    BOOST_TEST(hello.body == "hello from the host\n");

    // the host's 404 is not the job API's
    std::string head;
    auto elsewhere = send(port, "GET", "/api/jobsx/all?dataset=ds", {}, &head);
    BOOST_TEST(elsewhere.status == 404u);
    BOOST_TEST(header_value(head, "Access-Control-Allow-Origin").empty());

    // under the prefix, the service answers even a path it does not know
    auto unknown = send(port, "GET", "/api/jobs/nothing", {}, &head);
    BOOST_TEST(unknown.status == 404u);
    BOOST_TEST(header_value(head, "Access-Control-Allow-Origin") == "*");
    BOOST_TEST(json::parse(unknown.body).at("error").as_string() == "not found");
}

BOOST_DATA_TEST_CASE(each_host_answers_cors_and_preflight_requests, bdata::make(hosts), host)
{
    data_folder data;
    host_process p(host, data.path);
    auto port = p.listen_port();

    std::string head;
    auto all =
        send(port, "GET", "/api/jobs/all?dataset=ds", "Origin: http://ui.example\r\n", &head);
    BOOST_TEST(all.status == 200u);
    BOOST_TEST(all.body == "[]");
    BOOST_TEST(header_value(head, "Access-Control-Allow-Origin") == "*");

    auto preflight =
        send(port, "OPTIONS", "/api/jobs/ingest",
             "Origin: http://ui.example\r\nAccess-Control-Request-Method: POST\r\n", &head);
    BOOST_TEST(preflight.status == 204u);
    BOOST_TEST(header_value(head, "Access-Control-Allow-Origin") == "*");
    BOOST_TEST(header_value(head, "Access-Control-Allow-Methods").find("POST") !=
               std::string::npos);

    // a method the route does not take is the service's 405, not the host's
    auto wrong = send(port, "PUT", "/api/jobs/ingest", "Content-Length: 0\r\n", &head);
    BOOST_TEST(wrong.status == 405u);
    BOOST_TEST(header_value(head, "Allow").find("POST") != std::string::npos);
}

BOOST_DATA_TEST_CASE(each_host_refuses_a_body_over_the_limit_with_413, bdata::make(hosts), host)
{
    data_folder data;
    host_process p(host, data.path, {"--max-upload-mb", "1"});
    auto port = p.listen_port();

    auto refused =
        http_upload(port, "/api/jobs/ingest", "ds", "big.csv", std::string(2 << 20, 'x'));
    BOOST_TEST(refused.status == 413u);
    BOOST_TEST(json::parse(refused.body).at("error").as_string() ==
               "Upload too large. Limit is 1 MB.");
    BOOST_TEST(!fs::exists(data.path / "ds" / "big.csv"));

    // the host still serves
    BOOST_TEST(send(port, "GET", "/hello").status == 200u);
}

BOOST_DATA_TEST_CASE(each_host_stops_cleanly_on_sigterm, bdata::make(hosts), host)
{
    data_folder data;
    host_process p(host, data.path, {},
                   {"DEMO_STEPS=100000", "DEMO_STEP_SECONDS=0.05"}); // runs until stopped
    auto port = p.listen_port();
    auto id = job_id_of(
        send(port, "GET", "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=2"));
    BOOST_REQUIRE(eventually([&] {
        auto record = json::parse(send(port, "GET", "/api/jobs/job?dataset=ds&job_id=" + id).body)
                          .as_object();
        return !record.at("progress").as_array().empty();
    }));

    ::kill(p.pid, SIGTERM);
    int status = 0;
    BOOST_REQUIRE(eventually([&] { return ::waitpid(p.pid, &status, WNOHANG) == p.pid; }));
    p.pid = -1;
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);

    // the job was stopped and recorded, not left running
    std::ifstream file(data.path / "ds" / "jobs" / (id + ".json"));
    auto record = json::parse(std::string(std::istreambuf_iterator<char>(file), {})).as_object();
    BOOST_TEST(record.at("status").as_string() != "running");
}

BOOST_AUTO_TEST_SUITE_END()
