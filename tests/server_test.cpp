// End to end: scopejobs-server as a separate process with the demo tools,
// driven over loopback as the web UI drives it.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

struct reply
{
    unsigned status = 0;
    std::string body;
};

// One request on its own connection, as a plain client sends it.
reply http_send(unsigned short port, const std::string& request, std::string* head = nullptr)
{
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    boost::system::error_code ignored;
    asio::write(socket, asio::buffer(request), ignored);
    std::string text;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(text), ec);

    reply out;
    if (text.size() > 12)
        out.status = unsigned(std::stoi(text.substr(9, 3)));
    if (auto end = text.find("\r\n\r\n"); end != std::string::npos) {
        out.body = text.substr(end + 4);
        if (head)
            *head = text.substr(0, end);
    }
    return out;
}

reply http_get(unsigned short port, const std::string& target, std::string* head = nullptr)
{
    return http_send(
        port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", head);
}

// A multipart POST with one file, as a browser's form sends it.
reply http_upload(unsigned short port, const std::string& target, const std::string& dataset,
                  const std::string& filename, const std::string& content)
{
    std::string boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    std::string body =
        "--" + boundary + "\r\nContent-Disposition: form-data; name=\"dataset\"\r\n\r\n" + dataset +
        "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
        filename + "\"\r\nContent-Type: text/csv\r\n\r\n" + content + "\r\n--" + boundary +
        "--\r\n";
    return http_send(port, "POST " + target +
                               " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                               "Content-Type: multipart/form-data; boundary=" +
                               boundary + "\r\nContent-Length: " + std::to_string(body.size()) +
                               "\r\n\r\n" + body);
}

// A scopejobs-server child with its stdout on a pipe.
struct server_process
{
    explicit server_process(const fs::path& data, std::vector<std::string> extra = {},
                            std::vector<std::string> environment = {})
    {
        std::vector<std::string> args = {
            SCOPEJOBS_SERVER, "--data-dir",         data.string(), "--port", "0",
            "--tools-dir",    SCOPEJOBS_DEMO_TOOLS, "--log-level", "error"};
        args.insert(args.end(), extra.begin(), extra.end());
        for (char** variable = environ; *variable != nullptr; ++variable)
            environment.emplace_back(*variable);
        start(args, environment);
    }

    void start(const std::vector<std::string>& args, const std::vector<std::string>& environment)
    {
        int out[2];
        BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0); // usage texts
        std::vector<char*> argv, envp;
        for (const auto& arg : args)
            argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        for (const auto& variable : environment)
            envp.push_back(const_cast<char*>(variable.c_str()));
        envp.push_back(nullptr);
        BOOST_REQUIRE(::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) ==
                      0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        output = out[0];
    }

    // The first line the server prints, within a bound.
    std::string first_line()
    {
        std::string line;
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while (line.find('\n') == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd ready{output, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&ready, 1, int(left.count())) <= 0)
                break;
            char c;
            if (::read(output, &c, 1) != 1)
                break;
            line += c;
        }
        return line;
    }

    unsigned short listen_port()
    {
        auto line = first_line();
        BOOST_REQUIRE_MESSAGE(line.starts_with("listening on http://127.0.0.1:"), line);
        return static_cast<unsigned short>(std::stoi(line.substr(line.rfind(':') + 1)));
    }

    int wait()
    {
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        return status;
    }

    ~server_process()
    {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            wait();
        }
        ::close(output);
    }

    pid_t pid = -1;
    int output = -1;
};

struct data_folder
{
    data_folder()
        : path(fs::temp_directory_path() /
               ("scopejobs-server-" + std::to_string(::getpid()) + "-" + std::to_string(count++)))
    {}
    ~data_folder()
    {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    static inline int count = 0;
    fs::path path;
};

std::string job_id_of(const reply& r)
{
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.status << " " << r.body);
    return std::string(json::parse(r.body).at("job_id").as_string());
}

// Polls /job as the web UI does, until the record is final.
json::object wait_final(unsigned short port, const std::string& dataset, const std::string& id)
{
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = http_get(port, "/api/jobs/job?dataset=" + dataset + "&job_id=" + id);
        BOOST_REQUIRE(r.status == 200);
        auto record = json::parse(r.body).as_object();
        if (record.at("status").as_string() != "running")
            return record;
        std::this_thread::sleep_for(20ms); // the UI's polling, not a race
    }
    BOOST_FAIL("the job did not end");
    return {};
}

