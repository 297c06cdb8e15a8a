#ifndef SCOPEJOBS_EXAMPLES_NICE_PROCESS_IPP
#define SCOPEJOBS_EXAMPLES_NICE_PROCESS_IPP

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace nice_example {

namespace detail {

inline scopejobs::error_code errno_code(int value)
{
    return scopejobs::error_code(value, boost::system::system_category());
}

// The file that `name` runs: `name` itself when it holds a slash, else the
// first regular, executable file of that name in an absolute folder of the
// PATH of `environment` (`/usr/local/bin:/usr/bin:/bin` without one), as
// posix_process looks it up.
inline std::optional<std::string> find_on_path(const std::string& name,
                                               const std::vector<std::string>& environment)
{
    if (name.find('/') != std::string::npos)
        return name;
    std::string_view search = "/usr/local/bin:/usr/bin:/bin";
    for (std::string_view variable : environment)
        if (variable.starts_with("PATH=")) {
            search = variable.substr(5);
            break;
        }

    while (!name.empty() && !search.empty()) {
        auto length = std::min(search.find(':'), search.size());
        std::string folder(search.substr(0, length));
        search.remove_prefix(std::min(length + 1, search.size()));
        if (folder.empty() || folder.front() != '/')
            continue; // never a tool from wherever the server runs

        auto candidate = folder + (folder.back() == '/' ? "" : "/") + name;
        struct stat info;
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return std::nullopt;
}

// The program's file name with every byte but letters, digits, `.`, `_`
// and `-` made `_`, for naming its working folder.
inline std::string folder_stem(const std::string& program)
{
    auto stem = std::filesystem::path(program).filename().string();
    for (char& c : stem) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '_' || c == '-';
        if (!plain)
            c = '_';
    }
    if (stem.empty() || stem.front() == '.')
        stem.insert(0, "tool");
    return stem;
}

} // namespace detail

inline nice_process::nice_process(boost::asio::any_io_executor executor,
                                  nice_process_options options)
    : inner_(std::move(executor), options.process), options_(std::move(options))
{}

inline std::filesystem::path nice_process::make_work_folder(const std::string& program,
                                                            scopejobs::error_code& ec) const
{
    std::error_code made;
    std::filesystem::create_directories(options_.work_root, made);
    if (made) {
        ec = detail::errno_code(made.value());
        return {};
    }
    auto pattern = (options_.work_root / (detail::folder_stem(program) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        ec = detail::errno_code(errno);
        return {};
    }
    return std::filesystem::absolute(pattern);
}

inline std::shared_ptr<nice_process::child> nice_process::start(scopejobs::process_spec spec,
                                                                scopejobs::process_events events,
                                                                scopejobs::error_code& ec)
{
    ec = {};
    if (spec.argv.empty()) {
        ec = detail::errno_code(EINVAL);
        return nullptr;
    }
    auto program = detail::find_on_path(spec.argv.front(), spec.environment);
    if (!program) {
        ec = detail::errno_code(ENOENT);
        return nullptr;
    }
    auto folder = make_work_folder(*program, ec);
    if (ec)
        return nullptr;

    // nice -n N -- PROGRAM ARG..., in the new folder
    std::vector<std::string> argv{options_.nice_program.string(), "-n",
                                  std::to_string(options_.niceness), "--", *program};
    argv.insert(argv.end(), std::make_move_iterator(spec.argv.begin() + 1),
                std::make_move_iterator(spec.argv.end()));
    spec.argv = std::move(argv);
    spec.working_directory = folder.string();

    // the folder goes once the tool has exited, before the runner hears it
    if (!options_.keep_work_folders)
        events.exit = [exit = std::move(events.exit), folder](scopejobs::exit_status status) {
            std::error_code ignored;
            std::filesystem::remove_all(folder, ignored);
            if (exit)
                exit(status);
        };

    auto child = inner_.start(std::move(spec), std::move(events), ec);
    if (!child) {
        std::error_code ignored;
        std::filesystem::remove_all(folder, ignored);
    }
    return child;
}

} // namespace nice_example

#endif
