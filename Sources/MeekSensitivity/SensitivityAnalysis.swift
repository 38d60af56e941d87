import Dispatch
import Foundation
import MeekEngine
import Synchronization
import MeekModel
import MeekPriors

/// Which prior drives the uncertainty of each metric: Sobol' first-order and total-effect
/// indices (with bootstrap intervals), Spearman and partial rank correlations, and a
/// one-at-a-time tornado, for every metric a prior file asks for.
public struct SensitivityAnalysis: Sendable {
    /// A factor of the variance decomposition: one uniform dimension of the design, or a
    /// group of them that must move together.
    public struct Factor: Sendable {
        public var name: String
        public var dimensions: [Int]
        /// Why it is a group, if it is one.
        public var grouping: String?
    }

    public struct MetricResult: Sendable {
        public var metric: MetricDefinition
        /// The transform the variance-based indices were computed on, if any.
        public var transform: String?
        /// Sobol' indices per factor; nil when the metric has draws with no SOTA lead.
        public var sobol: SobolIndices?
        /// Design points where the event never happens (mapped as stated in `transform`).
        public var neverPoints: Int
        /// Rank correlations per input (`inputs`).
        public var spearman: [Double]
        public var prcc: [Double]
        /// Tornado per factor: the metric with the factor at its 5th and 95th percentile
        /// (others at their medians) and the swing |high − low| (+∞ when one end never
        /// happens), sorted by swing, largest first.
        public var tornado: [(factor: String, low: Double, high: Double, swing: Double)]
        /// The metric with every factor at its median: the tornado's centre line.
        public var tornadoBase: Double
    }

    public var factors: [Factor]
    /// Inputs for the rank correlations: the random and jointly sampled inputs (derived
    /// inputs count through the inputs they derive from).
    public var inputs: [String]
    public var results: [MetricResult]
    public var baseSize: Int
    public var bootstrap: Int
    public var level: Double
    public var rankDraws: Int
    public var seed: UInt64
    /// What was grouped and why, and other notes for the reader.
    public var notes: [String]


    /// The factors of the design: each dimension, except groups that must move together.
    static func factorList(_ evaluator: PointEvaluator) -> [Factor] {
        // Factors: each dimension, except groups that must move together: copula members,
        // and a scenario mixture (the scenario choice with every dimension that only some
        // scenarios draw from).
        var factors: [Factor] = []
        let copula = evaluator.copulaDimensions
        let mixture = (0..<evaluator.dimensions).filter { !evaluator.dimensionInAllScenarios($0) && !copula.contains($0) }
        for d in 0..<evaluator.dimensions where !copula.contains(d) && !mixture.contains(d) {
            let name = evaluator.dimensionNames[d]
            let grouping: String? = name.hasPrefix("joint: ") ? "resampled jointly from one table row, so they form one factor" : nil
            factors.append(Factor(name: name, dimensions: [d], grouping: grouping))
        }
        if !mixture.isEmpty {
            let members = mixture.map { evaluator.dimensionNames[$0] }.filter { $0 != "scenario" }
            factors.append(Factor(
                name: "scenario mixture (" + evaluator.scenarioNames.joined(separator: " / ") + ")", dimensions: mixture,
                grouping: "the choice between whole scenarios"
                    + (members.isEmpty ? "" : " together with what only some scenarios draw (" + members.joined(separator: "; ") + ")")
                    + ", so they form one factor"))
        }
        if !copula.isEmpty {
            let names = copula.map { evaluator.dimensionNames[$0] }
            factors.append(Factor(name: "copula: " + names.joined(separator: ", "), dimensions: copula,
                                  grouping: "correlated through the Gaussian copula, so they form one factor"))
        }
        return factors
    }

    /// The Saltelli design's points in evaluation order: A, B, then AB_i per factor.
    static func points(_ design: SaltelliDesign, in range: Range<Int>? = nil) -> [[Double]] {
        let n = design.baseSize
        let range = range ?? 0..<design.evaluations
        return range.map { p in
            switch p / n {
            case 0: design.aRow(p % n)
            case 1: design.bRow(p % n)
            default: design.abRow(p % n, factor: p / n - 2)
            }
        }
    }

