// End to end: scopejobs-server as a separate process with the demo tools,
// driven over loopback as the web UI drives it.

#include "server_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

using namespace scopejobs::testing;

const std::vector<std::string> quick = {"DEMO_STEPS=2", "DEMO_STEP_SECONDS=0.01"};
const std::vector<std::string> slow = {"DEMO_STEPS=100000", "DEMO_STEP_SECONDS=0.05"};
// silent between steps: a tool that outlives a crashed server unless it
// prints (a write to the dead server's pipe would end it with SIGPIPE)
const std::vector<std::string> silent = {"DEMO_STEPS=10", "DEMO_STEP_SECONDS=30"};

} // namespace

BOOST_AUTO_TEST_SUITE(server)

BOOST_AUTO_TEST_CASE(a_job_runs_end_to_end_and_is_polled_to_completion)
{
    data_folder data;
    server_process s(data.path, {}, quick);
    auto port = s.listen_port();
    auto id = job_id_of(http_get(port, "/api/jobs/embed?dataset=ds&text_column=text&model_id=m"
                                       "&prefix=&batch_size=10"));
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "completed");
    BOOST_TEST(record.at("run_id").as_string() == "embedding-001");
    BOOST_TEST(fs::exists(data.path / "ds" / "embeddings" / "embedding-001.json"));
    auto all = json::parse(http_get(port, "/api/jobs/all?dataset=ds").body).as_array();
    BOOST_TEST(all.size() == 1u);
}

BOOST_AUTO_TEST_CASE(kill_stops_the_whole_process_group)
{
    data_folder data;
    server_process s(data.path, {}, slow);
    auto port = s.listen_port();
    auto id = job_id_of(http_get(port, "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m"
                                       "&k_expansion=2"));
    std::int64_t pid = 0;
    BOOST_REQUIRE(eventually([&] {
        auto record =
            json::parse(http_get(port, "/api/jobs/job?dataset=ds&job_id=" + id).body).as_object();
        if (record.contains("pid") && !record.at("progress").as_array().empty())
            pid = record.at("pid").as_int64();
        return pid != 0;
    }));

    auto killed = json::parse(http_get(port, "/api/jobs/kill?dataset=ds&job_id=" + id).body);
    BOOST_TEST(killed.at("status").as_string() == "dead");
    BOOST_TEST(eventually([&] { return gone(pid); })); // the group leader is gone
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "dead");
    BOOST_TEST(record.at("cause_of_death").as_string() == "killed");
}

BOOST_AUTO_TEST_CASE(rerun_and_cascade_delete_work_through_the_server)
{
    data_folder data;
    server_process s(data.path, {}, quick);
    auto port = s.listen_port();
    auto embed = job_id_of(http_get(port, "/api/jobs/embed?dataset=ds&text_column=t&model_id=m"
                                          "&prefix=&batch_size=1"));
    wait_final(port, "ds", embed);
    auto again = job_id_of(http_get(port, "/api/jobs/rerun?dataset=ds&job_id=" + embed));
    auto rerun = wait_final(port, "ds", again);
    auto argv = rerun.at("argv").as_array();
    BOOST_TEST(argv.at(argv.size() - 1).as_string() == "embedding-001");
    BOOST_TEST(argv.at(argv.size() - 2).as_string() == "--rerun");

    auto umap = job_id_of(http_get(port, "/api/jobs/umap?dataset=ds&embedding_id=embedding-001"
                                         "&neighbors=5&min_dist=0.1"));
    wait_final(port, "ds", umap);
    BOOST_REQUIRE(fs::exists(data.path / "ds" / "umaps" / "umap-001.json"));

    auto remove = job_id_of(
        http_get(port, "/api/jobs/delete/embedding?dataset=ds&embedding_id=embedding-001"));
    auto record = wait_final(port, "ds", remove);
    BOOST_TEST(record.at("status").as_string() == "completed");
    BOOST_TEST(record.at("job_name").as_string() == "delete");
    BOOST_TEST(!fs::exists(data.path / "ds" / "umaps" / "umap-001.json"));
    BOOST_TEST(!fs::exists(data.path / "ds" / "embeddings" / "embedding-001.json"));
}

