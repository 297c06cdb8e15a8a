#include <scopejobs/router/beast_router.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <poll.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
namespace sj = scopejobs;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

namespace {

using clock_type = std::chrono::steady_clock;

// ---- the stub handler

json::array pairs(const sj::http::fields& fields)
{
    json::array out;
    for (const auto& [name, value] : fields)
        out.push_back(json::array{json::string(name), json::string(value)});
    return out;
}

std::string file_contents(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Bytes as hex digits, so that any file travels in JSON.
std::string hex(std::string_view bytes)
{
    constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char byte : bytes) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

// Answers with what it was given: method, path, query and form fields,
// and each file with its contents (in hex) as read from disk.
sj::http::response echo(sj::http::request& request)
{
    json::object out;
    out["method"] = std::string(sj::http::to_string(request.method));
    out["path"] = request.path;
    out["query"] = pairs(request.query);
    out["form"] = pairs(request.form);

    json::array files;
    for (const auto& file : request.files) {
        json::object entry;
        entry["field"] = file.field;
        entry["filename"] = file.filename;
        entry["content_type"] = file.content_type;
        entry["size"] = file.size;
        entry["path"] = file.path.string();
        entry["content"] = hex(file_contents(file.path));
        files.push_back(std::move(entry));
    }
    out["files"] = std::move(files);

    sj::http::response reply = sj::http::json_response(200, out);
    reply.headers.add("X-Echo", "yes");
    return reply;
}

// ---- the server under test, on a thread of its own

sj::beast_router_options quick_options()
{
    sj::beast_router_options options;
    options.port = 0;
    options.header_timeout = 2s;
    options.body_idle_timeout = 2s;
    options.keep_alive_timeout = 5s;
    options.log = sj::null_sink();
    return options;
}

sj::mount_options small_mount()
{
    sj::mount_options options;
    options.max_body = 64 * 1024;
    options.too_large_message = "Too big for the test.";
    options.response_headers.add("Access-Control-Allow-Origin", "*");
    return options;
}

struct server
{
    explicit server(sj::beast_router_options options = quick_options(),
                    sj::mount_options mount = small_mount(), int thread_count = 1)
        : router(io, std::move(options))
    {
        static int count = 0;
        upload_dir = std::filesystem::temp_directory_path() /
                     ("scopejobs-beast-router-" + std::to_string(::getpid()) + "-" +
                      std::to_string(++count));
        std::filesystem::create_directories(upload_dir);
        mount.upload_dir = upload_dir;
        router.mount("/api", echo, std::move(mount));

        sj::error_code ec;
        router.listen(ec);
        BOOST_REQUIRE_MESSAGE(!ec, "listen: " << ec.message());
        for (int i = 0; i < thread_count; ++i)
            threads.emplace_back([this] { io.run(); });
    }

    ~server()
    {
        stop_within(5s);
        work.reset();
        io.stop();
        for (auto& thread : threads)
            thread.join();
        std::error_code ignored;
        std::filesystem::remove_all(upload_dir, ignored);
    }

    // Stops the router; true once it reports that no connection is left.
    bool stop_within(std::chrono::milliseconds bound)
    {
        auto stopped = std::make_shared<std::promise<void>>();
        auto future = stopped->get_future();
        router.stop([stopped] { stopped->set_value(); });
        return future.wait_for(bound) == std::future_status::ready;
    }

    tcp::endpoint endpoint() const { return router.local_endpoint(); }

    bool upload_dir_is_empty() const { return std::filesystem::is_empty(upload_dir); }

    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    sj::beast_router router;
    std::filesystem::path upload_dir;
    std::vector<std::thread> threads;
};

// ---- a client of raw bytes, every wait bounded

struct reply
{
    unsigned status = 0;
    std::map<std::string, std::string> headers; // names in lower case
    std::string body;

    bool has(const std::string& name) const { return headers.count(name) != 0; }
    std::string header(const std::string& name) const
    {
        auto found = headers.find(name);
        return found == headers.end() ? "" : found->second;
    }
    json::value json() const { return json::parse(body); }
};

class client
{
public:
    explicit client(const tcp::endpoint& endpoint) : socket_(io_) { socket_.connect(endpoint); }

    void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }

    // The next response (status 0 when none came within the bound). A
    // response to HEAD has no body, whatever its Content-Length says.
    reply receive(bool head = false, std::chrono::milliseconds bound = 5s)
    {
        auto deadline = clock_type::now() + bound;
        reply out;

        // the head
        std::size_t end;
        while ((end = pending_.find("\r\n\r\n")) == std::string::npos)
            if (fill(deadline) != outcome::data)
                return out;
        std::istringstream lines(pending_.substr(0, end));
        pending_.erase(0, end + 4);
        std::string line;
        std::getline(lines, line);
        out.status = unsigned(std::stoul(line.substr(line.find(' ') + 1, 3)));
        while (std::getline(lines, line)) {
            auto colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (char& c : name)
                c = char(std::tolower(static_cast<unsigned char>(c)));
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            if (!value.empty() && value.back() == '\r')
                value.pop_back();
            out.headers[name] = value;
        }

        // the body, by its length
        std::size_t length =
            out.has("content-length") && !head ? std::stoul(out.header("content-length")) : 0;
        while (pending_.size() < length)
            if (fill(deadline) != outcome::data)
                return reply{};
        out.body = pending_.substr(0, length);
        pending_.erase(0, length);
        return out;
    }

    // True when the server closes the connection within `bound`; whatever
    // else arrives first is dropped.
    bool closed_within(std::chrono::milliseconds bound)
    {
        auto deadline = clock_type::now() + bound;
        for (;;) {
            outcome got = fill(deadline);
            if (got == outcome::timeout)
                return false;
            if (got == outcome::closed)
                return true;
        }
    }

    // True when nothing arrives for `span`.
    bool silent_for(std::chrono::milliseconds span)
    {
        return pending_.empty() && fill(clock_type::now() + span) == outcome::timeout;
    }

private:
    enum class outcome
    {
        data,
        closed,
        timeout
    };

    outcome fill(clock_type::time_point deadline)
    {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
        pollfd ready{socket_.native_handle(), POLLIN, 0};
        if (left.count() <= 0 || ::poll(&ready, 1, int(left.count())) <= 0)
            return outcome::timeout;
        char bytes[4096];
        sj::error_code ec;
        std::size_t size = socket_.read_some(asio::buffer(bytes), ec);
        if (ec)
            return outcome::closed; // end of stream, or reset
        pending_.append(bytes, size);
        return outcome::data;
    }

    asio::io_context io_;
    tcp::socket socket_;
    std::string pending_;
};

std::string get(std::string_view target, std::string_view extra_headers = "")
{
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" +
           std::string(extra_headers) + "\r\n";
}

std::string post(std::string_view target, std::string_view content_type, std::string_view body,
                 std::string_view extra_headers = "")
{
    return "POST " + std::string(target) +
           " HTTP/1.1\r\nHost: test\r\nContent-Type: " + std::string(content_type) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra_headers) + "\r\n" + std::string(body);
}

