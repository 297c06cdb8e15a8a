#ifndef SCOPEJOBS_ROUTER_IMPL_BEAST_HOST_ROUTER_HPP
#define SCOPEJOBS_ROUTER_IMPL_BEAST_HOST_ROUTER_HPP

#include <scopejobs/detail/beast_message.hpp>
#include <scopejobs/detail/request_body.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <utility>

namespace scopejobs {

inline beast_host_router::beast_host_router(log_sink log) : log_(std::move(log)) {}

inline void beast_host_router::mount(std::string prefix, request_handler handler,
                                     mount_options options)
{
    while (!prefix.empty() && prefix.back() == '/')
        prefix.pop_back();
    auto entry = std::make_shared<const mount_entry>(
        mount_entry{std::move(prefix), std::move(handler), std::move(options)});

    std::lock_guard lock(mounts_mutex_);
    auto same = std::find_if(mounts_.begin(), mounts_.end(),
                             [&](const auto& m) { return m->prefix == entry->prefix; });
    if (same != mounts_.end())
        *same = std::move(entry);
    else
        mounts_.push_back(std::move(entry));
}

inline std::optional<beast_host_router::response_type>
beast_host_router::handle(const request_type& request) const
{
    auto entry = find(request.target());
    if (!entry)
        return std::nullopt;
    return answer(*entry, request, request.keep_alive(),
                  [&](detail::request_body& body) { return body.feed(request.body()); });
}

inline std::optional<beast_host_router::response_type>
beast_host_router::handle(const dynamic_request_type& request) const
{
    auto entry = find(request.target());
    if (!entry)
        return std::nullopt;
    return answer(*entry, request, request.keep_alive(), [&](detail::request_body& body) {
        // by value: the buffer sequence that data() answers is a temporary
        for (auto buffer : boost::beast::buffers_range(request.body().data()))
            if (!body.feed(
                    std::string_view(static_cast<const char*>(buffer.data()), buffer.size())))
                return false;
        return true;
    });
}

inline bool beast_host_router::covers(std::string_view target) const
{
    return find(target) != nullptr;
}

inline std::optional<beast_host_router::response_type>
beast_host_router::check_head(const boost::beast::http::request_header<>& head) const
{
    namespace beast_http = boost::beast::http;
    auto entry = find(head.target());
    auto length = head.find(beast_http::field::content_length);
    if (!entry || length == head.end())
        return std::nullopt;

    // a length that does not parse is the host parser's to refuse
    std::uint64_t declared = 0;
    std::string_view text = length->value();
    auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), declared);
    if (failure != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    if (declared <= entry->options.max_body)
        return std::nullopt;

    response_type out;
    out.version(head.version());
    detail::to_beast_response(
        detail::router_response(413, entry->options.too_large_message, entry->options),
        head.method() == beast_http::verb::head, out);
    out.keep_alive(false);
    return out;
}

inline std::shared_ptr<const beast_host_router::mount_entry>
beast_host_router::find(std::string_view target) const
{
    std::string_view path = target.substr(0, std::min(target.find('?'), target.size()));
    std::lock_guard lock(mounts_mutex_);
    std::shared_ptr<const mount_entry> best;
    for (const auto& m : mounts_)
        if (detail::prefix_covers(m->prefix, path) &&
            (!best || m->prefix.size() > best->prefix.size()))
            best = m;
    return best;
}

template <class Feed>
beast_host_router::response_type
beast_host_router::answer(const mount_entry& entry,
                          const boost::beast::http::request_header<>& head, bool keep_alive,
                          Feed feed_body) const
{
    namespace beast_http = boost::beast::http;
    const mount_options& options = entry.options;

    // the head, then the body under the mount's limits
    std::optional<http::response> reply;
    http::request request;
    std::string error;
    detail::request_body body(head[beast_http::field::content_type], options);
    if (!detail::from_beast_head(head, request, error, options.limits))
        reply = detail::router_response(400, error, options);
    else if (body.failed() || !feed_body(body) || !body.finish(request))
        reply = detail::router_response(body.status(), body.error(), options);

    // the handler
    if (!reply) {
        try {
            reply = entry.handler(request);
        } catch (const std::exception& failure) {
            if (log_)
                log_(log_level::error,
                     "handler failed on " + request.target + ": " + failure.what());
        } catch (...) {
            if (log_)
                log_(log_level::error, "handler failed on " + request.target);
        }
    }
    if (reply && (reply->status < 100 || reply->status > 999)) {
        if (log_)
            log_(log_level::error,
                 "handler answered status " + std::to_string(reply->status) + "; sent 500");
        reply.reset();
    }
    if (!reply)
        reply = detail::router_response(500, "Internal server error", options);

    // the upload files no route took go before the host writes the answer
    request = http::request();

    response_type out;
    out.version(head.version());
    detail::to_beast_response(std::move(*reply), head.method() == beast_http::verb::head, out);
    out.keep_alive(keep_alive);
    return out;
}

} // namespace scopejobs

#endif
