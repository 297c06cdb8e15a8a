#ifndef SCOPEJOBS_REGISTRY_HPP
#define SCOPEJOBS_REGISTRY_HPP

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace scopejobs {

/// The live jobs by id, shared by the runner (which adds a job before its
/// first record is written and removes it once the final record is) and by
/// kill. Every member may be called from any thread.
template <class Job>
class job_registry
{
public:
    /// Adds `job` under `id`; false when the id is taken.
    bool insert(std::string id, std::shared_ptr<Job> job)
    {
        std::lock_guard lock(jobs_mutex_);
        return jobs_.emplace(std::move(id), std::move(job)).second;
    }

    /// The job `id`, or null when it is not live.
    std::shared_ptr<Job> find(std::string_view id) const
    {
        std::lock_guard lock(jobs_mutex_);
        auto found = jobs_.find(std::string(id));
        return found == jobs_.end() ? nullptr : found->second;
    }

    /// Removes `id`; false when it was not there.
    bool erase(std::string_view id)
    {
        std::lock_guard lock(jobs_mutex_);
        return jobs_.erase(std::string(id)) != 0;
    }

    /// Every live job at this moment.
    std::vector<std::shared_ptr<Job>> snapshot() const
    {
        std::lock_guard lock(jobs_mutex_);
        std::vector<std::shared_ptr<Job>> jobs;
        jobs.reserve(jobs_.size());
        for (const auto& entry : jobs_)
            jobs.push_back(entry.second);
        return jobs;
    }

    std::size_t size() const
    {
        std::lock_guard lock(jobs_mutex_);
        return jobs_.size();
    }

private:
    mutable std::mutex jobs_mutex_; // guards jobs_
    std::unordered_map<std::string, std::shared_ptr<Job>> jobs_;
};

} // namespace scopejobs

#endif
