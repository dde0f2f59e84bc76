/// The checks that need the rows above: carry-forward of empty fields, the
/// dropping of leading rows, time order, and bid <= ask per market. Runs over
/// the parsed chunks in file order and compacts each chunk's columns in place
/// so that only loaded rows remain.
///
/// A market's book is checked as soon as both its prices are known, also on
/// leading rows that are then dropped for lack of the other market's prices.
/// A skipped row (with `skipBadRows`) changes nothing: later rows carry
/// forward from, and are time-checked against, the last row that was kept
/// or dropped as leading.
struct CSVRowValidator {
    let parser: CSVChunkParser
    private var hasPrevious = false
    private var previous: Int64 = 0
    private var last: [Double]
    private(set) var leadingDropped = 0
    private(set) var skipped = 0
    private(set) var skippedByKind: [MarketDataError.Kind: Int] = [:]
    private(set) var errors: [MarketDataError] = []

    init(parser: CSVChunkParser) {
        self.parser = parser
        last = [Double](repeating: .nan, count: parser.storeCount)
    }

    /// Validates `chunk`, whose first line is `firstLine` in the file.
    mutating func validate(_ chunk: CSVChunk, firstLine: Int) throws(MarketDataError) {
        let columns = chunk.columns
        let storeCount = parser.storeCount
        let timestamps = columns.timestamps
        let values = columns.values
        let spotAsk = values[0], spotBid = values[1], futAsk = values[2], futBid = values[3]
        let n = columns.count
        var write = 0
        var hasPrevious = self.hasPrevious
        var previous = self.previous
        let last = UnsafeMutablePointer<Double>.allocate(capacity: storeCount)
        defer { last.deallocate() }
        for k in 0..<storeCount { last[k] = self.last[k] }
        defer { for k in 0..<storeCount { self.last[k] = last[k] } }
        defer {
            self.hasPrevious = hasPrevious
            self.previous = previous
            columns.count = write
        }

        for read in 0..<n {
            let t = timestamps[read]
            var failed = FailedCheck.none
            if hasPrevious && t < previous {
                failed = .timeWentBackwards
            } else {
                for k in 0..<storeCount where values[k][read].isNaN { values[k][read] = last[k] }
                // NaN compares false, so an unknown price never counts as crossed.
                if spotBid[read] > spotAsk[read] {
                    failed = .spotCrossed
                } else if futBid[read] > futAsk[read] {
                    failed = .futuresCrossed
                }
            }
            if failed != .none {
                let failure = describe(failed, chunk, read, firstLine, previous: previous)
                if !parser.skipBadRows { throw failure }
                skipped += 1
                skippedByKind[failure.kind, default: 0] += 1
                if errors.count < parser.maxErrors { errors.append(failure) }
                continue
            }
            hasPrevious = true
            previous = t
            for k in 0..<storeCount { last[k] = values[k][read] }
            if spotAsk[read].isNaN || spotBid[read].isNaN || futAsk[read].isNaN || futBid[read].isNaN {
                leadingDropped += 1
                continue
            }
            if write != read {
                timestamps[write] = t
                for k in 0..<storeCount { values[k][write] = values[k][read] }
            }
            write += 1
        }
    }

    private enum FailedCheck { case none, timeWentBackwards, spotCrossed, futuresCrossed }

    /// The error for a failed check on row `row` of `chunk`; off the hot path.
    @inline(never)
    private func describe(_ failed: FailedCheck, _ chunk: CSVChunk, _ row: Int, _ firstLine: Int,
                          previous: Int64) -> MarketDataError {
        let values = chunk.columns.values
        switch failed {
        case .spotCrossed:
            return error(.crossedBook, slot: CSVColumnLayout.spotBidSlot, chunk, row, firstLine,
                         "spot bid \(values[1][row]) above ask \(values[0][row])")
        case .futuresCrossed:
            return error(.crossedBook, slot: CSVColumnLayout.futBidSlot, chunk, row, firstLine,
                         "futures bid \(values[3][row]) above ask \(values[2][row])")
        case .none, .timeWentBackwards:
            let t = chunk.columns.timestamps[row]
            return error(.timeWentBackwards, slot: CSVColumnLayout.timestampSlot, chunk, row, firstLine,
                         "\(UTCTime.iso8601(nanoseconds: t)) is before \(UTCTime.iso8601(nanoseconds: previous)) on the row above")
        }
    }

    @inline(never)
    private func error(_ kind: MarketDataError.Kind, slot: Int, _ chunk: CSVChunk, _ row: Int, _ firstLine: Int,
                       _ detail: String) -> MarketDataError {
        MarketDataError(kind: kind, file: parser.file, line: firstLine + chunk.localLine(ofRow: row),
                        column: CSVColumnLayout.slotNames[slot], field: parser.layout.fieldOfSlot[slot],
                        detail: detail)
    }
}
