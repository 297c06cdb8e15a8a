#include <scopejobs/detail/security.hpp>

// The security review as tests: injection and traversal through every
// parameter, links during deletes and upload cleanup, the Host and
// cross-site checks and the bearer token, through the test router and
// through scopejobs-server over loopback.

#include <scopejobs/process/scripted_process.hpp>
#include <scopejobs/router/test_router.hpp>
#include <scopejobs/service.hpp>
#include <scopejobs/store/memory_store.hpp>

#include "server_support.hpp"
#include "support.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sj = scopejobs;
using namespace std::chrono_literals;
using sj::http::verb;

namespace {

using service_type = sj::basic_job_service<sj::test_router, sj::scripted_process, sj::memory_store>;
using header_list = std::vector<std::pair<std::string, std::string>>;
using argv_t = std::vector<std::string>;

// Every byte but letters and digits as %XX.
std::string encode(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c)) {
            out += char(c);
            continue;
        }
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

// A service over the test router whose settings a test may change first.
struct fixture
{
    explicit fixture(const std::function<void(sj::settings&)>& adjust = {}, fs::path data_dir = {})
        : processes(io.get_executor()), store(sj::null_sink()),
          service(io.get_executor(), router, processes, store,
                  configure(adjust, data_dir.empty() ? scratch.path / "data" : data_dir))
    {
        sj::error_code ec;
        service.open(ec);
        BOOST_REQUIRE_MESSAGE(!ec, ec.message());
        pump();
    }

    sj::settings configure(const std::function<void(sj::settings&)>& adjust, fs::path data_dir)
    {
        data = data_dir;
        sj::settings config;
        config.data_dir = data_dir;
        config.log = sj::null_sink();
        if (adjust)
            adjust(config);
        return config;
    }

    // Runs what is ready on the executor.
    void pump()
    {
        io.restart();
        io.poll();
    }

    void run_until_idle()
    {
        io.restart();
        auto guard = asio::make_work_guard(io);
        for (int i = 0; i < 2000 && service.runner().running() != 0; ++i)
            io.run_for(5ms);
    }

    // `method /api/jobs{target}` with `headers` and an urlencoded `body`,
    // as a router hands it over.
    sj::http::response send(verb method, std::string_view target, const header_list& headers = {},
                            std::string_view body = {})
    {
        sj::http::request request;
        request.method = method;
        request.target = "/api/jobs" + std::string(target);
        auto question = request.target.find('?');
        request.path = request.target.substr(0, question);
        std::string error;
        if (question != std::string::npos)
            BOOST_REQUIRE(sj::http::parse_urlencoded(request.target.substr(question + 1),
                                                     request.query, error));
        if (!body.empty())
            BOOST_REQUIRE(sj::http::parse_urlencoded(body, request.form, error));
        for (const auto& [name, value] : headers) {
            std::string lower = name;
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](unsigned char c) { return char(std::tolower(c)); });
            request.headers.add(lower, value);
        }
        return router.call(request);
    }

    sj::http::response get(std::string_view target, const header_list& headers = {})
    {
        return send(verb::get, target, headers);
    }

    std::string error_of(const sj::http::response& response)
    {
        return std::string(json::parse(response.body).at("error").as_string());
    }

    std::size_t started()
    {
        pump();
        return processes.specs().size();
    }

    sj::testing::temporary_folder scratch{"scopejobs-security"};
    fs::path data;
    asio::io_context io;
    sj::test_router router;
    sj::scripted_process processes;
    sj::memory_store store;
    service_type service;
};

// --- injection ----------------------------------------------------------

// A command route and every parameter it reads, each with a value that
// appears nowhere else.
struct route_case
{
    std::string path;
    std::vector<std::string> parameters;
};

const std::vector<route_case> command_routes = {
    {"/reingest", {"dataset", "text_column"}},
    {"/embed",
     {"dataset", "text_column", "model_id", "prefix", "batch_size", "dimensions",
      "max_seq_length"}},
    {"/embed_truncate", {"dataset", "embedding_id", "dimensions"}},
    {"/embed_importer", {"dataset", "model_id", "embedding_column", "text_column"}},
    {"/umap",
     {"dataset", "embedding_id", "neighbors", "min_dist", "init", "align", "save", "sae_id",
      "seed"}},
    {"/sae", {"dataset", "embedding_id", "model_id", "k_expansion"}},
    {"/cluster", {"dataset", "umap_id", "samples", "min_samples", "cluster_selection_epsilon"}},
    {"/cluster_label",
     {"dataset", "chat_id", "text_column", "cluster_id", "samples", "context",
      "max_tokens_per_sample", "max_tokens_total"}},
    {"/scope",
     {"dataset", "embedding_id", "umap_id", "cluster_id", "cluster_labels_id", "label",
      "description", "sae_id", "scope_id"}},
    {"/plot", {"dataset", "scope_id", "config"}},
    {"/download_dataset", {"dataset_repo", "dataset_name"}},
    {"/upload_dataset", {"dataset", "hf_dataset", "main_parquet", "private"}},
    {"/toponymy",
     {"dataset", "scope_id", "llm_provider", "llm_model", "min_clusters", "base_min_cluster_size",
      "context"}},
};

