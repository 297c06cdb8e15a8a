// scopejobs-embed-beast: a small Boost.Beast server of its own, with its own route
// (`GET /hello`), that also serves the job API through beast_host_router.
//
//     scopejobs-embed-beast [--data-dir DIR] [--port N] [--tools-dir DIR] [--max-upload-mb N]
//
// Once bound it prints `listening on http://127.0.0.1:PORT`. SIGINT or
// SIGTERM stops it: running jobs are stopped and recorded, then it exits 0.

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/router/beast_host_router.hpp>
#include <scopejobs/service.hpp>
#include <scopejobs/store/filesystem_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
namespace sj = scopejobs;

namespace {

//[embed_beast_service
// The job service, answering through the host's own server.
using job_service = sj::basic_job_service<sj::beast_host_router>;
//]

using request_type = sj::beast_host_router::request_type;
using response_type = sj::beast_host_router::response_type;

// The host's own routes: the job API is not their concern.
response_type own_route(const request_type& request)
{
    bool hello = request.method() == beast_http::verb::get && request.target() == "/hello";
    response_type out(hello ? beast_http::status::ok : beast_http::status::not_found,
                      request.version());
    out.set(beast_http::field::content_type, "text/plain");
    out.body() = hello ? "hello from the host\n" : "not found\n";
    out.prepare_payload();
    out.keep_alive(request.keep_alive());
    return out;
}

// One client connection: read a request, answer it, again.
class session : public std::enable_shared_from_this<session>
{
public:
    session(asio::ip::tcp::socket socket, const sj::beast_host_router& jobs,
            std::uint64_t body_limit)
        : stream_(std::move(socket)), jobs_(jobs), body_limit_(body_limit)
    {}

    void read()
    {
        parser_.emplace();
        parser_->body_limit(boost::none); // the job API's limit is checked below
        stream_.expires_after(std::chrono::seconds(30));
        beast_http::async_read_header(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                self->on_header(ec);
            });
    }

private:
    //[embed_beast_dispatch
    void on_header(beast::error_code ec)
    {
        if (ec)
            return close();

        // an upload over the job API's limit is refused before it is read
        if (auto refused = jobs_.check_head(parser_->get()))
            return write(std::move(*refused));
        parser_->body_limit(body_limit_);
        beast_http::async_read(stream_, buffer_, *parser_,
                               [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                   self->on_request(ec);
                               });
    }

    void on_request(beast::error_code ec)
    {
        if (ec)
            return close();

        // the job API first; what it declines is the host's
        request_type request = parser_->release();
        if (auto answer = jobs_.handle(request))
            return write(std::move(*answer));
        write(own_route(request));
    }
    //]

    void write(response_type response)
    {
        response_ = std::move(response);
        beast_http::async_write(stream_, *response_,
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (!ec && self->response_->keep_alive())
                                        self->read();
                                    else if (!ec)
                                        self->linger();
                                    else
                                        self->close();
                                });
    }

    // Closing with the client's bytes unread would reset the connection
    // and could destroy the answer before the client reads it: stop
    // sending, then drop what still comes, for a second at most.
    void linger()
    {
        beast::error_code ignored;
        stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        stream_.expires_after(std::chrono::seconds(1));
        buffer_.clear();
        stream_.async_read_some(buffer_.prepare(64 * 1024),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (ec)
                                        self->close();
                                    else
                                        self->linger();
                                });
    }

    void close() { stream_.close(); }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
    std::optional<response_type> response_;
    const sj::beast_host_router& jobs_;
    std::uint64_t body_limit_;
};

// Accepts connections until it is closed.
void accept(asio::ip::tcp::acceptor& acceptor, const sj::beast_host_router& jobs,
            std::uint64_t body_limit)
{
    acceptor.async_accept([&, body_limit](beast::error_code ec, asio::ip::tcp::socket socket) {
        if (ec)
            return; // closed: the server stops
        std::make_shared<session>(std::move(socket), jobs, body_limit)->read();
        accept(acceptor, jobs, body_limit);
    });
}

std::optional<std::uint64_t> number(std::string_view text)
{
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos ||
        text.size() > 18)
        return std::nullopt;
    return std::stoull(std::string(text));
}

// `--flag VALUE` pairs into `config` and `port`; false for anything else.
bool parse(int argc, char** argv, sj::settings& config, std::uint16_t& port)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view flag = argv[i], value = argv[i + 1];
        if (flag == "--data-dir")
            config.data_dir = std::string(value);
        else if (flag == "--tools-dir")
            config.tools_dir = std::string(value);
        else if (flag == "--port" && number(value) && *number(value) <= 65535)
            port = std::uint16_t(*number(value));
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
    std::uint16_t port = 8080;
    if (!parse(argc, argv, config, port)) {
        std::fputs("usage: scopejobs-embed-beast [--data-dir DIR] [--port N] [--tools-dir DIR] "
                   "[--max-upload-mb N]\n",
                   stderr);
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);

    // the job service, mounted onto the adapter
    asio::io_context io;
    sj::posix_process processes(io.get_executor());
    sj::filesystem_store store(config.data_dir, config.log);
    sj::beast_host_router jobs(config.log);
    job_service service(io.get_executor(), jobs, processes, store, config);
    sj::error_code ec;
    service.open(ec);
    if (ec) {
        std::fprintf(stderr, "scopejobs-embed-beast: cannot use %s: %s\n", config.data_dir.c_str(),
                     ec.message().c_str());
        return 1;
    }

    // the host's own listener
    asio::ip::tcp::acceptor acceptor(io);
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    if (acceptor.open(endpoint.protocol(), ec) ||
        acceptor.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor.bind(endpoint, ec) ||
        acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
        std::fprintf(stderr, "scopejobs-embed-beast: cannot listen: %s\n", ec.message().c_str());
        return 1;
    }
    std::printf("listening on http://127.0.0.1:%u\n", unsigned(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    accept(acceptor, jobs, config.max_upload_mb << 20);

    // a signal stops accepting, then the jobs, then the loop
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const sj::error_code& error, int) {
        if (error)
            return;
        acceptor.close();
        service.close([&] { io.stop(); });
    });

    io.run();
    return 0;
}
