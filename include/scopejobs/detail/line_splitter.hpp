#ifndef SCOPEJOBS_DETAIL_LINE_SPLITTER_HPP
#define SCOPEJOBS_DETAIL_LINE_SPLITTER_HPP

// Turns the bytes a tool prints into lines, the way Python's universal
// newlines read them: a line ends at "\n", "\r\n" or a lone "\r". Every
// output byte passes through here, so the common case (a line that lies
// wholly inside one chunk) is found with memchr and delivered as a view
// into the chunk, without a copy.

#include <scopejobs/detail/utf8.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs::detail {

/// Splits a byte stream, given in chunks of any size, into lines.
///
/// Lines are delivered without their line end and otherwise unchanged,
/// except that each ill-formed UTF-8 subpart becomes U+FFFD. A "\r" that
/// ends a chunk ends its line at once; a "\n" that starts the next chunk
/// is then taken as the rest of that "\r\n". A line longer than `max_line`
/// bytes (counted before replacement) is delivered as pieces of at most
/// `max_line` bytes, each cut where no well-formed UTF-8 sequence is split;
/// the cuts are the same however the bytes were chunked. An unfinished line
/// is held until its end, but never more than `max_line` + 3 bytes of it.
///
/// Thread safety: none; one splitter serves one stream.
class line_splitter
{
public:
    /// A splitter that cuts lines longer than `max_line` bytes. Values
    /// below 4 are taken as 4, so a piece can hold any UTF-8 character.
    explicit line_splitter(std::size_t max_line = 65536);

    /// Replaces `lines` with the lines that `bytes` completes, oldest
    /// first: views into `bytes`, or into the splitter's own storage for a
    /// line that began in an earlier chunk or needed a replacement. They
    /// stay valid until the next `feed` or `finish` and while `bytes` does.
    void feed(std::string_view bytes, std::vector<std::string_view>& lines);

    /// Ends the stream: replaces `lines` with the unfinished line, if any
    /// bytes of one are held, and makes the splitter ready for a new stream.
    void finish(std::vector<std::string_view>& lines);

    /// The same, appending copies to `lines`.
    void feed(std::string_view bytes, std::vector<std::string>& lines);
    void finish(std::vector<std::string>& lines);

    /// The bound on a line, as given to the constructor (at least 4).
    std::size_t max_line() const noexcept { return max_line_; }

private:
    // Ends the line whose last bytes are `line` (its first ones may be
    // held from earlier chunks).
    void end_line(std::string_view line, std::vector<std::string_view>& lines);

    // Delivers `line`, which is complete, in pieces of at most max_line_;
    // a `stable` line lies in the caller's chunk and may be viewed.
    void deliver_line(std::string_view line, bool stable, std::vector<std::string_view>& lines);

    // Holds `tail`, the start or a further part of an unfinished line,
    // delivering the pieces of it that can already be cut.
    void hold(std::string_view tail, std::vector<std::string_view>& lines);

    // Appends one line or piece, replacing ill-formed UTF-8; copies it
    // into owned_ unless it is `stable` and well formed.
    void append_line(std::string_view text, bool stable, std::vector<std::string_view>& lines);

    // True when no byte of `text` has its high bit set.
    static bool is_ascii(std::string_view text) noexcept;

    // The length of the longest well-formed UTF-8 start of `text`.
    static std::size_t well_formed_prefix(std::string_view text) noexcept;

    std::size_t max_line_;
    std::string held_;              ///< bytes of the unfinished line
    std::deque<std::string> owned_; ///< lines of the last feed that are not views
    bool skip_lf_ = false;          ///< the last chunk ended with "\r"
};

inline line_splitter::line_splitter(std::size_t max_line)
    : max_line_(std::max<std::size_t>(max_line, 4))
{}

inline void line_splitter::feed(std::string_view bytes, std::vector<std::string_view>& lines)
{
    lines.clear();
    owned_.clear();
    if (bytes.empty())
        return;

    // the "\n" of a "\r\n" that a chunk boundary split
    if (skip_lf_) {
        skip_lf_ = false;
        if (bytes.front() == '\n')
            bytes.remove_prefix(1);
    }

    const char* pos = bytes.data();
    const char* const end = pos + bytes.size();
    auto find = [end](const char* from, char c) {
        auto found = static_cast<const char*>(std::memchr(from, c, std::size_t(end - from)));
        return found != nullptr ? found : end;
    };

    // The next "\r" and "\n" are each searched for only once the scan has
    // passed the previous one, so output without "\r" is scanned for it
    // once per chunk.
    const char* next_cr = find(pos, '\r');
    const char* next_lf = find(pos, '\n');
    for (;;) {
        const char* stop = std::min(next_cr, next_lf);
        if (stop == end)
            break;
        end_line(std::string_view(pos, std::size_t(stop - pos)), lines);
        pos = stop + 1;

        if (stop == next_cr) {
            if (pos == end)
                skip_lf_ = true;
            else if (*pos == '\n')
                ++pos;
            next_cr = find(pos, '\r');
        }
        if (next_lf < pos)
            next_lf = find(pos, '\n');
    }

    hold(std::string_view(pos, std::size_t(end - pos)), lines);
}

