// Faults: a crashed server, a store that cannot write, descriptors run
// out, tools that misbehave, clients that stall, corrupt records. Each test
// shows that the service keeps answering and that no record is lost or left
// unparsable.

#include <scopejobs/service.hpp>

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/router/beast_router.hpp>
#include <scopejobs/store/filesystem_store.hpp>

#include "server_support.hpp"
#include "support.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sj = scopejobs;
using namespace std::chrono_literals;

namespace {

using sj::testing::collected_log;
using sj::testing::eventually;
using sj::testing::temporary_folder;

// ---- what the tests look at

std::string slurp(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Entries of a /proc folder: the threads of this process, or the open
// descriptors of a process.
std::size_t count_entries(const fs::path& folder)
{
    std::error_code ec;
    std::size_t count = 0;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        ++count;
    return count;
}

std::size_t thread_count()
{
    return count_entries("/proc/self/task");
}

// Hidden temporary files, `.{id}.{random}.tmp`, in a jobs folder.
std::vector<std::string> temporary_files(const fs::path& jobs)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (auto it = fs::directory_iterator(jobs, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        if (auto name = it->path().filename().string(); name.ends_with(".tmp"))
            names.push_back(name);
    return names;
}

// How many log lines mention `text`.
std::size_t lines_naming(collected_log& log, std::string_view text)
{
    std::size_t count = 0;
    for (std::size_t i = 0; i < log.size(); ++i)
        count += log.text(i).find(text) != std::string::npos;
    return count;
}

std::size_t lines_naming(const fs::path& file, std::string_view text)
{
    std::ifstream in(file);
    std::size_t count = 0;
    for (std::string line; std::getline(in, line);)
        count += line.find(text) != std::string::npos;
    return count;
}

void touch(const fs::path& path)
{
    std::ofstream(path) << "go\n";
}

// ---- a store that fails on demand

// filesystem_store, except that writes and appends fail with ENOSPC while
// `failing` is set: a full disk that can be emptied again.
class failing_store
{
public:
    failing_store(fs::path data, sj::log_sink log) : inner_(std::move(data), std::move(log)) {}

    void write(const sj::job_record& record, bool sync, sj::error_code& ec)
    {
        if (refuse(ec))
            return;
        inner_.write(record, sync, ec);
    }

    void append_log(std::string_view dataset, std::string_view id, std::string_view text,
                    sj::error_code& ec)
    {
        if (refuse(ec))
            return;
        inner_.append_log(dataset, id, text, ec);
    }

    std::optional<sj::job_record> read(std::string_view dataset, std::string_view id,
                                       sj::error_code& ec) const
    {
        return inner_.read(dataset, id, ec);
    }

    std::vector<sj::job_record> list(std::string_view dataset) const
    {
        return inner_.list(dataset);
    }

    std::vector<std::string> datasets() const { return inner_.datasets(); }

    std::optional<std::string> read_log(std::string_view dataset, std::string_view id,
                                        std::uint64_t offset, std::size_t max,
                                        sj::error_code& ec) const
    {
        return inner_.read_log(dataset, id, offset, max, ec);
    }

    std::atomic<bool> failing{false};
    std::atomic<std::size_t> refused{0};

private:
    bool refuse(sj::error_code& ec)
    {
        if (!failing)
            return false;
        ++refused;
        ec = make_error_code(boost::system::errc::no_space_on_device);
        return true;
    }

    sj::filesystem_store inner_;
};

static_assert(sj::job_store<failing_store>);

// ---- the service over HTTP, in this process, on a thread of its own

template <class Store = sj::filesystem_store>
struct live_service
{
    using service_type = sj::basic_job_service<sj::beast_router, sj::posix_process, Store>;

    // `change` adjusts the settings and the router options.
    template <class Change>
    live_service(fs::path data_dir, Change change)
        : data(std::move(data_dir)), processes(io.get_executor()), store(data, log.sink()),
          router(io, router_options(change)),
          service(io.get_executor(), router, processes, store, engine_settings(change))
    {
        service.on_final([this](const sj::job_record& record) {
            std::lock_guard lock(finals_mutex);
            finals[record.id].push_back(record);
            finals_changed.notify_all();
        });
        sj::error_code ec;
        service.open(ec);
        BOOST_REQUIRE_MESSAGE(!ec, "open: " << ec.message());
        router.listen(ec);
        BOOST_REQUIRE_MESSAGE(!ec, "listen: " << ec.message());
        port = router.local_endpoint().port();
        runner = std::thread([this] { io.run(); });
    }

    explicit live_service(fs::path data_dir)
        : live_service(std::move(data_dir), [](sj::settings&, sj::beast_router_options&) {})
    {}

    ~live_service()
    {
        std::promise<void> closed;
        router.stop();
        service.close([&] { closed.set_value(); });
        closed.get_future().wait_for(20s);
        work.reset();
        io.stop();
        runner.join();
    }

    template <class Change>
    sj::beast_router_options router_options(Change change)
    {
        sj::beast_router_options options;
        options.port = 0;
        options.log = log.sink();
        sj::settings ignored;
        change(ignored, options);
        return options;
    }

    template <class Change>
    sj::settings engine_settings(Change change)
    {
        sj::settings config;
        config.data_dir = data;
        config.tools_dir = SCOPEJOBS_DEMO_TOOLS;
        config.environment = {"DEMO_STEPS=2", "DEMO_STEP_SECONDS=0.01"};
        config.write_interval = 50ms;
        config.stop_grace = 200ms;
        config.inactivity_timeout = 0ms;
        config.log = log.sink();
        sj::beast_router_options ignored;
        change(config, ignored);
        return config;
    }

    // Starts the test tool with `args` as a job of `dataset`.
    std::string start(std::vector<std::string> args, std::string dataset = "ds")
    {
        args.insert(args.begin(), SCOPEJOBS_TEST_TOOL);
        sj::error_code ec;
        auto id = service.start(std::move(dataset), std::move(args), ec);
        BOOST_REQUIRE_MESSAGE(!ec, "start: " << ec.message());
        return id;
    }

    // The final record of job `id` as the runner reported it, within a bound.
    sj::job_record final_record(const std::string& id, std::chrono::seconds bound = 30s)
    {
        std::unique_lock lock(finals_mutex);
        bool ended = finals_changed.wait_for(lock, bound, [&] { return finals.contains(id); });
        BOOST_REQUIRE_MESSAGE(ended, "job " << id << " did not end");
        return finals.at(id).front();
    }

    // The record as a client reads it, over HTTP.
    json::object fetched(const std::string& id, const std::string& dataset = "ds")
    {
        auto r = sj::testing::http_get(port, "/api/jobs/job?dataset=" + dataset + "&job_id=" + id);
        BOOST_REQUIRE_MESSAGE(r.status == 200u, r.status << " " << r.body);
        return json::parse(r.body).as_object();
    }

    json::array all(const std::string& dataset = "ds")
    {
        auto r = sj::testing::http_get(port, "/api/jobs/all?dataset=" + dataset);
        BOOST_REQUIRE_MESSAGE(r.status == 200u, r.status << " " << r.body);
        return json::parse(r.body).as_array();
    }

    bool answers() { return sj::testing::http_get(port, "/api/jobs/health").status == 200u; }

    fs::path jobs(const std::string& dataset = "ds") const { return data / dataset / "jobs"; }

    fs::path data;
    collected_log log;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    sj::posix_process processes;
    Store store;
    sj::beast_router router;
    service_type service;
    std::thread runner;
    unsigned short port = 0;

    std::mutex finals_mutex; // guards finals
    std::condition_variable finals_changed;
    std::map<std::string, std::vector<sj::job_record>> finals;
};

// A tmpfs of `size` on a fresh folder, unmounted at the end; `mounted` is
// false where mounting is refused.
struct small_file_system
{
    explicit small_file_system(const char* size)
    {
        mounted = ::mount("tmpfs", folder.path.c_str(), "tmpfs", 0, size) == 0;
        if (!mounted)
            refusal = std::strerror(errno);
    }

    ~small_file_system()
    {
        if (mounted)
            ::umount2(folder.path.c_str(), MNT_DETACH);
    }

    // Writes a file until the file system is full.
    void fill(const fs::path& file)
    {
        std::ofstream out(file, std::ios::binary);
        std::string chunk(64 * 1024, 'f');
        while (out.write(chunk.data(), std::streamsize(chunk.size())))
            out.flush();
    }

    temporary_folder folder{"scopejobs-tmpfs"};
    bool mounted = false;
    std::string refusal;
};

// The store goes away mid-job and comes back: the failure is logged once,
// the server answers throughout, and the final record is written.
template <class Store, class Fail, class Recover>
void survive_an_outage(live_service<Store>& s, Fail fail, Recover recover)
{
    temporary_folder gates("scopejobs-gates");
    auto first = (gates.path / "first").string(), second = (gates.path / "second").string();
    auto id = s.start({"print", "before", "wait-file", first, "lines", "50", "20", "wait-file",
                       second, "print", "after", "exit", "3"});
    BOOST_REQUIRE(eventually([&] {
        auto progress = s.fetched(id).at("progress").as_array();
        return !progress.empty() && progress.back().as_string() == "before";
    }));

    // the outage: the tool prints while nothing can be written
    fail();
    touch(first);
    BOOST_REQUIRE(eventually([&] {
        for (std::size_t i = 0; i < s.log.size(); ++i)
            if (s.log.text(i).find(id.substr(0, 8)) != std::string::npos &&
                s.log.text(i).find("cannot") != std::string::npos)
                return true;
        return false;
    }));
    BOOST_TEST(s.answers());
    BOOST_TEST(s.fetched(id).at("status").as_string() == "running"); // the last good write
    BOOST_TEST(s.all().size() == 1u);

    // the store is back before the tool ends
    recover();
    touch(second);
    s.final_record(id);
    auto record = s.fetched(id);
    BOOST_TEST(record.at("status").as_string() == "error");
    BOOST_TEST(record.at("exit_code").as_int64() == 3);
    BOOST_TEST(record.at("progress").as_array().size() == 52u);
    BOOST_TEST(record.at("progress").as_array().back().as_string() == "after");

    // one line for the outage, whatever the number of lines lost
    std::size_t reports = 0;
    for (std::size_t i = 0; i < s.log.size(); ++i)
        reports += s.log.text(i).find(id.substr(0, 8)) != std::string::npos &&
                   s.log.text(i).find("cannot") != std::string::npos;
    BOOST_TEST(reports == 1u);
    BOOST_TEST(temporary_files(s.jobs()).empty());

    // and the next job runs as if nothing happened
    auto next = s.start({"print", "fine"});
    BOOST_TEST((s.final_record(next).status == sj::job_status::completed));
    BOOST_TEST(s.fetched(next).at("status").as_string() == "completed");
}

// One request with a bound on the wait for its answer: 0 when none came.
sj::testing::reply timed_get(unsigned short port, const std::string& target,
                             std::chrono::seconds bound = 15s)
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(fd >= 0);
    timeval limit{static_cast<time_t>(bound.count()), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sj::testing::reply out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return out;
    }
    std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);

    std::string text;
    char buffer[4096];
    for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        text.append(buffer, std::size_t(got));
    ::close(fd);
    if (text.size() > 12)
        out.status = unsigned(std::stoi(text.substr(9, 3)));
    if (auto end = text.find("\r\n\r\n"); end != std::string::npos)
        out.body = text.substr(end + 4);
    return out;
}

// A raw client socket, non-blocking once connected.
struct raw_client
{
    explicit raw_client(unsigned short port)
    {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;
    ~raw_client() { ::close(fd); }

    void send(std::string_view text) { ::send(fd, text.data(), text.size(), MSG_NOSIGNAL); }

    // True once the server has closed its end (an end of file or a reset).
    bool closed()
    {
        char buffer[4096];
        for (;;) {
            ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got > 0)
                continue;
            return got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        }
    }

