import DeltaArbitrage
import Dispatch
import DeltaArbitrageMockData
import SpreadKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The C ABI of include/deltaarb.h. Each function checks its arguments,
// calls the domain API and reports any failure as a status code and the
// engine's message (see `reporting`): nothing here traps on bad input.

public typealias CString = UnsafePointer<CChar>
public typealias CStringOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

/// Version of the ABI in include/deltaarb.h.
@_cdecl("deltaarb_abi_version")
public func deltaarbABIVersion() -> Int32 { 1 }

/// Frees what the library returned.
@_cdecl("deltaarb_free")
public func deltaarbFree(_ pointer: UnsafeMutableRawPointer?) { free(pointer) }

/// Bytes per `deltaarb_trade` record.
@_cdecl("deltaarb_trade_size")
public func deltaarbTradeSize() -> Int64 { Int64(CTradeRecord.size) }

/// The layout of `deltaarb_trade`: three int64 then twelve float64.
enum CTradeRecord {
    static let size = 15 * 8

    static func write(_ trade: Trade, to record: UnsafeMutableRawPointer) {
        record.storeBytes(of: Int64(trade.entryIndex), toByteOffset: 0, as: Int64.self)
        record.storeBytes(of: Int64(trade.exitIndex), toByteOffset: 8, as: Int64.self)
        record.storeBytes(of: trade.exitReason == .profitTarget ? 0 : 1, toByteOffset: 16, as: Int64.self)
        let values = [trade.hours, trade.entrySpotAsk, trade.entryFutBid, trade.exitSpotBid, trade.exitFutAsk,
                      trade.spotPnlPts, trade.futPnlPts, trade.totalPnlPts, trade.netPnlPct,
                      trade.entrySpreadPct, trade.exitSpreadPct, trade.spreadImprovement]
        for (k, value) in values.enumerated() { record.storeBytes(of: value, toByteOffset: 24 + 8 * k, as: Double.self) }
    }
}

@_cdecl("deltaarb_backtest")
public func deltaarbBacktest(
    _ rows: Int64, _ timestamps: UnsafePointer<Int64>?,
    _ spotAsk: UnsafePointer<Double>?, _ spotBid: UnsafePointer<Double>?,
    _ futAsk: UnsafePointer<Double>?, _ futBid: UnsafePointer<Double>?,
    _ maxEntryCostPct: Double, _ minProfitPct: Double, _ maxHours: Double, _ spotFee: Double, _ futFee: Double,
    _ tradesOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ countOut: UnsafeMutablePointer<Int64>?,
    _ errorOut: CStringOut?
) -> Int32 {
    tradesOut?.pointee = nil
    countOut?.pointee = 0
    return reporting(errorOut) {
        let tradesOut = try required(tradesOut, "trades_out"), countOut = try required(countOut, "trade_count_out")
        let rule = BacktestRule(entryThresholdPct: maxEntryCostPct, exitThresholdPct: minProfitPct,
                                maxHours: maxHours, spotFee: spotFee, futFee: futFee)
        try rule.validate()
        let unchecked = try CColumns(unchecked: rows, timestamps: timestamps, spotAsk: spotAsk, spotBid: spotBid,
                                     futAsk: futAsk, futBid: futBid)
        let columns = unchecked.columns
        // The row check and the kernel each take one pass over the same
        // columns, so they run side by side and the trades are kept only if
        // the check passes. The kernel cannot trap on bad rows (NaN compares
        // false, time differences wrap), so a bad row costs only its scan.
        // (A queued block, not `concurrentPerform`, which measured slower: it
        // often ran both jobs on the calling thread.)
        let outcome = CheckedRun()
        let checked = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            outcome.check = Result { try unchecked.checkRows() }
            checked.signal()
        }
        outcome.trades = BacktestKernel.run(columns, rule: rule).trades
        checked.wait()
        try outcome.check.get()
        let indices = outcome.trades
        guard !indices.isEmpty else { return }
        guard let buffer = malloc(indices.count * CTradeRecord.size) else {
            throw CFailure(.internalFailure, "out of memory for \(indices.count) trades")
        }
        for (k, trade) in indices.enumerated() {
            CTradeRecord.write(Trade(trade, columns: columns, rule: rule), to: buffer + k * CTradeRecord.size)
        }
        tradesOut.pointee = buffer
        countOut.pointee = Int64(indices.count)
    }
}

