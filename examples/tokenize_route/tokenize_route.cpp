// scopejobs-tokenize-server: the latent-scope job API with one more route,
// `GET /tokenize?dataset&embedding_id`, which runs `ls-tokenize D EMB`.
//
//     scopejobs-tokenize-server [--data-dir DIR] [--port N] [--tools-dir DIR]
//
// With `--tools-dir examples/demo-tools` the demo tools stand in for the
// pipeline, `ls-tokenize` among them. Once bound to 127.0.0.1 it prints
// `listening on http://127.0.0.1:PORT` (port 0 picks a free one). SIGINT
// or SIGTERM stops it: running jobs are stopped and recorded as `error`,
// then it exits 0.

#include "tokenize_route.hpp"

#include <scopejobs/job_service.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace sj = scopejobs;

//[tokenize_service
// The default service serving the longer route list.
using tokenize_job_service = sj::job_service::with_routes<tokenize_example::tokenize_routes>;
//]

namespace {

constexpr const char* usage_text =
    "usage: scopejobs-tokenize-server [--data-dir DIR] [--port N] [--tools-dir DIR]\n";

struct options
{
    sj::settings config;
    sj::beast_router_options http;
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
        bool whole = error == std::errc() && end == value.data() + value.size();
        if (flag == "--data-dir")
            out.config.data_dir = std::string(value);
        else if (flag == "--tools-dir")
            out.config.tools_dir = std::string(value);
        else if (flag == "--port" && whole && port <= 65535)
            out.http.port = std::uint16_t(port);
        else
            return false;
    }
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

    asio::io_context io;
    sj::posix_process processes(io.get_executor());
    sj::filesystem_store store(opts.config.data_dir, log);
    sj::beast_router router(io, opts.http);
    tokenize_job_service service(io.get_executor(), router, processes, store, opts.config);

    sj::error_code ec;
    service.open(ec);
    if (!ec)
        router.listen(ec);
    if (ec) {
        std::fprintf(stderr, "scopejobs-tokenize-server: cannot start: %s\n", ec.message().c_str());
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
