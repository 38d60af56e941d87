import CGSL
import Dispatch
import Foundation
import MeekModel
import MeekPriors
import Synchronization

/// A Monte Carlo run: settings resolved from the prior file and the command line.
public struct RunConfiguration: Sendable {
    public var prior: PriorFile
    public var draws: Int
    public var seed: UInt64
    public var sampler: SamplerKind
    public var threads: Int
    public var metrics: MetricSet

    /// Draws per block: the unit of work and of random streams. Part of the
    /// reproducibility contract: the same (seed, sampler, block size) give the same draws.
    public static let blockSize = 8192

    public init(prior: PriorFile, draws: Int? = nil, seed: UInt64? = nil, sampler: SamplerKind? = nil,
                threads: Int = 1, metrics: MetricSet? = nil) {
        self.prior = prior
        self.draws = draws ?? prior.run.draws
        self.seed = seed ?? prior.run.seed
        self.sampler = sampler ?? prior.run.sampler
        self.threads = max(1, threads)
        self.metrics = metrics ?? MetricSet(prior.metrics, sprtTokensAtPeak: prior.sprtTokensAtPeak,
                                                inferenceGapAtPeak: prior.inferenceGapAtPeak)
    }

    public var blockCount: Int { (draws + Self.blockSize - 1) / Self.blockSize }
}

/// Receives each block's draws (inputs and metrics, row-major) as it completes, e.g. to
/// write them to disk. Called from worker threads, once per block, in any order.
public protocol DrawSink: Sendable {
    /// `columns` names the values of a row: the uncertain inputs, then the metrics.
    func write(block: Int, firstDraw: Int, rows: Int, values: UnsafeBufferPointer<Double>)
}

/// Why a run stopped.
public enum EngineError: Error, Sendable, CustomStringConvertible {
    case invalidDraw(DrawError)
    case configuration(String)

    public var description: String {
        switch self {
        case .invalidDraw(let e):
            let source = e.expression.map { " (from \"\($0)\")" } ?? ""
            return "draw \(e.draw): \(e.input) = \(e.value)\(source), but \(e.input) must be \(e.requirement); constrain the inputs it is derived from"
        case .configuration(let m): return m
        }
    }
}

/// The raw result of a run: per-metric accumulators and sums, ready to summarise.
public struct RunResult: @unchecked Sendable {
    public let configuration: RunConfiguration
    let accumulators: [MetricAccumulator]
    let sums: [BlockSums]  // per metric, reduced in block order
    /// Draws per scenario (mixtures).
    public let scenarioCounts: [Int]
    public let wallSeconds: Double
    /// Names of the values each saved row holds: uncertain inputs, then metrics.
    public let columns: [String]
}

/// Runs the Monte Carlo engine.
public enum Engine {
    /// The columns of a saved draw: scenario index (mixtures only), uncertain inputs,
    /// metrics.
    public static func columns(_ config: RunConfiguration) -> [String] {
        (config.prior.scenarios.count > 1 ? ["scenario"] : []) + config.prior.uncertainInputs
            + config.metrics.definitions.map(\.id)
    }

