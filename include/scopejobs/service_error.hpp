#ifndef SCOPEJOBS_SERVICE_ERROR_HPP
#define SCOPEJOBS_SERVICE_ERROR_HPP

#include <scopejobs/detail/config.hpp>

#include <boost/system/error_category.hpp>

#include <string>
#include <type_traits>

namespace scopejobs {

/// Why the service refused a request of its C++ API; each maps to the HTTP
/// status the routes answer (`http_status`).
enum class service_errc
{
    job_not_found = 1,  ///< 404
    delete_not_rerun,   ///< 409: a delete job cannot be rerun
    upload_cleaned_up,  ///< 409: the upload the job read was removed
    unreadable_command, ///< 409: the record's command cannot be split
    too_many_running,   ///< 429
    read_only,          ///< 404: write routes are not mounted
};

/// The category of `service_errc`.
inline const boost::system::error_category& service_category() noexcept
{
    struct category : boost::system::error_category
    {
        const char* name() const noexcept override { return "scopejobs.service"; }

        std::string message(int value) const override
        {
            switch (static_cast<service_errc>(value)) {
            case service_errc::job_not_found:
                return "job not found";
            case service_errc::delete_not_rerun:
                return "a delete job cannot be rerun";
            case service_errc::upload_cleaned_up:
                return "the upload this job read was removed when it ended; upload it again";
            case service_errc::unreadable_command:
                return "the job's command cannot be read back";
            case service_errc::too_many_running:
                return "too many jobs running";
            case service_errc::read_only:
                return "the service is read-only";
            }
            return "unknown service error";
        }
    };
    static const category instance;
    return instance;
}

inline error_code make_error_code(service_errc value) noexcept
{
    return {static_cast<int>(value), service_category()};
}

/// The status a route answers for `ec`: 400 for a client's bad argument,
/// 404, 409 and 429 for the service's refusals, 500 for anything else.
inline unsigned http_status(const error_code& ec) noexcept
{
    if (ec.category() == service_category()) {
        switch (static_cast<service_errc>(ec.value())) {
        case service_errc::job_not_found:
        case service_errc::read_only:
            return 404;
        case service_errc::delete_not_rerun:
        case service_errc::upload_cleaned_up:
        case service_errc::unreadable_command:
            return 409;
        case service_errc::too_many_running:
            return 429;
        }
    }
    if (ec == boost::system::errc::invalid_argument)
        return 400;
    return 500;
}

} // namespace scopejobs

template <>
struct boost::system::is_error_code_enum<scopejobs::service_errc> : std::true_type
{};

#endif
