#include <scopejobs/command.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sj = scopejobs;

using argv_type = std::vector<std::string>;

struct quote_case
{
    std::string arg;
    std::string quoted;
};

// Each expected value is what Python's shlex.quote gives.
const std::vector<quote_case> quote_table = {
    {"", "''"},
    {"abc", "abc"},
    {"-x", "-x"},
    {"--prefix=", "--prefix="},
    {"--batch_size=100", "--batch_size=100"},
    {"/srv/a.csv", "/srv/a.csv"},
    {"user@host:1,2%+", "user@host:1,2%+"},
    {"a b", "'a b'"},
    {"'", "''\"'\"''"},
    {"it's", "'it'\"'\"'s'"},
    {"\"", "'\"'"},
    {"$HOME", "'$HOME'"},
    {"`date`", "'`date`'"},
    {"\\", "'\\'"},
    {"trailing\\", "'trailing\\'"},
    {"\n", "'\n'"},
    {"a\tb", "'a\tb'"},
    {"café", "'café'"},
    {"数据", "'数据'"},
    {"~", "'~'"},
    {"*", "'*'"},
    {"a;b", "'a;b'"},
    {"\177", "'\177'"},
};

struct join_case
{
    argv_type argv;
    std::string text;
};

// Each expected string is what Python's shlex.join gives for the argv.
const std::vector<join_case> join_table = {
    {{"ls-embed", "ds", "text", "m", "--prefix=", "--batch_size=100"},
     "ls-embed ds text m --prefix= --batch_size=100"},
    {{"ls-ingest", "ds2", "--path=/srv/latent-scope-data/ds2/data.csv", "--text_column=text"},
     "ls-ingest ds2 --path=/srv/latent-scope-data/ds2/data.csv --text_column=text"},
    {{""}, "''"},
    {{"a", "", "b"}, "a '' b"},
    {{"two words"}, "'two words'"},
    {{"it's"}, "'it'\"'\"'s'"},
    {{"'"}, "''\"'\"''"},
    {{"say \"hi\""}, "'say \"hi\"'"},
    {{"$HOME", "${x}"}, "'$HOME' '${x}'"},
    {{"`date`", "$(rm -rf /)"}, "'`date`' '$(rm -rf /)'"},
    {{"back\\slash"}, "'back\\slash'"},
    {{"trailing\\"}, "'trailing\\'"},
    {{"line\nbreak"}, "'line\nbreak'"},
    {{"tab\there", "cr\rlf"}, "'tab\there' 'cr\rlf'"},
    {{"café", "数据"}, "'café' '数据'"},
    {{"--prefix=", "-x", "--prefix=a b"}, "--prefix= -x '--prefix=a b'"},
    {{"a;b", "|", "&&", "#c", "*.csv", "?", "[x]"}, "'a;b' '|' '&&' '#c' '*.csv' '?' '[x]'"},
    {{"~user", "!", "a^b", "{x,y}"}, "'~user' '!' 'a^b' '{x,y}'"},
    {{"key=value,x:y@z%+/.-_"}, "key=value,x:y@z%+/.-_"},
    {{"ls-twitter-import", "ds", "--zip_path=/tmp/archive with space.zip"},
     "ls-twitter-import ds '--zip_path=/tmp/archive with space.zip'"},
    {{"python", "-c", "print('hi')"}, "python -c 'print('\"'\"'hi'\"'\"')'"},
    {{"it's \"both\" \\ here"}, "'it'\"'\"'s \"both\" \\ here'"},
    {{}, ""},
};

struct split_case
{
    std::string text;
    argv_type argv;
};

