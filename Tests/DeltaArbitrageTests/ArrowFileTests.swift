import Testing
@testable import DeltaArbitrage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Arrow IPC files: the writer and the reader against each other, and the
/// reader against truncated, corrupted and unsupported files.
@Suite struct ArrowFileTests {
    static let t0: Int64 = 1_760_249_820_000_000_000

    /// `rows` valid rows; times step by `step` ns; quantities NaN in a few places
    /// and wholly NaN in `fut_bid_quantity`.
    static func sample(rows: Int, step: Int64 = 1_000_123) -> MarketData {
        var data = MarketData()
        for i in 0..<rows {
            let p = 100 + Double(i % 97) * 0.01
            data.timestamps.append(t0 + Int64(i) * step)
            data.spotAskPrice.append(p + 0.05); data.spotBidPrice.append(p)
            data.futAskPrice.append(p + 0.35); data.futBidPrice.append(p + 0.3)
            data.spotAskQuantity.append(i % 13 == 0 ? .nan : Double(i) * 0.001)
            data.spotBidQuantity.append(Double(i % 7) + 0.5)
            data.futAskQuantity.append(1.0 / Double(i + 1))
            data.futBidQuantity.append(.nan)
        }
        return data
    }

    /// Every column equal bit for bit (NaN == NaN, unlike `==`).
    static func identical(_ a: MarketData, _ b: MarketData) -> Bool {
        func same(_ x: Column<Double>, _ y: Column<Double>) -> Bool { x.map(\.bitPattern) == y.map(\.bitPattern) }
        return a.timestamps == b.timestamps && same(a.spotAskPrice, b.spotAskPrice) && same(a.spotBidPrice, b.spotBidPrice)
            && same(a.spotAskQuantity, b.spotAskQuantity) && same(a.spotBidQuantity, b.spotBidQuantity)
            && same(a.futAskPrice, b.futAskPrice) && same(a.futBidPrice, b.futBidPrice)
            && same(a.futAskQuantity, b.futAskQuantity) && same(a.futBidQuantity, b.futBidQuantity)
    }

