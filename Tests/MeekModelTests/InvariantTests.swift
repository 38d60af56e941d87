import Foundation
import MeekModel
import Testing

/// Properties that hold for every valid input, checked on several parameter sets.
@Suite struct InvariantTests {
    /// Named so that test logs show the name, not the whole model.
    static let models: [String: GapModel] = [
        "paper": paper(),
        "kaplan": paper { $0.alpha = 0.057 },
        "besiroglu": paper { $0.alpha = 0.1783; $0.A = 2708.5; $0.L0 = 1.8172 },
        "fast investment": paper { $0.gI = 10 },
        "stop at 2": paper { $0.investStopYears = 2 },
        "stop at 5": paper { $0.investStopYears = 5 },
        "head start": paper { $0.sotaBudgetUSD = 1e6 },
        "behind": paper { $0.sotaBudgetUSD = 10 },
    ]
    static let variants = models.keys.sorted()

    @Test func peakTimeDoesNotDependOnAL0OrEqualBudgets() {
        let reference = paper().trainingPeak.attainedTime!
        for change in [
            { (p: inout Parameters) in p.A = 10 }, { $0.A = 1e5 }, { $0.L0 = 0 }, { $0.L0 = 3 },
            { $0.meekBudgetUSD = 10; $0.sotaBudgetUSD = 10 },
            { $0.meekBudgetUSD = 1e9; $0.sotaBudgetUSD = 1e9 },
            { $0.flopPerUSD = 1e12 },
        ] {
            #expect(paper(change).trainingPeak.attainedTime! == reference)
        }
        // …but the peak gap does depend on them.
        #expect(paper { $0.A = 10 }.trainingPeak.attainedGap! < paper().trainingPeak.attainedGap!)
    }

    @Test(arguments: variants)
    func peakIsTheMaximumOnAFineGrid(name: String) {
        let model = Self.models[name]!
        guard case .attained(let tp, let gp) = model.trainingPeak else {
            Issue.record("\(name): no peak"); return
        }
        // The peak gap is ΔL(t*)'s closed form: the gap evaluated at the rounded t* agrees
        // to rounding.
        #expect(abs(model.trainingGap(at: tp) - gp) <= 4 * gp.ulp)
        for i in 0...60_000 {
            let t = Double(i) * 0.001
            #expect(model.trainingGap(at: t) <= gp, "\(name): ΔL(\(t)) above the peak")
        }
        // A stationary interior peak is a local maximum to within rounding (the gap is
        // flat there to first order).
        for dt in [1e-4, 1e-3, 1e-2] {
            #expect(model.trainingGap(at: max(tp - dt, 0)) <= gp)
            #expect(model.trainingGap(at: tp + dt) <= gp)
        }
    }

    @Test(arguments: variants)
    func convergenceGrowsAsTheThresholdShrinks(name: String) {
        let model = Self.models[name]!
        let peak = model.trainingPeak
        var previous = peak.attainedTime!
        for g in [0.3, 0.2, 0.15, 0.1, 0.05, 0.02, 0.01, 1e-3, 1e-4, 1e-6, 1e-9, 1e-12, 1e-15] {
            let t = model.convergence(gapAtOrBelow: g, peak: peak).years!
            #expect(t >= previous, "\(name): threshold \(g) converged before a larger one")
            previous = t
        }
    }

    @Test(arguments: variants)
    func gapAfterThePeakNeverRises(name: String) {
        let model = Self.models[name]!
        let tp = model.trainingPeak.attainedTime!
        var previous = model.trainingGap(at: tp)
        for i in 1...20_000 {
            let gap = model.trainingGap(at: tp + Double(i) * 0.005)
            #expect(gap <= previous * (1 + 1e-15), "\(name)")
            previous = gap
        }
    }