// Each expected argv is what Python's shlex.split gives for the text.
const std::vector<split_case> split_table = {
    {"a\"b c\"d", {"ab cd"}},
    {"''", {""}},
    {"\"\"", {""}},
    {"a '' b", {"a", "", "b"}},
    {"\"\" \"\"", {"", ""}},
    {"x\"\"y", {"xy"}},
    {"  lead  and   trail  ", {"lead", "and", "trail"}},
    {"a\tb\r\nc", {"a", "b", "c"}},
    {"a\013b\014c", {"a\013b\014c"}},
    {"\\$HOME \\\"x\\\"", {"$HOME", "\"x\""}},
    {"\"a\\$b\\`c\\\\d\\\"e\\nf\"", {"a\\$b\\`c\\d\"e\\nf"}},
    {"'a\\b'", {"a\\b"}},
    {"it\\'s", {"it's"}},
    {"a\\ b", {"a b"}},
    {"echo $HOME; ls | wc & #c *.txt", {"echo", "$HOME;", "ls", "|", "wc", "&", "#c", "*.txt"}},
    {"\"$(rm -rf /)\"", {"$(rm -rf /)"}},
    {"a \\\nb", {"a", "\nb"}},
    {"café \"数据\" 'ü'", {"café", "数据", "ü"}},
    {"", {}},
    {"   ", {}},
    {"'it'\"'\"'s'", {"it's"}},
    {"\"\\\"quoted\\\"\"", {"\"quoted\""}},
    {"\"\\é\"", {"\\é"}},
    {"'\"' \"'\"", {"\"", "'"}},
    {"a#b # c", {"a#b", "#", "c"}},
};

struct error_case
{
    std::string text;
    sj::command_errc error;
};

// Python's shlex.split fails on each of these with the matching message.
const std::vector<error_case> error_table = {
    {"\"abc", sj::command_errc::unterminated_quote},
    {"'abc", sj::command_errc::unterminated_quote},
    {"ls-embed \"ds", sj::command_errc::unterminated_quote},
    {"'abc\\", sj::command_errc::unterminated_quote},
    {"a \"b\\\"", sj::command_errc::unterminated_quote},
    {"a\\", sj::command_errc::trailing_backslash},
    {"\"abc\\", sj::command_errc::trailing_backslash},
    {"x \\", sj::command_errc::trailing_backslash},
};

