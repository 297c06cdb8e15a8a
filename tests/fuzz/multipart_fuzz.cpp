// Fuzzes the multipart/form-data parser. The input is the Content-Type
// value on its first line, then a line of chunk sizes (decimal numbers
// separated by spaces, used in turn; 0 or none means the rest), then the
// body. The boundary is what multipart_boundary finds in the Content-Type,
// or the whole first line when it finds none, which the parser must then
// refuse.
//
// Invariants: a boundary found is 1 to 70 characters RFC 2046 allows, not
// ending in a space; the body fed in the input's chunks gives the same
// outcome, fields and files as the body fed whole; a failed parse says
// why and holds no fields or files; a successful one holds no more parts
// than allowed, each file in the upload folder with the size it says; once
// the parsers are gone, the upload folder is empty.

#include <scopejobs/http.hpp>

#include "check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace sjh = scopejobs::http;

// A folder of its own for each input, removed with it.
struct scratch_folder
{
    fs::path path;

    scratch_folder()
    {
        std::string pattern = (fs::temp_directory_path() / "scopejobs-fuzz-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            std::abort();
        path = pattern;
    }

    ~scratch_folder() { fs::remove_all(path); }
};

std::string_view next_line(std::string_view& text)
{
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    return line;
}

std::vector<std::size_t> chunk_sizes(std::string_view line)
{
    std::vector<std::size_t> sizes;
    std::size_t value = 0;
    for (char c : std::string(line) + " ") {
        if (c >= '0' && c <= '9') {
            value = (value * 10 + std::size_t(c - '0')) % 100000;
        } else if (value != 0) {
            sizes.push_back(value);
            value = 0;
        }
    }
    return sizes;
}

bool is_bchar(char c)
{
    static constexpr std::string_view others = "'()+_,-./:=? ";
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           others.find(c) != std::string_view::npos;
}

bool is_allowed_boundary(std::string_view boundary)
{
    if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ')
        return false;
    return std::all_of(boundary.begin(), boundary.end(), is_bchar);
}

std::string content_of(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// What a parse gave, files read back from disk.
struct outcome
{
    bool ok = false;
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<std::string> files; // field, filename, type and content of each

    friend bool operator==(const outcome&, const outcome&) = default;
};

outcome parse(const fs::path& folder, const std::string& boundary, std::string_view body,
              const std::vector<std::size_t>& sizes, const sjh::parse_limits& limits)
{
    sjh::multipart_parser parser(boundary, folder, limits);
    bool ok = true;
    for (std::size_t i = 0; !body.empty(); ++i) {
        auto size = sizes.empty() ? body.size() : sizes[i % sizes.size()];
        ok = parser.feed(body.substr(0, size)) && ok;
        body.remove_prefix(std::min(size, body.size()));
    }
    outcome out;
    out.ok = parser.finish() && ok;
    SCOPEJOBS_FUZZ_CHECK(out.ok == parser.error().empty());
    if (!out.ok) {
        SCOPEJOBS_FUZZ_CHECK(parser.text_fields().empty());
        SCOPEJOBS_FUZZ_CHECK(parser.files().empty());
        return out;
    }

    // the parts, within the limits, files where they belong
    SCOPEJOBS_FUZZ_CHECK(parser.text_fields().size() + parser.files().size() <= limits.max_fields);
    out.fields.assign(parser.text_fields().begin(), parser.text_fields().end());
    for (const auto& file : parser.files()) {
        SCOPEJOBS_FUZZ_CHECK(file.path.parent_path() == folder);
        SCOPEJOBS_FUZZ_CHECK(fs::file_size(file.path) == file.size);
        SCOPEJOBS_FUZZ_CHECK(file.size <= limits.max_file_size);
        out.files.push_back(file.field + '\0' + file.filename + '\0' + file.content_type + '\0' +
                            content_of(file.path));
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto content_type = next_line(input);
    auto sizes = chunk_sizes(next_line(input));
    sjh::parse_limits limits;
    limits.max_fields = 8;
    limits.max_field_size = 256;
    limits.max_file_size = 4096;
    limits.max_part_header_size = 512;

    // a boundary found is one RFC 2046 allows
    auto found = sjh::multipart_boundary(content_type);
    std::string boundary = found ? *found : std::string(content_type);
    SCOPEJOBS_FUZZ_CHECK(!found || is_allowed_boundary(boundary));

    // chunked as the input says, or whole, the same; refused when the
    // boundary is not allowed
    scratch_folder uploads;
    auto chunked = parse(uploads.path, boundary, input, sizes, limits);
    auto whole = parse(uploads.path, boundary, input, {}, limits);
    SCOPEJOBS_FUZZ_CHECK(chunked == whole);
    SCOPEJOBS_FUZZ_CHECK(!whole.ok || is_allowed_boundary(boundary));

    // nothing left behind
    SCOPEJOBS_FUZZ_CHECK(fs::is_empty(uploads.path));
    return 0;
}
