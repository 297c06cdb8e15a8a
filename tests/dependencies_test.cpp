#include <scopejobs/dependencies.hpp>

#include <boost/system/errc.hpp>
#include <boost/test/unit_test.hpp>

#include "support.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace sj = scopejobs;
namespace fs = std::filesystem;
using kind = sj::artifact_kind;

using scopejobs::testing::collected_log;
using scopejobs::testing::temporary_folder;

// A dataset folder `ds` in a fresh folder that also holds `outside/`, a
// place the cascade must never reach.
struct dataset_fixture
{
    temporary_folder root{"scopejobs-dependencies"};
    fs::path dataset = root.path / "ds";
    fs::path outside = root.path / "outside";
    collected_log log;

    dataset_fixture()
    {
        fs::create_directory(dataset);
        fs::create_directory(outside);
    }

    // Writes `text` to `relative` below the dataset, making its folder.
    void write(const std::string& relative, const std::string& text) const
    {
        auto path = dataset / relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << text;
    }

    // An artifact: its metadata `{id}.json` and a data file `{id}.parquet`.
    void artifact(const std::string& folder, const std::string& id,
                  const std::string& metadata) const
    {
        write(folder + "/" + id + ".json", metadata);
        write(folder + "/" + id + ".parquet", "data");
    }

    // Whether `relative` below the dataset exists, links included.
    bool has(const std::string& relative) const
    {
        return fs::exists(fs::symlink_status(dataset / relative));
    }

    sj::cascade_plan plan(kind k, std::string_view id)
    {
        return sj::plan_delete(dataset, k, id, log.sink());
    }
};

using step_list = std::vector<std::pair<kind, std::string>>;

// The (kind, id) pairs of a plan, in order.
step_list steps_of(const sj::cascade_plan& plan)
{
    step_list steps;
    for (const auto& step : plan.steps)
        steps.emplace_back(step.kind, step.id);
    return steps;
}

std::string file_text(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A graph with one more kind, `tokens` in `tokens/`, built on an embedding.
constexpr auto tokens = sj::artifact_kind{100};
constexpr auto tokens_kinds = sj::join_tables(
    sj::latent_scope_kinds, std::array{sj::artifact_type{tokens, "tokens", "tokens"}});
constexpr auto tokens_rules =
    sj::join_tables(sj::latent_scope_rules,
                    std::array{sj::dependency_rule{tokens, "embedding_id", kind::embedding}});
constexpr sj::artifact_graph tokens_graph{tokens_kinds, tokens_rules};

// The built-in kinds with one more rule: scopes go with their embedding.
constexpr auto scope_rules =
    sj::join_tables(sj::latent_scope_rules,
                    std::array{sj::dependency_rule{kind::scope, "embedding_id", kind::embedding}});
constexpr sj::artifact_graph scope_graph{sj::latent_scope_kinds, scope_rules};

// Graphs that must be refused.
constexpr std::array unsafe_folder_kinds{sj::artifact_type{kind::umap, "umap", "../umaps"}};
constexpr std::array twice_named_kinds{sj::artifact_type{kind::umap, "umap", "umaps"},
                                       sj::artifact_type{kind::sae, "umap", "saes"}};
constexpr std::array dangling_rules{sj::dependency_rule{kind::cluster, "umap_id", kind::umap}};

static_assert(sj::is_valid(sj::latent_scope_graph));
static_assert(sj::is_valid(tokens_graph));
static_assert(sj::is_valid(scope_graph));
static_assert(!sj::is_valid(sj::artifact_graph{}));
static_assert(!sj::is_valid(sj::artifact_graph{unsafe_folder_kinds, {}}));
static_assert(!sj::is_valid(sj::artifact_graph{twice_named_kinds, {}}));
static_assert(!sj::is_valid(sj::artifact_graph{unsafe_folder_kinds, dangling_rules}));

static_assert(sj::matches_artifact("umap-001", "umap-001"));
static_assert(sj::matches_artifact("umap-001.json", "umap-001"));
static_assert(sj::matches_artifact("umap-001-meta.parquet", "umap-001"));
static_assert(!sj::matches_artifact("umap-0010.json", "umap-001"));
static_assert(!sj::matches_artifact("umap-00", "umap-001"));
static_assert(!sj::matches_artifact("umap-001.json", ""));

} // namespace

