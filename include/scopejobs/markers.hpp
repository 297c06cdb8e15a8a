#ifndef SCOPEJOBS_MARKERS_HPP
#define SCOPEJOBS_MARKERS_HPP

// Output markers: text a tool prints to report what it made. Every output
// line is checked for three of them, anywhere in the line:
//
//   RUNNING:        sets `run_id`
//   FINAL_SCOPE:    sets `scope_id`
//   IMPORTED_ROWS:  sets `imported_rows`, an integer when it is one
//
// The value of a marker is the rest of the line after it, with the white
// space Python's str.strip() removes stripped from both ends (Unicode
// spaces included); a marker with no value sets nothing.
// Several markers on one line each apply, and the first occurrence of each
// counts. Reading markers never fails: any bytes are accepted, and the only
// exception that can come out is `std::bad_alloc`.

#include <scopejobs/job.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace scopejobs {

/// The markers one output line held; a field is empty when its marker was
/// absent or had no value.
struct marker_values
{
    std::optional<std::string> run_id;
    std::optional<std::string> scope_id;
    std::optional<imported_rows_value> imported_rows;

    friend bool operator==(const marker_values&, const marker_values&) = default;
};

/// The markers in one output line. `IMPORTED_ROWS` gives an integer when its
/// value is an optional `+` or `-` followed by ASCII digits only, within
/// signed 64 bits (`42`, `-7`, `+5`); any other value (`1_000`, `4.5`,
/// `12 rows`, a number too large) is kept as text. A line without a marker,
/// the common case, is decided by one scan and allocates nothing.
marker_values parse_markers(std::string_view line);

/// Sets the fields of `record` that `values` holds and leaves the others.
void apply_markers(job_record& record, const marker_values& values);

/// Applies the markers of one output line to `record`, without building a
/// `marker_values`. Returns whether any field was set.
bool apply_markers(job_record& record, std::string_view line);

} // namespace scopejobs

#include <scopejobs/impl/markers.ipp>

#endif
