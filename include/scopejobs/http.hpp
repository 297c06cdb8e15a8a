#ifndef SCOPEJOBS_HTTP_HPP
#define SCOPEJOBS_HTTP_HPP

// The framework-neutral request and response every router converts to and
// from, and the parsers of what a request carries: query strings,
// urlencoded forms and multipart forms (files streamed to disk).
//
// Thread safety: every type here is a plain value. Distinct objects may be
// used from distinct threads; one object is used by one thread at a time
// (it may move to another thread between calls). The free functions are
// safe to call from any thread.

#include <scopejobs/detail/config.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scopejobs::http {

/// The request methods the job API distinguishes; anything else is `other`.
enum class verb
{
    get,
    head,
    post,
    put,
    patch,
    delete_,
    options,
    other
};

/// The method named `name` (case-sensitive, as HTTP defines it).
verb parse_verb(std::string_view name) noexcept;

/// The name of a method; `other` has none and gives "".
std::string_view to_string(verb method) noexcept;

/// Decoded name-value pairs in the order they came. A name may repeat;
/// `find` gives the first, as the reference's framework did.
class fields
{
public:
    /// One pair: the name, then the value.
    using value_type = std::pair<std::string, std::string>;

    /// Appends a pair; an earlier pair of the same name keeps precedence.
    void add(std::string name, std::string value);

    /// The first value named `name`, or nothing.
    std::optional<std::string_view> find(std::string_view name) const noexcept;

    /// True when some pair is named `name`.
    bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

    /// The pairs in the order they were added.
    auto begin() const noexcept { return items_.begin(); }

    /// The end of the pairs.
    auto end() const noexcept { return items_.end(); }

    /// How many pairs there are, repeated names counted each time.
    std::size_t size() const noexcept { return items_.size(); }

    /// True when there are no pairs.
    bool empty() const noexcept { return items_.empty(); }

private:
    std::vector<value_type> items_;
};

/// A file part of a multipart form, already on disk. The request owns the
/// file: it is removed when the request is destroyed, unless a route took
/// it (`take`) to keep it.
struct uploaded_file
{
    std::string field;          ///< the form field's name
    std::string filename;       ///< as the client sent it; never a path to trust
    std::string content_type;   ///< as the client sent it; may be empty
    std::filesystem::path path; ///< where the parser wrote the content
    std::uint64_t size = 0;     ///< bytes of content
};

/// A request as every router gives it to the service. Movable, not
/// copyable: it owns the files in `files`.
struct request
{
    verb method = verb::get;          ///< the method; `other` for unknown ones
    std::string target;               ///< as sent: path and query
    std::string path;                 ///< the target without its query, not decoded
    fields query;                     ///< the decoded query string
    fields form;                      ///< decoded urlencoded or multipart text fields
    std::vector<uploaded_file> files; ///< file parts no route took yet
    fields headers;                   ///< names in lower case

    /// An empty GET request.
    request() = default;

    /// Takes `other`'s members, files included; `other` has no files left.
    request(request&& other) noexcept = default;

    /// Removes this request's files, then takes `other`'s members.
    request& operator=(request&& other) noexcept;

    request(const request&) = delete;
    request& operator=(const request&) = delete;

    /// Removes the files that no route took; a file that cannot be removed
    /// is left behind silently.
    ~request();

    /// The first value of `name`: for POST, the form first, then the
    /// query string; for other methods, the query string.
    std::optional<std::string_view> param(std::string_view name) const noexcept;

    /// The first file part of field `name`, or null.
    const uploaded_file* file(std::string_view name) const noexcept;

    /// Takes the first file of field `name` out of the request, which then
    /// no longer removes it; the caller owns the file on disk. Nothing when
    /// there is no such file.
    std::optional<uploaded_file> take(std::string_view name);
};

/// A response as the service gives it back to the router.
struct response
{
    unsigned status = 200;                         ///< the HTTP status code
    std::string content_type = "application/json"; ///< the Content-Type
    std::string body;                              ///< sent as it is
    fields headers;                                ///< besides Content-Type and Content-Length
};