    /// Evaluates shard `index` of `count` of the design's points (a contiguous range): the
    /// expensive part of an analysis, for running on several nodes. Returns the range and
    /// the values (`[metric][point in range]`).
    public static func evaluateShard(prior: PriorFile, metrics: MetricSet, baseSize: Int, index: Int, count: Int)
        throws(Failure) -> (range: Range<Int>, values: [[Double]], total: Int) {
        let evaluator = PointEvaluator(prior: prior, metrics: metrics)
        let factors = factorList(evaluator)
        let design: SaltelliDesign
        do {
            design = try SaltelliDesign(baseSize: baseSize, columns: evaluator.dimensions, factors: factors.map(\.dimensions))
        } catch { throw .design(error) }
        let total = design.evaluations
        let range = (index * total / count)..<((index + 1) * total / count)
        do { return (range, try evaluator.evaluate(points(design, in: range)).metrics, total) } catch { throw .engine(error) }
    }

    public enum Failure: Error, CustomStringConvertible {
        case design(SaltelliDesign.Failure)
        case engine(EngineError)
        case settings(String)

        public var description: String {
            switch self {
            case .design(let f): f.description
            case .engine(let e): e.description
            case .settings(let s): s
            }
        }
    }

    /// Runs the analysis. `baseSize` must be a power of two (default 2^14); `bootstrap` > 0
    /// resamples at `level`; `rankDraws` plain Monte Carlo draws feed the rank correlations.
    public init(prior: PriorFile, metrics: MetricSet, baseSize: Int = 1 << 14, bootstrap: Int = 1000,
                level: Double = 0.95, rankDraws: Int = 1 << 15, seed: UInt64? = nil,
                designValues: [[Double]]? = nil) throws(Failure) {
        guard bootstrap > 0 else { throw .settings("bootstrap must be > 0 (got \(bootstrap))") }
        guard level > 0, level < 1 else { throw .settings("the interval level must be in (0, 1) (got \(level))") }
        guard rankDraws > 2 else { throw .settings("rank-correlation draws must be > 2 (got \(rankDraws))") }
        let evaluator = PointEvaluator(prior: prior, metrics: metrics)
        let seed = seed ?? prior.run.seed
        let factors = Self.factorList(evaluator)
        var notes: [String] = []
        guard !factors.isEmpty else { throw .settings("the prior file has no uncertain input") }
        for f in factors where f.grouping != nil { notes.append("\(f.name): \(f.grouping!).") }
        notes.append("Derived inputs count with the inputs they derive from (the design varies only sampled inputs).")
        let design: SaltelliDesign
        do {
            design = try SaltelliDesign(baseSize: baseSize, columns: evaluator.dimensions, factors: factors.map(\.dimensions))
        } catch { throw .design(error) }

        // Model evaluations on the design: A, B, then AB_i per factor (or given, from shards).
        let values: [[Double]]
        if let designValues {
            guard designValues.count == metrics.count, designValues.allSatisfy({ $0.count == design.evaluations }) else {
                throw .settings("the shards' evaluations do not match this design (\(design.evaluations) points per metric)")
            }
            values = designValues
        } else {
            do { values = try evaluator.evaluate(Self.points(design)).metrics } catch { throw .engine(error) }
        }

        // Plain Monte Carlo draws for the rank correlations.
        let inputs = prior.uncertainInputs.filter { name in
            prior.scenarios.contains { s in
                switch s.definitions[name] { case .random, .joint: true; default: false }
            }
        }
        var g = SplitMix64(seed ^ 0x5EED)
        let mcPoints = (0..<rankDraws).map { _ in
            (0..<evaluator.dimensions).map { _ in (Double(g.next() >> 11) + 0.5) / Double(1 << 53) }
        }
        let mc: (metrics: [[Double]], inputs: [[Double]])
        do { mc = try evaluator.evaluate(mcPoints, inputs: inputs) } catch { throw .engine(error) }

        // Tornado points: medians, with one factor at its 5th or 95th percentile.
        func sweepValue(_ d: Int, _ p: Double) -> Double {
            // A joint table's rows in the order of its first input's values (a table without
            // rows or columns, which the prior layer refuses, is swept like a uniform).
            guard let table = evaluator.jointTable(d), let key = table.columns.keys.sorted().first,
                  let column = table.columns[key], !column.isEmpty else { return p }
            let order = column.indices.sorted { column[$0] < column[$1] }
            let row = order[min(Int(p * Double(order.count)), order.count - 1)]
            return (Double(row) + 0.5) / Double(order.count)
        }
        var sweep: [[Double]] = []
        let median = (0..<evaluator.dimensions).map { sweepValue($0, 0.5) }
        for f in factors {
            for p in [0.05, 0.95] {
                var point = median
                for d in f.dimensions { point[d] = sweepValue(d, p) }
                sweep.append(point)
            }
        }
        sweep.append(median)
        let tornadoValues: [[Double]]
        do { tornadoValues = try evaluator.evaluate(sweep).metrics } catch { throw .engine(error) }

        // Each metric on its own core (they are independent; the bootstrap is the cost).
        let count = metrics.definitions.count
        let slots = Mutex<[MetricResult?]>([MetricResult?](repeating: nil, count: count))
        let factorList = factors
        DispatchQueue.concurrentPerform(iterations: count) { m in
            let def = metrics.definitions[m]
            var y = values[m]
            var transform: String?
            var never = 0
            var sobol: SobolIndices?
            let noLead = y.contains(-.infinity)
            if !noLead {
                if def.heavyTailed {
                    // Convergence and parity times have no finite variance under lognormal
                    // priors: analyse log(1 + years); "never" ranks after every finite time.
                    let finiteMax = y.filter(\.isFinite).max() ?? 0
                    never = y.filter { $0 == .infinity }.count
                    let cap = log1p(finiteMax) + log(10)
                    y = y.map { $0.isFinite ? log1p($0) : cap }
                    transform = "log(1 + years after start)" + (never > 0 ? "; never = log(1 + latest finite) + ln 10" : "")
                } else if y.contains(.infinity) {
                    never = y.filter { $0 == .infinity }.count
                    let finiteMax = y.filter(\.isFinite).max() ?? 0
                    y = y.map { $0.isFinite ? $0 : 10 * finiteMax }
                    transform = "unbounded values set to 10 × the largest finite one"
                }
                let n = baseSize
                sobol = SobolIndices(a: Array(y[0..<n]), b: Array(y[n..<(2 * n)]),
                                     ab: factorList.indices.map { Array(y[((2 + $0) * n)..<((3 + $0) * n)]) },
                                     bootstrap: bootstrap, level: level, seed: seed)
            }
            // Rank measures need no transform; "never" (+∞) ranks last, as it should.
            let out = mc.metrics[m].map { $0 == -.infinity ? -Double.greatestFiniteMagnitude : $0 }
            let spearman = mc.inputs.map { RankCorrelation.spearman($0, out) }
            let prcc = RankCorrelation.prcc(inputs: mc.inputs, output: out)
            var tornado: [(String, Double, Double, Double)] = []
            for (f, factor) in factorList.enumerated() {
                let low = tornadoValues[m][2 * f], high = tornadoValues[m][2 * f + 1]
                let swing = low.isFinite && high.isFinite ? abs(high - low) : .infinity
                tornado.append((factor.name, low, high, swing))
            }
            tornado.sort { $0.3 > $1.3 }
            let result = MetricResult(metric: def, transform: transform, sobol: sobol, neverPoints: never,
                                      spearman: spearman, prcc: prcc, tornado: tornado,
                                      tornadoBase: tornadoValues[m][2 * factorList.count])
            slots.withLock { $0[m] = result }
        }
        let results = slots.withLock { $0.map { $0! } }
        if results.contains(where: { $0.sobol == nil }) {
            notes.append("Variance-based indices are not computed for metrics with draws where the SOTA model never leads.")
        }
        self.factors = factors
        self.inputs = inputs
        self.results = results
        self.baseSize = baseSize
        self.bootstrap = bootstrap
        self.level = level
        self.rankDraws = rankDraws
        self.seed = seed
        self.notes = notes
    }
}
