#ifndef SCOPEJOBS_ROUTER_IMPL_BEAST_ROUTER_HPP
#define SCOPEJOBS_ROUTER_IMPL_BEAST_ROUTER_HPP

#include <scopejobs/detail/beast_message.hpp>
#include <scopejobs/detail/request_body.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace scopejobs {
namespace detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;

/// One mounted prefix (without its trailing `/`), its handler and how its
/// requests are read.
struct beast_mount
{
    std::string prefix;
    request_handler handler;
    mount_options options;
};

class beast_connection;

/// The state a `beast_router` shares with its connections: the acceptor,
/// the mounts and the list of open connections. It lives until the router
/// and every connection have let it go.
///
/// Threads: the acceptor belongs to `strand_`; `mounts_` is guarded by
/// `mounts_mutex_`, the connection list and the stop state by
/// `state_mutex_`; `stopping_` may be read anywhere.
class beast_server : public std::enable_shared_from_this<beast_server>
{
public:
    beast_server(asio::any_io_executor executor, beast_router_options options);

    void mount(std::string prefix, request_handler handler, mount_options options);

    /// The mount of the longest prefix covering `path`, or null.
    std::shared_ptr<const beast_mount> find(std::string_view path) const;

    void listen(error_code& ec);
    asio::ip::tcp::endpoint local_endpoint() const;
    void stop(std::function<void()> done);
    std::size_t connections() const;

    /// Called by each connection as it is destroyed.
    void release(std::uint64_t id);

    bool stopping() const noexcept { return stopping_.load(); }
    const beast_router_options& options() const noexcept { return options_; }
    const asio::any_io_executor& executor() const noexcept { return executor_; }
    void log(log_level level, std::string_view message) const;

private:
    void accept();
    void on_accept(error_code ec, asio::ip::tcp::socket socket);
    void shut_acceptor();
    void finish_stop(std::unique_lock<std::mutex>& lock);

    asio::any_io_executor executor_;
    asio::strand<asio::any_io_executor> strand_;
    asio::ip::tcp::acceptor acceptor_; // strand_
    asio::steady_timer retry_timer_;   // strand_
    beast_router_options options_;

    mutable std::mutex mounts_mutex_; // guards mounts_
    std::vector<std::shared_ptr<const beast_mount>> mounts_;

    mutable std::mutex state_mutex_; // guards what follows
    std::map<std::uint64_t, std::weak_ptr<beast_connection>> connections_;
    std::uint64_t next_id_ = 0;
    bool listening_ = false;
    bool accept_paused_ = false;
    bool acceptor_shut_ = false;
    asio::ip::tcp::endpoint endpoint_;
    std::vector<std::function<void()>> on_stopped_;

    std::atomic<bool> stopping_{false};
};

/// One client connection, from accept to close; the steps of the class
/// comment of `beast_router`, one member function each. Everything runs
/// on the connection's strand (the stream's executor).
class beast_connection : public std::enable_shared_from_this<beast_connection>
{
public:
    beast_connection(std::shared_ptr<beast_server> server, asio::ip::tcp::socket socket,
                     std::uint64_t id);
    ~beast_connection();

    beast_connection(const beast_connection&) = delete;
    beast_connection& operator=(const beast_connection&) = delete;

    /// Starts reading the first request; the header deadline runs from now.
    void start();

    /// Closes the connection when no request is in flight on it.
    void close_if_idle();

    /// The connection's strand.
    asio::any_io_executor get_executor() { return stream_.get_executor(); }

private:
    enum class phase
    {
        waiting, // for the first byte of a request
        head,
        body,
        handling,
        writing,
        closing // draining what the client still sends
    };

    using parser_type = beast_http::request_parser<beast_http::buffer_body>;
    using clock = std::chrono::steady_clock;

    static constexpr std::size_t chunk_size = 64 * 1024;
    static constexpr std::size_t first_read_size = 8 * 1024;
    static constexpr std::chrono::milliseconds linger_time = std::chrono::seconds(1);

