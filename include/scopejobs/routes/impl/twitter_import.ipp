#ifndef SCOPEJOBS_ROUTES_IMPL_TWITTER_IMPORT_IPP
#define SCOPEJOBS_ROUTES_IMPL_TWITTER_IMPORT_IPP

#include <scopejobs/detail/config.hpp>
#include <scopejobs/detail/strip.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <system_error>

namespace scopejobs {

namespace detail::twitter {

namespace json = boost::json;

inline char ascii_lower(char c) noexcept
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

inline bool is_slug_char(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// True when `text`, trimmed, is one of `words` in any case.
inline bool is_one_of(std::string_view text, std::initializer_list<std::string_view> words)
{
    text = strip(text);
    for (std::string_view word : words) {
        if (word.size() != text.size())
            continue;
        bool same = true;
        for (std::size_t i = 0; i < word.size() && same; ++i)
            same = ascii_lower(text[i]) == word[i];
        if (same)
            return true;
    }
    return false;
}

// The fields passed on as `--KEY VALUE`, in the order the tool is given them.
inline constexpr std::string_view value_options[] = {
    "year",
    "lang",
    "min_favorites",
    "min_text_length",
    "top_n",
    "sort",
    "text_column",
    "embedding_model",
    "umap_neighbors",
    "umap_min_dist",
    "cluster_samples",
    "cluster_min_samples",
    "cluster_selection_epsilon",
    "import_batch_id",
};

// What Python's truth test calls false, less the number zero: a key
// holding one of these holds nothing, and the next key is tried.
inline bool holds_nothing(const json::value& v) noexcept
{
    switch (v.kind()) {
    case json::kind::null:
        return true;
    case json::kind::bool_:
        return !v.get_bool();
    case json::kind::string:
        return v.get_string().empty();
    case json::kind::array:
        return v.get_array().empty();
    case json::kind::object:
        return v.get_object().empty();
    default:
        return false;
    }
}

// Whether `item` has an id or a text under the first of `keys` that holds
// something; text of white space only is no id.
inline bool has_value(const json::object& item, std::initializer_list<std::string_view> keys)
{
    for (std::string_view key : keys) {
        const json::value* v = item.if_contains(key);
        if (v == nullptr || holds_nothing(*v))
            continue;
        return !v->is_string() || !strip(v->get_string()).empty();
    }
    return false;
}

inline std::string item_message(std::string_view list, std::size_t index, std::string_view rest)
{
    std::string message(list);
    message += '[';
    message += std::to_string(index);
    message += ']';
    message += rest;
    return message;
}

// The rules of one tweet or like; each gives the end of the message of
// the rule the item breaks, or "".
using item_rules = std::string_view (*)(const json::object& item);

inline std::string_view tweet_rules(const json::object& tweet)
{
    if (!has_value(tweet, {"id_str", "id"}))
        return " missing id_str/id";
    if (!has_value(tweet, {"full_text", "text"}))
        return " missing full_text/text";
    return {};
}

inline std::string_view like_rules(const json::object& like)
{
    if (!has_value(like, {"tweetId", "tweet_id", "id_str", "id"}))
        return " missing tweetId/tweet_id/id";
    return {};
}

// Checks each element of `items` (named `list` in messages): an object,
// unwrapped from `wrapper` when it has that key, that keeps `rules`.
inline std::string check_items(const json::array& items, std::string_view list,
                               std::string_view wrapper, item_rules rules)
{
    for (std::size_t i = 0; i < items.size(); ++i) {
        const json::object* item = items[i].if_object();
        if (item == nullptr)
            return item_message(list, i, " must be an object");

        if (const json::value* inner = item->if_contains(wrapper)) {
            item = inner->if_object();
            if (item == nullptr)
                return item_message(list, i, "." + std::string(wrapper) + " must be an object");
        }

        if (std::string_view rest = rules(*item); !rest.empty())
            return item_message(list, i, rest);
    }
    return {};
}

// A count as the contract allows it: a JSON integer or a string of ASCII
// digits. Nothing when it is neither; an integer that no length can equal
// (negative, or past 64 bits) is kept as the largest value.
inline std::optional<std::uint64_t> read_count(const json::object& document, std::string_view key)
{
    constexpr auto never = std::numeric_limits<std::uint64_t>::max();
    const json::value* v = document.if_contains(key);
    if (v == nullptr)
        return std::nullopt;
    if (v->is_uint64())
        return v->get_uint64();
    if (v->is_int64())
        return v->get_int64() < 0 ? never : std::uint64_t(v->get_int64());
    if (!v->is_string() || v->get_string().empty())
        return std::nullopt;

    std::uint64_t value = 0;
    for (char c : v->get_string()) {
        if (c < '0' || c > '9')
            return std::nullopt;
        unsigned digit = unsigned(c - '0');
        value = value > (never - digit) / 10 ? never : value * 10 + digit;
    }
    return value;
}

inline std::string check_counts(const json::object& document, std::size_t tweets, std::size_t likes)
{
    auto tweet_count = read_count(document, "tweet_count");
    if (!tweet_count)
        return "tweet_count must be an integer";
    auto likes_count = read_count(document, "likes_count");
    if (!likes_count)
        return "likes_count must be an integer";
    auto total_count = read_count(document, "total_count");
    if (!total_count)
        return "total_count must be an integer";

    if (*tweet_count != tweets)
        return "tweet_count does not match tweets length";
    if (*likes_count != likes)
        return "likes_count does not match likes length";
    if (*total_count != std::uint64_t(tweets) + likes)
        return "total_count must equal tweet_count + likes_count";
    return {};
}

// Reads a whole file, stopping at the size it had when opened. Returns the
// system's message when it cannot.
inline std::string read_upload(const std::filesystem::path& path, std::string& text)
{
    std::error_code size_error;
    auto size = std::filesystem::file_size(path, size_error);
    if (size_error)
        return size_error.message();

    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr)
        return std::generic_category().message(errno);
    text.resize(size);
    std::size_t got = std::fread(text.data(), 1, text.size(), file);
    bool failed = std::ferror(file) != 0;
    std::fclose(file);

    if (failed)
        return std::generic_category().message(EIO);
    text.resize(got);
    return {};
}

} // namespace detail::twitter

inline std::string dataset_slug(std::string_view raw)
{
    // one pass: kept characters are copied, any other run becomes a single
    // `-` once something follows it, so both ends come out stripped
    std::string slug;
    slug.reserve(raw.size());
    bool separated = false;
    for (char c : raw) {
        c = detail::twitter::ascii_lower(c);
        if (!detail::twitter::is_slug_char(c)) {
            separated = true;
            continue;
        }
        if (separated && !slug.empty())
            slug += '-';
        separated = false;
        slug += c;
    }
    return slug;
}

inline bool is_truthy(std::optional<std::string_view> value) noexcept
{
    return value && detail::twitter::is_one_of(*value, {"1", "true", "yes", "on"});
}

inline bool is_falsy(std::optional<std::string_view> value) noexcept
{
    return value && detail::twitter::is_one_of(*value, {"0", "false", "no", "off"});
}

inline bool is_truthy_or_absent(std::optional<std::string_view> value) noexcept
{
    return !value || is_truthy(value);
}

inline twitter_source select_twitter_source(const http::fields& form)
{
    twitter_source source;
    std::string type(detail::strip(form.find("source_type").value_or("community_json")));
    for (char& c : type)
        c = detail::twitter::ascii_lower(c);

    if (type == "community_json") {
        source.kind = twitter_source_kind::community_json;
        return source;
    }

    if (type == "community") {
        source.kind = twitter_source_kind::community;
        std::string_view username = detail::strip(form.find("username").value_or(""));
        if (username.empty())
            source.error = missing_username_message;
        else
            source.args = {"--source", "community", "--username", std::string(username)};
        return source;
    }

    if (type == "zip")
        source.error = zip_disabled_message;
    else
        source.error = "Unsupported source_type: " + type;
    return source;
}

inline std::vector<std::string> community_json_args(const std::filesystem::path& input_path)
{
    return {"--source", "community_json", "--input_path", input_path.string()};
}

inline std::vector<std::string> twitter_import_argv(std::string_view dataset,
                                                    const std::vector<std::string>& source_args,
                                                    const http::fields& form)
{
    std::vector<std::string> argv{"ls-twitter-import", std::string(dataset)};
    argv.insert(argv.end(), source_args.begin(), source_args.end());

    // options with a value, as sent
    for (std::string_view key : detail::twitter::value_options) {
        auto value = form.find(key);
        if (!value || value->empty())
            continue;
        argv.push_back("--" + std::string(key));
        argv.emplace_back(*value);
    }

    // switches
    if (is_truthy(form.find("exclude_replies")))
        argv.emplace_back("--exclude_replies");
    if (is_truthy(form.find("exclude_retweets")))
        argv.emplace_back("--exclude_retweets");
    if (!is_truthy_or_absent(form.find("include_likes")))
        argv.emplace_back("--exclude_likes");
    if (is_truthy_or_absent(form.find("run_pipeline")))
        argv.emplace_back("--run_pipeline");
    if (is_falsy(form.find("incremental_links")))
        argv.emplace_back("--no-incremental-links");
    return argv;
}

inline std::string validate_extracted_payload(const boost::json::value& document)
{
    namespace twitter = detail::twitter;

    // the envelope
    const boost::json::object* payload = document.if_object();
    if (payload == nullptr)
        return "Extracted payload must be a JSON object";
    const boost::json::value* format = payload->if_contains("archive_format");
    if (format == nullptr || !format->is_string() ||
        format->get_string() != extracted_archive_format)
        return "archive_format must be '" + std::string(extracted_archive_format) + "'";
    const boost::json::value* profile = payload->if_contains("profile");
    if (profile == nullptr || profile->is_null())
        return "Missing required field: profile";
    if (!profile->is_object())
        return "profile must be an object";

    // the two lists
    const boost::json::value* tweets = payload->if_contains("tweets");
    if (tweets == nullptr || !tweets->is_array())
        return "tweets must be an array";
    const boost::json::value* likes = payload->if_contains("likes");
    if (likes == nullptr || !likes->is_array())
        return "likes must be an array";
    if (tweets->get_array().empty() && likes->get_array().empty())
        return "Extracted payload must include at least one tweet or like";

    // their items, then the counts
    const auto& tweet_list = tweets->get_array();
    const auto& like_list = likes->get_array();
    std::string error = twitter::check_items(tweet_list, "tweets", "tweet", twitter::tweet_rules);
    if (error.empty())
        error = twitter::check_items(like_list, "likes", "like", twitter::like_rules);
    if (error.empty())
        error = twitter::check_counts(*payload, tweet_list.size(), like_list.size());
    return error;
}

inline std::string validate_extracted_file(const std::filesystem::path& path)
{
    std::string text;
    if (std::string error = detail::twitter::read_upload(path, text); !error.empty())
        return error;

    // strict JSON; the document lives only as long as this call, so its
    // memory is taken in large blocks and released at once
    boost::json::parse_options options;
    options.max_depth = payload_max_depth;
    error_code ec;
    auto document = boost::json::parse(
        text, ec, boost::json::make_shared_resource<boost::json::monotonic_resource>(), options);
    if (ec)
        return ec.message();

    return validate_extracted_payload(document);
}

inline std::string invalid_payload_message(std::string_view reason)
{
    std::string message = "Invalid extracted archive payload: ";
    message += reason;
    return message;
}

} // namespace scopejobs

#endif
