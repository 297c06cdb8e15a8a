#include <scopejobs/service.hpp>

// the service alone pulls in no HTTP framework
#ifdef BOOST_BEAST_VERSION
#error "service.hpp must not include Boost.Beast"
#endif

#include <scopejobs/process/scripted_process.hpp>
#include <scopejobs/router/test_router.hpp>
#include <scopejobs/store/memory_store.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
namespace sj = scopejobs;
using namespace std::chrono_literals;
using sj::http::verb;

namespace {

using service_type = sj::basic_job_service<sj::test_router, sj::scripted_process, sj::memory_store>;

// swapping one policy takes one name
static_assert(std::is_same_v<service_type::with_store<sj::filesystem_store>,
                             sj::basic_job_service<sj::test_router, sj::scripted_process,
                                                   sj::filesystem_store, sj::latent_scope_routes>>);
static_assert(std::is_same_v<sj::basic_job_service<sj::test_router>::with_process<
                                 sj::scripted_process>::with_store<sj::memory_store>,
                             service_type>);

struct fixture
{
    explicit fixture(bool read_only = false, std::size_t max_running = 0)
        : data(fs::temp_directory_path() /
               ("scopejobs-service-" + std::to_string(::getpid()) + "-" + std::to_string(count++))),
          processes(io.get_executor()), store(sj::null_sink()),
          service(io.get_executor(), router, processes, store, configure(read_only, max_running))
    {
        sj::error_code ec;
        service.open(ec);
        BOOST_REQUIRE_MESSAGE(!ec, ec.message());
        pump(); // the start-up reconcile
    }

    // Runs what is ready on the executor.
    void pump()
    {
        io.restart();
        io.poll();
    }

    ~fixture()
    {
        std::error_code ignored;
        fs::remove_all(data, ignored);
    }

    sj::settings configure(bool read_only, std::size_t max_running)
    {
        sj::settings config;
        config.data_dir = data;
        config.read_only = read_only;
        config.max_running = max_running;
        config.log = sj::null_sink();
        return config;
    }

    sj::http::response get(std::string_view target)
    {
        return router.call(verb::get, "/api/jobs" + std::string(target));
    }

    json::value body(const sj::http::response& response) { return json::parse(response.body); }

    // The argv of the job a route started.
    std::vector<std::string> argv_of(std::string_view target)
    {
        auto response = get(target);
        BOOST_REQUIRE_MESSAGE(response.status == 200, target << ": " << response.body);
        pump();
        auto specs = processes.specs();
        BOOST_REQUIRE(!specs.empty());
        return specs.back().argv;
    }

    void run_until_idle()
    {
        // a guard keeps run_for waiting for what another thread posts
        io.restart();
        auto guard = asio::make_work_guard(io);
        for (int i = 0; i < 2000 && service.runner().running() != 0; ++i)
            io.run_for(5ms);
    }

