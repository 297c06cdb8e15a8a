#ifndef SCOPEJOBS_EXAMPLES_TOKENIZE_ROUTE_HPP
#define SCOPEJOBS_EXAMPLES_TOKENIZE_ROUTE_HPP

// A route added to the latent-scope routes: the maintained upstream's
// `GET /tokenize?dataset&embedding_id`, which runs `ls-tokenize D EMB` as a
// job and answers `{"job_id": ID}`. One type and one `route_set::with<>`
// line; the service checks the method, read-only mode, the required
// parameters and the path parameters before the route runs.

#include <scopejobs/routes/latent_scope.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace tokenize_example {

//[tokenize_route
/// `GET /tokenize?dataset&embedding_id`: `ls-tokenize D EMB`. Both
/// parameters are required and, being path parameters, must be safe path
/// components (400 otherwise).
struct tokenize_route : scopejobs::command_route<tokenize_route>
{
    static constexpr std::string_view path = "/tokenize";
    static constexpr std::array<std::string_view, 2> required{"dataset", "embedding_id"};

    static std::vector<std::string> argv(const scopejobs::route_params& p,
                                         const scopejobs::settings&)
    {
        return {"ls-tokenize", p["dataset"], p["embedding_id"]};
    }
};

/// The latent-scope routes and `/tokenize`.
using tokenize_routes = scopejobs::latent_scope_routes::with<tokenize_route>;
//]

} // namespace tokenize_example

#endif
