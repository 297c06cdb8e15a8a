// Streams a fast tool through the runner with posix_process and
// filesystem_store, and compares it with the same tool writing to
// /dev/null. Prints one table of medians; run by hand (see
// docs/benchmarks.md):
//
//     scopejobs-bench-runner [REPEATS] [DATA_DIR] [LINES]
//
// With LINES, only that many lines are streamed (for a profiler).

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/runner.hpp>
#include <scopejobs/store/filesystem_store.hpp>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace sj = scopejobs;
using steady = std::chrono::steady_clock;

namespace {

double seconds_since(steady::time_point start)
{
    return std::chrono::duration<double>(steady::now() - start).count();
}

double cpu_seconds(int who)
{
    rusage usage{};
    ::getrusage(who, &usage);
    auto seconds = [](timeval t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// The baseline: the tool alone, its output into /dev/null.
double tool_alone(long lines)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    std::string count = std::to_string(lines);
    const char* argv[] = {SCOPEJOBS_BENCH_PRINTER, count.c_str(), nullptr};

    auto start = steady::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char**>(argv), environ) != 0) {
        std::perror("posix_spawn");
        std::exit(1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    double wall = seconds_since(start);
    posix_spawn_file_actions_destroy(&actions);
    return wall;
}

struct job_run
{
    double wall = 0, cpu = 0;
    double record_writes = 0, log_writes = 0;
    double record_bytes = 0, log_bytes = 0;
};

job_run run_job(const fs::path& data, long lines)
{
    asio::io_context io;
    sj::posix_process processes(io.get_executor());
    sj::filesystem_store store(data, sj::null_sink());
    sj::settings config;
    config.data_dir = data;
    config.log = sj::null_sink();
    sj::basic_runner<sj::posix_process, sj::filesystem_store> runner(io.get_executor(), processes,
                                                                     store, config);
    runner.on_final([&](const sj::job_record&) { io.stop(); });

    auto start = steady::now();
    double cpu_before = cpu_seconds(RUSAGE_SELF);
    sj::error_code ec;
    auto id = runner.start(
        {.dataset = "bench", .argv = {SCOPEJOBS_BENCH_PRINTER, std::to_string(lines)}}, ec);
    if (ec) {
        std::fprintf(stderr, "cannot start: %s\n", ec.message().c_str());
        std::exit(1);
    }
    io.run();

    job_run run;
    run.wall = seconds_since(start);
    run.cpu = cpu_seconds(RUSAGE_SELF) - cpu_before;
    run.record_writes = double(runner.counters().record_writes + 1); // and the first
    run.log_writes = double(runner.counters().log_writes);
    run.record_bytes = double(fs::file_size(store.record_path("bench", id)));
    run.log_bytes = double(fs::file_size(store.log_path("bench", id)));
    fs::remove(store.record_path("bench", id));
    fs::remove(store.log_path("bench", id));
    return run;
}

} // namespace

int main(int argc, char** argv)
{
    int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
    fs::path data = argc > 2 && *argv[2] ? fs::path(argv[2])
                                         : fs::temp_directory_path() /
                                               ("scopejobs-bench-" + std::to_string(::getpid()));
    fs::create_directories(data);

    std::printf("%9s %10s %10s %9s %10s %13s %7s %6s %6s %10s %11s\n", "lines", "tool s", "job s",
                "extra s", "server s", "s/100k lines", "writes", "bound", "logw", "record B",
                "log B");
    bool met = true;
    std::vector<long> sizes = {1000L, 10000L, 100000L, 1000000L};
    if (argc > 3)
        sizes = {std::atol(argv[3])};
    for (long lines : sizes) {
        std::vector<double> alone, wall, cpu, writes, log_writes, record, log;
        for (int i = 0; i < repeats; ++i) {
            alone.push_back(tool_alone(lines));
            auto run = run_job(data, lines);
            wall.push_back(run.wall);
            cpu.push_back(run.cpu);
            writes.push_back(run.record_writes);
            log_writes.push_back(run.log_writes);
            record.push_back(run.record_bytes);
            log.push_back(run.log_bytes);
        }

        double tool = median(alone), job = median(wall), server = median(cpu);
        double per_100k = server / double(lines) * 1e5;
        double bound = job / 0.5 + 3;
        // a job shorter than 100,000 lines gets the budget of 100,000
        double cpu_budget = 0.1 * double(std::max(lines, 100000L)) / 1e5;
        met = met && server < cpu_budget && job <= tool + 0.25 && median(writes) <= bound;
        std::printf("%9ld %10.4f %10.4f %9.4f %10.4f %13.4f %7.0f %6.1f %6.0f %10.0f %11.0f\n",
                    lines, tool, job, job - tool, server, per_100k, median(writes), bound,
                    median(log_writes), median(record), median(log));
    }
    std::printf("targets (server CPU < 0.1 s per 100k lines, and under 0.1 s for fewer; "
                "wall <= tool + 0.25 s; writes <= wall / 0.5 s + 3): %s\n",
                met ? "met" : "MISSED");
    fs::remove_all(data);
    return met ? 0 : 1;
}
