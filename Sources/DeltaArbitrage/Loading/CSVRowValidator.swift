/// The checks that need the rows around: carry-forward of empty fields, the
/// dropping of leading rows, time order, and bid <= ask per market. Runs over
/// the parsed chunks in file order and compacts each chunk's columns in place
/// so that only loaded rows remain.
///
/// Time order is judged against both neighbours, so that one bad time does
/// not condemn the good rows around it:
/// * a row earlier than the last row kept (or dropped as leading) is the bad
///   row (a far-past typo, or a file whose time really goes back);
/// * a row that is later than the rows below it is the bad row when most of
///   the next `lookahead` rows are earlier than it but not earlier than the
///   row above (they follow on without it), at least two of them: a
///   far-future typo. Up to two such rows in a row are recognised.
/// Otherwise (a swap of two close times, a row at the end of the input) the
/// later row in file order is the bad one.
///
/// To see `lookahead` rows ahead across chunk and block boundaries, the last
/// `lookahead` rows of every chunk are held back and checked at the start of
/// the next chunk (in its columns' headroom), or by `finish`.
///
/// A market's book is checked as soon as both its prices are known, also on
/// leading rows that are then dropped for lack of the other market's prices.
/// A skipped row (with `skipBadRows`) changes nothing: later rows carry
/// forward from, and are time-checked against, the last row that was kept
/// or dropped as leading.
struct CSVRowValidator {
    /// Rows below a row that its time-order check looks at; also the headroom
    /// of every `CSVRawColumns` the parser fills.
    static let lookahead = 5

    let parser: CSVChunkParser
    private var hasPrevious = false
    private var previous: Int64 = 0
    /// File line of the row `previous` comes from.
    private var previousLine = 0
    private var last: [Double]
    /// Rows held back from the previous chunk: times, values (row-major, raw
    /// as parsed) and file lines.
    private var heldTimes: [Int64]
    private var heldValues: [Double]
    private var heldLines: [Int]
    private var heldCount = 0
    /// Where the rows still held back at the end of the input are checked.
    private let tail: CSVChunk
    private(set) var leadingDropped = 0
    private(set) var skipped = 0
    private(set) var skippedByKind: [MarketDataError.Kind: Int] = [:]
    private(set) var errors: [MarketDataError] = []

    init(parser: CSVChunkParser) {
        self.parser = parser
        last = [Double](repeating: .nan, count: parser.storeCount)
        heldTimes = [Int64](repeating: 0, count: Self.lookahead)
        heldValues = [Double](repeating: .nan, count: Self.lookahead * parser.storeCount)
        heldLines = [Int](repeating: 0, count: Self.lookahead)
        let columns = CSVRawColumns(storeCount: parser.storeCount, capacity: 0, headroom: Self.lookahead)
        columns.start = Self.lookahead
        columns.count = Self.lookahead
        tail = CSVChunk(columns: columns)
    }

