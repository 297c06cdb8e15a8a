#ifndef SCOPEJOBS_ROUTER_IMPL_HTTPLIB_ROUTER_HPP
#define SCOPEJOBS_ROUTER_IMPL_HTTPLIB_ROUTER_HPP

#include <scopejobs/detail/request_body.hpp>
#include <scopejobs/detail/utf8.hpp>

#include <cerrno>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace scopejobs {
namespace detail {

/// One mounted prefix: its handler and how its requests are read.
struct httplib_mount
{
    request_handler handler;
    mount_options options;
};

/// What the handlers registered for one prefix share with the router: the
/// mount in force, replaced when the prefix is mounted again.
class httplib_slot
{
public:
    void set(std::shared_ptr<const httplib_mount> mount)
    {
        std::lock_guard lock(mutex_);
        mount_ = std::move(mount);
    }

    std::shared_ptr<const httplib_mount> get() const
    {
        std::lock_guard lock(mutex_);
        return mount_;
    }

private:
    mutable std::mutex mutex_; // guards mount_
    std::shared_ptr<const httplib_mount> mount_;
};

/// The parts of a multipart body as httplib's parser hands them over:
/// text parts into fields, file parts into new files in `upload_dir`
/// (mode 0600, random names, as `http::multipart_parser` makes them),
/// under the mount's limits. A refusal is final: later parts are dropped,
/// so the caller may go on reading the body to its end. Not thread-safe.
class httplib_parts
{
public:
    explicit httplib_parts(const mount_options& options);

    /// Removes the files not handed over by `finish`.
    ~httplib_parts();

    httplib_parts(const httplib_parts&) = delete;
    httplib_parts& operator=(const httplib_parts&) = delete;

    /// Ends the part before, if any, and starts `part`.
    void begin(const httplib::MultipartFormData& part);

    /// The next bytes of the current part's content.
    void content(std::string_view data);

    /// Ends the last part and moves the fields into `out.form` and the
    /// files into `out.files`. False when the body was refused.
    bool finish(http::request& out);

    /// Refuses the body: `status` and `message` are what `finish` reports.
    void refuse(unsigned status, std::string message);

    bool failed() const noexcept { return status_ != 0; }
    unsigned status() const noexcept { return status_; }
    const std::string& error() const noexcept { return error_; }

private:
    void end_part();
    void refuse_io(std::string_view what, int number);
    void discard();

    const mount_options& options_;
    std::filesystem::path upload_dir_;
    std::uint64_t size_ = 0; // content bytes so far

    bool in_part_ = false;
    bool is_file_ = false;
    std::string field_;
    std::string text_; // a text part's content so far
    http::uploaded_file file_;
    int fd_ = -1;

    http::fields form_;
    std::vector<http::uploaded_file> files_;