    void wait_for_request();
    void on_first_bytes(error_code ec, std::size_t size);
    void read_head();
    void on_head(error_code ec);
    void begin_request();
    void send_continue();
    void read_body();
    void on_body(error_code ec);
    void answer();
    void respond(http::response reply, bool may_keep_alive);
    void write_some();
    void on_write(error_code ec);
    void linger();
    void drain();

    clock::time_point deadline_after(std::chrono::milliseconds timeout) const;
    void expire_after(std::chrono::milliseconds timeout);
    void expire_at(clock::time_point deadline);
    void drop(error_code ec, std::string_view while_doing);

    std::shared_ptr<beast_server> server_;
    std::uint64_t id_;
    std::string peer_; // the client's address, for log lines
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::unique_ptr<char[]> chunk_; // the body buffer, made on first use

    // the request in flight
    std::optional<parser_type> parser_;
    std::shared_ptr<const beast_mount> mount_;
    std::optional<http::request> request_;
    std::optional<request_body> body_;
    std::optional<beast_http::response<beast_http::empty_body>> interim_;

    // the response in flight: its head (whose capacity the next one
    // reuses), its body and how much of both has gone
    std::string head_;
    std::string reply_body_;
    std::size_t sent_ = 0;

    clock::time_point head_deadline_;
    phase phase_ = phase::waiting;
    bool served_ = false; // a request was answered on this connection
    bool keep_alive_ = false;
    bool request_read_ = false; // the whole request, body included, was read
};

// ---- checks (matching a prefix and passing a header: detail/request_body.hpp)

inline std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint)
{
    std::string address = endpoint.address().to_string();
    if (endpoint.address().is_v6())
        address = "[" + address + "]";
    return address + ":" + std::to_string(endpoint.port());
}

inline bool is_parse_error(const error_code& ec) noexcept
{
    static const auto& category =
        beast_http::make_error_code(beast_http::error::bad_method).category();
    return ec.category() == category && ec != beast_http::error::end_of_stream &&
           ec != beast_http::error::partial_message;
}

// ---- beast_server

inline beast_server::beast_server(asio::any_io_executor executor, beast_router_options options)
    : executor_(std::move(executor)), strand_(asio::make_strand(executor_)), acceptor_(strand_),
      retry_timer_(strand_), options_(std::move(options))
{}

inline void beast_server::mount(std::string prefix, request_handler handler, mount_options options)
{
    while (!prefix.empty() && prefix.back() == '/')
        prefix.pop_back();
    auto entry = std::make_shared<const beast_mount>(
        beast_mount{std::move(prefix), std::move(handler), std::move(options)});

    std::lock_guard lock(mounts_mutex_);
    auto same = std::find_if(mounts_.begin(), mounts_.end(),
                             [&](const auto& m) { return m->prefix == entry->prefix; });
    if (same != mounts_.end())
        *same = std::move(entry);
    else
        mounts_.push_back(std::move(entry));
}

inline std::shared_ptr<const beast_mount> beast_server::find(std::string_view path) const
{
    std::lock_guard lock(mounts_mutex_);
    std::shared_ptr<const beast_mount> best;
    for (const auto& m : mounts_)
        if (prefix_covers(m->prefix, path) && (!best || m->prefix.size() > best->prefix.size()))
            best = m;
    return best;
}

inline void beast_server::listen(error_code& ec)
{
    ec = {};
    std::lock_guard lock(state_mutex_);
    if (stopping_) {
        ec = asio::error::operation_aborted;
        return;
    }
    if (listening_) {
        ec = asio::error::already_open;
        return;
    }

    // open, bind, listen
    asio::ip::address address = asio::ip::make_address(options_.address, ec);
    if (ec)
        return;
    asio::ip::tcp::endpoint endpoint(address, options_.port);
    error_code ignored;
    if (acceptor_.open(endpoint.protocol(), ec) ||
        acceptor_.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor_.bind(endpoint, ec) ||
        acceptor_.listen(asio::socket_base::max_listen_connections, ec)) {
        acceptor_.close(ignored);
        return;
    }
    endpoint_ = acceptor_.local_endpoint(ec);
    if (ec) {
        acceptor_.close(ignored);
        return;
    }

    // accept on the strand
    listening_ = true;
    log(log_level::debug, "listening on " + endpoint_text(endpoint_));
    asio::post(strand_, [self = shared_from_this()] { self->accept(); });
}

