#ifndef SCOPEJOBS_IMPL_RUNNER_HPP
#define SCOPEJOBS_IMPL_RUNNER_HPP

#include <scopejobs/command.hpp>
#include <scopejobs/detail/path.hpp>
#include <scopejobs/detail/remove.hpp>
#include <scopejobs/detail/strip.hpp>
#include <scopejobs/detail/uuid.hpp>
#include <scopejobs/markers.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>

#include <csignal>
#include <cstdio>

extern char** environ;

namespace scopejobs {
namespace detail {

/// One job while it is live. `record` and `child` are guarded by
/// `record_mutex`; everything else belongs to the runner's executor.
template <class Child>
struct live_job
{
    explicit live_job(const boost::asio::any_io_executor& executor)
        : write_timer(executor), inactivity_timer(executor), stop_timer(executor)
    {}

    mutable std::mutex record_mutex; // guards record and child
    job_record record;
    std::shared_ptr<Child> child;

    std::vector<std::filesystem::path> cleanup;
    timestamp_formatter stamp;
    std::string log_buffer;
    boost::asio::steady_timer write_timer, inactivity_timer, stop_timer;
    std::chrono::steady_clock::time_point last_write{}, last_output{};
    bool write_pending = false;
    bool stopping = false;
    bool exited = false;
    bool store_failed = false;      // logged once
    bool last_write_failed = false; // the newest record is not on disk
    unsigned final_retries = 0;     // writes of the final record tried again
};

// Sets NAME=value in an environment list, replacing an earlier NAME.
inline void set_variable(std::vector<std::string>& environment, std::string_view name,
                         std::string_view value)
{
    std::string entry = std::string(name) + "=" + std::string(value);
    for (auto& variable : environment)
        if (variable.size() > name.size() && variable.compare(0, name.size(), name) == 0 &&
            variable[name.size()] == '=') {
            variable = std::move(entry);
            return;
        }
    environment.push_back(std::move(entry));
}

inline std::string seconds_text(std::chrono::milliseconds duration)
{
    char text[32];
    if (duration.count() % 1000 == 0)
        std::snprintf(text, sizeof text, "%lld", static_cast<long long>(duration.count() / 1000));
    else
        std::snprintf(text, sizeof text, "%g", double(duration.count()) / 1000.0);
    return text;
}

// "3f2a1b9c embed" names a job in log lines.
inline std::string job_label(const job_record& record)
{
    return "job " + record.id.substr(0, 8) + " " + record.job_name;
}

} // namespace detail

template <process_backend Process, job_store Store>
basic_runner<Process, Store>::basic_runner(executor_type executor, Process& process, Store& store,
                                           settings config)
    : executor_(std::move(executor)), process_(process), store_(store), settings_(std::move(config))
{
    // the tools' environment: the server's own, then what they need
    for (char** variable = environ; variable != nullptr && *variable != nullptr; ++variable)
        environment_.emplace_back(*variable);
    detail::set_variable(environment_, "PYTHONUNBUFFERED", "1");
    std::error_code ignored;
    auto data = std::filesystem::absolute(settings_.data_dir, ignored);
    detail::set_variable(environment_, "LATENT_SCOPE_DATA", data.string());
    if (!settings_.tools_dir.empty()) {
        const char* path = std::getenv("PATH");
        auto tools = std::filesystem::absolute(settings_.tools_dir, ignored).string();
        detail::set_variable(environment_, "PATH", path && *path ? tools + ":" + path : tools);
    }
    for (const auto& variable : settings_.environment) {
        auto equals = variable.find('=');
        if (equals != std::string::npos && equals > 0)
            detail::set_variable(environment_, std::string_view(variable).substr(0, equals),
                                 std::string_view(variable).substr(equals + 1));
    }
}

template <process_backend Process, job_store Store>
auto basic_runner<Process, Store>::make_job(launch& what, error_code& ec) -> job_ptr
{
    ec = {};
    if (stopping_) {
        ec = make_error_code(boost::system::errc::operation_canceled);
        return nullptr;
    }
    if (!detail::is_safe_component(what.dataset) || what.argv.empty()) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return nullptr;
    }

