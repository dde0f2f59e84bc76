import Foundation
import Testing
@testable import DeltaArbitrage

/// Arrow files against the real pyarrow, polars and pandas, through
/// scripts/arrow_interop.py. Skipped when `python3` cannot import pyarrow,
/// except in CI (CI set), where that fails: scripts/test.sh puts the venv of
/// scripts/python-env.sh first on PATH.
@Suite struct ArrowInteropTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let script = repository.appendingPathComponent("scripts/arrow_interop.py").path
    static let inCI = ProcessInfo.processInfo.environment["CI"] != nil
    static let hasPyarrow = (try? python(["-c", "import pyarrow"]).status) == 0
    static let enabled = hasPyarrow || inCI
    static let skipReason: Comment = "python3 cannot import pyarrow (export PATH=\"$(scripts/python-env.sh):$PATH\")"

    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func requirePyarrow() throws {
        if !hasPyarrow {
            Issue.record("CI is set but python3 cannot import pyarrow: the interoperability tests must run in CI")
            throw CancellationError()
        }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("delta-arb-arrow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func hex(_ value: Double) -> String {
        let text = String(value.bitPattern, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// Our files, read by pyarrow.feather.read_table and polars.read_ipc, hold
    /// exactly the values written (ns and ms, several batches, NaN quantities).
    @Test(.enabled(if: enabled, skipReason), arguments: [ArrowTimestampUnit.nanosecond, .millisecond])
    func pyarrowAndPolarsReadOurFilesExactly(unit: ArrowTimestampUnit) throws {
        try Self.requirePyarrow()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = ArrowFileTests.sample(rows: 2_500, step: unit == .nanosecond ? 1_000_123 : 7_000_000)
        let file = directory.appendingPathComponent("ours.arrow").path
        try ArrowFileWriter(timestampUnit: unit, rowsPerBatch: 1_000).write(data, to: file)
        var expected: [String: [String]] = ["timestamp": data.timestamps.map { String($0) }]
        let columns = [("spot_ask_price", data.spotAskPrice), ("spot_bid_price", data.spotBidPrice),
                       ("spot_ask_quantity", data.spotAskQuantity), ("spot_bid_quantity", data.spotBidQuantity),
                       ("fut_ask_price", data.futAskPrice), ("fut_bid_price", data.futBidPrice),
                       ("fut_ask_quantity", data.futAskQuantity), ("fut_bid_quantity", data.futBidQuantity)]
        for (name, values) in columns { expected[name] = values.map(Self.hex) }
        let json = directory.appendingPathComponent("expected.json")
        try JSONSerialization.data(withJSONObject: expected).write(to: json)
        let run = try Self.python([Self.script, "check", file, json.path, unit.rawValue])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("ok pyarrow 2500 rows"), "\(run.output)")
        if (try? Self.python(["-c", "import polars"]).status) == 0 {
            #expect(run.output.contains("ok polars 2500 rows"), "\(run.output)")
        }
    }

    /// Files pyarrow and pandas write (several batches, ms without a zone,
    /// other column order and case, an extra string column, float32, null
    /// quantities) load exactly; the ones we cannot read are refused saying why.
    @Test(.enabled(if: enabled, skipReason))
    func weReadPyarrowAndPandasFilesExactly() throws {
        try Self.requirePyarrow()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try Self.python([Self.script, "write", directory.path])
        #expect(run.status == 0, "\(run.output)")
        let written = run.output.split(separator: "\n").map(String.init)
        for name in ["batches_ns", "ms_mixed", "pandas"] where written.contains(name) || name != "pandas" {
            let file = directory.appendingPathComponent(name + ".arrow").path
            let json = try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
            let expected = try #require(try JSONSerialization.jsonObject(with: json) as? [String: [String]])
            let loaded = try MarketDataFile.load(path: file).data
            #expect(loaded.timestamps.map { String($0) } == expected["timestamp"], "\(name)")
            let columns = [("spot_ask_price", loaded.spotAskPrice), ("spot_bid_price", loaded.spotBidPrice),
                           ("spot_ask_quantity", loaded.spotAskQuantity), ("spot_bid_quantity", loaded.spotBidQuantity),
                           ("fut_ask_price", loaded.futAskPrice), ("fut_bid_price", loaded.futBidPrice),
                           ("fut_ask_quantity", loaded.futAskQuantity), ("fut_bid_quantity", loaded.futBidQuantity)]
            for (column, values) in columns {
                let want = try #require(expected[column])
                // Nulls load as NaN: any NaN matches.
                let same = values.count == want.count && zip(values, want).allSatisfy { value, bits in
                    let wanted = Double(bitPattern: UInt64(bits, radix: 16) ?? 0)
                    return wanted.isNaN ? value.isNaN : value.bitPattern == wanted.bitPattern
                }
                #expect(same, "\(name): column \(column)")
            }
        }
        #expect(written.contains("ms_mixed") && written.contains("batches_ns"))
        let refusals: [(String, MarketDataError.Kind, String)] = [
            ("lz4", .unsupportedFormat, "LZ4-compressed; this reader takes uncompressed files only: rewrite it uncompressed"),
            ("zstd", .unsupportedFormat, "ZSTD-compressed"),
            ("stream", .unsupportedFormat, "Arrow IPC stream (no footer)"),
            ("dictionary", .unsupportedFormat, "column 'spot_ask_price' is dictionary-encoded"),
            ("int_price", .unsupportedFormat, "type int64 not supported for column 'fut_ask_price'"),
            ("null_price", .invalidNumber, "column 'spot_bid_price': row 42: no price (null or NaN)"),
        ]
        for (name, kind, text) in refusals {
            let file = directory.appendingPathComponent(name + ".arrow").path
            do {
                _ = try MarketDataFile.load(path: file)
                Issue.record("\(name) loaded")
            } catch {
                #expect(error.kind == kind, "\(error)")
                #expect(error.description.hasPrefix(file + ": ") && error.description.contains(text), "\(error)")
            }
        }
        // With skipBadRows the null price's row alone is left out.
        let skipped = try MarketDataFile.load(path: directory.appendingPathComponent("null_price.arrow").path,
                                              options: MarketDataCSVOptions(skipBadRows: true))
        #expect(skipped.rowsSkipped == 1 && skipped.rowsLoaded == 99)
    }
}
