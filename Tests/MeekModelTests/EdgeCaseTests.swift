import Foundation
import MeekModel
import Testing

/// docs/MODEL.md §4's edge cases: each gives a typed, finite, documented result — never NaN,
/// never a hang.
@Suite struct EdgeCaseTests {
    // MARK: No shared progress (g_h·g_alg ≤ 1)

    @Test func noSharedProgressNeverPeaksAndNeverConverges() {
        // a = 0 exactly: the gap rises towards K = A·Cm^-alpha and never reaches it.
        let flat = paper { $0.gH = 1; $0.gAlg = 1 }
        #expect(flat.a == 0)
        #expect(flat.trainingPeak == .neverPeaks(supremum: flat.K))
        #expect(flat.trainingGap(at: 10) < flat.K)
        // a < 0: the gap grows without bound.
        let shrinking = paper { $0.gH = 0.9; $0.gAlg = 1.05 }
        #expect(shrinking.a < 0)
        #expect(shrinking.trainingPeak == .neverPeaks(supremum: .infinity))
        for model in [flat, shrinking] {
            let outcome = model.evaluate()
            #expect(outcome.peakYear == nil)
            #expect(outcome.convergence.allSatisfy { $0.moment == .never })
            #expect(outcome.benchmark.allSatisfy { $0.convergence.allSatisfy { $0.moment == .never } })
        }
    }

    @Test func shrinkingEverythingWithAHeadStartPeaksAndCloses() {
        // a < 0 and b < 0 with a large initial SOTA lead: an interior maximum at the
        // stationary point, and the gap closes where the lead runs out (t0 = −ln(Cs/Cm)/b).
        let m = paper { $0.gH = 0.9; $0.gAlg = 1.0; $0.gI = 0.5; $0.sotaBudgetUSD = 1e9 }
        let tp = m.trainingPeak.attainedTime!
        #expect(tp == m.stationaryPeakTime!)
        #expect(tp > 0)
        let zero = -m.logInitialLead / m.b
        let closes = m.convergence(gapAtOrBelow: 1e-6, peak: m.trainingPeak).years!
        #expect(closes > tp && closes <= zero)
        #expect(m.trainingGap(at: closes) <= 1e-6)
    }

    // MARK: No investment growth (g_i ≤ 1)

    @Test func noInvestmentGrowthWithAHeadStartPeaksAtZero() {
        for gI in [1.0, 0.8] {
            let m = paper { $0.gI = gI; $0.sotaBudgetUSD = 2000 }
            let peak = m.trainingPeak
            #expect(peak.attainedTime == 0)
            // ΔL(0) = K·(1 − 2^-alpha)
            #expect(abs(peak.attainedGap! - m.K * (1 - pow(2, -0.154))) < 1e-15)
            #expect(m.convergence(gapAtOrBelow: 0.01, peak: peak).years! > 0)
        }
    }

    @Test func noInvestmentGrowthAndEqualBudgetsIsNoLead() {
        for gI in [1.0, 0.8] {
            let m = paper { $0.gI = gI }
            #expect(!m.sotaEverLeads)
            #expect(m.trainingPeak == .noLead)
            let outcome = m.evaluate()
            #expect(outcome.convergence.allSatisfy { $0.moment == .noLead })
            #expect(outcome.benchmark.allSatisfy { $0.curve.peak == .noLead })
            #expect(m.sprtTokens(at: 3) == .infinity)  // never distinguishable
            #expect(m.trainingGap(at: 3) <= 0)
        }
    }

    @Test func sotaStartingBehindCatchesUpThenPeaks() {
        // Cs < Cm with growing investment: the SOTA model overtakes, then the usual peak.
        let m = paper { $0.sotaBudgetUSD = 100 }
        let tp = m.trainingPeak.attainedTime!
        #expect(m.trainingGap(at: 0) < 0)
        #expect(tp > paper().trainingPeak.attainedTime!)
        #expect(abs(tp - m.stationaryPeakTime!) == 0)
    }