    unsigned status_ = 0;
    std::string error_;
};

/// httplib's pseudo headers, which it adds to every request it reads.
inline bool is_httplib_pseudo_header(std::string_view name) noexcept
{
    return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
           name == "LOCAL_PORT";
}

/// Sets the method, target, path, query and headers of `out` from `in`.
inline bool from_httplib_head(const httplib::Request& in, http::request& out, std::string& error,
                              const http::parse_limits& limits)
{
    out.method = http::parse_verb(in.method);
    for (const auto& [name, value] : in.headers)
        if (!is_httplib_pseudo_header(name))
            out.headers.add(lower_ascii(name), value);
    return parse_target(in.target, out, error, limits);
}

/// Reads the body through `reader` into `out` under `options`, always to
/// its end; a refusal is the answer to give, nothing when the body is fine.
inline std::optional<http::response> read_httplib_body(const httplib::Request& in,
                                                       const httplib::ContentReader& reader,
                                                       http::request& out,
                                                       const mount_options& options)
{
    bool too_long = in.has_header("Content-Length") &&
                    in.get_header_value<std::uint64_t>("Content-Length") > options.max_body;

    // multipart: httplib splits the parts
    if (in.is_multipart_form_data()) {
        httplib_parts parts(options);
        if (too_long)
            parts.refuse(413, options.too_large_message);
        bool read = reader(
            [&](const httplib::MultipartFormData& part) {
                parts.begin(part);
                return true;
            },
            [&](const char* data, std::size_t size) {
                parts.content(std::string_view(data, size));
                return true;
            });
        if (!read && !parts.failed())
            parts.refuse(400, "Malformed multipart body");
        if (!parts.finish(out))
            return router_response(parts.status(), parts.error(), options);
        return std::nullopt;
    }

    // anything else: the same decoding as every other router
    request_body body(in.get_header_value("Content-Type"), options);
    bool read = reader([&](const char* data, std::size_t size) {
        if (!too_long)
            body.feed(std::string_view(data, size));
        return true;
    });
    if (too_long)
        return router_response(413, options.too_large_message, options);
    if (!read && !body.failed())
        return router_response(400, "Malformed request body", options);
    if (!body.finish(out))
        return router_response(body.status(), body.error(), options);
    return std::nullopt;
}

/// `handler`'s answer to `request`; 500 when it throws (logged to `log`)
/// or answers a status HTTP cannot carry.
inline http::response call_handler(const httplib_mount& mount, http::request& request,
                                   const log_sink& log)
{
    std::optional<http::response> reply;
    try {
        reply = mount.handler(request);
    } catch (const std::exception& failure) {
        if (log)
            log(log_level::error, "handler failed on " + request.target + ": " + failure.what());
    } catch (...) {
        if (log)
            log(log_level::error, "handler failed on " + request.target);
    }
    if (reply && (reply->status < 100 || reply->status > 999)) {
        if (log)
            log(log_level::error,
                "handler answered status " + std::to_string(reply->status) + "; sent 500");
        reply.reset();
    }
    if (!reply)
        return router_response(500, "Internal server error", mount.options);
    return std::move(*reply);
}

/// Copies `reply` into `out`: status, headers a handler may set, body.
inline void to_httplib_response(http::response reply, httplib::Response& out)
{
    out.status = static_cast<int>(reply.status);
    for (const auto& [name, value] : reply.headers)
        if (is_passable_header(name, value) && !equals_ignoring_case(name, "content-type"))
            out.set_header(name, value);
    if (!reply.content_type.empty())
        out.set_content(std::move(reply.body), reply.content_type);
    else
        out.body = std::move(reply.body);
}

/// A regular expression matching `prefix` exactly, then nothing or a `/`
/// and anything.
inline std::string httplib_pattern(std::string_view prefix)
{
    constexpr std::string_view special = R"(\^$.|?*+()[]{})";
    std::string pattern;
    for (char c : prefix) {
        if (special.find(c) != std::string_view::npos)
            pattern += '\\';
        pattern += c;
    }
    return pattern + "(/.*)?";
}

// ---- httplib_parts

inline httplib_parts::httplib_parts(const mount_options& options)
    : options_(options), upload_dir_(options.upload_dir)
{
    if (upload_dir_.empty()) {
        std::error_code ignored;
        upload_dir_ = std::filesystem::temp_directory_path(ignored);
    }
}

inline httplib_parts::~httplib_parts()
{
    discard();
}

inline void httplib_parts::begin(const httplib::MultipartFormData& part)
{
    end_part();
    if (failed())
        return;
    if (form_.size() + files_.size() >= options_.limits.max_fields) {
        refuse(400,
               "Too many parameters (limit is " + std::to_string(options_.limits.max_fields) + ")");
        return;
    }

    // a text part, or a file part and its new file
    in_part_ = true;
    field_ = part.name;
    is_file_ = !part.filename.empty();
    if (!is_file_)
        return;
    file_ = {};
    file_.field = part.name;
    file_.filename = part.filename;
    file_.content_type = part.content_type;
    for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
        auto path = upload_dir_ / http_impl::random_upload_name();
        fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd_ >= 0)
            file_.path = std::move(path);
        else if (errno != EEXIST)
            break;
    }
    if (fd_ < 0)
        refuse_io("Could not create an upload file", errno);
}

inline void httplib_parts::content(std::string_view data)
{
    if (failed() || !in_part_)
        return;

    // the body's limit, then the part's
    size_ += data.size();
    const auto& limits = options_.limits;
    if (size_ > options_.max_body)
        return refuse(413, options_.too_large_message);
    if (!is_file_) {
        if (data.size() > limits.max_field_size - text_.size())
            return refuse(400, "Form field too large: " + field_ + " (limit is " +
                                   std::to_string(limits.max_field_size) + " bytes)");
        text_.append(data);
        return;
    }
    if (data.size() > limits.max_file_size - file_.size)
        return refuse(400, "Uploaded file too large: " + field_ + " (limit is " +
                               std::to_string(limits.max_file_size) + " bytes)");

    while (!data.empty()) {
        ssize_t written = ::write(fd_, data.data(), data.size());
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            return refuse_io("Could not write an upload file", errno);
        data.remove_prefix(static_cast<std::size_t>(written));
        file_.size += static_cast<std::uint64_t>(written);
    }
}

