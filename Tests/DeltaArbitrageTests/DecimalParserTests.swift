import Testing
@testable import DeltaArbitrage

/// `DecimalParser` must give exactly `Double(String)`'s value (bit for bit)
/// on every text it accepts, and reject what a price column must not hold.
@Suite struct DecimalParserTests {
    /// Bit-exact comparison with the standard library (which is correctly rounded).
    func expectSameAsStandardLibrary(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Double(text).flatMap { $0.isFinite ? $0 : nil }
        let actual = DecimalParser.parse(text)
        #expect(actual?.bitPattern == expected?.bitPattern, "\(text): \(String(describing: actual)) vs \(String(describing: expected))",
                sourceLocation: sourceLocation)
    }

    @Test func edgeCases() {
        let cases = [
            "0", "-0", "+0", "0.0", "-0.0", "00012.5000", "1", "-1", "+1.5", ".5", "5.", "-.25",
            "0.1", "0.2", "0.3", "62345.12", "101.5", "1e22", "1e23", "1e-22", "1e-23", "123e30", "123e37", "1E5", "2.5e+3",
            "9007199254740992", "9007199254740993", "9007199254740991.5", "18446744073709551615",
            "1234567890123456789", "12345678901234567890", "123456789012345678901234567890",
            "0.000000000000000000000000000001", "1.7976931348623157e308", "4.9e-324", "5e-324",
            "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308",
            "2.2250738585072014e-308", "89255.0e-22", "1448997445238699", "7.2057594037927933e16",
            "100000000000000000000000", "0e999999", "1e-999999", "3.14159265358979323846264338327950288",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126",
            "0.0000001", "1e-05", "1e+20", "5e-324", "123.456e-2",
        ]
        for text in cases { expectSameAsStandardLibrary(text) }
    }

    @Test func rejectsNonDecimalText() {
        for text in ["", "+", "-", ".", "-.", "e5", "1e", "1e+", "1e-", "nan", "NaN", "inf", "-inf", "Infinity",
                     "0x1p3", "1.2.3", " 1", "1 ", "1_000", "--1", "1,5", "1e5.5", "١٢", "1e308000", "1.8e308"] {
            #expect(DecimalParser.parse(text) == nil, "\(text)")
        }
    }

    @Test func randomDecimalStrings() {
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<200_000 {
            var text = ""
            if rng.next() % 4 == 0 { text += "-" }
            let intDigits = Int(rng.next() % 12)
            let fracDigits = Int(rng.next() % 14)
            for _ in 0..<intDigits { text += String(rng.next() % 10) }
            if fracDigits > 0 || intDigits == 0 {
                text += "."
                for _ in 0..<max(fracDigits, 1) { text += String(rng.next() % 10) }
            }
            switch rng.next() % 5 {
            case 0: text += "e\(Int(rng.next() % 60) - 30)"
            case 1: text += "e\(Int(rng.next() % 700) - 350)"
            default: break
            }
            expectSameAsStandardLibrary(text)
        }
    }

    @Test func shortestRoundTripTextOfRandomDoubles() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<100_000 {
            let value = Double(bitPattern: rng.next())
            guard value.isFinite else { continue }
            #expect(DecimalParser.parse(value.description)?.bitPattern == value.bitPattern, "\(value)")
        }
        for _ in 0..<100_000 {
            // Price-like values with few digits: the fast path.
            let value = Double(rng.next() % 10_000_000) / 100
            #expect(DecimalParser.parse(value.description)?.bitPattern == value.bitPattern, "\(value)")
        }
    }
}

/// Small deterministic generator so that failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