BOOST_AUTO_TEST_CASE(a_restart_after_a_crash_settles_the_orphan)
{
    data_folder data;
    std::string id;
    std::int64_t pid = 0;
    {
        server_process s(data.path, {}, silent);
        auto port = s.listen_port();
        id = job_id_of(http_get(port, "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m"
                                      "&k_expansion=2"));
        BOOST_REQUIRE(eventually([&] {
            auto record = json::parse(http_get(port, "/api/jobs/job?dataset=ds&job_id=" + id).body)
                              .as_object();
            // the marker and the start of the progress bar: the tool is
            // silent from here on, so the crash cannot end it with SIGPIPE
            if (record.contains("pid") && record.at("progress").as_array().size() >= 2)
                pid = record.at("pid").as_int64();
            return pid != 0;
        }));
        ::kill(s.pid, SIGKILL); // the server dies; its tool runs on
        s.wait();
    }
    BOOST_REQUIRE(!gone(pid));

    server_process restarted(data.path, {}, silent);
    auto port = restarted.listen_port();
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "error");
    BOOST_TEST(record.at("progress").as_array().back().as_string() ==
               "server restarted while job was running; stopped the orphaned process");
    BOOST_TEST(eventually([&] { return gone(pid); }));
}

BOOST_AUTO_TEST_CASE(sigterm_records_running_jobs_and_exits_0)
{
    data_folder data;
    server_process s(data.path, {}, slow);
    auto port = s.listen_port();
    auto id = job_id_of(http_get(port, "/api/jobs/sae?dataset=ds&embedding_id=e&model_id=m"
                                       "&k_expansion=2"));
    ::kill(s.pid, SIGTERM);
    int status = s.wait();
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
    std::ifstream in(data.path / "ds" / "jobs" / (id + ".json"));
    auto record = json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
    BOOST_TEST(record.at("status").as_string() == "error");
    BOOST_TEST(record.at("progress").as_array().back().as_string() ==
               "server stopped while job was running");
}

BOOST_AUTO_TEST_CASE(flags_and_start_up_failures_exit_with_their_codes)
{
    data_folder data;
    server_process help(data.path, {"--help"});
    BOOST_TEST(help.first_line().starts_with("usage: scopejobs-server"));
    BOOST_TEST(WEXITSTATUS(help.wait()) == 0);

    server_process bogus(data.path, {"--bogus", "1"});
    BOOST_TEST(WEXITSTATUS(bogus.wait()) == 2);
    server_process bad_port(data.path, {"--port=70000"});
    BOOST_TEST(WEXITSTATUS(bad_port.wait()) == 2);

    server_process first(data.path);
    auto port = first.listen_port();
    server_process second(data.path); // the same data folder
    BOOST_TEST(WEXITSTATUS(second.wait()) == 1);
    data_folder other;
    server_process taken(other.path, {"--port", std::to_string(port)});
    BOOST_TEST(WEXITSTATUS(taken.wait()) == 1);
}

BOOST_AUTO_TEST_CASE(uploads_cors_and_the_upload_limit_work_over_http)
{
    data_folder data;
    server_process s(data.path, {"--max-upload-mb", "1"}, quick);
    auto port = s.listen_port();

    std::string head;
    http_get(port, "/api/jobs/health", &head);
    BOOST_TEST(head.find("Access-Control-Allow-Origin: *") != std::string::npos);

    auto id = job_id_of(http_upload(port, "/api/jobs/ingest", "ds", "my rows.csv", "text\na\n"));
    auto record = wait_final(port, "ds", id);
    BOOST_TEST(record.at("status").as_string() == "completed");
    std::ifstream saved(data.path / "ds" / "my_rows.csv");
    BOOST_TEST(std::string(std::istreambuf_iterator<char>(saved), {}) == "text\na\n");

    auto refused =
        http_upload(port, "/api/jobs/ingest", "ds", "big.csv", std::string(2 << 20, 'x'));
    BOOST_TEST(refused.status == 413u);
    BOOST_TEST(json::parse(refused.body).at("error").as_string() ==
               "Upload too large. Limit is 1 MB.");
}

BOOST_AUTO_TEST_SUITE_END()
