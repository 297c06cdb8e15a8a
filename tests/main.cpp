// The test module's entry point. Besides Boost.Test's own report, each run
// adds one line "PASSED FAILED" to the file named by SCOPEJOBS_TEST_TALLY,
// so that tests/check can count test cases across suites, processes and
// build configurations.

#define BOOST_TEST_MODULE scopejobs
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>

namespace {

namespace utf = boost::unit_test;

class tally_observer : public utf::test_observer
{
public:
    void test_unit_start(const utf::test_unit& unit) override
    {
        if (unit.p_type == utf::TUT_CASE)
            failed_ = false;
    }

    void assertion_result(utf::assertion_result result) override
    {
        if (result != utf::AR_PASSED)
            failed_ = true;
    }

    void exception_caught(const boost::execution_exception&) override { failed_ = true; }

    void test_unit_aborted(const utf::test_unit&) override { failed_ = true; }

    void test_unit_timed_out(const utf::test_unit&) override { failed_ = true; }

    void test_unit_finish(const utf::test_unit& unit, unsigned long) override
    {
        if (unit.p_type != utf::TUT_CASE)
            return;
        ++(failed_ ? failed_cases_ : passed_cases_);
    }

    void write_tally() const
    {
        const char* path = std::getenv("SCOPEJOBS_TEST_TALLY");
        if (path == nullptr || *path == '\0')
            return;
        if (std::FILE* file = std::fopen(path, "a")) {
            std::fprintf(file, "%d %d\n", passed_cases_, failed_cases_);
            std::fclose(file);
        }
    }

private:
    bool failed_ = false;
    int passed_cases_ = 0;
    int failed_cases_ = 0;
};

tally_observer observer;

struct register_observer
{
    register_observer() { utf::framework::register_observer(observer); }
    ~register_observer()
    {
        utf::framework::deregister_observer(observer);
        observer.write_tally();
    }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(register_observer);
