#ifndef SCOPEJOBS_TESTS_SERVER_SUPPORT_HPP
#define SCOPEJOBS_TESTS_SERVER_SUPPORT_HPP

// What the tests that drive a server program over loopback share: a plain
// HTTP/1.1 client, a child process with its output on a pipe, and waiting
// on a condition within a bound.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace scopejobs::testing {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

struct reply
{
    unsigned status = 0;
    std::string body;
};

// One request on its own connection, as a plain client sends it.
inline reply http_send(unsigned short port, const std::string& request, std::string* head = nullptr)
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

inline reply http_get(unsigned short port, const std::string& target, std::string* head = nullptr)
{
    return http_send(
        port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", head);
}

// A multipart POST with one file, as a browser's form sends it.
inline reply http_upload(unsigned short port, const std::string& target, const std::string& dataset,
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

// A child program with its stdout on a pipe and its stderr on /dev/null,
// killed when it is still running at the end of the test.
struct child_process
{
    /// Starts `args` (the program's path first) with this process's
    /// environment after `environment`, its stderr appended to the file
    /// `errors`.
    explicit child_process(const std::vector<std::string>& args,
                           std::vector<std::string> environment = {},
                           const std::string& errors = "/dev/null")
    {
        for (char** variable = environ; *variable != nullptr; ++variable)
            environment.emplace_back(*variable);
        start(args, environment, errors);
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    void start(const std::vector<std::string>& args, const std::vector<std::string>& environment,
               const std::string& errors = "/dev/null")
    {
        int out[2];
        BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addopen(&actions, 2, errors.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644); // usage texts, the log
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

    /// The port of the `listening on http://127.0.0.1:PORT` line that
    /// every server program here prints first.
    unsigned short listen_port()
    {
        auto line = first_line();
        BOOST_REQUIRE_MESSAGE(line.starts_with("listening on http://127.0.0.1:"), line);
        return static_cast<unsigned short>(std::stoi(line.substr(line.rfind(':') + 1)));
    }

    /// Sets the soft and hard limit of `resource` (RLIMIT_NOFILE, say) of
    /// the running child, as `setrlimit` would in it.
    void limit(int resource, rlim_t value)
    {
        rlimit bound{value, value};
        auto which = static_cast<__rlimit_resource>(resource);
        BOOST_REQUIRE(::prlimit(pid, which, &bound, nullptr) == 0);
    }

    int wait()
    {
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        return status;
    }

    ~child_process()
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

#ifdef SCOPEJOBS_SERVER
// scopejobs-server on a free loopback port with the demo tools.
struct server_process : child_process
{
    explicit server_process(const fs::path& data, std::vector<std::string> extra = {},
                            std::vector<std::string> environment = {},
                            const std::string& errors = "/dev/null")
        : child_process(arguments(data, std::move(extra)), std::move(environment), errors)
    {}

    static std::vector<std::string> arguments(const fs::path& data, std::vector<std::string> extra)
    {
        std::vector<std::string> args = {
            SCOPEJOBS_SERVER, "--data-dir",         data.string(), "--port", "0",
            "--tools-dir",    SCOPEJOBS_DEMO_TOOLS, "--log-level", "error"};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }
};
#endif

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

inline std::string job_id_of(const reply& r)
{
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.status << " " << r.body);
    return std::string(json::parse(r.body).at("job_id").as_string());
}

// Polls /job as the web UI does, until the record is final.
inline json::object wait_final(unsigned short port, const std::string& dataset,
                               const std::string& id)
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
inline bool gone(std::int64_t pid)
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

} // namespace scopejobs::testing

#endif
