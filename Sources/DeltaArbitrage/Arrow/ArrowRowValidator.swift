import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The row checks of `MarketDataCSVLoader`, applied to the rows of an Arrow
/// file after they are copied into the output columns: a value is a number
/// (null and NaN prices are errors; a null or NaN quantity means "not
/// available"), prices are positive and finite, quantities not negative,
/// time never goes back (judged against both neighbours with
/// `CSVRowValidator.isLaterOutlier`, so a far-future typo is the bad row),
/// and bid ≤ ask on each market. Arrow has no "empty field", so nothing is
/// carried forward and no row is dropped as leading.
///
/// Errors name the 0-based row (as pyarrow and pandas number rows) and the
/// column. By default the first bad row throws; with `skipBadRows` bad rows
/// are removed by compacting the columns in place and counted.
struct ArrowRowValidator {
    let file: String?
    let skipBadRows: Bool
    let maxErrors: Int
    /// Whether the all-good check may use several threads.
    let parallel: Bool
    /// Rows whose timestamp is null or out of range, in row order, with why.
    let badTimestamps: [(row: Int, detail: String)]
    private(set) var skipped = 0
    private(set) var skippedByKind: [MarketDataError.Kind: Int] = [:]
    private(set) var errors: [MarketDataError] = []

    init(file: String?, skipBadRows: Bool, maxErrors: Int, parallel: Bool, badTimestamps: [(row: Int, detail: String)]) {
        self.file = file
        self.parallel = parallel
        self.skipBadRows = skipBadRows
        self.maxErrors = maxErrors
        self.badTimestamps = badTimestamps
    }

    /// Checks rows `0..<n` of `columns`; returns how many remain (in `0..<result`).
    mutating func validate(_ columns: MarketDataOutputColumns, rows n: Int) throws(MarketDataError) -> Int {
        guard n > 0, let t = columns.timestamps.baseAddress else { return 0 }
        if badTimestamps.isEmpty && Self.allRowsGood(columns, rows: n, parallel: parallel) { return n }
        let lookahead = CSVRowValidator.lookahead
        let prices = [columns.spotAskPrice, columns.spotBidPrice, columns.futAskPrice, columns.futBidPrice]
        let quantities = [columns.spotAskQuantity, columns.spotBidQuantity, columns.futAskQuantity, columns.futBidQuantity]
        let all = prices + quantities
        let sa = columns.spotAskPrice, sb = columns.spotBidPrice, fa = columns.futAskPrice, fb = columns.futBidPrice
        let saq = columns.spotAskQuantity, sbq = columns.spotBidQuantity
        let faq = columns.futAskQuantity, fbq = columns.futBidQuantity

        var nextBad = 0
        var hasPrevious = false
        var previous: Int64 = 0
        var previousRow = 0
        var write = 0
        // Rows before `suspectUntil` have a time-order break within `lookahead`
        // rows below them; only those can be far-future outliers.
        var suspectUntil = 0
        for m in 1..<min(n, lookahead) where t[m] < t[m - 1] { suspectUntil = m }
        for read in 0..<n {
            let ahead = read + lookahead
            if ahead < n && t[ahead] < t[ahead - 1] { suspectUntil = ahead }
            var failure: MarketDataError?
            if nextBad < badTimestamps.count && badTimestamps[nextBad].row == read {
                failure = error(.invalidTimestamp, 0, read, badTimestamps[nextBad].detail)
                nextBad += 1
            } else {
                let time = t[read]
                // One test for the ordinary row; the slow path says what is wrong.
                let valuesGood = sa[read] > 0 && sa[read] < .infinity && sb[read] > 0 && sb[read] < .infinity
                    && fa[read] > 0 && fa[read] < .infinity && fb[read] > 0 && fb[read] < .infinity
                    && !(saq[read] < 0) && saq[read] != .infinity && !(sbq[read] < 0) && sbq[read] != .infinity
                    && !(faq[read] < 0) && faq[read] != .infinity && !(fbq[read] < 0) && fbq[read] != .infinity
                if !valuesGood {
                    failure = valueFailure(prices, quantities, read)
                } else if hasPrevious && time < previous {
                    failure = error(.timeWentBackwards, 0, read,
                                    "out of time order: \(UTCTime.iso8601(nanoseconds: time)) is earlier than the row above "
                                        + "(row \(previousRow): \(UTCTime.iso8601(nanoseconds: previous)))")
                } else if read < suspectUntil
                            && CSVRowValidator.isLaterOutlier(read, n: n, t, hasPrevious: hasPrevious, previous: previous) {
                    failure = error(.timeWentBackwards, 0, read,
                                    "out of time order: \(UTCTime.iso8601(nanoseconds: time)) is later than the rows below it, "
                                        + "the row below (row \(read + 1): \(UTCTime.iso8601(nanoseconds: t[read + 1]))) "
                                        + "following on from the row above")
                } else if sb[read] > sa[read] {
                    failure = error(.crossedBook, 2, read, "spot bid \(sb[read]) above ask \(sa[read])")
                } else if fb[read] > fa[read] {
                    failure = error(.crossedBook, 4, read, "futures bid \(fb[read]) above ask \(fa[read])")
                }
            }
            if let failure {
                if !skipBadRows { throw failure }
                skipped += 1
                skippedByKind[failure.kind, default: 0] += 1
                if errors.count < maxErrors { errors.append(failure) }
                continue
            }
            hasPrevious = true
            previous = t[read]
            previousRow = read
            if write != read {
                t[write] = t[read]
                for column in all { column[write] = column[read] }
            }
            write += 1
        }
        return write
    }

