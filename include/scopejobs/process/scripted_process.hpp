#ifndef SCOPEJOBS_PROCESS_SCRIPTED_PROCESS_HPP
#define SCOPEJOBS_PROCESS_SCRIPTED_PROCESS_HPP

// A process backend that runs no processes: each start plays a script of
// output, delays and an ending on an Asio executor, so that the runner can
// be tested deterministically and fast. It records what it was asked to do
// (the specs it started, the signals sent) for the tests to check.

#include <scopejobs/detail/config.hpp>
#include <scopejobs/detail/line_splitter.hpp>
#include <scopejobs/process.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/errc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace scopejobs {

/// One step of a script for `scripted_process`, made by one of the
/// functions below.
struct script_step
{
    /// What a step does.
    enum class kind
    {
        print,
        output,
        wait,
        exit,
        die,
        hang,
        ignore_term
    };

    kind what = kind::print;
    std::string text;                            ///< for `print` and `output`
    std::chrono::steady_clock::duration delay{}; ///< for `wait`
    int value = 0;                               ///< the code of `exit`, the signal of `die`

    /// Prints `line` and a line end, as `output(line + "\n")` does.
    static script_step print(std::string line);

    /// Prints `bytes` as they are; they go through the same line splitter
    /// as a real tool's output, so "\r", unfinished lines and invalid UTF-8
    /// come out as they would from a real tool.
    static script_step output(std::string bytes);

    /// Waits `delay` before the next step.
    static script_step wait(std::chrono::steady_clock::duration delay);

    /// Exits with `code`.
    static script_step exit(int code);

    /// Ends as if killed by `signal`: the exit is `{-1, signal}`.
    static script_step die(int signal);

    /// Prints nothing more and never exits until a signal ends it.
    static script_step hang();

    /// From here on SIGTERM is ignored; SIGKILL still ends the process.
    static script_step ignore_term();
};

/// The steps one started process plays, in order. A script that ends
/// without `exit`, `die` or `hang` exits with code 0 after its last step.
using script = std::vector<script_step>;

/// A `process_backend` that plays scripts instead of running processes.
///
/// Each `start` takes the next script: the oldest one given to `push`,
/// else the one `set_source`'s function makes from the spec, else an empty
/// script (which exits 0 at once). Steps run on the executor, each in its
/// own handler, the first after `start` has returned. A signal sent with
/// `child::signal_group` takes effect in a handler posted for it, as the
/// exit of a real process arrives later than the kill: SIGKILL, and
/// SIGTERM unless the script ignores it, end the process with exit
/// `{-1, sig}`; other signals are only recorded. The output a script
/// ended with while a line was unfinished comes out before the exit, as a
/// real tool's does when its pipe closes.
///
/// Children get fake pids counting up from 100000; the start time of each
/// is its pid plus 1000000. `alive` and `signal_group(id, sig)` know only
/// the identities a test declared with `mark_alive`: a signal to one of
/// those is recorded and makes it no longer alive.
///
/// Thread safety: `start` must be called on the thread that runs the
/// executor, and callbacks run there. Every other member, and every member
/// of `child`, may be called from any thread. The backend holds every
/// child it started, so it must not outlive the io_context of its
/// executor.
class scripted_process
{
public:
    /// A started script. Held by `shared_ptr`, by the backend as well.
    class child;

    /// Makes the script for a spec, when no pushed script is waiting.
    using script_source = std::function<script(const process_spec&)>;

    /// A backend whose scripts run on `executor`, with output lines cut
    /// at `max_line` bytes as `posix_process` cuts them.
    explicit scripted_process(boost::asio::any_io_executor executor, std::size_t max_line = 65536);

    scripted_process(const scripted_process&) = delete;
    scripted_process& operator=(const scripted_process&) = delete;

    /// The executor that `start` must be called on and scripts run on.
    boost::asio::any_io_executor get_executor() const noexcept { return executor_; }

    /// Queues `steps` for a later `start`; queued scripts go first, oldest
    /// first.
    void push(script steps);

    /// Sets the function that makes a script when none is queued.
    void set_source(script_source source);

    /// Makes the next `start` fail with `ec` and start nothing.
    void fail_next_start(error_code ec);

    /// Starts the next script (see the class). Fails only as
    /// `fail_next_start` asked; a failed start takes no script.
    std::shared_ptr<child> start(process_spec spec, process_events events, error_code& ec);

    /// True when a test marked `id` alive and no signal was sent to it yet.
    bool alive(const process_identity& id) const;

    /// Records `sig` for `id` and ends its life, when `id` is alive;
    /// `no_such_process` otherwise.
    error_code signal_group(const process_identity& id, int sig);

