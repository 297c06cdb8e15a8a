#ifndef SCOPEJOBS_ROUTES_LATENT_SCOPE_HPP
#define SCOPEJOBS_ROUTES_LATENT_SCOPE_HPP

// The routes of the latent-scope job API, each a type. Command routes are
// a path, required parameters and a command builder: a pure function from
// the parameters and the settings to the tool's argv. The service checks
// methods, read-only mode and path parameters before a route runs.

#include <scopejobs/command.hpp>
#include <scopejobs/dependencies.hpp>
#include <scopejobs/detail/uuid.hpp>
#include <scopejobs/routes/route.hpp>
#include <scopejobs/routes/twitter_import.hpp>
#include <scopejobs/service_error.hpp>
#include <scopejobs/settings.hpp>
#include <scopejobs/store.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <charconv>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace scopejobs {

namespace routes_detail {

// `--key=value`
inline std::string flag(std::string_view key, std::string_view value)
{
    return "--" + std::string(key) + "=" + std::string(value);
}

// A bare positional slot that drops an empty value, as the reference's
// shell did (marked † in the route table).
inline void push_bare(std::vector<std::string>& argv, std::string_view value)
{
    if (!value.empty())
        argv.emplace_back(value);
}

inline http::response job_id_response(const std::string& id, const std::string* dataset = nullptr)
{
    boost::json::object body{{"job_id", id}};
    if (dataset)
        body["dataset"] = *dataset;
    return http::json_response(200, body);
}

inline http::response error_for(const error_code& ec)
{
    return http::error_response(http_status(ec), ec.message());
}

} // namespace routes_detail

/// The base of routes that run one tool: `Route` names `path`, `required`
/// (an array of parameter names, which the service checks before the route
/// runs) and `argv(params, settings)`; it may name `dataset_of(params)`
/// when the job belongs to another parameter.
template <class Route>
struct command_route
{
    static constexpr method_set methods = write_methods;
    static constexpr bool writes = true;

    static std::string dataset_of(const route_params& params) { return params["dataset"]; }

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        route_params params(request);

        error_code ec;
        auto id =
            service.start(Route::dataset_of(params), Route::argv(params, service.config()), ec);
        if (ec)
            return routes_detail::error_for(ec);
        return routes_detail::job_id_response(id);
    }
};

// --- the command routes, in the order of the route table ----------------

/// `GET /reingest?dataset&[text_column]`
struct reingest_route : command_route<reingest_route>
{
    static constexpr std::string_view path = "/reingest";
    static constexpr std::array<std::string_view, 1> required{"dataset"};

    static std::vector<std::string> argv(const route_params& p, const settings& s)
    {
        auto input = (s.data_dir / p["dataset"] / "input.parquet").string();
        std::vector<std::string> argv{"ls-ingest", p["dataset"],
                                      routes_detail::flag("path", input)};
        if (auto column = p.non_empty("text_column"))
            argv.push_back(routes_detail::flag("text_column", *column));
        return argv;
    }
};

/// `GET /embed?dataset&text_column&model_id&prefix&batch_size&[dimensions]&[max_seq_length]`
struct embed_route : command_route<embed_route>
{
    static constexpr std::string_view path = "/embed";
    static constexpr std::array<std::string_view, 5> required{"dataset", "text_column", "model_id",
                                                              "prefix", "batch_size"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        using routes_detail::flag;
        std::vector<std::string> argv{"ls-embed",
                                      p["dataset"],
                                      p["text_column"],
                                      p["model_id"],
                                      flag("prefix", p["prefix"]),
                                      flag("batch_size", p["batch_size"])};
        // these two whenever present, even empty
        for (std::string_view key : {"dimensions", "max_seq_length"})
            if (auto value = p.get(key))
                argv.push_back(flag(key, *value));
        return argv;
    }
};

/// `GET /embed_truncate?dataset&embedding_id&dimensions`
struct embed_truncate_route : command_route<embed_truncate_route>
{
    static constexpr std::string_view path = "/embed_truncate";
    static constexpr std::array<std::string_view, 3> required{"dataset", "embedding_id",
                                                              "dimensions"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        std::vector<std::string> argv{"ls-embed-truncate", p["dataset"], p["embedding_id"]};
        routes_detail::push_bare(argv, p["dimensions"]);
        return argv;
    }
};

