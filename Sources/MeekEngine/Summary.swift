import Foundation
import MeekPriors

/// A reported statistic that may be "never" (the event did not happen in enough draws).
public enum Estimate: Sendable, Equatable {
    case value(Double)
    case never

    public var value: Double? { if case .value(let v) = self { v } else { nil } }
}

/// The distribution of one metric (or drawn input) over a run.
public struct MetricSummary: Sendable {
    public var id: String
    public var label: String
    public var unit: String
    public var isTime: Bool
    public var heavyTailed: Bool
    /// All draws, draws where the SOTA model leads (the denominator of every share and
    /// quantile), and how many of those never reach the event.
    public var draws: Int
    public var lead: Int
    public var never: Int
    public var noLead: Int
    /// Mean and standard deviation of the finite values; `nil` with none (sd: fewer than two)
    /// and where the statistic is not representable as a double (values near ±1.8e308), so
    /// a writer prints its token for "none", never inf or NaN. For heavy-tailed metrics these
    /// are unstable (no finite moments under lognormal priors).
    public var mean: Double?
    public var sd: Double?
    public var minimum: Double?
    public var maximum: Double?
    /// (q, value, Monte Carlo standard error of the quantile). The MCSE is `nil` for "never"
    /// and for the `lhs` and `sobol` samplers: it assumes
    /// independent draws, which their draws are not (writers print their "none" token).
    public var quantiles: [(q: Double, value: Estimate, mcse: Double?)]
    /// Equal-tailed and highest-density credible intervals per level.
    public var equalTailed: [(level: Double, low: Estimate, high: Estimate)]
    public var highestDensity: [(level: Double, low: Estimate, high: Estimate)]
    /// For times: P(happened by calendar year), among draws with a lead.
    public var byYear: [(year: Double, probability: Double)]
    /// Whether quantiles are exact (at most 8 distinct values) or histogram-resolved.
    public var exact: Bool
    /// The finite values binned for plotting: `edges` (count + 1, evenly spaced) and the
    /// draws in each bin (`counts`, read from the run's histogram, so fractional where a
    /// coarse edge cuts a fine bin); values above the last edge are `beyond`. `nil` with no
    /// finite values, or when the bins are not representable (values near ±1.8e308).
    public var distribution: Distribution?

    public struct Distribution: Sendable {
        public var edges: [Double]
        public var counts: [Double]
        public var beyond: Double
        public init(edges: [Double], counts: [Double], beyond: Double) {
            self.edges = edges
            self.counts = counts
            self.beyond = beyond
        }
    }

    public var neverShare: Double { lead > 0 ? Double(never) / Double(lead) : 0 }
    public var noLeadShare: Double { draws > 0 ? Double(noLead) / Double(draws) : 0 }
}

/// A whole run's summary.
public struct RunSummary: Sendable {
    public var metrics: [MetricSummary]
    /// The uncertain inputs as drawn (a check that the priors say what was meant).
    public var inputs: [MetricSummary]
    public var scenarioCounts: [(name: String, draws: Int)]
}

extension RunResult {
    /// Summarises every metric with the prior file's quantiles and credible levels.
    public func summary() -> RunSummary {
        let run = configuration.prior.run
        var out: [MetricSummary] = []
        for (m, def) in configuration.metrics.definitions.enumerated() {
            let acc = accumulators[m]
            out.append(summarise(acc, sums: sums[m], id: def.id, label: def.label, unit: def.unit, isTime: def.isTime,
                                 heavyTailed: def.heavyTailed, run: run, draws: configuration.draws,
                                 independentDraws: configuration.sampler == .mc))
        }
        var inputs: [MetricSummary] = []
        for (j, name) in configuration.prior.uncertainInputs.enumerated() {
            let m = configuration.metrics.count + j
            inputs.append(summarise(accumulators[m], sums: sums[m], id: name, label: name, unit: "", isTime: false,
                                    heavyTailed: false, run: run, draws: configuration.inputSummaryDraws,
                                    independentDraws: configuration.sampler == .mc))
        }
        let names = configuration.prior.scenarios.map(\.name)
        return RunSummary(metrics: out, inputs: inputs, scenarioCounts: Array(zip(names, scenarioCounts)))
    }
}

