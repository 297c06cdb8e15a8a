#ifndef SCOPEJOBS_JOB_SERVICE_HPP
#define SCOPEJOBS_JOB_SERVICE_HPP

// The default composition: the latent-scope routes over Boost.Beast, real
// processes and the latent-scope folder layout. Code that serves no HTTP
// itself includes service.hpp instead and pays nothing for Beast.

#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/router/beast_router.hpp>
#include <scopejobs/routes/latent_scope.hpp>
#include <scopejobs/service.hpp>
#include <scopejobs/store/filesystem_store.hpp>

namespace scopejobs {

/// The job service as `scopejobs-server` runs it.
using job_service =
    basic_job_service<beast_router, posix_process, filesystem_store, latent_scope_routes>;

} // namespace scopejobs

#endif
