/// Decimal text to the nearest `Double`, for sources other than the CSV
/// loader (the PostgreSQL NUMERIC decoder builds the digits it receives into
/// such text). The same parser as the CSV loader's: correctly rounded, no
/// `String` built in the common case.
public enum DecimalText {
    /// `[+-] digits [. digits] [(e|E) [+-] digits]` to the nearest double;
    /// nil when the text is not a finite decimal number.
    @inline(__always)
    public static func double(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let base = bytes.baseAddress else { return nil }
        return DecimalParser.parse(base, count: bytes.count)
    }
}
