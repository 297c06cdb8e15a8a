// Drives a real scopejobs-server on loopback as a client would, with the
// tools of this folder standing in for the pipeline tools, and prints one
// table of figures, each beside a baseline measured in the same run. Run
// through `tests/bench/run` (see docs/benchmarks.md):
//
//     scopejobs-bench-server [--runs N] [--repeats N] [--seconds S] [--jobs N]
//                            [--only SECTION,...] [--keep DIR]
//
// Sections: start, stream, poll, all, many. The server's record renames
// are counted with inotify on the jobs folders; its CPU time is the sum
// over its threads of /proc/PID/task/TID/schedstat; its write calls come
// from /proc/PID/io.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// ---- small helpers

double ms_between(steady::time_point from, steady::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

double percentile(std::vector<double> values, double fraction)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    auto index = std::size_t(fraction * double(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

double median(std::vector<double> values)
{
    return percentile(std::move(values), 0.5);
}

// The server's pid while it runs, so that a failure does not leave it behind.
std::atomic<pid_t> running_server{0};

[[noreturn]] void fail(const std::string& what)
{
    std::fprintf(stderr, "scopejobs-bench-server: %s\n", what.c_str());
    if (pid_t pid = running_server.exchange(0); pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    std::exit(1);
}

void note(const std::string& what)
{
    std::fprintf(stderr, "  %s\n", what.c_str());
}

std::string read_whole(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Runs argv to its end with its stdout into `out_path` (or a pipe read
// into `captured`); answers the wall time in ms.
double run_program(const std::vector<std::string>& argv, const char* out_path,
                   std::string* captured = nullptr)
{
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    int pipe_fds[2] = {-1, -1};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (captured) {
        if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
            fail("pipe failed");
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, out_path, O_WRONLY, 0);
    }

    auto start = steady::now();
    pid_t pid = 0;
    if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) != 0)
        fail("cannot run " + argv[0]);
    posix_spawn_file_actions_destroy(&actions);
    if (captured) {
        ::close(pipe_fds[1]);
        char chunk[4096];
        ssize_t n;
        while ((n = ::read(pipe_fds[0], chunk, sizeof chunk)) > 0)
            captured->append(chunk, std::size_t(n));
        ::close(pipe_fds[0]);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return ms_between(start, steady::now());
}

// ---- what /proc says of the server

struct proc_figures
{
    double cpu_ms = 0;             // all threads, user and system
    std::uint64_t write_calls = 0; // syscw
};

proc_figures proc_of(pid_t pid)
{
    proc_figures out;
    fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(tasks, ec)) {
        std::ifstream in(task.path() / "schedstat");
        std::uint64_t on_cpu_ns = 0;
        if (in >> on_cpu_ns)
            out.cpu_ms += double(on_cpu_ns) / 1e6;
    }
    std::ifstream io("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    std::uint64_t value = 0;
    while (io >> key >> value)
        if (key == "syscw:")
            out.write_calls = value;
    return out;
}

// A field of /proc/PID/status, as a number (kB for the sizes).
long status_field(pid_t pid, std::string_view name)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ':')
            return std::strtol(line.c_str() + name.size() + 1, nullptr, 10);
    return -1;
}

// ---- the server, as a child process

class server_process
{
public:
    server_process(const std::string& program, const fs::path& data, const fs::path& tools,
                   const fs::path& log)
    {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0)
            fail("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        std::vector<std::string> argv = {program,       "--data-dir", data.string(), "--port", "0",
                                         "--tools-dir", tools,        "--log-level", "warning"};
        std::vector<char*> args;
        for (auto& arg : argv)
            args.push_back(arg.data());
        args.push_back(nullptr);
        if (posix_spawn(&pid_, program.c_str(), &actions, nullptr, args.data(), environ) != 0)
            fail("cannot start " + program);
        running_server = pid_;
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);

        // `listening on http://127.0.0.1:PORT`
        std::string line;
        char c;
        while (line.find('\n') == std::string::npos && ::read(out[0], &c, 1) == 1)
            line += c;
        ::close(out[0]);
        auto colon = line.rfind(':');
        if (!line.starts_with("listening on") || colon == std::string::npos)
            fail("the server did not start; see " + log.string());
        port_ = std::uint16_t(std::atoi(line.c_str() + colon + 1));
    }

    ~server_process()
    {
        running_server = 0;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }

    pid_t pid() const { return pid_; }
    std::uint16_t port() const { return port_; }

private:
    pid_t pid_ = 0;
    std::uint16_t port_ = 0;
};

