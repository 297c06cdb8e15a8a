// Fuzzes parse_urlencoded, the decoder of query strings and urlencoded
// forms, against a plain model of the rules its documentation states.
//
// Invariants: a successful parse gives exactly the pairs the model gives,
// each name and value UTF-8 and within the limits, no more pairs than
// allowed; a failed parse says why and leaves the output as it was; pairs
// encoded again with every byte as %XX parse back to the same pairs.

#include <scopejobs/http.hpp>

#include "check.hpp"

#include <scopejobs/detail/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace sjh = scopejobs::http;

using pair_list = std::vector<std::pair<std::string, std::string>>;

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// `+` a space, `%XX` a byte, any other `%` kept.
std::string model_decode(std::string_view text)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += char(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// Pairs split on `&`, empty ones skipped, the name up to the first `=`.
pair_list model_parse(std::string_view text)
{
    pair_list out;
    while (!text.empty()) {
        auto amp = text.find('&');
        auto piece = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
        if (piece.empty())
            continue;
        auto eq = piece.find('=');
        auto value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
        out.emplace_back(model_decode(piece.substr(0, eq)), model_decode(value));
    }
    return out;
}

std::string encode_every_byte(std::string_view text)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char byte : text) {
        out += '%';
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

pair_list pairs_of(const sjh::fields& fields)
{
    return pair_list(fields.begin(), fields.end());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    sjh::parse_limits limits;
    limits.max_fields = 16;
    limits.max_field_size = 64;

    // a parse into fields that already hold a pair
    sjh::fields out;
    out.add("before", "parse");
    std::string error;
    bool ok = sjh::parse_urlencoded(text, out, error, limits);
    auto parsed = pairs_of(out);

    if (!ok) {
        SCOPEJOBS_FUZZ_CHECK(!error.empty());
        SCOPEJOBS_FUZZ_CHECK((parsed == pair_list{{"before", "parse"}}));
        return 0;
    }

    // the pairs the rules give, after the one that was there
    parsed.erase(parsed.begin());
    SCOPEJOBS_FUZZ_CHECK(parsed == model_parse(text));
    SCOPEJOBS_FUZZ_CHECK(parsed.size() <= limits.max_fields);
    for (const auto& [name, value] : parsed) {
        SCOPEJOBS_FUZZ_CHECK(scopejobs::detail::is_utf8(name));
        SCOPEJOBS_FUZZ_CHECK(scopejobs::detail::is_utf8(value));
        SCOPEJOBS_FUZZ_CHECK(name.size() <= limits.max_field_size);
        SCOPEJOBS_FUZZ_CHECK(value.size() <= limits.max_field_size);
    }

    // encoded again, byte by byte, the pairs read back the same
    std::string again;
    for (const auto& [name, value] : parsed)
        again +=
            (again.empty() ? "" : "&") + encode_every_byte(name) + "=" + encode_every_byte(value);
    sjh::fields reread;
    SCOPEJOBS_FUZZ_CHECK(sjh::parse_urlencoded(again, reread, error, limits));
    SCOPEJOBS_FUZZ_CHECK(pairs_of(reread) == parsed);
    return 0;
}
