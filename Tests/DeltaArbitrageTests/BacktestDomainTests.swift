import Foundation
import Testing
@testable import DeltaArbitrage
import DeltaArbitrageMockData

/// 2023-11-14T22:13:20Z.
private let t0: Int64 = 1_700_000_000_000_000_000
private let second: Int64 = 1_000_000_000

/// Seven rows worked through by hand with spot fee = fut fee = 0.001,
/// entry < 0.5 %, profit ≥ 0.1 %, hold limit 1 h:
///
/// row 0 (0 s)     cost (100 − 100.4)/100·100 = −0.4 → open, A = 100, B = 100.4
/// row 1 (1800 s)  net −0.1022 %, 0.5 h → hold
/// row 2 (2700 s)  net +0.1976 % → profit_target (this row cannot reopen)
/// row 3 (3000 s)  cost 0.6/101.2·100 = 0.593 → stay flat
/// row 4 (3 h)     cost 0.2/101·100 = 0.198 → open, A = 101, B = 100.8
/// row 5 (4 h)     net −1.091 %, held exactly 1 h → timeout
/// row 6 (4.5 h)   cost 0 → open; still open at the end
private func handExample() throws -> MarketData {
    try MarketData(
        timestamps: [0, 1800, 2700, 3000, 3 * 3600, 4 * 3600, 4 * 3600 + 1800].map { t0 + $0 * second },
        spotAskPrice: [100, 101.0, 101.1, 101.2, 101, 100.6, 100],
        spotBidPrice: [99.9, 100.9, 101.0, 101.1, 100.9, 100.5, 99.9],
        futAskPrice: [100.6, 101.0, 100.8, 100.8, 101.0, 101.0, 100.1],
        futBidPrice: [100.4, 100.9, 100.7, 100.6, 100.8, 100.9, 100])
}

private let handRule = BacktestRule(entryThresholdPct: 0.5, exitThresholdPct: 0.1, maxHours: 1, spotFee: 0.001, futFee: 0.001)