// ---- a keep-alive HTTP/1.1 client on plain sockets

struct reply
{
    unsigned status = 0;
    std::string body;
};

class http_client
{
public:
    explicit http_client(std::uint16_t port) : port_(port) { connect(); }
    ~http_client() { ::close(fd_); }

    reply get(const std::string& target)
    {
        std::string request =
            "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n\r\n";

        // a connection the server closed while it idled is opened again
        std::size_t end = std::string::npos;
        for (int attempt = 0;; ++attempt) {
            bool sent = ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
                        ssize_t(request.size());
            while (sent && (end = buffer_.find("\r\n\r\n")) == std::string::npos && fill())
                ;
            if (sent && end != std::string::npos)
                break;
            if (attempt > 0 || !buffer_.empty())
                fail("the server closed the connection");
            ::close(fd_);
            connect();
        }

        // the head, then as many body bytes as Content-Length says
        reply out;
        out.status = unsigned(std::atoi(buffer_.c_str() + 9));
        std::size_t length = 0;
        std::string head = buffer_.substr(0, end);
        for (auto& c : head)
            c = char(std::tolower(static_cast<unsigned char>(c)));
        if (auto at = head.find("\r\ncontent-length:"); at != std::string::npos)
            length = std::strtoul(head.c_str() + at + 17, nullptr, 10);
        // the body straight into its string, past what the head's read brought
        std::size_t have = std::min(buffer_.size() - end - 4, length);
        out.body.resize(length);
        buffer_.copy(out.body.data(), have, end + 4);
        buffer_.erase(0, end + 4 + have);
        while (have < length) {
            ssize_t n = ::recv(fd_, out.body.data() + have, length - have, 0);
            if (n <= 0)
                fail("the server closed the connection");
            have += std::size_t(n);
        }
        return out;
    }

private:
    void connect()
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port_);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            fail("cannot connect to the server");
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }

    // false when the server has closed the connection
    bool fill()
    {
        char chunk[1 << 16];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0)
            return false;
        buffer_.append(chunk, std::size_t(n));
        return true;
    }

    std::uint16_t port_;
    int fd_ = -1;
    std::string buffer_;
};

std::string job_id_of(const reply& r)
{
    boost::system::error_code ec;
    auto value = json::parse(r.body, ec);
    if (r.status != 200 || ec || !value.is_object() || !value.as_object().contains("job_id"))
        fail("the server refused a job: " + std::to_string(r.status) + " " + r.body);
    return std::string(value.at("job_id").as_string());
}

// ---- the record files, watched

// What inotify saw of one record file: when it first appeared, how many
// times it was renamed into place, and when it first held a final status.
struct record_events
{
    steady::time_point first{}, final_at{};
    std::uint64_t renames = 0;
    std::string status;
};

class record_watch
{
public:
    explicit record_watch(const std::vector<fs::path>& folders)
    {
        fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd_ < 0 || ::pipe2(wake_, O_CLOEXEC) != 0)
            fail("inotify is not available");
        for (const auto& folder : folders) {
            int wd = ::inotify_add_watch(fd_, folder.c_str(), IN_MOVED_TO);
            if (wd < 0)
                fail("cannot watch " + folder.string());
            folders_[wd] = folder;
        }
        thread_ = std::thread([this] { loop(); });
    }

    ~record_watch()
    {
        char c = 0;
        (void)!::write(wake_[1], &c, 1);
        thread_.join();
        ::close(fd_);
        ::close(wake_[0]);
        ::close(wake_[1]);
    }

    // The events of `id` once its record is final, or nothing after `bound`.
    std::optional<record_events> wait_final(const std::string& id, std::chrono::seconds bound = 60s)
    {
        std::unique_lock lock(mutex_);
        auto name = id + ".json";
        bool final = changed_.wait_for(lock, bound, [&] {
            auto found = seen_.find(name);
            return found != seen_.end() && found->second.final_at != steady::time_point{};
        });
        if (!final)
            return std::nullopt;
        return seen_[name];
    }

    std::size_t finals() const
    {
        std::lock_guard lock(mutex_);
        return final_count_;
    }

