import CGSL
import Foundation
import MeekModel
import MeekPriors

/// An expression compiled against slot indices (no name lookups per draw).
indirect enum SlotExpression: Sendable {
    case number(Double)
    case slot(Int)
    case negate(SlotExpression)
    case binary(Formula.Operator, SlotExpression, SlotExpression)
    case call(Formula.Function, [SlotExpression])

    init(_ e: Formula, slots: [String: Int]) {
        switch e {
        case .number(let x): self = .number(x)
        case .variable(let n): self = .slot(slots[n]!)
        case .negate(let a): self = .negate(SlotExpression(a, slots: slots))
        case .binary(let op, let a, let b): self = .binary(op, SlotExpression(a, slots: slots), SlotExpression(b, slots: slots))
        case .call(let f, let args): self = .call(f, args.map { SlotExpression($0, slots: slots) })
        }
    }

    func evaluate(_ v: UnsafeMutablePointer<Double>) -> Double {
        switch self {
        case .number(let x): return x
        case .slot(let s): return v[s]
        case .negate(let a): return -a.evaluate(v)
        case .binary(let op, let a, let b):
            let x = a.evaluate(v), y = b.evaluate(v)
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide: return x / y
            case .power: return Foundation.pow(x, y)
            }
        case .call(let f, let args):
            let x = args[0].evaluate(v)
            switch f {
            case .exp: return Foundation.exp(x)
            case .log, .ln: return Foundation.log(x)
            case .log10: return Foundation.log10(x)
            case .log2: return Foundation.log2(x)
            case .sqrt: return x.squareRoot()
            case .abs: return Swift.abs(x)
            case .min: return Swift.min(x, args[1].evaluate(v))
            case .max: return Swift.max(x, args[1].evaluate(v))
            case .pow: return Foundation.pow(x, args[1].evaluate(v))
            }
        }
    }
}

/// A prior file compiled for the hot loop: for each scenario, the steps that turn a draw's
/// uniforms into its inputs, in dependency order, writing into numbered slots.
struct Plan: Sendable {
    enum Step: Sendable {
        case random(slot: Int, prior: Prior, dim: Int)
        case joint(slot: Int, column: [Double], dim: Int)
        case derived(slot: Int, expression: SlotExpression, name: String, text: String)
    }

    struct CompiledScenario: Sendable {
        var steps: [Step]
        /// The inputs with every fixed value in place; draws overwrite the others.
        var template: Parameters
        var initialSlots: [Double]
        /// Model inputs that vary (slot, key), and those computed by expressions, which are
        /// checked on every draw.
        var varyingKeys: [(slot: Int, key: ParameterKey)]
        var checkedKeys: Set<ParameterKey>
        var checksSigmoid: Bool
    }

    let names: [String]  // slot → input name (union over scenarios)
    let scenarios: [CompiledScenario]
    let cumulativeWeights: [Double]
    let dims: Int
    /// Copula: the dimension of each member and the Cholesky factor.
    let copulaDims: [Int]
    let cholesky: [[Double]]

