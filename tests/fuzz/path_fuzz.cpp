// Fuzzes the validation of names that become one component of a path
// (dataset names, job ids, artifact ids): is_safe_component on its own,
// and check_path_parameters over a request whose query string is the
// input.
//
// Invariants: a name is accepted exactly when it is not empty, holds no
// `/`, `\`, NUL or other control byte, and starts with neither `.` nor
// `-` (so it is not `.` or `..`); an accepted name joined to a folder is
// one file name directly inside it, however the path is normalised; a
// request passes check_path_parameters exactly when every path parameter
// it carries (the first value of each; `align` item by item) is accepted
// or is empty and optional, and a refusal names the parameter.

#include <scopejobs/routes/route.hpp>

#include "check.hpp"

#include <scopejobs/detail/path.hpp>
#include <scopejobs/http.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace {

namespace fs = std::filesystem;
namespace sj = scopejobs;

// The rules of a safe component, as the documentation states them.
bool model_is_safe(std::string_view name)
{
    if (name.empty() || name.front() == '.' || name.front() == '-')
        return false;
    for (unsigned char byte : name)
        if (byte == '/' || byte == '\\' || byte < 0x20 || byte == 0x7F)
            return false;
    return true;
}

void check_component(std::string_view name)
{
    bool safe = sj::detail::is_safe_component(name);
    SCOPEJOBS_FUZZ_CHECK(safe == model_is_safe(name));
    SCOPEJOBS_FUZZ_CHECK(safe == sj::detail::why_unsafe(name).empty());
    if (!safe)
        return;

    // one file name directly inside the folder
    SCOPEJOBS_FUZZ_CHECK(name.find('\0') == std::string_view::npos);
    SCOPEJOBS_FUZZ_CHECK(name != "." && name != "..");
    fs::path folder = "/data/dataset";
    fs::path joined = (folder / fs::path(name)).lexically_normal();
    SCOPEJOBS_FUZZ_CHECK(joined.parent_path() == folder);
    SCOPEJOBS_FUZZ_CHECK(joined.filename() == fs::path(name));
    SCOPEJOBS_FUZZ_CHECK(!fs::path(name).has_root_path());
}

// Whether the request's parameters should pass, and the first one that
// should not.
bool model_passes(const sj::http::request& request, std::string_view required)
{
    for (auto name : sj::path_parameters)
        if (auto value = request.param(name))
            if (!(value->empty() && name != required) && !model_is_safe(*value))
                return false;
    auto align = request.param("align");
    if (!align || align->empty())
        return true;
    std::string_view rest = *align;
    for (auto comma = rest.find(','); comma != std::string_view::npos; comma = rest.find(',')) {
        if (!model_is_safe(rest.substr(0, comma)))
            return false;
        rest.remove_prefix(comma + 1);
    }
    return model_is_safe(rest);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);

    // the whole input as one name
    check_component(text);

    // the input as a query string, `dataset` required
    sj::http::request request;
    std::string error;
    if (!sj::http::parse_urlencoded(text, request.query, error))
        return 0;
    for (const auto& [name, value] : request.query)
        check_component(value);
    std::array<std::string_view, 1> required = {"dataset"};
    auto refusal = sj::check_path_parameters(request, required);
    SCOPEJOBS_FUZZ_CHECK(refusal.has_value() != model_passes(request, required[0]));
    if (!refusal)
        return 0;

    // the refusal names a path parameter
    std::string_view message = *refusal;
    SCOPEJOBS_FUZZ_CHECK(message.starts_with("Invalid "));
    auto named = message.substr(8, message.find(": ") - 8);
    SCOPEJOBS_FUZZ_CHECK(named == "align" ||
                         std::find(sj::path_parameters.begin(), sj::path_parameters.end(), named) !=
                             sj::path_parameters.end());
    return 0;
}