    @Test func sotaBehindAndInvestmentStopsTooEarlyIsNoLead() {
        // Behind by ln 10 and catching up at b = 1.27/year: it needs 1.81 years.
        let m = paper { $0.sotaBudgetUSD = 100; $0.investStopYears = 1 }
        #expect(m.trainingPeak == .noLead)
        let later = paper { $0.sotaBudgetUSD = 100; $0.investStopYears = 2 }
        #expect(later.trainingPeak.attainedTime == 2)
    }

    // MARK: Investment stop T

    @Test func stopBeforeThePeakMovesThePeakToTheStop() {
        let m = paper { $0.investStopYears = 2 }
        #expect(m.trainingPeak.attainedTime == 2)
        #expect(agrees(m.trainingPeak.attainedGap!, 0.18952))
        // After the stop the gap is a pure exponential: the crossing has a closed form.
        let g = 0.01
        let closedForm = 2 + log(m.trainingGap(at: 2) / g) / m.c
        let t = m.convergence(gapAtOrBelow: g, peak: m.trainingPeak).years!
        #expect(abs(t - closedForm) < 1e-12 * closedForm)
    }

    /// A crossing before the stop, solved from a bracket that starts after it: a step from
    /// the linear piece after the stop must not be taken as converged when it leads back
    /// across the stop (paper-variants/stall-10y, 50% of the peak: 9.278 years).
    @Test func crossingBeforeTheStopFromTheLinearPieceAfterIt() {
        for stop in [9.5, 10, 12] {
            let m = paper { $0.investStopYears = stop }
            let peak = m.trainingPeak
            for g in [0.5 * peak.attainedGap!, 0.3 * peak.attainedGap!] {
                let t = m.convergence(gapAtOrBelow: g, peak: peak).years!
                #expect(abs(m.trainingGap(at: t) / g - 1) < 1e-13, "stop \(stop), level \(g): t = \(t)")
                #expect(m.trainingGap(at: t * (1 - 1e-9)) > g)
            }
        }
    }

    @Test func stopAfterThePeakLeavesThePeakAlone() {
        let m = paper { $0.investStopYears = 5 }
        let free = paper()
        #expect(m.trainingPeak == free.trainingPeak)
        // Before the stop the gap is the same; after it, it shrinks faster than without it.
        #expect(m.trainingGap(at: 4.5) == free.trainingGap(at: 4.5))
        #expect(m.trainingGap(at: 8) < free.trainingGap(at: 8))
        let g = 0.01
        let closedForm = 5 + log(m.trainingGap(at: 5) / g) / m.c
        let t = m.convergence(gapAtOrBelow: g, peak: m.trainingPeak).years!
        #expect(abs(t - closedForm) < 1e-12 * closedForm)
        #expect(t < free.convergence(gapAtOrBelow: g, peak: free.trainingPeak).years!)
    }

    @Test func stopAtZeroWithEqualBudgetsIsNoLead() {
        #expect(paper { $0.investStopYears = 0 }.trainingPeak == .noLead)
    }

    // MARK: Thresholds

    @Test func thresholdAbovePeakGapConvergesAtThePeak() {
        let m = paper()
        let peak = m.trainingPeak
        #expect(m.convergence(gapAtOrBelow: 0.5, peak: peak) == .at(peak.attainedTime!))
        #expect(m.convergence(gapAtOrBelow: peak.attainedGap!, peak: peak) == .at(peak.attainedTime!))
        #expect(m.convergence(.sprtTokens(1), peak: peak) == .at(peak.attainedTime!))
    }

    @Test func convergenceIsTheFirstCrossing() {
        let m = paper()
        let peak = m.trainingPeak
        for g in [0.2, 0.1, 0.05, 0.01, 1e-3, 1e-6, 1e-9] {
            let t = m.convergence(gapAtOrBelow: g, peak: peak).years!
            // The crossing is exact up to the rounding of ΔL itself (stated: 1e-13 relative).
            #expect(m.trainingGap(at: t) <= g * (1 + 1e-13))
            #expect(m.trainingGap(at: t * (1 - 1e-9)) > g)
            #expect(abs(m.trainingGap(at: t) / g - 1) < 1e-13)
        }
    }

