import CGSL
import MeekEngine

/// The Saltelli (2010) sampling design for variance-based sensitivity analysis: two base
/// matrices A and B of N points in k factors (uniforms in (0, 1)), taken from GSL's
/// Sobol' sequence in 2k dimensions (A the first k, B the last k), and for each factor i the
/// matrix AB_i: A with factor i's columns taken from B. A factor may be a group of several
/// columns (inputs sampled jointly), which then move together.
///
/// How points are drawn is separate from how indices are estimated (`SobolIndices`).
public struct SaltelliDesign: Sendable {
    /// Points per base matrix (a power of two for the Sobol' sequence's balance).
    public let baseSize: Int
    /// Columns per point.
    public let columns: Int
    /// Factor f's columns.
    public let factors: [[Int]]
    /// Row-major N × columns uniforms.
    public let a: [Double]
    public let b: [Double]

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case baseSizeNotPowerOfTwo(Int)
        case tooManyDimensions(Int)
        case badFactors(String)

        public var description: String {
            switch self {
            case .baseSizeNotPowerOfTwo(let n): "the base size must be a power of two for the Sobol' sampler (got \(n))"
            case .tooManyDimensions(let d): "a Saltelli design needs 2 × columns ≤ 40 Sobol' dimensions (got \(d)); group inputs"
            case .badFactors(let why): why
            }
        }
    }

    /// A design for `columns` uniform columns grouped into `factors` (each column in exactly
    /// one factor; default: one factor per column).
    public init(baseSize: Int, columns: Int, factors: [[Int]]? = nil) throws(Failure) {
        guard baseSize > 0, baseSize & (baseSize - 1) == 0 else { throw .baseSizeNotPowerOfTwo(baseSize) }
        guard 2 * columns <= 40 else { throw .tooManyDimensions(2 * columns) }
        let factors = factors ?? (0..<columns).map { [$0] }
        guard factors.flatMap({ $0 }).sorted() == Array(0..<columns) else {
            throw .badFactors("every column must belong to exactly one factor")
        }
        self.baseSize = baseSize
        self.columns = columns
        self.factors = factors
        var a = [Double](repeating: 0, count: baseSize * columns)
        var b = a
        let q = gsl_qrng_alloc(meek_gsl_qrng_sobol(), UInt32(2 * columns))!
        defer { gsl_qrng_free(q) }
        var point = [Double](repeating: 0, count: 2 * columns)
        for j in 0..<baseSize {
            _ = gsl_qrng_get(q, &point)
            for c in 0..<columns {
                a[j * columns + c] = point[c]
                b[j * columns + c] = point[columns + c]
            }
        }
        self.a = a
        self.b = b
    }

    /// Row j of AB_f: A's row with factor f's columns from B.
    public func abRow(_ j: Int, factor f: Int) -> [Double] {
        var row = Array(a[(j * columns)..<((j + 1) * columns)])
        for c in factors[f] { row[c] = b[j * columns + c] }
        return row
    }

    public func aRow(_ j: Int) -> [Double] { Array(a[(j * columns)..<((j + 1) * columns)]) }
    public func bRow(_ j: Int) -> [Double] { Array(b[(j * columns)..<((j + 1) * columns)]) }

    /// Model evaluations needed: N·(factors + 2).
    public var evaluations: Int { baseSize * (factors.count + 2) }

    /// Evaluates `f` on every point of the design: f(A), f(B) and f(AB_i) for each factor.
    public func evaluate(_ f: ([Double]) -> Double) -> (a: [Double], b: [Double], ab: [[Double]]) {
        let ya = (0..<baseSize).map { f(aRow($0)) }
        let yb = (0..<baseSize).map { f(bRow($0)) }
        let yab = factors.indices.map { i in (0..<baseSize).map { f(abRow($0, factor: i)) } }
        return (ya, yb, yab)
    }
}