/// The row check and the backtest of `deltaarb_backtest`, run side by side.
private final class CheckedRun: @unchecked Sendable {
    // `check` is written by the queued check before it signals, `trades` by
    // the calling thread; both are read after the wait.
    var check: Result<Void, any Error> = .success(())
    var trades: [TradeIndices] = []
}

@_cdecl("deltaarb_optimizer_config")
public func deltaarbOptimizerConfig(_ configJSON: CString?, _ jsonOut: CStringOut?, _ errorOut: CStringOut?) -> Int32 {
    jsonOut?.pointee = nil
    return reporting(errorOut) {
        let jsonOut = try required(jsonOut, "json_out")
        let optimizer = try COptimizerSettings(json: configJSON).optimizer()
        jsonOut.pointee = try jsonString(COptimizerSettings.resolved(optimizer))
    }
}

@_cdecl("deltaarb_validate_parameters")
public func deltaarbValidateParameters(
    _ configJSON: CString?, _ entry: Double, _ exit: Double,
    _ safeOut: UnsafeMutablePointer<Int32>?, _ reasonOut: CStringOut?, _ errorOut: CStringOut?
) -> Int32 {
    safeOut?.pointee = 0
    reasonOut?.pointee = nil
    return reporting(errorOut) {
        let safeOut = try required(safeOut, "safe_out")
        let optimizer = try COptimizerSettings(json: configJSON).optimizer()
        let safe = optimizer.validateParameters(entryThreshold: entry, exitThreshold: exit)
        safeOut.pointee = safe ? 1 : 0
        if !safe, let reasonOut, let violation = optimizer.config.safetyViolation(entryThreshold: entry, exitThreshold: exit) {
            reasonOut.pointee = mallocString(violation.description)
        }
    }
}

@_cdecl("deltaarb_optimize")
public func deltaarbOptimize(
    _ rows: Int64, _ timestamps: UnsafePointer<Int64>?,
    _ spotAsk: UnsafePointer<Double>?, _ spotBid: UnsafePointer<Double>?,
    _ futAsk: UnsafePointer<Double>?, _ futBid: UnsafePointer<Double>?,
    _ configJSON: CString?, _ lookbackHours: Double, _ jsonOut: CStringOut?, _ errorOut: CStringOut?
) -> Int32 {
    jsonOut?.pointee = nil
    return reporting(errorOut) {
        let jsonOut = try required(jsonOut, "json_out")
        let optimizer = try COptimizerSettings(json: configJSON).optimizer()
        let data = try CColumns(rows: rows, timestamps: timestamps, spotAsk: spotAsk, spotBid: spotBid,
                                futAsk: futAsk, futBid: futBid).marketData()
        let report = try optimizer.optimizeNow(data, lookbackHours: lookbackHours)
        jsonOut.pointee = try jsonString(report)
    }
}

@_cdecl("deltaarb_analyze")
public func deltaarbAnalyze(
    _ rows: Int64, _ timestamps: UnsafePointer<Int64>?,
    _ spotAsk: UnsafePointer<Double>?, _ spotBid: UnsafePointer<Double>?,
    _ futAsk: UnsafePointer<Double>?, _ futBid: UnsafePointer<Double>?,
    _ gridStepSeconds: Double, _ jsonOut: CStringOut?, _ errorOut: CStringOut?
) -> Int32 {
    jsonOut?.pointee = nil
    return reporting(errorOut) {
        let jsonOut = try required(jsonOut, "json_out")
        guard gridStepSeconds > 0, gridStepSeconds.isFinite else {
            throw ParameterValidationError(parameter: "grid_step_seconds", value: gridStepSeconds, rule: "must be positive and finite")
        }
        let data = try CColumns(rows: rows, timestamps: timestamps, spotAsk: spotAsk, spotBid: spotBid,
                                futAsk: futAsk, futBid: futBid).marketData()
        let report = try SpreadAnalyzer.analyze(data, options: SpreadAnalysisOptions(gridStepSeconds: gridStepSeconds))
        jsonOut.pointee = try jsonString(report)
    }
}

/// Fewest walk-forward updates refused (as `delta-arb walk-forward`): a
/// short series still gets this many.
private let minUpdateLimit = 10_000

