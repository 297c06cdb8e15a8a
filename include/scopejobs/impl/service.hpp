#ifndef SCOPEJOBS_IMPL_SERVICE_HPP
#define SCOPEJOBS_IMPL_SERVICE_HPP

#include <scopejobs/command.hpp>
#include <scopejobs/detail/path.hpp>
#include <scopejobs/detail/security.hpp>

#include <system_error>

namespace scopejobs {

#define SCOPEJOBS_SERVICE_TEMPLATE template <class Router, class Process, class Store, class Routes>
#define SCOPEJOBS_SERVICE basic_job_service<Router, Process, Store, Routes>

SCOPEJOBS_SERVICE_TEMPLATE
SCOPEJOBS_SERVICE::basic_job_service(executor_type executor, Router& router, Process& process,
                                     Store& store, settings config)
    : executor_(executor), router_(router), store_(store), settings_(std::move(config)),
      runner_(executor, process, store, settings_)
{
    if (settings_.upload_dir.empty())
        settings_.upload_dir = settings_.data_dir / ".scopejobs-uploads";
}

SCOPEJOBS_SERVICE_TEMPLATE
SCOPEJOBS_SERVICE::~basic_job_service()
{
    workers_.join();
}

SCOPEJOBS_SERVICE_TEMPLATE
void SCOPEJOBS_SERVICE::open(error_code& ec)
{
    ec = {};
    if (!settings_.read_only) {
        lock_.acquire(settings_.data_dir, ec);
        if (ec)
            return;
        std::error_code made;
        std::filesystem::create_directories(settings_.upload_dir, made);
        runner_.reconcile();
    }

    mount_options options;
    options.max_body = settings_.max_upload_mb << 20;
    options.too_large_message =
        "Upload too large. Limit is " + std::to_string(settings_.max_upload_mb) + " MB.";
    options.upload_dir = settings_.upload_dir;
    options.response_headers.add("Access-Control-Allow-Origin", "*");
    router_.mount(
        settings_.prefix, [this](http::request& request) { return handle(request); },
        std::move(options));
}

SCOPEJOBS_SERVICE_TEMPLATE
void SCOPEJOBS_SERVICE::close(std::function<void()> done)
{
    runner_.shutdown(std::move(done));
}

SCOPEJOBS_SERVICE_TEMPLATE
std::string SCOPEJOBS_SERVICE::start(std::string dataset, std::vector<std::string> argv,
                                     error_code& ec)
{
    return start_launch({.dataset = std::move(dataset), .argv = std::move(argv)}, ec);
}

SCOPEJOBS_SERVICE_TEMPLATE
std::string SCOPEJOBS_SERVICE::start_launch(launch what, error_code& ec)
{
    ec = {};
    if (settings_.read_only) {
        ec = service_errc::read_only;
        return {};
    }
    if (settings_.max_running != 0 && runner_.running() >= settings_.max_running) {
        ec = service_errc::too_many_running;
        return {};
    }
    return runner_.start(std::move(what), ec);
}

SCOPEJOBS_SERVICE_TEMPLATE
std::optional<job_record> SCOPEJOBS_SERVICE::get(std::string_view dataset, std::string_view id,
                                                 error_code& ec) const
{
    return store_.read(dataset, id, ec);
}

SCOPEJOBS_SERVICE_TEMPLATE
std::vector<job_record> SCOPEJOBS_SERVICE::list(std::string_view dataset) const
{
    return store_.list(dataset);
}

SCOPEJOBS_SERVICE_TEMPLATE
std::string SCOPEJOBS_SERVICE::read_log(std::string_view dataset, std::string_view id,
                                        std::uint64_t offset, std::size_t max, error_code& ec) const
{
    auto record = store_.read(dataset, id, ec);
    if (!record && !ec)
        ec = service_errc::job_not_found;
    if (ec)
        return {};
    return store_.read_log(dataset, id, offset, max, ec).value_or("");
}

SCOPEJOBS_SERVICE_TEMPLATE
std::optional<job_record> SCOPEJOBS_SERVICE::kill(std::string_view dataset, std::string_view id,
                                                  error_code& ec)
{
    if (settings_.read_only) {
        ec = service_errc::read_only;
        return std::nullopt;
    }
    return runner_.kill(dataset, id, ec);
}

SCOPEJOBS_SERVICE_TEMPLATE
std::string SCOPEJOBS_SERVICE::rerun(std::string_view dataset, std::string_view id, error_code& ec)
{
    auto record = store_.read(dataset, id, ec);
    if (ec)
        return {};
    if (!record) {
        ec = service_errc::job_not_found;
        return {};
    }
    if (record->job_name == "delete" || record->job_name == "rm") {
        ec = service_errc::delete_not_rerun;
        return {};
    }

    // the argv as stored, or read back from the command of an older record
    auto argv = record->argv;
    if (argv.empty()) {
        error_code split;
        argv = split_command(record->command, split);
        if (split || argv.empty()) {
            ec = service_errc::unreadable_command;
            return {};
        }
    }

    // an upload that was cleaned up when the job ended cannot be read again
    auto uploads = (settings_.data_dir / record->dataset / "uploads").lexically_normal().string();
    for (const auto& arg : argv) {
        auto path = std::filesystem::path(arg).lexically_normal().string();
        std::error_code ignored;
        if (path.starts_with(uploads + "/") && !std::filesystem::exists(path, ignored)) {
            ec = service_errc::upload_cleaned_up;
            return {};
        }
    }

    if (record->run_id && !record->run_id->empty()) {
        argv.emplace_back("--rerun");
        argv.push_back(*record->run_id);
    }
    return start(std::string(dataset), std::move(argv), ec);
}

SCOPEJOBS_SERVICE_TEMPLATE
std::string SCOPEJOBS_SERVICE::remove(std::string_view dataset, artifact_kind kind,
                                      std::string_view id, error_code& ec)
{
    ec = {};
    if (settings_.read_only) {
        ec = service_errc::read_only;
        return {};
    }
    if (!detail::is_safe_component(dataset) || !detail::is_safe_component(id)) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return {};
    }