inline asio::ip::tcp::endpoint beast_server::local_endpoint() const
{
    std::lock_guard lock(state_mutex_);
    return endpoint_;
}

inline std::size_t beast_server::connections() const
{
    std::lock_guard lock(state_mutex_);
    return connections_.size();
}

inline void beast_server::stop(std::function<void()> done)
{
    stopping_ = true;
    asio::post(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
        // no new connections
        self->shut_acceptor();

        // close the idle ones; the others close after their response
        std::vector<std::shared_ptr<beast_connection>> open;
        {
            std::unique_lock lock(self->state_mutex_);
            if (done)
                self->on_stopped_.push_back(std::move(done));
            for (const auto& [id, weak] : self->connections_)
                if (auto connection = weak.lock())
                    open.push_back(std::move(connection));
            self->finish_stop(lock);
        }
        for (auto& connection : open) {
            auto executor = connection->get_executor();
            asio::post(executor,
                       [connection = std::move(connection)] { connection->close_if_idle(); });
        }
    });
}

inline void beast_server::release(std::uint64_t id)
{
    std::unique_lock lock(state_mutex_);
    connections_.erase(id);
    if (accept_paused_ && !stopping_) {
        accept_paused_ = false;
        asio::post(strand_, [self = shared_from_this()] { self->accept(); });
    }
    finish_stop(lock);
}

inline void beast_server::log(log_level level, std::string_view message) const
{
    if (options_.log)
        options_.log(level, message);
}

inline void beast_server::accept()
{
    if (stopping_ || !acceptor_.is_open())
        return;

    // at the connection limit, wait for one to close
    if (options_.max_connections) {
        std::lock_guard lock(state_mutex_);
        if (connections_.size() >= *options_.max_connections) {
            if (!accept_paused_)
                log(log_level::warning, "connection limit (" +
                                            std::to_string(*options_.max_connections) +
                                            ") reached; accepting resumes when one closes");
            accept_paused_ = true;
            return;
        }
    }

    acceptor_.async_accept(asio::make_strand(executor_),
                           [self = shared_from_this()](error_code ec, asio::ip::tcp::socket s) {
                               self->on_accept(ec, std::move(s));
                           });
}

inline void beast_server::on_accept(error_code ec, asio::ip::tcp::socket socket)
{
    if (stopping_ || ec == asio::error::operation_aborted)
        return;

    // a failed accept (out of descriptors, say) is retried shortly
    if (ec) {
        log(log_level::warning, "accept failed: " + ec.message());
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([self = shared_from_this()](error_code waited) {
            if (!waited)
                self->accept();
        });
        return;
    }

    // register the connection, start it, accept the next
    std::shared_ptr<beast_connection> connection;
    {
        std::lock_guard lock(state_mutex_);
        std::uint64_t id = next_id_++;
        connection = std::make_shared<beast_connection>(shared_from_this(), std::move(socket), id);
        connections_.emplace(id, connection);
    }
    connection->start();
    accept();
}

inline void beast_server::shut_acceptor()
{
    std::lock_guard lock(state_mutex_);
    error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    if (!acceptor_shut_ && listening_)
        log(log_level::debug, "stopped listening on " + endpoint_text(endpoint_));
    acceptor_shut_ = true;
}

