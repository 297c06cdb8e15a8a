#ifndef SCOPEJOBS_ROUTES_TWITTER_IMPORT_HPP
#define SCOPEJOBS_ROUTES_TWITTER_IMPORT_HPP

// The pure parts of `/import_twitter`: the dataset slug, the flag words a
// form may send, the choice of source, the command line of
// `ls-twitter-import`, and the check of an extracted archive uploaded as
// JSON. Nothing here touches the disk except `validate_extracted_file`,
// which reads the upload it is given. Every function may be called from
// any thread; none keeps state.
//
// Trimming follows Python's `str.strip()` (the white space
// `detail::strip` removes, Unicode spaces included), as the reference
// service did; lower-casing is ASCII only. For the words this route
// compares against, that is the reference's result exactly. For the slug
// one difference remains: the two characters Python lower-cases to ASCII
// (KELVIN SIGN to `k`, and the `i` of DOTTED CAPITAL I) become `-` here.

#include <scopejobs/http.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs {

/// The answer (400) to a form whose `dataset` has no slug.
inline constexpr std::string_view invalid_dataset_message = "Invalid dataset id";

/// The answer (400) to `source_type=community` without a user name.
inline constexpr std::string_view missing_username_message = "Missing username";

/// The answer (400) to `source_type=community_json` without a `file` part.
inline constexpr std::string_view missing_community_json_message = "Missing community JSON file";

/// The answer (400) to `source_type=zip`.
inline constexpr std::string_view zip_disabled_message =
    "Raw zip uploads are disabled. Upload extracted JSON payload instead "
    "(source_type=community_json).";

/// The value of `archive_format` an extracted archive must carry.
inline constexpr std::string_view extracted_archive_format = "x_native_extracted_v1";

/// How deeply arrays and objects may nest in an uploaded payload; deeper
/// input is refused with the parser's message. Extracted archives nest a
/// handful of levels.
inline constexpr std::size_t payload_max_depth = 256;

/// The dataset name `raw` normalised to a slug: trimmed, lower-cased, each
/// run of characters outside `[a-z0-9_-]` replaced by one `-`, runs of `-`
/// collapsed and `-` stripped from both ends. Every byte outside ASCII is
/// such a character, so a word in another script becomes a single `-`.
/// Empty when nothing is left; the route then answers
/// `invalid_dataset_message`.
std::string dataset_slug(std::string_view raw);

/// True when `value` is `1`, `true`, `yes` or `on`, after trimming and in
/// any case. False when absent.
bool is_truthy(std::optional<std::string_view> value) noexcept;

/// True when `value` is `0`, `false`, `no` or `off`, after trimming and in
/// any case. False when absent: a missing field is not a "no".
bool is_falsy(std::optional<std::string_view> value) noexcept;

/// The rule of `include_likes` and `run_pipeline`: true when absent, and
/// otherwise only when truthy. A present but empty value, or any word that
/// is not truthy, is false.
bool is_truthy_or_absent(std::optional<std::string_view> value) noexcept;

/// The sources `/import_twitter` can import from.
enum class twitter_source_kind
{
    community,     ///< a public community archive, fetched by user name
    community_json ///< an archive the browser extracted, uploaded as JSON
};

/// What a form's `source_type` selects, checked as far as the form alone
/// allows. When `error` is empty the source is accepted and `kind` says
/// which it is; otherwise `error` is the message of a 400 and the other
/// fields are meaningless.
struct twitter_source
{
    twitter_source_kind kind = twitter_source_kind::community_json;

    /// The source arguments of the command line. Complete for `community`;
    /// empty for `community_json`, whose arguments need the path the
    /// upload is saved to (`community_json_args`).
    std::vector<std::string> args;

    std::string error;

    /// True when the form selected a source this route imports from.
    bool accepted() const noexcept { return error.empty(); }
};

