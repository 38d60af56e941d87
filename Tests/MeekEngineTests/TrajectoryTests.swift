import CGSL
import Foundation
import MeekModel
@testable import MeekEngine
@testable import MeekPriors
import Testing

@Suite struct TrajectoryTests {
    static let series: [TrajectorySeries] = [.training, .inference, .benchmark(steps: 1), .benchmark(steps: 5), .investment]

    /// With every input fixed, every quantile at every time is the model's own trajectory.
    @Test func paperPriorsGiveTheModelsTrajectoryExactly() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/paper.toml")
        let grid = TrajectoryRequest.grid(horizon: 40, step: 0.5)
        let bands = try Engine.trajectories(RunConfiguration(prior: file), TrajectoryRequest(series: Self.series, times: grid, draws: 1000, threads: 2))
        let model = try GapModel(Parameters())
        for b in bands {
            #expect(b.draws == 1000)
            for (i, t) in grid.enumerated() {
                let exact = b.series.value(model, at: t)
                for k in TrajectoryBands.levels.indices { #expect(b.quantiles[k][i] == exact, "\(b.series) t=\(t)") }
                #expect(b.mcse.allSatisfy { $0[i] == 0 })
            }
        }
        // The reference values of docs/MODEL.md §5 through the bands: ΔL at t = 1, 2, 5.
        let training = bands[0]
        for (t, reference) in [(1.0, 0.12838), (2.0, 0.18952), (5.0, 0.19421)] {
            let i = grid.firstIndex(of: t)!
            #expect(abs(training.quantiles[3][i] - reference) < 5e-6)
        }
    }

    @Test func anyThreadCountGivesIdenticalBands() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        let grid = TrajectoryRequest.grid(horizon: 30, step: 3)
        let runs = try [1, 3].map { threads in
            try Engine.trajectories(RunConfiguration(prior: file, seed: 5), TrajectoryRequest(series: Self.series, times: grid, draws: 3000, threads: threads))
        }
        for (a, b) in zip(runs[0], runs[1]) {
            #expect(a.quantiles == b.quantiles && a.mcse == b.mcse && a.mean == b.mean)
        }
    }

    /// The bands trace the run's own first draws: the run's first draws' inputs give the
    /// same models (checked through the peak time, a metric of the run).
    @Test func bandsComeFromTheRunsFirstDraws() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        let config = RunConfiguration(prior: file, draws: 8192, seed: 9)
        let models = try Engine.drawModels(config, count: 8192)
        let run = try Engine.run(config)
        let peaks = models.compactMap { $0.trainingPeak.time.years }.sorted()
        #expect(peaks.count == 8192)
        let summary = run.summary().metrics.first { $0.id == "peak_time" }!
        let median = summary.quantiles.first { $0.q == 0.5 }!.value.value!
        // The run's median (histogram, 1.2e-4 relative) equals the models' median.
        #expect(abs(median - sortedQuantile(peaks, 0.5)) <= 2e-4 * median)
    }

    /// Investment `C·g_i^t` is monotone in g_i, so its quantiles are the closed form at
    /// g_i's quantiles. g_i = g_c / g_h, both lognormal: ln g_i ~ N(ln(4.4978/1.4),
    /// ln10·sqrt(0.04² + 0.025²)). Checked at t = 10 within 4 reported standard errors.
    @Test func investmentBandsMatchTheClosedForm() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        let bands = try Engine.trajectories(RunConfiguration(prior: file, seed: 3),
                                            TrajectoryRequest(series: [.investment], times: [0, 10], draws: 1 << 16, threads: 2))[0]
        let mu = log(4.4978 / 1.40), sigma = log(10) * (0.04 * 0.04 + 0.025 * 0.025).squareRoot()
        for (k, q) in TrajectoryBands.levels.enumerated() {
            #expect(bands.quantiles[k][0] == 1000)
            let expected = 1000 * exp(10 * (mu + sigma * gsl_cdf_ugaussian_Pinv(q)))
            let se = bands.mcse[k][1]
            #expect(se > 0 && se < 0.05 * expected)
            #expect(abs(bands.quantiles[k][1] - expected) < 4 * se, "q=\(q): \(bands.quantiles[k][1]) vs \(expected) ± \(se)")
        }
    }

    /// The binned distribution in a summary accounts for every finite draw, and its bins
    /// agree with the quantiles.
    @Test func summaryDistributionCountsEveryDraw() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        let run = try Engine.run(RunConfiguration(prior: file, draws: 30_000, seed: 4, threads: 2))
        for m in run.summary().metrics {
            let finite = Double(m.lead - m.never)
            guard finite > 0 else { #expect(m.distribution == nil); continue }
            let d = try #require(m.distribution, "\(m.id)")
            #expect(d.edges.count == d.counts.count + 1)
            #expect(d.counts.allSatisfy { $0 >= 0 })
            #expect(abs(d.counts.reduce(0, +) + d.beyond - finite) < 1e-6 * finite, "\(m.id)")
            // About 0.5% of draws lie beyond the last edge (the 99.5th percentile) at most.
            #expect(d.beyond <= 0.006 * finite + 1)
            // The median sits where the cumulative counts cross half the lead draws.
            if let median = m.quantiles.first(where: { $0.q == 0.5 })?.value.value {
                var cumulative = 0.0
                for (i, c) in d.counts.enumerated() {
                    if d.edges[i + 1] <= median { cumulative += c }
                }
                #expect(cumulative <= 0.5 * Double(m.lead) + 1, "\(m.id)")
                #expect(cumulative + (d.counts.enumerated().first { d.edges[$0.offset + 1] > median }?.element ?? 0) >= 0.5 * Double(m.lead) - 1, "\(m.id)")
            }
        }
    }

    @Test func refusesBadRequests() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        let config = RunConfiguration(prior: file)
        #expect(throws: EngineError.self) { try Engine.trajectories(config, TrajectoryRequest(series: [.training], times: [0, 1], draws: 1, threads: 1)) }
        #expect(throws: EngineError.self) { try Engine.trajectories(config, TrajectoryRequest(series: [.training], times: [1, 0], draws: 100, threads: 1)) }
        #expect(throws: EngineError.self) { try Engine.trajectories(config, TrajectoryRequest(series: [.training], times: [0, 1], draws: (1 << 20) + 1, threads: 1)) }
    }

    @Test func seriesIdsRoundTrip() {
        for s in Self.series + [.benchmark(steps: 2)] { #expect(TrajectorySeries(id: s.id) == s) }
        #expect(TrajectorySeries(id: "benchmark_gap_p0") == nil)
        #expect(TrajectorySeries(id: "nonsense") == nil)
    }
}
