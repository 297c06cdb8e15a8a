#ifndef SCOPEJOBS_ROUTER_HTTPLIB_ROUTER_HPP
#define SCOPEJOBS_ROUTER_HTTPLIB_ROUTER_HPP

// A router that mounts the routes onto an `httplib::Server` the user owns
// (cpp-httplib 0.11, as Debian ships it: `pkg-config cpp-httplib`).

#include <scopejobs/detail/config.hpp>
#include <scopejobs/log.hpp>
#include <scopejobs/router.hpp>

#include <httplib.h>

#include <map>
#include <memory>
#include <string>

namespace scopejobs {

namespace detail {
class httplib_slot;
}

/// Registers handlers on a user's `httplib::Server` for a prefix and every
/// path below it, for GET (and so HEAD), POST, PUT, PATCH, DELETE and
/// OPTIONS, so that the service answers each of them (405 where a route
/// does not take the method).
///
/// Each request is converted to an `http::request`: the raw target split
/// into a path (not decoded) and a decoded query, header names in lower
/// case, an urlencoded body decoded into form fields, multipart text parts
/// into form fields and file parts written to the mount's `upload_dir` as
/// they arrive (files the request owns). A body over `max_body` is 413
/// with `too_large_message`, a malformed one 400, an upload that cannot be
/// written 500, each with the mount's `response_headers`. The response's
/// status, `Content-Type`, headers and body are copied back.
///
/// What httplib does itself, and so differently from `beast_router`:
///
/// - It matches our patterns against the decoded path, so a request such
///   as `/api%2Fjobs/all` reaches the service, which answers it 404 by
///   its raw path. It tries handlers in the order they were registered:
///   mount before registering a catch-all pattern of your own.
/// - It never reads the body of a GET, HEAD or OPTIONS request, and reads
///   a POST without `Content-Length` or chunked framing until the client
///   closes. It decodes `Content-Encoding: gzip` and `br` bodies before
///   the router sees them, so `max_body` counts decoded bytes.
/// - It always answers `Expect: 100-continue` with 100 (unless the server
///   has an expect handler), so a body over the limit is still sent. A
///   handler cannot close httplib's connection, so a refused body is read
///   to its end and dropped, to keep the connection in step; after a
///   multipart body that httplib's parser rejects, it reads the bytes it
///   left as the next request.
/// - Multipart bodies are split by httplib's parser: it reads `name` and
///   `filename` only quoted and in that order and ignores `filename*`;
///   the limit counts the parts' content, not their framing, when the
///   body is chunked.
/// - Its own settings (timeouts, keep-alive, the server's payload limit,
///   the request line and header limits) apply before the router's.
///
/// Threads: mount a new prefix before the server listens (httplib's
/// handler lists are not guarded); mounting a prefix again may happen at
/// any time, from one thread at a time. The handlers run on httplib's
/// worker threads, several at once. The router may be destroyed before
/// the server: what the handlers need lives as long as the server holds
/// them.
class httplib_router
{
public:
    /// A router for `server`, which must outlive every call of `mount`,
    /// logging handler failures to `log`.
    explicit httplib_router(httplib::Server& server, log_sink log = stderr_sink());

    /// Registers `handler` for requests whose path is `prefix` or starts
    /// with `prefix + "/"`, read under `options`. A trailing `/` of
    /// `prefix` is ignored, so `""` and `"/"` cover every path. Mounting
    /// a prefix again replaces its handler and options for the requests
    /// that arrive later, keeping the httplib handlers registered first.
    void mount(std::string prefix, request_handler handler, mount_options options = {});

private:
    httplib::Server& server_;
    log_sink log_;
    std::map<std::string, std::shared_ptr<detail::httplib_slot>> slots_;
};

static_assert(router<httplib_router>);

} // namespace scopejobs

#include <scopejobs/router/impl/httplib_router.hpp>

#endif
