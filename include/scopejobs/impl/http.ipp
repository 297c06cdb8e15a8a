#ifndef SCOPEJOBS_IMPL_HTTP_IPP
#define SCOPEJOBS_IMPL_HTTP_IPP

#include <scopejobs/detail/utf8.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/errc.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace scopejobs::detail::http_impl {

constexpr std::string_view whitespace = " \t";

inline std::string_view trim(std::string_view text) noexcept
{
    auto first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos)
        return {};
    auto last = text.find_last_not_of(whitespace);
    return text.substr(first, last + 1 - first);
}

inline char lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

inline int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Percent-decodes `text`; with `plus_is_space`, as forms encode spaces.
// A `%` not followed by two hex digits is kept as it is.
inline std::string percent_decode(std::string_view text, bool plus_is_space)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
            continue;
        }
        if (c == '%' && i + 2 < text.size()) {
            int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 2;
                continue;
            }
        }
        out += c;
    }
    return out;
}

// A name as a message may show it: well-formed UTF-8 is kept, control
// characters and ill-formed bytes become `%XX`, and a long name is cut.
inline std::string printable(std::string_view name)
{
    constexpr std::size_t shown = 64;
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    std::size_t i = 0;
    while (i < name.size() && out.size() < shown) {
        auto byte = static_cast<unsigned char>(name[i]);
        std::size_t bad = 0;
        std::size_t length = byte < 0x80 ? 1 : utf8_sequence(name.substr(i), bad);
        if (length == 0 || byte < 0x20 || byte == 0x7F) {
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 15];
            ++i;
            continue;
        }
        out.append(name, i, length);
        i += length;
    }
    if (i < name.size())
        out += "...";
    return out;
}

// RFC 2046's `bchars`, which a boundary consists of.
inline bool is_boundary_char(char c) noexcept
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

inline bool is_valid_boundary(std::string_view boundary) noexcept
{
    if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ')
        return false;
    return std::all_of(boundary.begin(), boundary.end(), is_boundary_char);
}

// Reads the parameters after a header value's first `;`: `key=token` or
// `key="quoted"`, separated by `;`. Calls `on_param(lower-case key,
// value)` for each; a parameter without `=` is skipped.
template <class OnParam>
void read_parameters(std::string_view text, OnParam on_param)
{
    std::size_t i = 0;
    while (i < text.size()) {
        // the key
        while (i < text.size() && (text[i] == ';' || text[i] == ' ' || text[i] == '\t'))
            ++i;
        std::size_t key_start = i;
        while (i < text.size() && text[i] != '=' && text[i] != ';')
            ++i;
        std::string key(trim(text.substr(key_start, i - key_start)));
        std::transform(key.begin(), key.end(), key.begin(), lower);
        if (i >= text.size() || text[i] == ';')
            continue;
        ++i; // '='
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;

        // the value, quoted or not
        std::string value;
        if (i < text.size() && text[i] == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                bool escape = text[i] == '\\' && i + 1 < text.size() &&
                              (text[i + 1] == '"' || text[i + 1] == '\\');
                if (escape)
                    ++i;
                value += text[i];
            }
            if (i < text.size())
                ++i; // closing quote
            while (i < text.size() && text[i] != ';')
                ++i; // anything after the quote is ignored
        } else {
            std::size_t value_start = i;
            while (i < text.size() && text[i] != ';')
                ++i;
            value = trim(text.substr(value_start, i - value_start));
        }
        if (!key.empty())
            on_param(key, std::move(value));
    }
}

// An RFC 5987 `filename*` value, `UTF-8'lang'percent-encoded`, decoded; or
// nothing for another charset or shape.
inline std::optional<std::string> extended_value(std::string_view text)
{
    auto first = text.find('\'');
    if (first == std::string_view::npos)
        return std::nullopt;
    auto second = text.find('\'', first + 1);
    if (second == std::string_view::npos || !iequals(text.substr(0, first), "utf-8"))
        return std::nullopt;
    return percent_decode(text.substr(second + 1), false);
}

