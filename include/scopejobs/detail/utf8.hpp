#ifndef SCOPEJOBS_DETAIL_UTF8_HPP
#define SCOPEJOBS_DETAIL_UTF8_HPP

// UTF-8 checks shared by the output reader and the record writer. Output
// from tools is bytes; records are JSON, which must be valid UTF-8.

#include <cstddef>
#include <string>
#include <string_view>

namespace scopejobs::detail {

/// The length of the well-formed UTF-8 sequence at the start of `text`, or
/// 0 when it starts with an ill-formed one. For ill-formed input `bad` is
/// set to the length of the maximal ill-formed subpart (at least 1), which
/// is what one U+FFFD replaces, as Python's `errors="replace"` does.
inline std::size_t utf8_sequence(std::string_view text, std::size_t& bad) noexcept
{
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(0);
    if (lead < 0x80)
        return 1;

    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF; // range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            low = 0xA0;
        if (lead == 0xED)
            high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            low = 0x90;
        if (lead == 0xF4)
            high = 0x8F;
    } else {
        bad = 1;
        return 0;
    }

    for (std::size_t i = 1; i < length; ++i) {
        bool in_range = i < text.size() && byte(i) >= (i == 1 ? low : 0x80) &&
                        byte(i) <= (i == 1 ? high : 0xBF);
        if (!in_range) {
            bad = i;
            return 0;
        }
    }
    return length;
}

/// Appends `text` to `out`, each ill-formed subpart replaced by U+FFFD.
inline void append_utf8(std::string& out, std::string_view text)
{
    std::size_t start = 0, i = 0;
    while (i < text.size()) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        std::size_t bad = 0;
        std::size_t length = utf8_sequence(text.substr(i), bad);
        if (length != 0) {
            i += length;
            continue;
        }
        out.append(text, start, i - start);
        out.append("\xEF\xBF\xBD");
        i += bad;
        start = i;
    }
    out.append(text, start, text.size() - start);
}

/// True when `text` is well-formed UTF-8.
inline bool is_utf8(std::string_view text) noexcept
{
    for (std::size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        std::size_t bad = 0;
        std::size_t length = utf8_sequence(text.substr(i), bad);
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

/// The largest cut `n <= limit` such that `text.substr(0, n)` does not end
/// inside a UTF-8 sequence that continues past it. Backs up over at most
/// three continuation bytes; ill-formed bytes never hold a cut back.
inline std::size_t utf8_cut(std::string_view text, std::size_t limit) noexcept
{
    if (limit >= text.size())
        return text.size();
    std::size_t cut = limit;
    for (std::size_t back = 0; back < 3 && cut > 0; ++back) {
        if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80)
            break; // text[cut] starts a sequence or is ASCII
        --cut;
    }
    // text[cut] is now a candidate lead byte; keep the cut at `limit` unless
    // the sequence it leads really crosses the limit.
    std::size_t bad = 0;
    std::size_t length = utf8_sequence(text.substr(cut), bad);
    if (length != 0 && cut + length > limit && cut > 0)
        return cut;
    return limit;
}

} // namespace scopejobs::detail

#endif
