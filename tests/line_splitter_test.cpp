#include <scopejobs/detail/line_splitter.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sjd = scopejobs::detail;
using lines_type = std::vector<std::string>;

// Feeds `input` in the chunks that the bits of `split` mark (bit i set:
// a chunk boundary after byte i), then finishes the stream.
lines_type split_at(std::string_view input, std::uint32_t split, std::size_t max_line = 65536)
{
    sjd::line_splitter splitter(max_line);
    lines_type lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i + 1 < input.size(); ++i) {
        if ((split >> i) & 1u) {
            splitter.feed(input.substr(start, i + 1 - start), lines);
            start = i + 1;
        }
    }
    splitter.feed(input.substr(start), lines);
    splitter.finish(lines);
    return lines;
}

// Checks that every way of cutting `input` into chunks gives `expected`.
void check_every_split(std::string_view input, const lines_type& expected,
                       std::size_t max_line = 65536)
{
    BOOST_TEST_REQUIRE(input.size() <= 16u);
    std::uint32_t splits = input.empty() ? 1u : 1u << (input.size() - 1);
    for (std::uint32_t split = 0; split < splits; ++split) {
        BOOST_TEST_CONTEXT("input \"" << input << "\", split " << split)
        {
            BOOST_TEST(split_at(input, split, max_line) == expected,
                       boost::test_tools::per_element());
        }
    }
}

// A plain model of the contract, byte by byte, for the randomised test.
lines_type reference_split(std::string_view input, std::size_t max_line)
{
    lines_type raw;
    std::string current;
    bool open = false;
    for (std::size_t i = 0; i < input.size(); ++i) {
        char c = input[i];
        if (c == '\r' || c == '\n') {
            raw.push_back(current);
            current.clear();
            open = false;
            if (c == '\r' && i + 1 < input.size() && input[i + 1] == '\n')
                ++i;
            continue;
        }
        current += c;
        open = true;
    }
    if (open)
        raw.push_back(current);

    lines_type lines;
    for (std::string_view line : raw) {
        do {
            std::size_t cut = sjd::utf8_cut(line, max_line);
            std::string piece;
            sjd::append_utf8(piece, line.substr(0, cut));
            lines.push_back(piece);
            line.remove_prefix(cut);
        } while (!line.empty());
    }
    return lines;
}

} // namespace

BOOST_AUTO_TEST_SUITE(line_splitter)

BOOST_AUTO_TEST_CASE(every_line_end_across_every_chunk_split)
{
    struct row
    {
        std::string_view input;
        lines_type expected;
    };
    const row table[] = {
        {"a\nb\n", {"a", "b"}},
        {"a\r\nb\r\n", {"a", "b"}},
        {"a\rb\r", {"a", "b"}},
        {"a\r\r\nb", {"a", "", "b"}},
        {"\n\n", {"", ""}},
        {"\r\n\r\n", {"", ""}},
        {"\n\r", {"", ""}},
        {"\r\r", {"", ""}},
        {"x\r\n\ny", {"x", "", "y"}},
        {"10%\r20%\r100%\n", {"10%", "20%", "100%"}},
        {"no end", {"no end"}},
        {"", {}},
        {"\r", {""}},
        {"a\n\rb", {"a", "", "b"}},
    };
    for (const auto& [input, expected] : table)
        check_every_split(input, expected);
}

BOOST_AUTO_TEST_CASE(lines_are_not_stripped)
{
    check_every_split(" keep  this\t \n\t\n", {" keep  this\t ", "\t"});
}

BOOST_AUTO_TEST_CASE(lines_within_one_chunk_come_in_order)
{
    sjd::line_splitter splitter;
    lines_type lines;
    splitter.feed("one\ntwo\r\nthree\rfour", lines);
    BOOST_TEST(lines == (lines_type{"one", "two", "three"}), boost::test_tools::per_element());

    splitter.feed("\n", lines);
    BOOST_TEST(lines.size() == 4u);
    BOOST_TEST(lines.back() == "four");
}

