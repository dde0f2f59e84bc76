import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One load in progress. The input arrives in blocks that end at line
/// boundaries; each block is cut into pieces, parsed (on several threads
/// when large), checked in file order, and its good rows appended to the
/// output columns (see `consume`). Only the output ever holds the whole
/// data: parse buffers are reused piece after piece, which matters because
/// fresh memory (page faults and zeroing) costs as much as the parsing
/// itself at these sizes.
///
/// Driven from the loading thread; the parsing threads check and append
/// pieces through it one at a time, in turn (`PieceTurns`).
final class CSVLoadSession {
    let name: String?
    let options: MarketDataCSVOptions
    let minimumChunkBytes: Int
    let maximumChunks: Int
    /// Total input size, to reserve the output columns once.
    let expectedBytes: Int
    let fastRows: Bool
    /// Whether the parser may use the AVX2 kernels (it asks the processor).
    let vectorInstructions: Bool
    /// Bytes of text per piece (see `consume`): small enough that a piece's
    /// parsed columns stay in a core's cache until they are appended.
    let pieceBytes: Int

    private var parser: CSVChunkParser?
    private var validator: CSVRowValidator?
    private var pool: [CSVRawColumns] = []
    private var nextLine = 2
    private var parseErrors: [MarketDataError] = []
    private var parseSkipped = 0
    private var parseSkippedByKind: [MarketDataError.Kind: Int] = [:]
    private var blankLines = 0
    private var dataLines = 0
    private var timestamps: [Int64] = []
    private var values: [[Double]] = []
    /// Output rows whose memory is mapped already (see `append`).
    private var preparedRows = 0

    init(name: String?, options: MarketDataCSVOptions, minimumChunkBytes: Int, maximumChunks: Int, expectedBytes: Int,
         fastRows: Bool = true, vectorInstructions: Bool = true, pieceBytes: Int = 512 << 10) {
        self.fastRows = fastRows
        self.vectorInstructions = vectorInstructions
        self.pieceBytes = max(pieceBytes, 1)
        self.name = name
        self.options = options
        self.minimumChunkBytes = max(minimumChunkBytes, 1)
        self.maximumChunks = max(maximumChunks, 1)
        self.expectedBytes = expectedBytes
    }

