import CIntrinsics
import Testing
@testable import DeltaArbitrage

/// The loader's fast row path (`CSVChunkParser.fastRow`, `SWARDigits`) must
/// give exactly what the general, byte-by-byte code gives: the same values,
/// or nil so that the general code decides.
@Suite struct CSVFastPathTests {
    /// `text` padded with `padding` bytes of filler so that the 8-byte loads
    /// stay inside the buffer, as the loader guarantees.
    private func padded(_ text: [UInt8], filler: UInt8 = UInt8(ascii: "x"), to count: Int = 32) -> [UInt8] {
        text + [UInt8](repeating: filler, count: max(0, count - text.count))
    }

    @Test func leadingDigitCountOfEveryByteAtEveryPosition() {
        for position in 0..<8 {
            for byte in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "7"), count: 8)
                bytes[position] = UInt8(byte)
                let word = bytes.withUnsafeBufferPointer { SWARDigits.load($0.baseAddress!) }
                let isDigit = (0x30...0x39).contains(byte)
                let expected = isDigit ? 8 : position
                #expect(SWARDigits.leadingDigitCount(word) == expected, "byte \(byte) at \(position)")
            }
        }
    }

    @Test func eightDigitValuesMatchScalarParsing() {
        var rng = SplitMix64(seed: 7)
        for count in 1...8 {
            for _ in 0..<2_000 {
                let digits = (0..<count).map { _ in UInt8(ascii: "0") + UInt8(rng.next() % 10) }
                let expected = digits.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) }
                let word = padded(digits, filler: 0xFF).withUnsafeBufferPointer { SWARDigits.load($0.baseAddress!) }
                #expect(SWARDigits.value(word, count: count) == expected)
            }
        }
        let word = Array("99999999".utf8).withUnsafeBufferPointer { SWARDigits.load($0.baseAddress!) }
        #expect(SWARDigits.value(word, count: 8) == 99_999_999)
    }

    /// Random texts from the bytes that matter (digits, point, separators,
    /// signs, exponent, blanks) and random well-formed decimals: the SWAR
    /// decimal equals `DecimalParser.parseUnsignedPrefix` whenever it answers,
    /// and it answers for every plain decimal of up to 8 + 8 digits.
    @Test func unsignedDecimalMatchesTheScalarPrefixParser() {
        var rng = SplitMix64(seed: 11)
        let alphabet = Array("0123456789012345678901234567890123456789..,\n\r-+eE \"x".utf8)
        var answered = 0
        for round in 0..<200_000 {
            var text: [UInt8]
            if round % 2 == 0 {
                text = (0..<Int(rng.next() % 20)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            } else {
                let a = Int(rng.next() % 10), b = Int(rng.next() % 10)
                text = (0..<a).map { _ in UInt8(ascii: "0") + UInt8(rng.next() % 10) }
                if rng.next() % 4 != 0 {
                    text.append(UInt8(ascii: "."))
                    text += (0..<b).map { _ in UInt8(ascii: "0") + UInt8(rng.next() % 10) }
                }
                text.append(rng.next() % 2 == 0 ? UInt8(ascii: ",") : UInt8(ascii: "\n"))
            }
            let buffer = padded(text)
            buffer.withUnsafeBufferPointer { bytes in
                let base = bytes.baseAddress!
                let scalar = DecimalParser.parseUnsignedPrefix(base, from: 0, end: bytes.count)
                guard let fast = SWARDigits.unsignedDecimal(base) else {
                    // Declining is allowed only outside the plain 8 + 8 digit form or above 2^53.
                    if let scalar {
                        let number = text[..<scalar.end]
                        let point = number.firstIndex(of: UInt8(ascii: ".")) ?? number.endIndex
                        let digits = number.filter { $0 != UInt8(ascii: ".") }
                        let significand = digits.reduce(UInt64(0)) { $0 &* 10 &+ UInt64($1 - 0x30) }
                        #expect(point >= 8 || number.endIndex - point > 8 || significand > 1 << 53,
                                "declined \(String(decoding: text, as: UTF8.self))")
                    }
                    return
                }
                answered += 1
                #expect(scalar != nil, "\(String(decoding: text, as: UTF8.self))")
                if let scalar {
                    #expect(fast.value.bitPattern == scalar.value.bitPattern, "\(String(decoding: text, as: UTF8.self))")
                    #expect(fast.length == scalar.end, "\(String(decoding: text, as: UTF8.self))")
                }
            }
        }
        #expect(answered > 90_000)
    }

    /// 1 to 22 leading digits: the SWAR integer and the epoch time made from
    /// it equal `TimestampParser.parseEpoch` on the same digits.
    @Test func integerDigitsAndEpochMatchTheScalarParser() {
        var rng = SplitMix64(seed: 13)
        for round in 0..<100_000 {
            let count = 1 + round % 22
            var digits = (0..<count).map { _ in UInt8(ascii: "0") + UInt8(rng.next() % 10) }
            if rng.next() % 3 == 0 { digits[0] = UInt8(ascii: "1") }
            if rng.next() % 5 == 0 { digits[0] = UInt8(ascii: "9") }  // past Int64.max at 19 digits
            let text = digits + [UInt8(ascii: ",")]
            padded(text).withUnsafeBufferPointer { bytes in
                let base = bytes.baseAddress!
                let scalar = TimestampParser.parseEpoch(base, count: count)
                guard let fast = SWARDigits.integerDigits(base) else {
                    #expect(count > 19, "declined \(count) digits")
                    #expect(scalar == nil)
                    return
                }
                #expect(fast.length == count)
                #expect(TimestampParser.epochNanoseconds(integer: fast.value) == scalar,
                        "\(String(decoding: digits, as: UTF8.self))")
            }
        }
    }

    @Test func firstIndexOfTwoBytes() {
        for position in 0..<8 {
            for other in [UInt8(ascii: ","), UInt8(ascii: "\n")] {
                var bytes = [UInt8](repeating: UInt8(ascii: "2"), count: 8)
                bytes[position] = other
                if position < 7 { bytes[7] = UInt8(ascii: ",") }
                let word = bytes.withUnsafeBufferPointer { SWARDigits.load($0.baseAddress!) }
                #expect(SWARDigits.firstIndex(of: UInt8(ascii: ","), or: UInt8(ascii: "\n"), in: word) == position)
            }
        }
        let none = Array("12:34:56".utf8).withUnsafeBufferPointer { SWARDigits.load($0.baseAddress!) }
        #expect(SWARDigits.firstIndex(of: UInt8(ascii: ","), or: UInt8(ascii: "\n"), in: none) == 8)
    }

    /// A file mixing plain rows (both timestamp notations, empty fields,
    /// CRLF, an ignored column, long numbers) with every kind of line the
    /// fast path must hand over (quotes, blanks, signs, exponents, bad
    /// fields, over-long lines, a last line without a line end), loaded in
    /// blocks and chunks of many sizes so that fields straddle every edge:
    /// with and without the fast path, the same data, counts and errors.
    @Test func fastRowsGiveWhatTheGeneralCodeGives() throws {
        var rng = SplitMix64(seed: 17)
        var text = "timestamp,spot_ask_price,spot_bid_price,note,fut_ask_price,fut_bid_price,spot_ask_quantity\n"
        var t: Int64 = 1_760_249_820_000_000_000
        func price() -> String {
            switch rng.next() % 6 {
            case 0: return "\(100 + rng.next() % 900)"
            case 1: return "\(100 + rng.next() % 900).\(rng.next() % 100_000_000)"
            case 2: return "123456789.5"  // nine integer digits: the scalar prefix parser
            case 3: return "100.123456789012"  // past eight fraction digits
            default: return "\(100 + rng.next() % 900).\(rng.next() % 100)"
            }
        }
        for i in 0..<4_000 {
            t += Int64(rng.next() % 3_000_000)
            let stamp = i % 3 == 0 ? UTCTime.iso8601(nanoseconds: t) : i % 3 == 1 ? "\(t)" : "\(t / 1_000_000)"
            let ask = price()
            let row: String
            switch rng.next() % 40 {
            case 0: row = ""
            case 1: row = "\(stamp),\"\(ask)\",\(ask),n,\(ask),\(ask),1"
            case 2: row = "\(stamp), \(ask),\(ask),n,\(ask),\(ask),1"
            case 3: row = "\(stamp),+\(ask),\(ask),n,\(ask),\(ask),1"
            case 4: row = "\(stamp),1e3,1e3,n,1e3,1e3,-0"
            case 5: row = "\(stamp),0,0,n,1,1,1"
            case 6: row = "\(stamp),\(ask),\(ask),\"a,b\",\(ask),\(ask),1"
            case 7: row = "\(stamp),\(ask),\(ask),n,\(ask),\(ask)"
            case 8: row = "\(stamp),\(ask),\(ask),n,\(ask),\(ask),1,9"
            case 9: row = "\(stamp).5,\(ask),\(ask),n,\(ask),\(ask),1"
            case 10: row = "-\(stamp),\(ask),\(ask),n,\(ask),\(ask),1"
            case 11: row = "\(stamp),\(ask),\(ask),n,\(ask),\(ask),1\r"
            case 12: row = "\(stamp),,,,,,"
            case 13: row = "\(stamp),\(ask)x,\(ask),n,\(ask),\(ask),1"
            case 14: row = "\(stamp),\(ask),\(ask),\(String(repeating: "n", count: 120)),\(ask),\(ask),1"
            case 15: row = "\(stamp)Z,\(ask),\(ask),n,\(ask),\(ask),1"
            case 16: row = "\(stamp) ,\(ask),\(ask),n,\(ask),\(ask),1"
            case 17: row = "\(stamp),\(ask),\(ask),n\r,\(ask),\(ask),1"
            default: row = "\(stamp),\(ask),\(ask),note \(i),\(ask),\(ask),\(rng.next() % 100).\(rng.next() % 10_000)"
            }
            text += row + "\n"
        }
        text += "\(t + 1),1.5,1.5,n,1.5,1.5,2.25"  // no final line end
        let bytes = Array(text.utf8)

        func loader(fast: Bool, chunks: Int, block: Int) -> MarketDataCSVLoader {
            var loader = MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true, maxReportedErrors: 10_000, parallel: true,
                                                                          maxLineBytes: 400))
            loader.fastRows = fast
            loader.minimumChunkBytes = 1
            loader.maximumChunks = chunks
            loader.blockBytes = block
            return loader
        }
        let reference = try loader(fast: false, chunks: 1, block: 1 << 30).load(bytes: bytes, name: "t.csv")
        #expect(reference.rowsLoaded > 3_000 && reference.rowsSkipped > 100 && reference.blankLines > 50)
        for (chunks, block) in [(1, 1 << 30), (2, 1 << 30), (5, 1 << 30), (1, 1), (1, 97), (3, 1_000), (2, 4_099)] {
            let result = try loader(fast: true, chunks: chunks, block: block).load(bytes: bytes, name: "t.csv")
            CSVLoadComparison.expectEqual(result, reference, "\(chunks) chunks, blocks of \(block)")
        }
    }

    /// Strict mode: the first error, with its line and column, is the same
    /// with the fast path (an over-long plain line included).
    @Test func strictErrorsAreTheSameWithTheFastPath() {
        let header = "timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price\n"
        let good = (0..<50).map { "\(1_760_249_820_000 + $0),2.5,2.25,3.5,3.25\n" }.joined()
        for bad in ["1760249830000,2.5,2.25,3.5,0\n", "1760249830000,2.5,2.25,3.5\n", "1760249830000,2.5,2.25,3.5,3,1\n",
                    "1760249830000,2.5,2.25,3.5,3.x\n", "1760249830000.1234567,2.5,2.25,3.5,3.25\n",
                    "99999999999999999999,2.5,2.25,3.5,3.25\n", "1760249810000,2.5,2.25,3.5,3.25\n",
                    "1760249830000,2.5,2.75,3.5,3.25\n", "2025-13-01T00:00:00Z,2.5,2.25,3.5,3.25\n",
                    "1760249830000,2.5\(String(repeating: "0", count: 100)),2.25,3.5,3.25\n"] {
            let text = header + good + bad + good.replacingOccurrences(of: "17602498", with: "17602499")
            var messages: [String] = []
            for fast in [false, true] {
                var loader = MarketDataCSVLoader(options: MarketDataCSVOptions(maxLineBytes: 100))
                loader.fastRows = fast
                do {
                    _ = try loader.load(text: text, name: "t.csv")
                    messages.append("loaded")
                } catch {
                    messages.append(error.description)
                }
            }
            #expect(messages[0] != "loaded", "\(bad)")
            #expect(messages[0] == messages[1], "\(bad)")
        }
    }
}

