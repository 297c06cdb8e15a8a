#ifndef SCOPEJOBS_IMPL_DEPENDENCIES_IPP
#define SCOPEJOBS_IMPL_DEPENDENCIES_IPP

#include <scopejobs/command.hpp>
#include <scopejobs/detail/path.hpp>
#include <scopejobs/detail/remove.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/system/errc.hpp>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace scopejobs {

constexpr const artifact_type* artifact_graph::find(artifact_kind kind) const noexcept
{
    for (const auto& type : kinds)
        if (type.kind == kind)
            return &type;
    return nullptr;
}

constexpr std::optional<artifact_kind> artifact_graph::parse(std::string_view name) const noexcept
{
    for (const auto& type : kinds)
        if (type.name == name)
            return type.kind;
    return std::nullopt;
}

template <class Entry, std::size_t N, std::size_t M>
constexpr std::array<Entry, N + M> join_tables(const std::array<Entry, N>& first,
                                               const std::array<Entry, M>& second)
{
    std::array<Entry, N + M> joined{};
    auto next = std::copy(first.begin(), first.end(), joined.begin());
    std::copy(second.begin(), second.end(), next);
    return joined;
}

constexpr std::string_view why_invalid(const artifact_graph& graph) noexcept
{
    // the kinds
    if (graph.kinds.empty())
        return "has no kinds";
    for (std::size_t i = 0; i < graph.kinds.size(); ++i) {
        const auto& type = graph.kinds[i];
        if (type.name.empty())
            return "a kind has an empty name";
        if (!detail::is_safe_component(type.folder))
            return "a kind's folder is not a safe path component";
        for (std::size_t j = 0; j < i; ++j) {
            if (graph.kinds[j].kind == type.kind)
                return "two kinds share a value";
            if (graph.kinds[j].name == type.name)
                return "two kinds share a name";
        }
    }

    // the rules
    for (const auto& rule : graph.rules) {
        if (graph.find(rule.child) == nullptr || graph.find(rule.parent) == nullptr)
            return "a rule names a kind the graph lacks";
        if (rule.field.empty())
            return "a rule has an empty field";
    }
    return {};
}

constexpr std::string_view to_string(artifact_kind kind) noexcept
{
    const artifact_type* type = latent_scope_graph.find(kind);
    return type != nullptr ? type->name : std::string_view();
}

constexpr std::optional<artifact_kind> parse_artifact_kind(std::string_view name) noexcept
{
    return latent_scope_graph.parse(name);
}

constexpr bool matches_artifact(std::string_view entry_name, std::string_view id) noexcept
{
    if (id.empty() || !entry_name.starts_with(id))
        return false;
    if (entry_name.size() == id.size())
        return true;
    char next = entry_name[id.size()];
    return next == '.' || next == '-';
}

namespace detail {

// The name of a kind in messages: its name in the graph, or its number.
inline std::string kind_label(const artifact_graph& graph, artifact_kind kind)
{
    if (const artifact_type* type = graph.find(kind))
        return std::string(type->name);
    return std::to_string(static_cast<std::underlying_type_t<artifact_kind>>(kind));
}

// The whole content of a file, following links; on failure sets `ec` to
// the system's error.
inline std::string read_whole_file(const std::filesystem::path& path, error_code& ec)
{
    std::string text;
    remove_impl::fd_guard file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) {
        ec = remove_impl::last_error();
        return text;
    }

    char buffer[16384];
    for (;;) {
        ssize_t count = ::read(file.fd, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0) {
            ec = remove_impl::last_error();
            return text;
        }
        if (count == 0)
            return text;
        text.append(buffer, std::size_t(count));
    }
}

// The names of the entries of `folder`, sorted. A missing folder has none;
// any other failure to list it sets `ec`, keeping the names read so far.
inline std::vector<std::string> folder_entries(const std::filesystem::path& folder,
                                               std::error_code& ec)
{
    namespace fs = std::filesystem;
    std::vector<std::string> names;
    fs::directory_iterator entry(folder, ec);
    for (; !ec && entry != fs::directory_iterator(); entry.increment(ec))
        names.push_back(entry->path().filename().string());
    if (ec == std::errc::no_such_file_or_directory)
        ec.clear();
    std::sort(names.begin(), names.end());
    return names;
}

// One metadata file of a folder: the id it describes and its fields.
struct metadata_file
{
    std::string id;
    boost::json::object fields;
};

// Walks the graph from one artifact, reading each folder's metadata once,
// and lists the steps dependents first.
class cascade_planner
{
public:
    cascade_planner(const artifact_graph& graph, const std::filesystem::path& dataset_dir,
                    const log_sink& log)
        : graph_(graph), dataset_dir_(dataset_dir), log_(log)
    {}

    void visit(const artifact_type& type, std::string_view id);

    std::vector<cascade_step> steps;

private:
    std::vector<std::string> dependents(const artifact_type& child, std::string_view field,
                                        std::string_view parent_id);
    const std::vector<metadata_file>& metadata_of(std::string_view folder);
    void read_metadata(const std::filesystem::path& path, std::string id,
                       std::vector<metadata_file>& files);
    void warn(const std::string& message) const;

    const artifact_graph& graph_;
    const std::filesystem::path& dataset_dir_;
    const log_sink& log_;
    std::map<std::string, std::vector<metadata_file>, std::less<>> folders_;
    std::set<std::pair<artifact_kind, std::string>> planned_;
};

inline void cascade_planner::visit(const artifact_type& type, std::string_view id)
{
    if (!planned_.emplace(type.kind, std::string(id)).second)
        return;

    // dependents first, rule by rule
    for (const auto& rule : graph_.rules) {
        if (rule.parent != type.kind)
            continue;
        const artifact_type& child = *graph_.find(rule.child);
        for (const auto& child_id : dependents(child, rule.field, id))
            visit(child, child_id);
    }

    steps.push_back({type.kind, std::string(id), std::string(type.folder)});
}