    /// Runs every draw on `threads` workers. `progress` is called with the number of
    /// completed draws after each block (from worker threads).
    public static func run(_ config: RunConfiguration, sink: DrawSink? = nil,
                           progress: (@Sendable (Int) -> Void)? = nil) throws(EngineError) -> RunResult {
        meek_gsl_disable_abort()
        guard config.draws > 0 else { throw .configuration("draws must be > 0 (got \(config.draws))") }
        if config.sampler == .sobol, config.draws >= 1 << 30 {
            throw .configuration("the sobol sampler supports fewer than 2^30 draws")
        }
        let plan = Plan(config.prior)
        if config.sampler == .sobol, plan.dims > 40 {
            throw .configuration("the sobol sampler supports at most 40 dimensions; this prior file has \(plan.dims)")
        }
        let metricCount = config.metrics.count
        // Accumulated values per draw: the metrics, then the uncertain inputs.
        let valueCount = metricCount + config.prior.uncertainInputs.count
        let blocks = config.blockCount
        let start = DispatchTime.now()
        let columns = Engine.columns(config)
        let savedInputs = config.prior.uncertainInputs.map { name in plan.names.firstIndex(of: name)! }
        let mixture = config.prior.scenarios.count > 1

        // Per-block sums, written at distinct indices by the workers.
        let sums = UnsafeMutableBufferPointer<BlockSums>.allocate(capacity: blocks * valueCount)
        sums.initialize(repeating: BlockSums())
        defer { sums.deallocate() }
        nonisolated(unsafe) let sharedSums = sums

        let nextBlock = Atomic<Int>(0)
        let completed = Atomic<Int>(0)
        let firstErrorBlock = Atomic<Int>(Int.max)
        let outputs = Mutex<[WorkerOutput]>([])
        let thresholds = config.metrics.definitions.map { def in
            def.isTime ? config.prior.run.convergeBy.map { $0 - config.prior.run.startYear } : []
        } + config.prior.uncertainInputs.map { _ in [Double]() }

        DispatchQueue.concurrentPerform(iterations: config.threads) { _ in
            let accumulators = thresholds.map { MetricAccumulator(thresholds: $0) }
            let design = Design(kind: config.sampler, dims: plan.dims, seed: config.seed)
            let n = RunConfiguration.blockSize
            let u = UnsafeMutablePointer<Double>.allocate(capacity: max(plan.dims, 1) * n)
            let slots = UnsafeMutablePointer<Double>.allocate(capacity: max(plan.names.count, 1))
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(plan.copulaDims.count, 1))
            let row = UnsafeMutablePointer<Double>.allocate(capacity: max(valueCount, 1))
            let rowWidth = columns.count
            let saved = sink == nil ? nil : UnsafeMutablePointer<Double>.allocate(capacity: n * rowWidth)
            defer { u.deallocate(); slots.deallocate(); scratch.deallocate(); row.deallocate(); saved?.deallocate() }
            var scenarioCounts = [Int](repeating: 0, count: plan.scenarios.count)
            var firstError: DrawError?
            while true {
                let b = nextBlock.wrappingAdd(1, ordering: .relaxed).oldValue
                if b >= blocks || b > firstErrorBlock.load(ordering: .relaxed) { break }
                let first = b * n
                let count = min(n, config.draws - first)
                design.fill(u, block: b, first: first, count: count)
                var blockSums = [BlockSums](repeating: BlockSums(), count: valueCount)
                for i in 0..<count {
                    let ui = u + i * plan.dims
                    let (s, parameters, error) = plan.draw(ui, slots: slots, scratch: scratch)
                    if var error {
                        error.draw = first + i
                        if firstError == nil || error.draw < firstError!.draw { firstError = error }
                        _ = firstErrorBlock.min(b, ordering: .relaxed)
                        break
                    }
                    scenarioCounts[s] += 1
                    config.metrics.evaluate(GapModel(unchecked: parameters), into: row)
                    for (j, slot) in savedInputs.enumerated() { row[metricCount + j] = slots[slot] }
                    for m in 0..<valueCount {
                        let v = row[m]
                        accumulators[m].add(v)
                        if v.isFinite { blockSums[m].add(v) }
                    }
                    if let saved {
                        var c = saved + i * rowWidth
                        if mixture { c.pointee = Double(s); c += 1 }
                        for j in savedInputs.indices { c.pointee = row[metricCount + j]; c += 1 }
                        for m in 0..<metricCount { c[m] = row[m] }
                    }
                }
                for m in 0..<valueCount { sharedSums[b * valueCount + m] = blockSums[m] }
                if let saved, let sink, firstError == nil {
                    sink.write(block: b, firstDraw: first, rows: count,
                               values: UnsafeBufferPointer(start: saved, count: count * rowWidth))
                }
                let done = completed.wrappingAdd(count, ordering: .relaxed).newValue
                progress?(done)
            }
            let output = WorkerOutput(accumulators: accumulators, scenarioCounts: scenarioCounts, error: firstError)
            outputs.withLock { $0.append(output) }
        }

        let all = outputs.withLock { $0 }
        if let error = all.compactMap(\.error).min(by: { $0.draw < $1.draw }) { throw .invalidDraw(error) }
        let merged = all[0].accumulators
        for other in all.dropFirst() {
            for m in 0..<valueCount { merged[m].merge(other.accumulators[m]) }
        }
        var scenarioCounts = [Int](repeating: 0, count: plan.scenarios.count)
        for o in all { for (i, c) in o.scenarioCounts.enumerated() { scenarioCounts[i] += c } }
        var reduced = [BlockSums](repeating: BlockSums(), count: valueCount)
        for b in 0..<blocks {
            for m in 0..<valueCount { reduced[m].combine(sums[b * valueCount + m]) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return RunResult(configuration: config, accumulators: merged, sums: reduced, scenarioCounts: scenarioCounts,
                         wallSeconds: seconds, columns: columns)
    }
}

/// One worker's accumulators, handed back once it has finished.
final class WorkerOutput: @unchecked Sendable {
    let accumulators: [MetricAccumulator]
    let scenarioCounts: [Int]
    let error: DrawError?

    init(accumulators: [MetricAccumulator], scenarioCounts: [Int], error: DrawError?) {
        self.accumulators = accumulators
        self.scenarioCounts = scenarioCounts
        self.error = error
    }
}
