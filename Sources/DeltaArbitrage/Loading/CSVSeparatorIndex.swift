import CIntrinsics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One bit per byte of a piece of CSV text, set where the byte is `,` or
/// LF: the structural pass of the fast row path (as simdjson and simdcsv
/// do). Found a few KiB ahead of the rows being parsed (`extend`), in one
/// loop with no dependency from one word to the next, it gives every
/// field's bounds before the field is read, so that the fields of a row are
/// parsed independently of each other instead of each one waiting for the
/// scan of the one before (`CSVChunkParser.indexedRow`, `columnarRows`).
///
/// The bits only say where separators are; whether a line really has the
/// plain shape (and the quoting that the general code allows) is checked
/// by the row path, which declines anything else.
///
/// Reused piece after piece by one parsing thread; `@unchecked Sendable`
/// for the same reason as `CSVRawColumns`.
final class CSVSeparatorIndex: @unchecked Sendable {
    /// Zero words after the last one in use, so that a row window (two words
    /// from any bit on) never reads past the bits.
    static let paddingWords = 3

    private(set) var bits: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    /// Offset in the input of bit 0 of `bits`.
    private(set) var origin = 0
    /// Bytes indexed from `origin`; bits at and past it are zero.
    private(set) var count = 0

    /// The separators' offsets from `origin`, in order, from index 1 on;
    /// index 0 holds -1, the byte before the piece, which stands for the
    /// line end before the first line (see `CSVChunkParser.columnarRows`).
    /// Empty (`offsetCount` 0) when the piece is too long for 32-bit offsets.
    private(set) var offsets: UnsafeMutablePointer<Int32>
    private var offsetCapacity: Int
    /// Separators in `offsets` (not counting the leading -1).
    private(set) var offsetCount = 0

    init() {
        capacity = 16
        bits = .allocate(capacity: capacity)
        offsetCapacity = 16
        offsets = .allocate(capacity: offsetCapacity)
        offsets[0] = -1
    }

    deinit {
        bits.deallocate()
        offsets.deallocate()
    }

    /// The input being indexed, and how far: `indexedWords` words of `bits`
    /// are filled, and `offsets` lists their separators; the word past the
    /// last whole one is the range's partial tail, written (with the zero
    /// padding after it) only when the range is finished.
    private var base: UnsafePointer<UInt8>?
    private var vectorInstructions = false
    private var listing = false
    private var indexedWords = 0

    /// Input offset up to which every separator is in `bits` and `offsets`.
    var indexedEnd: Int { origin + min(64 * indexedWords, count) }

    /// Whether the whole range is indexed, its padding written.
    private var finished: Bool { indexedWords > count / 64 }

    /// Indexes the whole of `range` of `base` (`begin`, then `extend` to its end).
    func index(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, vectorInstructions: Bool) {
        begin(base, range, vectorInstructions: vectorInstructions)
        extend(through: range.upperBound)
    }

    /// Starts indexing `range` of `base`; nothing is indexed until `extend`.
    /// Offsets are listed unless the range is too long for 32-bit offsets.
    func begin(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, vectorInstructions: Bool) {
        let words = range.count / 64 + 1 + Self.paddingWords
        if words > capacity {
            bits.deallocate()
            capacity = words + words / 2
            bits = .allocate(capacity: capacity)
        }
        self.base = base
        self.vectorInstructions = vectorInstructions
        origin = range.lowerBound
        count = range.count
        listing = count < Int(Int32.max) - 128
        // A separator every eight bytes or so in CSV; the list grows when a piece has more.
        let expected = listing ? count / 4 + 1 + 64 + 8 : 0
        if expected > offsetCapacity { reserveOffsets(expected, keeping: 0) }
        offsetCount = 0
        indexedWords = 0
    }

