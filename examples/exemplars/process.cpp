// The smallest model of `scopejobs::process_backend`: it runs nothing, and
// each job prints its own command line once and exits 0. docs/process.md
// shows its parts; the program runs one job through `basic_runner` and
// prints the final record.

#include <scopejobs/command.hpp>
#include <scopejobs/process.hpp>
#include <scopejobs/runner.hpp>
#include <scopejobs/store/memory_store.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/errc.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace asio = boost::asio;
namespace sj = scopejobs;

//[model
/// Answers every start with one output line, the argv as a shell would
/// read it, then an exit with code 0, both on its executor after `start`
/// has returned. It starts no process, so there is nothing to signal and
/// no earlier process is ever alive.
class echo_process
{
public:
    /// A started job. It has no pid, so the record gets none.
    class child
    {
    public:
        std::optional<sj::process_identity> identity() const { return std::nullopt; }

        sj::error_code signal_group(int /*sig*/) { return {}; }
    };

    explicit echo_process(asio::any_io_executor executor) : executor_(std::move(executor)) {}

    /// Called by the runner on `executor_`; the events come later, there.
    std::shared_ptr<child> start(sj::process_spec spec, sj::process_events events,
                                 sj::error_code& ec)
    {
        ec = {};
        asio::post(executor_, [line = sj::join_command(spec.argv), events = std::move(events)] {
            std::string_view lines[] = {line};
            events.output(lines);
            events.exit({.code = 0, .signal = 0});
        });
        return std::make_shared<child>();
    }

    bool alive(const sj::process_identity& /*id*/) const { return false; }

    sj::error_code signal_group(const sj::process_identity& /*id*/, int /*sig*/) const
    {
        return make_error_code(boost::system::errc::no_such_process);
    }

private:
    asio::any_io_executor executor_;
};

static_assert(sj::process_backend<echo_process>,
              "echo_process must model scopejobs::process_backend");
//]

int main()
{
    //[runner
    asio::io_context io;
    echo_process processes(io.get_executor());
    sj::memory_store store;
    sj::basic_runner<echo_process, sj::memory_store> runner(io.get_executor(), processes, store,
                                                            sj::settings{});

    runner.on_final([](const sj::job_record& record) {
        std::printf("%s %s: %s\n", record.job_name.c_str(),
                    std::string(sj::to_string(record.status)).c_str(),
                    record.progress.empty() ? "" : record.progress.back().c_str());
    });

    sj::error_code ec;
    auto id = runner.start({.dataset = "demo", .argv = {"ls-embed", "demo", "text"}}, ec);
    io.run();
    //]
    auto record = store.read("demo", id, ec);
    return record && record->status == sj::job_status::completed ? 0 : 1;
}