    /// Whether every row passes every check (the usual case), in one pass
    /// without branches that the compiler can vectorise: each price's bits
    /// in 1...0x7FEFFFFFFFFFFFFF (positive and finite), no quantity below 0
    /// or infinite, bid ≤ ask, time never going back. Only when a row fails
    /// does the row-by-row pass run to say which and why.
    static func allRowsGood(_ c: MarketDataOutputColumns, rows n: Int, parallel: Bool) -> Bool {
        let read = { (column: UnsafeMutableBufferPointer<Double>) in UnsafeBufferPointer(rebasing: column[0..<n]) }
        return allRowsGood(Columns(
            timestamps: UnsafeBufferPointer(rebasing: c.timestamps[0..<n]),
            values: [read(c.spotAskPrice), read(c.spotBidPrice), read(c.futAskPrice), read(c.futBidPrice),
                     read(c.spotAskQuantity), read(c.spotBidQuantity), read(c.futAskQuantity), read(c.futBidQuantity)]),
            parallel: parallel)
    }

    /// `allRowsGood` on market data as it is (owned or viewed columns).
    /// `releasing`: each block of rows is mapped in before it is checked
    /// and dropped from resident memory after (`MarketData.populateResidentPages`,
    /// `releaseResidentPages`), so checking a mapped file does not make all
    /// of it resident at once.
    static func allRowsGood(_ data: MarketData, parallel: Bool, releasing: Bool = false) -> Bool {
        let pages: BlockPages? = releasing
            ? BlockPages(before: { data.populateResidentPages(rows: $0) }, after: { data.releaseResidentPages(rows: $0) }) : nil
        return data.timestamps.withUnsafeBufferPointer { t in
            data.spotAskPrice.withUnsafeBufferPointer { sa in
                data.spotBidPrice.withUnsafeBufferPointer { sb in
                    data.futAskPrice.withUnsafeBufferPointer { fa in
                        data.futBidPrice.withUnsafeBufferPointer { fb in
                            data.spotAskQuantity.withUnsafeBufferPointer { saq in
                                data.spotBidQuantity.withUnsafeBufferPointer { sbq in
                                    data.futAskQuantity.withUnsafeBufferPointer { faq in
                                        data.futBidQuantity.withUnsafeBufferPointer { fbq in
                                            allRowsGood(Columns(timestamps: t, values: [sa, sb, fa, fb, saq, sbq, faq, fbq]),
                                                        parallel: parallel, pages: pages)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// What to do with each block's pages before and after it is checked.
    struct BlockPages: Sendable {
        let before: @Sendable (Range<Int>) -> Void
        let after: @Sendable (Range<Int>) -> Void
    }

    private static func allRowsGood(_ columns: Columns, parallel: Bool, pages: BlockPages? = nil) -> Bool {
        let n = columns.timestamps.count
        let blocks = parallel && n >= 1 << 18 ? min(max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1), 8) : 1
        if blocks == 1 { return rangeGood(columns, 0..<n, pages: pages) }
        let verdicts = Verdicts(count: blocks)
        DispatchQueue.concurrentPerform(iterations: blocks) { b in
            verdicts.set(b, rangeGood(columns, (n * b / blocks)..<(n * (b + 1) / blocks), pages: pages))
        }
        return verdicts.all
    }

    /// `allRowsGood` on `range`; the time check of its first row looks at
    /// the row before. `pages` is told of each block of rows before and
    /// after it is checked.
    private static func rangeGood(_ c: Columns, _ range: Range<Int>, pages: BlockPages?) -> Bool {
        let t = c.timestamps
        let sa = c.values[0], sb = c.values[1], fa = c.values[2], fb = c.values[3]
        let saq = c.values[4], sbq = c.values[5], faq = c.values[6], fbq = c.values[7]
        @inline(__always) func badPrice(_ v: Double) -> UInt64 { v.bitPattern &- 1 >= 0x7FEF_FFFF_FFFF_FFFF ? 1 : 0 }
        @inline(__always) func badQuantity(_ v: Double) -> UInt64 { (v < 0 ? 1 : 0) | (v == .infinity ? 1 : 0) }
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + 65_536, range.upperBound)
            pages?.before(start..<end)
            var bad: UInt64 = 0
            for i in start..<end {
                bad |= badPrice(sa[i]) | badPrice(sb[i]) | badPrice(fa[i]) | badPrice(fb[i])
                bad |= badQuantity(saq[i]) | badQuantity(sbq[i]) | badQuantity(faq[i]) | badQuantity(fbq[i])
                bad |= (sb[i] > sa[i] ? 1 : 0) | (fb[i] > fa[i] ? 1 : 0)
                bad |= t[i] < t[i == 0 ? 0 : i - 1] ? 1 : 0
            }
            if bad != 0 { return false }
            pages?.after(start..<end)
            start = end
        }
        return true
    }

    /// The columns, read by the checking tasks: the timestamps, then the
    /// eight value columns in `CSVColumnLayout` slot order (the four prices,
    /// then the four quantities), all of one length. `@unchecked Sendable`:
    /// nobody writes them while the tasks run.
    private struct Columns: @unchecked Sendable {
        let timestamps: UnsafeBufferPointer<Int64>
        let values: [UnsafeBufferPointer<Double>]
    }

    /// One verdict per task. `@unchecked Sendable`: each slot is written by one
    /// task, read after `concurrentPerform` returns. Fixed storage, not an
    /// array: `Array.withUnsafeMutableBufferPointer` moves the array's buffer
    /// out and back while it runs, which concurrent writers would race on.
    private final class Verdicts: @unchecked Sendable {
        private let slots: UnsafeMutableBufferPointer<Bool>
        init(count: Int) {
            slots = .allocate(capacity: max(count, 1))
            slots.initialize(repeating: false)
        }
        deinit { slots.deallocate() }
        func set(_ index: Int, _ value: Bool) { slots[index] = value }
        var all: Bool { slots.allSatisfy { $0 } }
    }

    /// Why row `row`'s prices or quantities are bad (the first bad column).
    @inline(never)
    private func valueFailure(_ prices: [UnsafeMutableBufferPointer<Double>],
                              _ quantities: [UnsafeMutableBufferPointer<Double>], _ row: Int) -> MarketDataError {
        for (k, column) in prices.enumerated() {
            let v = column[row]
            if v.isNaN { return error(.invalidNumber, k + 1, row, "no price (null or NaN)") }
            if v.isInfinite { return error(.invalidNumber, k + 1, row, "price \(v) is not finite") }
            if v <= 0 { return error(.nonPositivePrice, k + 1, row, "price \(v) is not positive") }
        }
        for (k, column) in quantities.enumerated() {
            let v = column[row]
            if v.isInfinite { return error(.invalidNumber, k + 5, row, "quantity \(v) is not finite") }
            if v < 0 { return error(.negativeQuantity, k + 5, row, "quantity \(v) is negative") }
        }
        return error(.invalidNumber, 0, row, "bad value")
    }

    @inline(never)
    private func error(_ kind: MarketDataError.Kind, _ slot: Int, _ row: Int, _ detail: String) -> MarketDataError {
        MarketDataError(kind: kind, file: file, column: CSVColumnLayout.slotNames[slot], detail: "row \(row): " + detail)
    }
}