    /// Indexes on until input offset `end` (or the range's end) is covered.
    ///
    /// A parser indexes a few KiB ahead of the rows it parses, so that the
    /// text and the offsets it reads back are still in the core's
    /// first-level cache. Each word's separators are listed as soon as it is
    /// found, eight at a time without a branch on how many there are (the
    /// count decides only how far the end moves), as simdjson flattens its
    /// bits: a CSV row has a separator every eight or so bytes, so a word
    /// rarely takes a second round.
    func extend(through end: Int) {
        guard let base, !finished else { return }
        var out = offsets + 1 + offsetCount
        @inline(__always)
        func list(_ word: UInt64, at w: Int) {
            guard listing else { return }
            // Room for this word's 64 separators at most, plus eight unconditional writes.
            let used = out - offsets
            if used + 64 + 8 > offsetCapacity {
                reserveOffsets(2 * offsetCapacity + 64 + 8, keeping: used)
                out = offsets + used
            }
            var word = word
            let total = word.nonzeroBitCount
            let wordStart = Int32(truncatingIfNeeded: 64 &* w)
            var k = 0
            repeat {
                for j in 0..<8 {
                    out[k &+ j] = wordStart &+ Int32(truncatingIfNeeded: word.trailingZeroBitCount)
                    word &= word &- 1
                }
                k &+= 8
            } while k < total
            out += total
        }
        let start = base + origin
        let whole = count / 64
        let stop = min(whole, max(indexedWords, (end - origin + 63) / 64))
        var w = indexedWords
        while w < stop {
            let p = start + 64 * w
            var m: UInt64 = 0
            if vectorInstructions {
                m = UInt64(delta_arb_separator_mask64_avx2(p))
            } else {
                // Eight independent words: the loop runs at throughput.
                for k in 0..<8 {
                    m |= Self.separators(SWARDigits.load(p + 8 * k)) &<< UInt64(8 * k)
                }
            }
            bits[w] = m
            list(m, at: w)
            w += 1
        }
        indexedWords = w
        if w == whole && end >= indexedEnd {
            // The last, partial word, then the zero padding.
            var rest: UInt64 = 0
            var i = 64 * whole
            var bit: UInt64 = 1
            while i < count {
                let c = start[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "\n") { rest |= bit }
                bit &<<= 1
                i += 1
            }
            bits[whole] = rest
            list(rest, at: whole)
            for k in (whole + 1)..<(whole + 1 + Self.paddingWords) { bits[k] = 0 }
            indexedWords = whole + 1
        }
        offsetCount = listing ? out - (offsets + 1) : 0
    }

    /// Makes `offsets` hold `capacity` entries, keeping the first `kept`.
    @inline(never)
    private func reserveOffsets(_ capacity: Int, keeping kept: Int) {
        let grown = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        grown[0] = -1
        if kept > 0 { grown.update(from: offsets, count: kept) }
        offsets.deallocate()
        offsets = grown
        offsetCapacity = capacity
    }

    /// The eight bytes of `word` (first byte in the low bits) as eight bits,
    /// set where the byte is `,` or LF. Exact for every byte: the
    /// zero-byte test keeps carries inside each byte.
    @inline(__always)
    static func separators(_ word: UInt64) -> UInt64 {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let comma = word ^ 0x2C2C_2C2C_2C2C_2C2C, lf = word ^ 0x0A0A_0A0A_0A0A_0A0A
        // Top bit of a byte set where the byte of `comma` (`lf`) is not zero.
        let notComma = ((comma & low) &+ low) | comma
        let notLF = ((lf & low) &+ low) | lf
        let hits = ~(notComma & notLF) & 0x8080_8080_8080_8080
        // Gather the eight top bits into the top byte, byte k to bit k.
        return ((hits &>> 7) &* 0x0102_0408_1020_4080) &>> 56
    }

    /// The 128 bits from input offset `offset` on (`origin <= offset < origin + count`):
    /// bit i of `low`, then of `high`, is byte `offset + i`.
    @inline(__always)
    func window(at offset: Int) -> (low: UInt64, high: UInt64) {
        let bit = offset - origin
        let w = bit >> 6
        let shift = UInt64(bit & 63)
        let a = bits[w], b = bits[w + 1], c = bits[w + 2]
        // `x << (64 - shift)` in two steps, so that shift 0 gives 0.
        return ((a &>> shift) | ((b &<< 1) &<< (63 &- shift)),
                (b &>> shift) | ((c &<< 1) &<< (63 &- shift)))
    }
}
