import Testing
@testable import DeltaArbitrage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Arrow files read in place: which columns are views of the mapped file,
/// that views give exactly what copying gives, outlive the reader and the
/// file's name, and that a file with a bad row is judged as when copied.
@Suite struct ArrowInPlaceTests {
    typealias Files = ArrowFileTests

    static func columns(_ data: MarketData) -> [Column<Double>] {
        [data.spotAskPrice, data.spotBidPrice, data.futAskPrice, data.futBidPrice,
         data.spotAskQuantity, data.spotBidQuantity, data.futAskQuantity, data.futBidQuantity]
    }

    /// Loads `data` written by `writer` through a file, returning it with the
    /// same file's bytes loaded by the copying path.
    static func loadThroughFile(_ data: MarketData, _ writer: ArrowFileWriter,
                                skip: Bool = false) throws -> (file: MarketDataCSVLoadResult, copied: MarketDataCSVLoadResult) {
        let path = Files.temporaryPath("in-place") + ".arrow"
        defer { unlink(path) }
        try writer.write(data, to: path)
        let file = try ArrowFileReader(options: MarketDataCSVOptions(skipBadRows: skip)).load(path: path)
        return (file, try Files.read(writer.bytes(data), skip: skip))
    }

    @Test func oneBatchOfNanosecondsIsViewedInPlaceAndOutlivesTheFile() throws {
        let data = Files.sample(rows: 5_000)
        let path = Files.temporaryPath("view") + ".arrow"
        try ArrowFileWriter().write(data, to: path)
        var loaded: MarketData? = try ArrowFileReader().load(path: path).data
        // Unlinked and the reader gone: the mapping lives with the columns.
        unlink(path)
        let viewed = try #require(loaded)
        loaded = nil
        #expect(viewed.timestamps.isView)
        #expect(Self.columns(viewed).allSatisfy { $0.isView })
        #expect(Files.identical(viewed, data))
        // Row slices are views of the same memory, with the same values.
        let slice = viewed.rows(1_234..<4_321)
        #expect(slice.timestamps.isView && slice.futBidPrice.isView)
        #expect(Files.identical(slice, data.rows(1_234..<4_321)))
        // Writing to a viewed column copies it first; the file's data is untouched.
        var edited = viewed
        edited.spotAskPrice[7] = 123.5
        #expect(!edited.spotAskPrice.isView && edited.spotAskPrice[7] == 123.5 && edited.spotAskPrice[8] == data.spotAskPrice[8])
        #expect(viewed.spotAskPrice[7] == data.spotAskPrice[7] && viewed.spotAskPrice.isView)
    }

    /// Dropping rows of a file read in place from resident memory loses
    /// nothing: the pages come back from the file, the same, for every
    /// range (whole pages, partial ones, empty, out of bounds). Owned
    /// columns and views of memory that is not a mapped file are left
    /// alone (dropping anonymous pages would zero them).
    @Test func releasedRowsReadBackTheSame() throws {
        let data = Files.sample(rows: 200_000)
        let path = Files.temporaryPath("release") + ".arrow"
        defer { unlink(path) }
        try ArrowFileWriter().write(data, to: path)
        let viewed = try ArrowFileReader().load(path: path).data
        #expect(Self.columns(viewed).allSatisfy { $0.isView } && viewed.timestamps.isView)
        for rows in [0..<200_000, 1_000..<1_001, 7..<150_003, 199_000..<200_000, 5..<5, -10..<30, 190_000..<250_000] {
            viewed.releaseResidentPages(rows: rows)
            #expect(Files.identical(viewed, data), "after releasing \(rows)")
        }
        var owned = data
        owned.spotAskPrice[0] = owned.spotAskPrice[0]  // an owned copy
        owned.releaseResidentPages(rows: 0..<200_000)
        #expect(Files.identical(owned, data))
        let values = (0..<100_000).map { Double($0) + 0.5 }
        values.withUnsafeBufferPointer { buffer in
            let borrowed = Column(unsafeBorrowing: buffer, owner: nil)
            borrowed.adviseResident(.release, rows: 0..<100_000)
            #expect(Array(borrowed) == values)
        }
    }

    /// Coarser units: the times are converted (owned), the prices still viewed.
    @Test(arguments: [ArrowTimestampUnit.millisecond, .microsecond])
    func otherUnitsCopyOnlyTheTimes(unit: ArrowTimestampUnit) throws {
        let data = Files.sample(rows: 3_000, step: 2_000_000)
        let (file, copied) = try Self.loadThroughFile(data, ArrowFileWriter(timestampUnit: unit))
        #expect(!file.data.timestamps.isView)
        #expect(Self.columns(file.data).allSatisfy { $0.isView })
        #expect(Files.identical(file.data, data) && Files.identical(copied.data, data))
    }

    @Test func severalBatchesAreCopied() throws {
        let data = Files.sample(rows: 3_000)
        let (file, _) = try Self.loadThroughFile(data, ArrowFileWriter(rowsPerBatch: 1_000))
        #expect(!file.data.timestamps.isView && !Self.columns(file.data).contains(where: \.isView))
        #expect(Files.identical(file.data, data))
    }

    /// Every kind of bad row, in a file that would otherwise be viewed: the
    /// same error, or with skipping the same rows kept, as the copying path.
    @Test func aBadRowIsJudgedAsWhenCopied() throws {
        let bad: [(String, (inout MarketData) -> Void)] = [
            ("crossed spot", { $0.spotBidPrice[3] = 200 }),
            ("crossed futures", { $0.futBidPrice[1_999] = 200 }),
            ("far-future typo", { $0.timestamps[12] += 5_000_000_000_000 }),
            ("time back", { $0.timestamps[30] -= 60_000_000_000 }),
            ("non-positive price", { $0.futAskPrice[5] = -1 }),
            ("NaN price", { $0.spotAskPrice[0] = .nan }),
            ("negative quantity", { $0.spotBidQuantity[8] = -3 }),
            ("infinite quantity", { $0.futAskQuantity[2] = .infinity }),
        ]
        for (name, change) in bad {
            var data = Files.sample(rows: 2_000)
            change(&data)
            let path = Files.temporaryPath("bad") + ".arrow"
            defer { unlink(path) }
            try ArrowFileWriter().write(data, to: path)
            let bytes = try ArrowFileWriter().bytes(data)
            var fileError: MarketDataError?
            do { _ = try ArrowFileReader().load(path: path) } catch { fileError = error }
            let copiedError = Files.error(bytes)
            #expect(fileError != nil, "\(name)")
            #expect(fileError?.kind == copiedError?.kind && fileError?.column == copiedError?.column && fileError?.detail == copiedError?.detail, "\(name)")
            let skipped = try ArrowFileReader(options: MarketDataCSVOptions(skipBadRows: true)).load(path: path)
            let copied = try Files.read(bytes, skip: true)
            #expect(skipped.rowsSkipped == 1 && skipped.skippedByKind == copied.skippedByKind, "\(name)")
            #expect(Files.identical(skipped.data, copied.data), "\(name)")
        }
    }
}
