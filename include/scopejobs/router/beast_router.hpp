#ifndef SCOPEJOBS_ROUTER_BEAST_ROUTER_HPP
#define SCOPEJOBS_ROUTER_BEAST_ROUTER_HPP

// A small, complete HTTP/1.1 server on Boost.Beast: the router the service
// uses when nothing else carries HTTP to it.

#include <scopejobs/detail/config.hpp>
#include <scopejobs/log.hpp>
#include <scopejobs/router.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace scopejobs {

/// How a `beast_router` listens and how long it waits for its clients.
/// A zero duration disables that timeout.
struct beast_router_options
{
    /// An IPv4 or IPv6 address to bind; `0.0.0.0` or `::` for all.
    std::string address = "127.0.0.1";

    /// The port to bind; 0 lets the system pick a free one, which
    /// `local_endpoint` then tells.
    std::uint16_t port = 5001;

    /// Bytes of a request's line and headers together; a longer head is
    /// answered 431 and the connection closed.
    std::size_t header_limit = 16 * 1024;

    /// The whole head of a request must arrive within this, counted from
    /// its first byte (from the accept for a connection's first request).
    /// A client that trickles its headers is disconnected at the deadline.
    std::chrono::milliseconds header_timeout = std::chrono::seconds(10);

    /// The longest silence while a body is read or a response written; a
    /// body may take as long as it needs while bytes keep coming. The
    /// clock restarts with every piece of body delivered, so the framing
    /// of a chunked body between two pieces (a chunk-size line, the
    /// trailers) must arrive within one such period.
    std::chrono::milliseconds body_idle_timeout = std::chrono::seconds(30);

    /// How long a kept-alive connection may wait for its next request.
    std::chrono::milliseconds keep_alive_timeout = std::chrono::seconds(30);

    /// At most this many connections at once; at the limit the router
    /// stops accepting (clients wait in the listen backlog) until one
    /// closes. Nothing: no limit.
    std::optional<std::size_t> max_connections;

    /// Where events go, one line each: accept failures, the connection
    /// limit reached and handler exceptions; at `debug`, listening and
    /// connections cut by a timeout or a malformed request.
    log_sink log = stderr_sink();
};

namespace detail {
class beast_server;
}

/// An HTTP/1.1 server that gives each request to the handler of the
/// longest mounted prefix that covers its path.
///
/// It speaks keep-alive (HTTP/1.1's default; `Connection: close` and
/// HTTP/1.0 without keep-alive close after the response), answers
/// `Expect: 100-continue`, reads chunked bodies, and streams every body in
/// chunks through `detail::request_body`, so that an upload goes to disk
/// through the multipart parser and is never held whole in memory.
///
/// The path a prefix is matched against is the target up to its `?`, as
/// sent and not decoded; a target in absolute form (`http://host/path`) is
/// not rewritten, so it matches no prefix that starts with `/`.
///
/// A request is handled in this order:
///
///  1. wait for its first byte (`keep_alive_timeout` between requests;
///     on a new connection the header deadline already runs);
///  2. read the head within `header_timeout` of that byte: over
///     `header_limit` is 431, malformed HTTP 400, and either closes;
///  3. pick the mount of the longest prefix that the path equals or
///     continues with a `/`; none is 404 `{"error": "not found"}`;
///  4. decode the query string (400 with the parser's message);
///  5. refuse a Content-Length over the mount's `max_body` with 413
///     `too_large_message`, before reading any of the body;
///  6. answer `100 Continue` when the client expects it;
///  7. read the body chunk by chunk, each read within
///     `body_idle_timeout`, into form fields and upload files: past
///     `max_body` is 413, a malformed body 400, an upload that cannot be
///     written 500;
///  8. call the mount's handler, synchronously, with the request;
///  9. remove the upload files no route took, then write the response,
///     head and body in one gathered write (`TCP_NODELAY` set): its
///     status, `Content-Type`, its headers, `Content-Length` (no body for
///     HEAD or for 204 and 304);
/// 10. keep the connection for the next request, or close it.
///
/// Answers the router makes itself in steps 4 to 8 carry the mount's
/// `response_headers`; after any answer given with the body not read, the
/// connection closes: it shuts down its sending side and drains what the
/// client still sends for up to a second, so that the client reads the
/// answer rather than a reset. A handler that throws is answered 500
/// `{"error": "Internal server error"}` and logged.
///
/// Threads: all connection work runs on the executor given at
/// construction, each connection on a strand of its own, so the handlers
/// of different connections may run at once when several threads run the
/// executor; a stalled client costs a socket and a timer, never a thread.
/// `mount`, `stop`, `local_endpoint` and `connections` may be called from
/// any thread; call `listen` once, before or while the executor runs. A
/// moved-from router may only be assigned to or destroyed.
///
/// Lifetime: after `stop`, connections finish on the executor; the router
/// may be destroyed at any time (its state lives until the last
/// connection closes), but the handlers must stay callable until `stop`
/// has completed, and the executor's context must outlive the router's
/// connections.
class beast_router
{
public:
    using executor_type = boost::asio::any_io_executor;
    using endpoint_type = boost::asio::ip::tcp::endpoint;

    /// A router whose connections run on `executor`.
    explicit beast_router(executor_type executor, beast_router_options options = {});

    /// A router whose connections run on `context`.
    explicit beast_router(boost::asio::io_context& context, beast_router_options options = {});

    beast_router(beast_router&&) noexcept = default;
    beast_router& operator=(beast_router&&) noexcept;
    beast_router(const beast_router&) = delete;
    beast_router& operator=(const beast_router&) = delete;

    /// Stops the router (see `stop`) unless that has been done.
    ~beast_router();

    /// Sends requests whose path is `prefix` or starts with `prefix + "/"`
    /// to `handler`, read under `options`. A trailing `/` of `prefix` is
    /// ignored, so `""` and `"/"` cover every path. Mounting a prefix
    /// again replaces its handler. Applies to requests whose head arrives
    /// later.
    void mount(std::string prefix, request_handler handler, mount_options options = {});

    /// Binds the address and port of the options (with `SO_REUSEADDR`),
    /// listens and starts accepting on the executor. Fails with the
    /// system's error (an address in use, an invalid address), with
    /// `already_open` when called twice, or with `operation_aborted` after
    /// `stop`.
    void listen(error_code& ec);

    /// As `listen(ec)`, throwing `boost::system::system_error`.
    void listen();

    /// The address and port bound by `listen` (the real port when 0 was
    /// asked); a default endpoint before.
    endpoint_type local_endpoint() const;

    /// Stops accepting and closes idle connections; requests in flight
    /// finish and their connections close after the response. `done` is
    /// called on the executor once no connection remains. Later calls
    /// only add their `done`.
    void stop(std::function<void()> done = {});

    /// How many connections are open now.
    std::size_t connections() const;

    executor_type get_executor() const;

    const beast_router_options& options() const;

private:
    std::shared_ptr<detail::beast_server> server_;
};

static_assert(router<beast_router>);

} // namespace scopejobs

#include <scopejobs/router/impl/beast_router.hpp>

#endif
