#ifndef SCOPEJOBS_DETAIL_SECURITY_HPP
#define SCOPEJOBS_DETAIL_SECURITY_HPP

// The checks that keep a web page out of the job service: the Host check
// (DNS rebinding), the cross-site check of write requests (a page firing a
// GET with an image tag), the bearer token, and the comparisons they rest
// on. The service runs them on every request; docs/security.md says why
// each is what it is.

#include <scopejobs/http.hpp>
#include <scopejobs/settings.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs::detail {

/// A host as a `Host` header or an allowed-host entry names it: `name` in
/// lower case without a trailing dot (an IPv6 address in brackets), `port`
/// the digits after it, empty when there are none.
struct host_and_port
{
    std::string name;
    std::string port;
};

/// `text` (`name`, `name:port`, `[v6]` or `[v6]:port`) split into its name
/// and port, or nothing when it is not of that form: a name holds only
/// ASCII letters, digits, `-`, `.`, `_` and `~`, a port only digits.
std::optional<host_and_port> split_host(std::string_view text);

/// True when the `Host` value `host` names an entry of `allowed`. An entry
/// is `*` (every host), `NAME` (on any port) or `NAME:PORT` (that port
/// only); an IPv6 entry may leave out its brackets when it has no port.
/// Names compare without case and without a trailing dot.
bool host_allowed(std::string_view host, const std::vector<std::string>& allowed);

/// True when `origin` (`scheme://host[:port]`, as browsers send it) is an
/// entry of `allowed`. An entry is `*` (every origin), `scheme://host:*`
/// (that scheme and host on any port, or none), or one origin; they
/// compare without case, and a trailing `/` of an entry is ignored.
bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed);

/// True when `given` equals `expected`. The time taken depends on the
/// length of `expected` only, never on where the two differ or on the
/// length of `given`.
bool equal_in_constant_time(std::string_view given, std::string_view expected) noexcept;

/// The token of an `Authorization` value `Bearer TOKEN` (the scheme in any
/// case, then one or more spaces), or nothing.
std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

/// 403 `{"error": "Host not allowed: HOST"}` when `request` has a `Host`
/// header that `config.allowed_hosts` does not allow, logged; nothing
/// otherwise. A request without a `Host` header passes: every browser
/// sends one, and a client that is not a browser could send any.
std::optional<http::response> refuse_host(const http::request& request, const settings& config);

/// The refusal of a write request, logged, or nothing when it may go on:
/// 403 when a browser marks it as sent from another site (see
/// docs/security.md) and its origin is not allowed; 401 with
/// `WWW-Authenticate: Bearer` when `config.auth_token` is set and the
/// request does not carry it as `Authorization: Bearer TOKEN`.
std::optional<http::response> refuse_write(const http::request& request, const settings& config);

/// `Invalid NAME: contains a NUL byte` for the first query or form field
/// that holds a NUL byte (no tool can be given one in its argv), or
/// nothing.
std::optional<std::string> nul_parameter(const http::request& request);

namespace security_impl {

inline char lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

inline std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return lower(c); });
    return out;
}

inline bool all_digits(std::string_view text) noexcept
{
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

inline bool is_name_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

inline bool is_address_char(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

// An allowed-host entry as `split_host` reads it, a bare IPv6 address
// given its brackets.
inline std::optional<host_and_port> split_entry(std::string_view entry)
{
    if (std::count(entry.begin(), entry.end(), ':') >= 2 && !entry.starts_with("["))
        return split_host("[" + std::string(entry) + "]");
    return split_host(entry);
}

inline std::optional<http::response> refusal(unsigned status, const http::request& request,
                                             const std::string& message, const settings& config)
{
    if (config.log)
        config.log(log_level::warning, "refused " + std::string(http::to_string(request.method)) +
                                           " " + request.path + ": " + message);
    return http::error_response(status, message);
}

// True when `origin` names the host and port of the `Host` value `host`.
inline bool same_authority(std::string_view origin, std::optional<std::string_view> host)
{
    auto scheme_end = origin.find("://");
    if (!host || scheme_end == std::string_view::npos)
        return false;
    return lower(origin.substr(scheme_end + 3)) == lower(*host);
}

// Why a browser's request came from a page that may not write, or nothing.
inline std::optional<std::string> why_cross_site(const http::request& request,
                                                 const std::vector<std::string>& allowed)
{
    auto site = request.headers.find("sec-fetch-site");
    auto origin = request.headers.find("origin");

    // the browser's word that the page is this server's own, or that a
    // person typed the address
    if (site && (*site == "same-origin" || *site == "none"))
        return std::nullopt;

    if (origin) {
        if (origin_allowed(*origin, allowed))
            return std::nullopt;
        // a browser too old for Sec-Fetch-Site: the page is this server's
        // own when its origin names the host the request was sent to
        if (!site && same_authority(*origin, request.headers.find("host")))
            return std::nullopt;
        return "Cross-site request refused: Origin " + std::string(*origin) + " is not allowed";
    }
    if (site && std::count(allowed.begin(), allowed.end(), "*") == 0)
        return "Cross-site request refused: Sec-Fetch-Site is " + std::string(*site) +
               " and no Origin was sent";
    return std::nullopt;
}

} // namespace security_impl

inline std::optional<host_and_port> split_host(std::string_view text)
{
    using namespace security_impl;

    // the name: an IPv6 address in brackets, or a registered name or IPv4
    host_and_port out;
    std::string_view rest;
    if (text.starts_with("[")) {
        auto close = text.find(']');
        if (close == std::string_view::npos || close == 1)
            return std::nullopt;
        auto address = text.substr(1, close - 1);
        if (!std::all_of(address.begin(), address.end(), is_address_char))
            return std::nullopt;
        out.name = lower(text.substr(0, close + 1));
        rest = text.substr(close + 1);
    } else {
        auto colon = text.find(':');
        auto name = text.substr(0, colon);
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char))
            return std::nullopt;
        out.name = lower(name);
        if (out.name.size() > 1 && out.name.back() == '.')
            out.name.pop_back();
        rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    }

    // and the port, when there is one
    if (!rest.empty()) {
        if (rest.front() != ':' || !all_digits(rest.substr(1)))
            return std::nullopt;
        out.port = std::string(rest.substr(1));
    }
    return out;
}

