// scopejobs-server: the latent-scope job API as a program.
//
//     scopejobs-server [--data-dir DIR] [--host ADDR] [--port N] [--prefix PATH]
//                      [--read-only] [--timeout SEC] [--max-upload-mb N]
//                      [--tools-dir DIR] [--log-level LEVEL] [--allow-host HOST]...
//                      [--allow-origin ORIGIN]... [--token-file PATH] [--help]
//
// Each flag falls back to the latent-scope environment variable named in
// the usage text. Once bound it prints `listening on http://HOST:PORT`.
// SIGINT or SIGTERM stops it: running jobs are stopped and recorded as
// `error`, then it exits 0; a second signal exits at once. It answers the
// Host names of loopback and of the address it binds (docs/security.md).

#include <scopejobs/job_service.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace sj = scopejobs;

namespace {

constexpr const char* usage_text =
    "usage: scopejobs-server [options]\n"
    "  --data-dir DIR       data folder (LATENT_SCOPE_DATA; ./scopejobs-data)\n"
    "  --host ADDR          address to bind (127.0.0.1)\n"
    "  --port N             port, 0 for any free one (5001)\n"
    "  --prefix PATH        route prefix (/api/jobs)\n"
    "  --read-only          serve reads only (LATENT_SCOPE_READ_ONLY,\n"
    "                       LATENT_SCOPE_APP_MODE=single_profile)\n"
    "  --timeout SEC        stop a job silent this long, 0 never\n"
    "                       (LATENT_SCOPE_JOB_TIMEOUT_SEC; 1800)\n"
    "  --max-upload-mb N    largest request body in MiB (LATENT_SCOPE_MAX_UPLOAD_MB; 1024)\n"
    "  --tools-dir DIR      put DIR first on the tools' PATH\n"
    "  --log-level LEVEL    debug, info, warning or error (info)\n"
    "  --allow-host HOST    answer this Host name too, * for any (repeatable)\n"
    "  --allow-origin ORIGIN\n"
    "                       let pages of ORIGIN write, * for any (repeatable)\n"
    "  --token-file PATH    write routes need the bearer token on PATH's first\n"
    "                       line (SCOPEJOBS_TOKEN; none)\n"
    "  --help               this text\n";

struct options
{
    sj::settings config;
    sj::beast_router_options http;
    sj::log_level level = sj::log_level::info;
    std::string token_file;
};

std::optional<std::uint64_t> number(std::string_view text)
{
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

bool truthy(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return text == "true" || text == "1" || text == "t" || text == "y" || text == "yes";
}

std::string environment(const char* name, std::string fallback = {})
{
    const char* value = std::getenv(name);
    return value != nullptr ? value : fallback;
}

// The environment first, then the flags over it; false for a bad flag.
bool parse(int argc, char** argv, options& out, bool& help)
{
    auto& c = out.config;
    c.data_dir = environment("LATENT_SCOPE_DATA", "scopejobs-data");
    c.read_only = truthy(environment("LATENT_SCOPE_READ_ONLY")) ||
                  environment("LATENT_SCOPE_APP_MODE") == "single_profile";
    // a value that is not an integer falls back to the default
    if (auto seconds = number(environment("LATENT_SCOPE_JOB_TIMEOUT_SEC")))
        c.inactivity_timeout = std::chrono::seconds(*seconds);
    if (auto mb = number(environment("LATENT_SCOPE_MAX_UPLOAD_MB")))
        c.max_upload_mb = *mb;
    c.auth_token = environment("SCOPEJOBS_TOKEN");

    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help") {
            help = true;
            return true;
        }
        if (arg == "--read-only") {
            c.read_only = true;
            continue;
        }
        if (!arg.starts_with("--"))
            return false;

        // --flag VALUE or --flag=VALUE
        std::string_view flag = arg, value;
        if (auto equals = arg.find('='); equals != std::string_view::npos) {
            flag = arg.substr(0, equals);
            value = arg.substr(equals + 1);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return false;
        }

        if (flag == "--data-dir" && !value.empty()) {
            c.data_dir = std::string(value);
        } else if (flag == "--host" && !value.empty()) {
            out.http.address = std::string(value);
        } else if (flag == "--port" && number(value) && *number(value) <= 65535) {
            out.http.port = std::uint16_t(*number(value));
        } else if (flag == "--prefix" && value.starts_with("/")) {
            c.prefix = std::string(value);
        } else if (flag == "--timeout" && number(value)) {
            c.inactivity_timeout = std::chrono::seconds(*number(value));
        } else if (flag == "--max-upload-mb" && number(value)) {
            c.max_upload_mb = *number(value);
        } else if (flag == "--tools-dir" && !value.empty()) {
            c.tools_dir = std::string(value);
        } else if (flag == "--allow-host" && !value.empty()) {
            c.allowed_hosts.emplace_back(value);
        } else if (flag == "--allow-origin" && !value.empty()) {
            c.allowed_origins.emplace_back(value);
        } else if (flag == "--token-file" && !value.empty()) {
            out.token_file = std::string(value);
        } else if (flag == "--log-level") {
            if (value == "debug")
                out.level = sj::log_level::debug;
            else if (value == "info")
                out.level = sj::log_level::info;
            else if (value == "warning")
                out.level = sj::log_level::warning;
            else if (value == "error")
                out.level = sj::log_level::error;
            else
                return false;
        } else {
            return false;
        }
    }
    return true;
}

// The first line of the token file, its line end stripped; false with a
// message for a file that cannot be read or holds no token.
bool read_token(const std::string& path, std::string& token)
{
    std::ifstream file(path);
    if (!file || !std::getline(file, token)) {
        std::fprintf(stderr, "scopejobs-server: cannot read the token file %s\n", path.c_str());
        return false;
    }
    if (token.ends_with('\r'))
        token.pop_back();
    if (token.empty()) {
        std::fprintf(stderr, "scopejobs-server: the token file %s holds no token\n", path.c_str());
        return false;
    }
    return true;
}

