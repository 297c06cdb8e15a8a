#ifndef SCOPEJOBS_ROUTES_ROUTE_HPP
#define SCOPEJOBS_ROUTES_ROUTE_HPP

// What a route is: a type naming its path, its methods, whether it writes,
// optionally its `required` parameters, and how it answers. Routes are
// listed in a `route_set`; the service dispatches to them and does what
// every request needs (CORS, methods, read-only mode, path parameter checks,
// 400 for absent required parameters) before a route sees it.

#include <scopejobs/detail/path.hpp>
#include <scopejobs/http.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace scopejobs {

/// A set of request methods.
class method_set
{
public:
    constexpr method_set(std::initializer_list<http::verb> verbs) noexcept
    {
        for (auto verb : verbs)
            bits_ |= 1u << unsigned(verb);
    }

    constexpr bool contains(http::verb verb) const noexcept
    {
        return (bits_ & (1u << unsigned(verb))) != 0;
    }

    /// The methods as an `Allow` header lists them.
    std::string allow_header() const
    {
        std::string out;
        for (auto verb : {http::verb::get, http::verb::head, http::verb::post})
            if (contains(verb))
                out += (out.empty() ? "" : ", ") + std::string(http::to_string(verb));
        return out.empty() ? "OPTIONS" : out + ", OPTIONS";
    }

private:
    unsigned bits_ = 0;
};

/// Read routes answer GET and HEAD; write routes GET and POST (the
/// reference answered GET only); upload routes POST only.
inline constexpr method_set read_methods{http::verb::get, http::verb::head};
inline constexpr method_set write_methods{http::verb::get, http::verb::post};
inline constexpr method_set upload_methods{http::verb::post};

/// The parameters that name a path component: each must be one safe
/// component wherever it appears (`align` item by item).
inline constexpr std::array<std::string_view, 10> path_parameters = {
    "dataset", "job_id",     "dataset_name",      "embedding_id", "umap_id",
    "sae_id",  "cluster_id", "cluster_labels_id", "scope_id",     "init"};

/// The requirements on a route `R` served by a service `S`.
template <class R, class S>
concept route_for = requires(S& service, http::request& request)
{
    {
        R::path
        } -> std::convertible_to<std::string_view>;
    {
        R::methods
        } -> std::convertible_to<method_set>;
    {
        R::writes
        } -> std::convertible_to<bool>;
    {
        R::handle(service, request)
        } -> std::same_as<http::response>;
};

/// The routes a service serves, in order; `with<...>` appends more.
template <class... Routes>
struct route_set
{
    template <class... More>
    using with = route_set<Routes..., More...>;
};

/// A route's view of the request's parameters.
class route_params
{
public:
    explicit route_params(const http::request& request) : request_(request) {}

    /// The first value of `name`, or nothing.
    std::optional<std::string_view> get(std::string_view name) const noexcept
    {
        return request_.param(name);
    }

    /// The value of `name`, or "" when it is absent.
    std::string operator[](std::string_view name) const
    {
        return std::string(get(name).value_or(""));
    }

    bool has(std::string_view name) const noexcept { return get(name).has_value(); }

    /// The value, when present and not empty.
    std::optional<std::string_view> non_empty(std::string_view name) const noexcept
    {
        auto value = get(name);
        return value && !value->empty() ? value : std::nullopt;
    }

    /// `Missing required parameters: a, b` for those of `names` that are
    /// absent, or nothing when all are there.
    std::optional<std::string> missing(std::span<const std::string_view> names) const
    {
        std::string list;
        for (auto name : names)
            if (!has(name))
                list += (list.empty() ? "" : ", ") + std::string(name);
        if (list.empty())
            return std::nullopt;
        return "Missing required parameters: " + list;
    }

private:
    const http::request& request_;
};

/// `Invalid NAME: REASON` for the first path parameter of `request` that is
/// not one safe path component, or nothing. An empty value is refused for
/// the parameters in `required`; for an optional one it means absent, as
/// the web UI sends `sae_id=` when no SAE is chosen. The parameters in
/// `normalised` are not checked: their route makes a safe name of them.
inline std::optional<std::string>
check_path_parameters(const http::request& request, std::span<const std::string_view> required = {},
                      std::span<const std::string_view> normalised = {})
{
    auto check = [&](std::string_view name, std::string_view value) -> std::optional<std::string> {
        if (std::find(normalised.begin(), normalised.end(), name) != normalised.end())
            return std::nullopt;
        bool is_required = std::find(required.begin(), required.end(), name) != required.end();
        if (value.empty() && !is_required)
            return std::nullopt;
        auto reason = detail::why_unsafe(value);
        if (reason.empty())
            return std::nullopt;
        return "Invalid " + std::string(name) + ": " + std::string(reason);
    };
    for (auto name : path_parameters)
        if (auto value = request.param(name))
            if (auto error = check(name, *value))
                return error;
    if (auto align = request.param("align"); align && !align->empty()) {
        std::string_view rest = *align;
        while (true) {
            auto comma = rest.find(',');
            auto item = rest.substr(0, comma);
            if (auto reason = detail::why_unsafe(item); !reason.empty())
                return "Invalid align: " + std::string(reason);
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
    }
    return std::nullopt;
}

} // namespace scopejobs

#endif
