import DeltaArbitrage
@testable import DeltaArbitrageSources
import Foundation
import Testing

/// The binary COPY stream the import writes and the decoder the read uses,
/// and NUMERIC decoding over many values: no server needed.
@Suite("Binary COPY and NUMERIC")
struct BinaryCopyTests {
    static func quotes() -> MarketQuotes {
        var q = MarketQuotes()
        q.append(timestamp: 1_700_000_000_123_456_000, bidPrice: 100.5, bidQuantity: 0.001, askPrice: 100.75, askQuantity: 12)
        q.append(timestamp: 1_700_000_001_000_001_000, bidPrice: 1e-8, bidQuantity: .nan, askPrice: 2e-8, askQuantity: 3)
        q.append(timestamp: -5_000, bidPrice: 99999999999.5, bidQuantity: 0, askPrice: 1e11, askQuantity: 1)
        return q
    }

    /// Every row the writer encodes comes back field for field from the decoder.
    @Test(arguments: [false, true])
    func writerStreamDecodesToTheSameRows(withSequence: Bool) throws {
        let q = Self.quotes()
        let sequence: [Int64]? = withSequence ? [7, -1, .max] : nil
        let stream = BookTickerStoreWriter.binaryCopyStream(q, sequenceNumbers: sequence)
        var decoder = BinaryCopyDecoder(fields: 6)
        defer { decoder.deallocate() }
        var seen: [[String?]] = []
        var times: [Int64] = []
        var sequences: [Int64?] = []
        try stream.withUnsafeBytes { bytes in
            try decoder.decode(bytes) { fields in
                let timeField = try #require(fields[0])
                times.append(try #require(PostgresBinary.timestampNanoseconds(timeField)))
                seen.append((1...4).map { k in fields[k].map { String(decoding: $0, as: UTF8.self) } })
                sequences.append(fields[5].map { Int64(bigEndian: $0.loadUnaligned(as: Int64.self)) })
            }
        }
        try decoder.finish()
        #expect(decoder.rows == 3)
        #expect(times == q.timestamps)
        #expect(seen[0] == ["100.5", "0.001", "100.75", "12.0"])
        #expect(seen[1] == ["1e-08", "0", "2e-08", "3.0"])   // a NaN quantity is written as 0
        #expect(seen.indices.allSatisfy { i in seen[i][0].flatMap(Double.init) == q.bidPrice[i] && seen[i][2].flatMap(Double.init) == q.askPrice[i] })
        #expect(sequences == (sequence ?? [nil, nil, nil]))
    }

    /// A stream cut anywhere, or with a byte changed in its framing, is an
    /// error, never a crash or a silently short result.
    @Test func truncatedStreamsAreErrors() {
        let stream = BookTickerStoreWriter.binaryCopyStream(Self.quotes(), sequenceNumbers: nil)
        for cut in 0..<stream.count {
            var decoder = BinaryCopyDecoder(fields: 6)
            defer { decoder.deallocate() }
            let outcome = Result {
                try Array(stream[0..<cut]).withUnsafeBytes { bytes in try decoder.decode(bytes) { _ in } }
                try decoder.finish()
            }
            #expect(throws: BinaryCopyDecoder.Malformed.self, "cut at \(cut)") { try outcome.get() }
        }
    }

    @Test func wrongFieldCountsAndSignaturesAreNamed() throws {
        let stream = BookTickerStoreWriter.binaryCopyStream(Self.quotes(), sequenceNumbers: nil)
        var decoder = BinaryCopyDecoder(fields: 5)
        defer { decoder.deallocate() }
        let wrongCount = #expect(throws: BinaryCopyDecoder.Malformed.self) {
            try stream.withUnsafeBytes { try decoder.decode($0) { _ in } }
        }
        #expect(wrongCount?.description == "binary COPY row 1 has 6 fields, expected 5")
        var text = BinaryCopyDecoder(fields: 6)
        defer { text.deallocate() }
        let notBinary = #expect(throws: BinaryCopyDecoder.Malformed.self) {
            try Array("1\t2\n".utf8).withUnsafeBytes { try text.decode($0) { _ in } }
        }
        #expect(notBinary?.description.contains("signature") == true)
        var trailing = BinaryCopyDecoder(fields: 6)
        defer { trailing.deallocate() }
        #expect(throws: BinaryCopyDecoder.Malformed.self) {
            try (stream + [0, 6]).withUnsafeBytes { try trailing.decode($0) { _ in } }
        }
    }

    /// NUMERIC to double, both ways through the decoder (the exact fast path
    /// and the text path), against the correctly rounded parse of the same
    /// decimal text, over 200,000 values of NUMERIC(20,8)'s range and beyond.
    @Test func numericMatchesTheCorrectlyRoundedParseOfItsText() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        var fastPath = 0
        for i in 0..<200_000 {
            let integerDigits = Int(next() % 13), fractionDigits = Int(next() % 9) + (i % 10 == 0 ? 12 : 0)
            let integer = integerDigits == 0 ? "0" : String(next() % 9 + 1) + String((1..<integerDigits).map { _ in Character(String(next() % 10)) })
            let fraction = String((0..<fractionDigits).map { _ in Character(String(next() % 10)) })
            let text = (next() % 4 == 0 ? "-" : "") + integer + (fraction.isEmpty ? "" : "." + fraction)
            let bytes = PostgresDecodingTests.numericBytes(text)
            let value = bytes.withUnsafeBytes(PostgresBinary.numeric)
            #expect(value == Double(text), "\(text)")
            let fast = bytes.withUnsafeBytes { raw -> Double? in
                let ndigits = Int(Int16(bitPattern: UInt16(raw[0]) << 8 | UInt16(raw[1])))
                let weight = Int(Int16(bitPattern: UInt16(raw[2]) << 8 | UInt16(raw[3])))
                return ndigits == 0 ? nil : PostgresBinary.exactNumeric(raw, ndigits: ndigits, weight: weight, negative: raw[4] == 0x40)
            }
            if let fast {
                #expect(fast == Double(text), "fast path: \(text)")
                fastPath += 1
            }
        }
        #expect(fastPath > 100_000)   // both paths are exercised, the fast one mostly
    }
}
