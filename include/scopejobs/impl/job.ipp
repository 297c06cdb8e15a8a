#ifndef SCOPEJOBS_IMPL_JOB_IPP
#define SCOPEJOBS_IMPL_JOB_IPP

#include <scopejobs/command.hpp>
#include <scopejobs/detail/utf8.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/system/system_error.hpp>

#include <climits>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

namespace scopejobs {

constexpr std::string_view to_string(job_status status) noexcept
{
    switch (status) {
    case job_status::running:
        return "running";
    case job_status::completed:
        return "completed";
    case job_status::error:
        return "error";
    case job_status::dead:
        return "dead";
    }
    return "error";
}

constexpr std::optional<job_status> parse_status(std::string_view name) noexcept
{
    for (auto status :
         {job_status::running, job_status::completed, job_status::error, job_status::dead})
        if (to_string(status) == name)
            return status;
    return std::nullopt;
}

namespace detail {

namespace json = boost::json;

// Each reader takes a field's value into `record` and answers false when
// the value has a type the field cannot hold; the caller then keeps it in
// `extra`, so nothing a file held is lost.

inline bool read_string(const json::value& v, std::string& out)
{
    if (!v.is_string())
        return false;
    out.assign(v.get_string().data(), v.get_string().size());
    return true;
}

inline bool read_string(const json::value& v, std::optional<std::string>& out)
{
    std::string text;
    if (!read_string(v, text))
        return false;
    out = std::move(text);
    return true;
}

inline bool read_strings(const json::value& v, auto& out)
{
    if (!v.is_array())
        return false;
    for (const auto& item : v.get_array())
        if (!item.is_string())
            return false;
    out.clear();
    for (const auto& item : v.get_array())
        out.emplace_back(item.get_string().data(), item.get_string().size());
    return true;
}

inline bool read_integer(const json::value& v, std::optional<std::int64_t>& out)
{
    if (v.is_int64()) {
        out = v.get_int64();
        return true;
    }
    if (v.is_uint64() && v.get_uint64() <= std::uint64_t(INT64_MAX)) {
        out = std::int64_t(v.get_uint64());
        return true;
    }
    return false;
}

inline bool read_integer(const json::value& v, std::optional<int>& out)
{
    std::optional<std::int64_t> wide;
    if (!read_integer(v, wide) || *wide < INT_MIN || *wide > INT_MAX)
        return false;
    out = int(*wide);
    return true;
}

inline bool read_imported_rows(const json::value& v, std::optional<imported_rows_value>& out)
{
    std::optional<std::int64_t> number;
    if (read_integer(v, number)) {
        out = *number;
        return true;
    }
    if (!v.is_string())
        return false;
    out = std::string(v.get_string());
    return true;
}

inline bool read_command(const json::value& v, job_record& record)
{
    if (v.is_string())
        return read_string(v, record.command);
    if (!v.is_array() || !read_strings(v, record.argv))
        return false;
    // an array is what the maintained upstream wrote: keep it as the argv
    // and show it as this library shows every command
    record.command = join_command(record.argv);
    return true;
}

inline bool read_field(std::string_view key, const json::value& v, job_record& r)
{
    if (key == "id")
        return read_string(v, r.id);
    if (key == "dataset")
        return read_string(v, r.dataset);
    if (key == "job_name")
        return read_string(v, r.job_name);
    if (key == "command")
        return read_command(v, r);
    if (key == "status") {
        auto status = v.is_string() ? parse_status(v.get_string()) : std::nullopt;
        if (status)
            r.status = *status;
        return status.has_value();
    }
    if (key == "last_update")
        return read_string(v, r.last_update);
    if (key == "progress")
        return read_strings(v, r.progress);
    if (key == "times")
        return read_strings(v, r.times);
    if (key == "run_id")
        return read_string(v, r.run_id);
    if (key == "scope_id")
        return read_string(v, r.scope_id);
    if (key == "imported_rows")
        return read_imported_rows(v, r.imported_rows);
    if (key == "cause_of_death")
        return read_string(v, r.cause_of_death);
    if (key == "argv")
        return read_strings(v, r.argv);
    if (key == "pid")
        return read_integer(v, r.pid);
    if (key == "pid_start")
        return read_integer(v, r.pid_start);
    if (key == "exit_code")
        return read_integer(v, r.exit_code);
    if (key == "signal")
        return read_integer(v, r.signal);
    return false;
}

// The writer. Records are written often and can hold hundreds of lines, so
// the text is produced directly rather than through a json::value.

inline void write_json_string(std::string& out, std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80)
            continue;
        if (c >= 0x80) {
            std::size_t bad = 0;
            std::size_t length = utf8_sequence(text.substr(i), bad);
            if (length != 0) {
                i += length - 1;
                continue;
            }
            out.append(text, start, i - start);
            out += "\xEF\xBF\xBD";
            i += bad - 1;
            start = i + 1;
            continue;
        }
        out.append(text, start, i - start);
        start = i + 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    out.append(text, start, text.size() - start);
    out += '"';
}

inline void write_json_value(std::string& out, const json::value& v)
{
    switch (v.kind()) {
    case json::kind::string:
        write_json_string(out, v.get_string());
        return;
    case json::kind::double_:
        if (!std::isfinite(v.get_double())) {
            // What a parser produced from a number out of range: keep it
            // out of range rather than writing non-JSON `Infinity`.
            out += std::isnan(v.get_double()) ? "null" : v.get_double() > 0 ? "1e999" : "-1e999";
            return;
        }
        out += json::serialize(v);
        return;
    case json::kind::array: {
        out += '[';
        bool first = true;
        for (const auto& item : v.get_array()) {
            if (!first)
                out += ", ";
            first = false;
            write_json_value(out, item);
        }
        out += ']';
        return;
    }
    case json::kind::object: {
        out += '{';
        bool first = true;
        for (const auto& member : v.get_object()) {
            if (!first)
                out += ", ";
            first = false;
            write_json_string(out, member.key());
            out += ": ";
            write_json_value(out, member.value());
        }
        out += '}';
        return;
    }
    default:
        out += json::serialize(v);
    }
}

class record_writer
{
public:
    explicit record_writer(std::string& out) : out_(out) {}