// What a shell or an option parser would read as something else.
const std::vector<std::string> hostile_values = {
    "a;b|c&d$(e)`f`",
    "x\"; touch p; \"",
    "'quoted' \"twice\"",
    "line1\nline2\rline3",
    "-rf",
    "--help",
    "../../etc/passwd",
    "/etc/passwd",
    "$HOME ${IFS} * ?",
    "trailing\\",
    std::string(10000, 'A') + ";B",
};

// The parameters that name a path component, as the contract lists them.
bool names_a_path(std::string_view parameter)
{
    for (std::string_view name :
         {"dataset", "job_id", "dataset_name", "embedding_id", "umap_id", "sae_id", "cluster_id",
          "cluster_labels_id", "scope_id", "init", "align"})
        if (parameter == name)
            return true;
    return false;
}

// Whether the contract makes a path parameter refuse `value`.
bool unsafe_component(std::string_view value)
{
    return value.empty() || value.front() == '-' || value.front() == '.' ||
           value.find_first_of("/\\\n\r") != std::string_view::npos;
}

std::string marker(std::size_t i)
{
    return "mark" + std::to_string(i) + "x";
}

// `argv` with every occurrence of `from` inside its elements made `to`.
argv_t substitute(argv_t argv, const std::string& from, const std::string& to)
{
    for (auto& arg : argv)
        for (auto at = arg.find(from); at != std::string::npos; at = arg.find(from, at + to.size()))
            arg.replace(at, from.size(), to);
    return argv;
}

} // namespace

BOOST_AUTO_TEST_SUITE(security)