    @Test func fractionThresholdsScaleWithThePeak() {
        let m = paper()
        let peak = m.trainingPeak
        #expect(m.convergence(.fractionOfPeak(0.5), peak: peak)
                == m.convergence(gapAtOrBelow: 0.5 * peak.attainedGap!, peak: peak))
        // SPRT tokens N* ↔ gap numerator/N*.
        #expect(m.convergence(.sprtTokens(1000), peak: peak)
                == m.convergence(gapAtOrBelow: m.sprtNumerator / 1000, peak: peak))
        #expect(agrees(m.sprtTokens(at: m.convergence(.sprtTokens(1000), peak: peak).years!), 1000, digits: 12))
    }

    @Test func bayesSlowdownScalesTokens() {
        let slow = paper { $0.bayesSlowdown = 10 }
        #expect(abs(slow.sprtTokens(at: 3) - 10 * paper().sprtTokens(at: 3)) < 1e-12 * slow.sprtTokens(at: 3))
    }
}

@Suite struct InferenceParityTests {
    @Test(arguments: [nil, 1.0, 2.0, 4.0, 6.0] as [Double?])
    func parityHoldsFromThenOn(stop: Double?) {
        let m = paper { $0.investStopYears = stop }
        let t = m.inferenceParity.years!
        // Li ≤ Ls from the parity time on, and not just before it.
        for i in 0...4000 {
            let s = t + Double(i) * 0.01
            #expect(m.inferenceLogCompute(at: s) >= m.sotaLogCompute(at: s) - 1e-12)
            #expect(m.inferenceGap(at: s) <= 1e-15)
        }
        if t > 0 { #expect(m.inferenceGap(at: t * (1 - 1e-6)) > 0) }
    }

    @Test func parityDoesNotDependOnTheLossLaw() {
        let reference = paper().inferenceParity
        #expect(paper { $0.alpha = 0.057; $0.A = 50; $0.L0 = 2 }.inferenceParity == reference)
    }

    @Test func stoppedInvestmentReachesParitySooner() {
        #expect(paper { $0.investStopYears = 2 }.inferenceParity.years! < paper().inferenceParity.years!)
    }

    @Test func slowInferenceProgressNeverReachesParity() {
        // 2·ln(g_h·g_inf) + ln g_alg ≤ ln(g_h·g_alg·g_i) ⇔ g_inf ≤ sqrt(g_i/g_h)/1 … here g_inf = 1.
        let m = paper { $0.gInf = 1 }
        #expect(m.inferenceRate <= m.a + m.b)
        #expect(m.inferenceParity == .never)
        // …unless the investment stops: then the SOTA grows only at a, and parity comes.
        #expect(paper { $0.gInf = 1; $0.investStopYears = 3 }.inferenceParity.years! > 3)
    }

    @Test func bigInferenceBudgetIsAtParityFromTheStart() {
        #expect(paper { $0.inferenceUSDPerToken = 1 }.inferenceParity == .at(0))
    }

    @Test func inferenceGapMatchesTheLossDifference() {
        let m = paper()
        for t in [0.0, 1, 2, 3] {
            let naive = max(m.inferenceLoss(at: t) - m.sotaLoss(at: t), 0)
            #expect(abs(m.inferenceGap(at: t) - naive) < 1e-13)
        }
    }
}

@Suite struct BenchmarkTests {
    let model = paper()

    @Test func scoreFollowsTheSigmoid() {
        // At the midpoint x0 the single-step score is A/2 + b.
        #expect(abs(model.benchmarkScore(loss: 1.9739, steps: 1) - (0.5567 / 2 + 0.2540)) < 1e-15)
        #expect(abs(model.benchmarkScore(loss: 1.9739, steps: 2) - pow(0.5567 / 2 + 0.2540, 2)) < 1e-15)
        // Very high loss: chance level; zero reducible loss: the ceiling (x0 − L0 = 0.27 nats).
        #expect(abs(model.benchmarkScore(loss: 100, steps: 1) - 0.2540) < 1e-15)
        #expect(model.benchmarkScore(loss: 1.7, steps: 1) > 0.80)
    }

