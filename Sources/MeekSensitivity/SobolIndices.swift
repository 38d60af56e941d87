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

    /// Estimates the indices from evaluations on a Saltelli design, with the outputs
    /// centred on the mean μ of f(A) and f(B) pooled (as SALib standardises them):
    /// `S_i = mean((f(B) − μ)·(f(AB_i) − f(A))) / V`, `ST_i = mean((f(A) − f(AB_i))²) / (2V)`,
    /// V the variance of f(A) and f(B) pooled. Intervals: percentile bootstrap over the N
    /// rows (`bootstrap` resamples, at `level`) from a seeded stream, so they are
    /// reproducible. Each row's terms are precomputed into one record, so a resample is one
    /// gather and a few additions per row.
    public init(a: [Double], b: [Double], ab: [[Double]], bootstrap: Int = 1000, level: Double = 0.95, seed: UInt64 = 1) {
        let n = a.count, k = ab.count, width = 2 + 2 * k
        let mu = (a.reduce(0, +) + b.reduce(0, +)) / Double(2 * n)
        // Row record: [(a−μ)+(b−μ), (a−μ)²+(b−μ)², then per factor (b−μ)(ab−a), (a−ab)²].
        var record = [Double](repeating: 0, count: n * width)
        for j in 0..<n {
            let ca = a[j] - mu, cb = b[j] - mu
            record[j * width] = ca + cb
            record[j * width + 1] = ca * ca + cb * cb
            for i in 0..<k {
                record[j * width + 2 + 2 * i] = cb * (ab[i][j] - a[j])
                record[j * width + 3 + 2 * i] = (a[j] - ab[i][j]) * (a[j] - ab[i][j])
            }
        }
        func estimate(_ sums: [Double], rows: Int) -> (first: [Double], total: [Double], variance: Double) {
            let m = Double(rows)
            let v = (sums[1] - sums[0] * sums[0] / (2 * m)) / (2 * m - 1)
            var first: [Double] = [], total: [Double] = []
            for i in 0..<k {
                first.append(v > 0 ? sums[2 + 2 * i] / m / v : 0)
                total.append(v > 0 ? sums[3 + 2 * i] / (2 * m) / v : 0)
            }
            return (first, total, v)
        }
        var sums = [Double](repeating: 0, count: width)
        record.withUnsafeBufferPointer { r in
            for j in 0..<n { for c in 0..<width { sums[c] += r[j * width + c] } }
        }
        let point = estimate(sums, rows: n)
        var rng = SplitMix64(seed)
        var firstDraws = [[Double]](repeating: [], count: k)
        var totalDraws = [[Double]](repeating: [], count: k)
        record.withUnsafeBufferPointer { r in
            var acc = [Double](repeating: 0, count: width)
            for _ in 0..<max(bootstrap, 0) {
                for c in 0..<width { acc[c] = 0 }
                acc.withUnsafeMutableBufferPointer { s in
                    for _ in 0..<n {
                        let row = r.baseAddress! + Int(rng.next() % UInt64(n)) * width
                        for c in 0..<width { s[c] += row[c] }
                    }
                }
                let e = estimate(acc, rows: n)
                for i in 0..<k {
                    firstDraws[i].append(e.first[i])
                    totalDraws[i].append(e.total[i])
                }
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