using field_list = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Fields as the stub handler echoes them: an array of [name, value].
json::array fields_json(field_list fields)
{
    json::array out;
    for (const auto& [name, value] : fields)
        out.push_back(json::array{json::string(name), json::string(value)});
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(beast_router)

BOOST_AUTO_TEST_CASE(get_decodes_plus_percent_and_repeated_query_keys)
{
    server s;
    client c(s.endpoint());
    c.send(get("/api/echo?a=x+y&b=%2F&a=2"));
    reply r = c.receive();

    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.header("content-type") == "application/json");
    BOOST_TEST(r.header("x-echo") == "yes");
    auto body = r.json().as_object();
    BOOST_TEST(body["method"] == "GET");
    BOOST_TEST(body["path"] == "/api/echo");
    BOOST_TEST(body["query"] == fields_json({{"a", "x y"}, {"b", "/"}, {"a", "2"}}));
}

BOOST_AUTO_TEST_CASE(post_urlencoded_body_fills_the_form)
{
    server s;
    client c(s.endpoint());
    c.send(post("/api/ingest?q=1", "application/x-www-form-urlencoded",
                "name=J%C3%B6rg&note=a+b&empty="));
    reply r = c.receive();

    BOOST_TEST(r.status == 200u);
    auto body = r.json().as_object();
    BOOST_TEST(body["method"] == "POST");
    BOOST_TEST(body["query"] == fields_json({{"q", "1"}}));
    BOOST_TEST(body["form"] ==
               fields_json({{"name", "J\xc3\xb6rg"}, {"note", "a b"}, {"empty", ""}}));
}

