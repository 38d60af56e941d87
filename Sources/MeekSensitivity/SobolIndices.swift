import MeekEngine

/// First-order and total-effect Sobol' indices of one output, with bootstrap intervals.
public struct SobolIndices: Sendable {
    public struct Index: Sendable {
        public var estimate: Double
        public var low: Double
        public var high: Double
    }

    /// Per factor: first-order S_i (Saltelli et al. 2010, eq. (b) of Table 2) and
    /// total-effect ST_i (Jansen 1999).
    public var firstOrder: [Index]
    public var total: [Index]
    /// The output's variance (over f(A) and f(B) together).
    public var variance: Double
    /// The level of the bootstrap intervals, e.g. 0.95.
    public var level: Double

    /// Estimates the indices from evaluations on a Saltelli design:
    /// `S_i = mean(f(B)·(f(AB_i) − f(A))) / V`, `ST_i = mean((f(A) − f(AB_i))²) / (2V)`,
    /// with V the variance of f(A) and f(B) pooled. Intervals: percentile bootstrap over
    /// the N rows (`bootstrap` resamples, at `level`), from a seeded stream, so they are
    /// reproducible.
    public init(a: [Double], b: [Double], ab: [[Double]], bootstrap: Int = 1000, level: Double = 0.95, seed: UInt64 = 1) {
        let n = a.count
        func estimate(_ rows: [Int]) -> (first: [Double], total: [Double], variance: Double) {
            var mean = 0.0
            for j in rows { mean += a[j] + b[j] }
            mean /= Double(2 * rows.count)
            var v = 0.0
            for j in rows { v += (a[j] - mean) * (a[j] - mean) + (b[j] - mean) * (b[j] - mean) }
            v /= Double(2 * rows.count - 1)
            var first: [Double] = [], total: [Double] = []
            for yab in ab {
                var s = 0.0, t = 0.0
                for j in rows {
                    s += b[j] * (yab[j] - a[j])
                    t += (a[j] - yab[j]) * (a[j] - yab[j])
                }
                first.append(v > 0 ? s / Double(rows.count) / v : 0)
                total.append(v > 0 ? t / Double(2 * rows.count) / v : 0)
            }
            return (first, total, v)
        }
        let point = estimate(Array(0..<n))
        var rng = SplitMix64(seed)
        var firstDraws = [[Double]](repeating: [], count: ab.count)
        var totalDraws = [[Double]](repeating: [], count: ab.count)
        var rows = [Int](repeating: 0, count: n)
        for _ in 0..<max(bootstrap, 0) {
            for j in 0..<n { rows[j] = Int(rng.next() % UInt64(n)) }
            let e = estimate(rows)
            for i in ab.indices {
                firstDraws[i].append(e.first[i])
                totalDraws[i].append(e.total[i])
            }
        }
        func interval(_ estimate: Double, _ draws: [Double]) -> Index {
            guard !draws.isEmpty else { return Index(estimate: estimate, low: estimate, high: estimate) }
            let sorted = draws.sorted()
            let lo = sorted[Int(((1 - level) / 2) * Double(sorted.count - 1))]
            let hi = sorted[Int(((1 + level) / 2) * Double(sorted.count - 1))]
            return Index(estimate: estimate, low: lo, high: hi)
        }
        firstOrder = ab.indices.map { interval(point.first[$0], firstDraws[$0]) }
        total = ab.indices.map { interval(point.total[$0], totalDraws[$0]) }
        variance = point.variance
        self.level = level
    }
}
