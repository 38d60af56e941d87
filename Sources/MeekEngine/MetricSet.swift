import MeekModel

/// One reported metric of a draw.
public struct MetricDefinition: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case peakTime, peakGap, sprtTokensAtPeak, inferenceGapAtPeak, inferenceParity
        case convergence(GapThreshold)
        case benchmarkPeakTime(steps: Int), benchmarkPeakGap(steps: Int)
        case benchmarkConvergence(steps: Int, points: Double)
    }

    public var kind: Kind

    /// The block kernel's metric, or nil for the benchmark metrics.
    var kernelMetric: KernelMetric? {
        switch kind {
        case .peakTime: .peakTime
        case .peakGap: .peakGap
        case .sprtTokensAtPeak: .sprtTokensAtPeak
        case .inferenceGapAtPeak: .inferenceGapAtPeak
        case .inferenceParity: .inferenceParity
        case .convergence(let t): .convergence(t)
        case .benchmarkPeakTime, .benchmarkPeakGap, .benchmarkConvergence: nil
        }
    }
    /// Column name, e.g. `peak_time`, `converge_gap_0.01nats`.
    public var id: String
    /// Human label, e.g. "gap ≤ 0.01 nats".
    public var label: String
    /// Unit of the value: "years after start", "nats/token", "points", "tokens".
    public var unit: String
    /// Whether the value is a time after the start (reported also as a calendar year).
    public var isTime: Bool { unit == "years after start" }
    /// Whether the metric has no finite mean or variance under lognormal priors
    /// (docs/MODEL.md §4, "Heavy tails"), so its mean is flagged unstable.
    public var heavyTailed: Bool {
        switch kind {
        case .convergence, .inferenceParity, .benchmarkConvergence: true
        default: false
        }
    }
}

/// The metrics a run reports, in column order.
public struct MetricSet: Sendable {
    public let definitions: [MetricDefinition]

    public init(_ m: Metrics, sprtTokensAtPeak: Bool = false, inferenceGapAtPeak: Bool = false) {
        func n(_ x: Double) -> String { formatShort(x) }
        var d: [MetricDefinition] = [
            .init(kind: .peakTime, id: "peak_time", label: "peak time (inflection)", unit: "years after start"),
            .init(kind: .peakGap, id: "peak_gap", label: "peak gap", unit: "nats/token"),
        ]
        if sprtTokensAtPeak { d.append(.init(kind: .sprtTokensAtPeak, id: "sprt_tokens_at_peak", label: "SPRT tokens at the peak", unit: "tokens")) }
        for g in m.gapNats {
            d.append(.init(kind: .convergence(.nats(g)), id: "converge_gap_\(n(g))nats", label: "gap ≤ \(n(g)) nats", unit: "years after start"))
        }
        for f in m.peakFractions {
            d.append(.init(kind: .convergence(.fractionOfPeak(f)), id: "converge_frac_\(n(f))", label: "gap ≤ \(n(f * 100))% of peak", unit: "years after start"))
        }
        for t in m.sprtTokens {
            d.append(.init(kind: .convergence(.sprtTokens(t)), id: "converge_sprt_\(n(t))tokens", label: "SPRT needs ≥ \(n(t)) tokens", unit: "years after start"))
        }
        d.append(.init(kind: .inferenceParity, id: "inference_parity", label: "inference parity", unit: "years after start"))
        if inferenceGapAtPeak { d.append(.init(kind: .inferenceGapAtPeak, id: "inference_gap_at_peak", label: "inference gap at the peak", unit: "nats/token")) }
        for p in m.benchmarkSteps {
            d.append(.init(kind: .benchmarkPeakTime(steps: p), id: "benchmark_p\(p)_peak_time", label: "benchmark p=\(p) peak time", unit: "years after start"))
            d.append(.init(kind: .benchmarkPeakGap(steps: p), id: "benchmark_p\(p)_peak_gap", label: "benchmark p=\(p) peak gap", unit: "points"))
            for pts in m.benchmarkPoints {
                d.append(.init(kind: .benchmarkConvergence(steps: p, points: pts), id: "benchmark_p\(p)_converge_\(n(pts))pts",
                               label: "benchmark p=\(p) gap ≤ \(n(pts)) points", unit: "years after start"))
            }
        }
        definitions = d
    }

    public var count: Int { definitions.count }

    /// Whether some metric reads the benchmark sigmoid (so its inputs must obey its rule).
    var needsSigmoid: Bool { definitions.contains { $0.kernelMetric == nil } }
}

@inline(always) func encode(_ m: Moment) -> Double {
    switch m {
    case .at(let t): t
    case .never: .infinity
    case .noLead: -.infinity
    }
}

/// Compact number text for ids and labels: 0.01, 1000, 1e-05.
public func formatShort(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return String(x)
}