    /// Takes the next block: `range` of `base`, ending just after a newline
    /// or at the end of input. `release`, when given, is called with each
    /// piece's range once its rows are appended (in file order), so that a
    /// mapped input can drop the pages it is done with.
    ///
    /// The block is cut into pieces of about `pieceBytes` at line ends. Each
    /// parsing thread parses a piece into column buffers of its own (small
    /// enough to stay in its core's cache), then hands it over: pieces are
    /// checked and appended in file order by whichever thread holds the
    /// turn, which takes every piece that is ready in order, while the other
    /// threads parse on. A thread never waits for a turn unless two parsed
    /// pieces per thread are already waiting (`PieceTurns`), so the
    /// in-order work runs beside the parsing instead of after it, and the
    /// parsed rows reach the output from cache.
    func consume(_ base: UnsafePointer<UInt8>, _ range: Range<Int>,
                 release: ((Range<Int>) -> Void)? = nil) throws(MarketDataError) {
        var range = range
        if parser == nil {
            range = try readHeader(base, range)
        }
        guard let parser, !range.isEmpty else { return }

        let workers = options.parallel ? max(1, min(maximumChunks, range.count / minimumChunkBytes)) : 1
        let pieceCount = max(workers, (range.count + pieceBytes - 1) / max(pieceBytes, 1))
        let pieces = Self.chunkRanges(base, range, count: pieceCount, maxLineBytes: parser.maxLineBytes)
        // Finding the cuts touched a page every piece, and the system maps a
        // file's pages in large runs (whole folios): without this, nearly all
        // of a mapped file would be resident before the first piece is parsed.
        release?(range)
        let threads = min(workers, pieces.count)
        let buffers = ColumnBuffers(free: pool) {
            let rows = Int(Double(pieces[0].count)
                * Self.estimatedRowsPerByte(base, pieces[0], fieldCount: parser.layout.fieldCount))
            return CSVRawColumns(storeCount: parser.storeCount, capacity: rows, headroom: CSVRowValidator.lookahead)
        }
        defer { pool = buffers.free }
        if threads == 1 {
            let columns = buffers.take()
            defer { buffers.give(columns) }
            for piece in pieces {
                try accept(parser.parse(base, range: piece, into: columns))
                release?(piece)
            }
            return
        }
        let turns = PieceTurns(count: pieces.count, maximumWaiting: 2 * threads)
        let input = InputBytes(base: base)
        let session = SessionReference(session: self, release: release)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let index = turns.claim() {
                let chunk = parser.parse(input.base, range: pieces[index], into: buffers.take())
                turns.handOver(index, chunk) { (ready, readyIndex) -> MarketDataError? in
                    defer { buffers.give(ready.columns) }
                    do throws(MarketDataError) {
                        try session.session.accept(ready)
                        session.release?(pieces[readyIndex])
                        return nil
                    } catch {
                        return error
                    }
                }
            }
        }
        turns.dropWaiting { buffers.give($0.columns) }
        if let error = turns.error { throw error }
    }

    /// Checks a parsed piece and appends its good rows; pieces come in file order.
    private func accept(_ chunk: CSVChunk) throws(MarketDataError) {
        // Rows before a chunk's parse error are checked first: an earlier error wins.
        try validator?.validate(chunk, firstLine: nextLine, final: chunk.fatal != nil)
        if var fatal = chunk.fatal {
            fatal.line = (fatal.line ?? 0) + nextLine
            throw fatal
        }
        for var error in chunk.errors where parseErrors.count < options.maxReportedErrors {
            error.line = (error.line ?? 0) + nextLine
            parseErrors.append(error)
        }
        parseSkipped += chunk.skipped
        parseSkippedByKind.merge(chunk.skippedByKind, uniquingKeysWith: +)
        blankLines += chunk.blankLines
        dataLines += chunk.lineCount - chunk.blankLines
        nextLine += chunk.lineCount
        append(chunk.columns)
    }

    /// The file line that the next block starts with (1 before the header is read).
    var nextLineNumber: Int { parser == nil ? 1 : nextLine }

    /// Appends the rows `start..<count` of `columns` to the output. Pieces are
    /// small, so the room ahead in the reserved columns is mapped in bulk
    /// (`FreshPages`) a few MiB at a time rather than per append.
    private func append(_ columns: CSVRawColumns) {
        let kept = columns.count - columns.start
        if timestamps.count + kept > preparedRows {
            let rows = max(kept, Self.preparedStepRows)
            FreshPages.prepareCapacity(&timestamps, next: rows)
            for k in values.indices { FreshPages.prepareCapacity(&values[k], next: rows) }
            preparedRows = timestamps.count + rows
        }
        timestamps.append(contentsOf: UnsafeBufferPointer(start: columns.timestamps + columns.start, count: kept))
        for k in values.indices {
            values[k].append(contentsOf: UnsafeBufferPointer(start: columns.values[k] + columns.start, count: kept))
        }
    }

    /// Rows of output readied at a time: 2 MiB per column, one huge page (a
    /// step readied past the last row is memory taken for nothing).
    private static let preparedStepRows = (2 << 20) / MemoryLayout<Double>.stride

    /// Reads the header from the first block; returns the rest of the block.
    private func readHeader(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) throws(MarketDataError) -> Range<Int> {
        var start = range.lowerBound
        let end = range.upperBound
        if end - start >= 3 && base[start] == 0xEF && base[start + 1] == 0xBB && base[start + 2] == 0xBF { start += 3 }
        var headerEnd = start
        while headerEnd < end && base[headerEnd] != 0x0A { headerEnd += 1 }
        var textEnd = headerEnd
        if textEnd > start && base[textEnd - 1] == 0x0D { textEnd -= 1 }
        if textEnd == start {
            throw MarketDataError(kind: .emptyInput, file: name, line: 1,
                                  detail: "line 1 is empty; expected the header row")
        }
        let maxLineBytes = Self.lineLimit(options)
        if textEnd - start > maxLineBytes {
            throw CSVInputText.lineTooLong(file: name, line: 1, limit: maxLineBytes, length: textEnd - start, lengthKnown: true,
                                           start: UnsafeBufferPointer(start: base + start, count: min(textEnd - start, 512)),
                                           atFileStart: true)
        }
        let layout = try CSVColumnLayout(header: UnsafeBufferPointer(start: base + start, count: textEnd - start),
                                         file: name)
        let parser = CSVChunkParser(layout: layout, file: name, skipBadRows: options.skipBadRows,
                                    maxErrors: max(0, options.maxReportedErrors), maxLineBytes: maxLineBytes,
                                    fastRows: fastRows, vectorInstructions: vectorInstructions)
        self.parser = parser
        validator = CSVRowValidator(parser: parser)

        let dataStart = min(headerEnd + 1, end)
        // Reserve the output once from the first lines' length; untouched capacity costs nothing.
        let estimate = Self.reservedRows(
            expectedBytes: expectedBytes,
            rowsPerByte: Self.estimatedRowsPerByte(base, dataStart..<end, fieldCount: layout.fieldCount),
            storeCount: parser.storeCount, physicalMemory: Self.physicalMemory)
        timestamps.reserveCapacity(estimate)
        values = (0..<parser.storeCount).map { _ in
            var column: [Double] = []
            column.reserveCapacity(estimate)
            return column
        }
        return dataStart..<end
    }

    /// The result once every block is in.
    func finish() throws(MarketDataError) -> MarketDataCSVLoadResult {
        guard let parser, var validator else {
            throw MarketDataError(kind: .emptyInput, file: name, detail: "the input is empty; expected a header row")
        }
        append(try validator.finish())
        self.validator = validator
        if timestamps.isEmpty {
            if dataLines == 0 {
                throw MarketDataError(kind: .emptyInput, file: name, line: 1, detail: "header row but no data rows")
            }
            throw MarketDataError(kind: .noCompleteRows, file: name,
                                  detail: "no row has all four prices: \(dataLines) data lines, "
                                      + "\(validator.leadingDropped) dropped before every price was known, "
                                      + "\(validator.skipped + parseSkipped) skipped as bad")
        }
        func column(_ slot: Int) -> [Double] {
            guard let k = parser.storeSlot.firstIndex(of: slot) else { return [] }
            return values[k]
        }
        let data = try MarketData(
            timestamps: timestamps,
            spotAskPrice: column(1), spotBidPrice: column(2),
            futAskPrice: column(3), futBidPrice: column(4),
            spotAskQuantity: column(5), spotBidQuantity: column(6),
            futAskQuantity: column(7), futBidQuantity: column(8))
        var errors = parseErrors + validator.errors
        errors.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        return MarketDataCSVLoadResult(
            data: data,
            leadingRowsDropped: validator.leadingDropped,
            rowsSkipped: parseSkipped + validator.skipped,
            skippedByKind: parseSkippedByKind.merging(validator.skippedByKind, uniquingKeysWith: +),
            firstErrors: Array(errors.prefix(max(0, options.maxReportedErrors))),
            blankLines: blankLines)
    }

    /// `options.maxLineBytes`, at least 1 and at most 1 TiB (so that buffer
    /// sizes derived from it cannot overflow).
    static func lineLimit(_ options: MarketDataCSVOptions) -> Int {
        min(max(options.maxLineBytes, 1), 1 << 40)
    }

    /// Output rows to reserve up front: the estimate from the input's size,
    /// but never columns over half the machine's memory (the size of a file,
    /// sparse or lying, must not make the reservation fail); more rows than
    /// that grow the columns as they come.
    static func reservedRows(expectedBytes: Int, rowsPerByte: Double, storeCount: Int, physicalMemory: Int) -> Int {
        let estimate = Double(max(expectedBytes, 0)) * rowsPerByte + 16
        let cap = Double(physicalMemory / 2 / (MemoryLayout<Double>.stride * (storeCount + 1)))
        return Int(min(estimate, max(cap, 16)))
    }

    /// Bytes of physical memory.
    static var physicalMemory: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages.multipliedReportingOverflow(by: size).partialValue : 1 << 30
    }

    /// `count` chunks of about equal size, each ending just after a newline,
    /// except where no newline follows within `maxLineBytes` + 1 bytes: that
    /// line is over the limit, and the chunk ends inside it, so that no
    /// chunk is much longer than the rest whatever the input (the parser
    /// stops at that line, as it would have anyway).
    static func chunkRanges(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, count: Int,
                            maxLineBytes: Int) -> [Range<Int>] {
        if count <= 1 { return [range] }
        var ranges: [Range<Int>] = []
        var start = range.lowerBound
        for i in 1..<count {
            var cut = max(start, range.lowerBound + range.count / count * i)
            let searchEnd = min(range.upperBound, cut + maxLineBytes + 1)
            while cut < searchEnd && base[cut] != 0x0A { cut += 1 }
            cut = cut < searchEnd ? cut + 1 : searchEnd
            if cut > start {
                ranges.append(start..<cut)
                start = cut
            }
        }
        if start < range.upperBound { ranges.append(start..<range.upperBound) }
        return ranges
    }

    /// Rows per byte from the non-blank lines in the first 64 KiB, padded by
    /// 10 %, and never more than a row of one-character fields allows (odd
    /// first lines must not reserve absurd amounts of memory).
    static func estimatedRowsPerByte(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, fieldCount: Int) -> Double {
        let sample = min(range.count, 1 << 16)
        let ceiling = 1 / Double(2 * max(fieldCount, 1))
        guard sample > 0 else { return ceiling }
        var lines = 1
        for i in range.lowerBound..<(range.lowerBound + sample)
        where base[i] == 0x0A && i > range.lowerBound && base[i - 1] != 0x0A && base[i - 1] != 0x0D {
            lines += 1
        }
        return min(Double(lines) / Double(sample) * 1.1, ceiling)
    }
}

