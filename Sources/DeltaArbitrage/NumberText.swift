import Foundation

/// Numbers in messages and reports as a person would type them.
public enum NumberText {
    /// `24`, `0.5`, `1.25`, `1e-06`: whole numbers without a decimal point,
    /// others with C's `%g` (six significant digits, no trailing zeros);
    /// `nan` / `inf` for non-finite values.
    public static func plain(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(format: "%g", x)
    }
}
