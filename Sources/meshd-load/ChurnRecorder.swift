import MeshPrimitives
import Synchronization

/// Sustained churn (S7): endpoint moves written at a fixed rate, each to another service, and for every proxy and
/// move the time from the file write until the proxy receives an EDS resource of that service holding the moved
/// address. Thread-safe; inactive (and free for the proxies) until `start`.
///
/// A move is recognised in the resource's bytes: the moved address as a `SocketAddress.address` string (tag, length,
/// then the text), in an assignment whose `cluster_name` ends in the service's host. When a service is moved again
/// before a proxy received its previous move, that earlier pair is counted as superseded, not as converged.
final class ChurnRecorder: Sendable {
    private struct Move {
        let index: Int
        let writtenAt: ContinuousClock.Instant
        let pattern: [UInt8]
    }

    private struct State {
        /// Service index → its latest move.
        var pending: [Int: Move] = [:]
        /// Proxy → service index → the index + 1 of the last move that proxy was stamped for.
        var stamped: [[Int: Int]]
        /// Per move: when it was written, and how many proxies received it.
        var writtenAt: [ContinuousClock.Instant] = []
        var received: [Int] = []
        /// Per move, the latest stamp: when the last proxy received it.
        var lastReceivedAt: [ContinuousClock.Instant?] = []
        /// Latencies in milliseconds, one bucket per millisecond; the last bucket holds everything above.
        var histogram = [Int](repeating: 0, count: ChurnRecorder.histogramMs + 1)
        var maxMs = 0.0
    }

    static let histogramMs = 120_000
    /// `SocketAddress.address` (field 2, length-delimited).
    static let addressTag: UInt8 = 0x12

    let proxies: Int
    private let active = Atomic<Bool>(false)
    private let state: Mutex<State>

    init(proxies: Int) {
        self.proxies = proxies
        state = Mutex(State(stamped: Array(repeating: [:], count: proxies)))
    }

    var isActive: Bool { active.load(ordering: .relaxed) }

    func start() { active.store(true, ordering: .relaxed) }
    func stop() { active.store(false, ordering: .relaxed) }

    /// A move of service `service`'s endpoint to `address` was written at `writtenAt`.
    func moved(service: Int, to address: String, at writtenAt: ContinuousClock.Instant) {
        let text = Array(address.utf8)
        let pattern = [Self.addressTag, UInt8(text.count)] + text
        state.withLock { state in
            let index = state.writtenAt.count
            state.writtenAt.append(writtenAt)
            state.received.append(0)
            state.lastReceivedAt.append(nil)
            state.pending[service] = Move(index: index, writtenAt: writtenAt, pattern: pattern)
        }
    }

    /// Proxy `proxy` received these EDS resources (each a serialised `ClusterLoadAssignment`).
    func received<Resources: Sequence>(proxy: Int, assignments: Resources) where Resources.Element == [UInt8] {
        guard isActive else { return }
        let now = ContinuousClock.now
        var services: [(service: Int, bytes: [UInt8])] = []
        for bytes in assignments {
            if let service = Self.service(ofAssignment: bytes) { services.append((service, bytes)) }
        }
        guard !services.isEmpty else { return }
        state.withLock { state in
            for (service, bytes) in services {
                guard let move = state.pending[service], move.writtenAt <= now,
                    state.stamped[proxy][service] != move.index + 1, Self.contains(bytes, move.pattern)
                else { continue }
                state.stamped[proxy][service] = move.index + 1
                state.received[move.index] += 1
                state.lastReceivedAt[move.index] = now
                let milliseconds = LoadScenario.seconds(now - move.writtenAt) * 1000
                state.histogram[min(Int(milliseconds), Self.histogramMs)] += 1
                state.maxMs = max(state.maxMs, milliseconds)
            }
        }
    }

    /// Proxy-move pairs still to arrive: neither received nor superseded.
    func outstanding() -> Int {
        state.withLock { state in
            state.pending.values.reduce(0) { $0 + proxies - state.received[$1.index] }
        }
    }

    /// The report's figures that the recorder knows (moves, pairs, latencies); the scenario adds the rest.
    func summary() -> LoadReport.Churn {
        state.withLock { state in
            let moves = state.writtenAt.count
            let received = state.received.reduce(0, +)
            // A move is superseded for a proxy when a later move of its service exists; only the latest move of each
            // service can still be waited for.
            let latest = Set(state.pending.values.map(\.index))
            var superseded = 0
            for index in 0..<moves where !latest.contains(index) {
                superseded += proxies - state.received[index]
            }
            func percentile(_ fraction: Double) -> Double? {
                guard received > 0 else { return nil }
                let rank = Int((Double(received) * fraction).rounded(.up))
                var seen = 0
                for (bucket, count) in state.histogram.enumerated() {
                    seen += count
                    if seen >= max(rank, 1) { return Double(bucket) + 0.5 }
                }
                return nil
            }
            func fullConvergence(_ range: Range<Int>) -> Double? {
                let times = range.compactMap { index -> Double? in
                    guard state.received[index] == proxies, let last = state.lastReceivedAt[index] else { return nil }
                    return LoadScenario.seconds(last - state.writtenAt[index]) * 1000
                }
                return times.isEmpty ? nil : times.reduce(0, +) / Double(times.count)
            }
            let tenth = max(moves / 10, 1)
            return LoadReport.Churn(
                moves: moves, received: received, expected: moves * proxies, superseded: superseded,
                p50Ms: percentile(0.5), p99Ms: percentile(0.99), maxMs: state.maxMs,
                firstTenthFullMs: moves == 0 ? nil : fullConvergence(0..<min(tenth, moves)),
                lastTenthFullMs: moves == 0 ? nil : fullConvergence(max(moves - tenth, 0)..<moves))
        }
    }

    /// The service index of an assignment for `outbound|PORT|SUBSET|svc-N.ns-K.svc.cluster.local`, from its
    /// `cluster_name` (field 1); nil for any other cluster or malformed bytes.
    static func service(ofAssignment bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            var reader = ProtobufReader(raw)
            while !reader.atEnd {
                guard let field = try? reader.field() else { return nil }
                if field.number == 1, field.wireType == 2 {
                    guard let name = try? reader.lengthDelimited() else { return nil }
                    return serviceIndex(inClusterName: name)
                }
                guard (try? reader.skip(field)) != nil else { return nil }
            }
            return nil
        }
    }

    static func serviceIndex(inClusterName name: UnsafeRawBufferPointer) -> Int? {
        guard let bar = name.lastIndex(of: UInt8(ascii: "|")) else { return nil }
        let prefix = Array("svc-".utf8)
        var index = bar + 1
        guard name.count - index > prefix.count, Array(name[index..<index + prefix.count]) == prefix else {
            return nil
        }
        index += prefix.count
        var value = 0
        var digits = 0
        while index < name.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(name[index]), digits < 9 {
            value = value * 10 + Int(name[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        guard digits > 0, index < name.count, name[index] == UInt8(ascii: ".") else { return nil }
        return value
    }

    /// Whether `pattern` occurs in `bytes`.
    static func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard let first = pattern.first, bytes.count >= pattern.count else { return false }
        var start = 0
        let last = bytes.count - pattern.count
        while start <= last {
            if bytes[start] == first, bytes[start..<start + pattern.count].elementsEqual(pattern) { return true }
            start += 1
        }
        return false
    }
}
