#ifndef SCOPEJOBS_LOG_HPP
#define SCOPEJOBS_LOG_HPP

#include <cstdio>
#include <functional>
#include <string_view>

namespace scopejobs {

/// How much a log event matters.
enum class log_level
{
    debug,
    info,
    warning,
    error
};

/// The one place the library reports events: a callable taking a level and
/// a message of one line. It may be called from any thread the library
/// runs on, so it must be safe to call concurrently.
using log_sink = std::function<void(log_level, std::string_view)>;

/// The name of a level as it appears in the default sink's lines.
constexpr std::string_view to_string(log_level level) noexcept
{
    switch (level) {
    case log_level::debug:
        return "debug";
    case log_level::info:
        return "info";
    case log_level::warning:
        return "warning";
    case log_level::error:
        return "error";
    }
    return "?";
}

/// A sink that writes `scopejobs: LEVEL: message` lines to stderr, dropping
/// events below `threshold`. One `fprintf` per event keeps lines whole.
inline log_sink stderr_sink(log_level threshold = log_level::info)
{
    return [threshold](log_level level, std::string_view message) {
        if (level < threshold)
            return;
        auto name = to_string(level);
        std::fprintf(stderr, "scopejobs: %.*s: %.*s\n", int(name.size()), name.data(),
                     int(message.size()), message.data());
    };
}

/// A sink that drops everything.
inline log_sink null_sink()
{
    return [](log_level, std::string_view) {};
}

} // namespace scopejobs

#endif