inline void beast_server::finish_stop(std::unique_lock<std::mutex>& lock)
{
    if (!acceptor_shut_ || !connections_.empty() || on_stopped_.empty())
        return;
    auto callbacks = std::move(on_stopped_);
    on_stopped_.clear();
    lock.unlock();
    for (auto& callback : callbacks)
        asio::post(executor_, std::move(callback));
}

// ---- beast_connection

inline beast_connection::beast_connection(std::shared_ptr<beast_server> server,
                                          asio::ip::tcp::socket socket, std::uint64_t id)
    : server_(std::move(server)), id_(id), stream_(std::move(socket))
{
    // a response goes out in one gathered write, which Nagle's algorithm
    // would only hold back
    error_code ignored;
    peer_ = endpoint_text(stream_.socket().remote_endpoint(ignored));
    stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
}

inline beast_connection::~beast_connection()
{
    // the upload files and the socket go before the server hears of it
    request_.reset();
    body_.reset();
    error_code ignored;
    stream_.socket().close(ignored);
    server_->release(id_);
}

inline void beast_connection::start()
{
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
        self->head_deadline_ = self->deadline_after(self->server_->options().header_timeout);
        self->wait_for_request();
    });
}

inline void beast_connection::close_if_idle()
{
    if (phase_ == phase::waiting || phase_ == phase::closing)
        stream_.close();
}

// 1. the first byte of a request
inline void beast_connection::wait_for_request()
{
    phase_ = phase::waiting;
    if (buffer_.size() > 0) {
        if (served_)
            head_deadline_ = deadline_after(server_->options().header_timeout);
        read_head();
        return;
    }

    if (served_)
        expire_after(server_->options().keep_alive_timeout);
    else
        expire_at(head_deadline_);
    stream_.async_read_some(buffer_.prepare(first_read_size),
                            [self = shared_from_this()](error_code ec, std::size_t size) {
                                self->on_first_bytes(ec, size);
                            });
}

inline void beast_connection::on_first_bytes(error_code ec, std::size_t size)
{
    // the client left, stayed silent too long, or the router stops
    if (ec) {
        stream_.close();
        return;
    }

    buffer_.commit(size);
    if (served_)
        head_deadline_ = deadline_after(server_->options().header_timeout);
    read_head();
}

// 2. the head, within the header deadline
inline void beast_connection::read_head()
{
    phase_ = phase::head;
    parser_.emplace();
    auto limit = std::min<std::size_t>(server_->options().header_limit,
                                       std::numeric_limits<std::uint32_t>::max());
    parser_->header_limit(static_cast<std::uint32_t>(limit));
    parser_->body_limit(boost::none); // the mount's limit is applied by request_body

    expire_at(head_deadline_);
    beast_http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_head(ec); });
}

inline void beast_connection::on_head(error_code ec)
{
    if (ec == beast_http::error::header_limit) {
        respond(http::error_response(431, "Request header fields too large"), false);
        return;
    }
    if (is_parse_error(ec)) {
        server_->log(log_level::debug, "malformed request from " + peer_ + ": " + ec.message());
        respond(http::error_response(400, "Malformed request: " + ec.message()), false);
        return;
    }
    if (ec) {
        drop(ec, "reading a request head");
        return;
    }
    begin_request();
}

// 3 to 6. the mount, the query, the declared length, 100 Continue
inline void beast_connection::begin_request()
{
    auto& head = parser_->get();
    std::string_view target = head.target();
    mount_ = server_->find(target.substr(0, std::min(target.find('?'), target.size())));
    if (!mount_) {
        respond(http::error_response(404, "not found"), true);
        return;
    }
    const mount_options& options = mount_->options;

    // the neutral request
    request_.emplace();
    std::string error;
    if (!from_beast_head(head, *request_, error, options.limits)) {
        respond(router_response(400, error, options), true);
        return;
    }

    // what the body is and how long it says it is
    body_.emplace(head[beast_http::field::content_type], options);
    if (body_->failed()) {
        respond(router_response(body_->status(), body_->error(), options), true);
        return;
    }
    auto length = parser_->content_length();
    if (length && !body_->accepts_length(*length)) {
        respond(router_response(413, options.too_large_message, options), false);
        return;
    }
    if (parser_->is_done()) {
        answer();
        return;
    }

    bool expects_continue =
        head.version() >= 11 &&
        equals_ignoring_case(trim_blanks(head[beast_http::field::expect]), "100-continue");
    if (expects_continue)
        send_continue();
    else
        read_body();
}

