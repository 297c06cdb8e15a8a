// Runs one command as a latent-scope job and prints where its record is:
//
//     scopejobs-run-one [--data-dir DIR] [--dataset NAME] [--tools-dir DIR]
//                       [--timeout SECONDS] -- TOOL [ARG...]
//
// The record `{data}/{dataset}/jobs/{id}.json` is written before the tool
// starts and rewritten as it prints; the exit status is 0 when the job
// ends `completed`. SIGINT or SIGTERM stops the tool and records the job
// as `error`.

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/runner.hpp>
#include <scopejobs/store/filesystem_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace sj = scopejobs;

namespace {

int usage(std::FILE* out, int status)
{
    std::fputs("usage: scopejobs-run-one [--data-dir DIR] [--dataset NAME] [--tools-dir DIR]\n"
               "                         [--timeout SECONDS] -- TOOL [ARG...]\n",
               out);
    return status;
}

} // namespace

int main(int argc, char** argv)
{
    sj::settings config;
    config.data_dir = "scopejobs-data";
    std::string dataset = "demo";

    // flags, then the command after "--"
    std::vector<std::string> command;
    for (int i = 1; i < argc; ++i) {
        std::string_view flag = argv[i];
        if (flag == "--") {
            command.assign(argv + i + 1, argv + argc);
            break;
        }
        if (flag == "--help")
            return usage(stdout, 0);
        if (i + 1 >= argc)
            return usage(stderr, 2);
        std::string value = argv[++i];
        if (flag == "--data-dir")
            config.data_dir = value;
        else if (flag == "--dataset")
            dataset = value;
        else if (flag == "--tools-dir")
            config.tools_dir = value;
        else if (flag == "--timeout")
            config.inactivity_timeout = std::chrono::seconds(std::atoll(value.c_str()));
        else
            return usage(stderr, 2);
    }
    if (command.empty())
        return usage(stderr, 2);

    // the engine: one io_context runs the tool, its output and its timers
    asio::io_context io;
    sj::posix_process processes(io.get_executor());
    sj::filesystem_store store(config.data_dir, config.log);
    sj::basic_runner<sj::posix_process, sj::filesystem_store> runner(io.get_executor(), processes,
                                                                     store, config);

    int status = 1;
    runner.on_final([&](const sj::job_record& record) {
        std::printf("%s: %s\n", record.id.c_str(),
                    std::string(sj::to_string(record.status)).c_str());
        status = record.status == sj::job_status::completed ? 0 : 1;
        io.stop();
    });

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const sj::error_code& ec, int) {
        if (!ec)
            runner.shutdown();
    });

    sj::error_code ec;
    auto id = runner.start({.dataset = dataset, .argv = command}, ec);
    if (ec) {
        std::fprintf(stderr, "cannot start the job: %s\n", ec.message().c_str());
        return 1;
    }
    std::printf("%s\n", store.record_path(dataset, id).c_str());
    std::fflush(stdout);

    io.run();
    return status;
}