private:
    void loop()
    {
        alignas(inotify_event) char events[1 << 16];
        for (;;) {
            pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0)
                continue;
            if (fds[1].revents)
                return;
            ssize_t n = ::read(fd_, events, sizeof events);
            auto now = steady::now();
            for (char* at = events; n > 0 && at < events + n;) {
                auto* event = reinterpret_cast<inotify_event*>(at);
                at += sizeof(inotify_event) + event->len;
                std::string_view name = event->len ? event->name : "";
                if (name.ends_with(".json"))
                    saw(folders_[event->wd], std::string(name), now);
            }
        }
    }

    void saw(const fs::path& folder, const std::string& name, steady::time_point now)
    {
        {
            std::lock_guard lock(mutex_);
            auto& events = seen_[name];
            if (events.renames++ == 0)
                events.first = now;
            if (events.final_at != steady::time_point{})
                return;
        }

        // a later rename may have replaced it already: then it is read then
        boost::system::error_code ec;
        auto value = json::parse(read_whole(folder / name), ec);
        if (ec || !value.is_object() || !value.as_object().contains("status"))
            return;
        std::string status(value.at("status").as_string());
        if (status == "running")
            return;
        std::lock_guard lock(mutex_);
        auto& events = seen_[name];
        if (events.final_at == steady::time_point{}) {
            events.final_at = now;
            events.status = status;
            ++final_count_;
            changed_.notify_all();
        }
    }

    int fd_ = -1;
    int wake_[2] = {-1, -1};
    std::map<int, fs::path> folders_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, record_events> seen_;
    std::size_t final_count_ = 0;
};

// ---- the table

struct row
{
    std::string figure, value, baseline, target;
    std::optional<bool> met;
};

std::vector<row> table;

void add(std::string figure, std::string value, std::string baseline = {}, std::string target = {},
         std::optional<bool> met = {})
{
    table.push_back(
        {std::move(figure), std::move(value), std::move(baseline), std::move(target), met});
    const auto& r = table.back();
    std::fprintf(stderr, "  %s: %s %s\n", r.figure.c_str(), r.value.c_str(), r.baseline.c_str());
}

std::string format(const char* pattern, auto... values)
{
    char text[256];
    std::snprintf(text, sizeof text, pattern, values...);
    return text;
}

std::string grouped(double value)
{
    auto digits = std::to_string(std::llround(value));
    for (int at = int(digits.size()) - 3; at > (digits[0] == '-' ? 1 : 0); at -= 3)
        digits.insert(std::size_t(at), ",");
    return digits;
}

void print_table()
{
    std::printf(
        "\n| figure | scopejobs | baseline | target | |\n| --- | ---: | --- | --- | --- |\n");
    for (const auto& r : table)
        std::printf("| %s | %s | %s | %s | %s |\n", r.figure.c_str(), r.value.c_str(),
                    r.baseline.c_str(), r.target.c_str(),
                    !r.met   ? ""
                    : *r.met ? "met"
                             : "MISSED");
}

// ---- the bench

struct options
{
    int runs = 200;
    int repeats = 3;
    int seconds = 10;
    int jobs = 1000;
    std::vector<std::string> only;
    fs::path keep;

    bool wants(std::string_view section) const
    {
        return only.empty() || std::find(only.begin(), only.end(), section) != only.end();
    }
};