    /// Declares a process of an earlier server, for `alive` and
    /// `signal_group(id, sig)`.
    void mark_alive(const process_identity& id);

    /// Every spec given to `start`, failed starts included, oldest first.
    std::vector<process_spec> specs() const;

    /// Every child started, oldest first.
    std::vector<std::shared_ptr<child>> children() const;

    /// The signals sent to identities marked alive, oldest first.
    std::vector<std::pair<process_identity, int>> orphan_signals() const;

private:
    // Lets only `start` construct a child.
    struct start_key
    {
        explicit start_key() = default;
    };

    boost::asio::any_io_executor executor_;
    std::size_t max_line_;

    mutable std::mutex state_mutex_; ///< guards every member below
    std::deque<script> queued_;
    script_source source_;
    std::optional<error_code> next_failure_;
    std::int64_t next_pid_ = 100000;
    std::vector<process_spec> specs_;
    std::vector<std::shared_ptr<child>> children_;
    std::vector<process_identity> marked_alive_;
    std::vector<std::pair<process_identity, int>> orphan_signals_;
};

class scripted_process::child : public std::enable_shared_from_this<child>
{
public:
    /// A child playing `steps`; made by `scripted_process::start` only.
    child(start_key, boost::asio::any_io_executor executor, process_identity id, script steps,
          std::size_t max_line, process_events events);

    child(const child&) = delete;
    child& operator=(const child&) = delete;

    /// The fake pid and start time.
    std::optional<process_identity> identity() const { return id_; }

    /// Records `sig` and acts on it in a posted handler (see the class);
    /// nothing is recorded or done once the exit has been delivered.
    /// Always answers a clear error.
    error_code signal_group(int sig);

    /// The signals sent while the script ran, oldest first.
    std::vector<int> signals() const;

    /// True once the script has ended; its exit is delivered in the same
    /// handler.
    bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }

private:
    friend class scripted_process;

    // Runs the next step, or exits 0 after the last.
    void run_step();

    // Posts the next step.
    void next_step();

    // Feeds `bytes`, and a line end if asked, to the splitter, and
    // delivers what that completes in one `output` call.
    void print(std::string_view bytes, bool line_end);

    // A signal's effect, on the executor.
    void on_signal(int sig);

    // Delivers the unfinished line and the exit, once.
    void end(exit_status status);

    process_identity id_;
    std::atomic<bool> ended_{false};
    mutable std::mutex signals_mutex_; ///< guards signals_
    std::vector<int> signals_;

    // Used on the executor only.
    boost::asio::any_io_executor executor_;
    boost::asio::steady_timer timer_;
    script steps_;
    std::size_t next_ = 0;
    bool ignoring_term_ = false;
    detail::line_splitter splitter_;
    process_events events_;
};

static_assert(process_backend<scripted_process>);

inline script_step script_step::print(std::string line)
{
    script_step step;
    step.what = kind::print;
    step.text = std::move(line);
    return step;
}

inline script_step script_step::output(std::string bytes)
{
    script_step step;
    step.what = kind::output;
    step.text = std::move(bytes);
    return step;
}

inline script_step script_step::wait(std::chrono::steady_clock::duration delay)
{
    script_step step;
    step.what = kind::wait;
    step.delay = delay;
    return step;
}

inline script_step script_step::exit(int code)
{
    script_step step;
    step.what = kind::exit;
    step.value = code;
    return step;
}

inline script_step script_step::die(int signal)
{
    script_step step;
    step.what = kind::die;
    step.value = signal;
    return step;
}

inline script_step script_step::hang()
{
    script_step step;
    step.what = kind::hang;
    return step;
}

inline script_step script_step::ignore_term()
{
    script_step step;
    step.what = kind::ignore_term;
    return step;
}

inline scripted_process::scripted_process(boost::asio::any_io_executor executor,
                                          std::size_t max_line)
    : executor_(std::move(executor)), max_line_(max_line)
{}

inline void scripted_process::push(script steps)
{
    std::lock_guard lock(state_mutex_);
    queued_.push_back(std::move(steps));
}

inline void scripted_process::set_source(script_source source)
{
    std::lock_guard lock(state_mutex_);
    source_ = std::move(source);
}

inline void scripted_process::fail_next_start(error_code ec)
{
    std::lock_guard lock(state_mutex_);
    next_failure_ = ec;
}

