/// When something happens in a draw: at a time, never, or not applicable because the SOTA
/// model never leads.
///
/// "Never" is a value of its own — not NaN, not a sentinel year. Summaries count it and
/// sort it after every finite time (`sortKey` is `+∞`), so a median can honestly be never.
public enum Moment: Sendable, Hashable {
    /// At `t` years after `start_year`.
    case at(Double)
    /// The event never happens (e.g. no shared progress, so the gap never closes).
    case never
    /// The SOTA model never leads the meek model (ΔL(t) ≤ 0 for every t ≥ 0), so training
    /// metrics do not apply; counted separately from `never`.
    case noLead

    /// Years after `start_year`, or `nil`.
    @inlinable public var years: Double? {
        if case .at(let t) = self { return t }
        return nil
    }

    /// Calendar year, or `nil`.
    @inlinable public func year(start: Double) -> Double? { years.map { start + $0 } }

    /// Ordering key for quantiles: the time, or `+∞` for `never` and `noLead`.
    @inlinable public var sortKey: Double { years ?? .infinity }
}

/// The maximum over t ≥ 0 of a gap (training or benchmark) in one draw.
public enum Peak: Sendable, Hashable {
    /// The gap reaches its maximum `gap` at `time` years after the start (the earliest time
    /// if the maximum is held over an interval). The paper calls `time` the inflection time.
    case attained(time: Double, gap: Double)
    /// The gap keeps growing and its supremum `supremum` is never reached; `+∞` when the
    /// gap is unbounded (shared progress negative, `a < 0`).
    case neverPeaks(supremum: Double)
    /// The SOTA model never leads.
    case noLead

    /// The time of the peak as a `Moment`.
    @inlinable public var time: Moment {
        switch self {
        case .attained(let t, _): .at(t)
        case .neverPeaks: .never
        case .noLead: .noLead
        }
    }

    /// The peak gap, or the supremum when it is never attained; `nil` with no lead.
    @inlinable public var gap: Double? {
        switch self {
        case .attained(_, let g): g
        case .neverPeaks(let s): s
        case .noLead: nil
        }
    }
}