inline bool host_allowed(std::string_view host, const std::vector<std::string>& allowed)
{
    auto given = split_host(host);
    for (const auto& entry : allowed) {
        if (entry == "*")
            return true;
        auto wanted = security_impl::split_entry(entry);
        if (!given || !wanted || given->name != wanted->name)
            continue;
        if (wanted->port.empty() || wanted->port == given->port)
            return true;
    }
    return false;
}

inline bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed)
{
    using namespace security_impl;
    auto given = lower(origin);
    for (std::string_view entry : allowed) {
        if (entry == "*")
            return true;
        if (entry.ends_with("/"))
            entry.remove_suffix(1);
        auto wanted = lower(entry);

        // `scheme://host:*`: that host with any port, or with none
        if (wanted.ends_with(":*")) {
            wanted.resize(wanted.size() - 2);
            if (given == wanted)
                return true;
            if (given.starts_with(wanted + ":") && given.size() > wanted.size() + 1 &&
                all_digits(std::string_view(given).substr(wanted.size() + 1)))
                return true;
            continue;
        }
        if (given == wanted)
            return true;
    }
    return false;
}

inline bool equal_in_constant_time(std::string_view given, std::string_view expected) noexcept
{
    // every byte of `expected` is compared, whatever was seen before; a
    // volatile accumulator keeps the compiler from stopping early
    volatile unsigned char difference = given.size() == expected.size() ? 0 : 1;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        unsigned char mine = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
        difference = difference | (mine ^ static_cast<unsigned char>(expected[i]));
    }
    return difference == 0;
}

inline std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept
{
    constexpr std::string_view scheme = "bearer";
    if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ')
        return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (security_impl::lower(authorization[i]) != scheme[i])
            return std::nullopt;
    auto token = authorization.substr(scheme.size());
    token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
    if (token.empty())
        return std::nullopt;
    return token;
}

inline std::optional<http::response> refuse_host(const http::request& request,
                                                 const settings& config)
{
    auto host = request.headers.find("host");
    if (!host || host_allowed(*host, config.allowed_hosts))
        return std::nullopt;
    return security_impl::refusal(403, request, "Host not allowed: " + std::string(*host), config);
}

inline std::optional<http::response> refuse_write(const http::request& request,
                                                  const settings& config)
{
    using security_impl::refusal;
    if (auto reason = security_impl::why_cross_site(request, config.allowed_origins))
        return refusal(403, request, *reason, config);

    // the token, when one is set
    if (config.auth_token.empty())
        return std::nullopt;
    auto authorization = request.headers.find("authorization");
    auto token = authorization ? bearer_token(*authorization) : std::nullopt;
    if (token && equal_in_constant_time(*token, config.auth_token))
        return std::nullopt;
    auto refused =
        refusal(401, request,
                token ? "Invalid bearer token" : "Authorization: Bearer TOKEN required", config);
    refused->headers.add("WWW-Authenticate", "Bearer");
    return refused;
}

inline std::optional<std::string> nul_parameter(const http::request& request)
{
    for (const auto* fields : {&request.form, &request.query})
        for (const auto& [name, value] : *fields)
            if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos)
                return "Invalid " + name + ": contains a NUL byte";
    return std::nullopt;
}

} // namespace scopejobs::detail

#endif
