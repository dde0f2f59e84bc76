import Foundation

extension KeyedEncodingContainer {
    /// Encodes a `Double`, writing `null` for NaN and ±infinity (the JSON
    /// convention of docs/design.md: non-finite numbers are `null`).
    public mutating func encodeFinite(_ value: Double, forKey key: Key) throws {
        if value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// Encodes an optional `Double` the same way.
    public mutating func encodeFinite(_ value: Double?, forKey key: Key) throws {
        if let value, value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// Encodes a list of `Double`s with non-finite entries as `null`.
    public mutating func encodeFinite(_ values: [Double], forKey key: Key) throws {
        try encode(values.map { $0.isFinite ? Optional($0) : nil }, forKey: key)
    }
}

extension KeyedDecodingContainer {
    /// Decodes a `Double` written by `encodeFinite`; `null` reads back as NaN.
    public func decodeFinite(forKey key: Key) throws -> Double {
        try decodeIfPresent(Double.self, forKey: key) ?? .nan
    }
}

/// The encoder behind every `--json` output: sorted keys for stable diffs.
public func makeJSONEncoder(pretty: Bool = true) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}

extension DecodingError {
    /// One human line: what is wrong and where in the document
    /// (`missing field 'last_sequence'`, `at trade.hours: expected a number`).
    public var summary: String {
        func place(_ context: Context) -> String {
            context.codingPath.isEmpty ? "" : " at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        }
        switch self {
        case .dataCorrupted(let c): return "invalid JSON\(place(c)): \(c.debugDescription)"
        case .keyNotFound(let key, let c): return "invalid JSON\(place(c)): missing field '\(key.stringValue)'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "invalid JSON\(place(c)): \(c.debugDescription)"
        @unknown default: return "invalid JSON: \(localizedDescription)"
        }
    }
}