/// `GET /embed_importer?dataset&model_id&embedding_column&text_column`
struct embed_importer_route : command_route<embed_importer_route>
{
    static constexpr std::string_view path = "/embed_importer";
    static constexpr std::array<std::string_view, 4> required{"dataset", "model_id",
                                                              "embedding_column", "text_column"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        return {"ls-embed-importer", p["dataset"], p["embedding_column"], p["model_id"],
                p["text_column"]};
    }
};

/// `GET /umap?dataset&embedding_id&neighbors&min_dist&[init]&[align]&[save]&[sae_id]&[seed]`
struct umap_route : command_route<umap_route>
{
    static constexpr std::string_view path = "/umap";
    static constexpr std::array<std::string_view, 4> required{"dataset", "embedding_id",
                                                              "neighbors", "min_dist"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        std::vector<std::string> argv{"ls-umap", p["dataset"], p["embedding_id"]};
        routes_detail::push_bare(argv, p["neighbors"]);
        routes_detail::push_bare(argv, p["min_dist"]);
        for (std::string_view key : {"init", "align"})
            if (auto value = p.non_empty(key))
                argv.push_back(routes_detail::flag(key, *value));
        if (p.non_empty("save"))
            argv.emplace_back("--save");
        for (std::string_view key : {"sae_id", "seed"})
            if (auto value = p.non_empty(key))
                argv.push_back(routes_detail::flag(key, *value));
        return argv;
    }
};

/// `GET /sae?dataset&embedding_id&model_id&k_expansion`
struct sae_route : command_route<sae_route>
{
    static constexpr std::string_view path = "/sae";
    static constexpr std::array<std::string_view, 4> required{"dataset", "embedding_id", "model_id",
                                                              "k_expansion"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        std::vector<std::string> argv{"ls-sae", p["dataset"], p["embedding_id"], p["model_id"]};
        routes_detail::push_bare(argv, p["k_expansion"]);
        return argv;
    }
};

/// `GET /cluster?dataset&umap_id&samples&min_samples&cluster_selection_epsilon`
struct cluster_route : command_route<cluster_route>
{
    static constexpr std::string_view path = "/cluster";
    static constexpr std::array<std::string_view, 5> required{
        "dataset", "umap_id", "samples", "min_samples", "cluster_selection_epsilon"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        std::vector<std::string> argv{"ls-cluster", p["dataset"], p["umap_id"]};
        for (std::string_view key : {"samples", "min_samples", "cluster_selection_epsilon"})
            routes_detail::push_bare(argv, p[key]);
        return argv;
    }
};

/// `GET /cluster_label?dataset&chat_id&text_column&cluster_id&samples&[context]&...`
struct cluster_label_route : command_route<cluster_label_route>
{
    static constexpr std::string_view path = "/cluster_label";
    static constexpr std::array<std::string_view, 5> required{"dataset", "chat_id", "text_column",
                                                              "cluster_id", "samples"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        std::vector<std::string> argv{"ls-label", p["dataset"], p["text_column"], p["cluster_id"],
                                      p["chat_id"]};
        routes_detail::push_bare(argv, p["samples"]);
        argv.push_back(p["context"]); // an empty argument when absent
        for (std::string_view key : {"max_tokens_per_sample", "max_tokens_total"})
            if (auto value = p.non_empty(key))
                argv.push_back(routes_detail::flag(key, *value));
        return argv;
    }
};

/// `GET /scope?dataset&embedding_id&umap_id&cluster_id&cluster_labels_id&label&description&...`
struct scope_route : command_route<scope_route>
{
    static constexpr std::string_view path = "/scope";
    static constexpr std::array<std::string_view, 7> required{
        "dataset",           "embedding_id", "umap_id",    "cluster_id",
        "cluster_labels_id", "label",        "description"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        std::vector<std::string> argv{"ls-scope",   p["dataset"],    p["embedding_id"],
                                      p["umap_id"], p["cluster_id"], p["cluster_labels_id"],
                                      p["label"],   p["description"]};
        for (std::string_view key : {"sae_id", "scope_id"})
            if (auto value = p.non_empty(key))
                argv.push_back(routes_detail::flag(key, *value));
        return argv;
    }
};