class bench
{
public:
    bench(const options& opts, const fs::path& scratch)
        : opts_(opts), scratch_(scratch), data_(scratch / "data"),
          many_data_(scratch / "data-many"), tools_(scratch / "tools")
    {
        // the stand-ins: a route's tool name, linked to one of ours
        fs::create_directories(tools_);
        fs::create_symlink(SCOPEJOBS_BENCH_PRINTER, tools_ / "ls-embed-truncate");
        fs::create_symlink(SCOPEJOBS_BENCH_TICKER, tools_ / "ls-sae");
        std::vector<fs::path> folders;
        for (auto dataset : {"start", "stream", "poll", "pollstream"}) {
            folders.push_back(data_ / dataset / "jobs");
            fs::create_directories(folders.back());
        }
        folders.push_back(many_data_ / "many" / "jobs");
        fs::create_directories(folders.back());

        server_.emplace(SCOPEJOBS_BENCH_SERVER, data_, tools_, scratch / "server.log");
        watch_.emplace(folders);
        client_.emplace(server_->port());
        note("server pid " + std::to_string(server_->pid()) + " on port " +
             std::to_string(server_->port()));
    }

    void run()
    {
        measure_baselines();
        if (opts_.wants("start"))
            start_latency();
        if (opts_.wants("stream"))
            streaming();
        if (opts_.wants("poll"))
            polling();
        if (opts_.wants("all"))
            listing();
        if (opts_.wants("many"))
            many_jobs();
    }

private:
    // `lines` lines from the printer, as a job of `dataset`
    std::string start_printer(http_client& client, std::string_view dataset, long lines)
    {
        return job_id_of(client.get("/api/jobs/embed_truncate?dataset=" + std::string(dataset) +
                                    "&embedding_id=e&dimensions=" + std::to_string(lines)));
    }

    record_events wait_final(const std::string& id)
    {
        auto events = watch_->wait_final(id);
        if (!events)
            fail("job " + id + " did not end within a minute");
        if (events->status != "completed")
            fail("job " + id + " ended " + events->status);
        return *events;
    }

    void measure_baselines()
    {
        std::vector<double> spawns;
        for (int i = 0; i < opts_.runs; ++i)
            spawns.push_back(run_program({"/bin/true"}, "/dev/null"));
        spawn_ms_ = median(spawns);
    }

    double tool_alone_ms(long lines)
    {
        std::vector<double> runs;
        for (int i = 0; i < std::max(opts_.repeats, 3); ++i)
            runs.push_back(
                run_program({SCOPEJOBS_BENCH_PRINTER, std::to_string(lines)}, "/dev/null"));
        return median(runs);
    }

    // The write calls of the tool alone: a reaped child's I/O counts are
    // added to its parent's, so the server's include its tool's.
    double tool_write_calls(long lines)
    {
        auto before = proc_of(::getpid()).write_calls;
        run_program({SCOPEJOBS_BENCH_PRINTER, std::to_string(lines)}, "/dev/null");
        return double(proc_of(::getpid()).write_calls - before);
    }

    void start_latency()
    {
        note("start: " + std::to_string(opts_.runs) + " one-line jobs, one after the other");
        std::vector<double> response, on_disk, completed;
        for (int i = 0; i < opts_.runs; ++i) {
            auto sent = steady::now();
            auto id = start_printer(*client_, "start", 1);
            auto answered = steady::now();
            auto events = wait_final(id);
            response.push_back(ms_between(sent, answered));
            on_disk.push_back(ms_between(sent, events.first));
            completed.push_back(ms_between(sent, events.final_at));
        }
        double tool = tool_alone_ms(1);
        auto spawn = format("spawn of /bin/true %.3f ms", spawn_ms_);
        add("start: request to {\"job_id\"} response, p50", format("%.3f ms", median(response)),
            spawn, "< 1 ms", median(response) < 1);
        add("start: request to response, p99", format("%.3f ms", percentile(response, 0.99)));
        add("start: request to record on disk, p50", format("%.3f ms", median(on_disk)), spawn);
        add("start: request to `completed`, p50", format("%.3f ms", median(completed)),
            format("one-line tool alone %.3f ms", tool));
    }

