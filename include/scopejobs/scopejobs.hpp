#ifndef SCOPEJOBS_SCOPEJOBS_HPP
#define SCOPEJOBS_SCOPEJOBS_HPP

// Everything scopejobs offers, in one include.

#include <scopejobs/command.hpp>
#include <scopejobs/dependencies.hpp>
#include <scopejobs/http.hpp>
#include <scopejobs/job.hpp>
#include <scopejobs/log.hpp>
#include <scopejobs/markers.hpp>
#include <scopejobs/process.hpp>
#include <scopejobs/process/posix_process.hpp>
#include <scopejobs/process/scripted_process.hpp>
#include <scopejobs/registry.hpp>
#include <scopejobs/router.hpp>
#include <scopejobs/router/test_router.hpp>
#include <scopejobs/routes/latent_scope.hpp>
#include <scopejobs/routes/route.hpp>
#include <scopejobs/routes/twitter_import.hpp>
#include <scopejobs/runner.hpp>
#include <scopejobs/service.hpp>
#include <scopejobs/service_error.hpp>
#include <scopejobs/settings.hpp>
#include <scopejobs/store.hpp>
#include <scopejobs/store/filesystem_store.hpp>
#include <scopejobs/store/memory_store.hpp>
#include <scopejobs/version.hpp>

#endif
