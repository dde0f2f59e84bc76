import Dispatch

/// Wall-clock timing with the monotonic clock.
enum Stopwatch {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Runs `body` once and returns its result and the seconds it took.
    static func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = now()
        let value = try body()
        return (value, Double(now() - start) / 1e9)
    }

    /// Best (minimum) of `repetitions` timed runs: the figure least disturbed
    /// by the other processes of a shared machine.
    static func best<T>(of repetitions: Int, _ body: () throws -> T) rethrows -> (T, Double) {
        var (value, best) = try time(body)
        for _ in 1..<max(1, repetitions) {
            let (next, seconds) = try time(body)
            value = next
            best = min(best, seconds)
        }
        return (value, best)
    }
}
