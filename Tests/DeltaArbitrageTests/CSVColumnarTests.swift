import Foundation
import Testing
@testable import DeltaArbitrage

/// The column-by-column block path (`CSVChunkParser.columnarRows`, with
/// `SWARDigits.alignedDecimalLanes` and `DecimalQuotients`) and the mapped
/// file input must give exactly what the general code and the read path give.
@Suite struct CSVColumnarTests {
    /// The fused quotient equals the division on every significand below
    /// 10^5 for each power, and on random ones below 10^8 (the script
    /// `scripts/check-decimal-quotients.swift` covers all 8·10^8 in release).
    @Test func quotientWithoutDivisionEqualsTheDivision() {
        let quotients = DecimalQuotients.shared
        var rng = SplitMix64(seed: 41)
        for k in 0..<8 {
            let power = DecimalParser.exactPowerOfTen(k)
            for significand in UInt64(0)..<100_000 {
                #expect(quotients.quotient(significand, byPowerOfTen: k) == Double(significand) / power)
            }
            for _ in 0..<200_000 {
                let significand = rng.next() % 100_000_000
                let expected = Double(significand) / power
                #expect(quotients.quotient(significand, byPowerOfTen: k).bitPattern == expected.bitPattern)
                let lanes = quotients.quotients(SIMD4(repeating: significand), byPowersOfTen: SIMD4(repeating: UInt64(k)))
                #expect(lanes[3].bitPattern == expected.bitPattern)
            }
        }
    }

    /// Fields of 9 to 16 bytes after random bytes: the aligned integer
    /// answers exactly when the field is all digits, with the value the
    /// scanning parser gives.
    @Test func alignedIntegerMatchesTheScanningParser() {
        var rng = SplitMix64(seed: 47)
        let alphabet = Array("01234567890123456789012345678901234567890123456789-.:TZ ,\n".utf8)
        var answered = 0
        for _ in 0..<200_000 {
            let length = 9 + Int(rng.next() % 8)
            let before = Int(rng.next() % 8)
            let text = (0..<(before + length)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                + [UInt8(ascii: ",")] + Array(repeating: UInt8(ascii: "0"), count: 24)
            text.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                let start = before, end = before + length
                let field = text[start..<end]
                let digits = field.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                // 16 readable bytes before the end: pad in front when the field starts early.
                let padded = [UInt8](repeating: UInt8(ascii: "x"), count: 16) + text
                let aligned = padded.withUnsafeBufferPointer {
                    SWARDigits.alignedInteger($0.baseAddress!, end: end + 16, length: length)
                }
                let scanned = SWARDigits.integerDigits(base + start)
                #expect((aligned != nil) == digits, "\(String(decoding: field, as: UTF8.self))")
                if let aligned, let scanned {
                    answered += 1
                    #expect(scanned.length == length && scanned.value == aligned)
                }
            }
        }
        #expect(answered > 1_000)
    }

    /// Long runs of plain rows (so that whole blocks are taken column by
    /// column), with rare rows of every kind a block must decline or a
    /// lane must leave to one field at a time: the same data, counts and
    /// errors as the general code, for pieces and blocks of many sizes.
    @Test func columnarBlocksGiveWhatTheGeneralCodeGives() throws {
        var rng = SplitMix64(seed: 43)
        var text = "timestamp,spot_ask_price,spot_bid_price,spot_ask_quantity,note,fut_ask_price,fut_bid_price,fut_bid_quantity\n"
        var t: Int64 = 1_760_249_820_000
        func decimal() -> String {
            switch rng.next() % 12 {
            case 0: return "\(1 + rng.next() % 99_999_999)"  // up to 8 digits, no point
            case 1: return "\(rng.next() % 10).\(rng.next() % 1_000_000)"  // up to 8 bytes
            case 2: return "1234567.5"  // 9 bytes: the 16-byte path, one field at a time
            case 5: return "\(100_000_000 + rng.next() % 900_000_000_000)"  // 9 to 12 digits: the scalar prefix parser
            case 3: return ".5"
            case 4: return "7."
            default: return "\(100 + rng.next() % 90_000).\(rng.next() % 100)"
            }
        }
        for i in 0..<20_000 {
            t += Int64(rng.next() % 300)
            let price = decimal()
            var fields = [i % 7_000 < 3_500 ? "\(t)" : UTCTime.iso8601(nanoseconds: t * 1_000_000), price, price,
                          decimal(), "", price, price, decimal()]
            var end = "\n"
            if rng.next() % 400 == 0 {
                switch rng.next() % 12 {
                case 0: fields[1 + Int(rng.next() % 2) * 4] = "0"  // a zero price: the row is bad
                case 1: fields[3] = ""  // empty quantity: carried forward
                case 2: fields[4] = "a\"b"
                case 3: fields[2] = "1e3"
                case 4: fields.removeLast()
                case 5: fields.append("9")
                case 6: end = "\r\n"
                case 7: end = "\n\n"
                case 8: fields[4] = String(repeating: "n", count: 150)  // a long line, under maxLineBytes
                case 9: fields[0] = "\(t)x"
                case 10: fields[6] = "0.0"
                default: fields[3] = "12345678901234567890"
                }
            }
            text += fields.joined(separator: ",") + end
        }
        let bytes = Array(text.utf8)
        func loader(fast: Bool, vector: Bool = true, piece: Int, block: Int) -> MarketDataCSVLoader {
            CSVLoadComparison.loader(fast: fast, vector: vector, piece: piece, block: block, maxLineBytes: 250)
        }
        let reference = try loader(fast: false, piece: 1 << 30, block: 1 << 30).load(bytes: bytes, name: "t.csv")
        #expect(reference.rowsLoaded > 19_000 && reference.rowsSkipped > 10 && reference.blankLines > 0)
        for (piece, block) in [(1 << 30, 1 << 30), (512 << 10, 1 << 30), (10_000, 1 << 30), (3_001, 77_777), (700, 5_000)] {
            for vector in [true, false] {
                let result = try loader(fast: true, vector: vector, piece: piece, block: block).load(bytes: bytes, name: "t.csv")
                CSVLoadComparison.expectEqual(result, reference, "pieces of \(piece), blocks of \(block), vector \(vector)")
            }
        }
    }

