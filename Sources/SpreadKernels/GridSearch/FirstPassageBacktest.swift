import Dispatch

/// The seed backtest re-expressed as two first-passage searches over series
/// that do not depend on the thresholds, so that one prepared index serves
/// every point of a threshold grid and every window of a walk-forward.
///
/// With fees `f_s`, `f_f`, an open position at spot ask `A` and futures bid `B`
/// costs `C = A(1+f_s)` and receives `R = B(1−f_f)`. At row `j`
///
/// ```
/// net_pnl_pct ≥ X  ⇔  v_j ≥ c(X),   v_j = bid_s,j (1−f_s) − ask_f,j (1+f_f),
///                                    c(X) = C·X/100 + (C − R)
/// ```
///
/// (in real arithmetic), and `entry_cost_pct_j < E  ⇔  −entry_cost_pct_j > −E`.
/// So the next entry is the first passage of `−entry_cost_pct` above `−E`, and
/// the next profit exit the first passage of `v` above `c(X)`; the timeout row
/// is a binary search over the sorted timestamps. Each search is a
/// `FirstPassageIndex` query, so a trade costs `O(log n)` instead of the rows
/// it spans.
///
/// Exactness: `−entry_cost_pct` is stored exactly as the seed formula computes
/// it, so entries are exact. The rearranged exit test is not bit-identical to
/// the seed's `net_pnl_pct ≥ X` in `Double`, so the index is searched for
/// `v_j ≥ c(X) − m` with a margin `m` far above any rounding error (10⁻¹²
/// relative to the prices involved, ~10⁴ ulps) and every candidate is
/// confirmed with `SpreadFormulas.netPnlPct`; a candidate that fails is skipped
/// and the search resumes after it. The trades are therefore those of the
/// row-by-row loop, which the tests check point by point.
///
/// The index borrows `columns`: their storage must outlive it.
/// Timestamps must be non-decreasing (the loader guarantees it).
public struct FirstPassageBacktest: @unchecked Sendable {
    /// The rows searched, borrowed: their storage must outlive the index.
    public let columns: BookColumns
    /// Hold limit, in hours.
    public let maxHours: Double
    /// Spot taker fee as a fraction (0.0005 = 5 bp).
    public let spotFee: Double
    /// Futures taker fee as a fraction.
    public let futFee: Double
    @usableFromInline let cutoff: Int64
    /// `−entry_cost_pct` per row.
    @usableFromInline let entrySeries: FirstPassageIndex
    /// `v_j` per row.
    @usableFromInline let exitSeries: FirstPassageIndex
    /// Largest `|bid_s|` or `|ask_f|` in the columns, for the exit margin.
    @usableFromInline let priceScale: Double
    /// Per row `e`: `r − e` for the first row `r ≥ e` held the hold limit
    /// since row `e`'s time (`t_r − t_e ≥ cutoff`), or `UInt32.max` when no
    /// row is (or the distance does not fit). A position's timeout row is
    /// then one load instead of a binary search over its hours of rows, and
    /// it bounds the exit search: many of a grid's trades time out (about 40 %
    /// on the benchmark's data).
    @usableFromInline let holdLimitDistances: [UInt32]

    /// Prepares the index over all rows of `columns`.
    public init(columns: BookColumns, maxHours: Double, spotFee: Double, futFee: Double) {
        self.columns = columns
        self.maxHours = maxHours
        self.spotFee = spotFee
        self.futFee = futFee
        self.cutoff = SpreadFormulas.timeoutCutoffNanoseconds(maxHours: maxHours)
        let n = columns.count
        // Both series in parallel chunks; the price scale is reduced per chunk.
        let chunk = 1 << 16
        let chunks = (n + chunk - 1) / chunk
        entrySeries = FirstPassageIndex(count: n) { out in
            let sink = UncheckedSendable(out)
            DispatchQueue.concurrentPerform(iterations: chunks) { k in
                for i in k * chunk..<min((k + 1) * chunk, n) {
                    sink.value[i] = -SpreadFormulas.entryCostPct(spotAsk: columns.spotAsk[i], futBid: columns.futBid[i])
                }
            }
        }
        var scales = [Double](repeating: 0, count: chunks)
        exitSeries = FirstPassageIndex(count: n) { out in
            let sink = UncheckedSendable(out)
            scales.withUnsafeMutableBufferPointer { scales in
                let scaleSink = UncheckedSendable(scales)
                DispatchQueue.concurrentPerform(iterations: chunks) { k in
                    var scale = 0.0
                    for i in k * chunk..<min((k + 1) * chunk, n) {
                        let bid = columns.spotBid[i], ask = columns.futAsk[i]
                        sink.value[i] = SpreadFormulas.exitSpotReceive(spotBid: bid, spotFee: spotFee)
                            - SpreadFormulas.exitFutCost(futAsk: ask, futFee: futFee)
                        scale = max(scale, abs(bid), abs(ask))
                    }
                    scaleSink.value[k] = scale
                }
            }
        }
        priceScale = scales.max() ?? 0
        holdLimitDistances = Self.holdLimitDistances(columns.timestamps, cutoff: cutoff, chunk: chunk)
    }