BOOST_AUTO_TEST_CASE(urlencoded_body_that_is_not_utf8_is_400_naming_the_parameter)
{
    server s;
    client c(s.endpoint());
    c.send(post("/api/ingest", "application/x-www-form-urlencoded", "ok=1&bad=%FF"));
    reply r = c.receive();

    BOOST_TEST(r.status == 400u);
    BOOST_TEST(r.header("access-control-allow-origin") == "*");
    std::string message(r.json().at("error").as_string());
    BOOST_TEST(message.find("bad") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(multipart_fields_and_file_reach_the_handler_and_the_file_is_removed)
{
    server s;
    client c(s.endpoint());
    std::string content = "line one\r\n--not-the-boundary\r\n";
    content += '\0';
    content += "\xff end";
    std::string body = "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"dataset\"\r\n\r\n"
                       "movies\r\n"
                       "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"text_column\"\r\n\r\n"
                       "overview\r\n"
                       "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\n"
                       "Content-Type: text/csv\r\n\r\n" +
                       content +
                       "\r\n"
                       "--XyZ--\r\n";
    c.send(post("/api/ingest", "multipart/form-data; boundary=XyZ", body));
    reply r = c.receive();

    BOOST_TEST(r.status == 200u);
    auto echoed = r.json().as_object();
    BOOST_TEST(echoed["form"] == fields_json({{"dataset", "movies"}, {"text_column", "overview"}}));
    auto& files = echoed["files"].as_array();
    BOOST_REQUIRE(files.size() == 1u);
    auto& file = files[0].as_object();
    BOOST_TEST(file["field"] == "file");
    BOOST_TEST(file["filename"] == "m.csv");
    BOOST_TEST(file["content_type"] == "text/csv");
    BOOST_TEST(file["size"].to_number<std::uint64_t>() == content.size());
    BOOST_TEST(std::string(file["content"].as_string()) == hex(content));

    // on disk in the upload folder while handled, gone once answered
    std::filesystem::path path(std::string(file["path"].as_string()));
    BOOST_TEST(path.parent_path() == s.upload_dir);
    BOOST_TEST(!std::filesystem::exists(path));
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_two_requests_on_one_connection)
{
    server s;
    client c(s.endpoint());
    c.send(get("/api/one"));
    reply first = c.receive();
    c.send(get("/api/two"));
    reply second = c.receive();

    BOOST_TEST(first.status == 200u);
    BOOST_TEST(!first.has("connection"));
    BOOST_TEST(first.json().at("path") == "/api/one");
    BOOST_TEST(second.status == 200u);
    BOOST_TEST(second.json().at("path") == "/api/two");
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order)
{
    server s;
    client c(s.endpoint());
    c.send(get("/api/one") + get("/api/two"));

    BOOST_TEST(c.receive().json().at("path") == "/api/one");
    BOOST_TEST(c.receive().json().at("path") == "/api/two");
}

BOOST_AUTO_TEST_CASE(connection_close_is_honoured)
{
    server s;
    client c(s.endpoint());
    c.send(get("/api/once", "Connection: close\r\n"));
    reply r = c.receive();

    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.header("connection") == "close");
    BOOST_TEST(c.closed_within(2s));
}

BOOST_AUTO_TEST_CASE(http10_without_keep_alive_closes)
{
    server s;
    client c(s.endpoint());
    c.send("GET /api/old HTTP/1.0\r\n\r\n");
    reply r = c.receive();

    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("path") == "/api/old");
    BOOST_TEST(c.closed_within(2s));
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_before_the_body)
{
    server s;
    client c(s.endpoint());
    std::string body = "a=1&b=2";
    c.send("POST /api/ingest HTTP/1.1\r\nHost: test\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: 7\r\nExpect: 100-continue\r\n\r\n");
    reply interim = c.receive();
    BOOST_TEST(interim.status == 100u);

    c.send(body);
    reply r = c.receive();
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("form") == fields_json({{"a", "1"}, {"b", "2"}}));
}