inline bool httplib_parts::finish(http::request& out)
{
    end_part();
    if (failed())
        return false;
    for (const auto& [name, value] : form_)
        out.form.add(name, value);
    for (auto& file : files_)
        out.files.push_back(std::move(file));
    files_.clear();
    return true;
}

inline void httplib_parts::refuse(unsigned status, std::string message)
{
    if (failed())
        return;
    status_ = status;
    error_ = std::move(message);
    discard();
}

inline void httplib_parts::end_part()
{
    if (failed() || !in_part_)
        return;
    in_part_ = false;
    if (!is_file_) {
        if (!is_utf8(text_))
            return refuse(400, "Invalid parameter encoding: " + field_);
        form_.add(std::move(field_), std::move(text_));
        text_ = {};
        return;
    }

    int closing = fd_;
    fd_ = -1;
    if (::close(closing) != 0 && errno != EINTR) {
        int number = errno;
        http_impl::remove_quietly(file_.path);
        file_ = {};
        return refuse_io("Could not write an upload file", number);
    }
    files_.push_back(std::move(file_));
    file_ = {};
}

inline void httplib_parts::refuse_io(std::string_view what, int number)
{
    refuse(500, std::string(what) + ": " + std::generic_category().message(number));
}

inline void httplib_parts::discard()
{
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
        http_impl::remove_quietly(file_.path);
    }
    for (const auto& file : files_)
        http_impl::remove_quietly(file.path);
    files_.clear();
    form_ = {};
    text_.clear();
    in_part_ = false;
}

} // namespace detail

// ---- httplib_router

inline httplib_router::httplib_router(httplib::Server& server, log_sink log)
    : server_(server), log_(std::move(log))
{}

inline void httplib_router::mount(std::string prefix, request_handler handler,
                                  mount_options options)
{
    while (!prefix.empty() && prefix.back() == '/')
        prefix.pop_back();
    auto mount = std::make_shared<const detail::httplib_mount>(
        detail::httplib_mount{std::move(handler), std::move(options)});

    // a prefix mounted before keeps its handlers and takes the new mount
    auto& slot = slots_[prefix];
    if (slot) {
        slot->set(std::move(mount));
        return;
    }
    slot = std::make_shared<detail::httplib_slot>();
    slot->set(std::move(mount));

    // requests httplib reads no body of
    auto without_body = [slot, log = log_](const httplib::Request& in, httplib::Response& out) {
        auto mount = slot->get();
        http::request request;
        std::string error;
        http::response reply = detail::from_httplib_head(in, request, error, mount->options.limits)
                                   ? detail::call_handler(*mount, request, log)
                                   : detail::router_response(400, error, mount->options);
        request = http::request(); // the upload files no route took
        detail::to_httplib_response(std::move(reply), out);
    };

    // requests whose body the router reads
    auto with_body = [slot, log = log_](const httplib::Request& in, httplib::Response& out,
                                        const httplib::ContentReader& reader) {
        auto mount = slot->get();
        const mount_options& options = mount->options;
        http::request request;
        std::string error;
        std::optional<http::response> reply;
        if (!detail::from_httplib_head(in, request, error, options.limits))
            reply = detail::router_response(400, error, options);
        auto refused = detail::read_httplib_body(in, reader, request, options);
        if (!reply && refused)
            reply = std::move(refused);
        if (!reply)
            reply = detail::call_handler(*mount, request, log);
        request = http::request(); // the upload files no route took
        detail::to_httplib_response(std::move(*reply), out);
    };

    std::string pattern = detail::httplib_pattern(prefix);
    server_.Get(pattern, without_body);
    server_.Options(pattern, without_body);
    server_.Post(pattern, httplib::Server::HandlerWithContentReader(with_body));
    server_.Put(pattern, httplib::Server::HandlerWithContentReader(with_body));
    server_.Patch(pattern, httplib::Server::HandlerWithContentReader(with_body));
    server_.Delete(pattern, httplib::Server::HandlerWithContentReader(with_body));
}

} // namespace scopejobs

#endif