    @Test func factoredGapMatchesTheNaiveDifference() {
        for p in [1, 2, 5] {
            for t in [0.5, 2, 4, 8] {
                let naive = 100 * (model.benchmarkScore(loss: model.sotaLoss(at: t), steps: p)
                    - model.benchmarkScore(loss: model.meekLoss(at: t), steps: p))
                #expect(abs(model.benchmarkGap(at: t, steps: p) - naive) < 1e-10)
            }
        }
    }

    @Test(arguments: [1, 2, 5])
    func peakIsTheMaximumAndConvergenceTheFirstCrossing(p: Int) {
        let curve = BenchmarkCurve(model: model, steps: p)
        guard case .attained(let tp, let gp) = curve.peak else { Issue.record("no peak"); return }
        for i in 0...20_000 {
            #expect(model.benchmarkGap(at: Double(i) * 0.002, steps: p) <= gp + 1e-9)
        }
        for points in [20.0, 5, 1, 0.1] {
            let t = curve.convergence(pointsAtOrBelow: points).years!
            #expect(t > tp)
            #expect(model.benchmarkGap(at: t, steps: p) <= points)
            #expect(model.benchmarkGap(at: t - 1e-9, steps: p) > points)
        }
    }

    @Test func moreStepsKeepTheAdvantageLonger() {
        // The paper (§3.1, Fig. 2): the more steps a task needs, the longer the SOTA lab
        // keeps its advantage.
        let years = [1, 2, 5].map { BenchmarkCurve(model: model, steps: $0).convergence(pointsAtOrBelow: 1).years! }
        #expect(years[0] < years[1] && years[1] < years[2])
    }

    @Test func noSharedProgressNeverPeaks() {
        let m = paper { $0.gH = 1; $0.gAlg = 1 }
        let curve = BenchmarkCurve(model: m, steps: 1)
        guard case .neverPeaks(let sup) = curve.peak else { Issue.record("\(curve.peak)"); return }
        // Supremum: the ceiling score at L0 minus the meek model's constant score.
        let expected = 100 * (m.benchmarkScore(loss: 1.7, steps: 1) - m.benchmarkScore(loss: m.meekLoss(at: 0), steps: 1))
        #expect(abs(sup - expected) < 1e-12)
        #expect(curve.convergence(pointsAtOrBelow: 1) == .never)
    }
}

@Suite struct ValidationTests {
    @Test(arguments: [
        (ParameterKey.alpha, 0.0), (.alpha, -0.1), (.A, 0), (.L0, -1), (.gH, -1), (.gH, 0), (.gAlg, 0),
        (.gI, -2), (.flopPerUSD, 0), (.meekBudgetUSD, -5), (.sotaBudgetUSD, 0),
        (.inferenceUSDPerToken, 0), (.gInf, 0), (.sprtError, 0), (.sprtError, 0.5),
        (.bayesSlowdown, 0), (.investStopYears, -1), (.sigmoidB, -0.1),
        (.alpha, .nan), (.A, .infinity), (.startYear, .nan),
    ])
    func invalidInputsNameTheirKey(key: ParameterKey, value: Double) {
        var p = Parameters()
        p[key] = value
        #expect(throws: ParameterError.self) { try GapModel(p) }
        do {
            try p.validate()
        } catch {
            #expect(error.key == key)
            #expect(error.description.hasPrefix(key.rawValue + " must be"))
        }
    }

    @Test func sigmoidMustScoreLowerLossHigher() {
        var p = Parameters()
        p.sigmoidK = 23.77
        #expect(throws: ParameterError.self) { try p.validate() }
        p = Parameters()
        p.sigmoidA = 0.9  // ceiling 1.154 > 1
        #expect(throws: ParameterError.self) { try p.validate() }
    }

    @Test func thePaperValuesAreValid() throws {
        try Parameters().validate()
        #expect(ParameterKey.allCases.count == 19)
        #expect(ParameterKey(rawValue: "g_h") == .gH)
    }
}