BOOST_AUTO_TEST_CASE(expect_100_continue_over_the_limit_is_413_without_the_body)
{
    auto mount = small_mount();
    mount.max_body = 1000;
    server s(quick_options(), mount);
    client c(s.endpoint());
    c.send("POST /api/ingest HTTP/1.1\r\nHost: test\r\n"
           "Content-Type: application/octet-stream\r\n"
           "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    reply r = c.receive();

    BOOST_TEST(r.status == 413u);
    BOOST_TEST(r.json().at("error") == "Too big for the test.");
    BOOST_TEST(r.header("access-control-allow-origin") == "*");
    BOOST_TEST(c.closed_within(2s));
}

BOOST_AUTO_TEST_CASE(body_over_the_limit_is_413_with_the_message_and_closes)
{
    auto mount = small_mount();
    mount.max_body = 1000;
    server s(quick_options(), mount);
    client c(s.endpoint());
    c.send(post("/api/ingest", "application/x-www-form-urlencoded", "a=" + std::string(4000, 'x')));
    reply r = c.receive();

    BOOST_TEST(r.status == 413u);
    BOOST_TEST(r.json().at("error") == "Too big for the test.");
    BOOST_TEST(r.header("access-control-allow-origin") == "*");
    BOOST_TEST(r.header("connection") == "close");
    BOOST_TEST(c.closed_within(3s));
}

BOOST_AUTO_TEST_CASE(chunked_body_over_the_limit_is_413_and_leaves_no_upload)
{
    auto mount = small_mount();
    mount.max_body = 1000;
    server s(quick_options(), mount);
    client c(s.endpoint());
    std::string part = "--B\r\nContent-Disposition: form-data; name=\"file\"; "
                       "filename=\"big.bin\"\r\n\r\n" +
                       std::string(600, 'x');
    std::string more(600, 'y');
    c.send("POST /api/ingest HTTP/1.1\r\nHost: test\r\n"
           "Content-Type: multipart/form-data; boundary=B\r\n"
           "Transfer-Encoding: chunked\r\n\r\n");
    std::ostringstream chunks;
    chunks << std::hex << part.size() << "\r\n"
           << part << "\r\n"
           << more.size() << "\r\n"
           << more << "\r\n";
    c.send(chunks.str());
    reply r = c.receive();

    BOOST_TEST(r.status == 413u);
    BOOST_TEST(r.json().at("error") == "Too big for the test.");
    BOOST_TEST(s.upload_dir_is_empty());
}

BOOST_AUTO_TEST_CASE(chunked_request_body_is_read)
{
    server s;
    client c(s.endpoint());
    c.send("POST /api/ingest HTTP/1.1\r\nHost: test\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\n"
           "Transfer-Encoding: chunked\r\n\r\n"
           "5\r\na=1&b\r\n"
           "4\r\n=x+y\r\n"
           "0\r\n\r\n");
    reply r = c.receive();

    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("form") == fields_json({{"a", "1"}, {"b", "x y"}}));
}

BOOST_AUTO_TEST_CASE(malformed_request_line_is_400_and_closes)
{
    server s;
    client c(s.endpoint());
    c.send("GET /api/x HTTP/9\r\n\r\n");
    reply r = c.receive();

    BOOST_TEST(r.status == 400u);
    BOOST_TEST(r.json().as_object().contains("error"));
    BOOST_TEST(c.closed_within(3s));
}

BOOST_AUTO_TEST_CASE(headers_over_the_limit_are_431)
{
    auto options = quick_options();
    options.header_limit = 1024;
    server s(options);
    client c(s.endpoint());
    c.send(get("/api/x", "X-Long: " + std::string(2000, 'z') + "\r\n"));
    reply r = c.receive();

    BOOST_TEST(r.status == 431u);
    BOOST_TEST(r.json().as_object().contains("error"));
    BOOST_TEST(c.closed_within(3s));
}

BOOST_AUTO_TEST_CASE(request_outside_every_prefix_is_404_json)
{
    server s;
    client c(s.endpoint());
    c.send(get("/elsewhere"));
    reply outside = c.receive();
    c.send(get("/apix"));
    reply lookalike = c.receive();

    BOOST_TEST(outside.status == 404u);
    BOOST_TEST(outside.header("content-type") == "application/json");
    BOOST_TEST(outside.json() == (json::object{{"error", "not found"}}));
    BOOST_TEST(lookalike.status == 404u);
}

BOOST_AUTO_TEST_CASE(longest_prefix_wins)
{
    server s;
    s.router.mount("/api/jobs/", [](sj::http::request& request) {
        return sj::http::json_response(200, json::object{{"jobs", request.path}});
    });
    client c(s.endpoint());
    c.send(get("/api/jobs/all"));
    reply inner = c.receive();
    c.send(get("/api/other"));
    reply outer = c.receive();

    BOOST_TEST(inner.json() == (json::object{{"jobs", "/api/jobs/all"}}));
    BOOST_TEST(outer.json().at("path") == "/api/other");
}

