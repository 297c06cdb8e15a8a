#ifndef SCOPEJOBS_TESTS_SUPPORT_HPP
#define SCOPEJOBS_TESTS_SUPPORT_HPP

// What several test suites share: a scratch folder and a log collector.

#include <scopejobs/log.hpp>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scopejobs::testing {

/// A fresh folder under /tmp, removed with everything in it at the end.
struct temporary_folder
{
    std::filesystem::path path;

    explicit temporary_folder(std::string_view name = "scopejobs-test")
    {
        std::string pattern = "/tmp/" + std::string(name) + "-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path = pattern;
    }

    temporary_folder(const temporary_folder&) = delete;
    temporary_folder& operator=(const temporary_folder&) = delete;

    ~temporary_folder()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

/// The lines something logs, with their levels, collected from any thread.
struct collected_log
{
    std::mutex mutex; // guards lines
    std::vector<std::pair<log_level, std::string>> lines;

    log_sink sink()
    {
        return [this](log_level level, std::string_view message) {
            std::lock_guard lock(mutex);
            lines.emplace_back(level, std::string(message));
        };
    }

    std::size_t size()
    {
        std::lock_guard lock(mutex);
        return lines.size();
    }

    /// The text of line `i`.
    std::string text(std::size_t i)
    {
        std::lock_guard lock(mutex);
        return lines.at(i).second;
    }
};

} // namespace scopejobs::testing

#endif
