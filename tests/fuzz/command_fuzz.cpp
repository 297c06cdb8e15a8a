// Fuzzes the reading and writing of command strings: split_command, which
// turns the command of a legacy job file back into an argv, and
// join_command, which renders an argv for display.
//
// Invariants: the input read as a command string either splits, clearing
// the error, or fails with a command_errc and no words; an argv that split
// is joined to a string that splits back to the same argv; any argv (the
// input cut at NUL bytes) is joined to a string that splits back to it.

#include <scopejobs/command.hpp>

#include "check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sj = scopejobs;

// join_command, then split_command, gives `argv` back.
void check_round_trip(const std::vector<std::string>& argv)
{
    auto joined = sj::join_command(argv);
    sj::error_code ec;
    auto again = sj::split_command(joined, ec);
    SCOPEJOBS_FUZZ_CHECK(!ec);
    SCOPEJOBS_FUZZ_CHECK(again == argv);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);

    // the input as a command string
    sj::error_code ec = make_error_code(sj::command_errc::unterminated_quote);
    auto words = sj::split_command(text, ec);
    if (ec) {
        SCOPEJOBS_FUZZ_CHECK(ec.category() == sj::command_category());
        SCOPEJOBS_FUZZ_CHECK(words.empty());
    } else {
        check_round_trip(words);
    }

    // the input as an argv, one argument between NUL bytes
    std::vector<std::string> argv;
    while (!text.empty()) {
        auto nul = text.find('\0');
        argv.emplace_back(text.substr(0, nul));
        text = nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
    }
    check_round_trip(argv);
    return 0;
}