// Gone, or a zombie nobody has reaped yet: it runs no more.
bool gone(std::int64_t pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return true;
    auto state = line.rfind(") ");
    return state != std::string::npos && line[state + 2] == 'Z';
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds bound = 20s)
{
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

const std::vector<std::string> quick = {"DEMO_STEPS=2", "DEMO_STEP_SECONDS=0.01"};
const std::vector<std::string> slow = {"DEMO_STEPS=100000", "DEMO_STEP_SECONDS=0.05"};
// silent between steps: a tool that outlives a crashed server unless it
// prints (a write to the dead server's pipe would end it with SIGPIPE)
const std::vector<std::string> silent = {"DEMO_STEPS=10", "DEMO_STEP_SECONDS=30"};

} // namespace

BOOST_AUTO_TEST_SUITE(server)

BOOST_AUTO_TEST_CASE(a_job_runs_end_to_end_and_is_polled_to_completion)
{
    data_folder data;
    server_process s(data.path, {}, quick);
    auto port = s.listen_port();
    auto id = job_id_of(http_get(port, "/api/jobs/embed?dataset=ds&text_column=text&model_id=m"
                                       "&prefix=&batch_size=10"));
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "completed");
    BOOST_TEST(record.at("run_id").as_string() == "embedding-001");
    BOOST_TEST(fs::exists(data.path / "ds" / "embeddings" / "embedding-001.json"));
    auto all = json::parse(http_get(port, "/api/jobs/all?dataset=ds").body).as_array();
    BOOST_TEST(all.size() == 1u);
}

BOOST_AUTO_TEST_CASE(kill_stops_the_whole_process_group)
{
    data_folder data;
    server_process s(data.path, {}, slow);
    auto port = s.listen_port();
    auto id = job_id_of(http_get(port, "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m"
                                       "&k_expansion=2"));
    std::int64_t pid = 0;
    BOOST_REQUIRE(eventually([&] {
        auto record =
            json::parse(http_get(port, "/api/jobs/job?dataset=ds&job_id=" + id).body).as_object();
        if (record.contains("pid") && !record.at("progress").as_array().empty())
            pid = record.at("pid").as_int64();
        return pid != 0;
    }));

    auto killed = json::parse(http_get(port, "/api/jobs/kill?dataset=ds&job_id=" + id).body);
    BOOST_TEST(killed.at("status").as_string() == "dead");
    BOOST_TEST(eventually([&] { return gone(pid); })); // the group leader is gone
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "dead");
    BOOST_TEST(record.at("cause_of_death").as_string() == "killed");
}

BOOST_AUTO_TEST_CASE(rerun_and_cascade_delete_work_through_the_server)
{
    data_folder data;
    server_process s(data.path, {}, quick);
    auto port = s.listen_port();
    auto embed = job_id_of(http_get(port, "/api/jobs/embed?dataset=ds&text_column=t&model_id=m"
                                          "&prefix=&batch_size=1"));
    wait_final(port, "ds", embed);
    auto again = job_id_of(http_get(port, "/api/jobs/rerun?dataset=ds&job_id=" + embed));
    auto rerun = wait_final(port, "ds", again);
    auto argv = rerun.at("argv").as_array();
    BOOST_TEST(argv.at(argv.size() - 1).as_string() == "embedding-001");
    BOOST_TEST(argv.at(argv.size() - 2).as_string() == "--rerun");

    auto umap = job_id_of(http_get(port, "/api/jobs/umap?dataset=ds&embedding_id=embedding-001"
                                         "&neighbors=5&min_dist=0.1"));
    wait_final(port, "ds", umap);
    BOOST_REQUIRE(fs::exists(data.path / "ds" / "umaps" / "umap-001.json"));

    auto remove = job_id_of(
        http_get(port, "/api/jobs/delete/embedding?dataset=ds&embedding_id=embedding-001"));
    auto record = wait_final(port, "ds", remove);
    BOOST_TEST(record.at("status").as_string() == "completed");
    BOOST_TEST(record.at("job_name").as_string() == "delete");
    BOOST_TEST(!fs::exists(data.path / "ds" / "umaps" / "umap-001.json"));
    BOOST_TEST(!fs::exists(data.path / "ds" / "embeddings" / "embedding-001.json"));
}