    int fd = -1;
};

std::string multipart_head(unsigned short port, std::size_t body_size)
{
    return "POST /api/jobs/ingest HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: " +
           std::to_string(body_size) + "\r\n\r\n";
}

std::string multipart_body(const std::string& content)
{
    return "--XyZ\r\nContent-Disposition: form-data; name=\"dataset\"\r\n\r\nds\r\n"
           "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rows.csv\"\r\n"
           "Content-Type: text/csv\r\n\r\n" +
           content + "\r\n--XyZ--\r\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(faults)

// ---- the store cannot write

BOOST_AUTO_TEST_CASE(an_injected_store_failure_mid_job_is_logged_once_and_the_job_recorded)
{
    temporary_folder data;
    live_service<failing_store> s(data.path);
    survive_an_outage(
        s, [&] { s.store.failing = true; }, [&] { s.store.failing = false; });
    BOOST_TEST(s.store.refused > 0u);
}

BOOST_AUTO_TEST_CASE(a_full_file_system_mid_job_is_logged_once_and_the_job_recorded)
{
    small_file_system disk("size=2m");
    if (!disk.mounted) {
        BOOST_TEST_MESSAGE("skipped: cannot mount a tmpfs here: " << disk.refusal);
        return;
    }
    live_service<> s(disk.folder.path);
    auto filler = disk.folder.path / "filler";
    survive_an_outage(
        s, [&] { disk.fill(filler); }, [&] { fs::remove(filler); });
}

BOOST_AUTO_TEST_CASE(a_file_where_the_jobs_folder_should_be_is_a_500_and_others_go_on)
{
    temporary_folder data;
    fs::create_directories(data.path / "ds");
    std::ofstream(data.path / "ds" / "jobs") << "not a folder\n";
    live_service<> s(data.path);
    const std::string embed = "embed?text_column=t&model_id=m&prefix=&batch_size=1&dataset=";

    auto refused = sj::testing::http_get(s.port, "/api/jobs/" + embed + "ds");
    BOOST_TEST(refused.status == 500u);
    BOOST_TEST(json::parse(refused.body).at("error").as_string() == "Not a directory");
    BOOST_TEST(lines_naming(s.log, "cannot write its record: Not a directory") == 1u);
    BOOST_TEST(s.all("ds").empty());
    BOOST_TEST(s.service.runner().running() == 0u);

    // another dataset is unaffected, and so is this one once the file goes
    auto other = sj::testing::job_id_of(sj::testing::http_get(s.port, "/api/jobs/" + embed + "x"));
    BOOST_TEST((s.final_record(other).status == sj::job_status::completed));
    fs::remove(data.path / "ds" / "jobs");
    auto again = sj::testing::job_id_of(sj::testing::http_get(s.port, "/api/jobs/" + embed + "ds"));
    BOOST_TEST((s.final_record(again).status == sj::job_status::completed));
    BOOST_TEST(s.all("ds").size() == 1u);
}

// ---- tools that misbehave

BOOST_AUTO_TEST_CASE(an_endless_line_and_a_flood_stay_bounded_while_the_server_answers)
{
    temporary_folder data;
    live_service<> s(data.path);
    constexpr std::size_t bytes = 4'000'000, lines = 100'000;
    auto endless = s.start({"endless", std::to_string(bytes)});
    auto flood = s.start({"lines", std::to_string(lines), "60"});

    // the server answers while both stream
    auto slowest = 0ms;
    while (s.service.runner().running() != 0) {
        auto begin = std::chrono::steady_clock::now();
        BOOST_REQUIRE(s.answers());
        slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - begin));
    }
    BOOST_TEST((slowest < 5000ms));