    // the first record, written before anything runs
    auto j = std::make_shared<job>(executor_);
    auto& record = j->record;
    record.id = what.id.empty() ? detail::random_uuid() : std::move(what.id);
    record.dataset = std::move(what.dataset);
    record.job_name = what.job_name.empty() ? job_name_for(what.argv) : std::move(what.job_name);
    record.command = what.command.empty() ? join_command(what.argv) : std::move(what.command);
    record.argv = std::move(what.argv);
    record.last_update = python_timestamp(settings_.clock());
    j->cleanup = std::move(what.cleanup);

    if (!detail::is_safe_component(record.id) || !jobs_.insert(record.id, j)) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return nullptr;
    }
    {
        std::lock_guard lock(j->record_mutex);
        store_.write(record, settings_.durable, ec);
    }
    if (ec) {
        jobs_.erase(record.id);
        settings_.log(log_level::error,
                      detail::job_label(record) + ": cannot write its record: " + ec.message());
        return nullptr;
    }
    ++started_;
    return j;
}

template <process_backend Process, job_store Store>
std::string basic_runner<Process, Store>::start(launch what, error_code& ec)
{
    auto j = make_job(what, ec);
    if (!j)
        return {};
    boost::asio::post(executor_, [this, j] { spawn(j); });
    return j->record.id;
}

