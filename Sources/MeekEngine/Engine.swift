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
    /// Draws a worker carries through inputs, model and accumulation at a time (a block's
    /// uniforms are drawn at once): small enough for its buffers to stay in a core's L2.
    static let partSize = 1024

    /// The "inputs as drawn" table (a check that the prior file says what was meant)
    /// summarises the first 32 blocks, 262,144 draws: the Monte Carlo error of its quantiles
    /// (about 0.15% relative at q5 and q95 of a lognormal with σ = 0.3) is below its 2^-8
    /// (0.39%) resolution, and later blocks compute only what the model reads.
    public static let inputSummaryBlocks = 32

    /// Draws behind the inputs-as-drawn table.
    public var inputSummaryDraws: Int { min(draws, Self.inputSummaryBlocks * Self.blockSize) }

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

    /// The most draws a run may have, 2^50 (about 1.1e15): every size computed from a draw
    /// count (blocks, moment-tree nodes, shard ranges) is then far from overflowing, and a
    /// run's memory does not grow with its draws.
    public static let maximumDraws = 1 << 50

    /// Blocks of the run (overflow-free for any draw count).
    public var blockCount: Int { draws <= 0 ? 0 : draws / Self.blockSize + (draws % Self.blockSize == 0 ? 0 : 1) }

    /// Shard `index` of `count`: a contiguous range of blocks. Nil: the whole run.
    public var shard: (index: Int, count: Int)?

    /// The blocks this configuration runs: all, or its shard's share (empty for an invalid
    /// shard, which `Engine.run` refuses).
    public var blockRange: Range<Int> {
        guard let shard else { return 0..<blockCount }
        guard shard.count > 0, shard.index >= 0, shard.index < shard.count else { return 0..<0 }
        /// `i·blockCount/count` without overflow (the quotient is at most blockCount).
        func boundary(_ i: Int) -> Int {
            let product = i.multipliedFullWidth(by: blockCount)
            return shard.count.dividingFullWidth(product).quotient
        }
        return boundary(shard.index)..<boundary(shard.index + 1)
    }

    /// Draws in the blocks of `blockRange`.
    public var rangeDraws: Int {
        let range = blockRange
        return Swift.min(range.upperBound * Self.blockSize, draws) - range.lowerBound * Self.blockSize
    }
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
        case .invalidDraw(var e):
            if e.value.isNaN { e.value = .nan }  // "nan", never "-nan"
            if let inputs = e.modelInputs {
                return "draw \(e.draw): the model gives no number for \(e.input) (\(e.value)) with \(inputs); no outcome is counted for a failed draw"
            }
            guard let expression = e.expression else {
                return "draw \(e.draw): \(e.input) = \(e.value), but \(e.input) must be \(e.requirement); check its prior"
            }
            return "draw \(e.draw): \(e.input) = \(e.value) (from \"\(expression)\"), but \(e.input) must be \(e.requirement); constrain the inputs it is derived from"
        case .configuration(let m): return m
        }
    }
}

/// The raw result of a run: per-metric accumulators and sums, ready to summarise.
public struct RunResult: @unchecked Sendable {
    public let configuration: RunConfiguration
    let accumulators: [MetricAccumulator]
    /// The moments of `blockRange` as the maximal finished nodes of the run's moment tree,
    /// in block order (one node, the top, for a whole run).
    let momentNodes: [MomentTree.Node]
    public let blockRange: Range<Int>
    /// Per value, the moments over the whole run (the top of the moment tree; empty moments
    /// for a shard's result, which is summarised only after a merge).
    var sums: [BlockSums] {
        var tree = MomentTree(blockCount: configuration.blockCount, range: 0..<configuration.blockCount,
                              valueCount: accumulators.count)
        for n in momentNodes { tree.add(level: n.level, index: n.index, sums: n.sums) }
        return tree.total ?? [BlockSums](repeating: BlockSums(), count: accumulators.count)
    }
    /// Draws per scenario (mixtures).
    public let scenarioCounts: [Int]
    public let wallSeconds: Double
    /// Names of the values each saved row holds: uncertain inputs, then metrics.
    public let columns: [String]
}

