#ifndef SCOPEJOBS_DETAIL_STRIP_HPP
#define SCOPEJOBS_DETAIL_STRIP_HPP

#include <string_view>

namespace scopejobs::detail {

// The length of the white space character Python's str.isspace() accepts
// that starts (forward) or ends (backward) `text`, or 0. Covers ASCII
// white space, the separators U+001C..U+001F, and the Unicode spaces that
// UTF-8 encodes in two or three bytes.
inline std::size_t leading_space(std::string_view text) noexcept
{
    if (text.empty())
        return 0;
    unsigned char c = static_cast<unsigned char>(text[0]);
    if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F))
        return 1;
    if (c < 0xC2 || c > 0xE3)
        return 0;
    for (std::string_view space : {"\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\xA8",
                                   "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"})
        if (text.starts_with(space))
            return space.size();
    if (text.size() >= 3 && c == 0xE2 && static_cast<unsigned char>(text[1]) == 0x80 &&
        static_cast<unsigned char>(text[2]) >= 0x80 && static_cast<unsigned char>(text[2]) <= 0x8A)
        return 3; // U+2000..U+200A
    return 0;
}

inline std::size_t trailing_space(std::string_view text) noexcept
{
    if (text.empty())
        return 0;
    unsigned char c = static_cast<unsigned char>(text.back());
    if (c < 0x80)
        return leading_space(text.substr(text.size() - 1));
    for (std::size_t length : {2, 3})
        if (text.size() >= length && leading_space(text.substr(text.size() - length)) == length)
            return length;
    return 0;
}

/// `text` without the white space Python's `str.strip()` removes.
inline std::string_view strip(std::string_view text) noexcept
{
    while (std::size_t n = leading_space(text))
        text.remove_prefix(n);
    while (std::size_t n = trailing_space(text))
        text.remove_suffix(n);
    return text;
}

} // namespace scopejobs::detail

#endif
