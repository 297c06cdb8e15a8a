#ifndef SCOPEJOBS_ROUTER_BEAST_HOST_ROUTER_HPP
#define SCOPEJOBS_ROUTER_BEAST_HOST_ROUTER_HPP

// A router for a host that runs its own Boost.Beast server: the host reads
// each request and writes each response; the router answers the requests
// under its prefixes and declines the others.

#include <scopejobs/detail/config.hpp>
#include <scopejobs/log.hpp>
#include <scopejobs/router.hpp>

#include <boost/beast/http/dynamic_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs {

/// Answers the requests a host's own Beast server has read, when their
/// path lies under a mounted prefix.
///
/// The host owns the sockets, the parsing and the writing; for each
/// request it calls `handle`, which either answers (the path is a mounted
/// prefix or lies below it) or declines with nothing, and the host goes on
/// with its own routes. An answer is converted as `beast_router` converts
/// its own: the target split into a path (not decoded) and a decoded query,
/// header names in lower case, the body decoded into form fields (urlencoded
/// or multipart, files written to the mount's `upload_dir`) under the
/// mount's limits; a malformed body is 400, a body over `max_body` 413 with
/// `too_large_message`, both with the mount's `response_headers`. The
/// response has the request's version and keep-alive, a `Content-Length`,
/// and no body for HEAD or for 204 and 304; the host writes it.
///
/// What the host decides and the router does not: the header and body
/// limits of its parser (Beast's `request_parser` refuses bodies over 1 MiB
/// by default, before the router sees them: a host that takes uploads
/// raises `body_limit`), timeouts, `Expect: 100-continue`, and closing the
/// connection. The whole body is in memory (or in the host's buffers)
/// before `handle` is called; only multipart files go to disk, as they are
/// decoded. The path is matched as sent: a target in absolute form
/// (`http://host/path`) matches no prefix that starts with `/`.
///
/// Threads: `mount` and `handle` may be called from any thread, `handle`
/// from several at once; the handler runs on the calling thread, so the
/// host decides where the service's work runs. A request a handler is
/// answering keeps its mount alive when the prefix is mounted again.
class beast_host_router
{
public:
    /// The request type a host reads most often.
    using request_type = boost::beast::http::request<boost::beast::http::string_body>;

    /// A request read into a `dynamic_body`.
    using dynamic_request_type = boost::beast::http::request<boost::beast::http::dynamic_body>;

    /// The response the host writes.
    using response_type = boost::beast::http::response<boost::beast::http::string_body>;

    /// A router that logs handler failures to `log`.
    explicit beast_host_router(log_sink log = stderr_sink());

    /// Answers requests whose path is `prefix` or starts with `prefix + "/"`
    /// with `handler`, read under `options`. A trailing `/` of `prefix` is
    /// ignored, so `""` and `"/"` cover every path; the longest covering
    /// prefix wins. Mounting a prefix again replaces its handler.
    void mount(std::string prefix, request_handler handler, mount_options options = {});

    /// The answer to `request`, or nothing when no mounted prefix covers
    /// its path. A handler that throws is answered 500 `{"error":
    /// "Internal server error"}` and logged.
    std::optional<response_type> handle(const request_type& request) const;

    /// As above, for a body read into a `dynamic_body`.
    std::optional<response_type> handle(const dynamic_request_type& request) const;

    /// Whether a mounted prefix covers `target` (its path up to the `?`):
    /// what `handle` would answer rather than decline.
    bool covers(std::string_view target) const;

    /// What to answer after reading only the head of a request: 413 with
    /// the mount's `too_large_message` when its `Content-Length` is over
    /// the mount's `max_body`; nothing when the host should read the body
    /// (or the path is not the router's). Lets a host refuse a large
    /// upload without reading it; after such an answer it closes the
    /// connection.
    std::optional<response_type> check_head(const boost::beast::http::request_header<>& head) const;

private:
    struct mount_entry
    {
        std::string prefix;
        request_handler handler;
        mount_options options;
    };

    std::shared_ptr<const mount_entry> find(std::string_view target) const;

    template <class Feed>
    response_type answer(const mount_entry& entry, const boost::beast::http::request_header<>& head,
                         bool keep_alive, Feed feed_body) const;

    log_sink log_;
    mutable std::mutex mounts_mutex_; // guards mounts_
    std::vector<std::shared_ptr<const mount_entry>> mounts_;
};

static_assert(router<beast_host_router>);

} // namespace scopejobs

#include <scopejobs/router/impl/beast_host_router.hpp>

#endif