    init(_ prior: PriorFile) {
        var names = Set<String>()
        for s in prior.scenarios { names.formUnion(s.definitions.keys) }
        self.names = names.sorted()
        let slots = Dictionary(uniqueKeysWithValues: self.names.enumerated().map { ($1, $0) })
        let multi = prior.scenarios.count > 1
        // Random inputs get dimensions by name (so copula members share a dimension across
        // scenarios); joint tables follow.
        var randomNames = Set<String>()
        for s in prior.scenarios {
            for (n, d) in s.definitions { if case .random = d { randomNames.insert(n) } }
        }
        let sortedRandom = randomNames.sorted()
        let base = multi ? 1 : 0
        let randomDim = Dictionary(uniqueKeysWithValues: sortedRandom.enumerated().map { ($1, base + $0) })
        var maxDims = base + sortedRandom.count
        var compiled: [CompiledScenario] = []
        for s in prior.scenarios {
            var template = Parameters()
            var initial = [Double](repeating: 0, count: self.names.count)
            var steps: [Step] = []
            var varying: [(Int, ParameterKey)] = []
            var checked = Set<ParameterKey>()
            var sigmoid = false
            for n in s.order {
                let slot = slots[n]!
                let key = ParameterKey(rawValue: n)
                switch s.definitions[n]! {
                case .fixed(let v):
                    initial[slot] = v
                    if let key { template[key] = v }
                    continue
                case .random(let p):
                    steps.append(.random(slot: slot, prior: p, dim: randomDim[n]!))
                case .joint(let t):
                    let dim = base + sortedRandom.count + t
                    maxDims = max(maxDims, dim + 1)
                    steps.append(.joint(slot: slot, column: s.tables[t].columns[n]!, dim: dim))
                case .derived(let e, let text):
                    steps.append(.derived(slot: slot, expression: SlotExpression(e, slots: slots), name: n, text: text))
                    if let key { checked.insert(key) }
                }
                if let key {
                    varying.append((slot, key))
                    if [.sigmoidA, .sigmoidK, .sigmoidB].contains(key) { sigmoid = true }
                }
            }
            compiled.append(CompiledScenario(steps: steps, template: template, initialSlots: initial,
                                             varyingKeys: varying, checkedKeys: checked, checksSigmoid: sigmoid))
        }
        scenarios = compiled
        var cumulative: [Double] = []
        var running = 0.0
        for s in prior.scenarios { running += s.weight; cumulative.append(running) }
        cumulativeWeights = cumulative
        dims = maxDims
        copulaDims = prior.copula?.inputs.map { randomDim[$0]! } ?? []
        cholesky = prior.copula?.cholesky ?? []
    }

    /// Draws one set of inputs from the uniforms `u` (dims values, modified in place by the
    /// copula), writing every input into `slots`. Returns the scenario index and the model
    /// inputs, or a draw error for a derived input outside its domain.
    @inline(__always)
    func draw(_ u: UnsafeMutablePointer<Double>, slots: UnsafeMutablePointer<Double>,
              scratch: UnsafeMutablePointer<Double>) -> (scenario: Int, parameters: Parameters, error: DrawError?) {
        var s = 0
        if cumulativeWeights.count > 1 {
            let pick = u[0]
            while s < cumulativeWeights.count - 1, pick >= cumulativeWeights[s] { s += 1 }
        }
        if !copulaDims.isEmpty {
            let k = copulaDims.count
            for i in 0..<k { scratch[i] = gsl_cdf_ugaussian_Pinv(u[copulaDims[i]]) }
            for i in 0..<k {
                var z = 0.0
                for j in 0...i { z += cholesky[i][j] * scratch[j] }
                let p = gsl_cdf_ugaussian_P(z)
                u[copulaDims[i]] = Swift.min(Swift.max(p, Double.leastNormalMagnitude), 1.0.nextDown)
            }
        }
        let scenario = scenarios[s]
        scenario.initialSlots.withUnsafeBufferPointer { slots.update(from: $0.baseAddress!, count: $0.count) }
        for step in scenario.steps {
            switch step {
            case .random(let slot, let prior, let dim): slots[slot] = prior.sample(u[dim])
            case .joint(let slot, let column, let dim):
                slots[slot] = column[Swift.min(Int(u[dim] * Double(column.count)), column.count - 1)]
            case .derived(let slot, let e, _, _): slots[slot] = e.evaluate(slots)
            }
        }
        var p = scenario.template
        for (slot, key) in scenario.varyingKeys { p[key] = slots[slot] }
        for key in scenario.checkedKeys {
            let v = p[key]!
            if !key.domain.contains(v) {
                return (s, p, DrawError(input: key.rawValue, value: v, requirement: key.domain.description,
                                        expression: expressionText(key, scenario)))
            }
        }
        if scenario.checksSigmoid {
            do { try p.validateSigmoid() } catch {
                return (s, p, DrawError(input: error.key.rawValue, value: error.value, requirement: error.requirement, expression: nil))
            }
        }
        return (s, p, nil)
    }

    private func expressionText(_ key: ParameterKey, _ s: CompiledScenario) -> String? {
        for step in s.steps { if case .derived(_, _, let n, let text) = step, n == key.rawValue { return text } }
        return nil
    }
}

/// A drawn input outside the values the model accepts (possible only for derived inputs,
/// whose range the prior file cannot guarantee).
public struct DrawError: Error, Sendable, Equatable {
    public var input: String
    public var value: Double
    public var requirement: String
    public var expression: String?
    public var draw: Int = 0
}
