#ifndef SCOPEJOBS_SETTINGS_HPP
#define SCOPEJOBS_SETTINGS_HPP

#include <scopejobs/log.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace scopejobs {

/// What the job engine needs to know. A plain struct: the example server
/// fills it from flags and the latent-scope environment variables; the
/// library itself reads no environment variable.
struct settings
{
    /// Root of all datasets; tools find it in `LATENT_SCOPE_DATA`.
    std::filesystem::path data_dir = "scopejobs-data";

    /// A job whose tool prints nothing (not one byte) this long is stopped
    /// and ends in `error`. Zero disables the timeout.
    std::chrono::milliseconds inactivity_timeout = std::chrono::seconds(1800);

    /// How long a tool asked to stop (SIGTERM to its group) may take before
    /// it is forced (SIGKILL).
    std::chrono::milliseconds stop_grace = std::chrono::seconds(10);

    /// While output streams, the record is written at most this often; a
    /// status change is written at once.
    std::chrono::milliseconds write_interval = std::chrono::milliseconds(500);

    /// The record keeps the newest this many lines (the log keeps all).
    /// Zero keeps every line in the record, as the reference did.
    std::size_t progress_cap = 500;

    /// Log text buffered beyond this is appended at once rather than with
    /// the next record write.
    std::size_t log_buffer_limit = 1 << 20;

    /// fsync the record and its folder on every status change.
    bool durable = false;

    /// Put first on the tools' `PATH` when not empty.
    std::filesystem::path tools_dir;

    /// Added to the tools' environment after the server's own, each
    /// "NAME=value", replacing a variable of the same name.
    std::vector<std::string> environment;

    // What the service adds to the engine's settings.

    /// Every route lives under this path.
    std::string prefix = "/api/jobs";

    /// Read-only: write routes are not mounted (they answer 404) and
    /// nothing is written to the data folder, start-up reconcile included.
    bool read_only = false;

    /// A request body over this many MiB is refused with 413.
    std::uint64_t max_upload_mb = 1024;

    /// Starting a job while this many run is refused with 429; 0: no limit.
    std::size_t max_running = 0;

    /// Where uploads are streamed while a request arrives; empty means
    /// `{data_dir}/.scopejobs-uploads`, on the data folder's file system
    /// so that a route can rename an upload into a dataset.
    std::filesystem::path upload_dir;

    /// The `Host` names the service answers, on any port unless an entry
    /// names one (`NAME:PORT`); others get 403. `*` answers every name.
    /// Stops DNS rebinding; a request without a `Host` header passes (see
    /// docs/security.md).
    std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};

    /// The origins from which a browser may send write requests: entries
    /// `scheme://host[:port]`, `scheme://host:*` for any port, or `*` for
    /// every origin. A write request that a browser marks as sent from
    /// another site by a page of no allowed origin gets 403.
    std::vector<std::string> allowed_origins = {"http://localhost:*", "http://127.0.0.1:*",
                                                "http://[::1]:*"};

    /// When not empty, write routes answer 401 unless the request carries
    /// `Authorization: Bearer {auth_token}`. Read routes need no token.
    std::string auth_token;

    /// The clock that stamps `times` and `last_update`.
    std::function<std::chrono::system_clock::time_point()> clock = [] {
        return std::chrono::system_clock::now();
    };

    /// Where events go: one line each.
    log_sink log = stderr_sink();
};

} // namespace scopejobs

#endif