/// Reads `source_type` (default `community_json`, trimmed, lower-cased)
/// and, for `community`, `username` (trimmed, required). Refuses `zip`
/// with `zip_disabled_message` and any other type with
/// `Unsupported source_type: X`, X being the normalised type. Whether a
/// `community_json` form carries its file is for the route to check: files
/// are not fields.
twitter_source select_twitter_source(const http::fields& form);

/// The source arguments of an extracted archive saved at `input_path`:
/// `--source community_json --input_path PATH`.
std::vector<std::string> community_json_args(const std::filesystem::path& input_path);

/// The command line of an import: `ls-twitter-import DATASET`, then
/// `source_args`, then `--KEY VALUE` for each non-empty field among `year`,
/// `lang`, `min_favorites`, `min_text_length`, `top_n`, `sort`,
/// `text_column`, `embedding_model`, `umap_neighbors`, `umap_min_dist`,
/// `cluster_samples`, `cluster_min_samples`, `cluster_selection_epsilon`
/// and `import_batch_id`, in that order with values as sent (not trimmed),
/// then the switches: `--exclude_replies` and `--exclude_retweets` when
/// truthy, `--exclude_likes` unless `include_likes` is truthy or absent,
/// `--run_pipeline` when `run_pipeline` is truthy or absent, and
/// `--no-incremental-links` when `incremental_links` is falsy. `dataset`
/// is used as given; pass a slug.
std::vector<std::string> twitter_import_argv(std::string_view dataset,
                                             const std::vector<std::string>& source_args,
                                             const http::fields& form);

/// Checks a parsed extracted archive against the `x_native_extracted_v1`
/// contract. Returns "" when it holds, otherwise the message of the first
/// rule it breaks, in this order:
///
/// - the document is an object; `archive_format` is the string
///   `extracted_archive_format`;
/// - `profile` is present and not null, then an object;
/// - `tweets` and `likes` are arrays, not both empty;
/// - each tweet is an object; when it has a `tweet` key, that holds an
///   object, which is then the tweet; it has an id (`id_str`, else `id`)
///   and a text (`full_text`, else `text`);
/// - each like is an object, unwrapped from `like` the same way; it has an
///   id (`tweetId`, else `tweet_id`, `id_str`, `id`);
/// - `tweet_count`, `likes_count` and `total_count` are each an integer: a
///   JSON integer or a string of ASCII digits; an absent count is not one;
/// - the first two equal the lengths of `tweets` and `likes`, and
///   `total_count` their sum.
///
/// An id or a text is the value of the first of its keys that holds
/// something other than null, false, "" or an empty array or object; a
/// number always counts. It is missing when no key holds one, or when the
/// chosen value is text of white space only. Messages name the item by
/// index, `tweets[3] missing id_str/id`. Throws only `std::bad_alloc`.
std::string validate_extracted_payload(const boost::json::value& document);

/// Reads the upload at `path` (no more than its size when opened), parses
/// it as strict JSON (invalid UTF-8 is an error, as is nesting deeper than
/// `payload_max_depth`) and checks it with `validate_extracted_payload`.
/// Returns "" when valid; otherwise the reason: the system's message when
/// the file cannot be read, the parser's message (`error_code::message()`)
/// when it is not JSON, or the broken rule's message. Throws only
/// `std::bad_alloc`.
std::string validate_extracted_file(const std::filesystem::path& path);

/// The customisation point for checking an uploaded payload: called with
/// the path of the saved upload, it returns "" to accept it or the reason
/// to refuse it, which the route answers as a 400 `Invalid extracted
/// archive payload: {reason}`. `validate_extracted_file` is the default;
/// importers of other formats bring their own. A validator may be called
/// for several requests at once; the default keeps no state.
using payload_validator = std::function<std::string(const std::filesystem::path&)>;

/// The 400 message for a payload `reason` refused:
/// `Invalid extracted archive payload: {reason}`.
std::string invalid_payload_message(std::string_view reason);

} // namespace scopejobs

#include <scopejobs/routes/impl/twitter_import.ipp>

#endif