bool python_safe(char c)
{
    constexpr std::string_view safe = "abcdefghijklmnopqrstuvwxyz"
                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_@%+=:,./-";
    return safe.find(c) != std::string_view::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(command)

BOOST_AUTO_TEST_CASE(quote_argument_matches_python_shlex_quote)
{
    for (const auto& row : quote_table) {
        BOOST_TEST_CONTEXT("argument " << row.arg)
        {
            BOOST_TEST(sj::quote_argument(row.arg) == row.quoted);
        }
    }
}

BOOST_AUTO_TEST_CASE(quote_argument_leaves_only_the_safe_ascii_bytes_bare)
{
    for (int byte = 0; byte < 256; ++byte) {
        std::string arg(1, static_cast<char>(byte));
        bool bare = sj::quote_argument(arg) == arg;
        BOOST_TEST_CONTEXT("byte " << byte)
        {
            BOOST_TEST(bare == python_safe(arg[0]));
        }
    }
}

BOOST_AUTO_TEST_CASE(join_command_matches_python_shlex_join)
{
    for (std::size_t i = 0; i < join_table.size(); ++i) {
        BOOST_TEST_CONTEXT("row " << i)
        {
            BOOST_TEST(sj::join_command(join_table[i].argv) == join_table[i].text);
        }
    }
}

BOOST_AUTO_TEST_CASE(split_command_inverts_join_command)
{
    for (std::size_t i = 0; i < join_table.size(); ++i) {
        BOOST_TEST_CONTEXT("row " << i)
        {
            const auto& argv = join_table[i].argv;
            BOOST_TEST(sj::split_command(sj::join_command(argv)) == argv);
        }
    }
}

BOOST_AUTO_TEST_CASE(split_command_inverts_join_command_for_every_byte)
{
    for (int byte = 0; byte < 256; ++byte) {
        char c = static_cast<char>(byte);
        argv_type argv = {std::string(1, c), std::string("a") + c + "b", std::string(2, c)};
        BOOST_TEST_CONTEXT("byte " << byte)
        {
            BOOST_TEST(sj::split_command(sj::join_command(argv)) == argv);
        }
    }
}

BOOST_AUTO_TEST_CASE(split_command_reads_reference_command_strings)
{
    // The reference built its commands with double quotes around values.
    argv_type embed = {"ls-embed", "ds", "text", "m", "--prefix=", "--batch_size=100"};
    BOOST_TEST(sj::split_command("ls-embed \"ds\" \"text\" \"m\" --prefix=\"\" --batch_size=100") ==
               embed);

    argv_type ingest = {"ls-ingest", "ds2", "--path=/srv/latent-scope-data/ds2/data.csv",
                        "--text_column=text"};
    BOOST_TEST(sj::split_command("ls-ingest \"ds2\" "
                                 "--path=\"/srv/latent-scope-data/ds2/data.csv\" "
                                 "--text_column=\"text\"") == ingest);
}

BOOST_AUTO_TEST_CASE(split_command_follows_posix_shlex_rules)
{
    for (const auto& row : split_table) {
        BOOST_TEST_CONTEXT("text " << row.text)
        {
            sj::error_code ec;
            BOOST_TEST(sj::split_command(row.text, ec) == row.argv);
            BOOST_TEST(!ec);
        }
    }
}

BOOST_AUTO_TEST_CASE(split_command_keeps_nul_bytes)
{
    using namespace std::string_view_literals;
    argv_type argv = {std::string("a\0b", 3), std::string("\0", 1)};
    BOOST_TEST(sj::split_command("a\0b '\0'"sv) == argv);
}

BOOST_AUTO_TEST_CASE(split_command_reports_unterminated_quote_and_trailing_backslash)
{
    for (const auto& row : error_table) {
        BOOST_TEST_CONTEXT("text " << row.text)
        {
            sj::error_code ec;
            auto words = sj::split_command(row.text, ec);
            BOOST_TEST(words.empty());
            BOOST_TEST((ec == row.error));
        }
    }
}

BOOST_AUTO_TEST_CASE(split_command_clears_a_previous_error_on_success)
{
    sj::error_code ec = sj::command_errc::unterminated_quote;
    BOOST_TEST(sj::split_command("a b", ec) == (argv_type{"a", "b"}));
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(split_command_throws_system_error_without_error_code)
{
    try {
        sj::split_command("ls-embed \"ds");
        BOOST_ERROR("no exception");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST((e.code() == sj::command_errc::unterminated_quote));
    }
    BOOST_CHECK_THROW(sj::split_command("a\\"), boost::system::system_error);
    BOOST_CHECK_NO_THROW(sj::split_command("a 'b c'"));
}

BOOST_AUTO_TEST_CASE(command_errors_have_a_named_category_and_readable_messages)
{
    sj::error_code quote = sj::command_errc::unterminated_quote;
    sj::error_code backslash = sj::command_errc::trailing_backslash;
    BOOST_TEST(std::string(quote.category().name()) == "scopejobs.command");
    BOOST_TEST(quote.message() == "quote opened but never closed");
    BOOST_TEST(backslash.message() == "backslash at the end of the command escapes nothing");
    BOOST_TEST((quote.category() == sj::command_category()));
    BOOST_TEST(quote != backslash);
    BOOST_TEST(quote.failed());
}

BOOST_AUTO_TEST_CASE(job_name_removes_every_ls_dash_from_the_first_word)
{
    struct name_case
    {
        std::string first;
        std::string name;
    };
    // Each expected name is what Python's str.replace("ls-", "") gives.
    const name_case table[] = {
        {"ls-embed", "embed"},
        {"ls-twitter-import", "twitter-import"},
        {"python", "python"},
        {"lls--", "l-"},
        {"lsls--", "ls-"},
        {"ls-ls-x", "x"},
        {"/usr/bin/ls-umap", "/usr/bin/umap"},
        {"als-b", "ab"},
        {"ls", "ls"},
        {"ls-", ""},
        {"", ""},
    };
    for (const auto& row : table) {
        BOOST_TEST_CONTEXT("first word " << row.first)
        {
            argv_type argv = {row.first, "ls-second", "--flag=ls-x"};
            BOOST_TEST(sj::job_name_for(argv) == row.name);
        }
    }
}

BOOST_AUTO_TEST_CASE(job_name_of_an_empty_argv_is_empty)
{
    BOOST_TEST(sj::job_name_for(argv_type{}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
