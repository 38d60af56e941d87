import Foundation
import MeekEngine
import MeekModel
import MeekPriors
import MeekSensitivity
import Testing

let priorsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("priors").path

@Suite struct GapModelSensitivityTests {
    static let independent = """
        [inputs]
        alpha = { dist = "lognormal", median = 0.154, sigma = 0.1 }
        A = { dist = "lognormal", median = 1070, sigma = 0.3 }
        L0 = { dist = "uniform", min = 1.6, max = 1.8 }
        g_h = { dist = "lognormal", median = 1.4, sigma = 0.06 }
        g_alg = { dist = "lognormal", median = 2.8, sigma = 0.2 }
        g_i = { dist = "lognormal", median = 3.5, sigma = 0.1 }
        """

    func analysis(_ text: String, base: Int = 1 << 12) throws -> SensitivityAnalysis {
        let prior = try PriorFile.parse(text, path: "t.toml", directory: priorsDirectory)
        var m = Metrics()
        m.gapNats = [0.01]; m.peakFractions = []; m.sprtTokens = []; m.benchmarkSteps = []
        return try SensitivityAnalysis(prior: prior, metrics: MetricSet(m), baseSize: base, bootstrap: 200, rankDraws: 4096, seed: 1)
    }

    @Test func jointTablesAndCopulasAreGroups() throws {
        let a = try analysis(Self.independent.replacingOccurrences(of: "alpha = { dist = \"lognormal\", median = 0.154, sigma = 0.1 }\nA = { dist = \"lognormal\", median = 1070, sigma = 0.3 }\nL0 = { dist = \"uniform\", min = 1.6, max = 1.8 }\n", with: "")
            + "\n[[joint]]\nfile = \"data/besiroglu2024-bootstrap.csv\"\ncolumns = { A = \"K_C\", alpha = \"alpha_C\", L0 = \"E\" }\n[copula]\ninputs = [\"g_h\", \"g_alg\"]\nrank_correlation = [[1, 0.3], [0.3, 1]]\n")
        #expect(a.factors.contains { $0.name.hasPrefix("joint: ") && $0.grouping?.contains("jointly") == true })
        #expect(a.factors.contains { $0.name == "copula: g_h, g_alg" && $0.dimensions.count == 2 })
        #expect(a.notes.contains { $0.contains("Gaussian copula") })
    }

    @Test func peakTimeIgnoresAAndL0Exactly() throws {
        let a = try analysis(Self.independent)
        let peak = try #require(a.results.first { $0.metric.id == "peak_time" })
        let sobol = try #require(peak.sobol)
        for name in ["A", "L0"] {
            let f = try #require(a.factors.firstIndex { $0.name == name })
            #expect(sobol.firstOrder[f].estimate == 0 && sobol.total[f].estimate == 0, "\(name)")
            #expect(peak.tornado.first { $0.factor == name }!.swing == 0)
        }
        // Independent inputs: Σ S_i ≤ 1 and Σ ST_i ≥ 1 (within the estimators' error, 0.05).
        let sumFirst = sobol.firstOrder.reduce(0) { $0 + $1.estimate }
        let sumTotal = sobol.total.reduce(0) { $0 + $1.estimate }
        #expect(sumFirst <= 1.05 && sumTotal >= 0.95, "ΣS = \(sumFirst), ΣST = \(sumTotal)")
        // The peak gap does depend on A (through K = A·Cm^-alpha).
        let gap = try #require(a.results.first { $0.metric.id == "peak_gap" }?.sobol)
        #expect(gap.total[a.factors.firstIndex { $0.name == "A" }!].estimate > 0.05)
        // Heavy-tailed metrics say their transform.
        #expect(a.results.first { $0.metric.id == "converge_gap_0.01nats" }?.transform?.hasPrefix("log(1 + years") == true)
    }

    @Test func baselineGroupsJointAndScenarioFactors() throws {
        let prior = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        var m = Metrics()
        m.gapNats = [0.01]; m.peakFractions = []; m.sprtTokens = []; m.benchmarkSteps = []
        let a = try SensitivityAnalysis(prior: prior, metrics: MetricSet(m), baseSize: 1 << 11, bootstrap: 100, rankDraws: 4096)
        // The mixture is one factor: the scenario choice with the table only Besiroglu draws.
        let mixture = try #require(a.factors.first { $0.name == "scenario mixture (chinchilla / besiroglu)" })
        #expect(mixture.dimensions.count == 2)
        #expect(mixture.grouping?.contains("joint: data/besiroglu2024-bootstrap.csv") == true)
        #expect(a.factors.count == 5)  // g_h, doubling_months, g_c, flop_per_usd, the mixture
        #expect(a.inputs.contains("alpha") && !a.inputs.contains("g_i"))  // derived inputs excluded
    }

    @Test func badSettingsAreRefused() throws {
        #expect(throws: SensitivityAnalysis.Failure.self) { try analysis(Self.independent, base: 1000) }
        let prior = try PriorFile.parse(Self.independent, path: "t.toml", directory: priorsDirectory)
        #expect(throws: SensitivityAnalysis.Failure.self) {
            try SensitivityAnalysis(prior: prior, metrics: MetricSet(Metrics()), baseSize: 1024, bootstrap: 0)
        }
    }
}
