import Foundation
import MeekEngine
import MeekSensitivity
import Testing

@Suite struct RankCorrelationTests {
    /// Uniform columns from a fixed seed.
    func columns(_ k: Int, _ n: Int, seed: UInt64) -> [[Double]] {
        var g = SplitMix64(seed)
        return (0..<k).map { _ in (0..<n).map { _ in Double(g.next() >> 11) / Double(1 << 53) } }
    }

    @Test func spearmanOfMonotoneAndIndependent() {
        let x = columns(2, 20_000, seed: 1)
        #expect(RankCorrelation.spearman(x[0], x[0].map { exp(3 * $0) }) == 1)
        #expect(abs(RankCorrelation.spearman(x[0], x[0].map { -$0 * $0 }) + 1) < 1e-12)
        // Independent: |ρ| below 4 standard errors (1/√(n−1)).
        #expect(abs(RankCorrelation.spearman(x[0], x[1])) < 4 / (20_000.0).squareRoot())
        #expect(RankCorrelation.ranks([3, 1, 2, 1]) == [3, 0.5, 2, 0.5])
    }

    /// PRCC: an input the output does not depend on gets ≈ 0; inputs of an additive
    /// monotone model get |PRCC| near 1, ordered by their effect.
    @Test func prccSeparatesRelevantFromIrrelevantInputs() {
        let n = 20_000
        let x = columns(3, n, seed: 2)
        let y = (0..<n).map { j in 3 * x[0][j] + exp(x[1][j]) }  // x[2] irrelevant
        let p = RankCorrelation.prcc(inputs: x, output: y)
        #expect(p[0] > 0.9 && p[1] > 0.5 && p[0] > p[1])
        #expect(abs(p[2]) < 4 / Double(n).squareRoot())
        // Spearman alone ranks them the same way.
        #expect(RankCorrelation.spearman(x[0], y) > RankCorrelation.spearman(x[1], y))
    }
}
