// Fuzzes HTTP requests through beast_router into a real job service. The
// router listens on loopback in this process; the service runs over an
// in-memory store and scripted processes, fresh for each input so that a
// finding replays from its input alone. Each input is written as it is to
// a new connection whose sending side is then shut, and the reply is read
// until the router closes it.
//
// Invariants: the router closes the connection within a bound; whatever
// it sends is a sequence of well-formed responses: a status line of
// HTTP/1.1 (or 1.0, answering 1.0) with a status from 100 to 599 but never 500 (a client's bytes
// must not make the service fail), a Content-Length the bytes that follow
// honour, and a body that parses when it is JSON.

#include <scopejobs/router/beast_router.hpp>

#include "check.hpp"

#include <scopejobs/process/scripted_process.hpp>
#include <scopejobs/service.hpp>
#include <scopejobs/store/memory_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace sj = scopejobs;
using namespace std::chrono_literals;

using service_type =
    sj::basic_job_service<sj::beast_router, sj::scripted_process, sj::memory_store>;

// How long the router may take to answer and close.
constexpr auto reply_bound = 10s;

// The router and its executor, made once for the whole run.
struct fuzz_server
{
    asio::io_context io;
    sj::beast_router router{io, options()};

    fuzz_server() { router.listen(); }

    static sj::beast_router_options options()
    {
        sj::beast_router_options options;
        options.port = 0;
        options.header_timeout = 2s;
        options.body_idle_timeout = 2s;
        options.keep_alive_timeout = 2s;
        options.log = sj::null_sink();
        return options;
    }

    // Runs the executor until `done` or the bound; false at the bound.
    bool run_until(const bool& done)
    {
        auto deadline = std::chrono::steady_clock::now() + reply_bound;
        io.restart();
        while (!done && io.run_one_until(deadline) != 0)
            ;
        return done;
    }
};

fuzz_server& server()
{
    static fuzz_server instance;
    return instance;
}

// `input` on a new connection, then what comes back until the close.
std::string exchange(fuzz_server& where, std::string_view input)
{
    asio::ip::tcp::socket socket(where.io);
    socket.connect(where.router.local_endpoint());
    boost::system::error_code ignored;
    asio::write(socket, asio::buffer(input.data(), input.size()), ignored);
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);

    std::string reply;
    bool closed = false;
    asio::async_read(socket, asio::dynamic_buffer(reply),
                     [&](boost::system::error_code, std::size_t) { closed = true; });
    SCOPEJOBS_FUZZ_CHECK(where.run_until(closed));
    return reply;
}

// The value of header `name` (given in lower case) in `head`, or nothing.
std::optional<std::string_view> header(std::string_view head, std::string_view name)
{
    for (auto start = head.find("\r\n"); start != std::string_view::npos;) {
        auto end = head.find("\r\n", start + 2);
        auto line = head.substr(start + 2, end - start - 2);
        start = end;
        auto colon = line.find(':');
        if (colon != name.size())
            continue;
        bool same = true;
        for (std::size_t i = 0; i < colon; ++i)
            same = same && std::tolower(static_cast<unsigned char>(line[i])) == name[i];
        if (same)
            return line.substr(line.find_first_not_of(' ', colon + 1));
    }
    return std::nullopt;
}

// Checks the responses in `reply`; answers after a HEAD request carry no
// body, so its first is checked up to its head.
void check_responses(std::string_view reply, bool head_request)
{
    while (!reply.empty()) {
        auto end = reply.find("\r\n\r\n");
        SCOPEJOBS_FUZZ_CHECK(end != std::string_view::npos);
        auto head = reply.substr(0, end);
        reply.remove_prefix(end + 4);
        SCOPEJOBS_FUZZ_CHECK(head.starts_with("HTTP/1.1 ") || head.starts_with("HTTP/1.0 "));
        SCOPEJOBS_FUZZ_CHECK(head.size() >= 12);
        int status = std::atoi(std::string(head.substr(9, 3)).c_str());
        SCOPEJOBS_FUZZ_CHECK(status >= 100 && status <= 599 && status != 500);
        if (status < 200 || status == 204 || status == 304)
            continue; // no body
        if (head_request)
            return;

        // the body the head announces
        auto length = header(head, "content-length");
        SCOPEJOBS_FUZZ_CHECK(length.has_value());
        auto size = std::size_t(std::strtoull(std::string(*length).c_str(), nullptr, 10));
        SCOPEJOBS_FUZZ_CHECK(size <= reply.size());
        auto body = reply.substr(0, size);
        reply.remove_prefix(size);
        if (header(head, "content-type").value_or("").starts_with("application/json")) {
            boost::system::error_code ec;
            boost::json::parse(body, ec);
            SCOPEJOBS_FUZZ_CHECK(!ec);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto& where = server();

    // a fresh service on a fresh data folder
    std::string data_dir = (fs::temp_directory_path() / "scopejobs-fuzz-XXXXXX").string();
    SCOPEJOBS_FUZZ_CHECK(::mkdtemp(data_dir.data()) != nullptr);
    sj::settings config;
    config.data_dir = data_dir;
    config.max_upload_mb = 1;
    config.log = sj::null_sink();
    sj::scripted_process processes(where.io.get_executor());
    sj::memory_store store(sj::null_sink());
    {
        service_type service(where.io.get_executor(), where.router, processes, store, config);
        sj::error_code ec;
        service.open(ec);
        SCOPEJOBS_FUZZ_CHECK(!ec);

        check_responses(exchange(where, input), input.starts_with("HEAD "));

        // closed, and what it left on the executor run
        bool closed = false;
        service.close([&] { closed = true; });
        SCOPEJOBS_FUZZ_CHECK(where.run_until(closed));
        where.io.restart();
        where.io.poll();
    }
    fs::remove_all(config.data_dir);
    return 0;
}