@_cdecl("deltaarb_walk_forward")
public func deltaarbWalkForward(
    _ rows: Int64, _ timestamps: UnsafePointer<Int64>?,
    _ spotAsk: UnsafePointer<Double>?, _ spotBid: UnsafePointer<Double>?,
    _ futAsk: UnsafePointer<Double>?, _ futBid: UnsafePointer<Double>?,
    _ configJSON: CString?, _ windowHours: Double, _ updateIntervalSeconds: Double,
    _ staticEntry: Double, _ staticExit: Double, _ jsonOut: CStringOut?, _ errorOut: CStringOut?
) -> Int32 {
    jsonOut?.pointee = nil
    return reporting(errorOut) {
        let jsonOut = try required(jsonOut, "json_out")
        let optimizer = try COptimizerSettings(json: configJSON).optimizer()
        let data = try CColumns(rows: rows, timestamps: timestamps, spotAsk: spotAsk, spotBid: spotBid,
                                futAsk: futAsk, futBid: futBid).marketData()
        var fixed: ThresholdPair?
        switch (staticEntry.isNaN, staticExit.isNaN) {
        case (true, true): fixed = nil
        case (false, false):
            if let violation = optimizer.config.safetyViolation(entryThreshold: staticEntry, exitThreshold: staticExit) {
                throw violation
            }
            fixed = ThresholdPair(entryThresholdPct: staticEntry, exitThresholdPct: staticExit)
        default:
            throw CFailure(.invalidArgument, "static thresholds need both entry_threshold_pct and exit_threshold_pct")
        }
        guard updateIntervalSeconds * 1e9 >= 1, updateIntervalSeconds <= Double(OptimizerConfig.maxUpdateIntervalMinutes) * 60 else {
            throw ParameterValidationError(parameter: "update_interval_minutes", value: updateIntervalSeconds / 60,
                                           rule: "must be positive and at most \(OptimizerConfig.maxUpdateIntervalMinutes)")
        }
        if fixed == nil {
            let updates = Double(data.spanNanoseconds) / (updateIntervalSeconds * 1e9)
            let limit = max(data.count, minUpdateLimit)
            guard updates <= Double(limit) else {
                throw ParameterValidationError(parameter: "update_interval_minutes", value: updateIntervalSeconds / 60,
                                               rule: "gives \(Int(min(updates, 9e18))) updates; the limit is \(limit) (one per row, at least \(minUpdateLimit))")
            }
        }
        let interval = Duration.nanoseconds(Int64((updateIntervalSeconds * 1e9).rounded()))
        let staticParams = fixed
        let result = try blocking {
            try await optimizedDeltaNeutralBacktest(data, optimizer: optimizer, optimizationWindowHours: windowHours,
                                                    updateInterval: interval, staticParams: staticParams)
        }
        jsonOut.pointee = try jsonString(result)
    }
}

@_cdecl("deltaarb_generate_mock")
public func deltaarbGenerateMock(
    _ regime: CString?, _ hours: Double, _ spreadVolatility: Double, _ trendStrength: Double,
    _ tickIntervalSeconds: Double, _ seed: UInt64,
    _ columnsOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ rowsOut: UnsafeMutablePointer<Int64>?,
    _ errorOut: CStringOut?
) -> Int32 {
    columnsOut?.pointee = nil
    rowsOut?.pointee = 0
    return reporting(errorOut) {
        let columnsOut = try required(columnsOut, "columns_out"), rowsOut = try required(rowsOut, "rows_out")
        guard hours > 0, hours.isFinite else {
            throw ParameterValidationError(parameter: "hours", value: hours, rule: "must be positive and finite")
        }
        var config: MockMarketConfig
        if let regime {
            let name = String(cString: regime)
            guard let kind = SpreadRegime(rawValue: name) else {
                throw CFailure(.invalidArgument, "regime_type '\(name)' is not one of "
                    + SpreadRegime.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))
            }
            config = MockMarketConfig(regime: kind, durationHours: hours)
        } else {
            config = MockMarketConfig()
            config.hours = hours
            config.spreadVolatility = spreadVolatility
            config.trendStrength = trendStrength
        }
        config.meanTickInterval = tickIntervalSeconds
        let data = try generateMockMarketData(config, seed: seed)
        let n = data.count
        guard let buffer = malloc(max(n, 1) * 9 * 8) else { throw CFailure(.internalFailure, "out of memory for \(n) rows") }
        data.timestamps.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) }
        }
        let columns = [data.spotAskPrice, data.spotBidPrice, data.spotAskQuantity, data.spotBidQuantity,
                       data.futAskPrice, data.futBidPrice, data.futAskQuantity, data.futBidQuantity]
        for (k, column) in columns.enumerated() {
            column.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { (buffer + (k + 1) * n * 8).copyMemory(from: base, byteCount: bytes.count) }
            }
        }
        columnsOut.pointee = buffer
        rowsOut.pointee = Int64(n)
    }
}
