#ifndef SCOPEJOBS_DEPENDENCIES_HPP
#define SCOPEJOBS_DEPENDENCIES_HPP

// Cascade deletes: which artifacts of a dataset depend on which, and how
// deleting one removes it and everything built from it.
//
// The artifact graph is data: a table of kinds (name and folder) and a
// table of rules "the metadata field F of a KIND names its parent". The
// one latent-scope uses is `latent_scope_graph`; a caller may build its
// own from constexpr tables and pass it to `plan_delete` (see
// `artifact_graph`). Deleting is two steps: `plan_delete` reads metadata
// and lists what to delete, dependents first; `execute` removes the files
// of each step, never following a link below the dataset folder.
//
// All functions are free of shared state and may be called from any
// thread; `plan_delete` calls its log sink on the calling thread.

#include <scopejobs/detail/config.hpp>
#include <scopejobs/log.hpp>

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs {

/// What an artifact is. The named values are latent-scope's kinds. Any
/// other value of the underlying type is a custom kind a caller may give a
/// name and a folder in its own graph, for example
/// `constexpr auto tokens = artifact_kind{100};`.
enum class artifact_kind : unsigned
{
    embedding,
    sae,
    umap,
    cluster,
    cluster_label,
    scope
};

/// One kind of a graph: its name (in commands and logs) and the folder of
/// the dataset that holds its files.
struct artifact_type
{
    artifact_kind kind;
    std::string_view name;
    std::string_view folder;
};

/// "The metadata field `field` of a `child` names its `parent`": every
/// `child` whose `{id}.json` has `field` equal to a parent's id depends on
/// that parent and is deleted before it.
struct dependency_rule
{
    artifact_kind child;
    std::string_view field;
    artifact_kind parent;
};

/// A graph of artifacts: a view of a table of kinds and a table of rules.
/// It does not own them; both tables must outlive the graph, so declare
/// them `constexpr` at namespace scope:
///
///     namespace sj = scopejobs;
///     constexpr auto tokens = sj::artifact_kind{100};
///     constexpr auto my_kinds = sj::join_tables(
///         sj::latent_scope_kinds,
///         std::array{sj::artifact_type{tokens, "tokens", "tokens"}});
///     constexpr auto my_rules = sj::join_tables(
///         sj::latent_scope_rules,
///         std::array{sj::dependency_rule{tokens, "embedding_id",
///                                        sj::artifact_kind::embedding}});
///     constexpr sj::artifact_graph my_graph{my_kinds, my_rules};
///     static_assert(sj::is_valid(my_graph));
///
/// Rules are followed in table order. A cycle of rules is allowed (each
/// artifact is still planned once) but makes the order inside the cycle
/// arbitrary.
struct artifact_graph
{
    std::span<const artifact_type> kinds;
    std::span<const dependency_rule> rules;

    /// The entry of `kind`, or null when the graph has none.
    constexpr const artifact_type* find(artifact_kind kind) const noexcept;

    /// The kind named `name`, or nothing when no kind has that name.
    constexpr std::optional<artifact_kind> parse(std::string_view name) const noexcept;
};

/// latent-scope's kinds: `embedding` in `embeddings/`, `sae` in `saes/`,
/// `umap` in `umaps/`, `cluster` and `cluster_label` in `clusters/`, and
/// `scope` in `scopes/`.
inline constexpr std::array latent_scope_kinds{
    artifact_type{artifact_kind::embedding, "embedding", "embeddings"},
    artifact_type{artifact_kind::sae, "sae", "saes"},
    artifact_type{artifact_kind::umap, "umap", "umaps"},
    artifact_type{artifact_kind::cluster, "cluster", "clusters"},
    artifact_type{artifact_kind::cluster_label, "cluster_label", "clusters"},
    artifact_type{artifact_kind::scope, "scope", "scopes"},
};

/// latent-scope's links: a umap's `embedding_id` and `sae_id`, an SAE's
/// `embedding_id` and a cluster's `umap_id`. No rule names a scope, so
/// scopes are never deleted by a cascade, and none names a label set,
/// which goes with its cluster by name (`cluster-001-labels-001.*`).
inline constexpr std::array latent_scope_rules{
    dependency_rule{artifact_kind::umap, "embedding_id", artifact_kind::embedding},
    dependency_rule{artifact_kind::umap, "sae_id", artifact_kind::sae},
    dependency_rule{artifact_kind::sae, "embedding_id", artifact_kind::embedding},
    dependency_rule{artifact_kind::cluster, "umap_id", artifact_kind::umap},
};

/// The graph the overloads without a graph use.
inline constexpr artifact_graph latent_scope_graph{latent_scope_kinds, latent_scope_rules};

/// The entries of `first` followed by those of `second`, to extend a
/// table in a constant expression.
template <class Entry, std::size_t N, std::size_t M>
constexpr std::array<Entry, N + M> join_tables(const std::array<Entry, N>& first,
                                               const std::array<Entry, M>& second);

/// Why `graph` cannot be used, as a short phrase such as "a rule names a
/// kind the graph lacks", or an empty view when it is valid. A valid graph
/// has at least one kind; no two kinds share a value or a name; every name
/// is non-empty, every folder is a safe path component (see
/// `detail::is_safe_component`); every rule names two kinds of the graph
/// and a non-empty field.
constexpr std::string_view why_invalid(const artifact_graph& graph) noexcept;

/// True when `graph` is valid (see `why_invalid`).
constexpr bool is_valid(const artifact_graph& graph) noexcept
{
    return why_invalid(graph).empty();
}

/// The name of a latent-scope kind: "embedding", "sae", "umap", "cluster",
/// "cluster_label" or "scope"; an empty view for a custom kind.
constexpr std::string_view to_string(artifact_kind kind) noexcept;

/// The latent-scope kind a name denotes, or nothing for any other text.
constexpr std::optional<artifact_kind> parse_artifact_kind(std::string_view name) noexcept;

/// True when the folder entry `entry_name` belongs to the artifact `id`:
/// the name is `id`, or `id` followed by `.` or `-` and anything
/// (`umap-001.json`, `umap-001-meta.parquet` and `umap-001-labels/` for
/// `umap-001`, but not `umap-0010.json`). Never true for an empty id.
///
/// An id followed by `-` claims every name built on it, so in a dataset
/// with both `x` and `x-2` of one kind, deleting `x` removes `x-2` too.
/// latent-scope numbers its ids (`umap-001`), where this does not arise.
constexpr bool matches_artifact(std::string_view entry_name, std::string_view id) noexcept;

/// One artifact to delete: its kind, its id, and its kind's folder.
struct cascade_step
{
    artifact_kind kind;
    std::string id;
    std::string folder;

    friend bool operator==(const cascade_step&, const cascade_step&) = default;
};

/// What deleting one artifact deletes, in order.
struct cascade_plan
{
    /// Dependents first, each after its own dependents; the artifact that
    /// was asked for last. Each artifact appears once.
    std::vector<cascade_step> steps;

    /// Set when no plan could be made (`steps` is then empty):
    /// `invalid_argument` for an unsafe id, an invalid graph, or a kind the
    /// graph lacks.
    error_code error;

    /// True when `error` is clear.
    bool ok() const noexcept { return !error; }
};

/// Finds everything that depends on the artifact `id` of `kind` in the
/// dataset folder `dataset_dir`, transitively, by the rules of `graph`.
///
/// For each rule whose parent is the artifact's kind, every `*.json` file
/// directly in the child kind's folder is read; the file is a dependent
/// when it holds a JSON object whose field is a string equal to the id,
/// byte for byte (a file without the field, or with a value of any other
/// type, never matches). The dependent's id is the file name without
/// `.json`; a name that is not a safe path component is ignored. Each
/// folder is read once per call. Reading follows links (only removal
/// refuses them), so a folder that is a link is still searched, and its
/// dependents are planned and then refused by `execute`.
///
/// A missing folder means nothing depends on the artifact; no folder is
/// ever created. A file that cannot be read, is not JSON, or is not an
/// object, and a folder that cannot be listed, is skipped with one warning
/// to `log` naming it. The artifact itself is planned whether or not its
/// files exist.
///
/// `id` must be a safe path component, which callers check first; an
/// unsafe id, an invalid graph or a kind the graph lacks gives an empty
/// plan with `error` set and one error line to `log`.
cascade_plan plan_delete(const artifact_graph& graph, const std::filesystem::path& dataset_dir,
                         artifact_kind kind, std::string_view id, const log_sink& log);

/// The same over `latent_scope_graph`.
cascade_plan plan_delete(const std::filesystem::path& dataset_dir, artifact_kind kind,
                         std::string_view id, const log_sink& log);

/// What `execute` did.
struct delete_result
{
    /// Each removed path, as `dataset_dir / folder / name` (absolute when
    /// `dataset_dir` is), in the order removed. A removed folder is one
    /// line.
    std::vector<std::string> removed;

    /// One line `{path}: {message}` per path that could not be removed or
    /// folder that could not be listed.
    std::vector<std::string> errors;

    /// True when nothing failed.
    bool ok() const noexcept { return errors.empty(); }
};

/// Removes the files of each step of `plan` in order: every entry of
/// `dataset_dir / step.folder` that `matches_artifact` the step's id,
/// entries of one folder in name order. Removal goes through
/// `detail::remove_inside` rooted at `dataset_dir`: a matching link is
/// removed as a link (what it points to is untouched), a folder below
/// `dataset_dir` that is a link is never entered (each matching entry
/// gives the error line `{path}: its folder is a link, never followed`),
/// and nothing outside `dataset_dir` is removed. `dataset_dir` itself may
/// be a link.
///
/// A missing folder or entry is not an error. A step whose id or folder is
/// not a safe path component (a plan built by hand) removes nothing and
/// gives an error line. Every failure is reported and the remaining steps
/// still run.
delete_result execute(const std::filesystem::path& dataset_dir, const cascade_plan& plan);

/// The display command of a delete job: `delete {kind} {id}`, such as
/// `delete umap umap-001`, each word quoted as `quote_argument` quotes it,
/// so that `split_command` reads back the three words. A kind the graph
/// lacks is shown by its number.
std::string delete_command(const artifact_graph& graph, artifact_kind kind, std::string_view id);

/// The same over `latent_scope_graph`.
std::string delete_command(artifact_kind kind, std::string_view id);

} // namespace scopejobs

#include <scopejobs/impl/dependencies.ipp>

#endif