/// The input block, shared read-only by the parsing threads. `@unchecked
/// Sendable`: nobody writes to it while they run, and it outlives them.
private struct InputBytes: @unchecked Sendable {
    let base: UnsafePointer<UInt8>
}

/// The session, handed to the parsing threads. `@unchecked Sendable`: they
/// use it only in their turn (`PieceTurns.handOver`), one at a time, in
/// file order; `release` is called only there too.
private struct SessionReference: @unchecked Sendable {
    let session: CSVLoadSession
    let release: ((Range<Int>) -> Void)?
}

/// Parse buffers of a load, reused piece after piece: a parsing thread
/// takes one per piece and the piece's acceptor gives it back, so there are
/// as many as pieces in flight (threads plus waiting pieces), not one per
/// piece. `@unchecked Sendable`: the free list is read and written under
/// the mutex.
private final class ColumnBuffers: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var available: [CSVRawColumns]
    private let make: () -> CSVRawColumns

    init(free: [CSVRawColumns], make: @escaping () -> CSVRawColumns) {
        available = free
        self.make = make
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// The buffers not in use, for the next block.
    var free: [CSVRawColumns] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return available
    }

    func take() -> CSVRawColumns {
        pthread_mutex_lock(mutex)
        let reused = available.popLast()
        pthread_mutex_unlock(mutex)
        return reused ?? make()
    }

    func give(_ columns: CSVRawColumns) {
        pthread_mutex_lock(mutex)
        available.append(columns)
        pthread_mutex_unlock(mutex)
    }
}

