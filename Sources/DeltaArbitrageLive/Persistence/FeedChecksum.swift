/// A running 64-bit checksum of the book updates a strategy has consumed, in
/// order: sequence, timestamp and the bit patterns of both tops' prices and
/// quantities (an absent top folds a marker). Committed with the state's
/// sequence, it binds the state to the feed's content — a file of the same
/// shape with other prices does not reproduce it.
///
/// Each 64-bit word goes through xxHash64's round,
/// `acc = rotl(acc + word · P₂, 31) · P₁`: two multiplies per word, no
/// allocation, order-sensitive. It detects accidents, not adversaries.
public struct FeedChecksum: Sendable, Hashable, Codable {
    /// The checksum so far.
    public private(set) var value: UInt64 = Self.seed
    /// Updates folded in.
    public private(set) var updates = 0

    private static let seed: UInt64 = 0x27D4_EB2F_1656_67C5
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let absent: UInt64 = 0x165E_F4D9_A1B2_C3D5

    /// The checksum of no updates.
    public init() {}

    /// Folds in `update`.
    @inline(__always)
    public mutating func add(_ update: BookUpdate) {
        var h = Self.round(value, UInt64(bitPattern: Int64(update.sequence)))
        h = Self.round(h, UInt64(bitPattern: update.timestampNanoseconds))
        h = Self.fold(h, update.spot)
        h = Self.fold(h, update.futures)
        value = h
        updates += 1
    }

    @inline(__always)
    private static func fold(_ h: UInt64, _ top: BookTop?) -> UInt64 {
        guard let top else { return round(h, absent) }
        return round(round(round(round(h, top.bid.bitPattern), top.ask.bitPattern),
                           top.bidQuantity.bitPattern), top.askQuantity.bitPattern)
    }

    @inline(__always)
    private static func round(_ acc: UInt64, _ word: UInt64) -> UInt64 {
        let a = acc &+ word &* prime2
        return ((a << 31) | (a >> 33)) &* prime1
    }

    enum CodingKeys: String, CodingKey { case value, updates }

    // The value as 16 hex digits: JSON readers that parse numbers as doubles would round a UInt64.
    /// Reads `{"value": "<16 hex digits>", "updates": n}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .value)
        guard text.utf8.count == 16, let value = UInt64(text, radix: 16) else {
            throw DecodingError.dataCorruptedError(forKey: .value, in: c, debugDescription: "not 16 hex digits: '\(text)'")
        }
        self.value = value
        updates = try c.decode(Int.self, forKey: .updates)
    }

    /// Writes `{"value": "<16 hex digits>", "updates": n}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let hex = String(value, radix: 16)
        try c.encode(String(repeating: "0", count: 16 - hex.utf8.count) + hex, forKey: .value)
        try c.encode(updates, forKey: .updates)
    }
}