// A new random file name, unpredictable to a client.
inline std::string random_upload_name()
{
    unsigned char bytes[8];
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
        std::random_device device;
        for (auto& byte : bytes)
            byte = static_cast<unsigned char>(device());
    }

    static constexpr char hex[] = "0123456789abcdef";
    std::string name = ".upload-";
    for (unsigned char byte : bytes) {
        name += hex[byte >> 4];
        name += hex[byte & 15];
    }
    return name;
}

inline constexpr std::pair<http::verb, std::string_view> verb_names[] = {
    {http::verb::get, "GET"},         {http::verb::head, "HEAD"},   {http::verb::post, "POST"},
    {http::verb::put, "PUT"},         {http::verb::patch, "PATCH"}, {http::verb::delete_, "DELETE"},
    {http::verb::options, "OPTIONS"},
};

inline void remove_quietly(const std::filesystem::path& path) noexcept
{
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
}

} // namespace scopejobs::detail::http_impl

namespace scopejobs::http {

// ---- verbs

inline verb parse_verb(std::string_view name) noexcept
{
    for (const auto& [method, text] : detail::http_impl::verb_names)
        if (text == name)
            return method;
    return verb::other;
}

inline std::string_view to_string(verb method) noexcept
{
    for (const auto& [known, text] : detail::http_impl::verb_names)
        if (known == method)
            return text;
    return {};
}

// ---- fields

inline void fields::add(std::string name, std::string value)
{
    items_.emplace_back(std::move(name), std::move(value));
}

inline std::optional<std::string_view> fields::find(std::string_view name) const noexcept
{
    for (const auto& [key, value] : items_)
        if (key == name)
            return std::string_view(value);
    return std::nullopt;
}

// ---- request

inline request& request::operator=(request&& other) noexcept
{
    if (this == &other)
        return *this;
    for (const auto& file : files)
        detail::http_impl::remove_quietly(file.path);

    method = other.method;
    target = std::move(other.target);
    path = std::move(other.path);
    query = std::move(other.query);
    form = std::move(other.form);
    files = std::move(other.files);
    other.files.clear();
    headers = std::move(other.headers);
    return *this;
}

inline request::~request()
{
    for (const auto& file : files)
        detail::http_impl::remove_quietly(file.path);
}

inline std::optional<std::string_view> request::param(std::string_view name) const noexcept
{
    if (method == verb::post)
        if (auto value = form.find(name))
            return value;
    return query.find(name);
}

inline const uploaded_file* request::file(std::string_view name) const noexcept
{
    for (const auto& candidate : files)
        if (candidate.field == name)
            return &candidate;
    return nullptr;
}

inline std::optional<uploaded_file> request::take(std::string_view name)
{
    auto found = std::find_if(files.begin(), files.end(),
                              [&](const uploaded_file& file) { return file.field == name; });
    if (found == files.end())
        return std::nullopt;
    uploaded_file taken = std::move(*found);
    files.erase(found);
    return taken;
}

// ---- responses

inline response json_response(unsigned status, const boost::json::value& value)
{
    response out;
    out.status = status;
    out.body = boost::json::serialize(value);
    return out;
}

inline response error_response(unsigned status, std::string_view message)
{
    std::string text;
    detail::append_utf8(text, message);
    boost::json::object body;
    body["error"] = text;
    return json_response(status, body);
}

// ---- urlencoded

inline bool parse_urlencoded(std::string_view text, fields& out, std::string& error,
                             const parse_limits& limits)
{
    using namespace detail::http_impl;
    fields parsed;
    std::size_t start = 0;
    while (start <= text.size()) {
        // the next pair
        std::size_t end = std::min(text.find('&', start), text.size());
        std::string_view pair = text.substr(start, end - start);
        start = end + 1;
        if (pair.empty())
            continue;
        if (parsed.size() == limits.max_fields) {
            error = "Too many parameters (limit is " + std::to_string(limits.max_fields) + ")";
            return false;
        }

        // decode, then check
        std::size_t equals = pair.find('=');
        std::string name = percent_decode(pair.substr(0, equals), true);
        std::string value =
            equals == std::string_view::npos ? "" : percent_decode(pair.substr(equals + 1), true);
        if (!detail::is_utf8(name)) {
            error = "Invalid parameter encoding: " + printable(name);
            return false;
        }
        if (name.size() > limits.max_field_size) {
            error = "Parameter name too long (limit is " + std::to_string(limits.max_field_size) +
                    " bytes)";
            return false;
        }
        if (!detail::is_utf8(value)) {
            error = "Invalid parameter encoding: " + printable(name);
            return false;
        }
        if (value.size() > limits.max_field_size) {
            error = "Parameter too large: " + printable(name) + " (limit is " +
                    std::to_string(limits.max_field_size) + " bytes)";
            return false;
        }
        parsed.add(std::move(name), std::move(value));
    }

    for (const auto& [name, value] : parsed)
        out.add(name, value);
    return true;
}

// ---- multipart

inline std::optional<std::string> multipart_boundary(std::string_view content_type)
{
    using namespace detail::http_impl;
    std::size_t semicolon = std::min(content_type.find(';'), content_type.size());
    if (!iequals(trim(content_type.substr(0, semicolon)), "multipart/form-data"))
        return std::nullopt;

    std::optional<std::string> boundary;
    read_parameters(content_type.substr(semicolon), [&](const std::string& key, std::string value) {
        if (key == "boundary" && !boundary)
            boundary = std::move(value);
    });
    if (!boundary || !is_valid_boundary(*boundary))
        return std::nullopt;
    return boundary;
}

// The parser is a state machine over the bytes of the body. The delimiter
// is CRLF `--` boundary; the body is read as if a CRLF came first, so that
// a body opening with its boundary line needs no special case. Since a
// boundary holds no CR, a partial delimiter can only start at the last CR
// of a chunk, and the bytes held between chunks are fewer than the
// delimiter.
struct multipart_parser::state
{
    enum class phase
    {
        preamble,     // before the first delimiter; ignored
        boundary_end, // just after a delimiter: `--`, padding or CRLF
        close_dash,   // after `--boundary-`
        padding,      // spaces and tabs after a boundary
        boundary_lf,  // after the CR that ends a boundary line
        headers,      // a part's headers, up to the empty line
        body,         // a part's content, up to the next delimiter
        epilogue,     // after the close delimiter; ignored
        failed,
    };