inline void beast_connection::send_continue()
{
    interim_.emplace(beast_http::status::continue_, parser_->get().version());
    expire_after(server_->options().body_idle_timeout);
    beast_http::async_write(stream_, *interim_,
                            [self = shared_from_this()](error_code ec, std::size_t) {
                                self->interim_.reset();
                                if (ec) {
                                    self->drop(ec, "writing 100 Continue");
                                    return;
                                }
                                self->read_body();
                            });
}

// 7. the body, one chunk at a time, no silence longer than the idle timeout
inline void beast_connection::read_body()
{
    phase_ = phase::body;
    if (!chunk_)
        chunk_ = std::make_unique<char[]>(chunk_size);
    auto& body = parser_->get().body();
    body.data = chunk_.get();
    body.size = chunk_size;

    expire_after(server_->options().body_idle_timeout);
    beast_http::async_read_some(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
}

inline void beast_connection::on_body(error_code ec)
{
    if (ec == beast_http::error::need_buffer)
        ec = {};

    // what arrived counts even when the read then failed
    std::size_t got = chunk_size - parser_->get().body().size;
    if (got > 0 && !body_->feed(std::string_view(chunk_.get(), got))) {
        respond(router_response(body_->status(), body_->error(), mount_->options), false);
        return;
    }

    if (is_parse_error(ec)) {
        server_->log(log_level::debug, "malformed body from " + peer_ + ": " + ec.message());
        respond(router_response(400, "Malformed request body: " + ec.message(), mount_->options),
                false);
        return;
    }
    if (ec) {
        drop(ec, "reading a request body");
        return;
    }
    if (parser_->is_done())
        answer();
    else
        read_body();
}

// 8. the handler
inline void beast_connection::answer()
{
    phase_ = phase::handling;
    const mount_options& options = mount_->options;
    if (!body_->finish(*request_)) {
        respond(router_response(body_->status(), body_->error(), options), true);
        return;
    }

    std::optional<http::response> reply;
    try {
        reply = mount_->handler(*request_);
    } catch (const std::exception& failure) {
        server_->log(log_level::error,
                     "handler failed on " + request_->target + ": " + failure.what());
    } catch (...) {
        server_->log(log_level::error, "handler failed on " + request_->target);
    }
    if (!reply)
        reply = router_response(500, "Internal server error", options);
    respond(std::move(*reply), true);
}

// 9. the response
inline void beast_connection::respond(http::response reply, bool may_keep_alive)
{
    // the upload files no route took go before the client hears back
    request_.reset();
    body_.reset();

    // how the request asked to be answered
    unsigned version = 11;
    bool head_request = false;
    if (parser_ && parser_->is_header_done()) {
        version = parser_->get().version();
        head_request = parser_->get().method() == beast_http::verb::head;
    }
    request_read_ = parser_ && parser_->is_done();
    keep_alive_ = may_keep_alive && request_read_ && parser_->keep_alive() && !server_->stopping();
    if (reply.status < 100 || reply.status > 999) {
        server_->log(log_level::error,
                     "handler answered status " + std::to_string(reply.status) + "; sent 500");
        reply = http::error_response(500, "Internal server error");
    }

    // status line and headers as text, the body as the handler made it
    head_.clear();
    sent_ = 0;
    if (write_response_head(reply, version, keep_alive_, head_request, head_))
        reply_body_ = std::move(reply.body);
    else
        reply_body_.clear();
    phase_ = phase::writing;
    write_some();
}

// head and body in one gathered write; each write within the idle timeout
inline void beast_connection::write_some()
{
    std::array<asio::const_buffer, 2> pieces{asio::buffer(head_), asio::buffer(reply_body_)};
    auto unsent = beast::buffers_suffix<std::array<asio::const_buffer, 2>>(pieces);
    unsent.consume(sent_);

    expire_after(server_->options().body_idle_timeout);
    stream_.async_write_some(unsent, [self = shared_from_this()](error_code ec, std::size_t size) {
        self->sent_ += size;
        self->on_write(ec);
    });
}

// 10. the next request, or the end
inline void beast_connection::on_write(error_code ec)
{
    if (ec) {
        drop(ec, "writing a response");
        return;
    }
    if (sent_ < head_.size() + reply_body_.size()) {
        write_some();
        return;
    }

    reply_body_.clear();
    reply_body_.shrink_to_fit();
    parser_.reset();
    mount_.reset();
    served_ = true;
    if (keep_alive_ && !server_->stopping())
        wait_for_request();
    else if (request_read_ && buffer_.size() == 0)
        stream_.close(); // nothing unread that could turn the close into a reset
    else
        linger();
}

// Closing with bytes of the client unread would make the system answer
// them with a reset, which can destroy the response before the client has
// read it; so the sending side closes first and what still comes is read
// and dropped, for a bounded time.
inline void beast_connection::linger()
{
    phase_ = phase::closing;
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    expire_after(linger_time);
    drain();
}

inline void beast_connection::drain()
{
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(first_read_size),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                                if (ec)
                                    self->stream_.close();
                                else
                                    self->drain();
                            });
}

