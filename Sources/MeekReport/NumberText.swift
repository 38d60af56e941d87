/// The one place where an output turns a number into text. A statistic can be infinite or
/// NaN (a sum of squares that overflows for values above about 1e154, a benchmark gap of
/// −∞); no output may print "nan" or "inf" for it, nor trap on it. JSON writes `null` (see
/// `JSON.number`), Markdown and text tables write `notFinite`, CSV an empty cell.
public enum NumberText {
    /// What Markdown and text tables show for a value that is not a finite number.
    public static let notFinite = "—"

    /// A CSV cell: Swift's shortest round-trip text, or empty when not finite.
    public static func csv(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }

    /// `x` to `digits` significant digits, or `notFinite`.
    public static func significant(_ x: Double, _ digits: Int) -> String {
        x.isFinite ? String(format: "%.\(digits)g", x) : notFinite
    }

    /// Shortest text that reads back as the same number (0.154, 1070, 1e+17), or `notFinite`.
    public static func shortest(_ x: Double) -> String {
        guard x.isFinite else { return notFinite }
        return x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