    /// Validates `chunk` (parsed from row `lookahead` on), whose first line is
    /// `firstLine` in the file, after the rows held back from the chunk
    /// before. Unless `final` (no rows follow: the end of the input or a
    /// parse error that stops the load), its last `lookahead` rows are held
    /// back in turn. Afterwards the chunk's columns hold, in `start..<count`,
    /// the rows to load.
    mutating func validate(_ chunk: CSVChunk, firstLine: Int, final: Bool) throws(MarketDataError) {
        let lookahead = Self.lookahead
        let columns = chunk.columns
        let storeCount = parser.storeCount
        let timestamps = columns.timestamps
        let values = columns.values
        let spotAsk = values[0], spotBid = values[1], futAsk = values[2], futBid = values[3]

        let first = lookahead - heldCount
        for r in 0..<heldCount {
            timestamps[first + r] = heldTimes[r]
            for k in 0..<storeCount { values[k][first + r] = heldValues[r * storeCount + k] }
        }
        let rows = RowLines(chunk: chunk, firstLine: firstLine, first: first,
                            heldLines: Array(heldLines[0..<heldCount]))
        heldCount = 0
        let n = columns.count
        let stop = final ? n : max(first, n - lookahead)

        var write = first
        var hasPrevious = self.hasPrevious
        var previous = self.previous
        var previousRow = -1  // row of `previous` when in this chunk
        let last = UnsafeMutablePointer<Double>.allocate(capacity: storeCount)
        defer { last.deallocate() }
        for k in 0..<storeCount { last[k] = self.last[k] }

        // Rows before `suspectUntil` have a time-order break within `lookahead`
        // rows below them; only those can be far-future outliers.
        var suspectUntil = first
        var m = first
        while m + 1 < n && m < first + lookahead - 1 {
            if timestamps[m + 1] < timestamps[m] { suspectUntil = m + 1 }
            m += 1
        }
        if stop > first && Self.isPlain(columns, first: first, stop: stop, n: n, after: hasPrevious ? previous : nil) {
            // What the row loop decides for such rows: every one is kept as it is.
            hasPrevious = true
            previous = timestamps[stop - 1]
            previousRow = stop - 1
            for k in 0..<storeCount { last[k] = values[k][stop - 1] }
            write = stop
        } else {
            for read in first..<stop {
                let ahead = read + lookahead
                if ahead < n && timestamps[ahead] < timestamps[ahead - 1] { suspectUntil = ahead }
                let t = timestamps[read]
                var failed = FailedCheck.none
                if hasPrevious && t < previous {
                    failed = .earlierThanAbove
                } else if read < suspectUntil
                            && Self.isLaterOutlier(read, n: n, timestamps, hasPrevious: hasPrevious, previous: previous) {
                    failed = .laterThanBelow
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
                    let above = previousRow >= 0 ? rows.line(previousRow) : previousLine
                    let failure = describe(failed, chunk, read, rows, n: n,
                                           above: hasPrevious ? (previous, above) : nil)
                    if !parser.skipBadRows { throw failure }
                    skipped += 1
                    skippedByKind[failure.kind, default: 0] += 1
                    if errors.count < parser.maxErrors { errors.append(failure) }
                    continue
                }
                hasPrevious = true
                previous = t
                previousRow = read
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

        // Compaction wrote only below `read`, so the rows from `stop` on are intact.
        for r in stop..<n {
            let h = r - stop
            heldTimes[h] = timestamps[r]
            for k in 0..<storeCount { heldValues[h * storeCount + k] = values[k][r] }
            heldLines[h] = rows.line(r)
        }
        heldCount = n - stop
        if previousRow >= 0 { previousLine = rows.line(previousRow) }
        self.hasPrevious = hasPrevious
        self.previous = previous
        for k in 0..<storeCount { self.last[k] = last[k] }
        columns.start = first
        columns.count = write
    }

    /// Whether rows `first..<stop` need none of the row loop's decisions:
    /// no empty field to carry forward (so no leading row to drop), no
    /// crossed book, and times that never go back from `after` through all
    /// `n` rows (so no row is out of order and none is a suspect outlier).
    /// Checked column by column, four rows per vector instruction.
    private static func isPlain(_ columns: CSVRawColumns, first: Int, stop: Int, n: Int, after: Int64?) -> Bool {
        let timestamps = columns.timestamps, values = columns.values
        if let after, timestamps[first] < after { return false }
        let count = stop - first
        // Any time going back, over all `n` rows (the held-back ones included).
        var broken = SIMDMask<SIMD4<Int64>>()
        let earlier = timestamps + first, later = timestamps + first + 1
        let pairs = max(n - first - 1, 0)
        var i = 0
        while i + 4 <= pairs {
            broken .|= Self.load4(later + i) .< Self.load4(earlier + i)
            i += 4
        }
        while i < pairs {
            if later[i] < earlier[i] { return false }
            i += 1
        }
        if any(broken) { return false }
        // Any empty field (NaN), any crossed book, in rows first..<stop.
        var unknown = SIMDMask<SIMD4<Int64>>()
        for k in 0..<columns.storeCount {
            let column = values[k] + first
            i = 0
            while i + 4 <= count {
                let v = Self.load4(column + i)
                unknown .|= v .!= v
                i += 4
            }
            while i < count {
                if column[i].isNaN { return false }
                i += 1
            }
        }
        if any(unknown) { return false }
        var crossed = SIMDMask<SIMD4<Int64>>()
        let spotAsk = values[0] + first, spotBid = values[1] + first, futAsk = values[2] + first, futBid = values[3] + first
        i = 0
        while i + 4 <= count {
            crossed .|= (Self.load4(spotBid + i) .> Self.load4(spotAsk + i)) .| (Self.load4(futBid + i) .> Self.load4(futAsk + i))
            i += 4
        }
        while i < count {
            if spotBid[i] > spotAsk[i] || futBid[i] > futAsk[i] { return false }
            i += 1
        }
        return !any(crossed)
    }

    @inline(__always)
    private static func load4<T: SIMDScalar>(_ p: UnsafeMutablePointer<T>) -> SIMD4<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<T>.self)
    }