BOOST_AUTO_TEST_CASE(carriage_return_at_chunk_end_ends_the_line_at_once)
{
    sjd::line_splitter splitter;
    lines_type lines;
    splitter.feed("50%\r", lines);
    BOOST_TEST(lines == (lines_type{"50%"}), boost::test_tools::per_element());

    // the "\n" of the split "\r\n" is swallowed, a second one is a line
    splitter.feed("\n\n", lines);
    BOOST_TEST(lines == (lines_type{"50%", ""}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(empty_chunks_change_nothing)
{
    sjd::line_splitter splitter;
    lines_type lines;
    splitter.feed("a\r", lines);
    splitter.feed("", lines);
    splitter.feed("\nb", lines);
    splitter.feed("", lines);
    splitter.finish(lines);
    BOOST_TEST(lines == (lines_type{"a", "b"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(finish_delivers_the_unfinished_line_only)
{
    sjd::line_splitter splitter;
    lines_type lines;
    splitter.finish(lines);
    BOOST_TEST(lines.empty());

    splitter.feed("done\n", lines);
    splitter.finish(lines);
    BOOST_TEST(lines == (lines_type{"done"}), boost::test_tools::per_element());

    splitter.feed("tail", lines);
    splitter.finish(lines);
    splitter.finish(lines);
    BOOST_TEST(lines == (lines_type{"done", "tail"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(finish_starts_a_new_stream)
{
    // a "\r" that ended the old stream does not swallow the new "\n"
    sjd::line_splitter splitter;
    lines_type lines;
    splitter.feed("a\r", lines);
    splitter.finish(lines);
    splitter.feed("\nb\n", lines);
    BOOST_TEST(lines == (lines_type{"a", "", "b"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(long_lines_are_cut_into_pieces)
{
    check_every_split("abcdefghij\n", {"abcdefgh", "ij"}, 8);
    check_every_split("abcdefgh\n", {"abcdefgh"}, 8);
    check_every_split("abcdABCD\nx", {"abcd", "ABCD", "x"}, 4);
    check_every_split("abcdABCDz", {"abcd", "ABCD", "z"}, 4);
    check_every_split("abcdefghijklmno", {"abcdefgh", "ijklmno"}, 8);
}

BOOST_AUTO_TEST_CASE(a_cut_never_splits_a_utf8_sequence)
{
    // "é" is two bytes, "€" three, "😀" four
    check_every_split("abcdef\xC3\xA9\n", {"abcdef\xC3\xA9"}, 8);
    check_every_split("abcdefg\xC3\xA9\n", {"abcdefg", "\xC3\xA9"}, 8);
    check_every_split("abcdef\xE2\x82\xAC!", {"abcdef", "\xE2\x82\xAC!"}, 8);
    check_every_split("abcde\xF0\x9F\x98\x80xyz", {"abcde", "\xF0\x9F\x98\x80xyz"}, 8);
    check_every_split("abcd\xF0\x9F\x98\x80xyz\n", {"abcd\xF0\x9F\x98\x80", "xyz"}, 8);
}

BOOST_AUTO_TEST_CASE(a_small_bound_still_holds_any_character)
{
    sjd::line_splitter splitter(1);
    BOOST_TEST(splitter.max_line() == 4u);
    check_every_split("\xF0\x9F\x98\x80\xC3\xA9\n", {"\xF0\x9F\x98\x80", "\xC3\xA9"}, 1);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced)
{
    const std::string replacement = "\xEF\xBF\xBD";
    check_every_split("a\xFF"
                      "b\n",
                      {"a" + replacement + "b"});
    check_every_split("\xE2\x82\n", {replacement});
    check_every_split("\xC0\xAF!", {replacement + replacement + "!"});
    check_every_split("\xED\xA0\x80\n", {replacement + replacement + replacement});
    check_every_split("ok\xFF\xFE end\n", {"ok" + replacement + replacement + " end"});
}

BOOST_AUTO_TEST_CASE(a_character_split_across_chunks_is_kept)
{
    sjd::line_splitter splitter;
    lines_type lines;
    splitter.feed("caf\xC3", lines);
    splitter.feed("\xA9\n\xE2\x82", lines);
    splitter.feed("\xAC\n", lines);
    BOOST_TEST(lines == (lines_type{"caf\xC3\xA9", "\xE2\x82\xAC"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_endless_line_arrives_in_bounded_pieces)
{
    sjd::line_splitter splitter;
    lines_type lines;
    std::string chunk(1000, 'y');
    for (int i = 0; i < 200; ++i)
        splitter.feed(chunk, lines);
    splitter.finish(lines);

    std::string whole;
    for (const auto& piece : lines) {
        BOOST_TEST(piece.size() <= 65536u);
        whole += piece;
    }
    BOOST_TEST(lines.size() == 4u);
    BOOST_TEST(whole == std::string(200000, 'y'));
}

BOOST_AUTO_TEST_CASE(random_input_matches_a_plain_model)
{
    // Bytes drawn from line ends, ASCII, parts of multibyte characters and
    // invalid bytes, chunked at random: the splitter must agree with the
    // model that sees the whole input at once.
    const std::string_view alphabet[] = {
        "a",    "b",   "\r", "\n", "\r\n", "\xC3\xA9", "\xC3", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
        "\xFF", "\x80"};
    std::mt19937 random(20240601);
    for (int round = 0; round < 3000; ++round) {
        std::string input;
        std::size_t parts = random() % 40;
        for (std::size_t i = 0; i < parts; ++i)
            input += alphabet[random() % std::size(alphabet)];
        std::size_t max_line = 4 + random() % 8;

        sjd::line_splitter splitter(max_line);
        lines_type lines;
        std::size_t start = 0;
        while (start < input.size()) {
            std::size_t size = 1 + random() % 9;
            splitter.feed(std::string_view(input).substr(start, size), lines);
            start += size;
        }
        splitter.finish(lines);

        BOOST_TEST_CONTEXT("round " << round << ", max_line " << max_line)
        {
            BOOST_TEST(lines == reference_split(input, max_line), boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