    void streaming()
    {
        for (long lines : {1000L, 10000L, 100000L, 1000000L}) {
            note("stream: " + grouped(double(lines)) + " lines, " + std::to_string(opts_.repeats) +
                 " runs");
            std::vector<double> wall, cpu, renames, writes, record, log;
            bool logged_all = true;
            double tool_writes = tool_write_calls(lines);
            for (int i = 0; i < opts_.repeats; ++i) {
                auto before = proc_of(server_->pid());
                auto sent = steady::now();
                auto id = start_printer(*client_, "stream", lines);
                auto events = wait_final(id);
                auto after = proc_of(server_->pid());

                wall.push_back(ms_between(sent, events.final_at));
                cpu.push_back(after.cpu_ms - before.cpu_ms);
                renames.push_back(double(events.renames));
                writes.push_back(double(after.write_calls - before.write_calls) - tool_writes);
                auto jobs = data_ / "stream" / "jobs";
                record.push_back(double(fs::file_size(jobs / (id + ".json"))));
                log.push_back(double(fs::file_size(jobs / (id + ".log"))));
                logged_all = logged_all && log.back() == double(lines) * 80;
                fs::remove(jobs / (id + ".log"));
            }

            double tool = tool_alone_ms(lines);
            double job = median(wall), server = median(cpu);
            double budget = 100.0 * double(std::max(lines, 100000L)) / 1e5;
            auto name = grouped(double(lines)) + " lines";
            add("stream " + name + ": wall to `completed`", format("%.1f ms", job),
                format("tool alone %.1f ms", tool), "<= tool + 250 ms", job <= tool + 250);
            add("stream " + name + ": server CPU", format("%.1f ms", server),
                format("%.2f ms per 100k lines", server / double(lines) * 1e5),
                format("< %.0f ms", budget), server < budget);
            add("stream " + name + ": record renames, server write calls",
                format("%.0f, %.0f", median(renames), median(writes)),
                format("bound %.1f renames", job / 500 + 3), "writes batched",
                median(renames) <= job / 500 + 3 && median(writes) < double(lines) / 100 + 10);
            add("stream " + name + ": record, log bytes",
                grouped(median(record)) + ", " + grouped(median(log)),
                logged_all ? "every line in the log" : "LINES MISSING FROM THE LOG", "",
                logged_all);
            per_line_ns_.emplace_back(lines, server * 1e6 / double(lines));
        }
    }

    struct wrk_result
    {
        double requests_per_second = 0, p50_ms = 0, p99_ms = 0, cpu_us_per_request = 0;
        std::uint64_t ok = 0, other = 0, socket_errors = 0;
    };

    static double wrk_ms(std::string_view text)
    {
        double value = std::strtod(std::string(text).c_str(), nullptr);
        if (text.find("us") != std::string_view::npos)
            return value / 1000;
        if (text.find("ms") != std::string_view::npos)
            return value;
        return value * 1000; // seconds
    }

    wrk_result run_wrk(const std::string& target)
    {
        auto before = proc_of(server_->pid());
        std::string out;
        run_program({"wrk", "-t2", "-c16", "-d" + std::to_string(opts_.seconds) + "s", "--latency",
                     "-s", SCOPEJOBS_BENCH_WRK_SCRIPT,
                     "http://127.0.0.1:" + std::to_string(server_->port()) + target},
                    nullptr, &out);
        wrk_result result;
        std::istringstream lines(out);
        std::string line;
        while (std::getline(lines, line)) {
            std::istringstream words(line);
            std::string first, second;
            words >> first >> second;
            if (first == "Requests/sec:")
                result.requests_per_second = std::strtod(second.c_str(), nullptr);
            else if (first == "50%")
                result.p50_ms = wrk_ms(second);
            else if (first == "99%")
                result.p99_ms = wrk_ms(second);
            else if (first == "status") {
                std::uint64_t count = 0;
                words >> count;
                (second == "200" ? result.ok : result.other) += count;
            } else if (first == "errors") {
                std::uint64_t n = std::strtoull(second.c_str(), nullptr, 10), more = 0;
                while (words >> more)
                    n += more;
                result.socket_errors = n;
            }
        }
        if (result.requests_per_second == 0)
            fail("wrk gave no figures:\n" + out);
        auto requests = double(result.ok + result.other);
        result.cpu_us_per_request =
            (proc_of(server_->pid()).cpu_ms - before.cpu_ms) * 1000 / std::max(requests, 1.0);
        return result;
    }