    /// `holdLimitDistances` of `t`: each chunk finds its first row's limit
    /// row by binary search, then moves it forward row by row (both only
    /// grow: timestamps are non-decreasing).
    static func holdLimitDistances(_ t: UnsafeBufferPointer<Int64>, cutoff: Int64, chunk: Int) -> [UInt32] {
        let n = t.count
        let chunks = (n + chunk - 1) / chunk
        return [UInt32](unsafeUninitializedCapacity: n) { out, initialized in
            let sink = UncheckedSendable(out), times = UncheckedSendable(t)
            DispatchQueue.concurrentPerform(iterations: chunks) { k in
                let t = times.value, start = k * chunk
                guard start < n else { return }
                var r = t.partitionPoint(in: start..<n) { Self.isHeld($0, since: t[start], cutoff: cutoff) }
                for e in start..<min(start + chunk, n) {
                    if r < e { r = e }
                    // `t[r] − t[e] ≥ cutoff` is `t[r] ≥ t[e] + cutoff` where the sum fits; beyond Int64, no row is held.
                    let (limit, beyond) = t[e].addingReportingOverflow(cutoff)
                    if beyond {
                        r = n
                    } else {
                        while r < n && t[r] < limit { r += 1 }
                    }
                    let distance = r - e
                    sink.value[e] = r < n && distance < Int(UInt32.max) ? UInt32(distance) : .max
                }
            }
            initialized = n
        }
    }

    /// `time − since ≥ cutoff`, without overflow (`time ≥ since`).
    @inlinable @inline(__always)
    static func isHeld(_ time: Int64, since: Int64, cutoff: Int64) -> Bool {
        let (elapsed, overflow) = time.subtractingReportingOverflow(since)
        return overflow || elapsed >= cutoff
    }