inline beast_connection::clock::time_point
beast_connection::deadline_after(std::chrono::milliseconds timeout) const
{
    return timeout.count() > 0 ? clock::now() + timeout : clock::time_point::max();
}

inline void beast_connection::expire_after(std::chrono::milliseconds timeout)
{
    expire_at(deadline_after(timeout));
}

inline void beast_connection::expire_at(clock::time_point deadline)
{
    if (deadline == clock::time_point::max())
        stream_.expires_never();
    else
        stream_.expires_at(deadline);
}

inline void beast_connection::drop(error_code ec, std::string_view while_doing)
{
    if (ec == beast::error::timeout)
        server_->log(log_level::debug, "closed the connection from " + peer_ + ": timed out " +
                                           std::string(while_doing));
    stream_.close();
}

} // namespace detail

// ---- beast_router

inline beast_router::beast_router(executor_type executor, beast_router_options options)
    : server_(std::make_shared<detail::beast_server>(std::move(executor), std::move(options)))
{}

inline beast_router::beast_router(boost::asio::io_context& context, beast_router_options options)
    : beast_router(executor_type(context.get_executor()), std::move(options))
{}

inline beast_router& beast_router::operator=(beast_router&& other) noexcept
{
    if (this != &other) {
        if (server_)
            server_->stop({});
        server_ = std::move(other.server_);
    }
    return *this;
}

inline beast_router::~beast_router()
{
    if (server_)
        server_->stop({});
}

inline void beast_router::mount(std::string prefix, request_handler handler, mount_options options)
{
    server_->mount(std::move(prefix), std::move(handler), std::move(options));
}

inline void beast_router::listen(error_code& ec)
{
    server_->listen(ec);
}

inline void beast_router::listen()
{
    error_code ec;
    server_->listen(ec);
    if (ec)
        throw boost::system::system_error(ec, "beast_router::listen");
}

inline beast_router::endpoint_type beast_router::local_endpoint() const
{
    return server_->local_endpoint();
}

inline void beast_router::stop(std::function<void()> done)
{
    server_->stop(std::move(done));
}

inline std::size_t beast_router::connections() const
{
    return server_->connections();
}

inline beast_router::executor_type beast_router::get_executor() const
{
    return server_->executor();
}

inline const beast_router_options& beast_router::options() const
{
    return server_->options();
}

} // namespace scopejobs

#endif
