import CGSL
import Dispatch
import Foundation
import MeekModel
import MeekPriors
import Synchronization

/// A quantity traced over time for the fan charts.
public enum TrajectorySeries: Sendable, Hashable, CustomStringConvertible {
    /// Training gap ΔL(t) = Lm(t) − Ls(t), nats/token (the paper's Fig. 1).
    case training
    /// Inference gap ΔLinf(t) (eq. 21, the paper's Fig. 6), nats/token.
    case inference
    /// Benchmark gap ΔB(t) on a p-step task, percentage points (Fig. 2).
    case benchmark(steps: Int)
    /// The SOTA lab's training budget `C_sota·g_i^min(t, T)`, US dollars (Fig. 9a).
    case investment

    public var id: String {
        switch self {
        case .training: "training_gap"
        case .inference: "inference_gap"
        case .benchmark(let p): "benchmark_gap_p\(p)"
        case .investment: "sota_investment"
        }
    }

    public var label: String {
        switch self {
        case .training: "Training loss gap ΔL"
        case .inference: "Inference loss gap ΔL_inf"
        case .benchmark(let p): p == 1 ? "MMLU gap" : "MMLU gap, \(p)-step task"
        case .investment: "SOTA training budget"
        }
    }

    public var unit: String {
        switch self {
        case .training, .inference: "nats/token"
        case .benchmark: "percentage points"
        case .investment: "USD"
        }
    }

    public var description: String { id }

    /// The value of one draw's trajectory at time t (years after the start year).
    @inlinable public func value(_ model: GapModel, at t: Double) -> Double {
        switch self {
        case .training: model.trainingGap(at: t)
        case .inference: model.inferenceGap(at: t)
        case .benchmark(let p): model.benchmarkGap(at: t, steps: p)
        case .investment: model.parameters.sotaBudgetUSD * Foundation.pow(model.parameters.gI, min(t, model.parameters.investStopYears ?? .infinity))
        }
    }

    public init?(id: String) {
        switch id {
        case "training_gap": self = .training
        case "inference_gap": self = .inference
        case "sota_investment": self = .investment
        default:
            guard id.hasPrefix("benchmark_gap_p"), let p = Int(id.dropFirst("benchmark_gap_p".count)), p >= 1 else { return nil }
            self = .benchmark(steps: p)
        }
    }
}

/// Pointwise quantile bands of trajectories on a time grid.
///
/// Method: the first `draws` draws of the run (the same draws, by block, as the run's
/// first `draws`) are evaluated at every grid time; at each time the values are sorted and
/// the quantiles read off exactly (type 7, as R and NumPy's default). Nothing is binned, so
/// the only error is Monte Carlo error, reported per quantile as the standard error of the
/// order statistic (binomial interval, as for the run's tables). Memory is bounded by the
/// draws (their models, ≈ 0.3 KB each) plus one column of `draws` doubles per worker.
public struct TrajectoryBands: Sendable {
    public static let levels: [Double] = [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975]

    public let series: TrajectorySeries
    /// Years after the start year.
    public let times: [Double]
    /// `quantiles[level][time]` for `levels`.
    public let quantiles: [[Double]]
    /// `mcse[level][time]`: Monte Carlo standard error of each quantile.
    public let mcse: [[Double]]
    /// Mean over draws at each time.
    public let mean: [Double]
    public let draws: Int

    /// The largest standard error of any plotted quantile, over the grid.
    public var largestMCSE: Double { mcse.joined().max() ?? 0 }
}

/// Settings of a trajectory computation.
public struct TrajectoryRequest: Sendable {
    public var series: [TrajectorySeries]
    /// Grid in years after the start year, increasing.
    public var times: [Double]
    /// Draws to trace (the run's first `draws`).
    public var draws: Int
    public var threads: Int

    public static let maximumDraws = 1 << 20

    public init(series: [TrajectorySeries], times: [Double], draws: Int, threads: Int) {
        self.series = series
        self.times = times
        self.draws = draws
        self.threads = max(1, threads)
    }

    /// `0, step, 2·step, … ≤ horizon`.
    public static func grid(horizon: Double, step: Double) -> [Double] {
        let n = Int((horizon / step).rounded(.down))
        return (0...max(n, 0)).map { Double($0) * step }
    }
}

