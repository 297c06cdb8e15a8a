#ifndef SCOPEJOBS_STORE_HPP
#define SCOPEJOBS_STORE_HPP

// The store policy: where job records and their logs live. Models:
// filesystem_store (the latent-scope layout, store/filesystem_store.hpp)
// and memory_store (store/memory_store.hpp).

#include <scopejobs/detail/config.hpp>
#include <scopejobs/job.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopejobs {

/// The requirements on a job store `S`. Every call may come from any thread
/// and concurrently with any other; a reader never sees part of a write.
///
/// - `s.write(record, sync, ec)` replaces the record `record.id` of dataset
///   `record.dataset` as a whole; with `sync` it is durable when the call
///   returns.
/// - `s.append_log(dataset, id, text, ec)` appends `text` (whole lines, each
///   ending in a newline) to the job's log.
/// - `s.read(dataset, id, ec)` answers the record, or nothing when there is
///   none (and `ec` stays clear), or nothing with `ec` set when it exists
///   but cannot be read.
/// - `s.list(dataset)` answers every readable record of the dataset, in no
///   particular order; unreadable ones are skipped (and logged).
/// - `s.datasets()` names every dataset that has job records.
/// - `s.read_log(dataset, id, offset, max, ec)` answers at most `max`
///   bytes of the job's log from byte `offset` (empty past its end), or
///   nothing when the job has no log.
///
/// Dataset names and job ids must be safe path components (see
/// `detail::is_safe_component`); a store refuses others with
/// `invalid_argument`.
template <class S>
concept job_store = requires(S& store, const job_record& record, std::string_view dataset,
                             std::string_view id, std::string_view text, bool sync, error_code& ec)
{
    {
        store.write(record, sync, ec)
        } -> std::same_as<void>;
    {
        store.append_log(dataset, id, text, ec)
        } -> std::same_as<void>;
    {
        store.read(dataset, id, ec)
        } -> std::same_as<std::optional<job_record>>;
    {
        store.list(dataset)
        } -> std::same_as<std::vector<job_record>>;
    {
        store.datasets()
        } -> std::same_as<std::vector<std::string>>;
    {
        store.read_log(dataset, id, std::uint64_t(), std::size_t(), ec)
        } -> std::same_as<std::optional<std::string>>;
};

/// A `job_store` that also answers records as text, which `/job` and
/// `/all` then serve without parsing them again. Optional: for a store
/// without these, `read_record_text` and `list_records_text` serialise
/// what `read` and `list` answer.
///
/// - `s.read_text(dataset, id, ec)` answers `job_to_text` of what `read`
///   answers, with the same `ec` and the same nothing.
/// - `s.list_text(dataset)` answers the records of `list` as one JSON
///   array: `[`, the texts joined by `, `, `]`.
template <class S>
concept job_store_with_text = job_store<S> &&
    requires(S& store, std::string_view dataset, std::string_view id, error_code& ec)
{
    {
        store.read_text(dataset, id, ec)
        } -> std::same_as<std::optional<std::string>>;
    {
        store.list_text(dataset)
        } -> std::same_as<std::string>;
};

/// The record as `job_to_text` writes it, from the store's `read_text` when
/// it has one; nothing, and `ec`, as `read` answers them.
template <job_store Store>
std::optional<std::string> read_record_text(Store& store, std::string_view dataset,
                                            std::string_view id, error_code& ec)
{
    if constexpr (job_store_with_text<Store>) {
        return store.read_text(dataset, id, ec);
    } else {
        auto record = store.read(dataset, id, ec);
        if (!record)
            return std::nullopt;
        return job_to_text(*record);
    }
}

/// Every readable record of the dataset as one JSON array, from the
/// store's `list_text` when it has one.
template <job_store Store>
std::string list_records_text(Store& store, std::string_view dataset)
{
    if constexpr (job_store_with_text<Store>) {
        return store.list_text(dataset);
    } else {
        std::string body = "[";
        for (const auto& record : store.list(dataset)) {
            if (body.size() > 1)
                body += ", ";
            body += job_to_text(record);
        }
        body += ']';
        return body;
    }
}

} // namespace scopejobs

#endif
