#ifndef SCOPEJOBS_DETAIL_REQUEST_BODY_HPP
#define SCOPEJOBS_DETAIL_REQUEST_BODY_HPP

// What every router does between the bytes of a request and the neutral
// `http::request`: the target split into path and decoded query, and the
// body fed in chunks of any size into form fields and files on disk, with
// the mount's limits applied as the bytes arrive.

#include <scopejobs/http.hpp>
#include <scopejobs/router.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace scopejobs::detail {

/// Sets `out.target`, `out.path` (the target up to its `?`, not decoded)
/// and `out.query` (the rest, decoded) from `target`. False, with a
/// message for a 400 in `error`, when the query string does not decode
/// within `limits`.
bool parse_target(std::string_view target, http::request& out, std::string& error,
                  const http::parse_limits& limits = {});

/// `http::error_response(status, message)` with the mount's
/// `response_headers` added: the answer a router makes itself.
http::response router_response(unsigned status, std::string_view message,
                               const mount_options& options);

/// The body of one request, fed in chunks as they arrive.
///
/// What becomes of the bytes depends on the request's media type:
/// `application/x-www-form-urlencoded` is decoded into `form` pair by pair
/// (only the pair still incomplete is held, bounded by the field limits);
/// `multipart/form-data` is streamed through `http::multipart_parser`, its
/// text parts into `form` and its files into `files`, written to
/// `upload_dir` (the system's temporary folder when that is empty); any
/// other type is counted and dropped. Every type counts towards
/// `max_body`.
///
/// Not thread-safe: one request, one caller at a time. Files written for
/// a body that never finished, or failed, are removed on destruction.
class request_body
{
public:
    /// Ready for the body of a request with `content_type` (the header's
    /// value, empty when absent), under the limits of `options`. A
    /// multipart type without a usable boundary fails at once (`failed`).
    request_body(std::string_view content_type, const mount_options& options);

    request_body(const request_body&) = delete;
    request_body& operator=(const request_body&) = delete;

    /// Whether a body of `length` bytes, as declared by Content-Length,
    /// is within `max_body`; a router refuses a longer one before reading.
    bool accepts_length(std::uint64_t length) const noexcept;

    /// Consumes the next `chunk`. False once the body is refused, which
    /// is final: stop reading and answer with `status()` and `error()`.
    bool feed(std::string_view chunk);

    /// Ends the body and moves its fields into `out.form` and its files
    /// into `out.files` (the request then owns and removes them). False
    /// when the body is refused; then `out` is unchanged.
    bool finish(http::request& out);

    /// True once the body has been refused.
    bool failed() const noexcept { return status_ != 0; }

    /// The status to answer a refused body with: 413 past `max_body`, 500
    /// when an upload could not be written, 400 for a malformed body; 0
    /// while the body is fine.
    unsigned status() const noexcept { return status_; }

    /// Why the body was refused: the mount's `too_large_message` for a
    /// 413, otherwise a message naming the problem; empty while fine.
    const std::string& error() const noexcept { return error_; }

    /// Bytes fed so far.
    std::uint64_t size() const noexcept { return size_; }

private:
    enum class kind
    {
        ignored,
        urlencoded,
        multipart
    };

    bool feed_urlencoded(std::string_view chunk);
    bool decode_pairs(std::string_view text);
    bool refuse(unsigned status, std::string message);

    kind kind_ = kind::ignored;
    std::uint64_t max_body_;
    std::string too_large_message_;
    http::parse_limits limits_;
    std::uint64_t size_ = 0;

    std::string pending_; // urlencoded: the pair not yet complete
    http::fields form_;   // urlencoded: the pairs decoded so far
    std::unique_ptr<http::multipart_parser> multipart_;

    unsigned status_ = 0;
    std::string error_;
};

// ---- text

// `text` without the spaces and tabs around it.
inline std::string_view trim_blanks(std::string_view text) noexcept
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

// The media type of a Content-Type value, trimmed, without parameters.
inline std::string_view media_type(std::string_view content_type) noexcept
{
    return trim_blanks(
        content_type.substr(0, std::min(content_type.find(';'), content_type.size())));
}

// ASCII case-insensitive equality.
inline bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept
{
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [&](char x, char y) { return lower(x) == lower(y); });
}

// `text` with ASCII capitals in lower case.
inline std::string lower_ascii(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return out;
}

// ---- matching and checks

// Whether `path` is `prefix` or lies below it.
inline bool prefix_covers(std::string_view prefix, std::string_view path) noexcept
{
    if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0)
        return false;
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

// A header a handler may set: a token for a name, no line break or NUL in
// the value, and none of the fields the router writes itself.
inline bool is_passable_header(std::string_view name, std::string_view value) noexcept
{
    constexpr std::string_view token_marks = "!#$%&'*+-.^_`|~";
    if (name.empty())
        return false;
    for (char c : name) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && token_marks.find(c) == std::string_view::npos)
            return false;
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
        return false;
    return !equals_ignoring_case(name, "content-length") &&
           !equals_ignoring_case(name, "transfer-encoding") &&
           !equals_ignoring_case(name, "connection");
}