BOOST_AUTO_TEST_SUITE(dependencies)

BOOST_AUTO_TEST_CASE(an_entry_matches_the_id_alone_or_followed_by_a_dot_or_dash)
{
    BOOST_TEST(sj::matches_artifact("cluster-001-labels-001.parquet", "cluster-001"));
    BOOST_TEST(sj::matches_artifact("embedding-001.h5", "embedding-001"));
    BOOST_TEST(!sj::matches_artifact("umap-0010-meta.parquet", "umap-001"));
    BOOST_TEST(!sj::matches_artifact("umap-001_old.json", "umap-001"));
    BOOST_TEST(!sj::matches_artifact("xumap-001.json", "umap-001"));
    BOOST_TEST(!sj::matches_artifact("", "umap-001"));
}

BOOST_AUTO_TEST_CASE(kind_names_round_trip)
{
    for (auto k :
         {kind::embedding, kind::sae, kind::umap, kind::cluster, kind::cluster_label, kind::scope})
        BOOST_TEST((sj::parse_artifact_kind(sj::to_string(k)) == k));
    BOOST_TEST(sj::to_string(kind::cluster_label) == "cluster_label");
    BOOST_TEST(sj::to_string(tokens).empty());
    BOOST_TEST(!sj::parse_artifact_kind("umaps").has_value());
    BOOST_TEST(!sj::parse_artifact_kind("").has_value());
    BOOST_TEST((tokens_graph.parse("tokens") == tokens));
}

BOOST_AUTO_TEST_CASE(delete_command_names_the_kind_and_the_id)
{
    BOOST_TEST(sj::delete_command(kind::umap, "umap-001") == "delete umap umap-001");
    BOOST_TEST(sj::delete_command(kind::cluster_label, "cluster-001-labels-001") ==
               "delete cluster_label cluster-001-labels-001");
    BOOST_TEST(sj::delete_command(kind::scope, "my scope") == "delete scope 'my scope'");
    BOOST_TEST(sj::delete_command(tokens_graph, tokens, "tokens-001") ==
               "delete tokens tokens-001");
}

BOOST_AUTO_TEST_CASE(an_embedding_cascades_through_umaps_saes_and_their_clusters)
{
    dataset_fixture d;
    d.artifact("embeddings", "embedding-001", R"({"id": "embedding-001"})");
    d.artifact("embeddings", "embedding-002", R"({"id": "embedding-002"})");
    d.artifact("saes", "sae-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("umaps", "umap-002", R"({"embedding_id": "embedding-001", "sae_id": "sae-001"})");
    d.artifact("umaps", "umap-003", R"({"embedding_id": "embedding-002", "sae_id": "sae-001"})");
    d.artifact("umaps", "umap-004", R"({"embedding_id": "embedding-002"})");
    d.artifact("clusters", "cluster-001", R"({"umap_id": "umap-001"})");
    d.artifact("clusters", "cluster-002", R"({"umap_id": "umap-002"})");
    d.artifact("clusters", "cluster-003", R"({"umap_id": "umap-003"})");
    d.artifact("clusters", "cluster-004", R"({"umap_id": "umap-004"})");

    auto plan = d.plan(kind::embedding, "embedding-001");
    BOOST_TEST(plan.ok());
    step_list expected{{kind::cluster, "cluster-001"}, {kind::umap, "umap-001"},
                       {kind::cluster, "cluster-002"}, {kind::umap, "umap-002"},
                       {kind::cluster, "cluster-003"}, {kind::umap, "umap-003"},
                       {kind::sae, "sae-001"},         {kind::embedding, "embedding-001"}};
    BOOST_TEST((steps_of(plan) == expected));
    BOOST_TEST(plan.steps[6].folder == "saes");
    BOOST_TEST(d.log.lines.empty());

    auto result = sj::execute(d.dataset, plan);
    BOOST_TEST(result.ok());
    BOOST_TEST(result.removed.size() == 16u);
    for (auto gone : {"embeddings/embedding-001.json", "saes/sae-001.parquet",
                      "umaps/umap-001.json", "umaps/umap-002.json", "umaps/umap-003.parquet",
                      "clusters/cluster-001.json", "clusters/cluster-003.parquet"})
        BOOST_TEST(!d.has(gone), gone);
    for (auto kept : {"embeddings/embedding-002.json", "umaps/umap-004.json",
                      "umaps/umap-004.parquet", "clusters/cluster-004.json"})
        BOOST_TEST(d.has(kept), kept);
    BOOST_TEST(!d.has("sae"));
}

BOOST_AUTO_TEST_CASE(an_artifact_reachable_twice_is_planned_once)
{
    dataset_fixture d;
    d.artifact("saes", "sae-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001", "sae_id": "sae-001"})");
    d.artifact("clusters", "cluster-001", R"({"umap_id": "umap-001"})");

    auto plan = d.plan(kind::embedding, "embedding-001");
    step_list expected{{kind::cluster, "cluster-001"},
                       {kind::umap, "umap-001"},
                       {kind::sae, "sae-001"},
                       {kind::embedding, "embedding-001"}};
    BOOST_TEST((steps_of(plan) == expected));

    auto result = sj::execute(d.dataset, plan);
    BOOST_TEST(result.ok());
    BOOST_TEST(result.removed.size() == 6u);
}