    void add_wrk(const std::string& name, const wrk_result& r, double floor, std::string baseline)
    {
        bool met =
            r.requests_per_second >= floor && r.p99_ms < 5 && r.other == 0 && r.socket_errors == 0;
        add(name, grouped(r.requests_per_second) + " req/s", std::move(baseline),
            floor > 0 ? ">= " + grouped(floor) + " req/s, p99 < 5 ms, no errors" : "",
            floor > 0 ? std::optional<bool>(met) : std::nullopt);
        add(name + ": p50, p99", format("%.3f ms, %.3f ms", r.p50_ms, r.p99_ms));
        add(name + ": server CPU per request", format("%.1f us", r.cpu_us_per_request),
            format("at most %s req/s on one core", grouped(1e6 / r.cpu_us_per_request).c_str()));
        add(name + ": non-200, socket errors",
            grouped(double(r.other)) + ", " + grouped(double(r.socket_errors)),
            grouped(double(r.ok)) + " answered 200");
    }

    void polling()
    {
        // the polled record: a finished job of 20 lines
        auto id = start_printer(*client_, "poll", 20);
        wait_final(id);
        auto size = fs::file_size(data_ / "poll" / "jobs" / (id + ".json"));
        auto target = "/api/jobs/job?dataset=poll&job_id=" + id;
        note("poll: wrk on " + target + " (" + grouped(double(size)) + " B)");

        auto health = run_wrk("/api/jobs/health");
        auto idle = run_wrk(target);

        // 100,000-line jobs one after the other for as long as wrk runs
        std::atomic<bool> stop{false};
        std::atomic<int> streamed{0};
        std::thread streamer([&] {
            http_client client(server_->port());
            while (!stop) {
                wait_final(start_printer(client, "pollstream", 100000));
                ++streamed;
            }
        });
        auto busy = run_wrk(target);
        stop = true;
        streamer.join();

        add_wrk("GET /health (router alone), 16 connections", health, 0, "");
        add_wrk("GET /job, 16 connections, idle", idle, 20000,
                grouped(double(size)) + " B record; Python 880-1,490 req/s");
        add_wrk("GET /job while 100,000-line jobs stream", busy, 10000,
                std::to_string(streamed.load()) + " jobs streamed meanwhile; Python 209-841");
        for (const auto& entry : fs::directory_iterator(data_ / "pollstream" / "jobs"))
            if (entry.path().extension() == ".log")
                fs::remove(entry.path());
        polled_ = read_whole(data_ / "poll" / "jobs" / (id + ".json"));
        polled_id_ = id;
    }

