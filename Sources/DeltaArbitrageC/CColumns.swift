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

    /// First row with a price that is not positive and finite or a time
    /// earlier than the row above, or nil. The all-good case is one SIMD pass
    /// over the five columns (eight rows at a time, as the kernel scans), so
    /// the check costs a fraction of the backtest; a bad stretch is then
    /// searched row by row for the message.
    static func firstBadRow(_ c: BookColumns) -> Int? {
        let n = c.count
        guard n > 0, let t = c.timestamps.baseAddress, let sa = c.spotAsk.baseAddress, let sb = c.spotBid.baseAddress,
              let fa = c.futAsk.baseAddress, let fb = c.futBid.baseAddress else { return nil }
        func rowIsBad(_ i: Int) -> Bool {
            (i > 0 && t[i] < t[i - 1]) || !(positiveFinite(sa[i]) && positiveFinite(sb[i]) && positiveFinite(fa[i]) && positiveFinite(fb[i]))
        }
        if rowIsBad(0) { return 0 }
        let zero = SIMD8<Double>(repeating: 0), infinity = SIMD8<Double>(repeating: .infinity)
        func good(_ p: UnsafePointer<Double>, _ i: Int) -> SIMDMask<SIMD8<Int64>> {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Double>.self)
            return (v .> zero) .& (v .< infinity)
        }
        var i = 1
        while i + 8 <= n {
            // Blocks of 512 rows between the (rare) branches on the result.
            let end = min(i + 512, n - 7)
            var ok = SIMDMask<SIMD8<Int64>>(repeating: true)
            // Time order without 64-bit compares (absent before SSE4.2): the sign
            // bit of `now − before` says "earlier"; lanes whose signs differ (the
            // subtraction could overflow) also set it, and the exact row check runs.
            var order = SIMD8<Int64>(repeating: 0)
            var j = i
            while j < end {
                let now = UnsafeRawPointer(t + j).loadUnaligned(as: SIMD8<Int64>.self)
                let before = UnsafeRawPointer(t + j - 1).loadUnaligned(as: SIMD8<Int64>.self)
                order |= (now &- before) | (now ^ before)
                ok .&= good(sa, j) .& good(sb, j) .& good(fa, j) .& good(fb, j)
                j += 8
            }
            if !all(ok) || (order & SIMD8(repeating: Int64.min)) != SIMD8(repeating: 0) {
                for k in i..<j where rowIsBad(k) { return k }
            }
            i = j
        }
        while i < n {
            if rowIsBad(i) { return i }
            i += 1
        }
        return nil
    }

    /// True when `x` is positive and finite (false for NaN).
    @inline(__always)
    private static func positiveFinite(_ x: Double) -> Bool { x > 0 && x < .infinity }

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

    /// The columns as `MarketData` viewing the caller's buffers, not copies
    /// of them (the quantities, which no computation here reads, are left
    /// unavailable). Valid only during the exported call that received the
    /// buffers: nothing built from it outlives that call.
    func marketData() throws -> MarketData {
        try MarketData(timestamps: Column(unsafeBorrowing: columns.timestamps, owner: nil),
                       spotAskPrice: Column(unsafeBorrowing: columns.spotAsk, owner: nil),
                       spotBidPrice: Column(unsafeBorrowing: columns.spotBid, owner: nil),
                       futAskPrice: Column(unsafeBorrowing: columns.futAsk, owner: nil),
                       futBidPrice: Column(unsafeBorrowing: columns.futBid, owner: nil))
    }
}