BOOST_AUTO_TEST_CASE(a_umap_takes_its_clusters_and_their_label_sets)
{
    dataset_fixture d;
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");
    d.write("umaps/umap-001.png", "image");
    d.artifact("clusters", "cluster-001", R"({"umap_id": "umap-001"})");
    d.artifact("clusters", "cluster-001-labels-001", R"({"cluster_id": "cluster-001"})");
    d.write("clusters/cluster-001-labels-default.parquet", "labels");
    d.artifact("clusters", "cluster-002", R"({"umap_id": "umap-002"})");

    auto plan = d.plan(kind::umap, "umap-001");
    step_list expected{{kind::cluster, "cluster-001"}, {kind::umap, "umap-001"}};
    BOOST_TEST((steps_of(plan) == expected));

    auto result = sj::execute(d.dataset, plan);
    BOOST_TEST(result.ok());
    for (auto gone :
         {"umaps/umap-001.png", "clusters/cluster-001.json", "clusters/cluster-001-labels-001.json",
          "clusters/cluster-001-labels-001.parquet", "clusters/cluster-001-labels-default.parquet"})
        BOOST_TEST(!d.has(gone), gone);
    BOOST_TEST(d.has("clusters/cluster-002.json"));
    BOOST_TEST(d.has("clusters/cluster-002.parquet"));
}

BOOST_AUTO_TEST_CASE(an_sae_takes_the_umaps_with_its_sae_id)
{
    dataset_fixture d;
    d.artifact("saes", "sae-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001", "sae_id": "sae-001"})");
    d.artifact("umaps", "umap-002", R"({"embedding_id": "embedding-001", "sae_id": "sae-002"})");
    d.artifact("clusters", "cluster-001", R"({"umap_id": "umap-001"})");

    auto plan = d.plan(kind::sae, "sae-001");
    step_list expected{
        {kind::cluster, "cluster-001"}, {kind::umap, "umap-001"}, {kind::sae, "sae-001"}};
    BOOST_TEST((steps_of(plan) == expected));

    BOOST_TEST(sj::execute(d.dataset, plan).ok());
    BOOST_TEST(!d.has("umaps/umap-001.json"));
    BOOST_TEST(d.has("umaps/umap-002.json"));
}

