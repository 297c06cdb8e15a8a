// scopejobs-nice-server: the latent-scope job API with every tool run at a
// lower priority, each in a working folder of its own.
//
//     scopejobs-nice-server [--data-dir DIR] [--port N] [--tools-dir DIR]
//                           [--niceness N] [--work-dir DIR]
//
// Tools run under `nice -n N` (10 by default) in a fresh folder
// `{work}/{tool}-XXXXXX`, removed once the tool has exited; the work folder
// defaults to `{data}/.scopejobs-work`, hidden, so that no store takes it
// for a dataset. Once bound to 127.0.0.1 it prints
// `listening on http://127.0.0.1:PORT` (port 0 picks a free one). SIGINT
// or SIGTERM stops it: running jobs are stopped and recorded as `error`,
// then it exits 0.

#include "nice_process.hpp"

#include <scopejobs/job_service.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace sj = scopejobs;

//[nice_service
// The default service with one policy swapped: tools start through nice.
using nice_job_service = sj::job_service::with_process<nice_example::nice_process>;
//]

namespace {

constexpr const char* usage_text =
    "usage: scopejobs-nice-server [--data-dir DIR] [--port N] [--tools-dir DIR]\n"
    "                             [--niceness N] [--work-dir DIR]\n";

struct options
{
    sj::settings config;
    sj::beast_router_options http;
    nice_example::nice_process_options process;
};

// A whole decimal number in [low, high].
bool number(std::string_view text, int low, int high, int& out)
{
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size() && out >= low && out <= high;
}

// `--flag VALUE` or `--flag=VALUE`; false for anything else.
bool parse(int argc, char** argv, options& out)
{
    out.config.data_dir = "scopejobs-data";
    out.process.work_root.clear();
    for (int i = 1; i < argc; ++i) {
        std::string_view flag = argv[i], value;
        if (auto equals = flag.find('='); equals != std::string_view::npos) {
            value = flag.substr(equals + 1);
            flag = flag.substr(0, equals);
        } else if (i + 1 < argc) {
            value = argv[++i];
        }
        if (value.empty())
            return false;

        int port = 0;
        if (flag == "--data-dir")
            out.config.data_dir = std::string(value);
        else if (flag == "--tools-dir")
            out.config.tools_dir = std::string(value);
        else if (flag == "--work-dir")
            out.process.work_root = std::string(value);
        else if (flag == "--port" && number(value, 0, 65535, port))
            out.http.port = std::uint16_t(port);
        else if (flag != "--niceness" || !number(value, 0, 19, out.process.niceness))
            return false;
    }
    // tools run in another folder: paths the routes put in an argv
    // (`--path={data}/...`) must not be relative to this one
    out.config.data_dir = std::filesystem::absolute(out.config.data_dir);
    if (out.process.work_root.empty())
        out.process.work_root = out.config.data_dir / ".scopejobs-work";
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    options opts;
    if (!parse(argc, argv, opts)) {
        std::fputs(usage_text, stderr);
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    auto log = sj::stderr_sink();
    opts.config.log = log;
    opts.http.log = log;

    //[nice_main
    asio::io_context io;
    nice_example::nice_process processes(io.get_executor(), opts.process);
    sj::filesystem_store store(opts.config.data_dir, log);
    sj::beast_router router(io, opts.http);
    nice_job_service service(io.get_executor(), router, processes, store, opts.config);
    //]

    sj::error_code ec;
    service.open(ec);
    if (!ec)
        router.listen(ec);
    if (ec) {
        std::fprintf(stderr, "scopejobs-nice-server: cannot start: %s\n", ec.message().c_str());
        return 1;
    }
    std::printf("listening on http://127.0.0.1:%u\n", unsigned(router.local_endpoint().port()));
    std::fflush(stdout);

    // a signal stops accepting, stops the jobs, then the loop
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const sj::error_code& error, int) {
        if (error)
            return;
        router.stop();
        service.close([&] { io.stop(); });
    });
    io.run();
    return 0;
}