template <process_backend Process, job_store Store>
std::string basic_runner<Process, Store>::start_task(launch what, executor_type worker,
                                                     std::function<task_result()> work,
                                                     error_code& ec)
{
    auto j = make_job(what, ec);
    if (!j)
        return {};
    boost::asio::post(worker, [this, j, work = std::move(work)] {
        task_result result;
        try {
            result = work();
        } catch (const std::exception& failure) {
            result.lines.emplace_back(failure.what());
            result.ok = false;
        }
        boost::asio::post(executor_, [this, j, result = std::move(result)]() mutable {
            end_task(j, std::move(result));
        });
    });
    return j->record.id;
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::end_task(const job_ptr& j, task_result result)
{
    j->exited = true;
    {
        std::lock_guard lock(j->record_mutex);
        std::string stamp = j->stamp(settings_.clock());
        for (const auto& line : result.lines)
            add_line(*j, line, stamp);
        if (j->record.status == job_status::running)
            j->record.status = result.ok ? job_status::completed : job_status::error;
        j->record.last_update = stamp;
    }
    flush_log(*j);
    {
        std::lock_guard lock(j->record_mutex);
        persist(*j, true);
    }
    settings_.log(log_level::info,
                  detail::job_label(j->record) + ": " + std::string(to_string(j->record.status)));
    finish(j);
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::spawn(const job_ptr& j)
{
    process_spec spec;
    bool settled = false;
    {
        std::lock_guard lock(j->record_mutex);
        settled = is_final(j->record.status); // killed or stopped before it ran
        spec.argv = j->record.argv;
    }
    if (settled) {
        finish(j);
        return;
    }
    spec.environment = environment_;

    process_events events;
    events.output = [this, j](std::span<const std::string_view> lines) { on_output(j, lines); };
    events.exit = [this, j](exit_status status) { on_exit(j, status); };

    error_code ec;
    auto child = process_.start(std::move(spec), std::move(events), ec);
    if (!child) {
        fail_start(j, ec ? ec : make_error_code(boost::system::errc::io_error));
        return;
    }

    // record who runs it, so that a later server can find the process
    bool killed = false;
    {
        std::lock_guard lock(j->record_mutex);
        j->child = child;
        if (auto identity = child->identity()) {
            j->record.pid = identity->pid;
            j->record.pid_start = identity->start_time;
        }
        killed = j->record.status == job_status::dead;
        persist(*j, false);
    }
    if (killed) // a kill that came while the tool was starting
        child->signal_group(SIGKILL);

    j->last_output = std::chrono::steady_clock::now();
    arm_inactivity(j);
    settings_.log(log_level::info, detail::job_label(j->record) + ": started (pid " +
                                       std::to_string(j->record.pid.value_or(0)) + ")");
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::on_output(const job_ptr& j,
                                             std::span<const std::string_view> lines)
{
    if (j->exited)
        return;
    j->last_output = std::chrono::steady_clock::now();
    if (lines.empty())
        return;

    // lines the cap would drop before this batch ends go to the log only,
    // and so do lines read after a kill, a timeout or a shutdown decided the
    // job: its record ends with what happened
    std::size_t cap = settings_.progress_cap;
    std::size_t first_kept = cap != 0 && lines.size() > cap ? lines.size() - cap : 0;

    std::string stamp = j->stamp(settings_.clock());
    bool decided = false;
    {
        std::lock_guard lock(j->record_mutex);
        decided = j->record.status != job_status::running;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            std::string_view text = detail::strip(lines[i]);
            if (!decided) {
                apply_markers(j->record, text);
                if (i >= first_kept)
                    record_line(*j, text, stamp);
            }
            log_line(*j, text);
        }
        if (!decided)
            j->record.last_update = stamp;
    }

    if (j->log_buffer.size() >= settings_.log_buffer_limit)
        flush_log(*j);
    if (!decided)
        schedule_write(j);
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::add_line(job& j, std::string_view text, const std::string& stamp)
{
    record_line(j, text, stamp);
    log_line(j, text);
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::record_line(job& j, std::string_view text,
                                               std::string_view stamp)
{
    // At the cap, the oldest line's string takes the new text: streaming
    // then allocates nothing per line.
    auto push = [cap = settings_.progress_cap](std::deque<std::string>& lines,
                                               std::string_view value) {
        if (cap == 0 || lines.size() < cap) {
            lines.emplace_back(value);
            return;
        }
        std::string recycled = std::move(lines.front());
        lines.pop_front();
        recycled.assign(value);
        lines.push_back(std::move(recycled));
        while (lines.size() > cap)
            lines.pop_front();
    };
    push(j.record.progress, text);
    push(j.record.times, stamp);
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::log_line(job& j, std::string_view text)
{
    j.log_buffer.append(text);
    j.log_buffer += '\n';
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::schedule_write(const job_ptr& j)
{
    if (j->write_pending)
        return;
    auto due = j->last_write + settings_.write_interval;
    if (std::chrono::steady_clock::now() >= due) {
        write_now(j);
        return;
    }
    j->write_pending = true;
    j->write_timer.expires_at(due);
    j->write_timer.async_wait([this, j](const error_code& ec) {
        j->write_pending = false;
        if (!ec && !j->exited)
            write_now(j);
    });
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::write_now(const job_ptr& j)
{
    flush_log(*j);
    std::lock_guard lock(j->record_mutex);
    persist(*j, false);
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::persist(job& j, bool status_change)
{
    // the caller holds j.record_mutex
    error_code ec;
    store_.write(j.record, status_change && settings_.durable, ec);
    j.last_write = std::chrono::steady_clock::now();
    j.last_write_failed = bool(ec);
    ++record_writes_;
    if (ec && !j.store_failed) {
        j.store_failed = true;
        settings_.log(log_level::error,
                      detail::job_label(j.record) + ": cannot write its record: " + ec.message());
    }
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::flush_log(job& j)
{
    // only the executor touches the log buffer; the ids never change
    if (j.log_buffer.empty())
        return;
    error_code ec;
    store_.append_log(j.record.dataset, j.record.id, j.log_buffer, ec);
    j.log_buffer.clear();
    ++log_writes_;
    if (ec && !j.store_failed) {
        j.store_failed = true;
        settings_.log(log_level::error,
                      detail::job_label(j.record) + ": cannot append to its log: " + ec.message());
    }
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::arm_inactivity(const job_ptr& j)
{
    if (settings_.inactivity_timeout.count() <= 0)
        return;
    j->inactivity_timer.expires_at(j->last_output + settings_.inactivity_timeout);
    j->inactivity_timer.async_wait([this, j](const error_code& ec) {
        if (ec || j->exited || j->stopping)
            return;
        // output since the timer was armed moved the deadline on
        if (std::chrono::steady_clock::now() - j->last_output < settings_.inactivity_timeout) {
            arm_inactivity(j);
            return;
        }
        on_timeout(j);
    });
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::on_timeout(const job_ptr& j)
{
    auto seconds = detail::seconds_text(settings_.inactivity_timeout);
    {
        std::lock_guard lock(j->record_mutex);
        if (j->record.status == job_status::running) {
            std::string stamp = j->stamp(settings_.clock());
            add_line(*j, "Timeout: No output for more than " + seconds + " seconds.", stamp);
            j->record.status = job_status::error;
            j->record.last_update = stamp;
        }
    }
    flush_log(*j);
    {
        std::lock_guard lock(j->record_mutex);
        persist(*j, true);
    }
    settings_.log(log_level::warning,
                  detail::job_label(j->record) + ": no output for " + seconds + " s, stopping it");
    stop_group(j);
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::stop_group(const job_ptr& j)
{
    if (j->stopping || j->exited || !j->child)
        return;
    j->stopping = true;
    j->child->signal_group(SIGTERM);
    j->stop_timer.expires_after(settings_.stop_grace);
    j->stop_timer.async_wait([j](const error_code& ec) {
        if (!ec && !j->exited)
            j->child->signal_group(SIGKILL);
    });
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::on_exit(const job_ptr& j, exit_status status)
{
    j->exited = true;
    j->write_timer.cancel();
    j->inactivity_timer.cancel();
    j->stop_timer.cancel();

    // the outcome, unless a kill or a timeout decided it already
    {
        std::lock_guard lock(j->record_mutex);
        auto& record = j->record;
        record.exit_code = status.signal != 0 ? -status.signal : status.code;
        if (status.signal != 0)
            record.signal = status.signal;
        if (record.status == job_status::running)
            record.status =
                status.code == 0 && status.signal == 0 ? job_status::completed : job_status::error;
    }

    auto lines = clean_up(*j);
    {
        std::lock_guard lock(j->record_mutex);
        std::string stamp = j->stamp(settings_.clock());
        for (const auto& line : lines)
            add_line(*j, line, stamp);
        j->record.last_update = stamp;
    }
    flush_log(*j);
    {
        std::lock_guard lock(j->record_mutex);
        persist(*j, true);
    }

    auto how = status.signal != 0 ? "killed by signal " + std::to_string(status.signal)
                                  : "exited " + std::to_string(status.code);
    settings_.log(log_level::info, detail::job_label(j->record) + ": " + how + ", " +
                                       std::string(to_string(j->record.status)));
    finish(j);
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::fail_start(const job_ptr& j, const error_code& ec)
{
    std::string reason = j->record.argv.front() + ": " + ec.message();
    {
        std::lock_guard lock(j->record_mutex);
        std::string stamp = j->stamp(settings_.clock());
        add_line(*j, "Failed to start process: " + reason, stamp);
        if (j->record.status == job_status::running)
            j->record.status = job_status::error;
        j->record.last_update = stamp;
    }
    flush_log(*j);
    {
        std::lock_guard lock(j->record_mutex);
        persist(*j, true);
    }
    settings_.log(log_level::error, detail::job_label(j->record) + ": cannot start " + reason);
    finish(j);
}

template <process_backend Process, job_store Store>
std::vector<std::string> basic_runner<Process, Store>::clean_up(const job& j)
{
    std::vector<std::string> lines;
    if (j.cleanup.empty())
        return lines;

    auto root = settings_.data_dir / j.record.dataset;
    std::vector<std::string> errors;
    for (const auto& path : j.cleanup) {
        error_code ec;
        detail::remove_inside(root, path, ec);
        if (ec)
            errors.push_back(path.string() + ": " + ec.message());
    }
    if (errors.empty()) {
        lines.emplace_back("Cleaned up temporary upload files.");
        return lines;
    }
    lines.emplace_back("Cleanup errors:");
    lines.insert(lines.end(), errors.begin(), errors.end());
    return lines;
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::finish(const job_ptr& j)
{
    job_record final_record;
    {
        std::lock_guard lock(j->record_mutex);
        j->child.reset();
        final_record = j->record;
    }
    jobs_.erase(final_record.id);
    ++finished_;
    if (j->last_write_failed)
        retry_final(j);
    if (on_final_)
        on_final_(final_record);
    check_idle();
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::retry_final(const job_ptr& j)
{
    // a full disk may free up: try again, waiting twice as long each time
    // (from the write interval up to a minute); a shutdown tries once more
    retrying_.push_back(j);
    using std::chrono::milliseconds;
    auto first = std::max(settings_.write_interval, milliseconds(10));
    auto wait = std::min<milliseconds>(first * (1 << std::min(j->final_retries, 12u)),
                                       std::chrono::minutes(1));
    j->write_timer.expires_after(wait);
    j->write_timer.async_wait([this, j](const error_code& waited) {
        std::erase(retrying_, j);
        ++j->final_retries;
        {
            std::lock_guard lock(j->record_mutex);
            error_code ec;
            store_.write(j->record, settings_.durable, ec);
            ++record_writes_;
            j->last_write_failed = bool(ec);
            // a record over the file size limit keeps its newest lines
            if (ec == boost::system::errc::file_too_large && j->record.progress.size() > 1) {
                auto drop = std::ptrdiff_t(j->record.progress.size() / 2);
                j->record.progress.erase(j->record.progress.begin(),
                                         j->record.progress.begin() + drop);
                if (std::ptrdiff_t(j->record.times.size()) >= drop)
                    j->record.times.erase(j->record.times.begin(), j->record.times.begin() + drop);
            }
        }
        auto label = detail::job_label(j->record);
        if (!j->last_write_failed) {
            settings_.log(log_level::info, label + ": final record written after " +
                                               std::to_string(j->final_retries) + " retries");
        } else if (waited == boost::asio::error::operation_aborted || stopping_) {
            settings_.log(log_level::error,
                          label + ": final record still not written at shutdown; the next "
                                  "start marks it error");
        } else {
            retry_final(j);
            return;
        }
        check_idle();
    });
}

template <process_backend Process, job_store Store>
std::optional<job_record> basic_runner<Process, Store>::kill(std::string_view dataset,
                                                             std::string_view id, error_code& ec)
{
    ec = {};
    if (!detail::is_safe_component(dataset) || !detail::is_safe_component(id)) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return std::nullopt;
    }

    // a live job: its group is killed and the record says so at once
    if (auto j = jobs_.find(id); j && j->record.dataset == dataset) {
        std::shared_ptr<child_type> child;
        job_record answer;
        bool killed = false;
        {
            std::lock_guard lock(j->record_mutex);
            if (j->record.status == job_status::running) {
                j->record.status = job_status::dead;
                j->record.cause_of_death = "killed";
                j->record.last_update = python_timestamp(settings_.clock());
                persist(*j, true);
                killed = true;
            }
            child = j->child;
            answer = j->record;
        }
        if (killed) {
            if (child)
                child->signal_group(SIGKILL);
            settings_.log(log_level::info, detail::job_label(answer) + ": killed");
        }
        return answer;
    }

    // no live job: the record alone tells
    auto record = store_.read(dataset, id, ec);
    if (!record || record->status != job_status::running)
        return record;
    record->status = job_status::dead;
    record->cause_of_death = "process not found, presumed dead";
    record->last_update = python_timestamp(settings_.clock());
    store_.write(*record, settings_.durable, ec);
    return record;
}

template <process_backend Process, job_store Store>
std::optional<job_record> basic_runner<Process, Store>::live_record(std::string_view id) const
{
    auto j = jobs_.find(id);
    if (!j)
        return std::nullopt;
    std::lock_guard lock(j->record_mutex);
    return j->record;
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::reconcile(std::function<void()> done)
{
    boost::asio::post(executor_, [this, done = std::move(done)]() mutable {
        auto pending = std::make_shared<std::size_t>(1);
        auto settled = std::make_shared<std::function<void()>>([pending, done] {
            if (--*pending == 0 && done)
                done();
        });

        for (const auto& dataset : store_.datasets()) {
            for (auto& record : store_.list(dataset)) {
                if (record.status != job_status::running || jobs_.find(record.id))
                    continue;
                process_identity identity{record.pid.value_or(0), record.pid_start.value_or(0)};
                bool alive = record.pid && record.pid_start && process_.alive(identity);
                if (!alive) {
                    mark_orphan(std::move(record),
                                "server restarted while job was running; marked as dead");
                    continue;
                }
                ++*pending;
                auto stop = std::make_shared<orphan_stop>(std::move(record), identity, executor_);
                stop->deadline = std::chrono::steady_clock::now() + settings_.stop_grace;
                process_.signal_group(identity, SIGTERM);
                settle_orphan(stop, settled);
            }
        }
        (*settled)();
    });
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::settle_orphan(std::shared_ptr<orphan_stop> stop,
                                                 std::shared_ptr<std::function<void()>> settled)
{
    // polled: the orphan is not our child, so its exit cannot be awaited
    auto now = std::chrono::steady_clock::now();
    bool gone = !process_.alive(stop->identity);
    if (gone || (stop->forced && now >= stop->deadline)) {
        if (!gone)
            settings_.log(log_level::error, detail::job_label(stop->record) +
                                                ": its orphaned process survived SIGKILL");
        mark_orphan(std::move(stop->record),
                    "server restarted while job was running; stopped the orphaned process");
        (*settled)();
        return;
    }
    if (now >= stop->deadline) {
        process_.signal_group(stop->identity, SIGKILL);
        stop->forced = true;
        stop->deadline = now + settings_.stop_grace;
    }
    stop->timer.expires_after(std::chrono::milliseconds(20));
    stop->timer.async_wait(
        [this, stop, settled](const error_code&) { settle_orphan(stop, settled); });
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::mark_orphan(job_record record, std::string_view line)
{
    // a record from an earlier server keeps every line it had
    std::string stamp = python_timestamp(settings_.clock());
    record.progress.emplace_back(line);
    record.times.push_back(stamp);
    record.status = job_status::error;
    record.last_update = stamp;

    error_code ec;
    store_.write(record, settings_.durable, ec);
    if (!ec)
        store_.append_log(record.dataset, record.id, std::string(line) + "\n", ec);
    settings_.log(ec ? log_level::error : log_level::warning,
                  detail::job_label(record) + ": " + std::string(line) +
                      (ec ? " (cannot write its record: " + ec.message() + ")" : ""));
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::shutdown(std::function<void()> done)
{
    stopping_ = true;
    boost::asio::post(executor_, [this, done = std::move(done)]() mutable {
        on_idle_ = std::move(done);
        for (const auto& j : retrying_)
            j->write_timer.cancel(); // each tries once more, now
        for (const auto& j : jobs_.snapshot()) {
            bool stopped = false;
            {
                std::lock_guard lock(j->record_mutex);
                if (j->record.status == job_status::running) {
                    std::string stamp = j->stamp(settings_.clock());
                    add_line(*j, "server stopped while job was running", stamp);
                    j->record.status = job_status::error;
                    j->record.last_update = stamp;
                    stopped = true;
                }
            }
            if (stopped) {
                flush_log(*j);
                std::lock_guard lock(j->record_mutex);
                persist(*j, true);
            }
            stop_group(j);
        }
        check_idle();
    });
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::check_idle()
{
    if (!stopping_ || !on_idle_ || jobs_.size() != 0 || !retrying_.empty())
        return;
    auto done = std::move(on_idle_);
    on_idle_ = nullptr;
    done();
}

template <process_backend Process, job_store Store>
void basic_runner<Process, Store>::on_final(std::function<void(const job_record&)> handler)
{
    on_final_ = std::move(handler);
}

template <process_backend Process, job_store Store>
runner_counters basic_runner<Process, Store>::counters() const
{
    return {started_.load(), finished_.load(), record_writes_.load(), log_writes_.load()};
}

} // namespace scopejobs

#endif
