// Fuzzes the reader of job files: any bytes given to job_from_text, as a
// half-written or hand-edited file would be.
//
// Invariants: the reader fails cleanly or gives a record; a record written
// with job_to_text is one line of JSON that reads back to a record with
// the same fields, and whose JSON is the same. Numbers of unknown fields
// are compared within a few units in the last place, as Boost.JSON 1.81
// does not read every decimal number as the nearest double (`45e99` reads
// back one unit off after it is written), and it reads `0e999` as NaN,
// which the writer writes as null.

#include <scopejobs/job.hpp>

#include "check.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace json = boost::json;
namespace sj = scopejobs;

// Equal JSON, doubles within a few units in the last place.
bool same_json(const json::value& a, const json::value& b)
{
    if (a.is_double() && b.is_double()) {
        double x = a.get_double();
        double y = b.get_double();
        return x == y || std::abs(x - y) <= 1e-14 * std::abs(x);
    }
    if (a.kind() != b.kind())
        return false;
    if (a.is_array()) {
        const auto& left = a.get_array();
        const auto& right = b.get_array();
        if (left.size() != right.size())
            return false;
        for (std::size_t i = 0; i < left.size(); ++i)
            if (!same_json(left[i], right[i]))
                return false;
        return true;
    }
    if (a.is_object()) {
        const auto& left = a.get_object();
        const auto& right = b.get_object();
        if (left.size() != right.size())
            return false;
        for (const auto& member : left) {
            const auto* other = right.if_contains(member.key());
            if (other == nullptr || !same_json(member.value(), *other))
                return false;
        }
        return true;
    }
    return a == b;
}

// The record without its unknown fields.
sj::job_record known_fields(sj::job_record record)
{
    record.extra.clear();
    return record;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);

    sj::error_code ec;
    auto record = sj::job_from_text(text, ec);
    if (ec)
        return 0;

    // written, it is one line of JSON
    auto written = sj::job_to_text(record);
    SCOPEJOBS_FUZZ_CHECK(written.find('\n') == std::string::npos);
    auto reread = sj::job_from_text(written, ec);
    SCOPEJOBS_FUZZ_CHECK(!ec);

    // which reads back the same
    SCOPEJOBS_FUZZ_CHECK(known_fields(reread) == known_fields(record));
    SCOPEJOBS_FUZZ_CHECK(same_json(sj::job_to_json(reread), sj::job_to_json(record)));
    return 0;
}
