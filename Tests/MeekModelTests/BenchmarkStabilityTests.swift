import Foundation
import MeekModel
import Testing

/// The benchmark gap when one model leads by hundreds of nats: the product form
/// σ(Ls)·(1 − σ(Lm))·(−expm1(k·ΔL)) was 0·∞ = NaN there (−∞ as a peak, stuck at t = 0).
@Suite struct BenchmarkStabilityTests {
    /// The paper's inputs with a SOTA budget of 1e-17 $ (1 FLOP): the meek model leads by
    /// 1069 nats at t = 0. References: 100·(Perf(Ls) − Perf(Lm)) in 60-digit arithmetic
    /// (mpmath, mp.dps = 60, the inputs' decimal texts taken as exact).
    @Test func extremeMeekLeadMatchesHighPrecision() {
        let m = paper { $0.sotaBudgetUSD = 1e-17 }
        let references: [(t: Double, p: [Double])] = [
            (0, [-0.000024301982849805782261, -0.000012345413193565041711, -5.0576341612266151295e-7]),
            (5, [-16.340290640509229899, -10.970918627541824176, -1.1612793444554604777]),
            (20, [-40.521105017268464444, -49.189558082629138546, -33.693909641788276849]),
        ]
        for (t, expected) in references {
            for (steps, reference) in zip([1, 2, 5], expected) {
                let g = m.benchmarkGap(at: t, steps: steps)
                #expect(abs(g - reference) <= 1e-10 * abs(reference), "t = \(t), p = \(steps): \(g) vs \(reference)")
            }
        }
    }

    /// The curve is finite everywhere and its peak is the real one (near the training
    /// peak, 39.5 years), not t = 0.
    @Test func extremeMeekLeadPeaksWhereTheGapDoes() {
        let m = paper { $0.sotaBudgetUSD = 1e-17 }
        for steps in [1, 2, 5] {
            let curve = BenchmarkCurve(model: m, steps: steps)
            guard case .attained(let t, let g) = curve.peak else { Issue.record("p = \(steps): \(curve.peak)"); continue }
            #expect(t > 39 && t < 40, "p = \(steps): peak at \(t)")
            #expect(g.isFinite && g > 0, "p = \(steps): peak gap \(g)")
        }
    }

    /// Finite and within ±100 points for budgets 60 orders of magnitude apart.
    @Test func extremeGapsStayFinite() {
        for sota in [1e-30, 1e-17, 1e-3, 1e3, 1e12, 1e30] {
            for meek in [1e-30, 1e-3, 1e3, 1e30] {
                let m = paper { $0.sotaBudgetUSD = sota; $0.meekBudgetUSD = meek }
                for t in [0.0, 1, 10, 100, 1000] {
                    for steps in [1, 2, 5] {
                        let g = m.benchmarkGap(at: t, steps: steps)
                        #expect(g.isFinite && abs(g) <= 100, "sota \(sota), meek \(meek), t \(t), p \(steps): \(g)")
                    }
                }
            }
        }
    }
}
