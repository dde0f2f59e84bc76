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
        let n = columns.count
        var write = 0
        for read in 0..<n {
            let t = timestamps[read]
            var failure: MarketDataError? = nil
            if hasPrevious && t < previous {
                failure = error(.timeWentBackwards, slot: CSVColumnLayout.timestampSlot, chunk, read, firstLine,
                                "\(UTCTime.iso8601(nanoseconds: t)) is before \(UTCTime.iso8601(nanoseconds: previous)) on the row above")
            }
            if failure == nil {
                for k in 0..<storeCount where values[k][read].isNaN { values[k][read] = last[k] }
                let spotAsk = values[0][read], spotBid = values[1][read]
                let futAsk = values[2][read], futBid = values[3][read]
                // NaN compares false, so an unknown price never counts as crossed.
                if spotBid > spotAsk {
                    failure = error(.crossedBook, slot: CSVColumnLayout.spotBidSlot, chunk, read, firstLine,
                                    "spot bid \(spotBid) above ask \(spotAsk)")
                } else if futBid > futAsk {
                    failure = error(.crossedBook, slot: CSVColumnLayout.futBidSlot, chunk, read, firstLine,
                                    "futures bid \(futBid) above ask \(futAsk)")
                }
            }
            if let failure {
                if !parser.skipBadRows { throw failure }
                skipped += 1
                skippedByKind[failure.kind, default: 0] += 1
                if errors.count < parser.maxErrors { errors.append(failure) }
                continue
            }
            hasPrevious = true
            previous = t
            for k in 0..<storeCount { last[k] = values[k][read] }
            if values[0][read].isNaN || values[1][read].isNaN || values[2][read].isNaN || values[3][read].isNaN {
                leadingDropped += 1
                continue
            }
            if write != read {
                timestamps[write] = t
                for k in 0..<storeCount { values[k][write] = values[k][read] }
            }
            write += 1
        }
        columns.count = write
    }

    @inline(never)
    private func error(_ kind: MarketDataError.Kind, slot: Int, _ chunk: CSVChunk, _ row: Int, _ firstLine: Int,
                       _ detail: String) -> MarketDataError {
        MarketDataError(kind: kind, file: parser.file, line: firstLine + chunk.localLine(ofRow: row),
                        column: CSVColumnLayout.slotNames[slot], field: parser.layout.fieldOfSlot[slot],
                        detail: detail)
    }
}
