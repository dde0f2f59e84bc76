import Foundation

/// How long to wait before the `attempt`-th reconnection (1-based):
/// exponential from `initial`, capped at `maximum`, with "full jitter" — a
/// uniform draw in [d/2, d] of the capped delay d, so that many clients
/// dropped at once do not come back in step.
public struct ReconnectBackoff: Sendable, Equatable {
    /// The first delay, before jitter.
    public var initial: Duration
    /// The largest delay, before jitter.
    public var maximum: Duration
    /// Growth per attempt.
    public var factor: Double

    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30), factor: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
    }

    /// The delay before attempt `attempt`, with `unit` in [0, 1) as the jitter draw.
    public func delay(attempt: Int, unit: Double) -> Duration {
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        let first = seconds(initial), cap = seconds(maximum)
        let exponent = Double(max(attempt, 1) - 1)
        let capped = min(cap, first * pow(max(factor, 1), min(exponent, 64)))
        let jittered = capped * (0.5 + 0.5 * min(max(unit, 0), 1))
        return .nanoseconds(Int64((jittered * 1e9).rounded()))
    }

    /// The delay before attempt `attempt`, drawing the jitter from `generator`.
    public func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> Duration {
        delay(attempt: attempt, unit: Double.random(in: 0..<1, using: &generator))
    }
}

/// Keeps a stream's update ids increasing: an update whose id is not above
/// the last accepted one (repeated, or out of order) is refused and counted.
/// A reconnection resets it (ids may restart after a resubscription).
public struct UpdateSequenceGuard: Sendable, Equatable {
    /// The last id accepted, nil before the first.
    public private(set) var lastAccepted: Int64?
    /// Updates refused because their id repeated the last one.
    public private(set) var repeated = 0
    /// Updates refused because their id was below the last one.
    public private(set) var outOfOrder = 0

    public init() {}

    /// Whether to take the update with id `id`.
    public mutating func accept(_ id: Int64) -> Bool {
        if let last = lastAccepted {
            if id == last { repeated += 1; return false }
            if id < last { outOfOrder += 1; return false }
        }
        lastAccepted = id
        return true
    }

    /// Forgets the last id (after a reconnection), keeping the counts.
    public mutating func reset() { lastAccepted = nil }
}

/// The exchange's clock against the local one, from updates stamped with
/// the exchange's time: each gives `local − exchange` = offset + network
/// delay, and the delay is never negative, so the smallest recent sample is
/// the best estimate of the offset (plus the least delay). Samples are kept
/// in a fixed ring, allocated once.
public struct ClockOffsetEstimator: Sendable {
    private var samples: [Int64]
    private var next = 0
    private var filled = 0

    /// Keeps the last `window` samples.
    public init(window: Int = 256) {
        samples = [Int64](repeating: 0, count: max(window, 1))
    }

    /// Records one update: its exchange time and local receive time, ns.
    public mutating func record(exchangeNanoseconds: Int64, localNanoseconds: Int64) {
        let (difference, overflow) = localNanoseconds.subtractingReportingOverflow(exchangeNanoseconds)
        guard !overflow else { return }
        samples[next] = difference
        next = (next + 1) % samples.count
        filled = min(filled + 1, samples.count)
    }

    /// `local − exchange` in ns (positive: the local clock is ahead, or the
    /// network is slow), nil before the first sample.
    public var offsetNanoseconds: Int64? {
        filled == 0 ? nil : samples[0..<filled].min()
    }
}

/// Whether a stream has gone quiet: no update for longer than `limit`.
public struct StalenessCheck: Sendable, Equatable {
    /// The longest silence that is still fresh, ns.
    public var limitNanoseconds: Int64
    public init(limitNanoseconds: Int64) { self.limitNanoseconds = limitNanoseconds }

    /// Stale when the last update (local time, ns) is older than the limit at `now`, or there was none.
    public func isStale(lastUpdateNanoseconds: Int64?, now: Int64) -> Bool {
        guard let last = lastUpdateNanoseconds else { return true }
        return now - last > limitNanoseconds
    }
}
