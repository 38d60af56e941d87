/// Rank-based sensitivity measures from plain Monte Carlo draws: Spearman's rank
/// correlation and the partial rank correlation coefficient (PRCC), which removes the
/// linear effect (in ranks) of the other inputs. Both need no transform for heavy tails.
public enum RankCorrelation {
    /// Ranks 0…n−1 (ties get their average rank).
    public static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, x[order[j + 1]] == x[order[i]] { j += 1 }
            let average = Double(i + j) / 2
            for k in i...j { r[order[k]] = average }
            i = j + 1
        }
        return r
    }

    /// Pearson correlation of two equally long series (0 when either is constant).
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            sab += (x - ma) * (y - mb)
            saa += (x - ma) * (x - ma)
            sbb += (y - mb) * (y - mb)
        }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }

    /// Spearman's rank correlation.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double { pearson(ranks(x), ranks(y)) }

    /// PRCC of each input with the output: the correlation of the residuals of rank(x_i)
    /// and rank(y) after least-squares regression (with intercept) on the ranks of the
    /// other inputs.
    public static func prcc(inputs: [[Double]], output: [Double]) -> [Double] {
        let rx = inputs.map(ranks), ry = ranks(output)
        return rx.indices.map { i in
            let others = rx.indices.filter { $0 != i }.map { rx[$0] }
            return pearson(residuals(rx[i], on: others), residuals(ry, on: others))
        }
    }

    /// y minus its least-squares fit on the columns (plus an intercept).
    static func residuals(_ y: [Double], on columns: [[Double]]) -> [Double] {
        let n = y.count, k = columns.count + 1
        func column(_ c: Int, _ j: Int) -> Double { c == 0 ? 1 : columns[c - 1][j] }
        // Normal equations XᵀX β = Xᵀy, solved by Cholesky (k is small).
        var xtx = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        var xty = [Double](repeating: 0, count: k)
        for j in 0..<n {
            for a in 0..<k {
                let xa = column(a, j)
                xty[a] += xa * y[j]
                for b in 0...a { xtx[a][b] += xa * column(b, j) }
            }
        }
        var l = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for a in 0..<k {
            for b in 0...a {
                var s = xtx[a][b]
                for c in 0..<b { s -= l[a][c] * l[b][c] }
                if a == b {
                    guard s > 1e-12 * max(xtx[a][a], 1) else { return y.map { _ in 0 } }  // collinear
                    l[a][a] = s.squareRoot()
                } else {
                    l[a][b] = s / l[b][b]
                }
            }
        }
        var z = [Double](repeating: 0, count: k)
        for a in 0..<k {
            var s = xty[a]
            for c in 0..<a { s -= l[a][c] * z[c] }
            z[a] = s / l[a][a]
        }
        var beta = [Double](repeating: 0, count: k)
        for a in (0..<k).reversed() {
            var s = z[a]
            for c in (a + 1)..<k { s -= l[c][a] * beta[c] }
            beta[a] = s / l[a][a]
        }
        return (0..<n).map { j in y[j] - (0..<k).reduce(0) { $0 + beta[$1] * column($1, j) } }
    }
}