/// The structural row path (`CSVSeparatorIndex`, `CSVChunkParser.indexedRow`,
/// `SWARDigits.alignedDecimalParts`) must give what the general code gives.
@Suite struct CSVIndexedRowTests {
    /// Every byte of random texts from the bytes that matter: the index's
    /// bits and offsets are exactly the `,` and LF bytes, at every offset
    /// and length.
    @Test func separatorBitsAreExactlyTheCommasAndLineEnds() {
        var rng = SplitMix64(seed: 23)
        let alphabet = Array("0123456789.,\n\r\"- ,\n".utf8) + [0x00, 0x2B, 0x2D, 0x8A, 0xAC, 0xFF, 0x0B, 0x3C]
        let index = CSVSeparatorIndex()
        for trial in 0..<600 {
            let bytes = (0..<Int(rng.next() % 300)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                let from = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                // Half the trials with the AVX2 kernel (where the processor has it), half with the portable
                // words; every third one indexed in random steps, as the parser extends it ahead of its rows.
                let vector = trial % 2 == 0 && ProcessorFeatures.avx2
                if trial % 3 == 0 {
                    index.begin(base, from..<bytes.count, vectorInstructions: vector)
                    var reach = from
                    while index.indexedEnd < bytes.count {
                        reach += Int(rng.next() % 150)
                        index.extend(through: reach)
                        #expect(index.indexedEnd >= min(reach, bytes.count) && index.indexedEnd <= bytes.count)
                    }
                } else {
                    index.index(base, from..<bytes.count, vectorInstructions: vector)
                }
                // The offsets list the same separators, in order, after the -1 for the byte before the piece.
                let expected = (from..<bytes.count).filter { bytes[$0] == 0x2C || bytes[$0] == 0x0A }.map { Int32($0 - from) }
                let listed = (0...index.offsetCount).map { index.offsets[$0] }
                #expect(listed == [-1] + expected)
                for offset in from..<bytes.count {
                    let window = index.window(at: offset)
                    for i in 0..<128 {
                        let bit = i < 64 ? (window.low >> UInt64(i)) & 1 : (window.high >> UInt64(i - 64)) & 1
                        let expected = offset + i < bytes.count && (bytes[offset + i] == 0x2C || bytes[offset + i] == 0x0A)
                        #expect((bit == 1) == expected, "offset \(offset) + \(i)")
                    }
                }
            }
        }
    }

