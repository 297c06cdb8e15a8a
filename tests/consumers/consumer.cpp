// The program every consumer project builds: it checks that the version
// macros agree with the version the build system found, then runs
// `/bin/echo hello` as a job and checks its final record. It prints what
// it checked and exits non-zero when something differs.
//
// The build defines SCOPEJOBS_EXPECTED_VERSION as the version its build
// system knows ("0.1.0"): the package version for find_package and
// pkg-config, the project version for add_subdirectory and meson.

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/runner.hpp>
#include <scopejobs/store/memory_store.hpp>
#include <scopejobs/version.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#ifndef SCOPEJOBS_EXPECTED_VERSION
#error "build with -DSCOPEJOBS_EXPECTED_VERSION=\"M.m.p\", the version the build system knows"
#endif

namespace asio = boost::asio;
namespace sj = scopejobs;

namespace {

bool check_version()
{
    std::string parts = std::to_string(SCOPEJOBS_VERSION_MAJOR) + "." +
                        std::to_string(SCOPEJOBS_VERSION_MINOR) + "." +
                        std::to_string(SCOPEJOBS_VERSION_PATCH);
    int number =
        SCOPEJOBS_VERSION_MAJOR * 10000 + SCOPEJOBS_VERSION_MINOR * 100 + SCOPEJOBS_VERSION_PATCH;
    std::printf("version.hpp says %s (%d), the build system %s\n", SCOPEJOBS_VERSION_STRING,
                SCOPEJOBS_VERSION, SCOPEJOBS_EXPECTED_VERSION);

    bool ok = true;
    if (parts != SCOPEJOBS_VERSION_STRING || number != SCOPEJOBS_VERSION) {
        std::printf("version.hpp disagrees with itself: parts %s, number %d\n", parts.c_str(),
                    number);
        ok = false;
    }
    if (std::string(SCOPEJOBS_VERSION_STRING) != SCOPEJOBS_EXPECTED_VERSION) {
        std::printf("version.hpp and the build system disagree\n");
        ok = false;
    }
    return ok;
}

// Runs `/bin/echo hello` as a job and answers its final record, or nothing
// when it could not start or did not end within ten seconds.
std::optional<sj::job_record> run_echo()
{
    asio::io_context io;
    sj::posix_process processes(io.get_executor());
    sj::memory_store store(sj::null_sink());
    sj::settings config;
    config.log = sj::null_sink();
    sj::basic_runner<sj::posix_process, sj::memory_store> runner(io.get_executor(), processes,
                                                                 store, config);

    std::optional<sj::job_record> final_record;
    runner.on_final([&](const sj::job_record& record) {
        final_record = record;
        io.stop();
    });

    // a bound, so that a job that never ends fails the check
    asio::steady_timer bound(io, std::chrono::seconds(10));
    bound.async_wait([&](const sj::error_code& ec) {
        if (!ec) {
            std::printf("the job did not end within 10 s\n");
            io.stop();
        }
    });

    sj::error_code ec;
    runner.start({.dataset = "consumer", .argv = {"/bin/echo", "hello"}}, ec);
    if (ec) {
        std::printf("cannot start the job: %s\n", ec.message().c_str());
        return std::nullopt;
    }
    io.run();
    return final_record;
}

bool check_job()
{
    auto record = run_echo();
    if (!record)
        return false;

    const auto& lines = record->progress;
    bool printed = std::find(lines.begin(), lines.end(), "hello") != lines.end();
    std::printf("job %s (%s): %s, %s\n", record->id.c_str(), record->command.c_str(),
                std::string(sj::to_string(record->status)).c_str(),
                printed ? "recorded the line hello" : "without the line hello");
    return record->status == sj::job_status::completed && printed;
}

} // namespace

int main()
{
    bool version_ok = check_version();
    bool job_ok = check_job();
    return version_ok && job_ok ? 0 : 1;
}