BOOST_AUTO_TEST_CASE(a_file_without_the_field_never_matches)
{
    dataset_fixture d;
    d.artifact("saes", "sae-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("umaps", "umap-002", R"({"embedding_id": "embedding-001", "sae_id": null})");
    d.artifact("umaps", "umap-003", R"({"embedding_id": 7, "sae_id": ""})");

    // an SAE never claims the umaps that name none
    auto plan = d.plan(kind::sae, "sae-001");
    step_list expected{{kind::sae, "sae-001"}};
    BOOST_TEST((steps_of(plan) == expected));

    // a value that is not a string never equals an id
    auto numeric = d.plan(kind::embedding, "7");
    step_list only_itself{{kind::embedding, "7"}};
    BOOST_TEST((steps_of(numeric) == only_itself));

    BOOST_TEST(sj::execute(d.dataset, plan).ok());
    for (auto kept : {"umaps/umap-001.json", "umaps/umap-002.json", "umaps/umap-003.json"})
        BOOST_TEST(d.has(kept), kept);
    BOOST_TEST(d.log.lines.empty());
}

BOOST_AUTO_TEST_CASE(deleting_umap_001_leaves_umap_0010)
{
    dataset_fixture d;
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");
    d.write("umaps/umap-001-meta.parquet", "meta");
    d.artifact("umaps", "umap-0010", R"({"embedding_id": "embedding-001"})");
    d.write("umaps/umap-0010-meta.parquet", "meta");
    d.artifact("clusters", "cluster-001", R"({"umap_id": "umap-0010"})");

    auto plan = d.plan(kind::umap, "umap-001");
    step_list expected{{kind::umap, "umap-001"}};
    BOOST_TEST((steps_of(plan) == expected));

    auto result = sj::execute(d.dataset, plan);
    BOOST_TEST(result.ok());
    BOOST_TEST(result.removed.size() == 3u);
    BOOST_TEST(!d.has("umaps/umap-001-meta.parquet"));
    for (auto kept : {"umaps/umap-0010.json", "umaps/umap-0010.parquet",
                      "umaps/umap-0010-meta.parquet", "clusters/cluster-001.json"})
        BOOST_TEST(d.has(kept), kept);
}

BOOST_AUTO_TEST_CASE(a_label_set_is_deleted_alone)
{
    dataset_fixture d;
    d.artifact("clusters", "cluster-001", R"({"umap_id": "umap-001"})");
    d.artifact("clusters", "cluster-001-labels-001", R"({"cluster_id": "cluster-001"})");
    d.artifact("clusters", "cluster-001-labels-0010", R"({"cluster_id": "cluster-001"})");

    auto plan = d.plan(kind::cluster_label, "cluster-001-labels-001");
    step_list expected{{kind::cluster_label, "cluster-001-labels-001"}};
    BOOST_TEST((steps_of(plan) == expected));
    BOOST_TEST(plan.steps[0].folder == "clusters");

    BOOST_TEST(sj::execute(d.dataset, plan).removed.size() == 2u);
    BOOST_TEST(!d.has("clusters/cluster-001-labels-001.json"));
    BOOST_TEST(d.has("clusters/cluster-001-labels-0010.json"));
    BOOST_TEST(d.has("clusters/cluster-001.json"));
}

BOOST_AUTO_TEST_CASE(missing_folders_are_tolerated_and_not_created)
{
    dataset_fixture d;
    d.artifact("embeddings", "embedding-001", R"({})");

    auto plan = d.plan(kind::embedding, "embedding-001");
    step_list expected{{kind::embedding, "embedding-001"}};
    BOOST_TEST(plan.ok());
    BOOST_TEST((steps_of(plan) == expected));
    BOOST_TEST(d.log.lines.empty());

    // a umap whose folder is gone is no error either
    auto result = sj::execute(d.dataset, plan);
    BOOST_TEST(result.ok());
    BOOST_TEST(result.removed.size() == 2u);
    BOOST_TEST(sj::execute(d.dataset, d.plan(kind::umap, "umap-001")).ok());

    for (auto folder : {"umaps", "clusters", "saes", "sae", "scopes"})
        BOOST_TEST(!d.has(folder), folder);
    BOOST_TEST(d.has("embeddings"));
}

BOOST_AUTO_TEST_CASE(bad_metadata_is_skipped_with_one_warning_each)
{
    dataset_fixture d;
    d.artifact("saes", "sae-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001", "sae_id": "sae-001"})");
    d.write("umaps/broken.json", R"({"embedding_id": "embedding-001")");
    d.write("umaps/list.json", R"(["embedding-001"])");
    d.write("saes/text.json", R"("embedding-001")");
    fs::create_symlink(d.root.path / "nowhere.json", d.dataset / "umaps/dangling.json");
    fs::create_directory(d.dataset / "umaps/folder.json");

    // `umaps/` is searched for two rules and still read once
    auto plan = d.plan(kind::embedding, "embedding-001");
    step_list expected{
        {kind::umap, "umap-001"}, {kind::sae, "sae-001"}, {kind::embedding, "embedding-001"}};
    BOOST_TEST((steps_of(plan) == expected));

    BOOST_REQUIRE(d.log.lines.size() == 4u);
    std::vector<std::string> named;
    for (const auto& [level, line] : d.log.lines) {
        BOOST_TEST((level == sj::log_level::warning));
        for (auto file : {"broken.json", "list.json", "text.json", "dangling.json"})
            if (line.find(file) != std::string::npos)
                named.push_back(file);
    }
    std::sort(named.begin(), named.end());
    std::vector<std::string> all{"broken.json", "dangling.json", "list.json", "text.json"};
    BOOST_TEST(named == all, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_matching_link_is_removed_and_its_target_survives)
{
    dataset_fixture d;
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");
    std::ofstream(d.outside / "points.parquet") << "precious";
    fs::create_symlink(d.outside / "points.parquet", d.dataset / "umaps/umap-001-points.parquet");
    fs::create_directory(d.outside / "tiles");
    std::ofstream(d.outside / "tiles/0.png") << "tile";
    fs::create_directory_symlink(d.outside / "tiles", d.dataset / "umaps/umap-001-tiles");

    auto result = sj::execute(d.dataset, d.plan(kind::umap, "umap-001"));
    BOOST_TEST(result.ok());
    BOOST_TEST(result.removed.size() == 4u);
    BOOST_TEST(!d.has("umaps/umap-001-points.parquet"));
    BOOST_TEST(!d.has("umaps/umap-001-tiles"));
    BOOST_TEST(file_text(d.outside / "points.parquet") == "precious");
    BOOST_TEST(file_text(d.outside / "tiles/0.png") == "tile");
}

BOOST_AUTO_TEST_CASE(a_matching_folder_is_removed_whole)
{
    dataset_fixture d;
    d.write("umaps/umap-001-tiles/0/0.png", "tile");
    d.write("umaps/umap-001-tiles/1.png", "tile");

    auto result = sj::execute(d.dataset, d.plan(kind::umap, "umap-001"));
    BOOST_TEST(result.ok());
    BOOST_REQUIRE(result.removed.size() == 1u);
    BOOST_TEST(result.removed[0] == (d.dataset / "umaps/umap-001-tiles").string());
    BOOST_TEST(!d.has("umaps/umap-001-tiles"));
    BOOST_TEST(d.has("umaps"));
}

BOOST_AUTO_TEST_CASE(a_folder_linked_outside_is_not_followed)
{
    dataset_fixture d;
    fs::create_directory(d.outside / "umaps");
    std::ofstream(d.outside / "umaps/umap-001.json") << R"({"embedding_id": "embedding-001"})";
    std::ofstream(d.outside / "umaps/umap-0010.json") << R"({"embedding_id": "embedding-002"})";
    fs::create_directory_symlink(d.outside / "umaps", d.dataset / "umaps");
    d.artifact("embeddings", "embedding-001", R"({})");

    // the dependent is found, and its removal refused
    auto plan = d.plan(kind::embedding, "embedding-001");
    step_list expected{{kind::umap, "umap-001"}, {kind::embedding, "embedding-001"}};
    BOOST_TEST((steps_of(plan) == expected));

    auto result = sj::execute(d.dataset, plan);
    BOOST_TEST(!result.ok());
    BOOST_REQUIRE(result.errors.size() == 1u);
    auto target = (d.dataset / "umaps/umap-001.json").string();
    BOOST_TEST(result.errors[0] == target + ": its folder is a link, never followed");
    BOOST_TEST(fs::exists(d.outside / "umaps/umap-001.json"));
    BOOST_TEST(fs::exists(d.outside / "umaps/umap-0010.json"));

    // the rest of the plan still ran
    BOOST_TEST(result.removed.size() == 2u);
    BOOST_TEST(!d.has("embeddings/embedding-001.json"));
}

BOOST_AUTO_TEST_CASE(the_dataset_folder_itself_may_be_a_link)
{
    dataset_fixture d;
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");
    auto linked = d.root.path / "linked";
    fs::create_directory_symlink(d.dataset, linked);

    auto plan = sj::plan_delete(linked, kind::umap, "umap-001", d.log.sink());
    auto result = sj::execute(linked, plan);
    BOOST_TEST(result.ok());
    BOOST_TEST(result.removed.size() == 2u);
    BOOST_TEST(!d.has("umaps/umap-001.json"));
    BOOST_TEST(fs::is_symlink(linked));
}

BOOST_AUTO_TEST_CASE(scopes_are_never_cascaded)
{
    dataset_fixture d;
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("clusters", "cluster-001", R"({"umap_id": "umap-001"})");
    d.artifact("scopes", "scope-001",
               R"({"embedding_id": "embedding-001", "umap_id": "umap-001",)"
               R"( "cluster_id": "cluster-001", "cluster_labels_id": "cluster-001-labels-001"})");

    auto plan = d.plan(kind::embedding, "embedding-001");
    for (const auto& step : plan.steps)
        BOOST_TEST((step.kind != kind::scope));
    BOOST_TEST(sj::execute(d.dataset, plan).ok());
    BOOST_TEST(d.has("scopes/scope-001.json"));

    // a scope itself goes alone
    auto own = d.plan(kind::scope, "scope-001");
    step_list expected{{kind::scope, "scope-001"}};
    BOOST_TEST((steps_of(own) == expected));
    BOOST_TEST(sj::execute(d.dataset, own).removed.size() == 2u);
    BOOST_TEST(!d.has("scopes/scope-001.json"));
}

BOOST_AUTO_TEST_CASE(a_custom_graph_adds_a_kind)
{
    dataset_fixture d;
    d.artifact("tokens", "tokens-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("tokens", "tokens-002", R"({"embedding_id": "embedding-002"})");
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");

    auto plan =
        sj::plan_delete(tokens_graph, d.dataset, kind::embedding, "embedding-001", d.log.sink());
    step_list expected{
        {kind::umap, "umap-001"}, {tokens, "tokens-001"}, {kind::embedding, "embedding-001"}};
    BOOST_TEST((steps_of(plan) == expected));
    BOOST_TEST(plan.steps[1].folder == "tokens");

    // the built-in graph knows no tokens
    auto plain = d.plan(kind::embedding, "embedding-001");
    BOOST_TEST(plain.steps.size() == 2u);

    BOOST_TEST(sj::execute(d.dataset, plan).ok());
    BOOST_TEST(!d.has("tokens/tokens-001.parquet"));
    BOOST_TEST(d.has("tokens/tokens-002.parquet"));
}

BOOST_AUTO_TEST_CASE(a_custom_rule_table_over_the_built_in_kinds)
{
    dataset_fixture d;
    d.artifact("scopes", "scope-001", R"({"embedding_id": "embedding-001"})");
    d.artifact("scopes", "scope-002", R"({"embedding_id": "embedding-002"})");

    auto plan =
        sj::plan_delete(scope_graph, d.dataset, kind::embedding, "embedding-001", d.log.sink());
    step_list expected{{kind::scope, "scope-001"}, {kind::embedding, "embedding-001"}};
    BOOST_TEST((steps_of(plan) == expected));

    BOOST_TEST(sj::execute(d.dataset, plan).ok());
    BOOST_TEST(!d.has("scopes/scope-001.json"));
    BOOST_TEST(d.has("scopes/scope-002.json"));
}

BOOST_AUTO_TEST_CASE(an_unsafe_id_gives_an_empty_plan_with_an_error)
{
    dataset_fixture d;
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");

    for (auto id : {"", ".", "..", "../ds", "umaps/umap-001", "-rf", ".hidden"}) {
        auto plan = d.plan(kind::umap, id);
        BOOST_TEST(!plan.ok(), id);
        BOOST_TEST((plan.error == boost::system::errc::invalid_argument));
        BOOST_TEST(plan.steps.empty());
        BOOST_TEST(sj::execute(d.dataset, plan).removed.empty());
    }
    BOOST_TEST(d.log.lines.size() == 7u);
    for (const auto& [level, line] : d.log.lines)
        BOOST_TEST((level == sj::log_level::error));
    BOOST_TEST(d.has("umaps/umap-001.json"));
}

BOOST_AUTO_TEST_CASE(a_kind_or_graph_that_cannot_be_used_gives_an_error)
{
    dataset_fixture d;

    auto unknown = d.plan(tokens, "tokens-001");
    BOOST_TEST(!unknown.ok());
    BOOST_TEST(unknown.steps.empty());

    constexpr sj::artifact_graph broken{unsafe_folder_kinds, {}};
    auto refused = sj::plan_delete(broken, d.dataset, kind::umap, "umap-001", d.log.sink());
    BOOST_TEST(!refused.ok());
    BOOST_TEST(refused.steps.empty());
    BOOST_TEST(d.log.lines.size() == 2u);
}

BOOST_AUTO_TEST_CASE(execute_reports_removed_paths_and_errors)
{
    dataset_fixture d;
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");

    // full paths, in name order
    auto result = sj::execute(d.dataset, d.plan(kind::umap, "umap-001"));
    std::vector<std::string> removed{(d.dataset / "umaps/umap-001.json").string(),
                                     (d.dataset / "umaps/umap-001.parquet").string()};
    BOOST_TEST(result.removed == removed, boost::test_tools::per_element());
    BOOST_TEST(result.errors.empty());

    // nothing left to remove is no error
    auto again = sj::execute(d.dataset, d.plan(kind::umap, "umap-001"));
    BOOST_TEST(again.ok());
    BOOST_TEST(again.removed.empty());

    // a plan built by hand is checked step by step
    d.artifact("umaps", "umap-002", R"({})");
    sj::cascade_plan forged;
    forged.steps = {{kind::umap, "..", "umaps"},
                    {kind::umap, "umap-002", "../outside"},
                    {kind::umap, "umap-002", "umaps"}};
    auto checked = sj::execute(d.dataset, forged);
    BOOST_TEST(!checked.ok());
    BOOST_TEST(checked.errors.size() == 2u);
    BOOST_TEST(checked.removed.size() == 2u);
    BOOST_TEST(fs::exists(d.outside));
}

BOOST_AUTO_TEST_CASE(a_folder_that_cannot_be_listed_is_an_error)
{
    dataset_fixture d;
    d.write("umaps", "not a folder");

    auto plan = d.plan(kind::embedding, "embedding-001");
    BOOST_TEST(plan.ok());
    BOOST_TEST(plan.steps.size() == 1u);
    BOOST_TEST(d.log.lines.size() == 1u);

    auto result = sj::execute(d.dataset, d.plan(kind::umap, "umap-001"));
    BOOST_REQUIRE(result.errors.size() == 1u);
    BOOST_TEST(result.errors[0].starts_with((d.dataset / "umaps").string() + ": "));
    BOOST_TEST(d.has("umaps"));
}

BOOST_AUTO_TEST_CASE(a_dataset_path_with_a_trailing_slash_works)
{
    dataset_fixture d;
    d.artifact("umaps", "umap-001", R"({"embedding_id": "embedding-001"})");
    auto slashed = fs::path(d.dataset.string() + "/");

    auto result = sj::execute(slashed, sj::plan_delete(slashed, kind::umap, "umap-001", {}));
    BOOST_TEST(result.ok());
    BOOST_TEST(result.removed.size() == 2u);
    BOOST_TEST(!d.has("umaps/umap-001.json"));
}

BOOST_AUTO_TEST_SUITE_END()
