// scopejobs-embed-httplib: an httplib::Server of its own, with its own route
// (`GET /hello`), that also serves the job API through httplib_router.
//
//     scopejobs-embed-httplib [--data-dir DIR] [--port N] [--tools-dir DIR] [--max-upload-mb N]
//
// Once bound it prints `listening on http://127.0.0.1:PORT`. SIGINT or
// SIGTERM stops it: running jobs are stopped and recorded, then it exits 0.

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/router/httplib_router.hpp>
#include <scopejobs/service.hpp>
#include <scopejobs/store/filesystem_store.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <httplib.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace asio = boost::asio;
namespace sj = scopejobs;

namespace {

std::optional<std::uint64_t> number(std::string_view text)
{
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos ||
        text.size() > 18)
        return std::nullopt;
    return std::stoull(std::string(text));
}

// `--flag VALUE` pairs into `config` and `port`; false for anything else.
bool parse(int argc, char** argv, sj::settings& config, int& port)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view flag = argv[i], value = argv[i + 1];
        if (flag == "--data-dir")
            config.data_dir = std::string(value);
        else if (flag == "--tools-dir")
            config.tools_dir = std::string(value);
        else if (flag == "--port" && number(value) && *number(value) <= 65535)
            port = int(*number(value));
        else if (flag == "--max-upload-mb" && number(value))
            config.max_upload_mb = *number(value);
        else
            return false;
    }
    return argc % 2 == 1;
}

} // namespace

int main(int argc, char** argv)
{
    sj::settings config;
    int port = 8080;
    if (!parse(argc, argv, config, port)) {
        std::fputs("usage: scopejobs-embed-httplib [--data-dir DIR] [--port N] [--tools-dir DIR] "
                   "[--max-upload-mb N]\n",
                   stderr);
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);

    //[embed_httplib_mount
    // the host's server and its own route
    httplib::Server server;
    server.Get("/hello", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("hello from the host\n", "text/plain");
    });

    // the jobs run on an io_context of their own thread
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread jobs_thread([&] { io.run(); });

    // the job service, mounted onto the same server
    sj::posix_process processes(io.get_executor());
    sj::filesystem_store store(config.data_dir, config.log);
    sj::httplib_router router(server, config.log);
    sj::basic_job_service<sj::httplib_router> service(io.get_executor(), router, processes, store,
                                                      config);
    sj::error_code ec;
    service.open(ec);
    //]
    if (ec) {
        std::fprintf(stderr, "scopejobs-embed-httplib: cannot use %s: %s\n",
                     config.data_dir.c_str(), ec.message().c_str());
        work.reset();
        jobs_thread.join();
        return 1;
    }

    // bind, then tell the port
    int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : port;
    if (bound <= 0 || (port != 0 && !server.bind_to_port("127.0.0.1", port))) {
        std::fprintf(stderr, "scopejobs-embed-httplib: cannot listen on port %d\n", port);
        work.reset();
        jobs_thread.join();
        return 1;
    }
    std::printf("listening on http://127.0.0.1:%d\n", bound);
    std::fflush(stdout);

    // a signal stops the server; the jobs are stopped once it returns
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const sj::error_code& error, int) {
        if (!error)
            server.stop();
    });
    server.listen_after_bind();

    service.close([&] { io.stop(); });
    jobs_thread.join();
    return 0;
}