/// `GET /plot?dataset&scope_id&config`
struct plot_route : command_route<plot_route>
{
    static constexpr std::string_view path = "/plot";
    static constexpr std::array<std::string_view, 3> required{"dataset", "scope_id", "config"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        std::vector<std::string> argv{"ls-export-plot", p["dataset"]};
        routes_detail::push_bare(argv, p["scope_id"]);
        argv.push_back(routes_detail::flag("plot_config", p["config"]));
        return argv;
    }
};

/// `GET /download_dataset?dataset_repo&dataset_name`: the job belongs to
/// dataset `dataset_name`.
struct download_dataset_route : command_route<download_dataset_route>
{
    static constexpr std::string_view path = "/download_dataset";
    static constexpr std::array<std::string_view, 2> required{"dataset_repo", "dataset_name"};

    static std::string dataset_of(const route_params& p) { return p["dataset_name"]; }

    static std::vector<std::string> argv(const route_params& p, const settings& s)
    {
        return {"ls-download-dataset", p["dataset_repo"], p["dataset_name"], s.data_dir.string()};
    }
};

/// `GET /upload_dataset?dataset&hf_dataset&main_parquet&private`
struct upload_dataset_route : command_route<upload_dataset_route>
{
    static constexpr std::string_view path = "/upload_dataset";
    static constexpr std::array<std::string_view, 4> required{"dataset", "hf_dataset",
                                                              "main_parquet", "private"};

    static std::vector<std::string> argv(const route_params& p, const settings& s)
    {
        using routes_detail::flag;
        return {"ls-upload-dataset", (s.data_dir / p["dataset"]).string(), p["hf_dataset"],
                flag("main-parquet", p["main_parquet"]), flag("private", p["private"])};
    }
};

/// `GET /toponymy?dataset&scope_id&[llm_provider]&[llm_model]&[min_clusters]&...`
struct toponymy_route : command_route<toponymy_route>
{
    static constexpr std::string_view path = "/toponymy";
    static constexpr std::array<std::string_view, 2> required{"dataset", "scope_id"};

    static std::vector<std::string> argv(const route_params& p, const settings&)
    {
        using routes_detail::flag;
        // the defaults apply only to absent parameters; an empty one stays
        auto value = [&](std::string_view key, std::string_view fallback) {
            return std::string(p.get(key).value_or(fallback));
        };
        std::vector<std::string> argv{
            "python",
            "-m",
            "latentscope.scripts.toponymy_labels",
            p["dataset"],
            p["scope_id"],
            flag("llm-provider", value("llm_provider", "openai")),
            flag("llm-model", value("llm_model", "gpt-5-mini")),
            flag("min-clusters", value("min_clusters", "2")),
            flag("base-min-cluster-size", value("base_min_cluster_size", "10"))};
        if (auto context = p.non_empty("context"))
            argv.push_back(flag("context", *context));
        return argv;
    }
};

// --- routes with their own handling ---------------------------------------

/// `GET /job?dataset&job_id`: the record; 404 `{"status": "not found"}`.
struct job_route
{
    static constexpr std::string_view path = "/job";
    static constexpr method_set methods = read_methods;
    static constexpr bool writes = false;
    static constexpr std::array<std::string_view, 2> required{"dataset", "job_id"};

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        route_params p(request);
        error_code ec;
        auto text = read_record_text(service.store(), p["dataset"], p["job_id"], ec);
        if (ec)
            return http::error_response(500, "cannot read the job: " + ec.message());
        if (!text)
            return http::json_response(404, {{"status", "not found"}});
        return {200, "application/json", std::move(*text), {}};
    }
};

/// `GET /all?dataset`: every readable record of the dataset.
struct all_route
{
    static constexpr std::string_view path = "/all";
    static constexpr method_set methods = read_methods;
    static constexpr bool writes = false;

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        auto dataset = request.param("dataset");
        auto body = dataset ? list_records_text(service.store(), *dataset) : std::string("[]");
        return {200, "application/json", std::move(body), {}};
    }
};