    // the endless line: pieces of at most the line bound, every byte kept
    auto line = s.final_record(endless);
    std::size_t total = 0;
    for (const auto& piece : line.progress) {
        BOOST_TEST(piece.size() <= 65536u);
        total += piece.size();
    }
    BOOST_TEST(total == bytes);
    BOOST_TEST(fs::file_size(s.jobs() / (endless + ".log")) == bytes + line.progress.size());

    // the flood: a capped record, a whole log, writes throttled
    auto flooded = s.fetched(flood);
    BOOST_TEST(flooded.at("status").as_string() == "completed");
    BOOST_TEST(flooded.at("progress").as_array().size() == 500u);
    auto newest = std::string(flooded.at("progress").as_array().back().as_string());
    BOOST_TEST(newest.starts_with("line 100000 "));
    BOOST_TEST(fs::file_size(s.jobs() / (flood + ".log")) == lines * 61);
    BOOST_TEST(s.service.runner().counters().record_writes < 1000u);
}

BOOST_AUTO_TEST_CASE(a_tool_that_closes_its_output_is_still_awaited_and_timed_out_when_silent)
{
    temporary_folder data;
    live_service<> s(data.path, [](sj::settings& c, sj::beast_router_options&) {
        c.inactivity_timeout = 400ms;
    });
    auto exits = s.start({"print", "before", "close-output", "sleep", "0.2", "exit", "4"});
    auto lingers = s.start({"close-output", "sleep", "30"});

    // the exit after the end of output decides, not the end of output
    auto exited = s.final_record(exits);
    BOOST_TEST((exited.status == sj::job_status::error));
    BOOST_TEST((exited.exit_code == 4));

    // silent with its output closed: the inactivity timeout still applies
    auto stopped = s.final_record(lingers);
    BOOST_TEST((stopped.status == sj::job_status::error));
    BOOST_TEST(stopped.progress.back() == "Timeout: No output for more than 0.4 seconds.");
    BOOST_TEST(eventually([&] { return sj::testing::gone(stopped.pid.value_or(0)); }));
    BOOST_TEST(s.fetched(lingers).at("status").as_string() == "error");
}

