/// Timestamp text to nanoseconds since the Unix epoch (UTC), exactly, using
/// integer arithmetic only (a `Double` cannot hold today's epoch in
/// nanoseconds).
///
/// Two notations are accepted:
///
/// * ISO-8601: `YYYY-MM-DD`, optionally followed by `T`, `t` or a space and
///   `HH:MM:SS`, an optional fraction (`.` or `,`, 1 to 9 digits) and an
///   optional zone: `Z`, `z`, `±HH:MM`, `±HHMM` or `±HH`. No zone means UTC.
///   A date alone means midnight UTC. Leap seconds (`:60`) are rejected.
/// * An epoch number `[-]digits[.digits]`, its unit told apart by the
///   magnitude of the integer part: below 10^11 seconds, below 10^14
///   milliseconds, below 10^17 microseconds, otherwise nanoseconds. (10^11 s
///   is the year 5138, 10^14 ms the year 5138 again, and so on: no plausible
///   market time is ambiguous.) A fraction may carry digits down to the
///   nanosecond (9 for seconds, 6 for ms, 3 for µs, none for ns); further
///   non-zero digits are rejected rather than rounded.
///
/// Results outside the `Int64` nanosecond range (years 1678–2262) are rejected.
enum TimestampParser {
    /// The last ISO date seen and its day number: consecutive ticks share
    /// their date, so the calendar arithmetic runs once a day, not once a row.
    struct DateCache {
        var text: (UInt64, UInt16) = (0, 0)
        var days = 0
        var valid = false
    }

    /// Parses `count` bytes at `start`; nil when the text is not a valid timestamp.
    @inline(__always)
    static func parse(_ start: UnsafePointer<UInt8>, count n: Int, cache: inout DateCache) -> Int64? {
        if n >= 10 && start[4] == UInt8(ascii: "-") {
            return parseISO(start, count: n, cache: &cache)
        }
        return parseEpoch(start, count: n)
    }

    /// Parses `count` bytes at `start` without a date cache.
    static func parse(_ start: UnsafePointer<UInt8>, count n: Int) -> Int64? {
        var cache = DateCache()
        return parse(start, count: n, cache: &cache)
    }

    @inline(__always)
    private static func digit(_ p: UnsafePointer<UInt8>, _ i: Int) -> Int? {
        let d = p[i] &- UInt8(ascii: "0")
        return d <= 9 ? Int(d) : nil
    }

    @inline(__always)
    private static func twoDigits(_ p: UnsafePointer<UInt8>, _ i: Int) -> Int? {
        guard let a = digit(p, i), let b = digit(p, i + 1) else { return nil }
        return a * 10 + b
    }

    static func parseISO(_ p: UnsafePointer<UInt8>, count n: Int, cache: inout DateCache) -> Int64? {
        let raw = UnsafeRawPointer(p)
        let dateText = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        let days: Int
        if cache.valid && cache.text == dateText {
            days = cache.days
        } else {
            guard let y1 = twoDigits(p, 0), let y2 = twoDigits(p, 2), p[7] == UInt8(ascii: "-"),
                  let month = twoDigits(p, 5), let day = twoDigits(p, 8)
            else { return nil }
            let year = y1 * 100 + y2
            guard month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
            days = UTCTime.daysFromCivil(year: year, month: month, day: day)
            cache = DateCache(text: dateText, days: days, valid: true)
        }

        var hour = 0, minute = 0, second = 0
        var fractionNanos: Int64 = 0
        var offsetSeconds = 0
        var i = 10
        if i < n {
            let separator = p[10]
            guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " "),
                  n >= 19, let h = twoDigits(p, 11), p[13] == UInt8(ascii: ":"),
                  let m = twoDigits(p, 14), p[16] == UInt8(ascii: ":"), let s = twoDigits(p, 17),
                  h <= 23, m <= 59, s <= 59
            else { return nil }
            hour = h; minute = m; second = s
            i = 19
            if i < n && (p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: ",")) {
                i += 1
                var digits = 0
                while i < n, let d = digit(p, i) {
                    digits += 1
                    if digits > 9 { return nil }
                    fractionNanos = fractionNanos * 10 + Int64(d)
                    i += 1
                }
                if digits == 0 { return nil }
                for _ in digits..<9 { fractionNanos *= 10 }
            }
            if i < n {
                let zone = p[i]
                if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
                    i += 1
                } else if zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-") {
                    guard i + 3 <= n, let oh = twoDigits(p, i + 1), oh <= 23 else { return nil }
                    i += 3
                    var om = 0
                    if i < n {
                        if p[i] == UInt8(ascii: ":") { i += 1 }
                        guard i + 2 <= n, let mm = twoDigits(p, i), mm <= 59 else { return nil }
                        om = mm
                        i += 2
                    }
                    offsetSeconds = (oh * 3600 + om * 60) * (zone == UInt8(ascii: "-") ? -1 : 1)
                } else {
                    return nil
                }
            }
            if i != n { return nil }
        }
        // Local time minus its offset from UTC gives UTC.
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let scaled = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if scaled.overflow { return nil }
        let total = scaled.partialValue.addingReportingOverflow(fractionNanos)
        return total.overflow ? nil : total.partialValue
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func parseEpoch(_ p: UnsafePointer<UInt8>, count n: Int) -> Int64? {
        var i = 0
        var negative = false
        if n > 0 && p[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        var integer: UInt64 = 0
        var integerDigits = 0
        while i < n, let d = digit(p, i) {
            integerDigits += 1
            if integerDigits > 19 { return nil }
            integer = integer * 10 + UInt64(d)
            i += 1
        }
        // Fraction digits are kept as text positions until the unit is known.
        var fractionStart = n, fractionEnd = n
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            fractionStart = i
            while i < n, digit(p, i) != nil { i += 1 }
            fractionEnd = i
        }
        let fractionDigits = fractionEnd - fractionStart
        if i != n || (integerDigits == 0 && fractionDigits == 0) { return nil }

        let scale: Int64, maxFractionDigits: Int
        switch integer {
        case ..<100_000_000_000: scale = 1_000_000_000; maxFractionDigits = 9
        case ..<100_000_000_000_000: scale = 1_000_000; maxFractionDigits = 6
        case ..<100_000_000_000_000_000: scale = 1_000; maxFractionDigits = 3
        default: scale = 1; maxFractionDigits = 0
        }
        guard integer <= UInt64(Int64.max) else { return nil }
        var fraction: Int64 = 0
        for k in 0..<maxFractionDigits {
            let d = k < fractionDigits ? Int64(p[fractionStart + k] &- UInt8(ascii: "0")) : 0
            fraction = fraction * 10 + d
        }
        if fractionDigits > maxFractionDigits {
            for k in (fractionStart + maxFractionDigits)..<fractionEnd where p[k] != UInt8(ascii: "0") {
                return nil
            }
        }
        let scaled = Int64(integer).multipliedReportingOverflow(by: scale)
        if scaled.overflow { return nil }
        let total = scaled.partialValue.addingReportingOverflow(fraction)
        if total.overflow { return nil }
        return negative ? -total.partialValue : total.partialValue
    }

    /// Convenience for tests and non-hot callers.
    static func parse(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return nil }
            return parse(base, count: bytes.count)
        }
    }
}