    std::string delimiter;
    std::array<std::uint8_t, 256> skip{}; // Horspool shifts by a candidate's last byte
    std::filesystem::path upload_dir;
    parse_limits limits;

    phase at = phase::preamble;
    std::string held = "\r\n"; // a proper prefix of the delimiter
    std::string header_block;
    bool fed = false;
    bool finished = false;
    bool succeeded = false;

    // the part being read
    std::string field_name;
    bool is_file = false;
    std::string text;
    uploaded_file file;
    int fd = -1;

    // the outcome
    http::fields text_fields;
    std::vector<uploaded_file> files;
    std::string error;
    error_code io_error;

    state(std::string boundary, std::filesystem::path dir, parse_limits bounds)
        : delimiter("\r\n--" + boundary), upload_dir(std::move(dir)), limits(bounds)
    {
        if (!detail::http_impl::is_valid_boundary(boundary)) {
            fail("Malformed multipart body: invalid boundary");
            return;
        }

        // how far a candidate may move when its last byte is `b`
        std::size_t last = delimiter.size() - 1;
        skip.fill(static_cast<std::uint8_t>(delimiter.size()));
        for (std::size_t i = 0; i < last; ++i)
            skip[static_cast<unsigned char>(delimiter[i])] = static_cast<std::uint8_t>(last - i);
    }

    ~state()
    {
        close_file();
        discard_files();
    }

