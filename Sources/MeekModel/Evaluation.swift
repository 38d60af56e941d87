/// A convergence criterion for the training gap: the first time after the peak at which
/// the gap is at or below a level, stated in one of the paper's four units.
public enum GapThreshold: Sendable, Hashable {
    /// A gap of this many nats/token.
    case nats(Double)
    /// This fraction (in (0, 1)) of the draw's own peak gap.
    case fractionOfPeak(Double)
    /// The gap at which an SPRT discriminator needs this many tokens (eq. 16):
    /// `gap = bayes_slowdown·numerator(e)/tokens`.
    case sprtTokens(Double)
}

/// What one evaluation reports besides the peak: the convergence thresholds and the
/// benchmark tasks. Defaults follow the paper's figures.
public struct Metrics: Sendable, Hashable {
    /// Gap thresholds in nats/token. Default 0.05, 0.01, 0.001 (docs/MODEL.md §5, reference values).
    public var gapNats: [Double] = [0.05, 0.01, 0.001]
    /// Fractions of the peak gap. Default 0.5 and 0.1.
    public var peakFractions: [Double] = [0.5, 0.1]
    /// SPRT token counts. Default 100 and 1000 tokens (12.5 at the paper's peak).
    public var sprtTokens: [Double] = [100, 1000]
    /// Steps p of the benchmark tasks (Fig. 2). Default 1, 2, 5.
    public var benchmarkSteps: [Int] = [1, 2, 5]
    /// Benchmark-gap thresholds in percentage points, applied to every p. Default 5 and 1.
    public var benchmarkPoints: [Double] = [5, 1]

    public init() {}

    /// The gap thresholds in report order: nats, fractions of the peak, SPRT tokens.
    public var gapThresholds: [GapThreshold] {
        gapNats.map(GapThreshold.nats) + peakFractions.map(GapThreshold.fractionOfPeak)
            + sprtTokens.map(GapThreshold.sprtTokens)
    }
}

/// Everything one draw reports (docs/MODEL.md §3, "Outputs of one draw").
public struct Outcome: Sendable {
    /// Peak of the training gap: `peak_time` (years after start) and `peak_gap` (nats).
    public var peak: Peak
    /// `start_year + peak_time`, when the peak is attained.
    public var peakYear: Double?
    /// SPRT tokens needed to tell the models apart at the peak.
    public var sprtTokensAtPeak: Double?
    /// One result per `Metrics.gapThresholds`, in that order.
    public var convergence: [(threshold: GapThreshold, moment: Moment)]
    /// `inference_parity`: when a fixed inference budget catches up with the SOTA model.
    public var inferenceParity: Moment
    /// Inference gap ΔLinf at the training peak, nats.
    public var inferenceGapAtPeak: Double?
    /// One curve per `Metrics.benchmarkSteps`, with convergence per `benchmarkPoints`.
    public var benchmark: [(curve: BenchmarkCurve, convergence: [(points: Double, moment: Moment)])]
}

extension GapModel {
    /// The training-gap level, nats, that a threshold stands for in this draw; `nil` when it
    /// depends on a peak that is not attained.
    public func gapLevel(_ threshold: GapThreshold, peak: Peak) -> Double? {
        switch threshold {
        case .nats(let g): return g
        case .sprtTokens(let n): return sprtNumerator / n
        case .fractionOfPeak(let f):
            guard case .attained(_, let gp) = peak else { return nil }
            return f * gp
        }
    }

    /// The first time after the peak at which the gap meets `threshold`.
    public func convergence(_ threshold: GapThreshold, peak: Peak) -> Moment {
        guard let level = gapLevel(threshold, peak: peak) else { return peak.time }
        return convergence(gapAtOrBelow: level, peak: peak)
    }

    /// Evaluates every output of one draw.
    public func evaluate(_ metrics: Metrics = Metrics()) -> Outcome {
        let peak = trainingPeak
        let tp = peak.time.years
        return Outcome(
            peak: peak,
            peakYear: peak.time.year(start: parameters.startYear),
            sprtTokensAtPeak: { if case .attained(_, let g) = peak { sprtTokens(gap: g) } else { nil } }(),
            convergence: metrics.gapThresholds.map { ($0, convergence($0, peak: peak)) },
            inferenceParity: inferenceParity,
            inferenceGapAtPeak: tp.map(inferenceGap(at:)),
            benchmark: metrics.benchmarkSteps.map { p in
                let curve = BenchmarkCurve(model: self, steps: p)
                return (curve, metrics.benchmarkPoints.map { ($0, curve.convergence(pointsAtOrBelow: $0)) })
            }
        )
    }
}