/// Runs the Monte Carlo engine.
public enum Engine {
    /// The GSL generator behind the `mc` and `lhs` samplers (recorded in provenance).
    public static let generator = BlockRNG.name

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
        guard config.draws <= RunConfiguration.maximumDraws else {
            throw .configuration("draws must be at most 2^50 = \(RunConfiguration.maximumDraws) (got \(config.draws))")
        }
        if let shard = config.shard, !(shard.count > 0 && shard.index >= 0 && shard.index < shard.count) {
            throw .configuration("shard must be i/n with 0 ≤ i < n (got \(shard.index)/\(shard.count))")
        }
        if config.sampler == .sobol, config.draws >= 1 << 30 {
            throw .configuration("the sobol sampler supports fewer than 2^30 draws")
        }
        let plan = config.plan()
        if config.sampler == .sobol, plan.dims > 40 {
            throw .configuration("the sobol sampler supports at most 40 dimensions; this prior file has \(plan.dims)")
        }
        let metricCount = config.metrics.count
        // Accumulated values per draw: the metrics, then the uncertain inputs.
        let valueCount = metricCount + config.prior.uncertainInputs.count
        let range = config.blockRange
        let start = DispatchTime.now()
        let columns = Engine.columns(config)
        let savedInputs = config.prior.uncertainInputs.map { name in plan.names.firstIndex(of: name)! }
        let mixture = config.prior.scenarios.count > 1

        // Each block's moments go into the moment tree as it completes.
        let tree = Mutex(MomentTree(blockCount: config.blockCount, range: range, valueCount: valueCount))

        let nextBlock = Atomic<Int>(range.lowerBound)
        let completed = Atomic<Int>(0)
        let firstErrorBlock = Atomic<Int>(Int.max)
        let outputs = Mutex<[WorkerOutput]>([])
        let thresholds = config.metrics.definitions.map { def in
            def.isTime ? config.prior.run.convergeBy.map { $0 - config.prior.run.startYear } : []
        } + config.prior.uncertainInputs.map { _ in [Double]() }

        let layout = BlockLayout(plan: plan, prior: config.prior, metrics: config.metrics)