    /// Fields of 1 to 8 bytes ending at the top of a word: the aligned
    /// parse answers exactly when `DecimalParser.parseUnsignedPrefix` takes
    /// the whole field, with the same value.
    @Test func alignedDecimalMatchesTheScalarPrefixParser() {
        var rng = SplitMix64(seed: 29)
        let alphabet = Array("0123456789012345678901234567890123456789...-+eE \"x,\n\r".utf8)
        var answered = 0
        for _ in 0..<300_000 {
            let length = 1 + Int(rng.next() % 8)
            let field = (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            // Random bytes below the field, then the field, then a comma.
            let text = (0..<(8 - length)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] } + field
                + [UInt8(ascii: ",")]
            text.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                let scalar = DecimalParser.parseUnsignedPrefix(base, from: 8 - length, end: 8)
                let whole = scalar.map { $0.end == 8 } ?? false
                let aligned = SWARDigits.alignedDecimalParts(SWARDigits.load(base), length: length)
                let shown = String(decoding: field, as: UTF8.self)
                #expect((aligned != nil) == whole, "'\(shown)'")
                if let aligned, let scalar {
                    answered += 1
                    let value = Double(aligned.significand) / DecimalParser.exactPowerOfTen(aligned.fractionDigits)
                    #expect(value.bitPattern == scalar.value.bitPattern, "'\(shown)'")
                }
            }
        }
        #expect(answered > 10_000)
    }

    /// Four fields at a time: every lane declines exactly when the scalar
    /// aligned parse gives nil, and otherwise gives its significand and
    /// fraction digits, whatever the other lanes hold.
    @Test func alignedDecimalLanesMatchTheScalarParts() {
        var rng = SplitMix64(seed: 37)
        let alphabet = Array("0123456789012345678901234567890123456789....-+eE \"x,\n\r".utf8) + [0x00, 0xAE, 0xB0, 0xFF]
        var accepted = 0, declined = 0
        for _ in 0..<200_000 {
            var words = SIMD4<UInt64>(), lengths = SIMD4<UInt64>()
            for lane in 0..<4 {
                let length = 1 + Int(rng.next() % 8)
                let bytes = (0..<8).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                words[lane] = bytes.withUnsafeBufferPointer { SWARDigits.load($0.baseAddress!) }
                lengths[lane] = UInt64(length)
            }
            let fields = SIMD4(SWARDigits.fieldMask(Int(lengths[0])), SWARDigits.fieldMask(Int(lengths[1])),
                               SWARDigits.fieldMask(Int(lengths[2])), SWARDigits.fieldMask(Int(lengths[3])))
            let lanes = SWARDigits.alignedDecimalLanes(words, fields: fields)
            for lane in 0..<4 {
                let scalar = SWARDigits.alignedDecimalParts(words[lane], length: Int(lengths[lane]))
                #expect((lanes.declined[lane] != 0) == (scalar == nil), "word \(String(words[lane], radix: 16)), length \(lengths[lane])")
                if let scalar, lanes.declined[lane] == 0 {
                    accepted += 1
                    #expect(lanes.significands[lane] == scalar.significand && lanes.fractionDigits[lane] == UInt64(scalar.fractionDigits))
                } else {
                    declined += 1
                }
            }
        }
        #expect(accepted > 20_000 && declined > 20_000)
    }

    /// The AVX2 kernel for four short decimals against the scalar parts and
    /// one division per lane: it answers exactly when every lane is a plain
    /// decimal of 1 to 8 bytes (positive when asked), with the same bits,
    /// and otherwise (any other length too) leaves the output untouched.
    @Test(.enabled(if: ProcessorFeatures.avx2, "the AVX2 kernel runs only where the processor has AVX2"))
    func avx2DecimalsMatchTheScalarParts() {
        var rng = SplitMix64(seed: 41)
        let junk = Array("0123456789....-+eE \"x,\n\r".utf8) + [0x00, 0xAE, 0xB0, 0xFF, 0x2F, 0x3A]
        var answered = 0, declined = 0
        for _ in 0..<200_000 {
            var words: [UInt64] = [], lengths: [Int] = []
            for _ in 0..<4 {
                let length = 1 + Int(rng.next() % 8)
                var bytes = (0..<8).map { _ in junk[Int(rng.next() % UInt64(junk.count))] }
                if rng.next() % 16 != 0 {
                    // Mostly a plain decimal of `length` bytes (sometimes all zeros), a point in it or not.
                    let zeros = rng.next() % 8 == 0
                    for i in (8 - length)..<8 { bytes[i] = zeros ? 0x30 : 0x30 + UInt8(rng.next() % 10) }
                    if rng.next() % 4 != 0 { bytes[8 - length + Int(rng.next() % UInt64(length))] = UInt8(ascii: ".") }
                }
                words.append(bytes.withUnsafeBufferPointer { SWARDigits.load($0.baseAddress!) })
                // Now and then a length the kernel must refuse: empty, or longer than its word.
                lengths.append(rng.next() % 64 == 0 ? [0, 9, 12, -3][Int(rng.next() % 4)] : length)
            }
            let positive = rng.next() % 2 == 0
            // The value of every lane that the scalar parse takes (and that is positive when asked).
            let expected = (0..<4).compactMap { lane -> Double? in
                guard (1...8).contains(lengths[lane]),
                      let parts = SWARDigits.alignedDecimalParts(words[lane], length: lengths[lane]),
                      !positive || parts.significand > 0 else { return nil }
                return Double(parts.significand) / DecimalParser.exactPowerOfTen(parts.fractionDigits)
            }
            var out = [Double](repeating: -1, count: 4)
            let n = lengths.map(Int64.init)
            let status = delta_arb_decimals4_avx2(words[0], words[1], words[2], words[3], n[0], n[1], n[2], n[3],
                                                  positive ? 1 : 0, &out)
            if expected.count == 4 {
                answered += 1
                #expect(status == 0 && out.map(\.bitPattern) == expected.map(\.bitPattern),
                        "words \(words.map { String($0, radix: 16) }), lengths \(lengths)")
            } else {
                declined += 1
                #expect(status != 0 && out == [-1, -1, -1, -1], "words \(words.map { String($0, radix: 16) }), lengths \(lengths)")
            }
        }
        #expect(answered > 20_000 && declined > 20_000)
    }

    /// Plain rows of every number shape the paths split on (1 to 20 digits,
    /// points at the ends, CRLF, empty fields, rows around 128 bytes, ISO
    /// and epoch times), mixed with rows the fast paths must decline, loaded
    /// in pieces and blocks of many sizes so that rows and fields straddle
    /// every edge (including a field ending less than 8 bytes into a block):
    /// the same data, counts and errors as the general code.
    @Test func indexedRowsGiveWhatTheGeneralCodeGives() throws {
        var rng = SplitMix64(seed: 31)
        var text = "timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price,note,spot_ask_quantity\r\n"
        var t: Int64 = 1_760_249_820_000_000_000
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(rng.next() % 10)) })
        }
        func number() -> String {
            switch rng.next() % 9 {
            case 0: return "1" + digits(Int(rng.next() % 20))
            case 1: return ".\(1 + rng.next() % 9)" + digits(Int(rng.next() % 9))
            case 2: return "\(1 + rng.next() % 9)" + digits(Int(rng.next() % 9)) + "."
            case 3: return "0.000" + digits(Int(rng.next() % 6)) + "1"
            case 4: return "\(1 + rng.next() % 9)" + digits(Int(rng.next() % 8)) + "." + digits(Int(rng.next() % 10))
            default: return "\(1 + rng.next() % 9)" + digits(Int(rng.next() % 5)) + "." + digits(Int(rng.next() % 5))
            }
        }
        for i in 0..<6_000 {
            t += Int64(rng.next() % 3_000_000)
            let stamp = i % 4 == 0 ? UTCTime.iso8601(nanoseconds: t) : i % 4 == 1 ? "\(t)" : "\(t / 1_000_000)"
            let note = rng.next() % 5 == 0 ? String(repeating: "n", count: Int(rng.next() % 100)) : ""
            let quantity = rng.next() % 4 == 0 ? "" : rng.next() % 3 == 0 ? "0" : number()
            // Bid and ask the same text mostly, so that few rows are crossed books.
            let spot = number(), futures = number()
            let spotBid = rng.next() % 8 == 0 ? "0.00000001" : spot
            var fields = [stamp, spot, spotBid, futures, futures, note, quantity]
            switch rng.next() % 30 {
            case 0: fields[1 + Int(rng.next() % 4)] = ""
            case 1: fields[1 + Int(rng.next() % 4)] = "."
            case 2: fields[1 + Int(rng.next() % 4)] = "1.2.3"
            case 3: fields[1 + Int(rng.next() % 4)] = "0.0"
            case 4: fields[5] = "a\"b"
            case 5: fields[6] = "1e2"
            case 6: fields[0] += "+01:00"
            case 7: fields[2] = " " + fields[2]
            default: break
            }
            let end = rng.next() % 3 == 0 ? "\r\n" : rng.next() % 50 == 0 ? "\n\n" : "\n"
            text += fields.joined(separator: ",") + end
        }
        let bytes = Array(text.utf8)
        func loader(fast: Bool, vector: Bool = true, piece: Int, block: Int) -> MarketDataCSVLoader {
            CSVLoadComparison.loader(fast: fast, vector: vector, piece: piece, block: block, maxLineBytes: 300)
        }
        let reference = try loader(fast: false, piece: 1 << 30, block: 1 << 30).load(bytes: bytes, name: "t.csv")
        #expect(reference.rowsLoaded > 4_000 && reference.rowsSkipped > 100)
        for (piece, block) in [(1 << 30, 1 << 30), (1, 1 << 30), (100, 1 << 30), (4_096, 1_000), (1 << 30, 3),
                               (333, 7_919), (65, 64)] {
            for vector in [true, false] {
                let result = try loader(fast: true, vector: vector, piece: piece, block: block).load(bytes: bytes, name: "t.csv")
                CSVLoadComparison.expectEqual(result, reference, "pieces of \(piece), blocks of \(block), vector \(vector)")
            }
        }
    }
}
