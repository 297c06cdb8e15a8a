#include <scopejobs/version.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

// The macros must be usable by the preprocessor, which is what they are for.
#if !defined(SCOPEJOBS_VERSION) || SCOPEJOBS_VERSION < 100
#error "SCOPEJOBS_VERSION is not a number the preprocessor can compare"
#endif

BOOST_AUTO_TEST_SUITE(version)

BOOST_AUTO_TEST_CASE(the_number_is_made_of_the_three_parts)
{
    BOOST_TEST(SCOPEJOBS_VERSION == SCOPEJOBS_VERSION_MAJOR * 10000 +
                                        SCOPEJOBS_VERSION_MINOR * 100 + SCOPEJOBS_VERSION_PATCH);
    BOOST_TEST(SCOPEJOBS_VERSION_MINOR < 100);
    BOOST_TEST(SCOPEJOBS_VERSION_PATCH < 100);
}

BOOST_AUTO_TEST_CASE(the_string_spells_the_three_parts)
{
    std::string parts = std::to_string(SCOPEJOBS_VERSION_MAJOR) + "." +
                        std::to_string(SCOPEJOBS_VERSION_MINOR) + "." +
                        std::to_string(SCOPEJOBS_VERSION_PATCH);
    BOOST_TEST(std::string(SCOPEJOBS_VERSION_STRING) == parts);
}

BOOST_AUTO_TEST_SUITE_END()