/// Which piece of a block the next free thread parses, and the hand-over of
/// parsed pieces to be checked and appended in file order. A thread that
/// has parsed a piece leaves it waiting; whichever thread finds the turn
/// free takes it and accepts, in order, every waiting piece that is next,
/// while the others go on parsing. Claiming in order means that the piece
/// the turn waits for is always one a running thread holds, so nothing
/// deadlocks however many threads `concurrentPerform` really runs at once;
/// a thread waits only when `maximumWaiting` pieces wait already (which
/// bounds the buffers in use) and then only for the turn to move on.
/// `@unchecked Sendable`: every field is read and written under the mutex.
private final class PieceTurns: @unchecked Sendable {
    private let count: Int
    private let maximumWaiting: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let turnMoved = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var claimed = 0
    /// The next piece to accept.
    private var turn = 0
    /// Whether a thread is accepting pieces now.
    private var accepting = false
    private var waiting: [Int: CSVChunk] = [:]
    private var stopped = false
    private var failure: MarketDataError?

    init(count: Int, maximumWaiting: Int) {
        self.count = count
        self.maximumWaiting = max(maximumWaiting, 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(turnMoved, nil)
    }

    deinit {
        pthread_cond_destroy(turnMoved)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        turnMoved.deallocate()
    }

    /// The next piece to parse; nil once all are claimed or a piece failed.
    func claim() -> Int? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !stopped && claimed < count else { return nil }
        claimed += 1
        return claimed - 1
    }

    /// Leaves parsed piece `index` to be accepted in its turn; if no thread
    /// is accepting, this one accepts every piece that is next and ready
    /// (`accept` runs outside the mutex; holding `accepting` is what makes
    /// it exclusive, and the mutex orders its writes before the next
    /// acceptor's reads). An error `accept` returns stops the rest.
    func handOver(_ index: Int, _ chunk: CSVChunk, accept: (CSVChunk, Int) -> MarketDataError?) {
        pthread_mutex_lock(mutex)
        waiting[index] = chunk
        if accepting {
            // Bound the pieces waiting: the acceptor moves the turn on, or a failure stops all.
            while waiting.count > maximumWaiting && !stopped && accepting { pthread_cond_wait(turnMoved, mutex) }
            if accepting || stopped {
                pthread_mutex_unlock(mutex)
                return
            }
        }
        accepting = true
        while !stopped, let next = waiting.removeValue(forKey: turn) {
            let nextIndex = turn
            pthread_mutex_unlock(mutex)
            let error = accept(next, nextIndex)
            pthread_mutex_lock(mutex)
            if let error {
                failure = error
                stopped = true
            }
            turn += 1
            pthread_cond_broadcast(turnMoved)
        }
        accepting = false
        pthread_cond_broadcast(turnMoved)
        pthread_mutex_unlock(mutex)
    }

    /// Hands the pieces still waiting after a failure to `drop`; called
    /// once every thread is done.
    func dropWaiting(_ drop: (CSVChunk) -> Void) {
        pthread_mutex_lock(mutex)
        let left = waiting.values
        waiting = [:]
        pthread_mutex_unlock(mutex)
        left.forEach(drop)
    }

    /// The error that stopped the block, read after every thread is done.
    var error: MarketDataError? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return failure
    }
}