BOOST_AUTO_TEST_CASE(every_parameter_of_every_command_route_reaches_argv_verbatim_or_is_refused)
{
    for (const auto& route : command_routes) {
        fixture f; // a fresh one per route keeps the list of starts short
        auto query = [&](std::size_t hostile_at, const std::string& hostile) {
            std::string text;
            for (std::size_t i = 0; i < route.parameters.size(); ++i)
                text += (i == 0 ? "?" : "&") + route.parameters[i] + "=" +
                        encode(i == hostile_at ? hostile : marker(i));
            return route.path + text;
        };

        // the argv with a plain value in every parameter
        auto before = f.started();
        auto plain = f.get(query(route.parameters.size(), ""));
        BOOST_REQUIRE_MESSAGE(plain.status == 200u, route.path << ": " << plain.body);
        BOOST_REQUIRE(f.started() == before + 1);
        auto plain_argv = f.processes.specs().back().argv;

        for (std::size_t i = 0; i < route.parameters.size(); ++i) {
            const auto& name = route.parameters[i];
            for (const auto& hostile : hostile_values) {
                auto count = f.started();
                auto response = f.get(query(i, hostile));
                auto label = route.path + " " + name + "=" + hostile.substr(0, 40);
                f.pump();
                auto specs = f.processes.specs();
                if (names_a_path(name) && unsafe_component(hostile)) {
                    BOOST_TEST(response.status == 400u, label);
                    BOOST_TEST(f.error_of(response).starts_with("Invalid " + name + ": "), label);
                    BOOST_TEST(specs.size() == count, label);
                    continue;
                }
                // one element per element, the value inside it as sent
                BOOST_REQUIRE_MESSAGE(response.status == 200u, label << ": " << response.body);
                BOOST_REQUIRE(specs.size() == count + 1);
                BOOST_TEST(specs.back().argv == substitute(plain_argv, marker(i), hostile), label);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_nul_byte_in_any_parameter_of_a_write_route_is_a_400_naming_it)
{
    fixture f;
    for (const auto& route : command_routes) {
        for (const auto& name : route.parameters) {
            std::string target = route.path + "?";
            for (const auto& other : route.parameters)
                target += other + "=" + (other == name ? "nul%00after" : "v") + "&";
            auto response = f.get(target);
            BOOST_TEST(response.status == 400u, target);
            BOOST_TEST(f.error_of(response) == "Invalid " + name + ": contains a NUL byte", target);
        }
    }
    auto posted = f.send(verb::post, "/sae", {},
                         "dataset=ds&embedding_id=e&model_id=m%00x"
                         "&k_expansion=1");
    BOOST_TEST(f.error_of(posted) == "Invalid model_id: contains a NUL byte");
    BOOST_TEST(f.started() == 0u);
}

BOOST_AUTO_TEST_CASE(form_fields_reach_argv_verbatim_as_query_parameters_do)
{
    fixture f;
    std::string hostile = "a;b|c&d$(e)`f`\n'\"";
    auto response = f.send(verb::post, "/cluster_label", {},
                           "dataset=ds&chat_id=" + encode(hostile) +
                               "&text_column=t&cluster_id=c&samples=3&context=" + encode(hostile));
    BOOST_REQUIRE_MESSAGE(response.status == 200u, response.body);
    f.pump();
    BOOST_TEST(f.processes.specs().back().argv ==
                   (argv_t{"ls-label", "ds", "t", "c", hostile, "3", hostile}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(import_twitter_passes_fields_as_single_arguments_and_slugs_the_dataset)
{
    fixture f;
    std::string hostile = "a;b|c&d$(e)`f`\n'\"--run_pipeline";
    std::string body = "dataset=" + encode("x\"; rm -rf $(id) #") +
                       "&source_type=community&username=" + encode(hostile);
    for (std::string_view key : {"year", "lang", "sort", "text_column", "import_batch_id"})
        body += "&" + std::string(key) + "=" + encode(hostile);
    auto response = f.send(verb::post, "/import_twitter", {}, body);
    BOOST_REQUIRE_MESSAGE(response.status == 200u, response.body);
    BOOST_TEST(json::parse(response.body).at("dataset").as_string() == "x-rm-rf-id");

    f.pump();
    argv_t expected = {"ls-twitter-import", "x-rm-rf-id", "--source",
                       "community",         "--username", hostile};
    for (std::string_view key : {"year", "lang", "sort", "text_column", "import_batch_id"}) {
        expected.push_back("--" + std::string(key));
        expected.push_back(hostile);
    }
    expected.push_back("--run_pipeline");
    BOOST_TEST(f.processes.specs().back().argv == expected, boost::test_tools::per_element());
}

// --- traversal ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_id_refuses_traversal_with_a_400_naming_it)
{
    fixture f;
    const std::vector<std::string> traversals = {
        "..",          ".",     "../x",  "..%2F..%2Fetc", "%2e%2e", "%2E%2E%2Fx", "%2Fetc%2Fpasswd",
        "/etc/passwd", "a%2Fb", "a%5Cb", ".hidden",       ""};
    // a route and the id parameters it names, the others filled in
    const std::vector<std::pair<std::string, std::vector<std::string>>> routes = {
        {"/job?dataset=ds&job_id=j", {"dataset", "job_id"}},
        {"/log?dataset=ds&job_id=j", {"dataset", "job_id"}},
        {"/kill?dataset=ds&job_id=j", {"dataset", "job_id"}},
        {"/rerun?dataset=ds&job_id=j", {"dataset", "job_id"}},
        {"/delete/embedding?dataset=ds&embedding_id=e", {"dataset", "embedding_id"}},
        {"/delete/umap?dataset=ds&umap_id=u", {"dataset", "umap_id"}},
        {"/delete/sae?dataset=ds&sae_id=s", {"dataset", "sae_id"}},
        {"/delete/cluster?dataset=ds&cluster_id=c", {"dataset", "cluster_id"}},
        {"/delete/cluster_label?dataset=ds&cluster_labels_id=l", {"dataset", "cluster_labels_id"}},
        {"/delete/scope?dataset=ds&scope_id=s", {"dataset", "scope_id"}},
        {"/download_dataset?dataset_repo=r&dataset_name=n", {"dataset_name"}},
        {"/umap?dataset=ds&embedding_id=e&neighbors=1&min_dist=1&init=i&sae_id=s",
         {"dataset", "embedding_id", "init", "sae_id"}},
    };
    for (const auto& [target, names] : routes) {
        for (const auto& name : names) {
            for (const auto& bad : traversals) {
                // an empty optional id means absent (the UI sends `sae_id=`)
                if (bad.empty() && target.starts_with("/umap") &&
                    (name == "init" || name == "sae_id"))
                    continue;
                // the parameter replaced by the bad value
                auto at = target.find(name + "=");
                auto end = target.find('&', at);
                auto request = target.substr(0, at) + name + "=" + bad +
                               (end == std::string::npos ? "" : target.substr(end));
                auto response = f.get(request);
                BOOST_TEST(response.status == 400u, request);
                BOOST_TEST(f.error_of(response).starts_with("Invalid " + name + ": "), request);
            }
        }
    }
    BOOST_TEST(f.get("/all?dataset=..%2F..").status == 400u);
    BOOST_TEST(f.started() == 0u);
    BOOST_TEST(!fs::exists(f.data / ".." / "etc"));
}

BOOST_AUTO_TEST_CASE(upload_names_are_reduced_to_a_safe_base_name_inside_the_dataset)
{
    fixture f;
    const std::vector<std::string> names = {"../../evil.csv", "/etc/passwd",     "..%2F..%2Fx.csv",
                                            "%2e%2e%2fy.csv", "C:\\Win\\z.csv",  "a/../../b.csv",
                                            "....hidden.csv", "sp ace;$(rm).csv"};
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto upload = f.data / ".scopejobs-uploads" / (".upload-" + std::to_string(i));
        std::ofstream(upload) << "text\nrow\n";
        sj::http::request request;
        request.method = verb::post;
        request.path = "/api/jobs/ingest";
        request.form.add("dataset", "ds");
        request.files.push_back({"file", names[i], "text/csv", upload, 9});
        auto response = f.router.call(request);
        BOOST_REQUIRE_MESSAGE(response.status == 200u, names[i] << ": " << response.body);

        // the file the tool is told to read: a plain name right in the dataset
        f.pump();
        auto path_flag = f.processes.specs().back().argv.at(2);
        BOOST_REQUIRE(path_flag.starts_with("--path="));
        fs::path saved = path_flag.substr(7);
        BOOST_TEST(saved.parent_path() == f.data / "ds", names[i]);
        auto base = saved.filename().string();
        BOOST_TEST(!base.starts_with("."), names[i]);
        BOOST_TEST(std::all_of(base.begin(), base.end(),
                               [](unsigned char c) {
                                   return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                               }),
                   names[i]);
        BOOST_TEST(fs::exists(saved), names[i]);
    }

    // nothing was written beside the data folder
    for (const auto& entry : fs::directory_iterator(f.scratch.path))
        BOOST_TEST(entry.path().filename() == "data");

    // and a dataset that is a path is refused before anything is saved
    auto upload = f.data / ".scopejobs-uploads" / ".upload-bad";
    std::ofstream(upload) << "x";
    sj::http::request request;
    request.method = verb::post;
    request.path = "/api/jobs/ingest";
    request.form.add("dataset", "../outside");
    request.files.push_back({"file", "x.csv", "text/csv", upload, 1});
    auto refused = f.router.call(request);
    BOOST_TEST(refused.status == 400u);
    BOOST_TEST(f.error_of(refused).starts_with("Invalid dataset: "));
    BOOST_TEST(!fs::exists(f.scratch.path / "outside"));
}

// --- links --------------------------------------------------------------

namespace {

void write_file(const fs::path& path, std::string_view text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::string read_file(const fs::path& path)
{
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The final record of the job a route answered.
sj::job_record finished(fixture& f, const sj::http::response& response, std::string dataset)
{
    BOOST_REQUIRE_MESSAGE(response.status == 200u, response.body);
    auto id = std::string(json::parse(response.body).at("job_id").as_string());
    f.run_until_idle();
    sj::error_code ec;
    auto record = f.store.read(dataset, id, ec);
    BOOST_REQUIRE(record.has_value());
    return *record;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_cascade_delete_removes_links_inside_the_dataset_never_their_targets)
{
    fixture f;
    auto outside = f.scratch.path / "outside";
    write_file(outside / "secret.json", R"({"embedding_id": "e"})");
    write_file(outside / "folder" / "kept.txt", "kept");
    write_file(outside / "clusters" / "cluster-001.json", R"({"umap_id": "umap-001"})");

    auto ds = f.data / "ds";
    fs::create_directories(ds / "umaps");
    fs::create_symlink(outside / "secret.json", ds / "umaps" / "umap-001.json");
    fs::create_directory_symlink(outside / "folder", ds / "umaps" / "umap-001-extra");
    fs::create_directory_symlink(outside / "clusters", ds / "clusters");

    auto record = finished(f, f.get("/delete/umap?dataset=ds&umap_id=umap-001"), "ds");

    // the links in umaps/ are gone; what they pointed to is not
    BOOST_TEST(!fs::exists(fs::symlink_status(ds / "umaps" / "umap-001.json")));
    BOOST_TEST(!fs::exists(fs::symlink_status(ds / "umaps" / "umap-001-extra")));
    BOOST_TEST(read_file(outside / "secret.json") == R"({"embedding_id": "e"})");
    BOOST_TEST(read_file(outside / "folder" / "kept.txt") == "kept");

    // a linked folder is never walked through, and the job says so
    BOOST_TEST(fs::exists(outside / "clusters" / "cluster-001.json"));
    BOOST_TEST(fs::is_symlink(ds / "clusters"));
    BOOST_TEST((record.status == sj::job_status::error));
    auto said = std::any_of(record.progress.begin(), record.progress.end(), [](const auto& line) {
        return line.find("its folder is a link, never followed") != std::string::npos;
    });
    BOOST_TEST(said);
}

namespace {

const std::string valid_payload = R"({"archive_format": "x_native_extracted_v1", "profile": {},
    "tweets": [{"id_str": "1", "full_text": "hi"}], "likes": [],
    "tweet_count": 1, "likes_count": 0, "total_count": 1})";

// An extracted archive posted to /import_twitter for dataset `archive`.
sj::http::response post_archive(fixture& f)
{
    auto path = f.data / ".scopejobs-uploads" / ".upload-archive";
    std::ofstream(path) << valid_payload;
    sj::http::request request;
    request.method = verb::post;
    request.path = "/api/jobs/import_twitter";
    request.form.add("dataset", "archive");
    request.files.push_back({"file", "a.json", "application/json", path, valid_payload.size()});
    return f.router.call(request);
}

} // namespace

BOOST_AUTO_TEST_CASE(upload_cleanup_removes_links_in_the_upload_folder_never_their_targets)
{
    fixture f;
    auto outside = f.scratch.path / "outside";
    write_file(outside / "secret.txt", "secret");
    write_file(outside / "folder" / "kept.txt", "kept");

    f.processes.push({sj::script_step::hang()});
    auto response = post_archive(f);
    BOOST_REQUIRE_MESSAGE(response.status == 200u, response.body);
    auto id = std::string(json::parse(response.body).at("job_id").as_string());
    f.pump();

    // links planted in the upload folder while the tool runs
    auto uploads = f.data / "archive" / "uploads" / id;
    BOOST_REQUIRE(fs::is_directory(uploads));
    fs::create_symlink(outside / "secret.txt", uploads / "file-link");
    fs::create_directory_symlink(outside / "folder", uploads / "folder-link");

    BOOST_TEST(f.get("/kill?dataset=archive&job_id=" + id).status == 200u);
    f.run_until_idle();
    sj::error_code ec;
    auto record = f.store.read("archive", id, ec);
    BOOST_REQUIRE(record.has_value());
    BOOST_TEST(record->progress.back() == "Cleaned up temporary upload files.");
    BOOST_TEST(!fs::exists(fs::symlink_status(uploads)));
    BOOST_TEST(read_file(outside / "secret.txt") == "secret");
    BOOST_TEST(read_file(outside / "folder" / "kept.txt") == "kept");
}

BOOST_AUTO_TEST_CASE(a_linked_data_folder_and_a_linked_dataset_folder_work)
{
    sj::testing::temporary_folder scratch("scopejobs-links");
    auto real_data = scratch.path / "real-data";
    auto real_dataset = scratch.path / "real-dataset";
    fs::create_directories(real_data);
    write_file(real_dataset / "umaps" / "umap-001.json", R"({"embedding_id": "e"})");
    write_file(real_data / "plain" / "scopes" / "scope-001.json", "{}");

    // the data folder is a link, and so is one dataset in it
    auto data = scratch.path / "data-link";
    fs::create_directory_symlink(real_data, data);
    fs::create_directory_symlink(real_dataset, real_data / "linked");
    fixture f({}, data);

    auto in_linked = finished(f, f.get("/delete/umap?dataset=linked&umap_id=umap-001"), "linked");
    BOOST_TEST((in_linked.status == sj::job_status::completed));
    BOOST_TEST(!fs::exists(real_dataset / "umaps" / "umap-001.json"));

    auto in_plain = finished(f, f.get("/delete/scope?dataset=plain&scope_id=scope-001"), "plain");
    BOOST_TEST((in_plain.status == sj::job_status::completed));
    BOOST_TEST(!fs::exists(real_data / "plain" / "scopes" / "scope-001.json"));

    // an upload through the links is saved and cleaned up
    fs::create_directory_symlink(real_dataset, real_data / "archive");
    auto imported = finished(f, post_archive(f), "archive");
    BOOST_TEST(imported.progress.back() == "Cleaned up temporary upload files.");
    BOOST_TEST(fs::is_empty(real_dataset / "uploads"));
}

// --- the matching rules -------------------------------------------------

BOOST_AUTO_TEST_CASE(hosts_match_by_name_on_any_port_unless_an_entry_names_one)
{
    using sj::detail::host_allowed;
    std::vector<std::string> loopback = sj::settings{}.allowed_hosts;
    for (std::string host : {"localhost", "localhost:5001", "LOCALHOST.:5001", "127.0.0.1",
                             "127.0.0.1:5001", "[::1]", "[::1]:5001", "[::1]:"})
        BOOST_TEST(host_allowed(host, loopback), host);
    for (std::string host :
         {"evil.example", "evil.example:5001", "localhost.evil.example", "127.0.0.1.evil.example",
          "127.0.0.1:5001@evil.example", "127.0.0.1:x", "[::1", "[::2]:5001", "", "local host"})
        BOOST_TEST(!host_allowed(host, loopback), host);

    std::vector<std::string> named = {"Scope.LAN", "box:8080", "fe80::1"};
    BOOST_TEST(host_allowed("scope.lan:1234", named));
    BOOST_TEST(host_allowed("box:8080", named));
    BOOST_TEST(!host_allowed("box:8081", named));
    BOOST_TEST(!host_allowed("box", named));
    BOOST_TEST(host_allowed("[FE80::1]:5001", named));
    BOOST_TEST(host_allowed("anything.example:1", {"*"}));
}

BOOST_AUTO_TEST_CASE(origins_match_whole_or_by_host_on_any_port)
{
    using sj::detail::origin_allowed;
    std::vector<std::string> loopback = sj::settings{}.allowed_origins;
    for (std::string origin : {"http://localhost:5173", "http://localhost", "http://127.0.0.1:5001",
                               "http://[::1]:3000", "HTTP://LOCALHOST:5173"})
        BOOST_TEST(origin_allowed(origin, loopback), origin);
    for (std::string origin :
         {"https://evil.example", "http://localhost.evil.example", "http://localhost:5173.evil",
          "https://localhost:5173", "http://127.0.0.1:", "null", ""})
        BOOST_TEST(!origin_allowed(origin, loopback), origin);

    std::vector<std::string> named = {"https://ui.example/", "https://ui.example:8443"};
    BOOST_TEST(origin_allowed("https://ui.example", named));
    BOOST_TEST(origin_allowed("https://ui.example:8443", named));
    BOOST_TEST(!origin_allowed("https://ui.example:9999", named));
    BOOST_TEST(!origin_allowed("http://ui.example", named));
    BOOST_TEST(origin_allowed("null", {"*"}));
}

BOOST_AUTO_TEST_CASE(tokens_compare_whole_and_bearer_values_parse)
{
    using sj::detail::bearer_token;
    using sj::detail::equal_in_constant_time;
    BOOST_TEST(equal_in_constant_time("s3cret", "s3cret"));
    BOOST_TEST(equal_in_constant_time("", ""));
    for (const std::string& given :
         std::vector<std::string>{"s3creT", "s3cre", "s3crets", "", std::string("s3cret\0", 7)})
        BOOST_TEST(!equal_in_constant_time(given, "s3cret"), given);
    BOOST_TEST(!equal_in_constant_time("x", ""));

    BOOST_TEST(bearer_token("Bearer abc").value_or("") == "abc");
    BOOST_TEST(bearer_token("bearer   abc").value_or("") == "abc");
    BOOST_TEST(bearer_token("BEARER a b").value_or("") == "a b");
    for (std::string bad : {"Bearer", "Bearer ", "Bearerabc", "Basic abc", "abc", ""})
        BOOST_TEST(!bearer_token(bad).has_value(), bad);
}

// --- the checks through the service ---------------------------------------

BOOST_AUTO_TEST_CASE(a_host_that_is_not_allowed_gets_403_on_every_route)
{
    fixture f;
    for (std::string target : {"/all?dataset=ds", "/health", "/job?dataset=ds&job_id=j",
                               "/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1"}) {
        auto refused = f.get(target, {{"Host", "evil.example:5001"}});
        BOOST_TEST(refused.status == 403u, target);
        BOOST_TEST(f.error_of(refused) == "Host not allowed: evil.example:5001", target);
        BOOST_TEST(refused.headers.find("Access-Control-Allow-Origin").value_or("") == "*");
    }
    BOOST_TEST(f.started() == 0u);

    // loopback names pass, and so does a request with no Host at all
    for (std::string host : {"127.0.0.1:5001", "localhost", "[::1]:5001"})
        BOOST_TEST(f.get("/health", {{"Host", host}}).status == 200u, host);
    BOOST_TEST(f.get("/health").status == 200u);
}

BOOST_AUTO_TEST_CASE(allowed_hosts_widen_or_switch_off_the_host_check)
{
    fixture named([](sj::settings& s) { s.allowed_hosts.push_back("scope.lan"); });
    BOOST_TEST(named.get("/health", {{"Host", "scope.lan:5001"}}).status == 200u);
    BOOST_TEST(named.get("/health", {{"Host", "evil.example"}}).status == 403u);

    fixture any([](sj::settings& s) { s.allowed_hosts = {"*"}; });
    BOOST_TEST(any.get("/health", {{"Host", "evil.example"}}).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_write_a_browser_marks_cross_site_gets_403_and_starts_nothing)
{
    fixture f;
    const std::string write = "/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1";
    const header_list image_tag = {{"Host", "127.0.0.1:5001"},
                                   {"Sec-Fetch-Site", "cross-site"},
                                   {"Sec-Fetch-Mode", "no-cors"}};
    const std::vector<header_list> refused_requests = {
        image_tag,
        {{"Host", "127.0.0.1:5001"}, {"Sec-Fetch-Site", "same-site"}},
        {{"Host", "127.0.0.1:5001"},
         {"Sec-Fetch-Site", "cross-site"},
         {"Origin", "https://evil.example"}},
        {{"Host", "127.0.0.1:5001"}, {"Origin", "https://evil.example"}}, // no Sec-Fetch-*
        {{"Host", "127.0.0.1:5001"}, {"Origin", "null"}, {"Sec-Fetch-Site", "cross-site"}},
    };
    for (const auto& headers : refused_requests) {
        auto refused = f.get(write, headers);
        BOOST_TEST(refused.status == 403u);
        BOOST_TEST(f.error_of(refused).starts_with("Cross-site request refused: "));
    }
    auto kill = f.get("/kill?dataset=ds&job_id=j", image_tag);
    BOOST_TEST(kill.status == 403u);
    auto remove = f.get("/delete/scope?dataset=ds&scope_id=s", image_tag);
    BOOST_TEST(remove.status == 403u);
    BOOST_TEST(f.started() == 0u);
    BOOST_TEST(f.store.list("ds").empty());

    // read routes answer cross-site requests: they are open to any page
    BOOST_TEST(f.get("/all?dataset=ds", image_tag).status == 200u);
}

BOOST_AUTO_TEST_CASE(writes_from_the_same_origin_or_an_allowed_one_pass)
{
    fixture f([](sj::settings& s) { s.allowed_hosts.push_back("scope.lan"); });
    const std::string write = "/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1";
    const std::vector<header_list> passing = {
        {{"Host", "127.0.0.1:5001"}, {"Sec-Fetch-Site", "same-origin"}},
        {{"Host", "127.0.0.1:5001"}, {"Sec-Fetch-Site", "none"}},
        // the web UI's dev server, on another port of loopback
        {{"Host", "127.0.0.1:5001"},
         {"Sec-Fetch-Site", "cross-site"},
         {"Sec-Fetch-Mode", "cors"},
         {"Origin", "http://localhost:5173"}},
        {{"Host", "localhost:5001"},
         {"Sec-Fetch-Site", "same-site"},
         {"Origin", "http://localhost:5173"}},
        // a browser without Sec-Fetch-*, on the server's own page
        {{"Host", "scope.lan:5001"}, {"Origin", "http://scope.lan:5001"}},
        {}, // not a browser
    };
    for (const auto& headers : passing)
        BOOST_TEST(f.get(write, headers).status == 200u);
    BOOST_TEST(f.started() == passing.size());

    // an origin of its own, and every origin
    fixture ui([](sj::settings& s) { s.allowed_origins.push_back("https://ui.example"); });
    header_list from_ui = {{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://ui.example"}};
    BOOST_TEST(ui.get(write, from_ui).status == 200u);
    from_ui.back().second = "https://ui.example:8443";
    BOOST_TEST(ui.get(write, from_ui).status == 403u);
    fixture any([](sj::settings& s) { s.allowed_origins = {"*"}; });
    BOOST_TEST(any.get(write, {{"Sec-Fetch-Site", "cross-site"}}).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_token_guards_write_routes_and_leaves_reads_and_preflight_open)
{
    fixture f([](sj::settings& s) { s.auth_token = "s3cret-token"; });
    const std::string write = "/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1";

    auto without = f.get(write);
    BOOST_TEST(without.status == 401u);
    BOOST_TEST(without.headers.find("WWW-Authenticate").value_or("") == "Bearer");
    BOOST_TEST(!f.error_of(without).empty());
    for (std::string wrong : {"Bearer nope", "Bearer s3cret-toke", "Bearer s3cret-token-x",
                              "Basic czNjcmV0LXRva2Vu", "s3cret-token"}) {
        auto refused = f.get(write, {{"Authorization", wrong}});
        BOOST_TEST(refused.status == 401u, wrong);
        BOOST_TEST(refused.headers.find("WWW-Authenticate").value_or("") == "Bearer", wrong);
    }
    BOOST_TEST(f.get("/kill?dataset=ds&job_id=j").status == 401u);
    BOOST_TEST(f.get("/delete/scope?dataset=ds&scope_id=s").status == 401u);
    BOOST_TEST(f.started() == 0u);

    BOOST_TEST(f.get(write, {{"Authorization", "Bearer s3cret-token"}}).status == 200u);
    BOOST_TEST(f.get(write, {{"Authorization", "bearer  s3cret-token"}}).status == 200u);
    BOOST_TEST(f.started() == 2u);

    // reads need none, and the preflight lets a page send the header
    BOOST_TEST(f.get("/all?dataset=ds").status == 200u);
    BOOST_TEST(f.get("/health").status == 200u);
    BOOST_TEST(f.get("/job?dataset=ds&job_id=j").status == 404u);
    auto preflight = f.send(verb::options, "/sae");
    BOOST_TEST(preflight.status == 204u);
    BOOST_TEST(
        preflight.headers.find("Access-Control-Allow-Headers").value_or("").find("Authorization") !=
        std::string_view::npos);

    // the C++ API is not HTTP: it needs no token
    sj::error_code ec;
    f.service.start("ds", {"ls-umap", "ds", "e"}, ec);
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_SUITE_END()

// --- through scopejobs-server ---------------------------------------------

#ifdef SCOPEJOBS_SERVER

namespace {

using namespace scopejobs::testing;

// `GET target` with `headers` besides Connection: close; the response head
// in `head`.
reply get_with(unsigned short port, const std::string& target, const header_list& headers,
               std::string* head = nullptr, const std::string& method = "GET")
{
    std::string request = method + " " + target + " HTTP/1.1\r\n";
    for (const auto& [name, value] : headers)
        request += name + ": " + value + "\r\n";
    return http_send(port, request + "Connection: close\r\n\r\n", head);
}

// True when /proc/net/tcp lists a listener on `port` bound to 127.0.0.1.
bool listens_on_loopback_only(unsigned short port)
{
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line); // the heading
    bool found = false;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        fields >> slot >> local >> remote >> state;
        auto colon = local.find(':');
        if (state != "0A" || std::stoul(local.substr(colon + 1), nullptr, 16) != port)
            continue;
        if (local.substr(0, colon) != "0100007F")
            return false;
        found = true;
    }
    return found;
}

const header_list loopback_host = {{"Host", "127.0.0.1"}};
const std::string unknown_kill = "/api/jobs/kill?dataset=ds&job_id=nope";

} // namespace

BOOST_AUTO_TEST_SUITE(security)

BOOST_AUTO_TEST_CASE(the_server_binds_loopback_unless_told_otherwise)
{
    data_folder data;
    server_process s(data.path);
    auto port = s.listen_port();
    BOOST_TEST(listens_on_loopback_only(port));
}

BOOST_AUTO_TEST_CASE(the_server_checks_host_and_cross_site_headers_as_browsers_send_them)
{
    data_folder data;
    server_process s(data.path);
    auto port = s.listen_port();
    auto host = "127.0.0.1:" + std::to_string(port);

    // DNS rebinding: a name the server does not go by, on reads too
    BOOST_TEST(get_with(port, "/api/jobs/all?dataset=ds", {{"Host", "evil.example:5001"}}).status ==
               403u);
    for (const std::string& name :
         std::vector<std::string>{host, "localhost", "[::1]:" + std::to_string(port)})
        BOOST_TEST(get_with(port, "/api/jobs/all?dataset=ds", {{"Host", name}}).status == 200u,
                   name);

    // an image tag on another site, and a script on another site
    auto image = get_with(port, unknown_kill,
                          {{"Host", host},
                           {"Sec-Fetch-Site", "cross-site"},
                           {"Sec-Fetch-Mode", "no-cors"},
                           {"Sec-Fetch-Dest", "image"}});
    BOOST_TEST(image.status == 403u);
    BOOST_TEST(json::parse(image.body).at("error").as_string().starts_with("Cross-site"));
    BOOST_TEST(
        get_with(
            port, unknown_kill,
            {{"Host", host}, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}})
            .status == 403u);

    // the web UI's dev server: past the checks, to the route's own 404
    BOOST_TEST(
        get_with(
            port, unknown_kill,
            {{"Host", host}, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "http://localhost:5173"}})
            .status == 404u);
}

BOOST_AUTO_TEST_CASE(allow_origin_and_allow_host_widen_the_server_checks)
{
    data_folder data;
    server_process s(data.path,
                     {"--allow-origin", "https://ui.example", "--allow-host", "scope.example"});
    auto port = s.listen_port();
    header_list from_ui = {{"Host", "scope.example:5001"},
                           {"Sec-Fetch-Site", "cross-site"},
                           {"Origin", "https://ui.example"}};
    BOOST_TEST(get_with(port, unknown_kill, from_ui).status == 404u);
    from_ui[2].second = "https://evil.example";
    BOOST_TEST(get_with(port, unknown_kill, from_ui).status == 403u);
    BOOST_TEST(get_with(port, "/api/jobs/health", {{"Host", "other.example"}}).status == 403u);

    data_folder other;
    server_process any(other.path, {"--allow-host", "*"});
    BOOST_TEST(
        get_with(any.listen_port(), "/api/jobs/health", {{"Host", "other.example"}}).status ==
        200u);
}

BOOST_AUTO_TEST_CASE(bound_to_every_interface_the_server_answers_the_machine_name)
{
    data_folder data;
    server_process s(data.path, {"--host", "0.0.0.0"});
    auto line = s.first_line();
    BOOST_REQUIRE_MESSAGE(line.starts_with("listening on http://0.0.0.0:"), line);
    auto port = static_cast<unsigned short>(std::stoi(line.substr(line.rfind(':') + 1)));

    char name[256] = {};
    BOOST_REQUIRE(::gethostname(name, sizeof name - 1) == 0);
    auto with_port = std::string(name) + ":" + std::to_string(port);
    BOOST_TEST(get_with(port, "/api/jobs/health", {{"Host", with_port}}).status == 200u);
    BOOST_TEST(get_with(port, "/api/jobs/health", {{"Host", "evil.example"}}).status == 403u);
}

BOOST_AUTO_TEST_CASE(the_server_takes_its_token_from_a_file_or_the_environment)
{
    data_folder data;
    temporary_folder secrets("scopejobs-token");
    auto token_file = (secrets.path / "token").string();
    std::ofstream(token_file) << "file-token-123\n";
    server_process s(data.path, {"--token-file", token_file});
    auto port = s.listen_port();

    std::string head;
    auto without = get_with(port, unknown_kill, loopback_host, &head);
    BOOST_TEST(without.status == 401u);
    BOOST_TEST(head.find("WWW-Authenticate: Bearer") != std::string::npos);
    BOOST_TEST(json::parse(without.body).as_object().contains("error"));
    BOOST_TEST(get_with(port, unknown_kill, {{"Host", "127.0.0.1"}, {"Authorization", "Bearer x"}})
                   .status == 401u);
    BOOST_TEST(get_with(port, unknown_kill,
                        {{"Host", "127.0.0.1"}, {"Authorization", "Bearer file-token-123"}})
                   .status == 404u);
    BOOST_TEST(http_get(port, "/api/jobs/all?dataset=ds").status == 200u);

    // the preflight lets the web UI send the header
    auto preflight = get_with(port, "/api/jobs/kill",
                              {{"Host", "127.0.0.1"},
                               {"Origin", "http://localhost:5173"},
                               {"Access-Control-Request-Method", "GET"},
                               {"Access-Control-Request-Headers", "authorization"}},
                              &head, "OPTIONS");
    BOOST_TEST(preflight.status == 204u);
    BOOST_TEST(head.find("Authorization") != std::string::npos);

    data_folder other;
    server_process from_env(other.path, {}, {"SCOPEJOBS_TOKEN=env-token"});
    auto env_port = from_env.listen_port();
    BOOST_TEST(get_with(env_port, unknown_kill, loopback_host).status == 401u);
    BOOST_TEST(get_with(env_port, unknown_kill,
                        {{"Host", "127.0.0.1"}, {"Authorization", "Bearer env-token"}})
                   .status == 404u);
}

BOOST_AUTO_TEST_CASE(an_unreadable_or_empty_token_file_exits_2)
{
    data_folder data;
    server_process missing(data.path, {"--token-file", (data.path / "no-such-file").string()});
    BOOST_TEST(WEXITSTATUS(missing.wait()) == 2);

    temporary_folder secrets("scopejobs-token");
    auto empty = (secrets.path / "empty").string();
    std::ofstream(empty) << "\n";
    server_process blank(data.path, {"--token-file", empty});
    BOOST_TEST(WEXITSTATUS(blank.wait()) == 2);

    // a folder cannot be read as a file either
    server_process folder(data.path, {"--token-file", "/"});
    BOOST_TEST(WEXITSTATUS(folder.wait()) == 2);
}

BOOST_AUTO_TEST_SUITE_END()

#endif