@Suite("Backtest domain layer")
struct BacktestDomainTests {
    @Test func handExampleTrades() throws {
        let result = try deltaNeutralBacktest(handExample(), rule: handRule)
        #expect(result.trades.map(\.indices) == [
            TradeIndices(entryIndex: 0, exitIndex: 2, reason: .profitTarget),
            TradeIndices(entryIndex: 4, exitIndex: 5, reason: .timeout),
        ])

        let first = result.trades[0]
        // Entry: A·1.001 = 100.1, B·0.999 = 100.2996. Exit: 101·0.999 = 100.899, 100.8·1.001 = 100.9008.
        #expect(first.entryTimeNanoseconds == t0 && first.exitTimeNanoseconds == t0 + 2700 * second)
        #expect(first.entryTime == "2023-11-14T22:13:20.000Z")
        #expect(first.exitTime == "2023-11-14T22:58:20.000Z")
        #expect(first.hours == 0.75)
        #expect(first.entrySpotAsk == 100 && first.entryFutBid == 100.4)
        #expect(first.exitSpotBid == 101.0 && first.exitFutAsk == 100.8)
        #expect(abs(first.spotPnlPts - 0.799) < 1e-12)
        #expect(abs(first.futPnlPts - -0.6012) < 1e-12)
        #expect(abs(first.totalPnlPts - 0.1978) < 1e-12)
        #expect(abs(first.netPnlPct - 0.1978 / 100.1 * 100) < 1e-12)
        #expect(abs(first.entrySpreadPct - -0.4) < 1e-12)
        #expect(abs(first.exitSpreadPct - -0.2 / 100.8 * 100) < 1e-12)
        #expect(abs(first.spreadImprovement - (-0.4 + 0.2 / 100.8 * 100)) < 1e-12)
        #expect(first.exitReason == .profitTarget)

        let timedOut = result.trades[1]
        // Entry: 101·1.001 = 101.101, 100.8·0.999 = 100.6992. Exit: 100.5·0.999 = 100.3995, 101·1.001 = 101.101.
        #expect(timedOut.hours == 1)
        #expect(abs(timedOut.spotPnlPts - -0.7015) < 1e-12)
        #expect(abs(timedOut.futPnlPts - -0.4018) < 1e-12)
        #expect(abs(timedOut.netPnlPct - -1.1033 / 101.101 * 100) < 1e-12)
        #expect(timedOut.exitReason == .timeout)

        // Legs add up to exactly what the exit decision saw.
        for trade in result.trades {
            #expect(trade.totalPnlPts == trade.spotPnlPts + trade.futPnlPts)
            #expect(trade.spreadImprovement == trade.entrySpreadPct - trade.exitSpreadPct)
        }

        let open = try #require(result.openPosition)
        #expect(open.entryIndex == 6 && open.markIndex == 6 && open.hoursHeld == 0)
        #expect(open.position == OpenPosition(entryIndex: 6, entryTime: t0 + 16_200 * second, entrySpotAsk: 100, entryFutBid: 100))
        // Closing at once costs the spreads and four fees: (99.9·0.999 − 100.1 + 100·0.999 − 100.1·1.001)/100.1.
        #expect(abs(open.markNetPnlPct - (99.9 * 0.999 - 100.1 + 99.9 - 100.1 * 1.001) / 100.1 * 100) < 1e-12)
    }

    @Test func handExampleSummary() throws {
        let s = try deltaNeutralBacktest(handExample(), rule: handRule).summary
        let p1 = 0.1978 / 100.1 * 100, p2 = -1.1033 / 101.101 * 100
        #expect(s.trades == 2 && s.wins == 1 && s.hitRate == 0.5)
        #expect(abs(s.totalPnlPct - (p1 + p2)) < 1e-12)
        #expect(abs(s.avgPnlPct - (p1 + p2) / 2) < 1e-12)
        #expect(abs(s.bestPnlPct - p1) < 1e-12 && abs(s.worstPnlPct - p2) < 1e-12)
        #expect(s.avgHours == 0.875)
        // 4.5 h of data = 0.1875 days.
        #expect(s.spanDays == 0.1875)
        #expect(abs(s.tradesPerDay - 2 / 0.1875) < 1e-12)
        // Running sum peaks at p1/100 after the first trade, then falls by |p2|/100.
        #expect(abs(s.maxDrawdown - -p2 / 100) < 1e-15)
        #expect(s.profitTargetExits == 1 && s.timeoutExits == 1)
        #expect(s.exits(.profitTarget) == 1 && s.exits(.timeout) == 1)
    }

    @Test func summaryFromIndicesEqualsSummaryFromTrades() throws {
        for seed in 0..<3 as Range<UInt64> {
            let data = try generateMockMarketData(hours: 12, seed: seed)
            let result = try deltaNeutralBacktest(data)
            let direct = data.withBookColumns {
                BacktestSummary(result.trades.map(\.indices), columns: $0, rule: BacktestRule(),
                                spanNanoseconds: data.spanNanoseconds)
            }
            #expect(direct == result.summary)
            #expect(result.summary.trades > 0)
        }
    }

    @Test func seedDefaultsOverloadMatchesRule() throws {
        let data = try generateMockMarketData(hours: 6, seed: 4)
        #expect(try deltaNeutralBacktest(data) == deltaNeutralBacktest(data, rule: BacktestRule()))
        let custom = try deltaNeutralBacktest(data, maxEntryCostPct: 0.4, minProfitPct: 0.05, maxHours: 2, spotFee: 0.001, futFee: 0)
        let viaRule = try deltaNeutralBacktest(
            data, rule: BacktestRule(entryThresholdPct: 0.4, exitThresholdPct: 0.05, maxHours: 2, spotFee: 0.001, futFee: 0))
        #expect(custom == viaRule)
    }

    private func trades(_ pnls: [Double], reasons: [ExitReason]? = nil) throws -> [Trade] {
        let template = try deltaNeutralBacktest(handExample(), rule: handRule).trades[0]
        return pnls.enumerated().map { k, p in
            var t = template
            t.netPnlPct = p
            t.hours = Double(k + 1)
            t.exitReason = reasons?[k] ?? .profitTarget
            return t
        }
    }

    @Test func maxDrawdownByHand() throws {
        // Running sum (fraction): .01, .005, .025, .01, 0, .005 → peak .025, trough 0.
        let s = BacktestSummary(trades: try trades([1, -0.5, 2, -1.5, -1, 0.5]), spanNanoseconds: 86_400 * second)
        #expect(abs(s.maxDrawdown - 0.025) < 1e-15)
        #expect(s.tradesPerDay == 6)
        #expect(s.wins == 3 && s.hitRate == 0.5)
        #expect(s.bestPnlPct == 2 && s.worstPnlPct == -1.5)
        #expect(s.avgHours == 3.5)
        // Losses from the start count from 0: −1 %, −1 % → 0.02.
        #expect(abs(BacktestSummary(trades: try trades([-1, -1]), spanNanoseconds: second).maxDrawdown - 0.02) < 1e-15)
        // Only gains: no drawdown.
        #expect(BacktestSummary(trades: try trades([0.3, 0.2]), spanNanoseconds: second).maxDrawdown == 0)
        // A zero P&L is not a win.
        #expect(BacktestSummary(trades: try trades([0, 0.1]), spanNanoseconds: second).wins == 1)
    }

    @Test func exitReasonCounts() throws {
        let s = BacktestSummary(
            trades: try trades([0.2, -0.3, 0.1, -0.1], reasons: [.profitTarget, .timeout, .profitTarget, .timeout]),
            spanNanoseconds: 2 * 86_400 * second)
        #expect(s.profitTargetExits == 2 && s.timeoutExits == 2 && s.tradesPerDay == 2)
    }

    @Test func degenerateSummaries() throws {
        let empty = BacktestSummary(trades: [], spanNanoseconds: 86_400 * second)
        #expect(empty.trades == 0 && empty.wins == 0)
        for value in [empty.hitRate, empty.totalPnlPct, empty.avgPnlPct, empty.bestPnlPct, empty.worstPnlPct,
                      empty.avgHours, empty.tradesPerDay, empty.maxDrawdown] {
            #expect(value == 0)
        }
        // Trades but no time: the rate is 0, not infinity.
        let instant = BacktestSummary(trades: try trades([0.2]), spanNanoseconds: 0)
        #expect(instant.tradesPerDay == 0 && instant.spanDays == 0 && instant.trades == 1)

        // Empty and one-row data run without trades.
        let none = try deltaNeutralBacktest(handExample().rows(0..<0))
        #expect(none.trades.isEmpty && none.openPosition == nil && none.summary.tradesPerDay == 0)
        let one = try deltaNeutralBacktest(handExample().rows(0..<1), rule: handRule)
        #expect(one.trades.isEmpty && one.openPosition?.entryIndex == 0)
    }

    @Test(arguments: [
        (BacktestRule(entryThresholdPct: .nan), "max_entry_cost_pct"),
        (BacktestRule(entryThresholdPct: .infinity), "max_entry_cost_pct"),
        (BacktestRule(exitThresholdPct: -.infinity), "min_profit_pct"),
        (BacktestRule(exitThresholdPct: .nan), "min_profit_pct"),
        (BacktestRule(maxHours: 0), "max_hours"),
        (BacktestRule(maxHours: -1), "max_hours"),
        (BacktestRule(maxHours: .nan), "max_hours"),
        (BacktestRule(spotFee: -0.0001), "spot_fee"),
        (BacktestRule(spotFee: 1), "spot_fee"),
        (BacktestRule(spotFee: .nan), "spot_fee"),
        (BacktestRule(futFee: 1.5), "fut_fee"),
        (BacktestRule(futFee: -.infinity), "fut_fee"),
    ])
    func invalidParametersThrow(rule: BacktestRule, parameter: String) throws {
        let data = try handExample()
        let error = #expect(throws: ParameterValidationError.self) { try deltaNeutralBacktest(data, rule: rule) }
        #expect(error?.parameter == parameter)
        #expect(error?.description.contains(parameter) == true)
    }

    @Test func validEdgeParametersAccepted() throws {
        let data = try handExample()
        // Infinite hold limit = no timeout; zero fees; negative thresholds are legal numbers.
        let result = try deltaNeutralBacktest(data, maxEntryCostPct: -10, minProfitPct: -1, maxHours: .infinity, spotFee: 0, futFee: 0)
        #expect(result.trades.isEmpty)
        _ = try deltaNeutralBacktest(data, maxHours: 1e-12, spotFee: 0.999_999)
    }

    @Test func jsonKeysAndNulls() throws {
        let result = try deltaNeutralBacktest(handExample(), rule: handRule)
        let json = try JSONSerialization.jsonObject(with: makeJSONEncoder().encode(result)) as? [String: Any]
        let root = try #require(json)
        #expect(Set(root.keys) == ["trades", "summary", "open_position"])
        let trade = try #require((root["trades"] as? [[String: Any]])?.first)
        #expect(Set(trade.keys) == [
            "entry_index", "exit_index", "entry_time", "exit_time", "hours", "entry_spot_ask", "entry_fut_bid",
            "exit_spot_bid", "exit_fut_ask", "spot_pnl_pts", "fut_pnl_pts", "total_pnl_pts", "net_pnl_pct",
            "entry_spread_pct", "exit_spread_pct", "spread_improvement", "exit_reason",
        ])
        #expect(trade["exit_reason"] as? String == "profit_target")
        #expect(trade["entry_time"] as? String == "2023-11-14T22:13:20.000Z")
        #expect(trade["entry_index"] as? Int == 0)
        let summary = try #require(root["summary"] as? [String: Any])
        #expect(Set(summary.keys) == [
            "trades", "wins", "hit_rate", "total_pnl_pct", "avg_pnl_pct", "best_pnl_pct", "worst_pnl_pct",
            "avg_hours", "trades_per_day", "max_drawdown", "span_days", "exit_reasons",
        ])
        #expect(summary["exit_reasons"] as? [String: Int] == ["profit_target": 1, "timeout": 1])
        let open = try #require(root["open_position"] as? [String: Any])
        #expect(open["entry_index"] as? Int == 6)

        // Flat at the end: an explicit null.
        let flat = BacktestResult(trades: [], summary: BacktestSummary(trades: [], spanNanoseconds: 0), openPosition: nil)
        let flatText = String(decoding: try makeJSONEncoder(pretty: false).encode(flat), as: UTF8.self)
        #expect(flatText.contains("\"open_position\":null"))

        // Non-finite numbers are null.
        var odd = result.trades[0]
        odd.netPnlPct = .nan
        odd.hours = .infinity
        let oddObject = try #require(try JSONSerialization.jsonObject(with: makeJSONEncoder().encode(odd)) as? [String: Any])
        #expect(oddObject["net_pnl_pct"] is NSNull)
        #expect(oddObject["hours"] is NSNull)
    }

    @Test func jsonRoundTrip() throws {
        let result = try deltaNeutralBacktest(handExample(), rule: handRule)
        let decoded = try JSONDecoder().decode(BacktestResult.self, from: makeJSONEncoder().encode(result))
        #expect(decoded == result)
        // Sub-millisecond times keep nine digits and read back exactly.
        var trade = result.trades[0]
        trade.exitTimeNanoseconds = t0 + 123_456_789
        #expect(trade.exitTime == "2023-11-14T22:13:20.123456789Z")
        #expect(try JSONDecoder().decode(Trade.self, from: makeJSONEncoder().encode(trade)) == trade)
        #expect(parseBacktestJSONTime("1969-12-31T23:59:59.5Z") == -500_000_000)
        #expect(parseBacktestJSONTime("2023-11-14T22:13:20+01:00") == nil)
    }
}