    bool fail(std::string message)
    {
        if (at == phase::failed)
            return false;
        at = phase::failed;
        error = std::move(message);
        close_file();
        discard_files();
        text_fields = {};
        text = {};
        return false;
    }

    bool fail_io(const char* what, int number)
    {
        io_error = error_code(number, boost::system::system_category());
        return fail(std::string(what) + ": " + io_error.message());
    }

    void close_file() noexcept
    {
        if (fd < 0)
            return;
        ::close(fd);
        fd = -1;
        detail::http_impl::remove_quietly(file.path);
    }

    void discard_files() noexcept
    {
        for (const auto& done : files)
            detail::http_impl::remove_quietly(done.path);
        files.clear();
    }

    bool feed(std::string_view in);
    bool finish();

    std::size_t boundary_end(std::string_view in);
    std::size_t headers(std::string_view in);
    std::size_t scan(std::string_view in);
    bool content(std::string_view data);
    bool begin_part(std::string_view block);
    bool open_file();
    bool end_part();
};

inline bool multipart_parser::state::feed(std::string_view in)
{
    if (finished)
        return succeeded;
    if (!in.empty())
        fed = true;

    while (!in.empty()) {
        std::size_t used = 0;
        switch (at) {
        case phase::failed:
            return false;
        case phase::epilogue:
            return true;
        case phase::preamble:
        case phase::body:
            used = scan(in);
            break;
        case phase::headers:
            used = headers(in);
            break;
        default:
            used = boundary_end(in);
            break;
        }
        in.remove_prefix(used);
    }
    return at != phase::failed;
}

inline bool multipart_parser::state::finish()
{
    if (finished)
        return succeeded;
    finished = true;

    if (at == phase::epilogue || (at == phase::preamble && !fed)) {
        succeeded = true;
        return true;
    }
    if (at == phase::preamble)
        return fail("Malformed multipart body: no boundary line");
    if (at == phase::headers)
        return fail("Malformed multipart body: the body ends inside a part's headers");
    return fail("Malformed multipart body: the body ends before its closing boundary");
}

// The few bytes after a delimiter: `--` closes the body; otherwise
// optional padding and CRLF start a part's headers.
inline std::size_t multipart_parser::state::boundary_end(std::string_view in)
{
    char c = in.front();
    bool blank = c == ' ' || c == '\t';
    switch (at) {
    case phase::boundary_end:
        if (c == '-')
            at = phase::close_dash;
        else if (blank)
            at = phase::padding;
        else if (c == '\r')
            at = phase::boundary_lf;
        else
            fail("Malformed multipart body: unexpected text after a boundary");
        break;
    case phase::close_dash:
        if (c == '-')
            at = phase::epilogue;
        else
            fail("Malformed multipart body: unexpected text after a boundary");
        break;
    case phase::padding:
        if (c == '\r')
            at = phase::boundary_lf;
        else if (!blank)
            fail("Malformed multipart body: unexpected text after a boundary");
        break;
    default: // boundary_lf
        if (c == '\n')
            at = phase::headers;
        else
            fail("Malformed multipart body: a boundary line does not end in CRLF");
        break;
    }
    return 1;
}

// Gathers a part's headers up to the empty line, within the limit.
inline std::size_t multipart_parser::state::headers(std::string_view in)
{
    std::size_t limit = limits.max_part_header_size;
    std::size_t capacity = std::max(limit, limit + 4); // the block and its empty line
    std::size_t before = header_block.size();
    std::size_t room = capacity - before;
    header_block.append(in.substr(0, room));

    // no headers at all: the block opens with the empty line
    std::size_t block_end = std::string::npos, end_size = 0;
    if (header_block.size() >= 2 && header_block.compare(0, 2, "\r\n") == 0) {
        block_end = 0;
        end_size = 2;
    } else {
        block_end = header_block.find("\r\n\r\n", before < 3 ? 0 : before - 3);
        end_size = 4;
    }

    if (block_end == std::string::npos) {
        if (header_block.size() >= capacity)
            fail("Malformed multipart body: part headers too large");
        return std::min(in.size(), room);
    }
    if (block_end > limit) {
        fail("Malformed multipart body: part headers too large");
        return in.size();
    }

    std::size_t used = block_end + end_size - before;
    header_block.resize(block_end);
    if (begin_part(header_block))
        at = phase::body;
    header_block.clear();
    header_block.shrink_to_fit();
    return used;
}

// Reads the headers of a part and gets ready for its content.
inline bool multipart_parser::state::begin_part(std::string_view block)
{
    using namespace detail::http_impl;
    if (text_fields.size() + files.size() == limits.max_fields)
        return fail("Too many form fields (limit is " + std::to_string(limits.max_fields) + ")");

    // the header lines; a folded line continues the one before
    std::string disposition, content_type, *last = nullptr;
    bool first_line = true;
    while (!block.empty()) {
        std::size_t end = std::min(block.find("\r\n"), block.size());
        std::string_view line = block.substr(0, end);
        block.remove_prefix(std::min(end + 2, block.size()));
        bool folded = !line.empty() && (line.front() == ' ' || line.front() == '\t');
        if (folded && !first_line) {
            if (last != nullptr)
                last->append(" ").append(trim(line));
            continue;
        }
        first_line = false;
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || trim(line.substr(0, colon)).empty())
            return fail("Malformed multipart body: bad part header line");
        std::string_view name = trim(line.substr(0, colon));
        std::string_view value = trim(line.substr(colon + 1));
        last = nullptr;
        if (iequals(name, "content-disposition") && disposition.empty())
            last = &disposition.assign(value);
        else if (iequals(name, "content-type") && content_type.empty())
            last = &content_type.assign(value);
    }