        DispatchQueue.concurrentPerform(iterations: config.threads) { _ in
            // Metrics at full resolution; the inputs-as-drawn table at 2^-8 (it is a check).
            let accumulators = thresholds.enumerated().map { m, t in
                MetricAccumulator(thresholds: t, mantissaBits: m < metricCount ? 13 : 8)
            }
            let design = config.design(plan)
            let n = RunConfiguration.blockSize
            // A block's inputs, metrics and sums go in parts of `RunConfiguration.partSize`
            // draws, whose buffers stay in the core's cache.
            let p = RunConfiguration.partSize
            // Plain Monte Carlo draws its uniforms part by part too (the same stream).
            let inParts = design.fillsInParts
            let buffers = BlockBuffers(plan: plan, stride: p, uStride: inParts ? p : n)
            let slotValues = buffers.values, scenarioOf = buffers.scenarioOf
            let values = UnsafeMutablePointer<Double>.allocate(capacity: max(metricCount, 1) * p)
            let rowWidth = columns.count
            let saved = sink == nil ? nil : UnsafeMutablePointer<Double>.allocate(capacity: n * rowWidth)
            defer {
                values.deallocate()
                saved?.deallocate()
            }
            let inputs = layout.inputs(buffers)
            var scenarioCounts = [Int](repeating: 0, count: plan.scenarios.count)
            var firstError: DrawError?
            var blockSums = [BlockSums](repeating: BlockSums(), count: valueCount)
            while true {
                let b = nextBlock.wrappingAdd(1, ordering: .relaxed).oldValue
                if b >= range.upperBound || b > firstErrorBlock.load(ordering: .relaxed) { break }
                let first = b * n
                let count = min(n, config.draws - first)
                if !inParts { design.fill(buffers.uniforms, block: b, first: first, count: count, stride: n) }
                // Every input's value where the inputs-as-drawn table or the saved draws show
                // them; elsewhere only what the model reads (a lean block).
                let withInputs = b < RunConfiguration.inputSummaryBlocks
                let allValues = withInputs || sink != nil || layout.needsAllValues
                let accumulated = withInputs ? valueCount : metricCount
                for m in 0..<accumulated { blockSums[m] = BlockSums() }
                var failed = false
                var start = 0
                while start < count {
                    let part = min(p, count - start)
                    if inParts {
                        design.fillPart(buffers.uniforms, block: b, restart: start == 0, count: part, stride: p)
                    } else {
                        buffers.window(at: start)
                    }
                    if var error = plan.drawBlock(buffers, count: part, allValues: allValues) {
                        error.draw += first + start
                        if firstError == nil || error.draw < firstError!.draw { firstError = error }
                        _ = firstErrorBlock.min(b, ordering: .relaxed)
                        failed = true
                        break
                    }
                    for i in 0..<part { scenarioCounts[Int(scenarioOf[i])] += 1 }
                    layout.evaluate(inputs, columns: slotValues, stride: p, count: part, into: values)
                    // Accumulate each value column: the metrics, then the uncertain inputs. A NaN
                    // is a failed draw: the run stops at the first.
                    for m in 0..<accumulated {
                        let column = m < metricCount ? values + m * p : slotValues + savedInputs[m - metricCount] * p
                        let added = accumulators[m].add(column: column, count: part)
                        if added.failed > 0 {
                            let i = (0..<part).first { column[$0].isNaN }!
                            var error = m < metricCount
                                ? DrawError(input: config.metrics.definitions[m].id, value: .nan, requirement: "a number",
                                            modelInputs: layout.describeInputs(buffers, stride: p, draw: i))
                                : DrawError(input: config.prior.uncertainInputs[m - metricCount], value: .nan, requirement: "a number")
                            error.draw = first + start + i
                            if firstError == nil || error.draw < firstError!.draw { firstError = error }
                            failed = true
                        }
                        blockSums[m].combine(added.sums)
                    }
                    if failed {
                        _ = firstErrorBlock.min(b, ordering: .relaxed)
                        break
                    }
                    if let saved {
                        for i in 0..<part {
                            var c = saved + (start + i) * rowWidth
                            if mixture { c.pointee = Double(scenarioOf[i]); c += 1 }
                            for slot in savedInputs { c.pointee = slotValues[slot * p + i]; c += 1 }
                            for m in 0..<metricCount { c[m] = values[m * p + i] }
                        }
                    }
                    start += part
                }
                if failed { continue }
                for m in accumulated..<valueCount { blockSums[m] = BlockSums() }
                tree.withLock { [blockSums] in $0.add(level: 0, index: b, sums: blockSums) }
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
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let nodes = tree.withLock { $0.finished }.sorted { $0.index * MomentTree.width($0.level) < $1.index * MomentTree.width($1.level) }
        return RunResult(configuration: config, accumulators: merged, momentNodes: nodes, blockRange: range,
                         scenarioCounts: scenarioCounts, wallSeconds: seconds, columns: columns)
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

/// Where each model input of a block lives (a slot column, or one constant for every draw
/// and scenario), and how the metrics are computed: the block kernel, then the benchmark
/// metrics draw by draw.
struct BlockLayout: @unchecked Sendable {
    let sources: [ParameterKey: Source]
    let kernelMetrics: [(index: Int, metric: KernelMetric)]
    let benchmarkMetrics: [(index: Int, kind: MetricDefinition.Kind)]
    let metricCount: Int
    /// `g_inf` is not given anywhere, so it follows `g_alg`.
    let gInfFollowsGAlg: Bool

    enum Source { case slot(Int), constant(Double) }

    init(plan: Plan, prior: PriorFile, metrics: MetricSet) {
        var sources: [ParameterKey: Source] = [:]
        for key in ParameterKey.allCases where key != .startYear {
            let definitions = prior.scenarios.map { $0.definitions[key.rawValue] }
            if let first = definitions[0], case .fixed(let v) = first, definitions.allSatisfy({ $0 == first }) {
                sources[key] = .constant(v)
            } else if definitions.allSatisfy({ $0 != nil }), let slot = plan.names.firstIndex(of: key.rawValue) {
                sources[key] = .slot(slot)
            }
        }
        gInfFollowsGAlg = sources[.gInf] == nil
        if gInfFollowsGAlg { sources[.gInf] = sources[.gAlg] }  // unset: follows g_alg
        if sources[.investStopYears] == nil { sources[.investStopYears] = .constant(.infinity) }
        self.sources = sources
        kernelMetrics = metrics.definitions.enumerated().compactMap { i, d in d.kernelMetric.map { (i, $0) } }
        benchmarkMetrics = metrics.definitions.enumerated().compactMap { i, d in d.kernelMetric == nil ? (i, d.kind) : nil }
        metricCount = metrics.count
    }

    /// Whether the metrics read every input's value (the benchmark metrics build a
    /// `GapModel` per draw), so no block may be lean.
    var needsAllValues: Bool { !benchmarkMetrics.isEmpty }

    /// A model input's column in the buffers (with its logs, for `GapKernel.logInputs`).
    func column(_ key: ParameterKey, _ b: BlockBuffers) -> Column {
        switch sources[key] ?? .constant(Parameters()[key] ?? .nan) {
        case .slot(let s):
            Column(UnsafePointer(b.values + s * b.stride),
                   log: GapKernel.logInputs.contains(key) ? UnsafePointer(b.logs + s * b.stride) : nil)
        case .constant(let v): Column(constant: v)
        }
    }

    func inputs(_ b: BlockBuffers) -> BlockInputs {
        BlockInputs(alpha: column(.alpha, b), A: column(.A, b), L0: column(.L0, b), gH: column(.gH, b),
                    gAlg: column(.gAlg, b), gI: column(.gI, b), flopPerUSD: column(.flopPerUSD, b),
                    meekBudgetUSD: column(.meekBudgetUSD, b), sotaBudgetUSD: column(.sotaBudgetUSD, b),
                    investStopYears: column(.investStopYears, b), inferenceUSDPerToken: column(.inferenceUSDPerToken, b),
                    gInf: column(.gInf, b), sprtError: column(.sprtError, b), bayesSlowdown: column(.bayesSlowdown, b))
    }

    /// Draw `i`'s model inputs as text, `alpha = 0.15, A = 1070, …`, for a failed draw's
    /// message (a lean block holds the logs of the inputs the model reads as logs).
    func describeInputs(_ b: BlockBuffers, stride: Int, draw i: Int) -> String {
        ParameterKey.allCases.compactMap { key -> String? in
            let value: Double
            switch sources[key] {
            case .slot(let s): value = GapKernel.logInputs.contains(key) ? Foundation.exp(b.logs[s * stride + i]) : b.values[s * stride + i]
            case .constant(let v): value = v
            case nil: return nil
            }
            return "\(key) = \(value)"
        }.joined(separator: ", ")
    }

    /// The model inputs of draw `i` of a block.
    func parameters(columns: UnsafeMutablePointer<Double>, stride: Int, draw i: Int) -> Parameters {
        var p = Parameters()
        for key in ParameterKey.allCases where key != .startYear {
            switch sources[key] {
            case .slot(let s): p[key] = columns[s * stride + i]
            case .constant(let v): p[key] = key == .investStopYears && !v.isFinite ? nil : v
            case nil: break
            }
        }
        if gInfFollowsGAlg { p.gInf = nil }
        return p
    }

    /// Every metric of the block's draws into `out[m·stride + i]`.
    func evaluate(_ inputs: BlockInputs, columns: UnsafeMutablePointer<Double>, stride: Int, count: Int,
                  into out: UnsafeMutablePointer<Double>) {
        if kernelMetrics.count == metricCount {
            GapKernel.evaluate(inputs, count: count, metrics: kernelMetrics.map(\.metric), into: out, stride: stride)
            return
        }
        let temporary = UnsafeMutablePointer<Double>.allocate(capacity: max(kernelMetrics.count, 1) * count)
        defer { temporary.deallocate() }
        GapKernel.evaluate(inputs, count: count, metrics: kernelMetrics.map(\.metric), into: temporary, stride: count)
        for (k, (index, _)) in kernelMetrics.enumerated() {
            (out + index * stride).update(from: temporary + k * count, count: count)
        }
        guard !benchmarkMetrics.isEmpty else { return }
        for i in 0..<count {
            let model = GapModel(unchecked: parameters(columns: columns, stride: stride, draw: i))
            var curves: [Int: BenchmarkCurve] = [:]
            for (index, kind) in benchmarkMetrics {
                let value: Double
                switch kind {
                case .benchmarkPeakTime(let steps):
                    let c = curves[steps] ?? BenchmarkCurve(model: model, steps: steps); curves[steps] = c
                    value = encode(c.peak.time)
                case .benchmarkPeakGap(let steps):
                    let c = curves[steps] ?? BenchmarkCurve(model: model, steps: steps); curves[steps] = c
                    value = c.peak.gap ?? -.infinity
                case .benchmarkConvergence(let steps, let points):
                    let c = curves[steps] ?? BenchmarkCurve(model: model, steps: steps); curves[steps] = c
                    value = encode(c.convergence(pointsAtOrBelow: points))
                default: continue
                }
                out[index * stride + i] = value
            }
        }
    }
}
