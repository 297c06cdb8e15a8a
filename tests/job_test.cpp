#include <scopejobs/job.hpp>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(job)
BOOST_AUTO_TEST_CASE(placeholder) { BOOST_TEST(scopejobs::to_string(scopejobs::job_status::dead) == "dead"); }
BOOST_AUTO_TEST_SUITE_END()