    void field(std::string_view key)
    {
        keys_.push_back(key);
        out_ += first_ ? "{" : ", ";
        first_ = false;
        write_json_string(out_, key);
        out_ += ": ";
    }

    void string(std::string_view key, std::string_view value)
    {
        field(key);
        write_json_string(out_, value);
    }

    void integer(std::string_view key, std::int64_t value)
    {
        field(key);
        char digits[24];
        int n = std::snprintf(digits, sizeof digits, "%lld", static_cast<long long>(value));
        out_.append(digits, std::size_t(n));
    }

    void strings(std::string_view key, const auto& values)
    {
        field(key);
        out_ += '[';
        bool first = true;
        for (const auto& value : values) {
            if (!first)
                out_ += ", ";
            first = false;
            write_json_string(out_, value);
        }
        out_ += ']';
    }

    void finish() { out_ += first_ ? "{}" : "}"; }

    /// Writes, in place of a field still at its default, the value `extra`
    /// keeps under its name (one read with the wrong type); false when the
    /// field was set or `extra` keeps nothing of that name.
    bool kept(std::string_view key, bool is_default, const json::object& extra)
    {
        auto* value = is_default ? extra.if_contains(key) : nullptr;
        if (value == nullptr)
            return false;
        field(key);
        write_json_value(out_, *value);
        return true;
    }

    /// True when a field named `key` was written.
    bool wrote(std::string_view key) const noexcept
    {
        for (auto written : keys_)
            if (written == key)
                return true;
        return false;
    }

private:
    std::string& out_;
    bool first_ = true;
    std::vector<std::string_view> keys_; // the names written, which outlive the writer
};

} // namespace detail

inline job_record job_from_json(const boost::json::value& document, error_code& ec)
{
    job_record record;
    if (!document.is_object()) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return record;
    }
    ec = {};
    for (const auto& member : document.get_object())
        if (!detail::read_field(member.key(), member.value(), record))
            record.extra.insert_or_assign(member.key(), member.value());
    return record;
}