    void listing()
    {
        if (polled_.empty()) {
            auto id = start_printer(*client_, "poll", 20);
            wait_final(id);
            polled_ = read_whole(data_ / "poll" / "jobs" / (id + ".json"));
            polled_id_ = id;
        }
        for (int count : {1000, 10000}) {
            // copies of the polled record under new ids, written beside the server
            auto dataset = "all" + std::to_string(count);
            auto folder = data_ / dataset / "jobs";
            fs::create_directories(folder);
            for (int i = 0; i < count; ++i) {
                auto id = format("00000000-0000-4000-8000-%012d", i);
                auto text = polled_;
                for (auto at = text.find(polled_id_); at != std::string::npos;
                     at = text.find(polled_id_, at + id.size()))
                    text.replace(at, polled_id_.size(), id);
                std::ofstream(folder / (id + ".json"), std::ios::binary) << text;
            }

            // the files read by the client itself: what the disk cache gives
            auto read_start = steady::now();
            std::size_t bytes = 0;
            for (const auto& entry : fs::directory_iterator(folder))
                bytes += read_whole(entry.path()).size();
            double read_ms = ms_between(read_start, steady::now());

            note("all: " + grouped(count) + " records, " + grouped(double(bytes)) + " B");
            std::vector<double> calls;
            std::size_t answered = 0;
            proc_figures before;
            for (int i = 0; i < 10; ++i) {
                if (i == 1)
                    before = proc_of(server_->pid());
                auto sent = steady::now();
                auto r = client_->get("/api/jobs/all?dataset=" + dataset);
                calls.push_back(ms_between(sent, steady::now()));
                if (i == 0) {
                    boost::system::error_code ec;
                    auto value = json::parse(r.body, ec);
                    answered = !ec && value.is_array() ? value.as_array().size() : 0;
                }
            }
            double cpu = (proc_of(server_->pid()).cpu_ms - before.cpu_ms) / 9;
            double first = calls.front();
            calls.erase(calls.begin());
            auto name = "GET /all of " + grouped(count) + " records";
            add(name + ": median of 9", format("%.1f ms", median(calls)),
                format("client reads the files %.1f ms", read_ms), count == 10000 ? "< 50 ms" : "",
                count == 10000 ? std::optional<bool>(median(calls) < 50) : std::nullopt);
            add(name + ": server CPU per call", format("%.1f ms", cpu),
                format("%.2f us per record", cpu * 1000 / count));
            add(name + ": first call", format("%.1f ms", first),
                grouped(double(answered)) + " records answered", "all of them",
                answered == std::size_t(count));
            per_record_us_.emplace_back(count, median(calls) * 1000 / count);
        }
    }

