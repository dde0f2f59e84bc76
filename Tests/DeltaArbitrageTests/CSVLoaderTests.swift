import Testing
@testable import DeltaArbitrage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private let header = "timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price"
private let t0: Int64 = 1_760_249_820_000_000_000  // 2025-10-12T06:17:00Z

private func load(_ text: String, skip: Bool = false, parallel: Bool = true) throws(MarketDataError) -> MarketDataCSVLoadResult {
    try MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: skip, parallel: parallel)).load(text: text, name: "t.csv")
}

/// Loads `text` expecting one specific error.
private func expectError(_ text: String, _ kind: MarketDataError.Kind, line: Int?, column: String?, field: Int?,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let result = try load(text)
        Issue.record("expected \(kind), loaded \(result.rowsLoaded) rows", sourceLocation: sourceLocation)
    } catch {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.file == "t.csv", sourceLocation: sourceLocation)
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.column == column, "\(error)", sourceLocation: sourceLocation)
        #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
    }
}

/// NaN-aware equality of two data sets (quantities may be NaN).
private func identical(_ a: MarketData, _ b: MarketData) -> Bool {
    func same(_ x: Column<Double>, _ y: Column<Double>) -> Bool { x.map(\.bitPattern) == y.map(\.bitPattern) }
    return a.timestamps == b.timestamps && same(a.spotAskPrice, b.spotAskPrice) && same(a.spotBidPrice, b.spotBidPrice)
        && same(a.futAskPrice, b.futAskPrice) && same(a.futBidPrice, b.futBidPrice)
        && same(a.spotAskQuantity, b.spotAskQuantity) && same(a.spotBidQuantity, b.spotBidQuantity)
        && same(a.futAskQuantity, b.futAskQuantity) && same(a.futBidQuantity, b.futBidQuantity)
}