inline std::vector<std::string> cascade_planner::dependents(const artifact_type& child,
                                                            std::string_view field,
                                                            std::string_view parent_id)
{
    std::vector<std::string> ids;
    for (const auto& file : metadata_of(child.folder)) {
        const boost::json::value* link = file.fields.if_contains(field);
        if (link != nullptr && link->is_string() && link->get_string() == parent_id)
            ids.push_back(file.id);
    }
    return ids;
}

inline const std::vector<metadata_file>& cascade_planner::metadata_of(std::string_view folder)
{
    if (auto known = folders_.find(folder); known != folders_.end())
        return known->second;
    auto& files = folders_[std::string(folder)];

    // list the folder; a missing one holds nothing
    auto path = dataset_dir_ / folder;
    std::error_code ec;
    auto names = folder_entries(path, ec);
    if (ec)
        warn("cannot list " + path.string() + ": " + ec.message());

    // read every `{id}.json` that is not a folder
    constexpr std::string_view suffix = ".json";
    for (const auto& name : names) {
        if (!std::string_view(name).ends_with(suffix))
            continue;
        auto id = name.substr(0, name.size() - suffix.size());
        if (!is_safe_component(id))
            continue;
        std::error_code stat_ec;
        if (std::filesystem::is_directory(path / name, stat_ec))
            continue;
        read_metadata(path / name, std::move(id), files);
    }
    return files;
}

inline void cascade_planner::read_metadata(const std::filesystem::path& path, std::string id,
                                           std::vector<metadata_file>& files)
{
    error_code ec;
    auto text = read_whole_file(path, ec);
    if (ec) {
        warn("skipping metadata file " + path.string() + ": " + ec.message());
        return;
    }

    auto document = boost::json::parse(text, ec);
    if (ec) {
        warn("skipping metadata file " + path.string() + ": " + ec.message());
        return;
    }
    if (!document.is_object()) {
        warn("skipping metadata file " + path.string() + ": not a JSON object");
        return;
    }

    files.push_back({std::move(id), std::move(document.get_object())});
}

inline void cascade_planner::warn(const std::string& message) const
{
    if (log_)
        log_(log_level::warning, message);
}

// Removes the files of one step into `result`.
inline void execute_step(const std::filesystem::path& dataset_dir, const cascade_step& step,
                         delete_result& result)
{
    auto folder = dataset_dir / step.folder;

    // a plan built by hand may hold anything
    if (auto reason = why_unsafe(step.folder); !reason.empty()) {
        result.errors.push_back(folder.string() + ": refusing a folder that " +
                                std::string(reason));
        return;
    }
    if (auto reason = why_unsafe(step.id); !reason.empty()) {
        result.errors.push_back(folder.string() + ": refusing an id that " + std::string(reason));
        return;
    }

    // the matching entries, listed through the folder as it is
    std::error_code list_ec;
    auto names = folder_entries(folder, list_ec);
    if (list_ec)
        result.errors.push_back(folder.string() + ": " + list_ec.message());

    // removed without following any link below the dataset; the system's
    // message for a linked folder ("Not a directory") would mislead
    std::error_code link_ec;
    bool linked = std::filesystem::is_symlink(folder, link_ec);
    for (const auto& name : names) {
        if (!matches_artifact(name, step.id))
            continue;
        auto target = folder / name;
        error_code ec;
        bool removed = remove_inside(dataset_dir, target, ec);
        if (ec)
            result.errors.push_back(
                target.string() + ": " +
                (linked ? "its folder is a link, never followed" : ec.message()));
        else if (removed)
            result.removed.push_back(target.string());
    }
}

} // namespace detail

inline cascade_plan plan_delete(const artifact_graph& graph,
                                const std::filesystem::path& dataset_dir, artifact_kind kind,
                                std::string_view id, const log_sink& log)
{
    cascade_plan plan;
    auto refuse = [&](const std::string& message) {
        plan.error = make_error_code(boost::system::errc::invalid_argument);
        if (log)
            log(log_level::error, message);
        return plan;
    };

    // what the caller should have checked
    if (auto reason = why_invalid(graph); !reason.empty())
        return refuse("cannot plan a delete: the artifact graph " + std::string(reason));
    const artifact_type* type = graph.find(kind);
    if (type == nullptr)
        return refuse("cannot plan a delete: the graph has no kind " +
                      detail::kind_label(graph, kind));
    if (auto reason = detail::why_unsafe(id); !reason.empty())
        return refuse("refusing to plan a delete of " + std::string(type->name) + ": the id " +
                      std::string(reason));

    detail::cascade_planner planner(graph, dataset_dir, log);
    planner.visit(*type, id);
    plan.steps = std::move(planner.steps);
    return plan;
}

inline cascade_plan plan_delete(const std::filesystem::path& dataset_dir, artifact_kind kind,
                                std::string_view id, const log_sink& log)
{
    return plan_delete(latent_scope_graph, dataset_dir, kind, id, log);
}

inline delete_result execute(const std::filesystem::path& dataset_dir, const cascade_plan& plan)
{
    delete_result result;
    for (const auto& step : plan.steps)
        detail::execute_step(dataset_dir, step, result);
    return result;
}

inline std::string delete_command(const artifact_graph& graph, artifact_kind kind,
                                  std::string_view id)
{
    return "delete " + quote_argument(detail::kind_label(graph, kind)) + " " + quote_argument(id);
}

inline std::string delete_command(artifact_kind kind, std::string_view id)
{
    return delete_command(latent_scope_graph, kind, id);
}

} // namespace scopejobs

#endif