extension Engine {
    /// Quantile bands of each requested series: the run's first `request.draws` draws
    /// (seed, sampler and block streams of `config`), traced on `request.times`.
    /// Identical for any thread count.
    public static func trajectories(_ config: RunConfiguration, _ request: TrajectoryRequest) throws(EngineError) -> [TrajectoryBands] {
        meek_gsl_disable_abort()
        guard request.draws >= 2 else { throw .configuration("trajectory draws must be at least 2 (got \(request.draws))") }
        guard request.draws <= TrajectoryRequest.maximumDraws else {
            throw .configuration("trajectory draws must be at most \(TrajectoryRequest.maximumDraws) (got \(request.draws))")
        }
        guard !request.times.isEmpty, zip(request.times, request.times.dropFirst()).allSatisfy({ $0 < $1 }),
              request.times.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw .configuration("the trajectory grid must be increasing, finite times ≥ 0")
        }
        let models = try drawModels(config, count: request.draws)
        let n = models.count
        let jobs = request.series.flatMap { s in request.times.indices.map { (s, $0) } }
        let levels = TrajectoryBands.levels
        // One result row per job: quantiles, then standard errors, then the mean.
        let width = 2 * levels.count + 1
        let out = UnsafeMutablePointer<Double>.allocate(capacity: jobs.count * width)
        defer { out.deallocate() }
        nonisolated(unsafe) let shared = out
        let next = Atomic<Int>(0)
        models.withUnsafeBufferPointer { buffer in
            nonisolated(unsafe) let models = buffer
            DispatchQueue.concurrentPerform(iterations: min(request.threads, jobs.count)) { _ in
                var column = [Double](repeating: 0, count: n)
                while true {
                    let j = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if j >= jobs.count { break }
                    let (series, ti) = jobs[j]
                    let t = request.times[ti]
                    var sum = 0.0
                    for i in 0..<n {
                        let v = series.value(models[i], at: t)
                        column[i] = v
                        sum += v
                    }
                    column.sort()
                    let row = shared + j * width
                    for (k, q) in levels.enumerated() {
                        row[k] = sortedQuantile(column, q)
                        let delta = 1.959964 * (q * (1 - q) / Double(n)).squareRoot()
                        let lo = sortedQuantile(column, max(q - delta, 0)), hi = sortedQuantile(column, min(q + delta, 1))
                        row[levels.count + k] = (hi - lo) / (2 * 1.959964)
                    }
                    row[2 * levels.count] = sum / Double(n)
                }
            }
        }
        return request.series.enumerated().map { s, series in
            let base = s * request.times.count
            func take(_ k: Int) -> [Double] { request.times.indices.map { out[(base + $0) * width + k] } }
            return TrajectoryBands(series: series, times: request.times,
                                   quantiles: levels.indices.map { take($0) },
                                   mcse: levels.indices.map { take(levels.count + $0) },
                                   mean: take(2 * levels.count), draws: n)
        }
    }

    /// The models of the run's first `count` draws, in draw order.
    static func drawModels(_ config: RunConfiguration, count: Int) throws(EngineError) -> [GapModel] {
        let plan = config.plan()
        let layout = BlockLayout(plan: plan, prior: config.prior, metrics: config.metrics)
        let design = config.design(plan)
        let n = RunConfiguration.blockSize
        let buffers = BlockBuffers(plan: plan, stride: n)
        let slots = buffers.values
        var models: [GapModel] = []
        models.reserveCapacity(count)
        var block = 0
        while models.count < count {
            let first = block * n
            let rows = min(n, count - first)
            design.fill(buffers.u, block: block, first: first, count: rows, stride: n)
            if var error = plan.drawBlock(buffers, count: rows) {
                error.draw += first
                throw .invalidDraw(error)
            }
            for i in 0..<rows { models.append(GapModel(unchecked: layout.parameters(columns: slots, stride: n, draw: i))) }
            block += 1
        }
        return models
    }
}

/// Type-7 quantile of sorted values.
@inline(always) func sortedQuantile(_ sorted: [Double], _ q: Double) -> Double {
    let h = q * Double(sorted.count - 1)
    let k = Int(h.rounded(.down))
    guard k + 1 < sorted.count else { return sorted[sorted.count - 1] }
    let f = h - Double(k)
    return f == 0 ? sorted[k] : sorted[k] + f * (sorted[k + 1] - sorted[k])
}
