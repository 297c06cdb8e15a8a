// scopejobs-sqlite-server: the latent-scope job API with its job records
// and logs in one SQLite database instead of `{data}/{D}/jobs/`.
//
//     scopejobs-sqlite-server [--data-dir DIR] [--database FILE] [--port N]
//                             [--tools-dir DIR]
//
// The data folder (./scopejobs-data) still holds the datasets the tools
// work on; the database defaults to `{data}/.scopejobs-jobs.sqlite3`. Once
// bound to 127.0.0.1 it prints `listening on http://127.0.0.1:PORT` (port
// 0 picks a free one). SIGINT or SIGTERM stops it: running jobs are
// stopped and recorded as `error`, then it exits 0.

#include "sqlite_store.hpp"

#include <scopejobs/job_service.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace sj = scopejobs;

//[sqlite_service
// The default service with one policy swapped: records go to SQLite.
using sqlite_job_service = sj::job_service::with_store<sqlite_example::sqlite_store>;
//]

namespace {

constexpr const char* usage_text =
    "usage: scopejobs-sqlite-server [--data-dir DIR] [--database FILE] [--port N]\n"
    "                               [--tools-dir DIR]\n";

struct options
{
    sj::settings config;
    sj::beast_router_options http;
    std::filesystem::path database; ///< empty: in the data folder
};

// `--flag VALUE` or `--flag=VALUE`; false for anything else.
bool parse(int argc, char** argv, options& out)
{
    out.config.data_dir = "scopejobs-data";
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

        unsigned port = 0;
        auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), port);
        if (flag == "--data-dir")
            out.config.data_dir = std::string(value);
        else if (flag == "--database")
            out.database = std::string(value);
        else if (flag == "--tools-dir")
            out.config.tools_dir = std::string(value);
        else if (flag == "--port" && error == std::errc() && end == value.data() + value.size() &&
                 port <= 65535)
            out.http.port = std::uint16_t(port);
        else
            return false;
    }
    if (out.database.empty())
        out.database = out.config.data_dir / ".scopejobs-jobs.sqlite3";
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

    std::error_code created;
    std::filesystem::create_directories(opts.config.data_dir, created);
    if (created) {
        std::fprintf(stderr, "scopejobs-sqlite-server: cannot make %s: %s\n",
                     opts.config.data_dir.c_str(), created.message().c_str());
        return 1;
    }

    try {
        //[sqlite_main
        asio::io_context io;
        sj::posix_process processes(io.get_executor());
        sqlite_example::sqlite_store store(opts.database, log);
        sj::beast_router router(io, opts.http);
        sqlite_job_service service(io.get_executor(), router, processes, store, opts.config);
        //]

        sj::error_code ec;
        service.open(ec);
        if (!ec)
            router.listen(ec);
        if (ec) {
            std::fprintf(stderr, "scopejobs-sqlite-server: cannot start: %s\n",
                         ec.message().c_str());
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
    } catch (const boost::system::system_error& failure) {
        std::fprintf(stderr, "scopejobs-sqlite-server: %s\n", failure.what());
        return 1;
    }
    return 0;
}
