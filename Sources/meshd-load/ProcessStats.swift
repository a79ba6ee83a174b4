import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Resident memory and CPU time of a process, read from /proc.
struct ProcessStats: Sendable, Codable {
    var rssBytes: Int
    var peakRSSBytes: Int
    var cpuSeconds: Double

    /// nil when the process is gone or /proc is unreadable.
    static func read(pid: Int32) -> ProcessStats? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { return nil }
        func kilobytes(_ key: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        // Fields after the parenthesised command name: utime and stime are fields 14 and 15 (1-based).
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessStats(
            rssBytes: kilobytes("VmRSS") * 1024, peakRSSBytes: kilobytes("VmHWM") * 1024,
            cpuSeconds: (utime + stime) / max(ticks, 1))
    }
}

/// Raises this process's open-file limit to its hard limit (children inherit it) and says what it is.
enum FileLimit {
    @discardableResult
    static func raiseToHard() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// A sentence explaining why `proxies` connections may not fit, or nil if they do.
    static func problem(proxies: Int, limit: Int) -> String? {
        let needed = proxies + 64
        guard needed > limit else { return nil }
        return "\(proxies) proxies need about \(needed) file descriptors in meshd-load (and as many in meshd), "
            + "but RLIMIT_NOFILE is \(limit) even after raising it to the hard limit; raise the hard limit "
            + "(ulimit -Hn, or LimitNOFILE) or run fewer proxies"
    }

    /// Ephemeral ports: one source port per connection to the same server address.
    static func portProblem(proxies: Int) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else {
            return nil
        }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        let available = parts[1] - parts[0] + 1
        guard proxies > available / 2 else { return nil }
        return
            "\(proxies) connections from 127.0.0.1 to one server port use \(proxies) of \(available) ephemeral ports "
            + "(net.ipv4.ip_local_port_range \(parts[0])-\(parts[1])); reconnect rounds also leave TIME_WAIT behind"
    }
}