// The address of every network interface, as text.
std::vector<std::string> interface_addresses()
{
    std::vector<std::string> out;
    ifaddrs* interfaces = nullptr;
    if (::getifaddrs(&interfaces) != 0)
        return out;
    for (auto* i = interfaces; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr)
            continue;
        int family = i->ifa_addr->sa_family;
        const void* address = nullptr;
        if (family == AF_INET)
            address = &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr;
        else if (family == AF_INET6)
            address = &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr;
        char text[INET6_ADDRSTRLEN] = {};
        if (address != nullptr && ::inet_ntop(family, address, text, sizeof text) != nullptr)
            out.emplace_back(text);
    }
    ::freeifaddrs(interfaces);
    return out;
}

// The names a client may reach this server by besides loopback: the bound
// address, or when it binds every interface, the machine's host name and
// the address of each interface. Pages served from those hosts on any
// port may write, as pages served from loopback may.
void allow_bound_names(options& out)
{
    std::vector<std::string> names;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(out.http.address, ec);
    if (ec || !address.is_unspecified()) {
        names.push_back(out.http.address);
    } else {
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0')
            names.emplace_back(host);
        auto addresses = interface_addresses();
        names.insert(names.end(), addresses.begin(), addresses.end());
    }

    for (auto name : names) {
        if (name.find(':') != std::string::npos && !name.starts_with("["))
            name = "[" + name + "]";
        out.config.allowed_hosts.push_back(name);
        out.config.allowed_origins.push_back("http://" + name + ":*");
    }
}

// A thousand jobs need a thousand pipes: take every descriptor allowed.
void raise_descriptor_limit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Keeps blocks of up to 64 MiB in the heap rather than mapping and
// unmapping each: an `/all` answer of 10,000 records is 26 MB, and a fresh
// mapping for every call spends a quarter of the call clearing its pages.
// The price: the heap may keep up to 128 MiB it no longer uses. This
// holds for the main thread's heap only: glibc gives other threads arenas
// of their own and unmaps an arena's extra heap once it is empty, whatever
// the thresholds, so an answer built on another thread still starts on
// fresh pages. One arena for all threads (`M_ARENA_MAX` 1) avoids that but
// gave no gain beyond the noise in docs/benchmarks.md, so it is not set.
void keep_large_blocks()
{
    constexpr int large = 64 << 20;
    ::mallopt(M_MMAP_THRESHOLD, large);
    ::mallopt(M_TRIM_THRESHOLD, 2 * large);
}

} // namespace

int main(int argc, char** argv)
{
    options opts;
    bool help = false;
    if (!parse(argc, argv, opts, help)) {
        std::fputs(usage_text, stderr);
        return 2;
    }
    if (help) {
        std::fputs(usage_text, stdout);
        return 0;
    }
    if (!opts.token_file.empty() && !read_token(opts.token_file, opts.config.auth_token))
        return 2;
    allow_bound_names(opts);
    raise_descriptor_limit();
    keep_large_blocks();
    std::signal(SIGPIPE, SIG_IGN); // a client gone mid-response is an error code
    std::signal(SIGXFSZ, SIG_IGN); // a file over RLIMIT_FSIZE is a write error, EFBIG

    auto log = sj::stderr_sink(opts.level);
    opts.config.log = log;
    opts.http.log = log;

    // one io_context, run by a few threads: the HTTP connections, each on a
    // strand of its own, and the jobs together on one strand, as the runner
    // needs; the thread count does not grow with the jobs. One thread (with
    // a concurrency hint of 1) was measured slower on two cores shared with
    // the client: 5,200 against 13,100 polls a second while a job streams
    asio::io_context io;
    auto jobs = asio::make_strand(io);
    sj::posix_process processes(jobs);
    sj::filesystem_store store(opts.config.data_dir, log);
    sj::beast_router router(io, opts.http);
    sj::job_service service(jobs, router, processes, store, opts.config);

    sj::error_code ec;
    service.open(ec);
    if (ec) {
        std::fprintf(stderr, "scopejobs-server: cannot use the data folder %s: %s\n",
                     opts.config.data_dir.c_str(),
                     ec == boost::system::errc::device_or_resource_busy ? "another server holds it"
                                                                        : ec.message().c_str());
        return 1;
    }
    router.listen(ec);
    if (ec) {
        std::fprintf(stderr, "scopejobs-server: cannot listen on %s port %u: %s\n",
                     opts.http.address.c_str(), unsigned(opts.http.port), ec.message().c_str());
        return 1;
    }

    auto endpoint = router.local_endpoint();
    auto host = endpoint.address().to_string();
    if (endpoint.address().is_v6())
        host = "[" + host + "]";
    std::printf("listening on http://%s:%u\n", host.c_str(), unsigned(endpoint.port()));
    std::fflush(stdout);

    // the first signal stops gracefully, a second one at once
    asio::signal_set signals(io, SIGINT, SIGTERM);
    bool stopping = false;
    std::function<void(const sj::error_code&, int)> on_signal = [&](const sj::error_code& error,
                                                                    int) {
        if (error)
            return;
        if (stopping)
            std::_Exit(1);
        stopping = true;
        log(sj::log_level::info, "stopping: running jobs are stopped and recorded");
        router.stop();
        service.close([&] { io.stop(); });
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    std::vector<std::thread> helpers;
    for (unsigned i = 1; i < threads; ++i)
        helpers.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& helper : helpers)
        helper.join();
    return 0;
}
