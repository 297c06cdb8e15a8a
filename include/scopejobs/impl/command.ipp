#ifndef SCOPEJOBS_IMPL_COMMAND_IPP
#define SCOPEJOBS_IMPL_COMMAND_IPP

#include <boost/system/system_error.hpp>

namespace scopejobs {

namespace detail {

class command_category_impl : public boost::system::error_category
{
public:
    // A fixed identifier makes copies of the category in different shared
    // objects compare equal.
    constexpr command_category_impl() noexcept : error_category(0x8d3c'51e2'07a9'f46bULL) {}

    const char* name() const noexcept override { return "scopejobs.command"; }

    using boost::system::error_category::message;

    std::string message(int value) const override
    {
        switch (static_cast<command_errc>(value)) {
        case command_errc::unterminated_quote:
            return "quote opened but never closed";
        case command_errc::trailing_backslash:
            return "backslash at the end of the command escapes nothing";
        }
        return "unknown command string error";
    }
};

inline bool is_shell_space(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline bool is_shell_safe(char c) noexcept
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
}

// The readers of quoted parts start just past the opening quote, append
// what the part means to `word` and answer the position just past the
// closing quote, or set `ec` and answer `text.size()`.

inline std::size_t read_single_quoted(std::string_view text, std::size_t at, std::string& word,
                                      error_code& ec)
{
    std::size_t close = text.find('\'', at);
    if (close == std::string_view::npos) {
        ec = command_errc::unterminated_quote;
        return text.size();
    }
    word.append(text, at, close - at);
    return close + 1;
}

inline std::size_t read_double_quoted(std::string_view text, std::size_t at, std::string& word,
                                      error_code& ec)
{
    for (; at < text.size(); ++at) {
        char c = text[at];
        if (c == '"')
            return at + 1;
        if (c != '\\') {
            word += c;
            continue;
        }

        // a backslash: only `\` and `"` lose it
        if (at + 1 == text.size()) {
            ec = command_errc::trailing_backslash;
            return text.size();
        }
        char next = text[++at];
        if (next != '\\' && next != '"')
            word += '\\';
        word += next;
    }
    ec = command_errc::unterminated_quote;
    return text.size();
}

} // namespace detail

inline const boost::system::error_category& command_category() noexcept
{
    static const detail::command_category_impl category;
    return category;
}

inline error_code make_error_code(command_errc e) noexcept
{
    return error_code(static_cast<int>(e), command_category());
}

inline std::string quote_argument(std::string_view arg)
{
    if (arg.empty())
        return "''";
    bool safe = true;
    for (char c : arg)
        safe = safe && detail::is_shell_safe(c);
    if (safe)
        return std::string(arg);

    std::string quoted;
    quoted.reserve(arg.size() + 2);
    quoted += '\'';
    for (char c : arg) {
        if (c == '\'')
            quoted += "'\"'\"'";
        else
            quoted += c;
    }
    quoted += '\'';
    return quoted;
}

inline std::string join_command(std::span<const std::string> argv)
{
    std::string text;
    bool first = true;
    for (const auto& arg : argv) {
        if (!first)
            text += ' ';
        first = false;
        text += quote_argument(arg);
    }
    return text;
}

inline std::vector<std::string> split_command(std::string_view text, error_code& ec)
{
    ec = {};
    std::vector<std::string> words;
    std::string word;
    bool in_word = false; // true once a word has begun, even an empty one
    std::size_t at = 0;

    while (at < text.size() && !ec) {
        char c = text[at];
        if (detail::is_shell_space(c)) {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++at;
            continue;
        }

        in_word = true;
        if (c == '\'') {
            at = detail::read_single_quoted(text, at + 1, word, ec);
        } else if (c == '"') {
            at = detail::read_double_quoted(text, at + 1, word, ec);
        } else if (c != '\\') {
            word += c;
            ++at;
        } else if (at + 1 < text.size()) {
            word += text[at + 1];
            at += 2;
        } else {
            ec = command_errc::trailing_backslash;
        }
    }

    if (ec)
        return {};
    if (in_word)
        words.push_back(std::move(word));
    return words;
}

inline std::vector<std::string> split_command(std::string_view text)
{
    error_code ec;
    auto words = split_command(text, ec);
    if (ec)
        throw boost::system::system_error(ec, "split_command");
    return words;
}

inline std::string job_name_for(std::span<const std::string> argv)
{
    if (argv.empty())
        return {};
    std::string_view rest = argv.front();
    std::string name;
    name.reserve(rest.size());

    // remove each `ls-` found; what joins up after a removal is not rescanned
    for (;;) {
        std::size_t found = rest.find("ls-");
        if (found == std::string_view::npos)
            break;
        name.append(rest.substr(0, found));
        rest.remove_prefix(found + 3);
    }
    name.append(rest);
    return name;
}

} // namespace scopejobs

#endif
