import Testing
import DeltaArbitrageMockData
@testable import DeltaArbitrage

private let second: Int64 = 1_000_000_000
private let day: Int64 = 86_400 * second

/// Six hours of 1 s mock ticks with the rows from `row` on moved a day later: a 24 h hole before `row`.
private func dataWithHole(at row: Int = 10_800, seed: UInt64 = 1) throws -> MarketData {
    var data = try generateMockMarketData(hours: 6, seed: seed)
    for i in row..<data.count { data.timestamps[i] += day }
    return data
}

@Suite("Data gaps")
struct DataGapTests {
    /// The scenario: a 24 h hole in a recording is one gap, at the
    /// right row, with the right duration, under the default threshold.
    @Test func twentyFourHourHoleIsDetected() throws {
        let data = try dataWithHole(at: 10_800)
        let report = DataGapReport(data)
        #expect(report.thresholdNanoseconds == 60 * second, "1 s ticks: the 60 s floor applies")
        #expect(report.count == 1)
        let gap = try #require(report.gaps.first)
        #expect(gap.row == 10_800)
        #expect(gap.startNanoseconds == data.timestamps[10_799])
        #expect(gap.endNanoseconds == data.timestamps[10_800])
        let hole = data.timestamps[10_800] - data.timestamps[10_799]
        #expect(hole > day && hole < day + 60 * second)
        #expect(report.longestNanoseconds == hole && report.totalNanoseconds == hole)
        #expect(report.longest == gap)
        #expect(report.segments == [0..<10_800, 10_800..<data.count])
        #expect(report.lastSegment == 10_800..<data.count)
    }

    /// The default threshold flags nothing in ordinary data, at either tick rate.
    @Test(arguments: [1.0, 0.1])
    func defaultThresholdDoesNotFlagOrdinaryData(tickInterval: Double) throws {
        let data = try generateMockMarketData(hours: 6, seed: 7, tickInterval: tickInterval)
        let report = DataGapReport(data)
        #expect(report.count == 0)
        #expect(report.segments == [0..<data.count])
        #expect(report.thresholdNanoseconds == 60 * second)
    }

    /// Sparse data gets a threshold relative to its own rate: 1-minute bars
    /// flag a 2 h hole (threshold 50 min) but not a 30-minute pause.
    @Test func defaultThresholdFollowsTheUpdateRate() throws {
        var timestamps = (0..<2_000).map { Int64($0) * 60 * second }
        for i in 500..<2_000 { timestamps[i] += 29 * 60 * second }  // a 30 min interval before row 500
        for i in 1_500..<2_000 { timestamps[i] += 119 * 60 * second }  // a 2 h interval before row 1500
        #expect(DataGapReport.medianIntervalNanoseconds(timestamps) == 60 * second)
        #expect(DataGapReport.defaultThresholdNanoseconds(timestamps) == 50 * 60 * second)
        let report = timestamps.withUnsafeBufferPointer {
            DataGapReport(timestamps: $0, thresholdNanoseconds: DataGapReport.defaultThresholdNanoseconds(timestamps))
        }
        #expect(report.gaps.map(\.row) == [1_500])
        #expect(report.longestNanoseconds == 120 * 60 * second)
    }

    /// The median of a long series is taken over an evenly spaced sample, so
    /// a few huge intervals cannot move it; short series fall back to 60 s.
    @Test func medianOfLongAndTinySeries() {
        // 99 intervals of a day among 99,999 of 100 ms.
        let timestamps = (0..<100_000).map { Int64($0) * second / 10 + Int64($0 / 1_000) * day }
        #expect(DataGapReport.medianIntervalNanoseconds(timestamps) == second / 10)
        #expect(DataGapReport.defaultThresholdNanoseconds([]) == 60 * second)
        #expect(DataGapReport.defaultThresholdNanoseconds([5]) == 60 * second)
        #expect(DataGapReport(MarketData()).segments.isEmpty)
    }

    /// A gap is strictly longer than the threshold; totals add up.
    @Test func thresholdIsExclusiveAndTotalsAdd() {
        let timestamps: [Int64] = [0, 10, 20, 35, 35, 60, 61].map { $0 * second }
        let report = timestamps.withUnsafeBufferPointer { DataGapReport(timestamps: $0, thresholdNanoseconds: 10 * second) }
        #expect(report.gaps.map(\.row) == [3, 5])
        #expect(report.longestNanoseconds == 25 * second)
        #expect(report.totalNanoseconds == 40 * second)
        #expect(report.segments == [0..<3, 3..<5, 5..<7])
    }

