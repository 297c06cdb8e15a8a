#ifndef SCOPEJOBS_DETAIL_BEAST_MESSAGE_HPP
#define SCOPEJOBS_DETAIL_BEAST_MESSAGE_HPP

// What every router on Boost.Beast does between Beast's messages and the
// neutral ones: a request head into an `http::request`, an
// `http::response` into a Beast response.

#include <scopejobs/detail/request_body.hpp>
#include <scopejobs/http.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <utility>

namespace scopejobs::detail {

/// Sets the method, target, path, query and headers (names in lower case)
/// of `out` from `head`. False, with a message for a 400 in `error`, when
/// the query string does not decode within `limits`.
bool from_beast_head(const boost::beast::http::request_header<>& head, http::request& out,
                     std::string& error, const http::parse_limits& limits);

/// Sets the status, `Content-Type`, the headers a handler may set (see
/// `is_passable_header`), `Content-Length` and the body of `out` from
/// `reply`; no body for a HEAD request or a status that has none. The
/// version and keep-alive of `out` are left to the caller. `reply.status`
/// must lie in 100 to 999.
void to_beast_response(http::response reply, bool head_request,
                       boost::beast::http::response<boost::beast::http::string_body>& out);

// ---- bodies

inline bool from_beast_head(const boost::beast::http::request_header<>& head, http::request& out,
                            std::string& error, const http::parse_limits& limits)
{
    out.method = http::parse_verb(head.method_string());
    for (const auto& field : head)
        out.headers.add(lower_ascii(field.name_string()), std::string(field.value()));
    return parse_target(head.target(), out, error, limits);
}

inline void to_beast_response(http::response reply, bool head_request,
                              boost::beast::http::response<boost::beast::http::string_body>& out)
{
    namespace beast_http = boost::beast::http;

    // status line and headers
    out.result(reply.status);
    if (!reply.content_type.empty())
        out.set(beast_http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) {
        bool duplicate = !reply.content_type.empty() && equals_ignoring_case(name, "content-type");
        if (!duplicate && is_passable_header(name, value))
            out.insert(name, value);
    }

    // the body, unless the status or the method has none
    bool bodyless = reply.status < 200 || reply.status == 204 || reply.status == 304;
    if (!bodyless)
        out.content_length(reply.body.size());
    if (!bodyless && !head_request)
        out.body() = std::move(reply.body);
}

} // namespace scopejobs::detail

#endif