inline job_record job_from_text(std::string_view text, error_code& ec)
{
    auto document = boost::json::parse(text, ec);
    if (ec)
        return {};
    return job_from_json(document, ec);
}

inline std::string job_to_text(const job_record& record)
{
    std::string out;
    std::size_t estimate = 256 + record.command.size();
    for (const auto& line : record.progress)
        estimate += line.size() + 4;
    out.reserve(estimate + record.times.size() * 32);

    // A field that is always written and still at its default gives way to
    // the value of its name kept in `extra`, so that a file's odd value
    // survives a rewrite and a value set since replaces it.
    detail::record_writer w(out);
    const auto& kept = record.extra;
    if (!w.kept("id", record.id.empty(), kept))
        w.string("id", record.id);
    if (!w.kept("dataset", record.dataset.empty(), kept))
        w.string("dataset", record.dataset);
    if (!w.kept("job_name", record.job_name.empty(), kept))
        w.string("job_name", record.job_name);
    if (!w.kept("command", record.command.empty(), kept))
        w.string("command", record.command);
    if (!w.kept("status", record.status == job_status::running, kept))
        w.string("status", to_string(record.status));
    if (!w.kept("last_update", record.last_update.empty(), kept))
        w.string("last_update", record.last_update);
    if (!w.kept("progress", record.progress.empty(), kept))
        w.strings("progress", record.progress);
    if (!w.kept("times", record.times.empty(), kept))
        w.strings("times", record.times);
    if (record.run_id)
        w.string("run_id", *record.run_id);
    if (record.scope_id)
        w.string("scope_id", *record.scope_id);
    if (record.imported_rows) {
        if (auto* number = std::get_if<std::int64_t>(&*record.imported_rows))
            w.integer("imported_rows", *number);
        else
            w.string("imported_rows", std::get<std::string>(*record.imported_rows));
    }
    if (record.cause_of_death)
        w.string("cause_of_death", *record.cause_of_death);
    if (!record.argv.empty())
        w.strings("argv", record.argv);
    if (record.pid)
        w.integer("pid", *record.pid);
    if (record.pid_start)
        w.integer("pid_start", *record.pid_start);
    if (record.exit_code)
        w.integer("exit_code", *record.exit_code);
    if (record.signal)
        w.integer("signal", *record.signal);
    // a name written above is not written twice
    for (const auto& member : record.extra) {
        if (w.wrote(member.key()))
            continue;
        w.field(member.key());
        detail::write_json_value(out, member.value());
    }
    w.finish();
    return out;
}

inline boost::json::object job_to_json(const job_record& record)
{
    // Through the text, so that both forms agree on every detail.
    return boost::json::parse(job_to_text(record)).as_object();
}

inline void tag_invoke(const boost::json::value_from_tag&, boost::json::value& out,
                       const job_record& record)
{
    out = job_to_json(record);
}

inline job_record tag_invoke(const boost::json::value_to_tag<job_record>&,
                             const boost::json::value& document)
{
    error_code ec;
    auto record = job_from_json(document, ec);
    if (ec)
        throw boost::system::system_error(ec, "job record");
    return record;
}

inline std::string timestamp_formatter::operator()(std::chrono::system_clock::time_point when)
{
    using namespace std::chrono;
    auto micros = duration_cast<microseconds>(when.time_since_epoch()).count();
    auto second = micros / 1'000'000 - (micros % 1'000'000 < 0 ? 1 : 0);
    auto fraction = micros - second * 1'000'000;

    if (second != second_) {
        std::time_t t = static_cast<std::time_t>(second);
        std::tm local{};
        localtime_r(&t, &local);
        prefix_size_ = std::strftime(prefix_, sizeof prefix_, "%Y-%m-%d %H:%M:%S", &local);
        second_ = second;
    }

    std::string out(prefix_, prefix_size_);
    if (fraction != 0) {
        char digits[7] = {'.'};
        for (int i = 6; i > 0; --i, fraction /= 10)
            digits[i] = char('0' + fraction % 10);
        out.append(digits, 7);
    }
    return out;
}

inline std::string python_timestamp(std::chrono::system_clock::time_point when)
{
    timestamp_formatter format;
    return format(when);
}

} // namespace scopejobs

#endif