    void many_jobs()
    {
        // a fresh server on a data folder of its own, so that the peak
        // memory is this section's, not that of the records listed before
        client_.reset();
        server_.reset();
        server_.emplace(SCOPEJOBS_BENCH_SERVER, many_data_, tools_, scratch_ / "server-many.log");
        client_.emplace(server_->port());
        auto pid = server_->pid();
        long rss_idle = status_field(pid, "VmRSS");
        note("many: " + std::to_string(opts_.jobs) + " jobs of the ticker, 20 lines each");

        // start them all (the threads counted after ten), then watch threads
        // and memory until all are final
        auto before = proc_of(pid);
        auto started = steady::now();
        std::vector<std::string> ids;
        long threads_few = 0;
        for (int i = 0; i < opts_.jobs; ++i) {
            ids.push_back(job_id_of(client_->get(
                "/api/jobs/sae?dataset=many&embedding_id=e&model_id=m&k_expansion=20")));
            if (i == std::min(9, opts_.jobs - 1))
                threads_few = status_field(pid, "Threads");
        }
        double start_all_ms = ms_between(started, steady::now());
        long threads_peak = 0;
        auto deadline = steady::now() + 120s;
        while (steady::now() < deadline) {
            threads_peak = std::max(threads_peak, status_field(pid, "Threads"));
            bool all_final = true;
            for (const auto& id : ids)
                if (!watch_->wait_final(id, 0s)) {
                    all_final = false;
                    break;
                }
            if (all_final)
                break;
            std::this_thread::sleep_for(100ms);
        }
        double all_ms = ms_between(started, steady::now());
        auto after = proc_of(pid);
        long hwm = status_field(pid, "VmHWM");

        // every record final and complete, every line in record and log
        int complete = 0;
        for (const auto& id : ids) {
            auto jobs = many_data_ / "many" / "jobs";
            boost::system::error_code ec;
            auto value = json::parse(read_whole(jobs / (id + ".json")), ec);
            std::string expected_log;
            bool good = !ec && value.is_object() && value.at("status") == "completed";
            for (int tick = 1; good && tick <= 20; ++tick) {
                auto line = "tick " + std::to_string(tick) + " of 20";
                good = value.at("progress").as_array().size() == 20 &&
                       value.at("progress").as_array()[std::size_t(tick - 1)] == line.c_str();
                expected_log += line + "\n";
            }
            complete += good && read_whole(jobs / (id + ".log")) == expected_log;
        }

        auto name = grouped(opts_.jobs) + " concurrent jobs";
        add(name + ": server threads, peak", std::to_string(threads_peak),
            std::to_string(threads_few) + " with 10 jobs", "independent of the jobs",
            threads_peak <= threads_few);
        add(name + ": peak RSS (VmHWM)", format("%.1f MB", double(hwm) / 1024),
            format("%.1f MB when idle", double(rss_idle) / 1024), "< 100 MB",
            double(hwm) / 1024 < 100);
        add(name + ": records final with all 20 lines",
            grouped(complete) + " of " + grouped(opts_.jobs), "record and log checked line by line",
            "all", complete == opts_.jobs);
        add(name + ": time to start all, to all final",
            format("%.0f ms, %.0f ms", start_all_ms, all_ms),
            format("each tool runs 19 s; spawn %.3f ms", spawn_ms_));
        add(name + ": server CPU", format("%.0f ms", after.cpu_ms - before.cpu_ms),
            format("%.3f ms per job", (after.cpu_ms - before.cpu_ms) / opts_.jobs));
    }

public:
    void print_flatness() const
    {
        std::printf("\nserver CPU per line: ");
        for (const auto& [lines, ns] : per_line_ns_)
            std::printf("%s lines %.0f ns; ", grouped(double(lines)).c_str(), ns);
        std::printf("\n/all per record: ");
        for (const auto& [count, us] : per_record_us_)
            std::printf("%s records %.2f us; ", grouped(count).c_str(), us);
        std::printf("\n");
    }

private:
    const options& opts_;
    fs::path scratch_, data_, many_data_, tools_;
    std::optional<server_process> server_;
    std::optional<record_watch> watch_;
    std::optional<http_client> client_;
    double spawn_ms_ = 0;
    std::string polled_, polled_id_;
    std::vector<std::pair<long, double>> per_line_ns_;
    std::vector<std::pair<int, double>> per_record_us_;
};

options parse(int argc, char** argv)
{
    options opts;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view flag = argv[i];
        std::string value = argv[i + 1];
        if (flag == "--runs")
            opts.runs = std::max(1, std::atoi(value.c_str()));
        else if (flag == "--repeats")
            opts.repeats = std::max(1, std::atoi(value.c_str()));
        else if (flag == "--seconds")
            opts.seconds = std::max(1, std::atoi(value.c_str()));
        else if (flag == "--jobs")
            opts.jobs = std::max(1, std::atoi(value.c_str()));
        else if (flag == "--keep")
            opts.keep = value;
        else if (flag == "--only")
            for (std::size_t at = 0; at <= value.size();) {
                auto comma = std::min(value.find(',', at), value.size());
                opts.only.push_back(value.substr(at, comma - at));
                at = comma + 1;
            }
        else
            fail("unknown flag " + std::string(flag));
    }
    if (argc % 2 == 0)
        fail("a flag without its value");
    return opts;
}

} // namespace

int main(int argc, char** argv)
{
    auto opts = parse(argc, argv);
    auto scratch = !opts.keep.empty() ? opts.keep
                                      : fs::temp_directory_path() /
                                            ("scopejobs-bench-" + std::to_string(::getpid()));
    fs::remove_all(scratch);
    fs::create_directories(scratch);
    {
        bench run(opts, scratch);
        run.run();
        print_table();
        run.print_flatness();
    }
    if (opts.keep.empty())
        fs::remove_all(scratch);
    bool met = std::all_of(table.begin(), table.end(), [](const row& r) { return r.met != false; });
    std::printf("targets: %s\n", met ? "all met" : "some MISSED");
    return met ? 0 : 1;
}
