import DeltaArbitrage
import SpreadKernels

/// The columns a caller passed, checked: pointers present, a row count that
/// is not negative, prices positive and finite, time never going back.
struct CColumns {
    let columns: BookColumns

    /// Names of the price columns, in the order of `BookColumns`' fields.
    static let priceNames = ["spot_ask_price", "spot_bid_price", "fut_ask_price", "fut_bid_price"]

    init(rows: Int64, timestamps: UnsafePointer<Int64>?, spotAsk: UnsafePointer<Double>?, spotBid: UnsafePointer<Double>?,
         futAsk: UnsafePointer<Double>?, futBid: UnsafePointer<Double>?) throws {
        guard rows >= 0, rows <= Int64(Int.max / 8) else { throw CFailure(.invalidData, "rows = \(rows): must be 0 or more") }
        let n = Int(rows)
        func buffer<T>(_ pointer: UnsafePointer<T>?, _ name: String) throws -> UnsafeBufferPointer<T> {
            guard n > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
            guard let pointer else { throw CFailure(.invalidData, "column \(name) is NULL for \(n) rows") }
            return UnsafeBufferPointer(start: pointer, count: n)
        }
        columns = BookColumns(
            timestamps: try buffer(timestamps, "timestamp"),
            spotAsk: try buffer(spotAsk, Self.priceNames[0]), spotBid: try buffer(spotBid, Self.priceNames[1]),
            futAsk: try buffer(futAsk, Self.priceNames[2]), futBid: try buffer(futBid, Self.priceNames[3]))
        if let bad = Self.firstBadRow(columns) { throw Self.describe(row: bad, columns) }
    }

    /// Rows checked per block of the fast pass; a bad block is then searched row by row.
    private static let block = 4096

    /// First row with a price that is not positive and finite or a time
    /// earlier than the row above, or nil. The common all-good case is one
    /// branch-free pass per block (memory-bound, so the backtest's cost is not
    /// dominated by the check).
    static func firstBadRow(_ c: BookColumns) -> Int? {
        let n = c.count
        guard n > 0, let t = c.timestamps.baseAddress, let sa = c.spotAsk.baseAddress, let sb = c.spotBid.baseAddress,
              let fa = c.futAsk.baseAddress, let fb = c.futBid.baseAddress else { return nil }
        var start = 0
        while start < n {
            let end = min(start + block, n)
            var bad: UInt8 = 0
            var previous = start > 0 ? t[start - 1] : t[start]
            for i in start..<end {
                let time = t[i]
                bad |= time < previous ? 1 : 0
                previous = time
                bad |= (positiveFinite(sa[i]) & positiveFinite(sb[i]) & positiveFinite(fa[i]) & positiveFinite(fb[i])) ^ 1
            }
            if bad != 0 {
                for i in start..<end {
                    if (i > 0 && t[i] < t[i - 1])
                        || (positiveFinite(sa[i]) & positiveFinite(sb[i]) & positiveFinite(fa[i]) & positiveFinite(fb[i])) == 0 {
                        return i
                    }
                }
            }
            start = end
        }
        return nil
    }

    /// 1 when `x` is positive and finite (false for NaN), else 0.
    @inline(__always)
    private static func positiveFinite(_ x: Double) -> UInt8 { x > 0 && x < .infinity ? 1 : 0 }

    /// The error for bad row `row`: which column and why.
    static func describe(row: Int, _ c: BookColumns) -> CFailure {
        let prices = [c.spotAsk[row], c.spotBid[row], c.futAsk[row], c.futBid[row]]
        for (name, value) in zip(priceNames, prices) where !(value > 0 && value < .infinity) {
            return CFailure(.invalidData, "row \(row): \(name) is \(value); prices must be positive and finite")
        }
        let time = c.timestamps[row], previous = c.timestamps[row - 1]
        return CFailure(.invalidData, "row \(row): timestamp \(UTCTime.iso8601(nanoseconds: time)) is earlier than row \(row - 1)'s "
            + "\(UTCTime.iso8601(nanoseconds: previous)); rows must be in non-decreasing time order")
    }

    /// The columns as `MarketData` (copied; the quantities, which no
    /// computation here reads, are left unavailable).
    func marketData() throws -> MarketData {
        try MarketData(timestamps: Array(columns.timestamps), spotAskPrice: Array(columns.spotAsk),
                       spotBidPrice: Array(columns.spotBid), futAskPrice: Array(columns.futAsk),
                       futBidPrice: Array(columns.futBid))
    }
}