@Suite struct CSVLoaderTests {
    @Test func columnsInAnyOrderExtrasIgnoredQuantitiesOptional() throws {
        let text = """
            note,fut_bid_price,timestamp,spot_bid_price,fut_ask_price,spot_ask_quantity,spot_ask_price
            a,101.0,2025-10-12T06:17:00Z,100.0,101.5,3.25,100.5
            b,101.1,2025-10-12T06:17:01Z,100.1,101.6,,100.6
            """
        let result = try load(text)
        let data = result.data
        #expect(result.rowsLoaded == 2 && result.leadingRowsDropped == 0 && result.rowsSkipped == 0)
        #expect(data.timestamps == [t0, t0 + 1_000_000_000])
        #expect(data.spotAskPrice == [100.5, 100.6])
        #expect(data.spotBidPrice == [100.0, 100.1])
        #expect(data.futAskPrice == [101.5, 101.6])
        #expect(data.futBidPrice == [101.0, 101.1])
        #expect(data.spotAskQuantity == [3.25, 3.25])  // carried forward
        #expect(data.spotBidQuantity.allSatisfy(\.isNaN) && data.futAskQuantity.allSatisfy(\.isNaN)
                && data.futBidQuantity.allSatisfy(\.isNaN))
    }

    @Test func timestampFormatsAndEpochUnits() throws {
        let stamps = [
            "2025-10-12 06:17:00.123", "2025-10-12T06:17:00Z", "2025-10-12T08:17:00.123456+02:00",
            "2025-10-12T01:17:00-05:00", "2025-10-12T11:47:00+0530", "1760249820", "1760249820.5",
            "1760249820123", "1760249820123.25", "1760249820123456", "1760249820123456789",
        ]
        let expected: [Int64] = [
            t0 + 123_000_000, t0, t0 + 123_456_000, t0, t0, t0, t0 + 500_000_000,
            t0 + 123_000_000, t0 + 123_250_000, t0 + 123_456_000, t0 + 123_456_789,
        ]
        for (stamp, value) in zip(stamps, expected) {
            let result = try load(header + "\n\(stamp),2,1,4,3\n")
            #expect(result.data.timestamps == [value], "\(stamp)")
        }
    }

    @Test func datesChangeBetweenRows() throws {
        let text = header + "\n2025-02-28T23:59:59.999Z,2,1,4,3\n2025-03-01T00:00:00Z,2,1,4,3\n2025-03-01 00:00:01,2,1,4,3\n"
        #expect(try load(text).data.timestamps == [1_740_787_199_999_000_000, 1_740_787_200_000_000_000,
                                                   1_740_787_201_000_000_000])
        expectError(header + "\n2025-02-28T23:59:59Z,2,1,4,3\n2025-02-29T00:00:00Z,2,1,4,3\n",
                    .invalidTimestamp, line: 3, column: "timestamp", field: 1)
    }

    @Test func crlfBomNoFinalNewlineBlankLines() throws {
        let plain = header + "\n1760249820,2,1,4,3\n1760249821,2.5,1.5,4,3\n"
        let reference = try load(plain).data
        let variants = [
            plain.replacingCRLF(),
            "\u{FEFF}" + plain,
            "\u{FEFF}" + plain.replacingCRLF(),
            String(plain.dropLast()),
            String(plain.replacingCRLF().dropLast(2)),
            plain + "\n\n",
            plain.replacingCRLF() + "\r\n\r\n",
            header + "\n\n1760249820,2,1,4,3\n\n1760249821,2.5,1.5,4,3",
        ]
        for text in variants {
            let result = try load(text)
            #expect(identical(result.data, reference), "\(text.debugDescription)")
        }
        #expect(try load(plain + "\n\n").blankLines == 2)
    }

    @Test func quotedFieldsAndSpaces() throws {
        let text = "\"timestamp\", \"spot_ask_price\",spot_bid_price,fut_ask_price,fut_bid_price,comment\n"
            + "\"2025-10-12T06:17:00Z\",\"2\", 1 ,4,3,\"plain note\"\n"
        let data = try load(text).data
        #expect(data.timestamps == [t0] && data.spotAskPrice == [2] && data.spotBidPrice == [1])
        // An embedded comma splits a quoted field: rejected rather than misread.
        expectError(text.replacingOccurrences("plain note", "a, b"), .invalidQuoting, line: 2, column: "comment", field: 6)
        expectError(header + "\n1760249820,\"2,1,4,3\n", .invalidQuoting, line: 2, column: "spot_ask_price", field: 2)
        expectError(header + "\n1760249820,2\",1,4,3\n", .invalidQuoting, line: 2, column: "spot_ask_price", field: 2)
        expectError(header + "\n1760249820,\"2\"\"\",1,4,3\n", .invalidQuoting, line: 2, column: "spot_ask_price", field: 2)
    }

    @Test func carryForwardAndLeadingRowsDropped() throws {
        let text = header + ",spot_ask_quantity\n"
            + "1760249820,2,1,,,\n"        // futures unknown: dropped
            + "1760249821,,,4,,7\n"        // futures bid unknown: dropped
            + "1760249822,,,,3,\n"         // first complete row
            + "1760249823,2.5,,,,8\n"
            + "1760249824,,1.5,,3.5,\n"
        let result = try load(text)
        #expect(result.leadingRowsDropped == 2)
        #expect(result.rowsLoaded == 3)
        let data = result.data
        #expect(data.timestamps == [t0 + 2_000_000_000, t0 + 3_000_000_000, t0 + 4_000_000_000])
        #expect(data.spotAskPrice == [2, 2.5, 2.5])
        #expect(data.spotBidPrice == [1, 1, 1.5])
        #expect(data.futAskPrice == [4, 4, 4])
        #expect(data.futBidPrice == [3, 3, 3.5])
        #expect(data.spotAskQuantity == [7, 8, 8])
    }

    @Test func headerErrors() {
        expectError("", .emptyInput, line: nil, column: nil, field: nil)
        expectError("\u{FEFF}", .emptyInput, line: 1, column: nil, field: nil)
        expectError("\n", .emptyInput, line: 1, column: nil, field: nil)
        expectError("\n" + header + "\n1,2,1,4,3\n", .emptyInput, line: 1, column: nil, field: nil)
        expectError(header, .emptyInput, line: 1, column: nil, field: nil)
        expectError(header + "\r\n\r\n", .emptyInput, line: 1, column: nil, field: nil)
        expectError("timestamp,spot_ask_price,spot_bid_price,fut_ask_price\n1,2,1,4\n",
                    .missingColumn, line: 1, column: "fut_bid_price", field: nil)
        expectError("spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price\n2,1,4,3\n",
                    .missingColumn, line: 1, column: "timestamp", field: nil)
        expectError(header + ",spot_bid_price\n1,2,1,4,3,1\n", .duplicateColumn, line: 1, column: "spot_bid_price", field: 6)
        // Unknown columns may repeat.
        #expect((try? load("x,x," + header + "\na,b,1760249820,2,1,4,3\n"))?.rowsLoaded == 1)
    }

    @Test func rowErrorsNameLineColumnAndField() {
        let ok = header + "\n1760249820,2,1,4,3\n"
        expectError(ok + "1760249821,2,1,4\n", .missingField, line: 3, column: "fut_bid_price", field: 5)
        expectError(ok + "1760249821\n", .missingField, line: 3, column: "spot_ask_price", field: 2)
        expectError(ok + "1760249821,2,1,4,3,9\n", .extraField, line: 3, column: nil, field: 6)
        expectError(ok + "1760249821,2,abc,4,3\n", .invalidNumber, line: 3, column: "spot_bid_price", field: 3)
        expectError(ok + "1760249821,2,1,NaN,3\n", .invalidNumber, line: 3, column: "fut_ask_price", field: 4)
        expectError(ok + "1760249821,2,1,4,inf\n", .invalidNumber, line: 3, column: "fut_bid_price", field: 5)
        expectError(ok + "1760249821,2,1,4,1e999\n", .invalidNumber, line: 3, column: "fut_bid_price", field: 5)
        expectError(ok + "yesterday,2,1,4,3\n", .invalidTimestamp, line: 3, column: "timestamp", field: 1)
        expectError(ok + ",2,1,4,3\n", .invalidTimestamp, line: 3, column: "timestamp", field: 1)
        expectError(ok + "2025-10-12T06:17:61Z,2,1,4,3\n", .invalidTimestamp, line: 3, column: "timestamp", field: 1)
        expectError(ok + "1760249821,0,1,4,3\n", .nonPositivePrice, line: 3, column: "spot_ask_price", field: 2)
        expectError(ok + "1760249821,2,-1,4,3\n", .nonPositivePrice, line: 3, column: "spot_bid_price", field: 3)
        expectError(ok + "1760249821,2,1,4,3\n1760249822,2,3,4,3\n", .crossedBook, line: 4, column: "spot_bid_price", field: 3)
        // Crossed only after carry-forward: the ask comes from the row above.
        expectError(ok + "1760249821,,,,4.5\n", .crossedBook, line: 3, column: "fut_bid_price", field: 5)
        expectError(ok + "1760249819,2,1,4,3\n", .timeWentBackwards, line: 3, column: "timestamp", field: 1)
        // Equal times are fine; a crossed book on a leading row is still an error.
        #expect((try? load(ok + "1760249820,2,1,4,3\n"))?.rowsLoaded == 2)
        expectError(header + "\n1760249820,1,2,,\n1760249821,2,1,4,3\n", .crossedBook, line: 2, column: "spot_bid_price", field: 3)
        // Blank lines count for line numbers.
        expectError(ok + "\n\n1760249821,2,x,4,3\n", .invalidNumber, line: 5, column: "spot_bid_price", field: 3)
        expectError(ok + "\r\n1760249819,2,1,4,3\r\n", .timeWentBackwards, line: 4, column: "timestamp", field: 1)
        expectError(header + "\n1760249820,2,,,\n", .noCompleteRows, line: nil, column: nil, field: nil)
        expectError(header + ",spot_bid_quantity\n1760249820,2,1,4,3,-1\n", .negativeQuantity, line: 2,
                    column: "spot_bid_quantity", field: 6)
    }

    @Test func errorDescriptionReadsLikeADiagnostic() {
        do {
            _ = try load(header + "\n1760249820,2,1,4,3\n1760249821,2,1,4,5\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "t.csv:3:5: column 'fut_bid_price': futures bid 5.0 above ask 4.0")
        }
    }

    @Test func earliestErrorWinsAcrossChecks() {
        // Line 3 goes backwards in time (a check made after parsing); line 4 does not parse.
        expectError(header + "\n1760249820,2,1,4,3\n1760249819,2,1,4,3\n1760249821,x,1,4,3\n",
                    .timeWentBackwards, line: 3, column: "timestamp", field: 1)
    }

    @Test func skipBadRowsCountsPerKind() throws {
        let text = header + "\n"
            + "1760249820,2,1,,\n"          // 2: leading, dropped
            + "1760249821,2,1,4,3\n"        // 3: ok
            + "1760249822,2,x,4,3\n"        // 4: invalid number
            + "1760249823,2,1,4,3,7\n"      // 5: extra field
            + "1760249819,2,1,4,3\n"        // 6: backwards
            + "1760249824,9,,,\n"           // 7: ok (ask 9, bid 1 carried)
            + "1760249825,,10,,\n"          // 8: crossed: bid 10 above carried ask 9
            + "1760249826,,,,\n"            // 9: ok, carries line 7 (not line 8)
            + "\n"                          // 10: blank
            + "1760249827,2,1,0,3\n"        // 11: non-positive
        let result = try MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true, maxReportedErrors: 3))
            .load(text: text, name: "t.csv")
        #expect(result.rowsLoaded == 3)
        #expect(result.leadingRowsDropped == 1)
        #expect(result.rowsSkipped == 5)
        #expect(result.blankLines == 1)
        #expect(result.skippedByKind == [.invalidNumber: 1, .extraField: 1, .timeWentBackwards: 1, .crossedBook: 1,
                                         .nonPositivePrice: 1])
        #expect(result.firstErrors.map(\.line) == [4, 5, 6])
        #expect(result.firstErrors.map(\.kind) == [.invalidNumber, .extraField, .timeWentBackwards])
        #expect(result.data.timestamps == [t0 + 1_000_000_000, t0 + 4_000_000_000, t0 + 6_000_000_000])
        #expect(result.data.spotAskPrice == [2, 9, 9])
        #expect(result.data.spotBidPrice == [1, 1, 1])
        // Header problems still throw.
        #expect(throws: MarketDataError.self) {
            try MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true)).load(text: "a,b\n1,2\n")
        }
    }

    @Test func skipModeWithEveryRowBadThrowsNoCompleteRows() {
        #expect {
            try MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true)).load(text: header + "\nx,1,1,1,1\n")
        } throws: { error in
            (error as? MarketDataError)?.kind == .noCompleteRows
        }
    }

    @Test func fileLoadingAndUnreadableFile() throws {
        let path = temporaryPath("load")
        defer { unlink(path) }
        let data = try sampleData(rows: 50, seed: 3)
        try data.writeCSV(to: path)
        let result = try MarketData.loadCSV(at: path)
        #expect(identical(result.data, data))
        do {
            _ = try MarketData.loadCSV(at: path + ".missing")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .unreadableFile && error.file == path + ".missing")
        }
    }

    @Test(arguments: [MarketDataCSVTimestampFormat.iso8601, .epochNanoseconds])
    func roundTripIsExact(format: MarketDataCSVTimestampFormat) throws {
        let data = try sampleData(rows: 2_000, seed: 11)
        let text = data.csvText(timestampFormat: format)
        #expect(text.hasPrefix(MarketData.csvColumnNames.joined(separator: ",") + "\n"))
        let loaded = try load(text)
        #expect(loaded.rowsLoaded == data.count && loaded.leadingRowsDropped == 0)
        #expect(identical(loaded.data, data))
        // Absent quantities (NaN) come back as NaN.
        let bare = try MarketData(timestamps: data.timestamps, spotAskPrice: data.spotAskPrice,
                                  spotBidPrice: data.spotBidPrice, futAskPrice: data.futAskPrice,
                                  futBidPrice: data.futBidPrice)
        #expect(identical(try load(bare.csvText(timestampFormat: format)).data, bare))
    }

    /// Chunked parsing must give exactly what a single pass gives, errors and line numbers included.
    @Test func chunkedParsingMatchesSerial() throws {
        var rng = SplitMix64(seed: 99)
        var text = header + ",spot_ask_quantity\n"
        var t: Int64 = 1_760_249_820_000
        for i in 0..<3_000 {
            t += Int64(rng.next() % 3)
            let r = rng.next() % 40
            switch r {
            case 0: text += "\n"
            case 1: text += "\(t),2,x,4,3,1\n"
            case 2: text += "\(t - 10),2,1,4,3,1\n"
            case 3: text += "\(t),,,,5,\n"
            case 13: text += "\(t + 1_000_000_000),2,1,4,3,1\n"  // far-future typo: judged with rows across chunk edges
            case 4...12: text += "\(t),,,,,\n"
            default:
                let bid = 100 + Double(rng.next() % 1000) / 100
                text += "\(t),\(bid + 0.5),\(bid),\(bid + 1.5),\(bid + 1),\(i % 7)\n"
            }
        }
        var serial = MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true, parallel: false))
        serial.minimumChunkBytes = 1
        let reference = try serial.load(text: text, name: "t.csv")
        #expect(reference.rowsSkipped > 0)
        let path = temporaryPath("chunks")
        defer { unlink(path) }
        try text.write(toPath: path)
        for (chunks, block) in [(2, 1 << 30), (3, 1 << 30), (7, 1 << 30), (1, 1), (1, 100), (3, 4_000), (2, 10_000)] {
            var loader = MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true, parallel: true))
            loader.minimumChunkBytes = 1
            loader.maximumChunks = chunks
            loader.blockBytes = block
            let fromFile = try loader.load(path: path)
            #expect(identical(fromFile.data, reference.data))
            #expect(fromFile.firstErrors.map(\.line) == reference.firstErrors.map(\.line))
            let result = try loader.load(text: text, name: "t.csv")
            #expect(identical(result.data, reference.data))
            #expect(result.leadingRowsDropped == reference.leadingRowsDropped)
            #expect(result.rowsSkipped == reference.rowsSkipped)
            #expect(result.skippedByKind == reference.skippedByKind)
            #expect(result.firstErrors == reference.firstErrors)
            #expect(result.blankLines == reference.blankLines)
            // Strict mode reports the same first error.
            loader.options.skipBadRows = false
            serial.options.skipBadRows = false
            let (strictChunked, strictSerial) = (loader, serial)
            let chunkedError = captureError { () throws(MarketDataError) in try strictChunked.load(text: text, name: "t.csv") }
            let serialError = captureError { () throws(MarketDataError) in try strictSerial.load(text: text, name: "t.csv") }
            #expect(chunkedError != nil && chunkedError == serialError)
            serial.options.skipBadRows = true
        }
    }
}

