/// A `Double` that encodes as JSON `null` when it is NaN or ±∞ and decodes
/// `null` as NaN (docs/design.md, "JSON"), for fields of synthesised `Codable` types.
@propertyWrapper
public struct NonFiniteAsNull: Sendable, Hashable, Codable {
    /// The value; NaN after decoding `null`.
    public var wrappedValue: Double

    /// Wraps `wrappedValue`.
    public init(wrappedValue: Double) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? .nan : try c.decode(Double.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if wrappedValue.isFinite { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}