BOOST_AUTO_TEST_CASE(a_restart_after_a_crash_settles_the_orphan)
{
    data_folder data;
    std::string id;
    std::int64_t pid = 0;
    {
        server_process s(data.path, {}, silent);
        auto port = s.listen_port();
        id = job_id_of(http_get(port, "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m"
                                      "&k_expansion=2"));
        BOOST_REQUIRE(eventually([&] {
            auto record = json::parse(http_get(port, "/api/jobs/job?dataset=ds&job_id=" + id).body)
                              .as_object();
            // the marker and the start of the progress bar: the tool is
            // silent from here on, so the crash cannot end it with SIGPIPE
            if (record.contains("pid") && record.at("progress").as_array().size() >= 2)
                pid = record.at("pid").as_int64();
            return pid != 0;
        }));
        ::kill(s.pid, SIGKILL); // the server dies; its tool runs on
        s.wait();
    }
    BOOST_REQUIRE(!gone(pid));

    server_process restarted(data.path, {}, silent);
    auto port = restarted.listen_port();
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "error");
    BOOST_TEST(record.at("progress").as_array().back().as_string() ==
               "server restarted while job was running; stopped the orphaned process");
    BOOST_TEST(eventually([&] { return gone(pid); }));
}

BOOST_AUTO_TEST_CASE(sigterm_records_running_jobs_and_exits_0)
{
    data_folder data;
    server_process s(data.path, {}, slow);
    auto port = s.listen_port();
    auto id = job_id_of(http_get(port, "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m"
                                       "&k_expansion=2"));
    ::kill(s.pid, SIGTERM);
    int status = s.wait();
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
    std::ifstream in(data.path / "ds" / "jobs" / (id + ".json"));
    auto record = json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
    BOOST_TEST(record.at("status").as_string() == "error");
    BOOST_TEST(record.at("progress").as_array().back().as_string() ==
               "server stopped while job was running");
}

BOOST_AUTO_TEST_CASE(flags_and_start_up_failures_exit_with_their_codes)
{
    data_folder data;
    server_process help(data.path, {"--help"});
    BOOST_TEST(help.first_line().starts_with("usage: scopejobs-server"));
    BOOST_TEST(WEXITSTATUS(help.wait()) == 0);

    server_process bogus(data.path, {"--bogus", "1"});
    BOOST_TEST(WEXITSTATUS(bogus.wait()) == 2);
    server_process bad_port(data.path, {"--port=70000"});
    BOOST_TEST(WEXITSTATUS(bad_port.wait()) == 2);

    server_process first(data.path);
    auto port = first.listen_port();
    server_process second(data.path); // the same data folder
    BOOST_TEST(WEXITSTATUS(second.wait()) == 1);
    data_folder other;
    server_process taken(other.path, {"--port", std::to_string(port)});
    BOOST_TEST(WEXITSTATUS(taken.wait()) == 1);
}

BOOST_AUTO_TEST_CASE(uploads_cors_and_the_upload_limit_work_over_http)
{
    data_folder data;
    server_process s(data.path, {"--max-upload-mb", "1"}, quick);
    auto port = s.listen_port();

    std::string head;
    http_get(port, "/api/jobs/health", &head);
    BOOST_TEST(head.find("Access-Control-Allow-Origin: *") != std::string::npos);

    auto id = job_id_of(http_upload(port, "/api/jobs/ingest", "ds", "my rows.csv", "text\na\n"));
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "completed");
    std::ifstream saved(data.path / "ds" / "my_rows.csv");
    BOOST_TEST(std::string(std::istreambuf_iterator<char>(saved), {}) == "text\na\n");

    auto refused =
        http_upload(port, "/api/jobs/ingest", "ds", "big.csv", std::string(2 << 20, 'x'));
    BOOST_TEST(refused.status == 413u);
    BOOST_TEST(json::parse(refused.body).at("error").as_string() ==
               "Upload too large. Limit is 1 MB.");
}

BOOST_AUTO_TEST_SUITE_END()