    // MARK: Very small gaps

    #if arch(x86_64)
    /// ΔL far below 1e-12 nats keeps full relative precision: compare with the factored
    /// form evaluated independently in 80-bit arithmetic.
    @Test(arguments: [200.0, 300.0, 1000.0, 3000.0])
    func tinyGapsLateKeepPrecision(t: Double) {
        let m = paper()
        let alpha: Float80 = 0.154
        let a: Float80 = logl(1.4) + logl(2.8)
        let b: Float80 = logl(5.0) - logl(1.4)
        let K: Float80 = 1070 * expl(-alpha * logl(1e20))
        let t80 = Float80(t)
        let meek: Float80 = expl(-alpha * a * t80)
        let sota: Float80 = expl(-alpha * (a + b) * t80)
        let reference: Float80 = K * (meek - sota)
        let gap = m.trainingGap(at: t)
        #expect(gap < 1e-12)
        #expect(abs(Float80(gap) / reference - 1) < 1e-12)
        // The naive difference of losses has no significant digits left here.
        #expect(m.meekLoss(at: t) - m.sotaLoss(at: t) != gap || gap == 0)
    }
    #endif

    @Test func tinyGapsNearTheStartKeepPrecision() {
        // Equal budgets: ΔL(t) = K·(e^(−ct) − e^(−dt)) ≈ K·alpha·b·t for small t.
        let m = paper()
        for t in [1e-16, 1e-14, 1e-13] {
            let series = m.K * (m.alpha * m.b * t) * (1 - (2 * m.c + m.alpha * m.b) * t / 2)
            #expect(m.trainingGap(at: t) < 1e-12)
            #expect(abs(m.trainingGap(at: t) / series - 1) < 1e-12)
        }
    }

    @Test func convergenceToTinyGaps() {
        let m = paper()
        let peak = m.trainingPeak
        for g in [1e-13, 1e-20, 1e-100, 1e-300] {
            let t = m.convergence(gapAtOrBelow: g, peak: peak).years!
            #expect(t.isFinite)
            #expect(abs(m.logTrainingGap(at: t) - log(g)) < 1e-10)
        }
    }

    // MARK: Extreme but valid inputs

    static let extremes: [(alpha: Double, growth: Double)] = [0.01, 0.9].flatMap { alpha in
        [1.0001, 100].map { (alpha, $0) }
    }

    @Test(arguments: extremes)
    func extremeInputsGiveFiniteDocumentedResults(alpha: Double, growth: Double) {
        for (gH, gAlg, gI) in [(growth, growth, growth), (growth, 1.4, 2.8), (1.4, 2.8, growth)] {
            let m = paper { $0.alpha = alpha; $0.gH = gH; $0.gAlg = gAlg; $0.gI = gI }
            let outcome = m.evaluate()
            guard case .attained(let tp, let gp) = outcome.peak else {
                Issue.record("growth > 1 everywhere must give a peak: \(outcome.peak)")
                continue
            }
            #expect(tp.isFinite && tp >= 0 && gp.isFinite && gp > 0)
            var previous = tp
            for (threshold, moment) in outcome.convergence {
                guard let t = moment.years else {
                    Issue.record("a > 0 must converge: \(threshold) → \(moment)")
                    continue
                }
                #expect(t.isFinite && t >= tp)
                if case .nats = threshold { #expect(t >= previous); previous = t }
                // Up to the rounding of ΔL itself: 1e-12 relative at these extremes.
                #expect(m.trainingGap(at: t) <= m.gapLevel(threshold, peak: outcome.peak)! * (1 + 1e-12))
            }
            #expect(outcome.inferenceGapAtPeak!.isFinite)
            #expect(outcome.sprtTokensAtPeak!.isFinite)
            for (curve, convergence) in outcome.benchmark {
                #expect(curve.peak.gap.map { $0.isFinite && $0 >= 0 } ?? false)
                for (_, moment) in convergence {
                    #expect(moment.years.map(\.isFinite) ?? (moment == .never))
                }
            }
        }
    }
}
