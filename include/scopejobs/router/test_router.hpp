#ifndef SCOPEJOBS_ROUTER_TEST_ROUTER_HPP
#define SCOPEJOBS_ROUTER_TEST_ROUTER_HPP

// A router with no sockets: tests and embedders hand it requests and get
// the service's responses back, through the same parsing a real router
// does for query strings and urlencoded bodies.

#include <scopejobs/router.hpp>

#include <stdexcept>
#include <string>

namespace scopejobs {

/// Dispatches requests in memory to what was mounted. `call` may be used
/// from any thread once `mount` has run.
class test_router
{
public:
    void mount(std::string prefix, request_handler handler, mount_options options)
    {
        prefix_ = std::move(prefix);
        handler_ = std::move(handler);
        options_ = std::move(options);
    }

    /// Sends `method target` with an urlencoded `body` (for POST), as a
    /// client would, and answers the response.
    http::response call(http::verb method, std::string_view target, std::string_view body = {})
    {
        http::request request;
        request.method = method;
        request.target = target;
        auto question = target.find('?');
        request.path = target.substr(0, question);
        std::string error;
        if (question != std::string_view::npos &&
            !http::parse_urlencoded(target.substr(question + 1), request.query, error))
            return http::error_response(400, error);
        if (!body.empty() && !http::parse_urlencoded(body, request.form, error))
            return http::error_response(400, error);
        return call(request);
    }

    /// Hands over a request built by the caller (files included).
    http::response call(http::request& request)
    {
        if (!handler_)
            throw std::logic_error("test_router: nothing is mounted");
        if (!request.path.starts_with(prefix_))
            return http::error_response(404, "not found");
        return handler_(request);
    }

    const mount_options& options() const noexcept { return options_; }

private:
    std::string prefix_;
    request_handler handler_;
    mount_options options_;
};

static_assert(router<test_router>);

} // namespace scopejobs

#endif
