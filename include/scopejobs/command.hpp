#ifndef SCOPEJOBS_COMMAND_HPP
#define SCOPEJOBS_COMMAND_HPP

// Command strings: an argv rendered for people and read back. The rendering
// quotes as Python's `shlex.join` does, so that pasting the string into a
// POSIX shell runs the same argv; the reading follows Python's
// `shlex.split` in POSIX mode, which is how job files written by the
// reference are turned back into an argv. Neither is a shell: `;`, `|`,
// `$`, backticks and globs are plain characters.
//
// All functions work on bytes. Only ASCII bytes have a meaning, so UTF-8
// text (or any other bytes) passes through unchanged.

#include <scopejobs/detail/config.hpp>

#include <boost/system/error_category.hpp>

#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace scopejobs {

/// Why a command string could not be split.
enum class command_errc
{
    /// A single or double quote was opened and never closed (Python:
    /// "No closing quotation").
    unterminated_quote = 1,

    /// The string ends with a backslash that has nothing to escape, outside
    /// quotes or inside double quotes (Python: "No escaped character").
    trailing_backslash,
};

/// The category of `command_errc` values, named "scopejobs.command".
const boost::system::error_category& command_category() noexcept;

/// Makes `command_errc` values usable as `error_code`s.
error_code make_error_code(command_errc e) noexcept;

} // namespace scopejobs

namespace boost::system {

/// Lets an `error_code` be built from, and compared with, a `command_errc`.
template <>
struct is_error_code_enum<scopejobs::command_errc> : std::true_type
{};

} // namespace boost::system

namespace scopejobs {

/// One argument as a POSIX shell word, as Python's `shlex.quote` writes it:
/// `''` for the empty string; the argument itself when it holds only ASCII
/// letters, digits and `_@%+=:,./-`; otherwise the argument in single
/// quotes, each `'` in it written as `'"'"'`.
std::string quote_argument(std::string_view arg);

/// The display string of an argv, as Python's `shlex.join` writes it: each
/// argument quoted by `quote_argument`, separated by single spaces.
/// `split_command` reads it back to the same argv.
std::string join_command(std::span<const std::string> argv);

/// Splits a command string into words by the rules of Python's
/// `shlex.split` in POSIX mode, without comments:
///
/// - words are separated by runs of space, tab, CR and LF;
/// - outside quotes, a backslash makes the next byte literal and is dropped;
/// - inside single quotes every byte is literal up to the closing quote;
/// - inside double quotes a backslash escapes only `\` and `"`, and is kept
///   before any other byte;
/// - quoted and unquoted parts next to each other form one word, and an
///   empty pair of quotes is an empty word.
///
/// On failure sets `ec` to a `command_errc` and returns no words; on
/// success clears `ec`.
std::vector<std::string> split_command(std::string_view text, error_code& ec);

/// The same, throwing `boost::system::system_error` on failure.
std::vector<std::string> split_command(std::string_view text);

/// The `job_name` of a job running `argv`: its first word with every
/// occurrence of `ls-` removed, scanning once from the left as Python's
/// `str.replace` does (`ls-embed` gives `embed`, `ls-twitter-import` gives
/// `twitter-import`, `python` stays `python`). Empty for an empty argv.
std::string job_name_for(std::span<const std::string> argv);

} // namespace scopejobs

#include <scopejobs/impl/command.ipp>

#endif