// ---- free functions

inline bool parse_target(std::string_view target, http::request& out, std::string& error,
                         const http::parse_limits& limits)
{
    std::size_t question = std::min(target.find('?'), target.size());
    out.target = std::string(target);
    out.path = std::string(target.substr(0, question));
    if (question == target.size())
        return true;
    return http::parse_urlencoded(target.substr(question + 1), out.query, error, limits);
}

inline http::response router_response(unsigned status, std::string_view message,
                                      const mount_options& options)
{
    http::response out = http::error_response(status, message);
    for (const auto& [name, value] : options.response_headers)
        out.headers.add(name, value);
    return out;
}

// ---- request_body

inline request_body::request_body(std::string_view content_type, const mount_options& options)
    : max_body_(options.max_body), too_large_message_(options.too_large_message),
      limits_(options.limits)
{
    std::string_view type = media_type(content_type);
    if (equals_ignoring_case(type, "application/x-www-form-urlencoded")) {
        kind_ = kind::urlencoded;
        return;
    }
    if (!equals_ignoring_case(type, "multipart/form-data"))
        return;

    // multipart: the boundary first
    kind_ = kind::multipart;
    std::optional<std::string> boundary = http::multipart_boundary(content_type);
    if (!boundary) {
        refuse(400, "Malformed multipart body: no usable boundary in Content-Type");
        return;
    }
    std::filesystem::path dir = options.upload_dir;
    if (dir.empty()) {
        std::error_code ignored;
        dir = std::filesystem::temp_directory_path(ignored);
    }
    multipart_ =
        std::make_unique<http::multipart_parser>(std::move(*boundary), std::move(dir), limits_);
}

inline bool request_body::accepts_length(std::uint64_t length) const noexcept
{
    return length <= max_body_;
}

inline bool request_body::feed(std::string_view chunk)
{
    if (failed())
        return false;

    // the size limit holds for every type
    size_ += chunk.size();
    if (size_ > max_body_)
        return refuse(413, too_large_message_);

    switch (kind_) {
    case kind::ignored:
        return true;
    case kind::urlencoded:
        return feed_urlencoded(chunk);
    case kind::multipart:
        break;
    }
    if (multipart_->feed(chunk))
        return true;
    return refuse(multipart_->io_error() ? 500 : 400, multipart_->error());
}

inline bool request_body::finish(http::request& out)
{
    if (failed())
        return false;

    // complete the parse
    if (kind_ == kind::urlencoded) {
        if (!decode_pairs(pending_))
            return false;
        pending_.clear();
    }
    if (kind_ == kind::multipart && !multipart_->finish())
        return refuse(multipart_->io_error() ? 500 : 400, multipart_->error());

    // hand over what it gave
    if (kind_ == kind::urlencoded)
        for (const auto& [name, value] : form_)
            out.form.add(name, value);
    if (kind_ == kind::multipart) {
        for (const auto& [name, value] : multipart_->text_fields())
            out.form.add(name, value);
        for (auto& file : multipart_->files())
            out.files.push_back(std::move(file));
        multipart_->files().clear();
    }
    return true;
}

inline bool request_body::feed_urlencoded(std::string_view chunk)
{
    // decode every pair completed by this chunk
    pending_.append(chunk);
    std::size_t last = pending_.rfind('&');
    if (last != std::string::npos) {
        if (!decode_pairs(std::string_view(pending_).substr(0, last)))
            return false;
        pending_.erase(0, last + 1);
    }

    // an incomplete pair may not outgrow what a valid one can be: a name
    // and a value of `max_field_size` bytes each, every byte as %XX
    constexpr std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t field = limits_.max_field_size;
    std::uint64_t most = field >= unbounded / 6 ? unbounded : field * 6 + 1;
    if (pending_.size() <= most)
        return true;
    std::size_t equals = pending_.find('=');
    http::fields name;
    std::string ignored;
    if (equals == std::string::npos || equals > most / 2 ||
        !http::parse_urlencoded(std::string_view(pending_).substr(0, equals), name, ignored,
                                limits_) ||
        name.empty())
        return refuse(400, "Parameter name too long (limit is " +
                               std::to_string(limits_.max_field_size) + " bytes)");
    return refuse(400, "Parameter too large: " + name.begin()->first + " (limit is " +
                           std::to_string(limits_.max_field_size) + " bytes)");
}

inline bool request_body::decode_pairs(std::string_view text)
{
    // decode alone, then count against the fields already held
    http::fields decoded;
    std::string message;
    if (!http::parse_urlencoded(text, decoded, message, limits_))
        return refuse(400, std::move(message));
    if (form_.size() + decoded.size() > limits_.max_fields)
        return refuse(400,
                      "Too many parameters (limit is " + std::to_string(limits_.max_fields) + ")");
    for (const auto& [name, value] : decoded)
        form_.add(name, value);
    return true;
}

inline bool request_body::refuse(unsigned status, std::string message)
{
    status_ = status;
    error_ = std::move(message);
    pending_.clear();
    form_ = {};
    multipart_.reset();
    return false;
}

} // namespace scopejobs::detail

#endif
