#include <scopejobs/registry.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

namespace sj = scopejobs;

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(finds_what_was_inserted_until_it_is_erased)
{
    sj::job_registry<int> jobs;
    BOOST_TEST(jobs.insert("a", std::make_shared<int>(1)));
    BOOST_TEST(!jobs.insert("a", std::make_shared<int>(2)));
    BOOST_TEST(*jobs.find("a") == 1);
    BOOST_TEST(!jobs.find("b"));
    BOOST_TEST(jobs.size() == 1u);
    BOOST_TEST(jobs.erase("a"));
    BOOST_TEST(!jobs.erase("a"));
    BOOST_TEST(!jobs.find("a"));
}

BOOST_AUTO_TEST_CASE(a_snapshot_holds_every_live_job)
{
    sj::job_registry<int> jobs;
    for (int i = 0; i < 5; ++i)
        jobs.insert(std::to_string(i), std::make_shared<int>(i));
    auto all = jobs.snapshot();
    int sum = 0;
    for (const auto& job : all)
        sum += *job;
    BOOST_TEST(all.size() == 5u);
    BOOST_TEST(sum == 10);
}

BOOST_AUTO_TEST_CASE(threads_may_insert_find_and_erase_at_once)
{
    // Boost.Test assertions are not thread-safe: count misses, check after
    sj::job_registry<int> jobs;
    std::atomic<int> misses{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&jobs, &misses, t] {
            for (int i = 0; i < 2000; ++i) {
                auto id = std::to_string(t) + "-" + std::to_string(i);
                jobs.insert(id, std::make_shared<int>(i));
                if (!jobs.find(id))
                    ++misses;
                if (i % 2 == 0)
                    jobs.erase(id);
            }
        });
    for (auto& thread : threads)
        thread.join();
    BOOST_TEST(misses == 0);
    BOOST_TEST(jobs.size() == 4u * 1000u);
}

BOOST_AUTO_TEST_SUITE_END()
