// Every header once more, in a second translation unit of the test binary:
// a function defined in a header without `inline` fails to link here.

#include <scopejobs/scopejobs.hpp>

#include <boost/test/unit_test.hpp>

namespace sj = scopejobs;

static_assert(sj::process_backend<sj::posix_process>);
static_assert(sj::process_backend<sj::scripted_process>);
static_assert(sj::job_store<sj::filesystem_store>);
static_assert(sj::job_store<sj::memory_store>);

BOOST_AUTO_TEST_SUITE(umbrella)

BOOST_AUTO_TEST_CASE(the_umbrella_header_composes_a_runner)
{
    boost::asio::io_context io;
    sj::scripted_process processes(io.get_executor());
    sj::memory_store store(sj::null_sink());
    sj::settings config;
    config.log = sj::null_sink();
    sj::basic_runner<sj::scripted_process, sj::memory_store> runner(io.get_executor(), processes,
                                                                    store, config);
    sj::error_code ec;
    auto id = runner.start({.dataset = "ds", .argv = {"ls-umap", "ds"}}, ec);
    io.run();
    auto record = store.read("ds", id, ec);
    BOOST_REQUIRE(record.has_value());
    BOOST_TEST((record->status == sj::job_status::completed));
    BOOST_TEST(record->job_name == "umap");
}

BOOST_AUTO_TEST_SUITE_END()