BOOST_AUTO_TEST_CASE(an_exit_racing_a_kill_ends_in_one_final_state_every_time)
{
    temporary_folder data;
    live_service<> s(data.path);
    constexpr int rounds = 200;
    std::vector<std::string> ids;
    for (int round = 0; round < rounds; ++round) {
        // the kill comes before, during or after the start and the exit
        auto id = s.start(round % 2 ? std::vector<std::string>{"exit", "0"}
                                    : std::vector<std::string>{"print", "x"});
        if (round % 4 == 3)
            std::this_thread::yield();
        sj::error_code ec;
        auto answer = s.service.kill("ds", id, ec);
        BOOST_REQUIRE(!ec);
        BOOST_REQUIRE(answer.has_value());
        ids.push_back(id);

        auto final_record = s.final_record(id);
        if (answer->status == sj::job_status::dead)
            BOOST_TEST((final_record.status == sj::job_status::dead));
        BOOST_TEST((final_record.status == sj::job_status::dead ||
                    final_record.status == sj::job_status::completed));
        BOOST_TEST((final_record.cause_of_death == "killed") ==
                   (final_record.status == sj::job_status::dead));
    }

    // one final state each, recorded as the runner reported it
    BOOST_TEST(s.service.runner().running() == 0u);
    auto all = s.all();
    BOOST_TEST(all.size() == std::size_t(rounds));
    std::lock_guard lock(s.finals_mutex);
    for (const auto& id : ids) {
        BOOST_TEST(s.finals.at(id).size() == 1u);
        sj::error_code ec;
        auto stored = s.store.read("ds", id, ec);
        BOOST_REQUIRE(stored.has_value());
        BOOST_TEST((stored->status == s.finals.at(id).front().status));
        BOOST_TEST((stored->cause_of_death == s.finals.at(id).front().cause_of_death));
    }
}