    /// A trade spans a gap when the gap's first row is after its entry row and at or before its exit row.
    @Test func tradesAcrossAGapAreMarked() {
        let timestamps: [Int64] = [0, 1, 2, 100, 101, 102, 200, 201].map { $0 * second }
        let report = timestamps.withUnsafeBufferPointer { DataGapReport(timestamps: $0, thresholdNanoseconds: 10 * second) }
        #expect(report.gaps.map(\.row) == [3, 6])
        #expect(report.spans(entryRow: 2, exitRow: 3))
        #expect(!report.spans(entryRow: 3, exitRow: 5), "entered at the first row after the gap")
        #expect(!report.spans(entryRow: 0, exitRow: 2), "closed before the gap")
        #expect(report.spans(entryRow: 0, exitRow: 7))
        #expect(report.spans(entryRow: 4, exitRow: 6))
        let trades = [(0, 2), (2, 3), (3, 5), (5, 7), (1, 4)].map { entry, exit in
            Trade(TradeIndices(entryIndex: entry, exitIndex: exit, reason: .timeout), entryTimeNanoseconds: 0, exitTimeNanoseconds: 0,
                  entrySpotAsk: 100, entryFutBid: 100, exitSpotBid: 100, exitFutAsk: 100,
                  rule: BacktestRule(entryThresholdPct: 0.5, exitThresholdPct: 0.1, maxHours: 1, spotFee: 0, futFee: 0))
        }
        #expect(trades.allSatisfy { $0.spansGap == nil })
        #expect(report.marking(trades).map(\.spansGap) == [false, true, false, true, true])
    }

    /// The trade: without splitting, the rule holds a position across
    /// the 24 h hole (a 25-hour trade), and the marking says so.
    @Test func theTradeAcrossTheHoleIsMarked() throws {
        let data = try dataWithHole(at: 10_800)
        let report = DataGapReport(data)
        let trades = report.marking(try deltaNeutralBacktest(data).trades)
        let across = trades.filter { $0.spansGap == true }
        #expect(across.count == 1)
        let trade = try #require(across.first)
        #expect(trade.entryIndex < 10_800 && trade.exitIndex >= 10_800)
        #expect(trade.hours > 24)
        #expect(trades.filter { $0.spansGap == false }.count == trades.count - 1)
    }

    /// Split: each segment trades on its own — exactly the backtest of its
    /// rows alone, rows shifted — and no trade crosses the gap.
    @Test func segmentedBacktestNeverCrossesAGap() throws {
        let data = try dataWithHole(at: 10_800)
        let report = DataGapReport(data)
        let rule = BacktestRule(entryThresholdPct: 0.5, exitThresholdPct: 0.1, maxHours: 6, spotFee: 0.0005, futFee: 0.0005)
        let split = try deltaNeutralBacktest(data, rule: rule, segments: report.segments)
        #expect(report.marking(split.result.trades).allSatisfy { $0.spansGap == false })
        #expect(split.segments.map(\.rows) == report.segments)
        var expected: [Trade] = []
        for (k, rows) in report.segments.enumerated() {
            let alone = try deltaNeutralBacktest(data.rows(rows), rule: rule)
            #expect(split.segments[k].trades == alone.trades.count)
            expected += alone.trades.map { trade in
                var t = trade
                t.entryIndex += rows.lowerBound
                t.exitIndex += rows.lowerBound
                return t
            }
            #expect(split.segments[k].openPosition?.entryIndex == alone.openPosition.map { $0.entryIndex + rows.lowerBound })
            #expect(split.segments[k].openPosition?.markIndex == alone.openPosition.map { _ in rows.upperBound - 1 })
        }
        #expect(split.result.trades == expected)
        #expect(split.segments[0].openPosition != nil, "the position the unsplit run carried across the hole stays in segment 1")
        #expect(split.result.openPosition == split.segments.last?.openPosition)
        #expect(split.result.summary.spanDays == Double(data.spanNanoseconds - report.totalNanoseconds) / 86_400e9)
    }
}
