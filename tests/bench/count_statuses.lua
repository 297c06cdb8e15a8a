-- Counts wrk's responses by status, and prints the counts once the run
-- ends: `status CODE COUNT`, then `errors connect read write timeout`.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    statuses = {}
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            total[status] = (total[status] or 0) + count
        end
    end
    for status, count in pairs(total) do
        io.write(string.format("status %d %d\n", status, count))
    end
    local e = summary.errors
    io.write(string.format("errors %d %d %d %d\n", e.connect, e.read, e.write, e.timeout))
end