// ---- clients that stall

BOOST_AUTO_TEST_CASE(stalled_clients_are_cut_at_the_deadlines_without_a_thread_or_a_job)
{
    temporary_folder data;
    live_service<> s(data.path, [](sj::settings&, sj::beast_router_options& http) {
        http.header_timeout = 300ms;
        http.body_idle_timeout = 300ms;
    });
    BOOST_REQUIRE(s.answers());
    auto threads = thread_count();

    // ten clients trickle their headers, ten stop in the middle of a body
    std::vector<std::unique_ptr<raw_client>> trickling, stalled;
    for (int i = 0; i < 10; ++i) {
        trickling.push_back(std::make_unique<raw_client>(s.port));
        trickling.back()->send("GET /api/jobs/all?dataset=ds HTTP/1.1\r\nX-Slow: ");
        auto body = multipart_body(std::string(100000, 'r'));
        stalled.push_back(std::make_unique<raw_client>(s.port));
        stalled.back()->send(multipart_head(s.port, body.size()) + body.substr(0, body.size() / 2));
    }

    // the tricklers keep sending: the header deadline cuts them anyway
    auto begin = std::chrono::steady_clock::now();
    std::set<raw_client*> open;
    for (auto& c : trickling)
        open.insert(c.get());
    for (auto& c : stalled)
        open.insert(c.get());
    while (!open.empty() && std::chrono::steady_clock::now() - begin < 10s) {
        for (auto& c : trickling)
            if (open.contains(c.get()))
                c->send("x");
        std::erase_if(open, [](raw_client* c) { return c->closed(); });
        BOOST_TEST(thread_count() == threads);
        std::this_thread::sleep_for(20ms); // the pace of a slow client
    }
    BOOST_TEST(open.empty());
    BOOST_TEST((std::chrono::steady_clock::now() - begin >= 250ms));

    // nothing was started, nothing is held, and the server answers
    BOOST_TEST(s.answers());
    BOOST_TEST(!fs::exists(s.jobs()));
    BOOST_TEST(s.service.runner().running() == 0u);
    BOOST_TEST(eventually([&] { return s.router.connections() == 0; }));
    BOOST_TEST(eventually([&] { return count_entries(data.path / ".scopejobs-uploads") == 0; }));
    BOOST_TEST(thread_count() == threads);

    // a large upload that keeps coming slowly outlasts both timeouts
    auto body = multipart_body(std::string(40000, 'r'));
    raw_client slow(s.port);
    slow.send(multipart_head(s.port, body.size()));
    for (std::size_t sent = 0; sent < body.size(); sent += 2000) {
        std::this_thread::sleep_for(50ms); // the pace of a slow client
        slow.send(std::string_view(body).substr(sent, 2000));
    }
    std::string answer;
    BOOST_REQUIRE(eventually([&] {
        char buffer[4096];
        for (ssize_t got; (got = ::recv(slow.fd, buffer, sizeof buffer, 0)) > 0;)
            answer.append(buffer, std::size_t(got));
        return answer.find("job_id") != std::string::npos;
    }));
    BOOST_TEST(answer.starts_with("HTTP/1.1 200"));
    auto id = std::string(
        json::parse(answer.substr(answer.find("\r\n\r\n") + 4)).at("job_id").as_string());
    BOOST_TEST((s.final_record(id).status == sj::job_status::completed));
}