inline std::shared_ptr<scripted_process::child>
scripted_process::start(process_spec spec, process_events events, error_code& ec)
{
    ec = {};
    if (!events.output)
        events.output = [](std::span<const std::string_view>) {};
    if (!events.exit)
        events.exit = [](exit_status) {};

    // the failure asked for, or the next script
    std::optional<script> steps;
    script_source source;
    {
        std::lock_guard lock(state_mutex_);
        specs_.push_back(spec);
        if (next_failure_) {
            ec = *next_failure_;
            next_failure_.reset();
            return nullptr;
        }
        if (!queued_.empty()) {
            steps = std::move(queued_.front());
            queued_.pop_front();
        }
        source = source_;
    }
    if (!steps && source)
        steps = source(spec); // called unlocked: it may use the backend
    if (!steps)
        steps.emplace();

    // the child, which starts playing once this call has returned
    std::shared_ptr<child> started;
    {
        std::lock_guard lock(state_mutex_);
        std::int64_t pid = next_pid_++;
        started =
            std::make_shared<child>(start_key(), executor_, process_identity{pid, pid + 1000000},
                                    std::move(*steps), max_line_, std::move(events));
        children_.push_back(started);
    }
    started->next_step();
    return started;
}

inline bool scripted_process::alive(const process_identity& id) const
{
    std::lock_guard lock(state_mutex_);
    return std::find(marked_alive_.begin(), marked_alive_.end(), id) != marked_alive_.end();
}

inline error_code scripted_process::signal_group(const process_identity& id, int sig)
{
    std::lock_guard lock(state_mutex_);
    auto found = std::find(marked_alive_.begin(), marked_alive_.end(), id);
    if (found == marked_alive_.end())
        return make_error_code(boost::system::errc::no_such_process);
    marked_alive_.erase(found);
    orphan_signals_.emplace_back(id, sig);
    return {};
}

inline void scripted_process::mark_alive(const process_identity& id)
{
    std::lock_guard lock(state_mutex_);
    marked_alive_.push_back(id);
}

inline std::vector<process_spec> scripted_process::specs() const
{
    std::lock_guard lock(state_mutex_);
    return specs_;
}

inline std::vector<std::shared_ptr<scripted_process::child>> scripted_process::children() const
{
    std::lock_guard lock(state_mutex_);
    return children_;
}

inline std::vector<std::pair<process_identity, int>> scripted_process::orphan_signals() const
{
    std::lock_guard lock(state_mutex_);
    return orphan_signals_;
}

inline scripted_process::child::child(start_key, boost::asio::any_io_executor executor,
                                      process_identity id, script steps, std::size_t max_line,
                                      process_events events)
    : id_(id), executor_(executor), timer_(executor), steps_(std::move(steps)), splitter_(max_line),
      events_(std::move(events))
{}

inline error_code scripted_process::child::signal_group(int sig)
{
    if (ended())
        return {};
    {
        std::lock_guard lock(signals_mutex_);
        signals_.push_back(sig);
    }
    boost::asio::post(executor_, [self = shared_from_this(), sig] { self->on_signal(sig); });
    return {};
}

inline std::vector<int> scripted_process::child::signals() const
{
    std::lock_guard lock(signals_mutex_);
    return signals_;
}

inline void scripted_process::child::next_step()
{
    boost::asio::post(executor_, [self = shared_from_this()] { self->run_step(); });
}

inline void scripted_process::child::run_step()
{
    if (ended())
        return;
    if (next_ == steps_.size()) {
        end({0, 0});
        return;
    }

    const script_step& step = steps_[next_++];
    switch (step.what) {
    case script_step::kind::print:
        print(step.text, true);
        next_step();
        break;
    case script_step::kind::output:
        print(step.text, false);
        next_step();
        break;
    case script_step::kind::wait:
        timer_.expires_after(step.delay);
        timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec)
                self->run_step();
        });
        break;
    case script_step::kind::exit:
        end({step.value, 0});
        break;
    case script_step::kind::die:
        end({-1, step.value});
        break;
    case script_step::kind::hang:
        break; // only a signal ends it now
    case script_step::kind::ignore_term:
        ignoring_term_ = true;
        next_step();
        break;
    }
}

inline void scripted_process::child::print(std::string_view bytes, bool line_end)
{
    std::vector<std::string> lines;
    splitter_.feed(bytes, lines);
    if (line_end)
        splitter_.feed("\n", lines);
    std::vector<std::string_view> views(lines.begin(), lines.end());
    events_.output(views);
}

inline void scripted_process::child::on_signal(int sig)
{
    if (ended())
        return;
    if (sig == SIGKILL || (sig == SIGTERM && !ignoring_term_))
        end({-1, sig});
}

inline void scripted_process::child::end(exit_status status)
{
    if (ended_.exchange(true, std::memory_order_acq_rel))
        return;
    timer_.cancel();

    std::vector<std::string_view> lines;
    splitter_.finish(lines);
    if (!lines.empty())
        events_.output(lines);

    // the callbacks are let go first: they may hold what holds this child
    auto exit = std::move(events_.exit);
    events_ = {};
    exit(status);
}

} // namespace scopejobs

#endif
