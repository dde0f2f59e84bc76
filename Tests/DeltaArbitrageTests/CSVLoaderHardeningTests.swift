import Dispatch
import Testing
@testable import DeltaArbitrage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hostile inputs: files without line ends, devices, pipes, directories,
/// non-CSV headers, huge fields, and out-of-order rows that must not condemn
/// their good neighbours.
@Suite struct CSVLoaderHardeningTests {
    private static let header = "timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price"
    private static let t0: Int64 = 1_760_249_820  // 2025-10-12T06:17:00Z, epoch seconds
    /// About five years, in seconds (the 43,824-hour trade).
    private static let fiveYears: Int64 = 43_824 * 3_600

    /// A header and `rows` data rows one second apart; `times` overrides the
    /// time of chosen file lines (line 2 is the first data row).
    private static func series(rows: Int, times: [Int: Int64] = [:]) -> String {
        var text = header + "\n"
        for row in 0..<rows {
            let line = row + 2
            text += "\(times[line] ?? t0 + Int64(row)),2,1,4,3\n"
        }
        return text
    }

    private static func loader(skip: Bool = false, maxLineBytes: Int = MarketDataCSVOptions.defaultMaxLineBytes)
        -> MarketDataCSVLoader {
        MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: skip, maxLineBytes: maxLineBytes))
    }

    private static func error(_ body: () throws(MarketDataError) -> MarketDataCSVLoadResult) -> MarketDataError? {
        do { _ = try body(); return nil } catch { return error }
    }

    private static func temporaryPath(_ tag: String) -> String {
        "/tmp/delta-arb-hardening-\(tag)-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    }

    private static func save(_ bytes: [UInt8], to path: String) throws {
        guard let file = fopen(path, "wb") else { throw MarketDataError(kind: .unwritableFile, file: path, detail: "test") }
        defer { fclose(file) }
        #expect(fwrite(bytes, 1, bytes.count, file) == bytes.count)
    }

    // MARK: - Sizes bounded

    @Test func devZeroStopsAtTheLineLimit() {
        // Before the limit the reader doubled its buffer for ever on a file without line ends.
        var small = Self.loader(maxLineBytes: 5_000)
        small.blockBytes = 1_000
        for loader in [Self.loader(), small] {
            let error = Self.error { () throws(MarketDataError) in try loader.load(path: "/dev/zero") }
            #expect(error?.kind == .lineTooLong)
            #expect(error?.file == "/dev/zero" && error?.line == 1)
            #expect(error?.detail.contains("limit of \(loader.options.maxLineBytes) bytes") == true, "\(String(describing: error))")
            #expect(error?.detail.contains("NUL bytes") == true)
            #expect((error?.description.count ?? .max) < 400)
        }
    }

    @Test func overlongLineNamesItsLineAndTheLimit() throws {
        let long = String(repeating: "9", count: 70_000)
        let text = Self.header + "\n1760249820,2,1,4,3\n1760249821,2,1,4,3\n1760249822," + long + ",1,4,3\n1760249823,2,1,4,3\n"
        for skip in [false, true] {
            // In memory, and from a file through the block reader at several block sizes.
            let error = Self.error { () throws(MarketDataError) in try Self.loader(skip: skip).load(text: text, name: "t.csv") }
            #expect(error?.kind == .lineTooLong && error?.line == 4, "\(String(describing: error))")
            #expect(error?.detail.contains("limit of 65536 bytes (70017 bytes)") == true, "\(String(describing: error))")
            #expect((error?.description.count ?? .max) < 300)
            let path = Self.temporaryPath("long")
            defer { unlink(path) }
            try Self.save(Array(text.utf8), to: path)
            for block in [100, 10_000, 1 << 20] {
                var loader = Self.loader(skip: skip)
                loader.blockBytes = block
                let fromFile = Self.error { () throws(MarketDataError) in try loader.load(path: path) }
                #expect(fromFile?.kind == .lineTooLong && fromFile?.line == 4, "block \(block): \(String(describing: fromFile))")
            }
        }
        // The header too, and the limit is an option.
        let wideHeader = Self.header + "," + String(repeating: "x", count: 70_000) + "\n1760249820,2,1,4,3,0\n"
        let headerError = Self.error { () throws(MarketDataError) in try Self.loader().load(text: wideHeader) }
        #expect(headerError?.kind == .lineTooLong && headerError?.line == 1)
        #expect((try? Self.loader(maxLineBytes: 100_000).load(text: wideHeader))?.rowsLoaded == 1)
    }

    @Test func reservationIsCappedByTheMachine() {
        // A sparse or lying file size must not reserve more than half the memory.
        let rows = CSVLoadSession.reservedRows(expectedBytes: 1 << 50, rowsPerByte: 0.05, storeCount: 8,
                                               physicalMemory: 1 << 30)
        #expect(rows <= (1 << 29) / 72)
        #expect(CSVLoadSession.reservedRows(expectedBytes: 1_000, rowsPerByte: 0.05, storeCount: 8,
                                            physicalMemory: 1 << 30) == 66)
    }

    // MARK: - Files that are not plain files

    @Test func pipeIsReadAsAStream() throws {
        let path = Self.temporaryPath("fifo")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let text = Array(Self.series(rows: 1_000).utf8)
        let writer = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let fd = open(path, O_WRONLY)
            if fd >= 0 {
                text.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let wrote = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        if wrote <= 0 { break }
                        offset += wrote
                    }
                }
                close(fd)
            }
            writer.signal()
        }
        var loader = Self.loader()
        loader.blockBytes = 4_096
        let result = try loader.load(path: path)
        writer.wait()
        #expect(result.rowsLoaded == 1_000)
    }

    @Test func unreadablePathsAreOneHumanLine() throws {
        let directory = Self.temporaryPath("dir")
        #expect(mkdir(directory, 0o700) == 0)
        defer { rmdir(directory) }
        var cases = [(directory, "is a directory"), (directory + "/missing.csv", "No such file or directory")]
        let locked = Self.temporaryPath("locked")
        try Self.save(Array(Self.series(rows: 2).utf8), to: locked)
        defer { unlink(locked) }
        chmod(locked, 0)
        if geteuid() != 0 { cases.append((locked, "Permission denied")) }  // root reads anything
        for (path, reason) in cases {
            let error = Self.error { () throws(MarketDataError) in try MarketData.loadCSV(at: path) }
            #expect(error?.kind == .unreadableFile && error?.file == path)
            let text = error?.description ?? ""
            #expect(text.hasPrefix(path + ": ") && text.contains(reason), "\(text)")
            #expect(!text.contains("Domain") && !text.contains("Code=") && !text.contains("\n"), "\(text)")
        }
    }

    // MARK: - Headers

    @Test(arguments: [
        ([0x1F, 0x8B, 0x08, 0x00, 0x0A, 0x41], "gzip-compressed", "\\x1f\\x8b\\x08\\0"),
        (Array("PK\u{3}\u{4}abc\n".utf8), "zip archive", "PK\\x03\\x04abc"),
        ([0xFF, 0xFE] + Array("t\0i\0m\0e\0,\0x\0\n\0".utf8), "UTF-16", "\\xff\\xfet\\0i\\0"),
        (Array("t\0i\0m\0e\0s\0t\0a\0m\0p\0,\0x\0\n\0".utf8), "UTF-16", "t\\0i\\0m\\0"),
        (Array("timestamp;spot_ask_price;spot_bid_price;fut_ask_price;fut_bid_price\n1;2;1;4;3\n".utf8),
         "separated by ';'", "timestamp;spot_ask_price"),
        (Array("timestamp\tspot_ask_price\tspot_bid_price\tfut_ask_price\tfut_bid_price\n".utf8),
         "separated by tabs", "timestamp\\tspot_ask_price"),
        (Array("# exported 2025-10-12\ntimestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price\n".utf8),
         "comment line", "# exported 2025-10-12"),
    ] as [([UInt8], String, String)])
    func unrecognisedHeaderSaysWhatWasReadAndWhy(bytes: [UInt8], reason: String, shown: String) {
        let error = Self.error { () throws(MarketDataError) in try Self.loader().load(bytes: bytes, name: "h.csv") }
        #expect(error?.kind == .unrecognizedHeader && error?.line == 1, "\(String(describing: error))")
        #expect(error?.detail.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.detail.contains("reads '\(shown)") == true, "\(String(describing: error))")
    }

    @Test func headerNamesIgnoreCaseSpacesAndAUTF8BOM() throws {
        let text = "\u{FEFF} TimeStamp ,SPOT_ASK_PRICE,\"Spot_Bid_Price\",fut_ask_price ,Fut_Bid_Price\n1760249820,2,1,4,3\n"
        let result = try Self.loader().load(text: text)
        #expect(result.rowsLoaded == 1 && result.data.futBidPrice == [3])
        // A known name twice, in two spellings, is still a duplicate.
        let twice = Self.error { () throws(MarketDataError) in
            try Self.loader().load(text: Self.header + ",SPOT_BID_PRICE\n1760249820,2,1,4,3,1\n")
        }
        #expect(twice?.kind == .duplicateColumn && twice?.field == 6)
    }

    @Test func missingColumnShowsTheHeaderCapped() {
        let header = "when," + String(repeating: "y", count: 50_000)
        let error = Self.error { () throws(MarketDataError) in try Self.loader().load(text: header + "\n1,2\n", name: "h.csv") }
        #expect(error?.kind == .missingColumn && error?.column == "timestamp")
        #expect(error?.detail.contains("'when,yyyy") == true)
        #expect((error?.description.count ?? .max) < 200, "\(String(describing: error))")
    }

    @Test func quotedInputIsCappedAndEscaped() {
        let field = String(repeating: "7", count: 60_000) + "x"
        let error = Self.error { () throws(MarketDataError) in
            try Self.loader().load(text: Self.header + "\n1760249820,2," + field + ",4,3\n", name: "t.csv")
        }
        #expect(error?.kind == .invalidNumber && error?.line == 2)
        #expect((error?.description.count ?? .max) < 200)
        #expect(error?.detail.hasSuffix("…'") == true, "\(String(describing: error))")
        let bytes: [UInt8] = [0x1F, 0x00, 0x09, 0x5C] + Array("é\u{7}".utf8) + [0xC3]
        #expect(bytes.withUnsafeBufferPointer { CSVInputText.excerpt($0) } == "\\x1f\\0\\t\\\\é\\x07\\xc3")
        #expect(CSVInputText.excerpt(String(repeating: "a", count: 200)) == String(repeating: "a", count: 80) + "…")
    }

    // MARK: - Time order judged against both neighbours

    /// The case: 7,201 rows, a far-future typo on line 100.
    @Test func farFutureTypoIsTheBadRowNotTheRowsAfterIt() throws {
        let rows = 7_201
        let spike = Self.t0 + 98 + Self.fiveYears
        let text = Self.series(rows: rows, times: [100: spike])
        let strict = Self.error { () throws(MarketDataError) in try Self.loader().load(text: text, name: "t.csv") }
        #expect(strict?.kind == .timeWentBackwards && strict?.line == 100 && strict?.column == "timestamp",
                "\(String(describing: strict))")
        let detail = strict?.detail ?? ""
        #expect(detail.contains(UTCTime.iso8601(nanoseconds: spike * 1_000_000_000)), "\(detail)")
        #expect(detail.contains("line 99: \(UTCTime.iso8601(nanoseconds: (Self.t0 + 97) * 1_000_000_000))"), "\(detail)")
        #expect(detail.contains("line 101: \(UTCTime.iso8601(nanoseconds: (Self.t0 + 99) * 1_000_000_000))"), "\(detail)")

        let expected = (0..<Int64(rows)).filter { $0 != 98 }.map { (Self.t0 + $0) * 1_000_000_000 }
        // Through every path: in memory, and from a file in blocks and chunks whose edges fall near the typo.
        let path = Self.temporaryPath("spike")
        defer { unlink(path) }
        try Self.save(Array(text.utf8), to: path)
        for (block, chunks) in [(1 << 30, 1), (2_000, 1), (2_000, 3), (2_450, 2), (100, 1)] {
            var loader = Self.loader(skip: true)
            loader.blockBytes = block
            loader.minimumChunkBytes = 1
            loader.maximumChunks = chunks
            for result in [try loader.load(text: text, name: "t.csv"), try loader.load(path: path)] {
                #expect(result.rowsLoaded == rows - 1 && result.rowsSkipped == 1, "block \(block), chunks \(chunks)")
                #expect(result.firstErrors.map(\.line) == [100])
                #expect(result.data.timestamps.elementsEqual(expected))
            }
        }
    }

    @Test func farPastTypoIsTheBadRow() throws {
        let text = Self.series(rows: 300, times: [100: Self.t0 - Self.fiveYears])
        let strict = Self.error { () throws(MarketDataError) in try Self.loader().load(text: text, name: "t.csv") }
        #expect(strict?.kind == .timeWentBackwards && strict?.line == 100, "\(String(describing: strict))")
        #expect(strict?.detail.contains("line 99:") == true && strict?.detail.contains("line 101:") == true)
        let skipped = try Self.loader(skip: true).load(text: text)
        #expect(skipped.rowsLoaded == 299 && skipped.firstErrors.map(\.line) == [100])
    }

    @Test(arguments: [157_766_400, -157_766_400] as [Int64])
    func twoConsecutiveBadRows(offset: Int64) throws {
        let text = Self.series(rows: 300, times: [100: Self.t0 + 98 + offset, 101: Self.t0 + 99 + offset])
        let strict = Self.error { () throws(MarketDataError) in try Self.loader().load(text: text, name: "t.csv") }
        #expect(strict?.kind == .timeWentBackwards && strict?.line == 100, "\(String(describing: strict))")
        let skipped = try Self.loader(skip: true).load(text: text)
        #expect(skipped.rowsLoaded == 298 && skipped.firstErrors.map(\.line) == [100, 101])
        #expect(skipped.data.timestamps.elementsEqual((0..<300).filter { $0 != 98 && $0 != 99 }.map { (Self.t0 + $0) * 1_000_000_000 }))
    }

    @Test func farFutureFirstRowIsTheBadRow() throws {
        let text = Self.series(rows: 50, times: [2: Self.t0 + Self.fiveYears])
        let strict = Self.error { () throws(MarketDataError) in try Self.loader().load(text: text, name: "t.csv") }
        #expect(strict?.kind == .timeWentBackwards && strict?.line == 2, "\(String(describing: strict))")
        #expect(try Self.loader(skip: true).load(text: text).rowsLoaded == 49)
    }

    @Test func whenNeighboursCannotTellTheLaterRowIsBad() throws {
        // A swap of two close times, and a drop on the last row: nothing says the earlier row is wrong.
        let swap = Self.series(rows: 20, times: [10: Self.t0 + 9, 11: Self.t0 + 8])
        #expect(try Self.loader(skip: true).load(text: swap).firstErrors.map(\.line) == [11])
        let end = Self.series(rows: 20, times: [21: Self.t0])
        #expect(try Self.loader(skip: true).load(text: end).firstErrors.map(\.line) == [21])
        // A real step back (two recordings in the wrong order) condemns the rows after it, as before.
        let reordered = Self.series(rows: 20, times: Dictionary(uniqueKeysWithValues: (12...21).map { ($0, Self.t0 - 100 + Int64($0)) }))
        let error = Self.error { () throws(MarketDataError) in try Self.loader().load(text: reordered) }
        #expect(error?.line == 12)
    }
}