// ---- corrupt records

BOOST_AUTO_TEST_CASE(a_thousand_records_some_corrupt_list_the_good_ones_and_log_each_bad_once)
{
    temporary_folder data;
    auto jobs = data.path / "ds" / "jobs";
    fs::create_directories(jobs);
    std::set<std::string> good;
    std::vector<std::string> bad;
    for (int i = 0; i < 1000; ++i) {
        sj::job_record record;
        record.id = sj::detail::random_uuid();
        record.dataset = "ds";
        record.job_name = "embed";
        record.command = "ls-embed ds";
        record.status = sj::job_status::completed;
        record.last_update = "2026-02-15 15:32:38";
        auto text = sj::job_to_text(record);
        if (i % 100 == 10)
            text = text.substr(0, text.size() / 2); // truncated
        else if (i % 100 == 20)
            text.clear(); // empty
        else if (i % 100 == 30)
            text = "ls-embed ds: not json at all\n";
        else
            good.insert(record.id);
        if (!good.contains(record.id))
            bad.push_back(record.id + ".json");
        std::ofstream(jobs / (record.id + ".json"), std::ios::binary) << text;
    }
    BOOST_REQUIRE(good.size() == 970u);

    live_service<> s(data.path);
    for (int poll = 0; poll < 3; ++poll) {
        auto all = s.all();
        BOOST_TEST(all.size() == good.size());
        std::set<std::string> listed;
        for (const auto& record : all)
            listed.insert(std::string(record.at("id").as_string()));
        BOOST_TEST((listed == good));
    }
    for (const auto& name : bad)
        BOOST_TEST(lines_naming(s.log, name) == 1u, name);
    BOOST_TEST(s.answers());
}

#ifdef SCOPEJOBS_SERVER

// ---- the server program under faults