/// `value` serialised, with `status`.
response json_response(unsigned status, const boost::json::value& value);

/// `{"error": message}` with `status`. Bytes of `message` that are not
/// UTF-8 become U+FFFD, so the body is always valid JSON.
response error_response(unsigned status, std::string_view message);

/// Bounds on what the parsers accept.
struct parse_limits
{
    std::size_t max_fields = 1000;                   ///< text fields and files together
    std::size_t max_field_size = 1 << 20;            ///< bytes of one name or text value
    std::uint64_t max_file_size = ~std::uint64_t(0); ///< bytes of one file part
    std::size_t max_part_header_size = 8192;         ///< bytes of one part's headers
};

/// Decodes `text` (`a=1&b=x+y&c=%2F`) into `out`: pairs are separated by
/// `&` (empty ones skipped; one without `=` has an empty value), `+` is a
/// space, `%XX` a byte (hex digits of either case); a `%` not followed by
/// two hex digits stays as it is. Fails with a message naming the parameter
/// when a name or value is not UTF-8 after decoding, and with a message
/// when there are more than `max_fields` pairs or a decoded name or value
/// is longer than `max_field_size`. On failure `out` is unchanged.
bool parse_urlencoded(std::string_view text, fields& out, std::string& error,
                      const parse_limits& limits = {});

/// The `boundary` parameter of a `multipart/form-data` content type
/// (media type and parameter names case-insensitive, the value a token or
/// a quoted string), or nothing when `content_type` is not one or its
/// boundary is not 1 to 70 of the characters RFC 2046 allows.
std::optional<std::string> multipart_boundary(std::string_view content_type);

/// Parses a multipart/form-data body fed in chunks of any size. Text parts
/// become fields; parts with a `filename` are written to new files in
/// `upload_dir` as they arrive, so a large upload is never held in memory:
/// between chunks the parser keeps at most one part's headers and fewer
/// bytes than the delimiter, besides the text fields it has read. Any
/// malformed input ends the parse with a message (for a 400), never a
/// crash or an unbounded buffer.
///
/// Each file is created with a new random name (`.upload-` and 16 hex
/// digits), mode 0600. The parser owns its files: the destructor removes
/// every file still listed in `files()` and that of a part it did not
/// finish. To keep the files of a successful parse, move them out.
class multipart_parser
{
public:
    /// A parser of a body whose parts are separated by `boundary` (as
    /// `multipart_boundary` gives it). A boundary that RFC 2046 does not
    /// allow makes the first `feed` or `finish` fail.
    multipart_parser(std::string boundary, std::filesystem::path upload_dir,
                     parse_limits limits = {});

    /// Removes the files the parser still owns (see above).
    ~multipart_parser();

    multipart_parser(const multipart_parser&) = delete;
    multipart_parser& operator=(const multipart_parser&) = delete;

    /// Consumes `chunk`; false once the input is known to be malformed (or
    /// a file could not be written). A failed parse removes the files it
    /// wrote and clears `text_fields()` and `files()`.
    bool feed(std::string_view chunk);

    /// Ends the input; true when it was a complete, well-formed body (a
    /// body of no bytes counts as an empty form). Then `text_fields()` and
    /// `files()` may be moved out. Later calls of `feed` and `finish`
    /// change nothing and answer what this one answered.
    bool finish();

    /// Why the parse failed; empty while it has not.
    const std::string& error() const noexcept;

    /// The system error when the parse failed because an upload could not
    /// be created or written (a full disk, for example): the server's fault
    /// rather than the client's. Empty otherwise.
    const error_code& io_error() const noexcept;

    /// The text parts read so far, in body order.
    http::fields& text_fields() noexcept;

    /// The file parts completed so far, in body order.
    std::vector<uploaded_file>& files() noexcept;

private:
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace scopejobs::http

#include <scopejobs/impl/http.ipp>

#endif
