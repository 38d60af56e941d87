import Foundation
import MeekModel

/// A closed interval that contains every value an input can take over all draws (an
/// over-approximation: ±∞ ends where nothing tighter is known). Evaluating a formula over
/// its inputs' intervals tells at parse time when it fails for *every* draw (a division by
/// a constant 0, the log of an input that is never positive) or lands outside its model
/// input's domain for every draw; an interval never causes an error for a formula that
/// works for some draw.
struct ValueRange: Equatable {
    var lower: Double, upper: Double

    static let all = ValueRange(lower: -.infinity, upper: .infinity)

    init(lower: Double, upper: Double) {
        // A NaN end (∞ − ∞, 0·∞) knows nothing: widen it.
        self.lower = lower.isNaN ? -.infinity : lower
        self.upper = upper.isNaN ? .infinity : upper
    }

    init(_ v: Double) { self.init(lower: v, upper: v) }

    /// The one value, when the range is a single finite number.
    var constant: Double? { lower == upper && lower.isFinite ? lower : nil }

    /// The range of f over self, for f monotone increasing.
    func increasing(_ f: (Double) -> Double) -> ValueRange { ValueRange(lower: f(lower), upper: f(upper)) }

    static func hull(_ values: [Double]) -> ValueRange {
        values.contains { $0.isNaN } ? .all : ValueRange(lower: values.min()!, upper: values.max()!)
    }
}

/// Why a formula fails for every draw.
struct AlwaysFails: Error { var message: String }

extension Formula {
    /// The range of the formula's value over `ranges` of its variables; throws when an
    /// operation is invalid for every value in its operands' ranges.
    func range(_ ranges: [String: ValueRange]) throws(AlwaysFails) -> ValueRange {
        switch self {
        case .number(let x): return ValueRange(x)
        case .variable(let n): return ranges[n] ?? .all
        case .negate(let e):
            let r = try e.range(ranges)
            return ValueRange(lower: -r.upper, upper: -r.lower)
        case .binary(let op, let l, let r):
            let a = try l.range(ranges), b = try r.range(ranges)
            switch op {
            case .add: return ValueRange(lower: a.lower + b.lower, upper: a.upper + b.upper)
            case .subtract: return ValueRange(lower: a.lower - b.upper, upper: a.upper - b.lower)
            case .multiply:
                return .hull([a.lower * b.lower, a.lower * b.upper, a.upper * b.lower, a.upper * b.upper])
            case .divide:
                if b.lower == 0, b.upper == 0 { throw AlwaysFails(message: "divides by 0") }
                if b.lower <= 0, b.upper >= 0 { return .all }
                return .hull([a.lower / b.lower, a.lower / b.upper, a.upper / b.lower, a.upper / b.upper])
            case .power: return try Formula.power(a, b)
            }
        case .call(let f, let args):
            let a = try args[0].range(ranges)
            switch f {
            case .exp: return a.increasing { Foundation.exp($0) }
            case .log, .ln, .log10, .log2:
                guard a.upper > 0 else { throw AlwaysFails(message: "takes \(f.rawValue) of a value that is never > 0 (\(a.lower) to \(a.upper))") }
                func g(_ x: Double) -> Double {
                    f == .log10 ? Foundation.log10(x) : (f == .log2 ? Foundation.log2(x) : Foundation.log(x))
                }
                return ValueRange(lower: g(Swift.max(a.lower, 0)), upper: g(a.upper))
            case .sqrt:
                guard a.upper >= 0 else { throw AlwaysFails(message: "takes sqrt of a value that is never ≥ 0 (\(a.lower) to \(a.upper))") }
                return ValueRange(lower: Swift.max(a.lower, 0).squareRoot(), upper: a.upper.squareRoot())
            case .abs:
                if a.lower >= 0 { return a }
                if a.upper <= 0 { return ValueRange(lower: -a.upper, upper: -a.lower) }
                return ValueRange(lower: 0, upper: Swift.max(-a.lower, a.upper))
            case .min, .max:
                let b = try args[1].range(ranges)
                return f == .min ? ValueRange(lower: Swift.min(a.lower, b.lower), upper: Swift.min(a.upper, b.upper))
                    : ValueRange(lower: Swift.max(a.lower, b.lower), upper: Swift.max(a.upper, b.upper))
            case .pow: return try Formula.power(a, try args[1].range(ranges))
            }
        }
    }

    /// a^b: exact for constants, e^(b·ln a) for a > 0, otherwise unknown.
    static func power(_ a: ValueRange, _ b: ValueRange) throws(AlwaysFails) -> ValueRange {
        if let x = a.constant, let y = b.constant { return ValueRange(Foundation.pow(x, y)) }
        guard a.lower > 0 else { return .all }
        let l = ValueRange(lower: Foundation.log(a.lower), upper: Foundation.log(a.upper))
        let e = ValueRange.hull([b.lower * l.lower, b.lower * l.upper, b.upper * l.lower, b.upper * l.upper])
        return e.increasing { Foundation.exp($0) }
    }
}

extension PriorParser {
    /// Checks what can be checked before drawing, over each input's range of values: a
    /// derived input that fails, or that is outside its model input's domain, for every
    /// draw; the benchmark sigmoid's cross-input rules when its inputs are all fixed.
    func checkStatically(_ defs: [String: Definition], order: [String], tables: [JointTable],
                         path: (String) -> [String]) throws(PriorError) {
        var ranges: [String: ValueRange] = [:]
        for name in order {
            switch defs[name]! {
            case .fixed(let v): ranges[name] = ValueRange(v)
            case .random(let p):
                let s = p.support
                ranges[name] = ValueRange(lower: s.lower, upper: s.upper)
            case .joint(let t):
                ranges[name] = tables[t].columns[name].map { ValueRange.hull($0) } ?? .all
            case .derived(let e, let text):
                let r: ValueRange
                do {
                    r = try e.range(ranges)
                } catch let failure {
                    throw error(path(name), "expression \"\(echo(text))\" \(failure.message) for every draw")
                }
                if r.lower == r.upper, !r.lower.isFinite {
                    throw error(path(name), "expression \"\(echo(text))\" is \(r.lower) for every draw")
                }
                if let k = ParameterKey(rawValue: name), let problem = rangeProblem(r, k.domain) {
                    throw error(path(name), "expression \"\(echo(text))\" is \(problem) for every draw; \(name) must be \(k.domain)")
                }
                ranges[name] = r
            }
        }
        // The sigmoid's rules, as `meek model` applies them, when A, k and b are fixed.
        var p = Parameters()
        for k in [ParameterKey.sigmoidA, .sigmoidK, .sigmoidB] {
            guard case .fixed(let v) = defs[k.rawValue] else { return }
            p[k] = v
        }
        do {
            try p.validateSigmoid()
        } catch let e {
            throw error(path(e.key.rawValue), "must be \(e.requirement) (got \(e.value))")
        }
    }

    /// Why every value in `r` is outside `domain`, or nil if some value may be inside.
    func rangeProblem(_ r: ValueRange, _ domain: Domain) -> String? {
        switch domain {
        case .finite: return nil
        case .positive: return r.upper <= 0 ? "≤ 0 (\(r.lower) to \(r.upper))" : nil
        case .nonNegative: return r.upper < 0 ? "< 0 (\(r.lower) to \(r.upper))" : nil
        case .belowHalf:
            return r.upper <= 0 || r.lower >= 0.5 ? "outside (0, 0.5) (\(r.lower) to \(r.upper))" : nil
        }
    }
}