BOOST_AUTO_TEST_CASE(a_server_killed_mid_job_restarts_with_orphans_in_error_and_records_intact)
{
    using namespace sj::testing;
    data_folder data;
    auto jobs = data.path / "ds" / "jobs";
    const std::string embed = "/api/jobs/embed?dataset=ds&text_column=t&model_id=m&prefix=&"
                              "batch_size=1";

    // two finished jobs, whose records must come through untouched
    std::map<std::string, std::string> finished;
    {
        server_process s(data.path, {}, {"DEMO_STEPS=2", "DEMO_STEP_SECONDS=0.01"});
        auto port = s.listen_port();
        for (int i = 0; i < 2; ++i) {
            auto id = job_id_of(http_get(port, embed));
            wait_final(port, "ds", id);
            finished[id] = slurp(jobs / (id + ".json"));
        }
        ::kill(s.pid, SIGTERM);
        BOOST_REQUIRE(WIFEXITED(s.wait()));
    }

    // three jobs streaming when the server is killed
    std::vector<std::string> orphans;
    {
        server_process s(data.path, {}, {"DEMO_STEPS=100000", "DEMO_STEP_SECONDS=0.02"});
        auto port = s.listen_port();
        for (int i = 0; i < 3; ++i)
            orphans.push_back(job_id_of(http_get(
                port, "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=2")));
        for (const auto& id : orphans)
            BOOST_REQUIRE(eventually([&] {
                auto record =
                    json::parse(http_get(port, "/api/jobs/job?dataset=ds&job_id=" + id).body)
                        .as_object();
                return record.contains("pid") && record.at("progress").as_array().size() >= 2;
            }));
        // a write the crash cut short leaves a hidden temporary file
        std::ofstream(jobs / ("." + orphans[0] + ".0badf00d.tmp")) << R"({"id": ")";
        ::kill(s.pid, SIGKILL);
        s.wait();
    }

    server_process restarted(data.path, {}, {"DEMO_STEPS=2", "DEMO_STEP_SECONDS=0.01"});
    auto port = restarted.listen_port();
    for (const auto& id : orphans) {
        auto record = wait_final(port, "ds", id);
        BOOST_TEST(record.at("status").as_string() == "error");
        auto last = std::string(record.at("progress").as_array().back().as_string());
        BOOST_TEST(last.starts_with("server restarted while job was running; "), last);
        BOOST_TEST(eventually([&] { return gone(record.at("pid").as_int64()); }));
    }
    for (const auto& [id, text] : finished)
        BOOST_TEST(slurp(jobs / (id + ".json")) == text);

    // the listing holds the five jobs and nothing else; so does the folder
    auto all = json::parse(http_get(port, "/api/jobs/all?dataset=ds").body).as_array();
    std::set<std::string> listed, expected(orphans.begin(), orphans.end());
    for (const auto& record : all)
        listed.insert(std::string(record.at("id").as_string()));
    for (const auto& [id, text] : finished)
        expected.insert(id);
    BOOST_TEST((listed == expected));
    std::regex temporary(R"(\.([0-9a-f-]{36})\.[0-9a-f]{8}\.tmp)");
    for (const auto& entry : fs::directory_iterator(jobs)) {
        auto name = entry.path().filename().string();
        std::smatch parts;
        auto stem = entry.path().stem().string();
        bool known = (name.ends_with(".json") || name.ends_with(".log")) && expected.contains(stem);
        bool hidden = std::regex_match(name, parts, temporary) && expected.contains(parts[1].str());
        BOOST_TEST((known || hidden), name);
    }
}

