#ifndef SCOPEJOBS_DETAIL_BEAST_MESSAGE_HPP
#define SCOPEJOBS_DETAIL_BEAST_MESSAGE_HPP

// What every router on Boost.Beast does between Beast's messages and the
// neutral ones: a request head into an `http::request`, an
// `http::response` into a Beast response.

#include <scopejobs/detail/request_body.hpp>
#include <scopejobs/http.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <charconv>

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

/// Appends to `out` the head that Beast's serializer writes for the
/// response `to_beast_response` makes of `reply`, answering a request of
/// HTTP `version` (10 or 11): the status line, the same headers in the
/// same order, and `Connection` as `keep_alive` asks for that version.
/// A `Content-Type` holding a line break or a NUL is left out. True when
/// `reply.body` is to follow the head. `reply.status` must lie in 100 to
/// 999.
bool write_response_head(const http::response& reply, unsigned version, bool keep_alive,
                         bool head_request, std::string& out);

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

inline bool write_response_head(const http::response& reply, unsigned version, bool keep_alive,
                                bool head_request, std::string& out)
{
    namespace beast_http = boost::beast::http;
    auto line = [&out](std::string_view name, std::string_view value) {
        out.append(name).append(": ").append(value).append("\r\n");
    };

    // the status line, its reason as Beast words it
    char digits[24];
    out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    out.append(digits, std::to_chars(digits, digits + sizeof digits, reply.status).ptr);
    out += ' ';
    out.append(beast_http::obsolete_reason(beast_http::int_to_status(reply.status)));
    out.append("\r\n");

    // the type, the handler's headers, the length
    bool typed = !reply.content_type.empty();
    if (typed &&
        reply.content_type.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos)
        line("Content-Type", reply.content_type);
    for (const auto& [name, value] : reply.headers) {
        bool duplicate = typed && equals_ignoring_case(name, "content-type");
        if (!duplicate && is_passable_header(name, value))
            line(name, value);
    }
    bool bodyless = reply.status < 200 || reply.status == 204 || reply.status == 304;
    if (!bodyless) {
        auto end = std::to_chars(digits, digits + sizeof digits, reply.body.size()).ptr;
        line("Content-Length", std::string_view(digits, std::size_t(end - digits)));
    }

    // HTTP/1.1 keeps the connection unless told; HTTP/1.0 closes unless told
    if (version >= 11 && !keep_alive)
        line("Connection", "close");
    else if (version < 11 && keep_alive)
        line("Connection", "keep-alive");
    out.append("\r\n");
    return !bodyless && !head_request;
}

} // namespace scopejobs::detail

#endif