private func captureError(_ body: () throws(MarketDataError) -> MarketDataCSVLoadResult) -> MarketDataError? {
    do { _ = try body(); return nil } catch { return error }
}

/// Random but valid market data with quantities and sub-millisecond times.
func sampleData(rows: Int, seed: UInt64) throws -> MarketData {
    var rng = SplitMix64(seed: seed)
    var t: Int64 = 1_760_249_820_000_000_000
    var timestamps: [Int64] = [], sa: [Double] = [], sb: [Double] = [], fa: [Double] = [], fb: [Double] = []
    var q: [[Double]] = [[], [], [], []]
    for i in 0..<rows {
        t += Int64(rng.next() % 2_000_000_000) + (i % 5 == 0 ? 7 : 0)  // some times not whole milliseconds
        let mid = 60_000 + Double(rng.next() % 1_000_000) / 97
        let half = Double(rng.next() % 100 + 1) / 3
        timestamps.append(t)
        sa.append(mid + half); sb.append(mid - half)
        fa.append(mid + 30 + half); fb.append(mid + 30 - half * 0.5)
        for k in 0..<4 { q[k].append(Double(rng.next() % 100_000) / 1000 + Double(bitPattern: rng.next() >> 12 | 0x3F00_0000_0000_0000)) }
    }
    return try MarketData(timestamps: timestamps, spotAskPrice: sa, spotBidPrice: sb, futAskPrice: fa, futBidPrice: fb,
                          spotAskQuantity: q[0], spotBidQuantity: q[1], futAskQuantity: q[2], futBidQuantity: q[3])
}

private extension String {
    func write(toPath path: String) throws {
        guard let file = fopen(path, "wb") else { throw MarketDataError(kind: .unwritableFile, file: path, detail: "test") }
        defer { fclose(file) }
        var copy = self
        copy.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
    }
}

private func temporaryPath(_ tag: String) -> String {
    "/tmp/delta-arb-loader-test-\(tag)-\(getpid())-\(UInt64.random(in: 0..<UInt64.max)).csv"
}

private extension String {
    func replacingCRLF() -> String { replacingOccurrences("\n", "\r\n") }
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

@Test func writerTimestampTextMatchesUTCTime() {
    var rng = SplitMix64(seed: 7)
    var cache = (day: Int64.min, text: [UInt8]())
    var values: [Int64] = [0, -1, -1_000_000, 86_400_000_000_000 - 1, Int64.max / 2, 1_760_249_820_123_456_789]
    for _ in 0..<20_000 { values.append(Int64(bitPattern: rng.next()) / 4) }
    for value in values {
        var buffer: [UInt8] = []
        MarketData.appendISO8601(value, to: &buffer, dayCache: &cache)
        #expect(String(decoding: buffer, as: UTF8.self) == UTCTime.iso8601(nanoseconds: value), "\(value)")
    }
}
