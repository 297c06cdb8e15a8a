#ifndef SCOPEJOBS_SERVICE_HPP
#define SCOPEJOBS_SERVICE_HPP

// basic_job_service: the latent-scope job API over a router, a process
// backend and a store, with the routes composed at compile time. This
// header includes no HTTP framework; `job_service.hpp` names the default
// composition over Boost.Beast.

#include <scopejobs/dependencies.hpp>
#include <scopejobs/detail/data_lock.hpp>
#include <scopejobs/http.hpp>
#include <scopejobs/process.hpp>
#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/router.hpp>
#include <scopejobs/routes/latent_scope.hpp>
#include <scopejobs/runner.hpp>
#include <scopejobs/service_error.hpp>
#include <scopejobs/settings.hpp>
#include <scopejobs/store.hpp>
#include <scopejobs/store/filesystem_store.hpp>

#include <boost/asio/thread_pool.hpp>

#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace scopejobs {

/// The job service. `Router` carries HTTP to it, `Process` runs the tools,
/// `Store` keeps the records, `Routes` (a `route_set`) are the routes.
///
/// Threads: every member may be called from any thread. Jobs run on the
/// executor given at construction, which must also be the process
/// backend's (see `basic_runner`); cascade deletes run on a thread of the
/// service's own. `handle` is what routers call, from any thread.
///
/// Lifetime: the router, the backend and the store must outlive the
/// service; call `close` and let it complete before destroying it.
template <class Router, class Process = posix_process, class Store = filesystem_store,
          class Routes = latent_scope_routes>
class basic_job_service
{
    static_assert(router<Router>,
                  "the Router policy must offer mount(prefix, handler, options): see router.hpp");
    static_assert(process_backend<Process>,
                  "the Process policy must model scopejobs::process_backend: see process.hpp");
    static_assert(job_store<Store>,
                  "the Store policy must model scopejobs::job_store: see store.hpp");

public:
    using executor_type = boost::asio::any_io_executor;
    using runner_type = basic_runner<Process, Store>;

    /// The same service with one policy swapped.
    template <class Other>
    using with_router = basic_job_service<Other, Process, Store, Routes>;
    template <class Other>
    using with_process = basic_job_service<Router, Other, Store, Routes>;
    template <class Other>
    using with_store = basic_job_service<Router, Process, Other, Routes>;
    template <class Other>
    using with_routes = basic_job_service<Router, Process, Store, Other>;

    basic_job_service(executor_type executor, Router& router, Process& process, Store& store,
                      settings config);
    ~basic_job_service();

    basic_job_service(const basic_job_service&) = delete;
    basic_job_service& operator=(const basic_job_service&) = delete;

    /// Takes the data folder's lock, settles records an earlier server left
    /// running, and mounts the routes. In read-only mode it does neither of
    /// the first two. Fails with `device_or_resource_busy` when another
    /// server holds the folder.
    void open(error_code& ec);

    /// Stops every running job (see `basic_runner::shutdown`); `done` runs
    /// on the executor once none is live.
    void close(std::function<void()> done = {});

    // --- the C++ API: what the routes do, without HTTP ---------------------

    /// Starts `argv` as a job of `dataset`. Fails with `invalid_argument`,
    /// `service_errc::too_many_running` or `read_only`.
    std::string start(std::string dataset, std::vector<std::string> argv, error_code& ec);
    std::string start_launch(launch what, error_code& ec);

    /// The record; nothing when there is none.
    std::optional<job_record> get(std::string_view dataset, std::string_view id,
                                  error_code& ec) const;

    /// Every readable record of the dataset.
    std::vector<job_record> list(std::string_view dataset) const;

    /// At most `max` bytes of the job's log from `offset`; `job_not_found`
    /// when the job has no record.
    std::string read_log(std::string_view dataset, std::string_view id, std::uint64_t offset,
                         std::size_t max, error_code& ec) const;

    /// Kills a job (see `basic_runner::kill`); nothing when there is none.
    std::optional<job_record> kill(std::string_view dataset, std::string_view id, error_code& ec);

    /// Starts the job's argv again as a new job, with `--rerun RUN_ID` when
    /// it has a run id. Fails with `job_not_found`, `delete_not_rerun`,
    /// `upload_cleaned_up` or `unreadable_command`.
    std::string rerun(std::string_view dataset, std::string_view id, error_code& ec);

    /// Deletes an artifact and what depends on it, as a job of `dataset`.
    std::string remove(std::string_view dataset, artifact_kind kind, std::string_view id,
                       error_code& ec);

    /// Called with each job's final record (see `basic_runner::on_final`).
    void on_final(std::function<void(const job_record&)> handler);

    /// Moves an upload to `target` (inside the data folder), replacing a
    /// file of that name, creating the folder.
    void save_upload(const http::uploaded_file& file, const std::filesystem::path& target,
                     error_code& ec) const;

    /// Checks an extracted Twitter archive: "" or the reason it is refused.
    std::string validate_payload(const std::filesystem::path& file) const
    {
        return validator_(file);
    }

    /// Replaces the payload validator of `/import_twitter`.
    void set_payload_validator(payload_validator validator) { validator_ = std::move(validator); }

    /// Answers one request under the prefix: what every router calls. It
    /// runs the Host, cross-site and token checks of `settings` first (see
    /// docs/security.md); the C++ API above runs none of them.
    http::response handle(http::request& request);

    const settings& config() const noexcept { return settings_; }
    runner_type& runner() noexcept { return runner_; }
    Store& store() noexcept { return store_; }

private:
    http::response dispatch(http::request& request, std::string_view path);

    template <class Route>
    bool try_route(http::request& request, std::string_view path,
                   std::optional<http::response>& out);

    template <class... Route>
    std::optional<http::response> route(http::request& request, std::string_view path,
                                        route_set<Route...>*);

    executor_type executor_;
    Router& router_;
    Store& store_;
    settings settings_;
    runner_type runner_;
    boost::asio::thread_pool workers_{1};
    detail::data_lock lock_;
    payload_validator validator_ = validate_extracted_file;
};

} // namespace scopejobs

#include <scopejobs/impl/service.hpp>

#endif