BOOST_AUTO_TEST_CASE(head_has_the_headers_of_get_but_no_body)
{
    server s;
    client c(s.endpoint());
    c.send(get("/api/same?x=1"));
    reply full = c.receive();
    c.send("HEAD /api/same?x=1 HTTP/1.1\r\nHost: test\r\n\r\n");
    reply head = c.receive(true);

    BOOST_TEST(head.status == 200u);
    BOOST_TEST(head.header("content-type") == "application/json");
    // the echoed method differs in length by one: "HEAD" against "GET"
    BOOST_TEST(std::stoul(head.header("content-length")) == full.body.size() + 1);

    // nothing follows the head: the next bytes are the next response
    c.send(get("/api/after"));
    BOOST_TEST(c.receive().json().at("path") == "/api/after");
}

BOOST_AUTO_TEST_CASE(handler_that_throws_is_500_and_the_server_keeps_serving)
{
    server s;
    s.router.mount("/boom",
                   [](sj::http::request&) -> sj::http::response { throw std::runtime_error("x"); });
    client c(s.endpoint());
    c.send(get("/boom"));
    reply r = c.receive();
    c.send(get("/api/fine"));

    BOOST_TEST(r.status == 500u);
    BOOST_TEST(r.json().at("error") == "Internal server error");
    BOOST_TEST(c.receive().status == 200u);
}

BOOST_AUTO_TEST_CASE(trickled_headers_are_cut_at_the_header_timeout)
{
    auto options = quick_options();
    options.header_timeout = 300ms;
    server s(options);
    client c(s.endpoint());
    auto start = clock_type::now();
    c.send("GET /api/slow HTTP/1.1\r\nHost: te");

    BOOST_TEST(c.closed_within(3s));
    BOOST_TEST((clock_type::now() - start) >= 250ms);
}

BOOST_AUTO_TEST_CASE(stalled_body_is_cut_at_the_idle_timeout)
{
    auto options = quick_options();
    options.body_idle_timeout = 300ms;
    server s(options);
    client c(s.endpoint());
    c.send("POST /api/ingest HTTP/1.1\r\nHost: test\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: 100\r\n\r\na=1");

    BOOST_TEST(c.closed_within(3s));
}

BOOST_AUTO_TEST_CASE(slow_but_steady_body_outlasts_the_idle_timeout)
{
    auto options = quick_options();
    options.body_idle_timeout = 300ms;
    server s(options);
    client c(s.endpoint());
    std::string body = "a=123456&b=9";
    c.send("POST /api/ingest HTTP/1.1\r\nHost: test\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n");

    // one byte every 100 ms: 1.2 s in all, four idle timeouts
    for (char byte : body) {
        std::this_thread::sleep_for(100ms);
        c.send(std::string_view(&byte, 1));
    }
    reply r = c.receive();

    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("form") == fields_json({{"a", "123456"}, {"b", "9"}}));
}

BOOST_AUTO_TEST_CASE(stop_with_an_idle_keep_alive_connection_finishes_promptly)
{
    auto options = quick_options();
    options.keep_alive_timeout = 30s;
    server s(options);
    client c(s.endpoint());
    c.send(get("/api/x"));
    BOOST_TEST(c.receive().status == 200u);

    BOOST_TEST(s.stop_within(1s));
    BOOST_TEST(c.closed_within(1s));
    BOOST_TEST(s.router.connections() == 0u);
}

BOOST_AUTO_TEST_CASE(stop_lets_a_request_in_flight_finish_then_refuses_connections)
{
    server s;
    client c(s.endpoint());
    c.send("POST /api/ingest HTTP/1.1\r\nHost: test\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    BOOST_TEST(c.receive().status == 100u);

    // the body is being read when the stop comes
    auto stopped = std::make_shared<std::promise<void>>();
    auto done = stopped->get_future();
    s.router.stop([stopped] { stopped->set_value(); });
    c.send("a=1");
    reply r = c.receive();

    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("form") == fields_json({{"a", "1"}}));
    BOOST_TEST(c.closed_within(2s));
    BOOST_TEST((done.wait_for(2s) == std::future_status::ready));

    asio::io_context io;
    tcp::socket late(io);
    sj::error_code ec;
    late.connect(s.endpoint(), ec);
    BOOST_TEST(ec == asio::error::connection_refused);
}

