// The smallest model of `scopejobs::job_store`: records and logs in maps
// under one mutex. docs/store.md shows its parts; the program writes a
// record, reads it back, and checks what a store answers for a job it
// does not have.

#include <scopejobs/detail/path.hpp>
#include <scopejobs/job.hpp>
#include <scopejobs/store.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sj = scopejobs;

//[model
/// Keeps every record and log in memory. Every member may be called from
/// any thread: one mutex guards both maps. Unsafe names are refused with
/// `invalid_argument`, as the concept asks.
class map_store
{
public:
    void write(const sj::job_record& record, bool /*sync*/, sj::error_code& ec)
    {
        ec = {};
        if (!sj::detail::check_job_names(record.dataset, record.id, ec))
            return;
        std::lock_guard lock(mutex_);
        records_[{record.dataset, record.id}] = record;
    }

    void append_log(std::string_view dataset, std::string_view id, std::string_view text,
                    sj::error_code& ec)
    {
        ec = {};
        if (!sj::detail::check_job_names(dataset, id, ec))
            return;
        std::lock_guard lock(mutex_);
        logs_[key(dataset, id)] += text;
    }

    std::optional<sj::job_record> read(std::string_view dataset, std::string_view id,
                                       sj::error_code& ec) const
    {
        ec = {};
        if (!sj::detail::check_job_names(dataset, id, ec))
            return std::nullopt;
        std::lock_guard lock(mutex_);
        auto found = records_.find(key(dataset, id));
        if (found == records_.end())
            return std::nullopt; // no such job: nothing, and no error
        return found->second;
    }

    std::vector<sj::job_record> list(std::string_view dataset) const
    {
        std::lock_guard lock(mutex_);
        std::vector<sj::job_record> out;
        for (const auto& [name, record] : records_)
            if (name.first == dataset)
                out.push_back(record);
        return out;
    }

    std::vector<std::string> datasets() const
    {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& [name, record] : records_)
            if (out.empty() || out.back() != name.first)
                out.push_back(name.first);
        return out;
    }

    std::optional<std::string> read_log(std::string_view dataset, std::string_view id,
                                        std::uint64_t offset, std::size_t max,
                                        sj::error_code& ec) const
    {
        ec = {};
        if (!sj::detail::check_job_names(dataset, id, ec))
            return std::nullopt;
        std::lock_guard lock(mutex_);
        auto found = logs_.find(key(dataset, id));
        if (found == logs_.end())
            return std::nullopt;
        const std::string& log = found->second;
        if (offset >= log.size())
            return std::string();
        return log.substr(offset, max);
    }

private:
    using name = std::pair<std::string, std::string>; // dataset, job id

    static name key(std::string_view dataset, std::string_view id)
    {
        return {std::string(dataset), std::string(id)};
    }

    mutable std::mutex mutex_;
    std::map<name, sj::job_record> records_;
    std::map<name, std::string> logs_;
};

static_assert(sj::job_store<map_store>, "map_store must model scopejobs::job_store");
//]

int main()
{
    map_store store;
    sj::error_code ec;

    // a record and a line of its log
    sj::job_record record;
    record.id = "0b7c1c53-2f4e-4c52-9a4a-3d1f0c6f1e11";
    record.dataset = "demo";
    record.job_name = "embed";
    record.command = "ls-embed demo text demo-model";
    store.write(record, false, ec);
    store.append_log("demo", record.id, "embedding: 100%\n", ec);

    // what the service asks of it
    auto back = store.read("demo", record.id, ec);
    auto absent = store.read("demo", "no-such-job", ec);
    auto log = store.read_log("demo", record.id, 11, 1 << 20, ec);
    bool ok = back == record && !absent && !ec && log == "100%\n" &&
              store.list("demo").size() == 1 &&
              store.datasets() == std::vector<std::string>{"demo"};

    // a name that would walk out of a folder is refused
    store.read("../etc", record.id, ec);
    ok = ok && ec == boost::system::errc::invalid_argument;
    std::printf("%s\n", ok ? "map_store: ok" : "map_store: FAILED");
    return ok ? 0 : 1;
}