inline void line_splitter::finish(std::vector<std::string_view>& lines)
{
    lines.clear();
    owned_.clear();
    skip_lf_ = false;
    if (!held_.empty())
        end_line({}, lines);
}

inline void line_splitter::feed(std::string_view bytes, std::vector<std::string>& lines)
{
    std::vector<std::string_view> views;
    feed(bytes, views);
    lines.insert(lines.end(), views.begin(), views.end());
}

inline void line_splitter::finish(std::vector<std::string>& lines)
{
    std::vector<std::string_view> views;
    finish(views);
    lines.insert(lines.end(), views.begin(), views.end());
}

inline void line_splitter::end_line(std::string_view line, std::vector<std::string_view>& lines)
{
    // the common case: the line lies wholly inside this chunk
    if (held_.empty()) {
        deliver_line(line, true, lines);
        return;
    }

    // the line began in an earlier chunk
    held_.append(line);
    deliver_line(held_, false, lines);
    held_.clear();
    if (held_.capacity() > 4096)
        std::string().swap(held_); // an idle stream keeps no large buffer
}

inline void line_splitter::deliver_line(std::string_view line, bool stable,
                                        std::vector<std::string_view>& lines)
{
    while (line.size() > max_line_) {
        std::size_t cut = utf8_cut(line, max_line_);
        append_line(line.substr(0, cut), stable, lines);
        line.remove_prefix(cut);
    }
    append_line(line, stable, lines);
}

inline void line_splitter::hold(std::string_view tail, std::vector<std::string_view>& lines)
{
    // utf8_cut looks at most three bytes past the limit: with those at
    // hand, a piece is cut where the whole line would be cut.
    std::size_t enough = max_line_ + 4;

    // nothing held: cut pieces straight from the chunk
    if (held_.empty()) {
        while (tail.size() >= enough) {
            std::size_t cut = utf8_cut(tail, max_line_);
            append_line(tail.substr(0, cut), true, lines);
            tail.remove_prefix(cut);
        }
        held_.assign(tail);
        return;
    }

    // Something is held: top it up to `enough` bytes, deliver a piece and
    // keep the few bytes after the cut, so the buffer never grows past
    // `enough`.
    while (held_.size() + tail.size() >= enough) {
        std::size_t take = enough - held_.size();
        held_.append(tail.substr(0, take));
        tail.remove_prefix(take);
        std::size_t cut = utf8_cut(held_, max_line_);
        append_line(std::string_view(held_).substr(0, cut), false, lines);
        held_.erase(0, cut);
    }
    held_.append(tail);
}

inline bool line_splitter::is_ascii(std::string_view text) noexcept
{
    // no branch per byte: OR the bytes together, eight at a time
    std::uint64_t bits = 0;
    std::size_t i = 0;
    for (; text.size() - i >= 8; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, text.data() + i, 8);
        bits |= word;
    }
    for (; i < text.size(); ++i)
        bits |= static_cast<unsigned char>(text[i]);
    return (bits & 0x8080808080808080u) == 0;
}

inline std::size_t line_splitter::well_formed_prefix(std::string_view text) noexcept
{
    std::size_t i = 0;
    while (i < text.size()) {
        // ASCII runs eight bytes at a time
        if (text.size() - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, text.data() + i, 8);
            if ((word & 0x8080808080808080u) == 0) {
                i += 8;
                continue;
            }
        }
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        std::size_t bad = 0;
        std::size_t length = utf8_sequence(text.substr(i), bad);
        if (length == 0)
            return i;
        i += length;
    }
    return i;
}

inline void line_splitter::append_line(std::string_view text, bool stable,
                                       std::vector<std::string_view>& lines)
{
    std::size_t good = is_ascii(text) ? text.size() : well_formed_prefix(text);
    if (stable && good == text.size()) {
        lines.push_back(text);
        return;
    }

    auto& line = owned_.emplace_back(text.substr(0, good));
    if (good != text.size())
        append_utf8(line, text.substr(good));
    lines.push_back(line);
}

} // namespace scopejobs::detail

#endif
