/// An open hedge: long spot bought at the ask, short futures sold at the bid.
public struct OpenPosition: Sendable, Hashable {
    /// Row at which the position was opened.
    public var entryIndex: Int
    /// Entry time, nanoseconds since the Unix epoch.
    public var entryTime: Int64
    /// Spot ask paid at entry (`A`).
    public var entrySpotAsk: Double
    /// Futures bid received at entry (`B`).
    public var entryFutBid: Double

    /// A position opened at row `entryIndex`, time `entryTime` (nanoseconds since
    /// the Unix epoch), paying `entrySpotAsk` and receiving `entryFutBid`.
    public init(entryIndex: Int, entryTime: Int64, entrySpotAsk: Double, entryFutBid: Double) {
        self.entryIndex = entryIndex
        self.entryTime = entryTime
        self.entrySpotAsk = entrySpotAsk
        self.entryFutBid = entryFutBid
    }
}

/// The seed backtest's state machine over column buffers.
///
/// The scan alternates between two first-passage searches: while flat, the
/// first row whose entry cost is below the entry threshold; while in a
/// position, the first later row that reaches the profit target or the hold
/// limit. Both searches evaluate `SpreadFormulas` eight rows at a time in SIMD
/// registers and fall back to `TradeDecision` (the code the live strategy runs
/// on every tick) only to locate the first
/// qualifying lane, so the decisions are those of the row-by-row loop.
public enum BacktestKernel {
    /// Runs the backtest over `rows` of `columns`, starting in `position`
    /// (nil = flat), appending every closed trade to `trades`.
    ///
    /// - Returns: the position still open after the last row of `rows`, if any.
    ///   Passing it to a call over the following rows continues the same state
    ///   machine, which is how the walk-forward changes thresholds between
    ///   intervals without breaking a position.
    @discardableResult
    public static func run(
        _ columns: BookColumns, rule: BacktestRule, rows: Range<Int>,
        from position: OpenPosition? = nil, trades: inout [TradeIndices]
    ) -> OpenPosition? {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= columns.count, "rows out of range")
        let cutoff = SpreadFormulas.timeoutCutoffNanoseconds(maxHours: rule.maxHours)
        var open = position
        var row = rows.lowerBound
        let end = rows.upperBound
        while row < end {
            if let held = open {
                guard let (exitRow, reason) = firstExit(columns, held, rule: rule, cutoff: cutoff, from: row, to: end)
                else { return held }
                trades.append(TradeIndices(entryIndex: held.entryIndex, exitIndex: exitRow, reason: reason))
                open = nil
                row = exitRow + 1  // the closing row never opens a position
            } else {
                guard let entryRow = firstEntry(columns, threshold: rule.entryThresholdPct, from: row, to: end)
                else { return nil }
                open = OpenPosition(
                    entryIndex: entryRow, entryTime: columns.timestamps[entryRow],
                    entrySpotAsk: columns.spotAsk[entryRow], entryFutBid: columns.futBid[entryRow])
                row = entryRow + 1
            }
        }
        return open
    }

    /// Convenience: the whole series from flat.
    public static func run(_ columns: BookColumns, rule: BacktestRule) -> (trades: [TradeIndices], open: OpenPosition?) {
        var trades: [TradeIndices] = []
        let open = run(columns, rule: rule, rows: 0..<columns.count, trades: &trades)
        return (trades, open)
    }

    /// First row in `from..<to` with `entryCostPct < threshold`.
    ///
    /// - Precondition: `0 ≤ from` and `to ≤ c.count` (the scan reads through raw pointers).
    @inlinable
    public static func firstEntry(_ c: BookColumns, threshold: Double, from: Int, to: Int) -> Int? {
        precondition(from >= 0 && to <= c.count, "firstEntry: rows \(from)..<\(to) outside 0..<\(c.count)")
        guard from < to, let ask = c.spotAsk.baseAddress, let bid = c.futBid.baseAddress else { return nil }
        var i = from
        let hundred = SIMD8<Double>(repeating: 100)
        while i + 8 <= to {
            let a = UnsafeRawPointer(ask + i).loadUnaligned(as: SIMD8<Double>.self)
            let b = UnsafeRawPointer(bid + i).loadUnaligned(as: SIMD8<Double>.self)
            let cost = (a - b) / a * hundred
            if any(cost .< threshold) { break }
            i += 8
        }
        while i < to {
            if TradeDecision.opens(spotAsk: ask[i], futBid: bid[i], entryThresholdPct: threshold) { return i }
            i += 1
        }
        return nil
    }

    /// First row in `from..<to` at which `held` reaches the profit target
    /// (checked first) or the hold limit of `cutoff` nanoseconds.
    ///
    /// - Precondition: `0 ≤ from` and `to ≤ c.count` (the scan reads through raw pointers).
    @inlinable
    public static func firstExit(
        _ c: BookColumns, _ held: OpenPosition, rule: BacktestRule, cutoff: Int64, from: Int, to: Int
    ) -> (Int, ExitReason)? {
        precondition(from >= 0 && to <= c.count, "firstExit: rows \(from)..<\(to) outside 0..<\(c.count)")
        guard from < to, let sbid = c.spotBid.baseAddress, let fask = c.futAsk.baseAddress,
            let time = c.timestamps.baseAddress
        else { return nil }
        let entrySpotCost = SpreadFormulas.entrySpotCost(spotAsk: held.entrySpotAsk, spotFee: rule.spotFee)
        let entryFutReceive = SpreadFormulas.entryFutReceive(futBid: held.entryFutBid, futFee: rule.futFee)
        let target = rule.exitThresholdPct
        var i = from
        let sellFactor = SIMD8<Double>(repeating: 1 - rule.spotFee)
        let buyFactor = SIMD8<Double>(repeating: 1 + rule.futFee)
        let cost = SIMD8<Double>(repeating: entrySpotCost)
        let receive = SIMD8<Double>(repeating: entryFutReceive)
        let hundred = SIMD8<Double>(repeating: 100)
        let entryTime = SIMD8<Int64>(repeating: held.entryTime)
        let limit = SIMD8<Int64>(repeating: cutoff)
        while i + 8 <= to {
            let sb = UnsafeRawPointer(sbid + i).loadUnaligned(as: SIMD8<Double>.self)
            let fa = UnsafeRawPointer(fask + i).loadUnaligned(as: SIMD8<Double>.self)
            let t = UnsafeRawPointer(time + i).loadUnaligned(as: SIMD8<Int64>.self)
            let net = ((sb * sellFactor - cost) + (receive - fa * buyFactor)) / cost * hundred
            if any(net .>= target) || any((t &- entryTime) .>= limit) { break }
            i += 8
        }
        while i < to {
            if let reason = TradeDecision.exit(held, spotBid: sbid[i], futAsk: fask[i], time: time[i], rule: rule, cutoff: cutoff) {
                return (i, reason)
            }
            i += 1
        }
        return nil
    }
}