/// `GET /log?dataset&job_id&[offset]`: the job's log as text from a byte
/// offset, since the record keeps only the newest lines.
struct log_route
{
    static constexpr std::string_view path = "/log";
    static constexpr method_set methods = read_methods;
    static constexpr bool writes = false;
    static constexpr std::array<std::string_view, 2> required{"dataset", "job_id"};
    static constexpr std::size_t max_bytes = 16 << 20;

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        route_params p(request);
        std::uint64_t offset = 0;
        if (auto text = p.non_empty("offset")) {
            auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), offset);
            if (error != std::errc() || end != text->data() + text->size())
                return http::error_response(400, "Invalid offset: not a byte count");
        }
        error_code ec;
        auto log = service.read_log(p["dataset"], p["job_id"], offset, max_bytes, ec);
        if (ec)
            return routes_detail::error_for(ec);
        return {200, "text/plain; charset=utf-8", std::move(log), {}};
    }
};

/// `GET /health`: `{"status": "ok"}`.
struct health_route
{
    static constexpr std::string_view path = "/health";
    static constexpr method_set methods = read_methods;
    static constexpr bool writes = false;

    template <class Service>
    static http::response handle(Service&, http::request&)
    {
        return http::json_response(200, {{"status", "ok"}});
    }
};

/// `GET /kill?dataset&job_id`: the whole job object after the kill.
struct kill_route
{
    static constexpr std::string_view path = "/kill";
    static constexpr method_set methods = write_methods;
    static constexpr bool writes = true;
    static constexpr std::array<std::string_view, 2> required{"dataset", "job_id"};

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        route_params p(request);
        error_code ec;
        auto record = service.kill(p["dataset"], p["job_id"], ec);
        if (ec)
            return routes_detail::error_for(ec);
        if (!record)
            return http::error_response(404, "job not found");
        return {200, "application/json", job_to_text(*record), {}};
    }
};

/// `GET /rerun?dataset&job_id`: the same argv as a new job.
struct rerun_route
{
    static constexpr std::string_view path = "/rerun";
    static constexpr method_set methods = write_methods;
    static constexpr bool writes = true;
    static constexpr std::array<std::string_view, 2> required{"dataset", "job_id"};

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        route_params p(request);
        error_code ec;
        auto id = service.rerun(p["dataset"], p["job_id"], ec);
        if (ec)
            return routes_detail::error_for(ec);
        return routes_detail::job_id_response(id);
    }
};

/// `GET /delete/KIND?dataset&ID`: a cascade delete, run as a job.
template <artifact_kind Kind>
struct delete_route
{
    static constexpr method_set methods = write_methods;
    static constexpr bool writes = true;

    static constexpr std::string_view id_parameter =
        Kind == artifact_kind::embedding       ? "embedding_id"
        : Kind == artifact_kind::umap          ? "umap_id"
        : Kind == artifact_kind::sae           ? "sae_id"
        : Kind == artifact_kind::cluster       ? "cluster_id"
        : Kind == artifact_kind::cluster_label ? "cluster_labels_id"
                                               : "scope_id";
    static constexpr std::string_view path = Kind == artifact_kind::embedding ? "/delete/embedding"
                                             : Kind == artifact_kind::umap    ? "/delete/umap"
                                             : Kind == artifact_kind::sae     ? "/delete/sae"
                                             : Kind == artifact_kind::cluster ? "/delete/cluster"
                                             : Kind == artifact_kind::cluster_label
                                                 ? "/delete/cluster_label"
                                                 : "/delete/scope";
    static constexpr std::array<std::string_view, 2> required{"dataset", id_parameter};

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        route_params p(request);
        error_code ec;
        auto id = service.remove(p["dataset"], Kind, p[id_parameter], ec);
        if (ec)
            return routes_detail::error_for(ec);
        return routes_detail::job_id_response(id);
    }
};

/// The base name an upload is saved under: ASCII letters, digits, `.`,
/// `_` and `-` kept, spaces made `_`, everything else and any folder part
/// dropped, no leading `.`; empty when nothing is left.
inline std::string safe_upload_name(std::string_view filename)
{
    auto slash = filename.find_last_of("/\\");
    if (slash != std::string_view::npos)
        filename.remove_prefix(slash + 1);
    std::string name;
    for (char c : filename) {
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
        if (keep)
            name += c;
        else if (c == ' ')
            name += '_';
    }
    auto first = name.find_first_not_of('.');
    return first == std::string::npos ? std::string() : name.substr(first);
}