BOOST_AUTO_TEST_CASE(connection_limit_holds_new_clients_until_one_closes)
{
    auto options = quick_options();
    options.max_connections = 1;
    server s(options);
    auto first = std::make_unique<client>(s.endpoint());
    first->send(get("/api/first"));
    BOOST_TEST(first->receive().status == 200u);

    // the second waits in the backlog while the first stays open
    client second(s.endpoint());
    second.send(get("/api/second"));
    BOOST_TEST(second.silent_for(200ms));

    first.reset();
    reply r = second.receive();
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.json().at("path") == "/api/second");
}

BOOST_AUTO_TEST_CASE(clients_served_at_once_by_several_threads_all_get_their_answers)
{
    server s(quick_options(), small_mount(), 4);
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < 8; ++i)
        clients.push_back(std::make_unique<client>(s.endpoint()));

    // three rounds of requests, all sent before any answer is read
    bool all_right = true;
    for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < clients.size(); ++i)
            clients[i]->send(post("/api/c" + std::to_string(i), "application/x-www-form-urlencoded",
                                  "round=" + std::to_string(round)));
        for (std::size_t i = 0; i < clients.size(); ++i) {
            reply r = clients[i]->receive();
            all_right = all_right && r.status == 200 &&
                        r.json().at("path") == json::value("/api/c" + std::to_string(i)) &&
                        r.json().at("form") == fields_json({{"round", std::to_string(round)}});
        }
    }
    BOOST_TEST(all_right);
}

BOOST_AUTO_TEST_CASE(listen_reports_an_invalid_address)
{
    asio::io_context io;
    auto options = quick_options();
    options.address = "not-an-address";
    sj::beast_router router(io, options);
    sj::error_code ec;
    router.listen(ec);

    BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_CASE(listens_on_ipv6_loopback)
{
    auto options = quick_options();
    options.address = "::1";
    asio::io_context io;
    sj::beast_router probe(io, options);
    sj::error_code ec;
    probe.listen(ec);
    if (ec) {
        BOOST_TEST_MESSAGE("no IPv6 loopback here: " << ec.message());
        return;
    }
    probe.stop();
    io.run_for(1s);

    server s(options);
    BOOST_TEST(s.endpoint().address().is_v6());
    client c(s.endpoint());
    c.send(get("/api/six"));
    BOOST_TEST(c.receive().status == 200u);
}

BOOST_AUTO_TEST_CASE(response_head_is_the_one_beasts_serializer_writes)
{
    namespace beast_http = boost::beast::http;
    struct example
    {
        sj::http::response reply;
        unsigned version;
        bool keep_alive;
        bool head_request;
    };
    sj::http::response typed{200, "application/json", "{\"a\": 1}", {}};
    typed.headers.add("Access-Control-Allow-Origin", "*");
    typed.headers.add("content-type", "text/plain"); // left out: the type is set
    typed.headers.add("Connection", "upgrade");      // never passed
    sj::http::response empty{204, "", "ignored", {}};
    sj::http::response odd{599, "text/plain", "odd", {}};
    std::vector<example> examples;
    examples.push_back({typed, 11, true, false});
    examples.push_back({typed, 11, false, false});
    examples.push_back({typed, 10, true, false});
    examples.push_back({typed, 10, false, false});
    examples.push_back({typed, 11, true, true});
    examples.push_back({empty, 11, true, false});
    examples.push_back({odd, 11, true, false});

    for (const auto& [reply, version, keep_alive, head_request] : examples) {
        beast_http::response<beast_http::string_body> expected;
        expected.version(version);
        sj::detail::to_beast_response(reply, head_request, expected);
        expected.keep_alive(keep_alive);
        std::ostringstream serialized;
        serialized << expected;

        std::string written;
        if (sj::detail::write_response_head(reply, version, keep_alive, head_request, written))
            written += reply.body;
        BOOST_TEST(written == serialized.str());
    }
}

BOOST_AUTO_TEST_CASE(a_body_larger_than_one_write_arrives_whole)
{
    std::string big(8 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096)
        big[i] = char('a' + i / 4096 % 26);
    server s;
    s.router.mount("/big", [&big](sj::http::request&) {
        return sj::http::response{200, "text/plain", big, {}};
    });
    client c(s.endpoint());
    c.send(get("/big"));
    reply r = c.receive(false, 20s);
    c.send(get("/api/after"));

    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body.size() == big.size());
    BOOST_TEST((r.body == big));
    BOOST_TEST(c.receive().json().at("path") == "/api/after");
}

BOOST_AUTO_TEST_SUITE_END()
