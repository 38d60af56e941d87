import Foundation
import MeekModel
import MeekTestSupport
import Testing

/// The convergence solve when the SOTA investment shrinks (g_i < 1, so b < 0): its error
/// estimate must use |alpha·b|, or a short step is accepted before it has converged.
@Suite struct ConvergenceSignTests {
    /// Issue 13's reproducer. Reference: bisection of ΔL(t) − 0.01 in 50-digit arithmetic
    /// (mpmath, mp.dps = 50, the inputs' decimal texts taken as exact): 3.009645490825726941.
    @Test func shrinkingInvestmentReproducer() {
        var p = Parameters()
        p.alpha = 0.03712636408046819; p.A = 6199.475760502253
        p.gH = 1.964769582496956; p.gAlg = 1.530854120687825; p.gI = 0.5843432338629864
        p.flopPerUSD = 1.7652451488396288e17; p.meekBudgetUSD = 33.09438372248749
        p.sotaBudgetUSD = 166.765799836001; p.investStopYears = 8.949751449981704
        let m = GapModel(unchecked: p)
        let t = m.convergence(.nats(0.01), peak: m.trainingPeak).years!
        let reference = 3.009645490825726941
        #expect(abs(t - reference) <= 1e-12 * reference, "\(t)")
    }

    /// Random draws with b < 0 (and a SOTA lead at t = 0) against a slow bisection of the
    /// factored gap: agreement to 1e-12 relative.
    @Test func shrinkingInvestmentAgreesWithBisection() {
        var rng = SeededGenerator(seed: 13_2)
        var checked = 0
        for _ in 0..<2000 {
            var p = Parameters()
            p.alpha = Double.random(in: 0.02...0.4, using: &rng)
            p.A = Double.random(in: 100...8000, using: &rng)
            p.gH = Double.random(in: 1.0...2.5, using: &rng)
            p.gAlg = Double.random(in: 1.0...4, using: &rng)
            p.gI = Double.random(in: 0.2...0.999, using: &rng)
            p.flopPerUSD = exp(Double.random(in: 35...42, using: &rng))
            p.meekBudgetUSD = exp(Double.random(in: 0...8, using: &rng))
            p.sotaBudgetUSD = p.meekBudgetUSD * exp(Double.random(in: 0.1...10, using: &rng))
            p.investStopYears = Bool.random(using: &rng) ? nil : Double.random(in: 0...20, using: &rng)
            let m = GapModel(unchecked: p)
            guard m.b < 0, m.a > 0, case .attained(let tp, let gp) = m.trainingPeak, gp > 0 else { continue }
            let level = gp * exp(-Double.random(in: 0.1...20, using: &rng))
            guard let t = m.convergence(gapAtOrBelow: level, peak: m.trainingPeak).years else {
                Issue.record("no crossing for \(p)"); continue
            }
            // Reference: the first crossing by bisection on [tp, far], 200 halvings.
            var lo = tp, hi = tp + 1
            while m.trainingGap(at: hi) > level { hi = tp + 2 * (hi - tp) }
            for _ in 0..<200 {
                let mid = lo + 0.5 * (hi - lo)
                if mid <= lo || mid >= hi { break }
                if m.trainingGap(at: mid) > level { lo = mid } else { hi = mid }
            }
            #expect(abs(t - hi) <= 1e-12 * max(hi, 1e-3), "\(p): \(t) vs bisection \(hi)")
            checked += 1
        }
        #expect(checked > 500)
    }
}