    /// A line far over the limit with no line end: the pieces stay about
    /// their size (a piece ends inside that line), and the load stops at it
    /// with the same error line whether the file is mapped or read.
    @Test func anOverLongLineBoundsThePieces() throws {
        let text = Array("timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price\n1760249820000,2.5,2.25,3.5,3.25\n".utf8)
            + Array(repeating: UInt8(ascii: "7"), count: 300_000) + Array("\n1760249820001,2.5,2.25,3.5,3.25\n".utf8)
        text.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            let pieces = CSVLoadSession.chunkRanges(base, 0..<text.count, count: 40, maxLineBytes: 1_000)
            #expect(pieces.first?.lowerBound == 0 && pieces.last?.upperBound == text.count)
            #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(pieces.allSatisfy { $0.count <= text.count / 40 + 1_001 + 1 })
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csv-long-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("long.csv").path
        try Data(text).write(to: URL(fileURLWithPath: path))
        for mapped in [false, true] {
            var loader = MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true, maxLineBytes: 1_000))
            loader.mappedMinimumBytes = mapped ? 0 : Int.max
            loader.pieceBytes = 8_192
            loader.minimumChunkBytes = 1
            #expect(throws: MarketDataError.self, "mapped: \(mapped)") { try loader.load(path: path) }
            do {
                _ = try loader.load(path: path)
            } catch {
                #expect(error.kind == .lineTooLong && error.line == 3, "mapped: \(mapped): \(error)")
            }
        }
    }

    /// A file over the mapping threshold loads in place with what reading
    /// it gives, in skipping and in strict mode (the same first error).
    @Test func mappedFilesLoadAsReadFilesDo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csv-mapped-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var text = "timestamp,spot_ask_price,spot_bid_price,fut_ask_price,fut_bid_price\n"
        for i in 0..<30_000 {
            text += i == 21_000 ? "1760249820000,2.5,2.25,3.5,0\n" : "\(1_760_249_820_000 + i),2.5,2.25,3.5\(i % 10),3.25\n"
        }
        let path = directory.appendingPathComponent("m.csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        for skip in [true, false] {
            var outcomes: [String] = []
            var results: [MarketDataCSVLoadResult] = []
            for mapped in [false, true] {
                var loader = MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: skip))
                loader.mappedMinimumBytes = mapped ? 0 : Int.max
                loader.blockBytes = 100_000  // several blocks, each released after it is parsed
                do {
                    results.append(try loader.load(path: path))
                    outcomes.append("loaded")
                } catch {
                    outcomes.append(error.description)
                }
            }
            #expect(outcomes[0] == outcomes[1])
            #expect(skip ? outcomes[0] == "loaded" : outcomes[0].contains(":21002:"), "\(outcomes[0])")
            if results.count == 2 {
                CSVLoadComparison.expectEqual(results[1], results[0], "mapped")
                #expect(results[0].rowsLoaded == 29_999)
            }
        }
    }
}
