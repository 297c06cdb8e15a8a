// The smallest model of `scopejobs::router`: it keeps the one handler the
// service mounts and hands it requests built in memory, as a host server
// would hand it the requests it parsed. docs/router.md shows its parts;
// the program serves `/health` through a read-only service.

#include <scopejobs/http.hpp>
#include <scopejobs/router.hpp>
#include <scopejobs/service.hpp>
#include <scopejobs/store/memory_store.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace sj = scopejobs;

//[model
/// Keeps what `mount` was given. A real router also reads bodies under
/// `options` (413 past `max_body`, forms and files parsed as `http.hpp`
/// says) and sends the response back to its client.
class one_mount_router
{
public:
    /// Called once, by `basic_job_service::open`.
    void mount(std::string prefix, sj::request_handler handler, sj::mount_options options)
    {
        prefix_ = std::move(prefix);
        handler_ = std::move(handler);
        options_ = std::move(options);
    }

    /// What a host does with each request under the prefix: parse it, then
    /// call the handler, from any of its threads.
    sj::http::response answer(sj::http::verb method, std::string_view path, std::string_view query)
    {
        sj::http::request request;
        request.method = method;
        request.path = path;
        request.target = std::string(path) + "?" + std::string(query);
        std::string error;
        if (!sj::http::parse_urlencoded(query, request.query, error, options_.limits))
            return sj::http::error_response(400, error);
        if (!path.starts_with(prefix_))
            return sj::http::error_response(404, "not found");
        return handler_(request);
    }

private:
    std::string prefix_;
    sj::request_handler handler_;
    sj::mount_options options_;
};

static_assert(sj::router<one_mount_router>, "one_mount_router must model scopejobs::router");
//]

int main()
{
    //[service
    asio::io_context io;
    one_mount_router router;
    sj::posix_process processes(io.get_executor());
    sj::memory_store store;

    sj::settings config;
    config.read_only = true; // serves the read routes and writes nothing
    sj::basic_job_service<one_mount_router, sj::posix_process, sj::memory_store> service(
        io.get_executor(), router, processes, store, config);

    sj::error_code ec;
    service.open(ec); // mounts the routes on the router
    auto health = router.answer(sj::http::verb::get, "/api/jobs/health", "");
    auto embed = router.answer(sj::http::verb::get, "/api/jobs/embed", "dataset=demo");
    std::printf("health: %u %s\nembed: %u %s\n", health.status, health.body.c_str(), embed.status,
                embed.body.c_str());
    //]
    return health.status == 200 && embed.status == 404 ? 0 : 1;
}