    auto folder = settings_.data_dir / std::string(dataset);
    auto work = [folder, kind, id = std::string(id), log = settings_.log] {
        auto plan = plan_delete(folder, kind, id, log);
        if (!plan.ok())
            return task_result{{"cannot plan the delete: " + plan.error.message()}, false};
        auto done = execute(folder, plan);
        task_result result{std::move(done.removed), done.ok()};
        result.lines.insert(result.lines.end(), done.errors.begin(), done.errors.end());
        return result;
    };
    return runner_.start_task({.dataset = std::string(dataset),
                               .argv = {"delete", std::string(to_string(kind)), std::string(id)},
                               .job_name = "delete",
                               .command = delete_command(kind, id)},
                              workers_.get_executor(), std::move(work), ec);
}

SCOPEJOBS_SERVICE_TEMPLATE
void SCOPEJOBS_SERVICE::on_final(std::function<void(const job_record&)> handler)
{
    runner_.on_final(std::move(handler));
}

SCOPEJOBS_SERVICE_TEMPLATE
void SCOPEJOBS_SERVICE::save_upload(const http::uploaded_file& file,
                                    const std::filesystem::path& target, error_code& ec) const
{
    ec = {};
    std::error_code failure;
    std::filesystem::create_directories(target.parent_path(), failure);
    if (!failure)
        std::filesystem::rename(file.path, target, failure);
    if (failure == std::errc::cross_device_link) { // an upload folder set elsewhere
        failure.clear();
        std::filesystem::copy_file(file.path, target,
                                   std::filesystem::copy_options::overwrite_existing, failure);
        std::error_code ignored;
        std::filesystem::remove(file.path, ignored);
    }
    if (failure)
        ec = error_code(failure.value(), boost::system::system_category());
}

SCOPEJOBS_SERVICE_TEMPLATE
http::response SCOPEJOBS_SERVICE::handle(http::request& request)
{
    // the path below the prefix
    std::string_view path = request.path;
    if (!path.starts_with(settings_.prefix))
        return http::error_response(404, "not found");
    path.remove_prefix(settings_.prefix.size());

    http::response answer;
    try {
        // a name this server does not go by: DNS rebinding
        auto refused = detail::refuse_host(request, settings_);
        answer = refused ? std::move(*refused) : dispatch(request, path);
    } catch (const std::exception& failure) {
        settings_.log(log_level::error, "request " + request.path + ": " + failure.what());
        answer = http::error_response(500, failure.what());
    }
    answer.headers.add("Access-Control-Allow-Origin", "*");
    return answer;
}

SCOPEJOBS_SERVICE_TEMPLATE
http::response SCOPEJOBS_SERVICE::dispatch(http::request& request, std::string_view path)
{
    auto found = route(request, path, static_cast<Routes*>(nullptr));
    if (!found)
        return http::error_response(404, "not found");
    return std::move(*found);
}

SCOPEJOBS_SERVICE_TEMPLATE
template <class... Route>
std::optional<http::response> SCOPEJOBS_SERVICE::route(http::request& request,
                                                       std::string_view path, route_set<Route...>*)
{
    std::optional<http::response> out;
    (try_route<Route>(request, path, out) || ...);
    return out;
}

SCOPEJOBS_SERVICE_TEMPLATE
template <class Route>
bool SCOPEJOBS_SERVICE::try_route(http::request& request, std::string_view path,
                                  std::optional<http::response>& out)
{
    static_assert(route_for<Route, basic_job_service>,
                  "a route must name path, methods, writes and handle(service, request): "
                  "see routes/route.hpp");
    if (path != Route::path)
        return false;

    // what every request needs before its route sees it
    if (Route::writes && settings_.read_only) {
        out = http::error_response(404, "not found");
        return true;
    }
    if (request.method == http::verb::options) {
        http::response preflight{204, "application/json", "", {}};
        preflight.headers.add("Access-Control-Allow-Methods", Route::methods.allow_header());
        preflight.headers.add("Access-Control-Allow-Headers", "Content-Type, Authorization");
        preflight.headers.add("Access-Control-Max-Age", "600");
        out = std::move(preflight);
        return true;
    }
    if (Route::writes) {
        if (auto refused = detail::refuse_write(request, settings_)) {
            out = std::move(refused);
            return true;
        }
    }
    if (!Route::methods.contains(request.method)) {
        out = http::error_response(405, "method not allowed");
        out->headers.add("Allow", Route::methods.allow_header());
        return true;
    }
    std::span<const std::string_view> required;
    if constexpr (requires { Route::required; })
        required = Route::required;
    if (auto invalid = Route::writes ? detail::nul_parameter(request) : std::nullopt) {
        out = http::error_response(400, *invalid);
        return true;
    }
    std::span<const std::string_view> normalised;
    if constexpr (requires { Route::normalised; })
        normalised = Route::normalised;
    if (auto invalid = check_path_parameters(request, required, normalised)) {
        out = http::error_response(400, *invalid);
        return true;
    }
    if (auto missing = route_params(request).missing(required)) {
        out = http::error_response(400, *missing);
        return true;
    }
    out = Route::handle(*this, request);
    return true;
}

#undef SCOPEJOBS_SERVICE
#undef SCOPEJOBS_SERVICE_TEMPLATE

} // namespace scopejobs

#endif
