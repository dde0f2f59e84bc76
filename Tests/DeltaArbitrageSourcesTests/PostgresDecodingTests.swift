import DeltaArbitrage
@testable import DeltaArbitrageSources
import Foundation
import Testing

/// NUMERIC and timestamptz wire decoding, and connection URLs: no server needed.
@Suite("PostgreSQL decoding")
struct PostgresDecodingTests {
    /// The binary NUMERIC the server sends for decimal `text` (base-10000
    /// digits around the point, trailing and leading zero digits stripped).
    static func numericBytes(_ text: String) -> [UInt8] {
        var s = text
        let negative = s.hasPrefix("-")
        if negative { s.removeFirst() }
        let pieces = s.split(separator: ".", omittingEmptySubsequences: false)
        var integer = String(pieces[0]), fraction = pieces.count > 1 ? String(pieces[1]) : ""
        while integer.count % 4 != 0 { integer = "0" + integer }
        while fraction.count % 4 != 0 { fraction += "0" }
        let all = Array(integer + fraction)
        var digits = stride(from: 0, to: all.count, by: 4).map { Int16(String(all[$0..<$0 + 4]))! }
        var weight = Int16(integer.count / 4 - 1)
        while digits.first == 0 { digits.removeFirst(); weight -= 1 }
        while digits.last == 0 { digits.removeLast() }
        if digits.isEmpty { weight = 0 }
        var bytes: [UInt8] = []
        func put(_ v: Int16) { bytes += [UInt8(truncatingIfNeeded: UInt16(bitPattern: v) >> 8), UInt8(truncatingIfNeeded: v)] }
        put(Int16(digits.count)); put(weight); put(negative ? 0x4000 : 0); put(Int16(fraction.count))
        digits.forEach(put)
        return bytes
    }

    @Test(arguments: ["0.1", "12345.67891234", "0.00000001", "1", "0", "-2.5", "99999999999.99999999",
                      "0.30000000", "123456789012.12345678", "1000000", "0.00010001", "7.00000003"])
    func numericDecodesToTheNearestDouble(_ text: String) throws {
        let value = Self.numericBytes(text).withUnsafeBytes(PostgresBinary.numeric)
        #expect(value == Double(text))
    }

    @Test func numericSpecialValuesAreRejected() {
        for sign: UInt8 in [0xC0, 0xD0, 0xF0] {  // NaN, +Infinity, -Infinity
            let bytes: [UInt8] = [0, 0, 0, 0, sign, 0, 0, 0]
            #expect(bytes.withUnsafeBytes(PostgresBinary.numeric) == nil)
        }
        let truncated: [UInt8] = [0, 2, 0, 0, 0, 0, 0, 0, 0, 1]
        #expect(truncated.withUnsafeBytes(PostgresBinary.numeric) == nil)
    }

    @Test func timestampIsMicrosecondsSince2000() {
        // 2000-01-01T00:00:01.000002Z
        let micros = Int64(1_000_002).bigEndian
        let value = withUnsafeBytes(of: micros, PostgresBinary.timestampNanoseconds)
        #expect(value == UTCTime.nanoseconds(parsing: "2000-01-01T00:00:01.000002Z"))
    }

    @Test func rangeBoundsRoundInward() {
        #expect(PostgresBookTickerSource.microsecondsCeiling(1_500) == 2)
        #expect(PostgresBookTickerSource.microsecondsFloor(1_500) == 1)
        #expect(PostgresBookTickerSource.microsecondsFloor(-1_500) == -2)
        #expect(PostgresBookTickerSource.microsecondsCeiling(2_000) == 2)
    }

    @Test func urlPasswordComesFromTheURLThenPGPASSWORDThenPgpass() throws {
        let url = try PostgresURL("postgres://quant:s%40cret@db.example:6543/market?sslmode=require", environment: [:])
        #expect(url.host == "db.example" && url.port == 6543 && url.user == "quant" && url.database == "market")
        #expect(url.password == "s@cret" && url.sslMode == .require)
        #expect(url.description == "db.example:6543/market")
        #expect(try PostgresURL("postgres://quant@h/m", environment: ["PGPASSWORD": "pw"]).password == "pw")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pgpass-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "other:5432:*:quant:wrong\nh:5432:m:quant:a\\:b\n".write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try PostgresURL("postgresql://quant@h/m", environment: ["PGPASSFILE": file.path])
        #expect(fromFile.password == "a:b" && fromFile.sslMode == .prefer)
    }

    @Test func badURLsAreNamed() {
        for text in ["mysql://h/db", "postgres://h", "postgres://h/db?sslmode=verify-full", "postgres://h/db?foo=1"] {
            #expect(throws: BookTickerStoreError.self) { try PostgresURL(text, environment: [:]) }
        }
        let error = #expect(throws: BookTickerStoreError.self) { try PostgresURL("postgres://u:secret@h", environment: [:]) }
        #expect(error.map { !$0.description.contains("secret") } == true)
    }

    @Test func embeddedSchemaIsTheVersionedFiles() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("db/schema")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(names == BookTickerSchema.files.map(\.name))
        for file in BookTickerSchema.files {
            #expect(try String(contentsOf: directory.appendingPathComponent(file.name), encoding: .utf8) == file.sql + "\n",
                    "\(file.name) differs from its embedded copy")
        }
        #expect(BookTickerSchema.files.count == BookTickerSchema.version)
    }
}