    /// Validates the rows still held back once the input has ended; returns
    /// the columns holding, in `start..<count`, those to load.
    mutating func finish() throws(MarketDataError) -> CSVRawColumns {
        tail.columns.start = Self.lookahead
        tail.columns.count = Self.lookahead
        try validate(tail, firstLine: 0, final: true)
        return tail.columns
    }

    /// File lines of a chunk's rows, the held-back rows in front included.
    private struct RowLines {
        let chunk: CSVChunk
        let firstLine: Int
        let first: Int
        let heldLines: [Int]

        func line(_ row: Int) -> Int {
            row < CSVRowValidator.lookahead ? heldLines[row - first] : firstLine + chunk.localLine(ofRow: row)
        }
    }

    /// Whether the row at `row`, not earlier than the row above, is a
    /// far-future outlier: at least two of the next `lookahead` rows are
    /// earlier than it yet not earlier than the row above, and they outnumber
    /// those not earlier than it. `ArrowRowValidator` judges with it too.
    @inline(never)
    static func isLaterOutlier(_ row: Int, n: Int, _ timestamps: UnsafeMutablePointer<Int64>,
                                       hasPrevious: Bool, previous: Int64) -> Bool {
        let t = timestamps[row]
        var followOn = 0, notEarlier = 0
        for below in (row + 1)..<min(row + 1 + lookahead, n) {
            let u = timestamps[below]
            if u >= t {
                notEarlier += 1
            } else if !hasPrevious || u >= previous {
                followOn += 1
            }
        }
        return followOn >= 2 && followOn > notEarlier
    }

    private enum FailedCheck { case none, earlierThanAbove, laterThanBelow, spotCrossed, futuresCrossed }

    /// The error for a failed check on `row` of `chunk`; off the hot path.
    /// `above` is the time and line of the last row kept or dropped as leading.
    @inline(never)
    private func describe(_ failed: FailedCheck, _ chunk: CSVChunk, _ row: Int, _ rows: RowLines, n: Int,
                          above: (time: Int64, line: Int)?) -> MarketDataError {
        let values = chunk.columns.values
        let timestamps = chunk.columns.timestamps
        func time(_ t: Int64) -> String { UTCTime.iso8601(nanoseconds: t) }
        let aboveText = above.map { "the row above (line \($0.line): \(time($0.time)))" }
        let belowText = row + 1 < n ? "the row below (line \(rows.line(row + 1)): \(time(timestamps[row + 1])))" : nil
        let t = time(timestamps[row])
        switch failed {
        case .spotCrossed:
            return error(.crossedBook, slot: CSVColumnLayout.spotBidSlot, rows.line(row),
                         "spot bid \(values[1][row]) above ask \(values[0][row])")
        case .futuresCrossed:
            return error(.crossedBook, slot: CSVColumnLayout.futBidSlot, rows.line(row),
                         "futures bid \(values[3][row]) above ask \(values[2][row])")
        case .laterThanBelow:
            var detail = "out of time order: \(t) is later than the rows below it, " + (belowText ?? "")
            if let aboveText { detail += ", which follow on from " + aboveText }
            return error(.timeWentBackwards, slot: CSVColumnLayout.timestampSlot, rows.line(row), detail)
        case .none, .earlierThanAbove:
            var detail = "out of time order: \(t) is earlier than " + (aboveText ?? "the row above")
            if let belowText { detail += "; " + belowText }
            return error(.timeWentBackwards, slot: CSVColumnLayout.timestampSlot, rows.line(row), detail)
        }
    }

    @inline(never)
    private func error(_ kind: MarketDataError.Kind, slot: Int, _ line: Int, _ detail: String) -> MarketDataError {
        MarketDataError(kind: kind, file: parser.file, line: line,
                        column: CSVColumnLayout.slotNames[slot], field: parser.layout.fieldOfSlot[slot],
                        detail: detail)
    }
}