    /// The moments and AR(1) sums (the walk-forward's window statistics) of
    /// the values `AsOfSampling.forEachEntryCost` gives over `rows`, read from
    /// the stored series (`−entry_cost_pct`, negated back exactly) instead of
    /// recomputed: the same values, added in the same order, in one loop.
    @inlinable
    public func entryCostMoments(rows: Range<Int>, stepNanoseconds step: Int64) -> AR1Moments {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= count, "rows out of range")
        return entrySeries.withValues { negated in
            var moments = AR1Moments()
            var cursor = AsOfSampling.RowCursor(columns.timestamps, rows: rows, stepNanoseconds: step)
            while let row = cursor.next() { moments.add(-negated[row]) }
            return moments
        }
    }

    /// `entryCostMoments(rows:stepNanoseconds:)` of every window of
    /// `windows`, each the same value bit for bit, in one sweep over their
    /// rows instead of one pass per window (`WindowMomentsSweep`, with blocks
    /// of `blockPoints` grid steps). A walk-forward's windows overlap almost
    /// entirely, and a pass per window streams each window's timestamps and
    /// spread from memory again (at 100 ms ticks, 14 MB per 24 h window).
    public func entryCostMoments(windows: [Range<Int>], stepNanoseconds step: Int64, blockPoints: Int = 64) -> [AR1Moments] {
        precondition(step > 0 && blockPoints > 0, "step and block must be positive")
        for rows in windows {
            precondition(rows.lowerBound >= 0 && rows.upperBound <= count, "rows out of range")
        }
        var moments = [AR1Moments](repeating: AR1Moments(), count: windows.count)
        let t = columns.timestamps
        guard let anchor = windows.lazy.filter({ !$0.isEmpty }).map({ t[$0.lowerBound] }).min() else { return moments }

        var lanes: [WindowMomentsSweep.Lane] = []
        for (w, rows) in windows.enumerated() where !rows.isEmpty {
            let first = t[rows.lowerBound]
            let (offset, before) = first.subtractingReportingOverflow(anchor)
            let (span, across) = t[rows.upperBound - 1].subtractingReportingOverflow(first)
            let (end, beyond) = offset.addingReportingOverflow(span)
            if before || across || beyond || end > Int64.max - step - step {
                // Centuries apart: no common axis in Int64 nanoseconds; one pass for this window.
                moments[w] = entryCostMoments(rows: rows, stepNanoseconds: step)
                continue
            }
            let firstBucket = offset / step
            lanes.append(WindowMomentsSweep.Lane(
                window: w, lastRow: rows.upperBound - 1, phase: offset % step, firstBucket: firstBucket,
                nextBucket: firstBucket, lastBucket: firstBucket + span / step))
        }
        guard !lanes.isEmpty else { return moments }
        let firstRow = windows.lazy.filter { !$0.isEmpty }.map(\.lowerBound).min() ?? 0
        let sums = entrySeries.withValues { negated in
            WindowMomentsSweep.run(t, negated: negated, anchor: anchor, step: step, lanes: lanes, firstRow: firstRow,
                                   blockBuckets: min(blockPoints, 1 << 20))
        }
        for (k, lane) in lanes.enumerated() { moments[lane.window] = sums[k] }
        return moments
    }

    /// Prepares the index for `rule`'s fees and hold limit (its thresholds are ignored).
    public init(columns: BookColumns, rule: BacktestRule) {
        self.init(columns: columns, maxHours: rule.maxHours, spotFee: rule.spotFee, futFee: rule.futFee)
    }

    /// Number of rows.
    @inlinable public var count: Int { columns.count }

    /// Runs the seed backtest with thresholds `(entry, exit)` over `rows`,
    /// starting in `position` (nil = flat), calling `body` with every closed
    /// trade in order — the same trades and final position as
    /// `BacktestKernel.run` with the same rule.
    @inlinable
    @discardableResult
    public func forEachTrade(
        entryThresholdPct entry: Double, exitThresholdPct exit: Double, rows: Range<Int>,
        from position: OpenPosition? = nil, _ body: (TradeIndices) -> Void
    ) -> OpenPosition? {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= count, "rows out of range")
        let entryLevel = Self.entryLevel(entryThresholdPct: entry)
        var open = position
        var row = rows.lowerBound
        let end = rows.upperBound
        while row < end {
            if let held = open {
                guard let (exitRow, reason) = nextExit(held, exitThresholdPct: exit, from: row, to: end)
                else { return held }
                body(TradeIndices(entryIndex: held.entryIndex, exitIndex: exitRow, reason: reason))
                open = nil
                row = exitRow + 1  // the closing row never opens a position
            } else {
                guard let e = entrySeries.firstIndex(atLeast: entryLevel, from: row, to: end) else { return nil }
                open = OpenPosition(
                    entryIndex: e, entryTime: columns.timestamps[e],
                    entrySpotAsk: columns.spotAsk[e], entryFutBid: columns.futBid[e])
                row = e + 1
            }
        }
        return open
    }

    /// The trades of `(entry, exit)` over `rows` from flat.
    public func trades(entryThresholdPct entry: Double, exitThresholdPct exit: Double, rows: Range<Int>)
        -> (trades: [TradeIndices], open: OpenPosition?)
    {
        var out: [TradeIndices] = []
        let open = forEachTrade(entryThresholdPct: entry, exitThresholdPct: exit, rows: rows) { out.append($0) }
        return (out, open)
    }

    /// Totals of the trades of `(entry, exit)` over `rows` from flat, and of
    /// those among them that close before row `split` — which are exactly the
    /// trades of the same backtest run over `rows.lowerBound..<split` alone.
    @inlinable
    public func tally(
        entryThresholdPct entry: Double, exitThresholdPct exit: Double, rows: Range<Int>, split: Int
    ) -> (all: TradeTally, beforeSplit: TradeTally) {
        var all = TradeTally(), early = TradeTally()
        // The closure captures these alone: capturing `self` copied the index (retaining its arrays) per call.
        let c = columns, spotFee = spotFee, futFee = futFee
        forEachTrade(entryThresholdPct: entry, exitThresholdPct: exit, rows: rows) { t in
            all.add(entry: t.entryIndex, exit: t.exitIndex, reason: t.reason, columns: c, spotFee: spotFee, futFee: futFee)
            // Trades come in exit order, so those closing before the split are a prefix.
            if t.exitIndex < split { early = all }
        }
        return (all, early)
    }

    /// First row in `from..<to` at which `held` reaches the profit target
    /// (checked first) or the hold limit.
    ///
    /// Rows before the hold-limit row `T` are not held past the limit, so
    /// only exit candidates in `from…T` are searched: the first confirmed
    /// one closes at the target (at `T` too, as the target is checked
    /// first), and without one the position times out at `T`.
    @inlinable
    func nextExit(_ held: OpenPosition, exitThresholdPct x: Double, from: Int, to: Int) -> (Int, ExitReason)? {
        let cost = SpreadFormulas.entrySpotCost(spotAsk: held.entrySpotAsk, spotFee: spotFee)
        let receive = SpreadFormulas.entryFutReceive(futBid: held.entryFutBid, futFee: futFee)
        let bound = exitSearchLevel(cost: cost, receive: receive, exitThresholdPct: x)
        let limit = holdLimitRow(held, from: from, to: to)
        let searchEnd = limit.map { $0 + 1 } ?? to
        var j = from
        while let k = exitSeries.firstIndex(atLeast: bound, from: j, to: searchEnd) {
            if reachesTarget(cost: cost, receive: receive, x: x, row: k) { return (k, .profitTarget) }
            j = k + 1
        }
        return limit.map { ($0, .timeout) }
    }

    /// `firstRow(heldSince: held.entryTime, from:to:)`, read from
    /// `holdLimitDistances` when `held` entered at a row of this index before
    /// `from` (rows from its entry on are held past the limit from `T` on,
    /// so the answer is `max(T, from)`); a binary search otherwise.
    @inlinable @inline(__always)
    func holdLimitRow(_ held: OpenPosition, from: Int, to: Int) -> Int? {
        let e = held.entryIndex
        if e >= 0 && e < from && columns.timestamps[e] == held.entryTime {
            let distance = holdLimitDistances[e]
            if distance != .max {
                let row = max(e + Int(distance), from)
                return row < to ? row : nil
            }
            // No row of the index is held past the limit.
            if !Self.isHeld(columns.timestamps[count - 1], since: held.entryTime, cutoff: cutoff) { return nil }
        }
        return firstRow(heldSince: held.entryTime, from: from, to: to)
    }

    /// The level of `−entry_cost_pct` an entry needs: `−cost ≥ (−E)⁺  ⇔  −cost > −E  ⇔  cost < E`.
    @inlinable @inline(__always)
    static func entryLevel(entryThresholdPct entry: Double) -> Double { (-entry).nextUp }

    /// The level `c(X) − m` of `v` at or above which a row of a position with
    /// entry legs `cost` / `receive` may reach the exit threshold `x`: rows
    /// below it never do (the margin `m` covers the rounding of the
    /// rearranged test), rows at or above it are confirmed exactly.
    @inlinable @inline(__always)
    func exitSearchLevel(cost: Double, receive: Double, exitThresholdPct x: Double) -> Double {
        let level = cost * x / 100 + (cost - receive)
        let margin = 1e-12 * (2 * priceScale + abs(cost) + abs(receive) + (level.isFinite ? abs(level) : 0))
        return level - margin
    }

    /// The seed's exact test `net_pnl_pct ≥ X` at `row` (`TradeDecision`'s, as the live strategy runs it).
    @inlinable @inline(__always)
    func reachesTarget(cost: Double, receive: Double, x: Double, row: Int) -> Bool {
        TradeDecision.reachesProfitTarget(entrySpotCost: cost, entryFutReceive: receive, spotBid: columns.spotBid[row],
                                         futAsk: columns.futAsk[row], exitThresholdPct: x, spotFee: spotFee, futFee: futFee)
    }

    /// First row in `from..<to` held at least the hold limit since `entryTime`
    /// (binary search: elapsed time is non-decreasing in the row).
    @inlinable
    func firstRow(heldSince entryTime: Int64, from: Int, to: Int) -> Int? {
        let cutoff = self.cutoff
        let row = columns.timestamps.partitionPoint(in: from..<to) { Self.isHeld($0, since: entryTime, cutoff: cutoff) }
        return row < to ? row : nil
    }
}