/// `POST /ingest` form `dataset`, `file`, [`text_column`]: saves the upload
/// into the dataset folder and ingests it.
struct ingest_route
{
    static constexpr std::string_view path = "/ingest";
    static constexpr method_set methods = upload_methods;
    static constexpr bool writes = true;

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        route_params p(request);
        std::vector<std::string_view> absent;
        if (!p.has("dataset"))
            absent.push_back("dataset");
        if (!request.file("file"))
            absent.push_back("file");
        if (auto missing = p.missing(absent))
            return http::error_response(400, *missing);
        auto name = safe_upload_name(request.file("file")->filename);
        if (name.empty())
            return http::error_response(400, "Invalid file name: nothing safe is left of it");

        // the upload moves into the dataset folder, replacing a file of that name
        std::string dataset = p["dataset"];
        auto target = service.config().data_dir / dataset / name;
        error_code ec;
        service.save_upload(*request.take("file"), target, ec);
        if (ec)
            return http::error_response(500, "cannot save the upload: " + ec.message());

        std::vector<std::string> argv{"ls-ingest", dataset,
                                      routes_detail::flag("path", target.string())};
        if (auto column = p.non_empty("text_column"))
            argv.push_back(routes_detail::flag("text_column", *column));
        auto id = service.start(dataset, std::move(argv), ec);
        if (ec)
            return routes_detail::error_for(ec);
        return routes_detail::job_id_response(id, &dataset);
    }
};

/// `POST /import_twitter`: see the route table; the payload validator of
/// the service decides what an extracted archive must hold.
struct import_twitter_route
{
    static constexpr std::string_view path = "/import_twitter";
    static constexpr method_set methods = upload_methods;
    static constexpr bool writes = true;

    /// `dataset` is made a slug here (`My Tweets` is `my-tweets`), which
    /// is always one safe name, rather than refused when it is not one.
    static constexpr std::array<std::string_view, 1> normalised{"dataset"};

    template <class Service>
    static http::response handle(Service& service, http::request& request)
    {
        auto dataset = dataset_slug(request.param("dataset").value_or(""));
        if (dataset.empty())
            return http::error_response(400, invalid_dataset_message);
        auto source = select_twitter_source(request.form);
        if (!source.accepted())
            return http::error_response(400, source.error);

        // an extracted archive: saved under uploads/{job id}, checked, and
        // removed once the job ends
        std::string id = detail::random_uuid();
        std::vector<std::filesystem::path> cleanup;
        if (source.kind == twitter_source_kind::community_json) {
            if (!request.file("file"))
                return http::error_response(400, missing_community_json_message);
            auto folder = service.config().data_dir / dataset / "uploads" / id;
            auto target = folder / ("community-extract-" + detail::random_uuid().substr(0, 8) +
                                    detail::random_uuid().substr(24) + ".json");
            error_code ec;
            service.save_upload(*request.take("file"), target, ec);
            if (ec)
                return http::error_response(500, "cannot save the upload: " + ec.message());
            if (auto reason = service.validate_payload(target); !reason.empty()) {
                std::error_code ignored;
                std::filesystem::remove_all(folder, ignored);
                return http::error_response(400, invalid_payload_message(reason));
            }
            source.args = community_json_args(target);
            cleanup.push_back(folder);
        }

        error_code ec;
        auto argv = twitter_import_argv(dataset, source.args, request.form);
        auto started = service.start_launch(
            {.dataset = dataset, .argv = std::move(argv), .cleanup = std::move(cleanup), .id = id},
            ec);
        if (ec)
            return routes_detail::error_for(ec);
        return routes_detail::job_id_response(started, &dataset);
    }
};

/// Every route of the latent-scope job API.
using latent_scope_routes =
    route_set<job_route, all_route, log_route, health_route, ingest_route, import_twitter_route,
              reingest_route, embed_route, embed_truncate_route, embed_importer_route, umap_route,
              sae_route, cluster_route, cluster_label_route, scope_route, plot_route,
              download_dataset_route, upload_dataset_route, toponymy_route, rerun_route, kill_route,
              delete_route<artifact_kind::embedding>, delete_route<artifact_kind::umap>,
              delete_route<artifact_kind::sae>, delete_route<artifact_kind::cluster>,
              delete_route<artifact_kind::cluster_label>, delete_route<artifact_kind::scope>>;

} // namespace scopejobs

#endif
