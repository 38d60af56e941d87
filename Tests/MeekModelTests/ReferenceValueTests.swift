import Foundation
import MeekModel
import Testing

/// docs/MODEL.md §5's reference table (point inputs: alpha 0.154, A 1070, g_h 1.4, g_alg 2.8,
/// g_i 5/1.4, flop_per_usd 1e17, both budgets $1000, no stop), to 4 significant figures,
/// through the public API.
@Suite struct ReferenceValueTests {
    let model = paper()

    @Test func growthRates() {
        #expect(agrees(model.a, 1.36609, digits: 6))
        #expect(agrees(model.b, 1.27297, digits: 6))
    }

    @Test func peakTimeAndGap() {
        let peak = model.trainingPeak
        #expect(agrees(peak.attainedTime!, 3.3589))
        #expect(agrees(peak.attainedGap!, 0.21177))
        // The paper's own formula, written out independently.
        let p = model.parameters
        let paperFormula = log(log(p.gH * p.gAlg * p.gI) / log(p.gH * p.gAlg)) / (p.alpha * log(p.gI))
        #expect(abs(peak.attainedTime! - paperFormula) < 1e-12)
    }

    @Test(arguments: [(1.0, 0.12838), (2.0, 0.18952), (5.0, 0.19421)])
    func gapAt(t: Double, reference: Double) {
        #expect(agrees(model.trainingGap(at: t), reference))
        // And as the difference of the two losses, where there is no cancellation to fear.
        #expect(abs(model.meekLoss(at: t) - model.sotaLoss(at: t) - model.trainingGap(at: t)) < 1e-13)
    }

    @Test(arguments: [(0.05, 13.32), (0.01, 21.26), (0.001, 32.27)])
    func convergenceAfterPeak(gap: Double, reference: Double) {
        let moment = model.convergence(gapAtOrBelow: gap, peak: model.trainingPeak)
        #expect(agrees(moment.years!, reference))
    }

    @Test func kaplanExponent() {
        #expect(agrees(paper { $0.alpha = 0.057 }.trainingPeak.attainedTime!, 9.07, digits: 3))
        #expect(agrees(paper { $0.alpha = 0.057 }.trainingPeak.attainedTime!, 9.0749, digits: 5))
    }

    @Test func sprt() {
        #expect(agrees(model.sprtNumerator, 2.65000, digits: 6))
        #expect(agrees(model.sprtTokens(at: model.trainingPeak.attainedTime!), 12.51))
    }

    @Test func inferenceParity() {
        #expect(agrees(model.inferenceParity.years!, 4.10, digits: 3))
        // The closed form by hand: (ln Cs − 2 ln Cinf) / (2 ln(g_h g_inf) + ln g_alg − ln(g_h g_alg g_i)).
        let lead: Double = log(1e20) - 2 * log(1e9)
        let rates: Double = 2 * log(1.4 * 2.8) + log(2.8) - log(1.4 * 2.8 * 5 / 1.4)
        let byHand = lead / rates
        #expect(abs(model.inferenceParity.years! - byHand) < 1e-12)
    }

    @Test(arguments: [(25_000.0, 0.12900), (50_000.0, 0.11594)])
    func gpt2Budgets(budget: Double, reference: Double) {
        let m = paper { $0.meekBudgetUSD = budget; $0.sotaBudgetUSD = budget }
        #expect(agrees(m.trainingPeak.attainedGap!, reference))
        #expect(m.trainingPeak.attainedTime! == model.trainingPeak.attainedTime!)
    }

    @Test func evaluateReportsTheSameNumbers() {
        let outcome = model.evaluate()
        #expect(agrees(outcome.peakYear!, 2019 + 3.3589, digits: 6))
        let years = outcome.convergence.prefix(3).map { $0.moment.years! }
        #expect(zip(years, [13.32, 21.26, 32.27]).allSatisfy { agrees($0, $1) })
        #expect(agrees(outcome.sprtTokensAtPeak!, 12.51))
    }
}