    static func read(_ bytes: [UInt8], skip: Bool = false) throws(MarketDataError) -> MarketDataCSVLoadResult {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(MarketDataError) -> MarketDataCSVLoadResult in
                try ArrowFileReader(options: MarketDataCSVOptions(skipBadRows: skip)).load(bytes: raw, name: "t.arrow")
            }
        }
        return try result.get()
    }

    static func error(_ bytes: [UInt8], skip: Bool = false) -> MarketDataError? {
        do { _ = try read(bytes, skip: skip); return nil } catch { return error }
    }

    static func temporaryPath(_ tag: String) -> String {
        "/tmp/delta-arb-arrow-\(tag)-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    }

    @Test func roundTripIsExactAcrossBatchesThroughAFile() throws {
        let data = Self.sample(rows: 2_500)
        let path = Self.temporaryPath("round") + ".arrow"
        defer { unlink(path) }
        try ArrowFileWriter(rowsPerBatch: 1_000).write(data, to: path)
        let loaded = try ArrowFileReader().load(path: path)
        #expect(Self.identical(loaded.data, data))
        #expect(loaded.rowsSkipped == 0 && loaded.leadingRowsDropped == 0)
        // Parallel and serial copies agree, and the loader by magic takes the same path.
        let serial = try ArrowFileReader(options: MarketDataCSVOptions(parallel: false)).load(path: path)
        #expect(Self.identical(serial.data, data))
        #expect(MarketDataFile.format(ofFileAt: path) == .arrow)
        #expect(Self.identical(try MarketDataFile.load(path: path).data, data))
    }

    /// Large enough for the parallel copy and the parallel all-rows-good check;
    /// a bad row in the last block is still found and named.
    @Test func largeFileCopiesAndChecksInParallelExactly() throws {
        var data = Self.sample(rows: 300_000, step: 1_000)
        let bytes = try ArrowFileWriter(rowsPerBatch: 65_536).bytes(data)
        #expect(Self.identical(try Self.read(bytes).data, data))
        data.futBidPrice[299_990] = 1_000
        let error = Self.error(try ArrowFileWriter(rowsPerBatch: 65_536).bytes(data))
        #expect(error?.description.hasPrefix("t.arrow: column 'fut_bid_price': row 299990: futures bid") == true,
                "\(String(describing: error))")
    }

    @Test(arguments: [ArrowTimestampUnit.second, .millisecond, .microsecond])
    func coarserUnitsRoundTripWholeUnits(unit: ArrowTimestampUnit) throws {
        let data = Self.sample(rows: 300, step: 3 * 1_000_000_000)
        #expect(Self.identical(try Self.read(ArrowFileWriter(timestampUnit: unit).bytes(data)).data, data))
    }

    @Test func millisecondsRefuseTimesThatAreNotWholeMilliseconds() throws {
        var data = Self.sample(rows: 20, step: 1_000_000)
        data.timestamps[7] += 1
        let path = Self.temporaryPath("ms")
        #expect(throws: MarketDataError.self) { try ArrowFileWriter(timestampUnit: .millisecond).write(data, to: path) }
        do {
            try ArrowFileWriter(timestampUnit: .millisecond).write(data, to: path)
        } catch {
            #expect(error.kind == .invalidTimestamp)
            #expect(error.description.contains("row 7: 2025-10-12T06:17:00.007000001Z is not a whole millisecond"),
                    "\(error)")
        }
        #expect(access(path, F_OK) != 0)  // nothing written
    }

    @Test func writeFailureNamesThePathAndLeavesNoFile() {
        let path = "/nonexistent-directory-\(getpid())/x.arrow"
        do {
            try ArrowFileWriter().write(Self.sample(rows: 3), to: path)
            Issue.record("no error")
        } catch {
            #expect(error.kind == .unwritableFile)
            #expect(error.description.hasPrefix(path + ": cannot create"), "\(error)")
        }
    }

    @Test func emptyDataIsAnEmptyInputError() throws {
        let bytes = try ArrowFileWriter().bytes(MarketData())
        #expect(Self.error(bytes)?.kind == .emptyInput)
    }

    /// A file cut at any length is an error, never a crash or a result.
    @Test func truncatedAtEveryLengthIsAnError() throws {
        let bytes = try ArrowFileWriter(rowsPerBatch: 20).bytes(Self.sample(rows: 50))
        for length in 0..<bytes.count {
            let error = Self.error(Array(bytes[0..<length]))
            #expect(error != nil, "cut at \(length)")
            if let error, length >= 6 {
                #expect([.malformedFile, .unsupportedFormat].contains(error.kind), "cut at \(length): \(error)")
            }
        }
    }

    /// Any single corrupted byte gives an error or the original row count
    /// (a changed value or name can be a valid file), never a crash.
    @Test func everyCorruptedByteIsAnErrorOrKeepsTheRows() throws {
        let bytes = try ArrowFileWriter(rowsPerBatch: 20).bytes(Self.sample(rows: 50))
        for position in bytes.indices {
            for mask: UInt8 in [0xFF, 0x40] {
                var corrupted = bytes
                corrupted[position] ^= mask
                do {
                    let result = try Self.read(corrupted)
                    #expect(result.rowsLoaded == 50, "byte \(position) ^ \(mask)")
                } catch {
                    #expect(error.file == "t.arrow")
                }
            }
        }
    }

    /// The offsets and lengths of the footer's blocks and of every buffer,
    /// set out of range, are errors naming what is wrong.
    @Test func outOfRangeOffsetsAndLengthsAreNamed() throws {
        let bytes = try ArrowFileWriter(rowsPerBatch: 20).bytes(Self.sample(rows: 50))
        let fields = try Self.lengthAndOffsetFields(bytes)
        #expect(fields.count == 3 * 3 + 3 * 18 * 2)
        for (position, size) in fields {
            for value: Int64 in [-8, Int64(bytes.count) * 4, Int64.max] where size == 8 || value < Int32.max {
                var corrupted = bytes
                withUnsafeBytes(of: value.littleEndian) { raw in
                    for i in 0..<size { corrupted[position + i] = raw[i] }
                }
                let error = Self.error(corrupted)
                #expect(error?.kind == .malformedFile, "field at \(position) = \(value): \(String(describing: error))")
                #expect(error?.detail.contains("record batch") == true)
            }
        }
    }

    /// Positions of each block's offset, metadata length and body length, and
    /// of each buffer's offset and length, found with the reader's own view.
    static func lengthAndOffsetFields(_ bytes: [UInt8]) throws -> [(Int, Int)] {
        try bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            let size = raw.count
            let footerLength = Int(raw.loadUnaligned(fromByteOffset: size - 10, as: Int32.self))
            let footer = FlatBufferView(base: base, range: (size - 10 - footerLength)..<(size - 10), file: nil, what: "footer")
            var fields: [(Int, Int)] = []
            let (start, count) = try #require(try footer.root().vector(3, elementSize: 24))
            for i in 0..<count {
                let at = start + 24 * i
                fields += [(at, 8), (at + 8, 4), (at + 16, 8)]
                let offset = Int(footer.load(at, as: Int64.self))
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 4, as: Int32.self))
                let message = FlatBufferView(base: base, range: (offset + 8)..<(offset + 8 + length), file: nil, what: "m")
                let batch = try #require(try message.root().table(2))
                let (buffers, n) = try #require(try batch.vector(2, elementSize: 16))
                for b in 0..<n { fields += [(buffers + 16 * b, 8), (buffers + 16 * b + 8, 8)] }
            }
            return fields
        }
    }

    /// A file with `fields` (name, Arrow type id, type table) and no batches.
    static func schemaOnlyFile(_ fields: [(String, UInt8, FlatValue)]) -> [UInt8] {
        let schema = FlatValue.table([.int16(0), .child(.tables(fields.map { name, type, table in
            .table([.child(.string(name)), .uint8(1), .uint8(type), .child(table), .absent, .child(.tables([]))])
        }))])
        let footer = FlatBufferBuilder.encode(.table([.int16(4), .child(schema), .absent, .child(.structs(bytes: [], count: 0))]))
        var bytes = ArrowFormat.magic + [0, 0] + footer
        withUnsafeBytes(of: Int32(footer.count).littleEndian) { bytes += $0 }
        return bytes + ArrowFormat.magic
    }

    static let float64 = (ArrowFormat.TypeID.floatingPoint.rawValue, FlatValue.table([.int16(2)]))
    static let nsTime = (ArrowFormat.TypeID.timestamp.rawValue, FlatValue.table([.int16(3)]))
    static let int64 = (ArrowFormat.TypeID.int.rawValue, FlatValue.table([.int32(64), .uint8(1)]))
    static let utf8 = (ArrowFormat.TypeID.utf8.rawValue, FlatValue.table([]))

    static func prices(except name: String? = nil) -> [(String, UInt8, FlatValue)] {
        ["spot_ask_price", "spot_bid_price", "fut_ask_price", "fut_bid_price"].filter { $0 != name }
            .map { ($0, float64.0, float64.1) }
    }

    @Test func wrongTypesAndMissingOrDuplicateColumnsAreNamed() {
        let cases: [([(String, UInt8, FlatValue)], MarketDataError.Kind, String)] = [
            ([("timestamp", Self.int64.0, Self.int64.1)] + Self.prices(), .unsupportedFormat,
             "type int64 not supported for column 'timestamp'"),
            ([("timestamp", Self.nsTime.0, Self.nsTime.1), ("spot_bid_price", Self.utf8.0, Self.utf8.1)]
                + Self.prices(except: "spot_bid_price"), .unsupportedFormat,
             "type string not supported for column 'spot_bid_price' (expected float64 or float32)"),
            ([("timestamp", Self.nsTime.0, Self.nsTime.1)] + Self.prices(except: "fut_bid_price"), .missingColumn,
             "column 'fut_bid_price': required column missing"),
            ([("timestamp", Self.nsTime.0, Self.nsTime.1), ("SPOT_ASK_PRICE", Self.float64.0, Self.float64.1)]
                + Self.prices(), .duplicateColumn, "column 'spot_ask_price': named again (first as 'SPOT_ASK_PRICE')"),
        ]
        for (fields, kind, text) in cases {
            let error = Self.error(Self.schemaOnlyFile(fields))
            #expect(error?.kind == kind, "\(String(describing: error))")
            #expect(error?.description.contains(text) == true, "\(String(describing: error))")
        }
        // Extra columns of any type, in any order and case, are ignored.
        let fine = Self.schemaOnlyFile([("note", Self.utf8.0, Self.utf8.1), ("TimeStamp", Self.nsTime.0, Self.nsTime.1)]
                                       + Self.prices())
        #expect(Self.error(fine)?.kind == .emptyInput)
    }

    @Test func streamAndNonArrowBytesAreRefusedClearly() {
        #expect(Self.error([0xFF, 0xFF, 0xFF, 0xFF, 0x10, 0, 0, 0] + [UInt8](repeating: 0, count: 16))?.kind == .unsupportedFormat)
        #expect(Self.error(Array("timestamp,spot_ask_price\n".utf8))?.description.contains("does not start with ARROW1") == true)
    }

    /// Bad rows get the CSV loader's verdicts: the same kinds, the same rows
    /// skipped with skipBadRows, and strict errors naming the 0-based row.
    @Test func rowChecksAgreeWithTheCSVLoader() throws {
        func variant(_ change: (inout MarketData) -> Void) -> MarketData {
            var data = Self.sample(rows: 40, step: 1_000_000)
            data.spotAskQuantity = Column(data.spotAskQuantity.map { $0.isNaN ? 1 : $0 })
            data.futBidQuantity = Column(data.futBidQuantity.map { _ in 2 })
            change(&data)
            return data
        }
        let cases: [(MarketData, MarketDataError.Kind, String)] = [
            (variant { $0.spotBidPrice[3] = 200 }, .crossedBook, "column 'spot_bid_price': row 3: spot bid 200.0 above ask"),
            (variant { $0.futBidPrice[9] = 200 }, .crossedBook, "column 'fut_bid_price': row 9: futures bid 200.0 above ask"),
            (variant { $0.timestamps[12] += 5_000_000_000_000 }, .timeWentBackwards,
             "column 'timestamp': row 12: out of time order: 2025-10-12T07:40:20.012Z is later than the rows below it"),
            (variant { $0.timestamps[30] -= 60_000_000_000 }, .timeWentBackwards,
             "column 'timestamp': row 30: out of time order"),
            (variant { $0.futAskPrice[5] = -1 }, .nonPositivePrice, "column 'fut_ask_price': row 5: price -1.0 is not positive"),
            (variant { $0.spotAskPrice[6] = .nan }, .invalidNumber, "column 'spot_ask_price': row 6: no price (null or NaN)"),
            (variant { $0.spotBidQuantity[8] = -3 }, .negativeQuantity, "column 'spot_bid_quantity': row 8: quantity -3.0 is negative"),
            (variant { $0.futAskQuantity[2] = .infinity }, .invalidNumber, "column 'fut_ask_quantity': row 2"),
        ]
        for (data, kind, text) in cases {
            let bytes = try ArrowFileWriter().bytes(data)
            let strict = Self.error(bytes)
            #expect(strict?.kind == kind, "\(String(describing: strict))")
            #expect(strict?.description.hasPrefix("t.arrow: " + text) == true, "\(String(describing: strict))")
            let skipped = try Self.read(bytes, skip: true)
            #expect(skipped.rowsSkipped == 1 && skipped.skippedByKind == [kind: 1])
            #expect(skipped.firstErrors.first?.kind == kind)
            if kind == .invalidNumber { continue }  // the CSV writer cannot write NaN or inf as a value
            let csv = try MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true))
                .load(text: data.csvText(timestampFormat: .epochNanoseconds))
            #expect(csv.skippedByKind == skipped.skippedByKind)
            #expect(Self.identical(csv.data, skipped.data))
        }
    }

    /// The format is told by content: a CSV named .arrow and an Arrow file named .csv both load.
    @Test func formatIsToldByContentNotName() throws {
        let data = Self.sample(rows: 10)
        let arrowNamedCSV = Self.temporaryPath("content") + ".csv"
        let csvNamedArrow = Self.temporaryPath("content") + ".arrow"
        defer { unlink(arrowNamedCSV); unlink(csvNamedArrow) }
        try ArrowFileWriter().write(data, to: arrowNamedCSV)
        try data.writeCSV(to: csvNamedArrow, timestampFormat: .epochNanoseconds)
        #expect(MarketDataFile.format(ofFileAt: arrowNamedCSV) == .arrow)
        #expect(MarketDataFile.format(ofFileAt: csvNamedArrow) == .csv)
        #expect(Self.identical(try MarketDataFile.load(path: arrowNamedCSV).data, data))
        #expect(try MarketDataFile.load(path: csvNamedArrow).rowsLoaded == 10)
    }
}