    static inline int count = 0;
    fs::path data;
    asio::io_context io;
    sj::test_router router;
    sj::scripted_process processes;
    sj::memory_store store;
    service_type service;
};

using argv_t = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_SUITE(service)

BOOST_AUTO_TEST_CASE(command_routes_build_the_argv_of_the_route_table)
{
    fixture f;
    auto data = f.data.string();
    struct row
    {
        std::string target;
        argv_t argv;
    };
    std::vector<row> table = {
        {"/reingest?dataset=ds", {"ls-ingest", "ds", "--path=" + data + "/ds/input.parquet"}},
        {"/reingest?dataset=ds&text_column=t",
         {"ls-ingest", "ds", "--path=" + data + "/ds/input.parquet", "--text_column=t"}},
        {"/embed?dataset=ds&text_column=text&model_id=m&prefix=&batch_size=100",
         {"ls-embed", "ds", "text", "m", "--prefix=", "--batch_size=100"}},
        {"/embed?dataset=ds&text_column=t&model_id=m&prefix=p&batch_size=1&dimensions=&max_seq_"
         "length=8",
         {"ls-embed", "ds", "t", "m", "--prefix=p", "--batch_size=1",
          "--dimensions=", "--max_seq_length=8"}},
        {"/embed_truncate?dataset=ds&embedding_id=e&dimensions=64",
         {"ls-embed-truncate", "ds", "e", "64"}},
        {"/embed_truncate?dataset=ds&embedding_id=e&dimensions=", {"ls-embed-truncate", "ds", "e"}},
        {"/embed_importer?dataset=ds&model_id=m&embedding_column=ec&text_column=t",
         {"ls-embed-importer", "ds", "ec", "m", "t"}},
        {"/umap?dataset=ds&embedding_id=e&neighbors=&min_dist=", {"ls-umap", "ds", "e"}},
        {"/umap?dataset=ds&embedding_id=e&neighbors=15&min_dist=0.1&init=umap-001&align=e1,e2&save="
         "1&sae_id=s&seed=7",
         {"ls-umap", "ds", "e", "15", "0.1", "--init=umap-001", "--align=e1,e2", "--save",
          "--sae_id=s", "--seed=7"}},
        {"/umap?dataset=ds&embedding_id=e&neighbors=5&min_dist=1&save=&init=",
         {"ls-umap", "ds", "e", "5", "1"}},
        {"/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=4",
         {"ls-sae", "ds", "e", "m", "4"}},
        {"/cluster?dataset=ds&umap_id=u&samples=5&min_samples=&cluster_selection_epsilon=0",
         {"ls-cluster", "ds", "u", "5", "0"}},
        {"/cluster_label?dataset=ds&chat_id=c&text_column=t&cluster_id=cl&samples=3",
         {"ls-label", "ds", "t", "cl", "c", "3", ""}},
        {"/cluster_label?dataset=ds&chat_id=c&text_column=t&cluster_id=cl&samples=3&context=be+"
         "brief&max_tokens_total=9",
         {"ls-label", "ds", "t", "cl", "c", "3", "be brief", "--max_tokens_total=9"}},
        {"/scope?dataset=ds&embedding_id=e&umap_id=u&cluster_id=c&cluster_labels_id=l&label=L&"
         "description=D&scope_id=s1",
         {"ls-scope", "ds", "e", "u", "c", "l", "L", "D", "--scope_id=s1"}},
        {"/plot?dataset=ds&scope_id=s&config=%7B%22a%22%3A1%7D",
         {"ls-export-plot", "ds", "s", "--plot_config={\"a\":1}"}},
        {"/download_dataset?dataset_repo=org/repo&dataset_name=ds2",
         {"ls-download-dataset", "org/repo", "ds2", data}},
        {"/upload_dataset?dataset=ds&hf_dataset=h&main_parquet=m.parquet&private=true",
         {"ls-upload-dataset", data + "/ds", "h", "--main-parquet=m.parquet", "--private=true"}},
        {"/toponymy?dataset=ds&scope_id=s",
         {"python", "-m", "latentscope.scripts.toponymy_labels", "ds", "s", "--llm-provider=openai",
          "--llm-model=gpt-5-mini", "--min-clusters=2", "--base-min-cluster-size=10"}},
        {"/toponymy?dataset=ds&scope_id=s&llm_model=&context=c",
         {"python", "-m", "latentscope.scripts.toponymy_labels", "ds", "s", "--llm-provider=openai",
          "--llm-model=", "--min-clusters=2", "--base-min-cluster-size=10", "--context=c"}},
    };
    for (const auto& row : table)
        BOOST_TEST(f.argv_of(row.target) == row.argv, row.target);
}

BOOST_AUTO_TEST_CASE(a_started_job_answers_its_id_and_its_record_exists)
{
    fixture f;
    auto response = f.get("/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=4");
    BOOST_TEST(response.status == 200u);
    auto id = std::string(f.body(response).at("job_id").as_string());
    auto record = f.get("/job?dataset=ds&job_id=" + id);
    BOOST_TEST(record.status == 200u);
    BOOST_TEST(f.body(record).at("status").as_string() == "running");
    BOOST_TEST(f.body(record).at("job_name").as_string() == "sae");
    BOOST_TEST(response.headers.find("Access-Control-Allow-Origin").value_or("") == "*");
}

BOOST_AUTO_TEST_CASE(missing_parameters_are_listed_in_one_400)
{
    fixture f;
    auto response = f.get("/embed?dataset=ds&prefix=");
    BOOST_TEST(response.status == 400u);
    BOOST_TEST(f.body(response).at("error").as_string() ==
               "Missing required parameters: text_column, model_id, batch_size");
    f.pump();
    BOOST_TEST(f.processes.specs().empty());
}

BOOST_AUTO_TEST_CASE(an_unsafe_path_parameter_is_refused_before_anything_starts)
{
    fixture f;
    for (std::string target :
         {"/sae?dataset=..&embedding_id=e&model_id=m&k_expansion=1",
          "/sae?dataset=ds&embedding_id=..%2F..%2Fetc&model_id=m&k_expansion=1",
          "/sae?dataset=-rf&embedding_id=e&model_id=m&k_expansion=1",
          "/job?dataset=ds&job_id=../../x", "/kill?dataset=ds&job_id=.hidden",
          "/umap?dataset=ds&embedding_id=e&neighbors=1&min_dist=1&align=e1,../x",
          "/delete/scope?dataset=ds&scope_id=", "/all?dataset=a%2Fb"}) {
        auto response = f.get(target);
        BOOST_TEST(response.status == 400u, target);
        BOOST_TEST(std::string(f.body(response).at("error").as_string()).starts_with("Invalid "),
                   target);
    }
    f.pump();
    BOOST_TEST(f.processes.specs().empty());
}

BOOST_AUTO_TEST_CASE(values_reach_the_tool_verbatim_with_no_shell)
{
    fixture f;
    // the reference's shell ran these; here they are plain arguments
    auto argv = f.argv_of("/cluster_label?dataset=ds&chat_id=c&text_column=t&cluster_id=cl"
                          "&samples=3&context=%24%28touch+x%29%60id%60%22%3B+rm+-rf+%5C");
    BOOST_TEST(argv.at(6) == "$(touch x)`id`\"; rm -rf \\");
    auto display = f.store.list("ds").at(0).command;
    BOOST_TEST(display.find("'$(touch x)`id`\"; rm -rf \\'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(read_routes_answer_as_the_reference_did)
{
    fixture f;
    auto missing = f.get("/job?dataset=ds&job_id=nope");
    BOOST_TEST(missing.status == 404u);
    BOOST_TEST(f.body(missing) == json::parse(R"({"status": "not found"})"));
    BOOST_TEST(f.get("/job?dataset=ds").status == 400u);
    BOOST_TEST(f.get("/all").body == "[]");
    BOOST_TEST(f.get("/all?dataset=nothing-here").body == "[]");
    f.get("/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=4");
    f.get("/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=5");
    BOOST_TEST(f.body(f.get("/all?dataset=ds")).as_array().size() == 2u);
    BOOST_TEST(f.body(f.get("/health")) == json::parse(R"({"status": "ok"})"));
    BOOST_TEST(f.get("/nothing").status == 404u);
    BOOST_TEST(f.get("/job/").status == 404u); // a trailing slash is another path
}

BOOST_AUTO_TEST_CASE(methods_head_and_preflight_follow_the_route_kind)
{
    fixture f;
    BOOST_TEST(f.router.call(verb::head, "/api/jobs/all?dataset=ds").status == 200u);
    auto head = f.router.call(verb::head, "/api/jobs/embed?dataset=ds");
    BOOST_TEST(head.status == 405u);
    BOOST_TEST(head.headers.find("Allow").value_or("") == "GET, POST, OPTIONS");
    BOOST_TEST(f.get("/ingest?dataset=ds").status == 405u);
    BOOST_TEST(f.router.call(verb::put, "/api/jobs/kill?dataset=ds&job_id=x").status == 405u);
    auto post = f.router.call(verb::post, "/api/jobs/sae",
                              "dataset=ds&embedding_id=e&model_id=m&k_expansion=2");
    BOOST_TEST(post.status == 200u);
    auto preflight = f.router.call(verb::options, "/api/jobs/embed");
    BOOST_TEST(preflight.status == 204u);
    BOOST_TEST(preflight.headers.find("Access-Control-Allow-Origin").value_or("") == "*");
    BOOST_TEST(preflight.headers.find("Access-Control-Allow-Headers").has_value());
    f.pump();
    BOOST_TEST(f.processes.specs().size() == 1u);
}

BOOST_AUTO_TEST_CASE(read_only_mode_mounts_no_write_route_and_writes_nothing)
{
    fixture f(true);
    BOOST_TEST(f.get("/embed?dataset=ds&text_column=t&model_id=m&prefix=&batch_size=1").status ==
               404u);
    BOOST_TEST(f.get("/kill?dataset=ds&job_id=x").status == 404u);
    BOOST_TEST(f.get("/all?dataset=ds").status == 200u);
    BOOST_TEST(!fs::exists(f.data)); // no lock, no upload folder, nothing
}

BOOST_AUTO_TEST_CASE(kill_and_rerun_answer_404_for_an_unknown_job)
{
    fixture f;
    for (std::string target : {"/kill?dataset=ds&job_id=nope", "/rerun?dataset=ds&job_id=nope"}) {
        auto response = f.get(target);
        BOOST_TEST(response.status == 404u, target);
        BOOST_TEST(f.body(response) == json::parse(R"({"error": "job not found"})"), target);
    }
}

BOOST_AUTO_TEST_CASE(kill_answers_the_whole_job_and_leaves_finished_ones_alone)
{
    fixture f;
    f.processes.push({sj::script_step::hang()});
    auto id = std::string(f.body(f.get("/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1"))
                              .at("job_id")
                              .as_string());
    f.pump();
    auto killed = f.body(f.get("/kill?dataset=ds&job_id=" + id));
    BOOST_TEST(killed.at("status").as_string() == "dead");
    BOOST_TEST(killed.at("cause_of_death").as_string() == "killed");
    f.run_until_idle();
    auto again = f.body(f.get("/kill?dataset=ds&job_id=" + id));
    BOOST_TEST(again.at("status").as_string() == "dead");
}

BOOST_AUTO_TEST_CASE(rerun_repeats_the_argv_with_the_run_id)
{
    fixture f;
    f.processes.push({sj::script_step::print("RUNNING: run-42")});
    auto id = std::string(f.body(f.get("/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1"))
                              .at("job_id")
                              .as_string());
    f.run_until_idle();
    auto argv = f.argv_of("/rerun?dataset=ds&job_id=" + id);
    BOOST_TEST(argv == (argv_t{"ls-sae", "ds", "e", "m", "1", "--rerun", "run-42"}),
               boost::test_tools::per_element());

    // a record the reference wrote: a command string and no run id
    sj::job_record old;
    old.id = "d1d8e6d6-74a7-4ce0-a512-3be1c76f4de3";
    old.dataset = "ds";
    old.job_name = "cluster";
    old.command = R"(ls-cluster "ds" "umap-001" 3 2 0)";
    old.status = sj::job_status::completed;
    sj::error_code ec;
    f.store.write(old, false, ec);
    argv = f.argv_of("/rerun?dataset=ds&job_id=" + old.id);
    BOOST_TEST(argv == (argv_t{"ls-cluster", "ds", "umap-001", "3", "2", "0"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rerun_refuses_deletes_and_cleaned_up_uploads_with_409)
{
    fixture f;
    sj::job_record r;
    r.dataset = "ds";
    r.status = sj::job_status::completed;
    r.id = "delete-job";
    r.job_name = "delete";
    r.argv = {"delete", "umap", "umap-001"};
    sj::error_code ec;
    f.store.write(r, false, ec);
    r.id = "import-job";
    r.job_name = "twitter-import";
    r.argv = {"ls-twitter-import", "ds", "--input_path",
              (f.data / "ds" / "uploads" / "x" / "payload.json").string()};
    f.store.write(r, false, ec);

    for (std::string id : {"delete-job", "import-job"}) {
        auto response = f.get("/rerun?dataset=ds&job_id=" + id);
        BOOST_TEST(response.status == 409u, id);
        BOOST_TEST(f.body(response).as_object().contains("error"));
    }
}

BOOST_AUTO_TEST_CASE(a_start_beyond_max_running_is_429)
{
    fixture f(false, 1);
    f.processes.push({sj::script_step::hang()});
    BOOST_TEST(f.get("/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1").status == 200u);
    auto refused = f.get("/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1");
    BOOST_TEST(refused.status == 429u);
    BOOST_TEST(f.body(refused).as_object().contains("error"));
}

BOOST_AUTO_TEST_CASE(a_cascade_delete_is_a_job_listing_what_it_removed)
{
    fixture f;
    auto ds = f.data / "ds";
    fs::create_directories(ds / "umaps");
    fs::create_directories(ds / "clusters");
    std::ofstream(ds / "umaps" / "umap-001.json") << R"({"embedding_id": "e"})";
    std::ofstream(ds / "umaps" / "umap-0010.json") << R"({"embedding_id": "other"})";
    std::ofstream(ds / "clusters" / "cluster-001.json") << R"({"umap_id": "umap-001"})";

    auto response = f.get("/delete/umap?dataset=ds&umap_id=umap-001");
    BOOST_REQUIRE(response.status == 200u);
    auto id = std::string(f.body(response).at("job_id").as_string());
    f.run_until_idle();

    sj::error_code ec;
    auto record = f.store.read("ds", id, ec);
    BOOST_REQUIRE(record.has_value());
    BOOST_TEST((record->status == sj::job_status::completed));
    BOOST_TEST(record->job_name == "delete");
    BOOST_TEST(record->command == "delete umap umap-001");
    BOOST_TEST(record->progress.size() == 2u);
    BOOST_TEST(!fs::exists(ds / "umaps" / "umap-001.json"));
    BOOST_TEST(!fs::exists(ds / "clusters" / "cluster-001.json"));
    BOOST_TEST(fs::exists(ds / "umaps" / "umap-0010.json"));
}

BOOST_AUTO_TEST_CASE(the_log_route_answers_text_from_an_offset)
{
    fixture f;
    f.processes.push({sj::script_step::print("alpha"), sj::script_step::print("beta")});
    auto id = std::string(f.body(f.get("/sae?dataset=ds&embedding_id=e&model_id=m&k_expansion=1"))
                              .at("job_id")
                              .as_string());
    f.run_until_idle();
    auto log = f.get("/log?dataset=ds&job_id=" + id + "&offset=6");
    BOOST_TEST(log.status == 200u);
    BOOST_TEST(log.content_type.starts_with("text/plain"));
    BOOST_TEST(log.body == "beta\n");
    BOOST_TEST(f.get("/log?dataset=ds&job_id=" + id + "&offset=x").status == 400u);
    BOOST_TEST(f.get("/log?dataset=ds&job_id=nope").status == 404u);
}

BOOST_AUTO_TEST_CASE(ingest_saves_the_upload_under_a_safe_name)
{
    fixture f;
    auto upload = f.data / ".scopejobs-uploads" / ".upload-test";
    std::ofstream(upload) << "text\nhello\n";

    sj::http::request request;
    request.method = verb::post;
    request.path = "/api/jobs/ingest";
    request.form.add("dataset", "ds");
    request.form.add("text_column", "text");
    request.files.push_back({"file", "../../my data (1).csv", "text/csv", upload, 12});
    auto response = f.router.call(request);
    BOOST_REQUIRE_MESSAGE(response.status == 200u, response.body);
    BOOST_TEST(f.body(response).at("dataset").as_string() == "ds");

    auto saved = f.data / "ds" / "my_data_1.csv";
    BOOST_TEST(fs::exists(saved));
    f.pump();
    BOOST_TEST(f.processes.specs().back().argv ==
                   (argv_t{"ls-ingest", "ds", "--path=" + saved.string(), "--text_column=text"}),
               boost::test_tools::per_element());
    BOOST_TEST(sj::safe_upload_name("...") == "");
    BOOST_TEST(sj::safe_upload_name("C:\\x\\.env") == "env");
}

BOOST_AUTO_TEST_CASE(import_twitter_checks_its_form_before_creating_folders)
{
    fixture f;
    auto call = [&](std::string body) {
        return f.router.call(verb::post, "/api/jobs/import_twitter", body);
    };
    BOOST_TEST(f.body(call("dataset=%21%21")).at("error").as_string() == "Invalid dataset id");
    BOOST_TEST(call("dataset=a&source_type=zip").status == 400u);
    BOOST_TEST(f.body(call("dataset=a&source_type=community")).at("error").as_string() ==
               "Missing username");
    BOOST_TEST(f.body(call("dataset=a")).at("error").as_string() == "Missing community JSON file");
    BOOST_TEST(!fs::exists(f.data / "a"));

    auto ok = call("dataset=My+Archive&source_type=community&username=+alice+&year=2024");
    BOOST_REQUIRE(ok.status == 200u);
    BOOST_TEST(f.body(ok).at("dataset").as_string() == "my-archive");
    f.pump();
    BOOST_TEST(f.processes.specs().back().argv ==
                   (argv_t{"ls-twitter-import", "my-archive", "--source", "community", "--username",
                           "alice", "--year", "2024", "--run_pipeline"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(import_twitter_makes_a_slug_of_a_dataset_that_is_no_safe_name)
{
    fixture f;
    auto ok = f.router.call(verb::post, "/api/jobs/import_twitter",
                            "dataset=..%2FMy%2FTweets&source_type=community&username=bob");
    BOOST_REQUIRE_MESSAGE(ok.status == 200u, ok.body);
    BOOST_TEST(f.body(ok).at("dataset").as_string() == "my-tweets");

    // other routes still refuse the same name
    auto refused = f.router.call(verb::get, "/api/jobs/all?dataset=..%2FMy%2FTweets");
    BOOST_TEST(refused.status == 400u);
}

BOOST_AUTO_TEST_CASE(a_second_service_on_the_same_data_folder_refuses_to_open)
{
    fixture f;
    asio::io_context io;
    sj::test_router router;
    sj::scripted_process processes(io.get_executor());
    sj::memory_store store(sj::null_sink());
    sj::settings config;
    config.data_dir = f.data;
    config.log = sj::null_sink();
    service_type second(io.get_executor(), router, processes, store, config);
    sj::error_code ec;
    second.open(ec);
    BOOST_TEST((ec == boost::system::errc::device_or_resource_busy));
}

BOOST_AUTO_TEST_CASE(the_cxx_api_does_what_the_routes_do_without_http)
{
    fixture f;
    std::vector<sj::job_record> finals;
    f.service.on_final([&](const sj::job_record& record) { finals.push_back(record); });
    f.processes.push({sj::script_step::print("RUNNING: run-1")});

    sj::error_code ec;
    auto id = f.service.start("ds", {"ls-umap", "ds", "e"}, ec);
    BOOST_REQUIRE(!ec);
    BOOST_TEST(f.service.get("ds", id, ec)->job_name == "umap");
    f.run_until_idle();
    BOOST_REQUIRE(finals.size() == 1u);
    BOOST_TEST((finals[0].status == sj::job_status::completed));
    BOOST_TEST(f.service.list("ds").size() == 1u);

    auto again = f.service.rerun("ds", id, ec);
    BOOST_REQUIRE(!ec);
    f.pump();
    BOOST_TEST(f.processes.specs().back().argv ==
                   (argv_t{"ls-umap", "ds", "e", "--rerun", "run-1"}),
               boost::test_tools::per_element());
    auto killed = f.service.kill("ds", again, ec);
    BOOST_TEST(
        (killed->status == sj::job_status::dead || killed->status == sj::job_status::completed));
    BOOST_TEST(!f.service.kill("ds", "nope", ec));

    f.service.start("../up", {"ls-umap"}, ec);
    BOOST_TEST((ec == boost::system::errc::invalid_argument));
    f.service.rerun("ds", "nope", ec);
    BOOST_TEST((ec == sj::service_errc::job_not_found));
    BOOST_TEST(sj::http_status(ec) == 404u);
}

BOOST_AUTO_TEST_CASE(an_extracted_archive_is_checked_saved_and_cleaned_up)
{
    fixture f;
    auto upload = [&](std::string text) {
        auto path = f.data / ".scopejobs-uploads" / ".upload-archive";
        std::ofstream(path) << text;
        sj::http::request request;
        request.method = verb::post;
        request.path = "/api/jobs/import_twitter";
        request.form.add("dataset", "Archive");
        request.files.push_back({"file", "archive.json", "application/json", path, text.size()});
        return f.router.call(request);
    };

    auto refused = upload(R"({"archive_format": "other"})");
    BOOST_TEST(refused.status == 400u);
    BOOST_TEST(f.body(refused).at("error").as_string() ==
               "Invalid extracted archive payload: archive_format must be 'x_native_extracted_v1'");
    BOOST_TEST(fs::is_empty(f.data / "archive" / "uploads"));

    auto accepted = upload(R"({"archive_format": "x_native_extracted_v1", "profile": {},
        "tweets": [{"id_str": "1", "full_text": "hi"}], "likes": [],
        "tweet_count": 1, "likes_count": 0, "total_count": 1})");
    BOOST_REQUIRE_MESSAGE(accepted.status == 200u, accepted.body);
    auto id = std::string(f.body(accepted).at("job_id").as_string());
    BOOST_TEST(fs::exists(f.data / "archive" / "uploads" / id));
    f.pump();
    auto argv = f.processes.specs().back().argv;
    BOOST_TEST(argv.at(2) == "--source");
    BOOST_TEST(argv.at(3) == "community_json");
    BOOST_TEST(argv.at(5).starts_with((f.data / "archive" / "uploads" / id).string()));

    f.run_until_idle();
    BOOST_TEST(!fs::exists(f.data / "archive" / "uploads" / id));
    sj::error_code ec;
    BOOST_TEST(f.store.read("archive", id, ec)->progress.back() ==
               "Cleaned up temporary upload files.");
}

BOOST_AUTO_TEST_SUITE_END()
