import Testing
@testable import DeltaArbitrage

/// The Arrow reader copies large files in row ranges on several threads and
/// checks them as it copies: rows at the ranges' edges, bad ones included,
/// come out as on one thread.
@Suite struct ArrowCopyTests {
    @Test func badTimestampsAtTheThreadsEdgesLoadAsSerially() throws {
        let n = 300_000
        let data = ArrowFileTests.sample(rows: n, step: 3_000_000_000)
        var bytes = try ArrowFileWriter(timestampUnit: .second, rowsPerBatch: 65_536).bytes(data)
        // Times too large for nanoseconds at every row-range edge for 2...8
        // threads (and the row before it), found by their seconds in the file.
        var bad: Set<Int> = []
        for parts in 2...8 {
            for k in 1..<parts { bad.formUnion([n * k / parts - 1, n * k / parts]) }
        }
        let targets = Set(bad.map { data.timestamps[$0] / 1_000_000_000 })
        var patched = 0
        bytes.withUnsafeMutableBytes { raw in
            for offset in stride(from: 0, to: raw.count - 7, by: 8)
            where targets.contains(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self))) {
                raw.storeBytes(of: Int64.max.littleEndian, toByteOffset: offset, as: Int64.self)
                patched += 1
            }
        }
        #expect(patched == bad.count)

        func load(parallel: Bool, skip: Bool) -> Result<MarketDataCSVLoadResult, MarketDataError> {
            bytes.withUnsafeBytes { raw in
                Result { () throws(MarketDataError) -> MarketDataCSVLoadResult in
                    try ArrowFileReader(options: MarketDataCSVOptions(skipBadRows: skip, parallel: parallel))
                        .load(bytes: raw, name: "t.arrow")
                }
            }
        }
        let serial = try load(parallel: false, skip: true).get()
        let parallel = try load(parallel: true, skip: true).get()
        #expect(serial.rowsSkipped == bad.count && parallel.rowsSkipped == bad.count)
        #expect(ArrowFileTests.identical(serial.data, parallel.data))
        #expect(serial.firstErrors.map(\.description) == parallel.firstErrors.map(\.description))
        let kept = (0..<n).filter { !bad.contains($0) }
        #expect(parallel.data.timestamps == kept.map { data.timestamps[$0] })
        guard case .failure(let strict) = load(parallel: true, skip: false) else {
            Issue.record("strict load passed")
            return
        }
        #expect(strict.kind == .invalidTimestamp, "\(strict)")
        #expect(strict.description.contains("row \(bad.min() ?? -1):"), "\(strict)")
    }
}