BOOST_AUTO_TEST_CASE(a_file_size_limit_fails_writes_logged_once_and_the_server_serves_on)
{
    using namespace sj::testing;
    data_folder data;
    temporary_folder tools("scopejobs-tools");
    temporary_folder logs("scopejobs-logs");
    auto errors = (logs.path / "stderr").string();

    // a tool that prints more than a file may hold, then writes such a file
    auto tool = tools.path / "ls-sae";
    std::ofstream(tool) << "#!/bin/sh\n"
                           "i=0\n"
                           "while [ $i -lt 6000 ]; do echo \"line $i\"; i=$((i + 1)); done\n"
                           "head -c 100000 /dev/zero > \"$LATENT_SCOPE_DATA/$1/big.bin\"\n";
    fs::permissions(tool, fs::perms::owner_all);

    server_process s(data.path, {"--tools-dir", tools.path.string(), "--log-level", "warning"}, {},
                     errors);
    auto port = s.listen_port();
    constexpr rlim_t file_limit = 48 * 1024;
    s.limit(RLIMIT_FSIZE, file_limit);

    auto id = job_id_of(
        http_get(port, "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=2"));
    auto record = wait_final(port, "ds", id);

    // the tool died of its own file; the record says so, whole
    BOOST_TEST(record.at("status").as_string() == "error");
    BOOST_TEST(record.at("exit_code").as_int64() == 128 + SIGXFSZ);
    auto progress = record.at("progress").as_array();
    BOOST_TEST(
        (std::find(progress.begin(), progress.end(), json::value("line 5999")) != progress.end()));

    // the log outgrew the limit: one line says so, and the server lives on
    BOOST_TEST(lines_naming(errors, id.substr(0, 8) + " sae: cannot append to its log: File too "
                                                      "large") == 1u);
    BOOST_TEST(lines_naming(errors, "cannot") == 1u);
    BOOST_TEST(fs::file_size(data.path / "ds" / "jobs" / (id + ".log")) <= file_limit);
    BOOST_TEST(http_get(port, "/api/jobs/health").status == 200u);
    BOOST_TEST(json::parse(http_get(port, "/api/jobs/all?dataset=ds").body).as_array().size() ==
               1u);
    BOOST_TEST(temporary_files(data.path / "ds" / "jobs").empty());
    BOOST_TEST(::kill(s.pid, 0) == 0);
}

BOOST_AUTO_TEST_CASE(descriptors_run_out_with_clear_errors_no_leak_and_recovery)
{
    using namespace sj::testing;
    data_folder data;
    server_process s(data.path, {}, {"DEMO_STEPS=10", "DEMO_STEP_SECONDS=0.1"});
    auto port = s.listen_port();
    auto fds = "/proc/" + std::to_string(s.pid) + "/fd";
    BOOST_REQUIRE(http_get(port, "/api/jobs/health").status == 200u);
    auto idle = count_entries(fds);
    s.limit(RLIMIT_NOFILE, idle + 6);

    // start jobs until descriptors run out
    const std::string sae = "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=2";
    std::vector<std::string> started;
    std::size_t refused = 0;
    for (int i = 0; i < 8; ++i) {
        auto r = timed_get(port, sae);
        BOOST_REQUIRE_MESSAGE(r.status == 200u || r.status == 500u, r.status << " " << r.body);
        if (r.status == 200u) {
            started.push_back(std::string(json::parse(r.body).at("job_id").as_string()));
            continue;
        }
        BOOST_TEST(json::parse(r.body).at("error").as_string() == "Too many open files");
        ++refused;
    }

    // each started job ends: completed, or an error that names the cause
    std::size_t failed_to_start = 0;
    for (const auto& id : started) {
        json::object record;
        BOOST_REQUIRE(eventually([&] {
            auto r = timed_get(port, "/api/jobs/job?dataset=ds&job_id=" + id);
            if (r.status != 200u)
                return false;
            record = json::parse(r.body).as_object();
            return record.at("status").as_string() != "running";
        }));
        if (record.at("status").as_string() == "completed")
            continue;
        auto last = std::string(record.at("progress").as_array().back().as_string());
        BOOST_TEST(last.find("Failed to start process: ") == 0u, last);
        BOOST_TEST(last.find("Too many open files") != std::string::npos, last);
        ++failed_to_start;
    }
    BOOST_TEST_MESSAGE(refused << " refused, " << failed_to_start << " failed to start, "
                               << started.size() - failed_to_start << " ran");
    BOOST_TEST(refused + failed_to_start > 0u);

    // no descriptor is left behind, and the server works as before
    BOOST_TEST(eventually([&] { return count_entries(fds) <= idle; }));
    auto id = job_id_of(http_get(port, sae));
    BOOST_TEST(wait_final(port, "ds", id).at("status").as_string() == "completed");
}

#endif

BOOST_AUTO_TEST_SUITE_END()