    // the disposition: form-data, a name, perhaps a file name
    std::string_view kind = disposition;
    std::size_t semicolon = std::min(kind.find(';'), kind.size());
    if (!iequals(trim(kind.substr(0, semicolon)), "form-data"))
        return fail("Malformed multipart body: a part is not form-data");
    std::optional<std::string> name, filename, extended;
    bool has_filename = false;
    read_parameters(kind.substr(semicolon), [&](const std::string& key, std::string value) {
        if (key == "name" && !name)
            name = std::move(value);
        if (key == "filename" && !filename)
            filename = std::move(value);
        if (key == "filename*" && !extended)
            extended = extended_value(value);
        has_filename = has_filename || key == "filename" || key == "filename*";
    });
    if (!name)
        return fail("Malformed multipart body: a part has no form-data name");
    if (!detail::is_utf8(*name))
        return fail("Invalid parameter encoding: " + printable(*name));

    field_name = std::move(*name);
    is_file = has_filename;
    text.clear();
    if (!is_file)
        return true;

    file = {};
    file.field = field_name;
    detail::append_utf8(file.filename, extended ? *extended : filename.value_or(""));
    detail::append_utf8(file.content_type, content_type);
    return open_file();
}

inline bool multipart_parser::state::open_file()
{
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto path = upload_dir / detail::http_impl::random_upload_name();
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            file.path = std::move(path);
            return true;
        }
        if (errno != EEXIST)
            break;
    }
    return fail_io("Could not create an upload file", errno);
}

