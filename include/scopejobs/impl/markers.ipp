#ifndef SCOPEJOBS_IMPL_MARKERS_IPP
#define SCOPEJOBS_IMPL_MARKERS_IPP

#include <scopejobs/detail/strip.hpp>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace scopejobs {

namespace detail {

/// The stripped values of the markers in one line, as views into it; a view
/// is empty when its marker is absent or has no value.
struct marker_views
{
    std::string_view run_id;
    std::string_view scope_id;
    std::string_view imported_rows;
};

inline marker_views find_markers(std::string_view line) noexcept
{
    marker_views found;
    if (line.empty())
        return found;
    const char* begin = line.data();
    const char* end = begin + line.size();
    bool run = false, scope = false, rows = false;

    // each marker ends in a colon: visit the colons, look just before each
    for (const char* at = begin; at < end && !(run && scope && rows); ++at) {
        at = static_cast<const char*>(std::memchr(at, ':', std::size_t(end - at)));
        if (at == nullptr)
            break;
        std::string_view before(begin, std::size_t(at - begin));
        std::string_view after(at + 1, std::size_t(end - at - 1));

        if (!run && before.ends_with("RUNNING")) {
            run = true;
            found.run_id = strip(after);
        } else if (!scope && before.ends_with("FINAL_SCOPE")) {
            scope = true;
            found.scope_id = strip(after);
        } else if (!rows && before.ends_with("IMPORTED_ROWS")) {
            rows = true;
            found.imported_rows = strip(after);
        }
    }
    return found;
}

inline imported_rows_value parse_imported_rows(std::string_view text)
{
    // from_chars takes a `-` but no `+`, and stops quietly at a non-digit
    std::string_view number = text;
    if (!number.empty() && number.front() == '+')
        number.remove_prefix(1);
    std::string_view digits = number;
    if (!text.empty() && text.front() == '-')
        digits.remove_prefix(1);

    bool all_digits = !digits.empty();
    for (char c : digits)
        all_digits = all_digits && c >= '0' && c <= '9';
    if (all_digits) {
        std::int64_t value = 0;
        const char* last = number.data() + number.size();
        auto [stop, error] = std::from_chars(number.data(), last, value);
        if (error == std::errc() && stop == last)
            return value;
    }
    return std::string(text);
}

} // namespace detail

inline marker_values parse_markers(std::string_view line)
{
    detail::marker_views found = detail::find_markers(line);
    marker_values values;
    if (!found.run_id.empty())
        values.run_id.emplace(found.run_id);
    if (!found.scope_id.empty())
        values.scope_id.emplace(found.scope_id);
    if (!found.imported_rows.empty())
        values.imported_rows = detail::parse_imported_rows(found.imported_rows);
    return values;
}

inline void apply_markers(job_record& record, const marker_values& values)
{
    if (values.run_id)
        record.run_id = values.run_id;
    if (values.scope_id)
        record.scope_id = values.scope_id;
    if (values.imported_rows)
        record.imported_rows = values.imported_rows;
}

inline bool apply_markers(job_record& record, std::string_view line)
{
    detail::marker_views found = detail::find_markers(line);
    bool changed = false;
    if (!found.run_id.empty()) {
        record.run_id.emplace(found.run_id);
        changed = true;
    }
    if (!found.scope_id.empty()) {
        record.scope_id.emplace(found.scope_id);
        changed = true;
    }
    if (!found.imported_rows.empty()) {
        record.imported_rows = detail::parse_imported_rows(found.imported_rows);
        changed = true;
    }
    return changed;
}

} // namespace scopejobs

#endif
