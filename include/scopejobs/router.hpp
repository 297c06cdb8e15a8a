#ifndef SCOPEJOBS_ROUTER_HPP
#define SCOPEJOBS_ROUTER_HPP

// The router policy: what the service asks of whatever carries HTTP to it.
// Models: beast_router (a small HTTP/1.1 server, router/beast_router.hpp)
// and test_router (in-memory dispatch, router/test_router.hpp).

#include <scopejobs/http.hpp>

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace scopejobs {

/// Answers one request. Called by the router on one of its threads; the
/// service's handler is safe to call from several threads at once.
using request_handler = std::function<http::response(http::request&)>;

/// What a router needs to know to turn its requests into `http::request`s.
struct mount_options
{
    /// A body larger than this many bytes is refused: the router stops
    /// reading it and answers 413 with `too_large_message`.
    std::uint64_t max_body = std::uint64_t(1024) << 20;
    std::string too_large_message = "Upload too large.";

    /// Where the file parts of multipart bodies are streamed; on the same
    /// file system as the data folder, so a route can rename them into it.
    std::filesystem::path upload_dir;

    http::parse_limits limits;

    /// Headers the router adds to every response it makes itself (a 400 for
    /// a malformed body, a 413), as the service adds them to its own.
    http::fields response_headers;
};

/// The requirements on a router `R`: `r.mount(prefix, handler, options)`
/// sends every request whose path is `prefix` or starts with `prefix + "/"`
/// to `handler`, with its query string and body already parsed as
/// `http.hpp` describes (urlencoded and multipart bodies into `form` and
/// `files`); a body that is malformed or over `options.max_body` is
/// answered by the router itself (400, 413). Requests outside the prefix
/// are the router's or its host's business.
template <class R>
concept router = requires(R& r, std::string prefix, request_handler handler, mount_options options)
{
    r.mount(std::move(prefix), std::move(handler), std::move(options));
};

} // namespace scopejobs

#endif