// Finds the delimiter in `in`, handing the bytes before it to `content`.
// Answers how much of `in` it used; sets the next phase when it found one.
inline std::size_t multipart_parser::state::scan(std::string_view in)
{
    std::string_view delim = delimiter;

    // a delimiter begun in an earlier chunk: complete it or give it up
    if (!held.empty()) {
        std::size_t need = delim.size() - held.size();
        std::size_t n = std::min(need, in.size());
        if (in.substr(0, n) == delim.substr(held.size(), n)) {
            if (n < need) {
                held.append(in);
                return in.size();
            }
            held.clear();
            if (at == phase::body && !end_part())
                return in.size();
            at = phase::boundary_end;
            return n;
        }
        std::string given_up = std::move(held);
        held.clear();
        if (!content(given_up))
            return in.size();
    }

    // a whole delimiter in this chunk: memchr for a CR, compare, then skip
    // the starts that the candidate's last byte rules out
    const char* data = in.data();
    std::size_t size = in.size();
    for (std::size_t from = 0; from + delim.size() <= size;) {
        auto* cr = static_cast<const char*>(std::memchr(data + from, '\r', size - from));
        if (cr == nullptr)
            break;
        std::size_t at_cr = static_cast<std::size_t>(cr - data);
        if (at_cr + delim.size() > size)
            break;
        if (std::memcmp(cr, delim.data(), delim.size()) == 0) {
            if (!content(in.substr(0, at_cr)))
                return size;
            if (at == phase::body && !end_part())
                return size;
            at = phase::boundary_end;
            return at_cr + delim.size();
        }
        from = at_cr + skip[static_cast<unsigned char>(cr[delim.size() - 1])];
    }

    // the tail may begin a delimiter; hold it back
    std::size_t keep = size;
    std::size_t window = std::min(size, delim.size() - 1);
    for (std::size_t i = size; i > size - window; --i) {
        if (data[i - 1] != '\r')
            continue;
        if (in.substr(i - 1) == delim.substr(0, size - (i - 1)))
            keep = i - 1;
        break;
    }
    if (content(in.substr(0, keep)))
        held.assign(in.substr(keep));
    return size;
}

// Bytes of content: dropped in the preamble, kept for a text part, written
// for a file part.
inline bool multipart_parser::state::content(std::string_view data)
{
    using detail::http_impl::printable;
    if (at != phase::body || data.empty())
        return true;

    if (!is_file) {
        if (data.size() > limits.max_field_size - text.size())
            return fail("Form field too large: " + printable(field_name) + " (limit is " +
                        std::to_string(limits.max_field_size) + " bytes)");
        text.append(data);
        return true;
    }

    if (data.size() > limits.max_file_size - file.size)
        return fail("Uploaded file too large: " + printable(field_name) + " (limit is " +
                    std::to_string(limits.max_file_size) + " bytes)");
    while (!data.empty()) {
        ssize_t written = ::write(fd, data.data(), data.size());
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            return fail_io("Could not write an upload file", errno);
        data.remove_prefix(static_cast<std::size_t>(written));
        file.size += static_cast<std::uint64_t>(written);
    }
    return true;
}

// The delimiter after a part's content: the part is complete.
inline bool multipart_parser::state::end_part()
{
    if (!is_file) {
        if (!detail::is_utf8(text))
            return fail("Invalid parameter encoding: " + detail::http_impl::printable(field_name));
        text_fields.add(std::move(field_name), std::move(text));
        text = {};
        return true;
    }

    int closing = fd;
    fd = -1;
    if (::close(closing) != 0 && errno != EINTR) {
        int number = errno;
        detail::http_impl::remove_quietly(file.path);
        return fail_io("Could not write an upload file", number);
    }
    files.push_back(std::move(file));
    file = {};
    return true;
}

inline multipart_parser::multipart_parser(std::string boundary, std::filesystem::path upload_dir,
                                          parse_limits limits)
    : state_(std::make_unique<state>(std::move(boundary), std::move(upload_dir), limits))
{}

inline multipart_parser::~multipart_parser() = default;

inline bool multipart_parser::feed(std::string_view chunk)
{
    return state_->feed(chunk);
}

inline bool multipart_parser::finish()
{
    return state_->finish();
}

inline const std::string& multipart_parser::error() const noexcept
{
    return state_->error;
}

inline const error_code& multipart_parser::io_error() const noexcept
{
    return state_->io_error;
}

inline fields& multipart_parser::text_fields() noexcept
{
    return state_->text_fields;
}

inline std::vector<uploaded_file>& multipart_parser::files() noexcept
{
    return state_->files;
}

} // namespace scopejobs::http

#endif