func summarise(_ acc: MetricAccumulator, sums: BlockSums, id: String, label: String, unit: String, isTime: Bool,
               heavyTailed: Bool, run: RunSettings, draws: Int, independentDraws: Bool) -> MetricSummary {
    let finite = Int(acc.histogram.count)
    let never = Int(acc.never), noLead = Int(acc.noLead)
    let lead = finite + never
    let bins = acc.histogram.cumulative()
    let n = Double(lead)
    /// Value at fractional rank h of the lead draws (never beyond the finite ones).
    func at(_ h: Double) -> Estimate {
        let k = h.rounded(.down)
        if k >= Double(finite) { return .never }
        if h > k, k + 1 >= Double(finite) { return .never }
        return .value(bins.value(atRank: h))
    }
    func quantile(_ q: Double) -> Estimate { lead == 0 ? .never : at(q * (n - 1)) }
    var quantiles: [(Double, Estimate, Double?)] = []
    for q in run.quantiles {
        let v = quantile(q)
        var mcse: Double?
        if independentDraws, lead > 1, case .value = v {
            let delta = 1.959964 * (q * (1 - q) / n).squareRoot()
            if case .value(let lo) = quantile(max(q - delta, 0)), case .value(let hi) = quantile(min(q + delta, 1)) {
                let width = hi - lo  // overflows only for values near ±1.8e308: then halved first
                mcse = width.isFinite ? width / (2 * 1.959964) : hi / (2 * 1.959964) - lo / (2 * 1.959964)
            }
        }
        quantiles.append((q, v, mcse))
    }
    let equalTailed = run.credibleLevels.map { c in (c, quantile((1 - c) / 2), quantile((1 + c) / 2)) }
    let hdi = run.credibleLevels.map { c -> (Double, Estimate, Estimate) in
        guard lead > 0 else { return (c, .never, .never) }
        let k = Int((c * n).rounded(.up))
        guard finite >= k, k >= 1 else { return (c, lead - k < finite ? at(Double(lead - k)) : .never, .never) }
        // Shortest [x_i, x_{i+k−1}] over i in [0, finite − k]: a coarse pass, then a fine one.
        func width(_ i: Int) -> Double { bins.orderStatistic(UInt64(i + k - 1)) - bins.orderStatistic(UInt64(i)) }
        let last = finite - k
        var best = 0
        var step = max(1, last / 2048)
        var lo = 0, hi = last
        while true {
            var i = lo
            while i <= hi {
                if width(i) < width(best) { best = i }
                i += step
            }
            if step == 1 { break }
            lo = max(0, best - step)
            hi = min(last, best + step)
            step = max(1, step / 1024)
        }
        return (c, .value(bins.orderStatistic(UInt64(best))), .value(bins.orderStatistic(UInt64(best + k - 1))))
    }
    let mean = finite > 0 && sums.mean.isFinite ? sums.mean : nil
    let sd = sums.sd
    let byYear = isTime && lead > 0
        ? zip(run.convergeBy, acc.atOrBelow).map { ($0, Double($1) / n) } : []
    return MetricSummary(
        id: id, label: label, unit: unit, isTime: isTime, heavyTailed: heavyTailed, draws: draws, lead: lead,
        never: never, noLead: noLead, mean: mean, sd: sd,
        minimum: finite > 0 ? acc.histogram.minimum : nil, maximum: finite > 0 ? acc.histogram.maximum : nil,
        quantiles: quantiles, equalTailed: equalTailed, highestDensity: hdi, byYear: byYear,
        exact: acc.histogram.atoms != nil,
        distribution: finite > 0 ? binned(bins, finite: finite) : nil)
}

/// About 40 evenly spaced bins with a round width, from the minimum to the 99.5th
/// percentile of the finite values (heavy tails would squash the rest into one bin); `nil`
/// when such bins are not representable (a span beyond 1.8e308).
func binned(_ bins: CumulativeBins, finite: Int) -> MetricSummary.Distribution? {
    let low = bins.minimum
    var high = bins.value(atRank: 0.995 * Double(finite - 1))
    if !(high > low) { high = bins.maximum }
    var span = high - low
    if !(span > 0) { span = max(abs(low) * 0.1, 1e-9) }
    let width = roundStep(span / 40)
    guard width.isFinite, (low / width).isFinite, (high + width).isFinite else { return nil }
    let start = (low / width).rounded(.down) * width
    var edges = [start]
    while edges.last! <= high || edges.count < 2 { edges.append(start + Double(edges.count) * width) }
    var counts: [Double] = []
    var previous = 0.0
    for e in edges.dropFirst() {
        let c = bins.count(atOrBelow: e)
        counts.append(max(c - previous, 0))
        previous = c
    }
    return .init(edges: edges, counts: counts, beyond: max(Double(finite) - previous, 0))
}

/// The smallest of 1, 2, 2.5, 5 × 10^k that is at least x.
public func roundStep(_ x: Double) -> Double {
    let magnitude = Foundation.pow(10, (Foundation.log10(x)).rounded(.down))
    for m in [1.0, 2, 2.5, 5, 10] where m * magnitude >= x * (1 - 1e-12) { return m * magnitude }
    return 10 * magnitude
}
