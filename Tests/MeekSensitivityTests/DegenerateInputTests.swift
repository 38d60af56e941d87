import Foundation
import MeekEngine
import MeekModel
import MeekPriors
import MeekSensitivity
import Testing

/// Degenerate inputs give an error or a defined result in the sensitivity code, never a
/// trap: a joint table without rows (which the prior layer refuses, so the table is
/// emptied after parsing here), a constant output, an output that is always "never".
@Suite struct DegenerateInputTests {
    func metrics() -> MetricSet {
        var m = Metrics()
        m.gapNats = [0.01]; m.peakFractions = []; m.sprtTokens = []; m.benchmarkSteps = []
        return MetricSet(m)
    }

    @Test func jointTableWithoutRowsIsAnErrorOfTheDraw() throws {
        var prior = try PriorFile.parse("""
            [inputs]
            g_i = { dist = "lognormal", median = 3.5, sigma = 0.1 }
            [[joint]]
            file = "data/besiroglu2024-bootstrap.csv"
            columns = { A = "K_C", alpha = "alpha_C", L0 = "E" }
            """, path: "t.toml", directory: priorsDirectory)
        for key in prior.scenarios[0].tables[0].columns.keys { prior.scenarios[0].tables[0].columns[key] = [] }
        prior.scenarios[0].tables[0].rowCount = 0
        do {
            _ = try SensitivityAnalysis(prior: prior, metrics: metrics(), baseSize: 64, bootstrap: 10, rankDraws: 64, seed: 1)
            Issue.record("an empty joint table was accepted")
        } catch {
            guard case .engine(.invalidDraw(let e)) = error else { Issue.record("\(error)"); return }
            #expect(["A", "alpha", "L0"].contains(e.input) && e.value.isNaN)
        }
        // The engine likewise.
        do {
            _ = try Engine.run(RunConfiguration(prior: prior, draws: 1000, seed: 1))
            Issue.record("an empty joint table was accepted by the engine")
        } catch {
            guard case .invalidDraw(let e) = error else { Issue.record("\(error)"); return }
            #expect(["A", "alpha", "L0"].contains(e.input) && e.value.isNaN && e.draw == 0)
        }
    }

    /// No investment growth and equal budgets: no draw has a lead; with g_i > 1 fixed and
    /// one uncertain input that does not move the metric, the output is constant.
    @Test func constantAndAlwaysNeverOutputsGiveDefinedIndices() throws {
        let prior = try PriorFile.parse("""
            [inputs]
            inference_usd_per_token = { dist = "lognormal", median = 1e-8, sigma = 0.5 }
            g_h = 1
            g_alg = 1
            """, path: "t.toml", directory: priorsDirectory)
        let a = try SensitivityAnalysis(prior: prior, metrics: metrics(), baseSize: 64, bootstrap: 10, rankDraws: 64, seed: 1)
        for r in a.results {
            for i in (r.sobol?.firstOrder ?? []) + (r.sobol?.total ?? []) {
                #expect(i.estimate.isFinite && i.low.isFinite && i.high.isFinite, "\(r.metric.id): \(i)")
            }
            #expect(r.spearman.allSatisfy(\.isFinite) && r.prcc.allSatisfy(\.isFinite), "\(r.metric.id)")
        }
    }
}
