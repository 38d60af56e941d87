import MeekModel
import MeekPriors

/// Evaluates the metrics at given points of the uniform design (one value in (0, 1) per
/// dimension: each random input, each joint table's row, the scenario choice), through the
/// same block pipeline as a run. For designs that are not random streams: sensitivity
/// analysis (Saltelli points, one-at-a-time sweeps).
public final class PointEvaluator {
    let plan: Plan
    let layout: BlockLayout
    public let metrics: MetricSet
    /// Dimensions of a point, and what each drives.
    public var dimensions: Int { plan.dims }
    public var dimensionNames: [String] { plan.dimensionNames }
    /// Whether every scenario of a mixture draws from dimension d.
    public func dimensionInAllScenarios(_ d: Int) -> Bool { plan.dimensionInAllScenarios[d] }
    /// The scenarios' names.
    public var scenarioNames: [String] { plan.scenarioNames }
    /// Copula members' dimensions (they move together in a sensitivity analysis).
    public var copulaDimensions: [Int] { plan.copulaDims }
    /// Whether dimension d is a joint table, and its rows' order key for sweeps.
    public func jointTable(_ d: Int) -> JointTable? { plan.dimensionTables[d] }

    public init(prior: PriorFile, metrics: MetricSet) {
        plan = Plan(prior, sigmoidRule: metrics.needsSigmoid)
        layout = BlockLayout(plan: plan, prior: prior, metrics: metrics)
        self.metrics = metrics
    }

    /// Metric values (`[metric][point]`) at `points` (each `dimensions` uniforms), or the
    /// first point whose derived input leaves its domain. With `inputs`, also the drawn
    /// values of those inputs (`[input][point]`, after the copula).
    public func evaluate(_ points: [[Double]], inputs names: [String] = []) throws(EngineError) -> (metrics: [[Double]], inputs: [[Double]]) {
        let inputSlots = names.map { plan.names.firstIndex(of: $0) }
        var drawn = [[Double]](repeating: [], count: names.count)
        let n = RunConfiguration.blockSize
        let m = metrics.count
        var out = [[Double]](repeating: [], count: m)
        for k in 0..<m { out[k].reserveCapacity(points.count) }
        let buffers = BlockBuffers(plan: plan, stride: n)
        let u = buffers.u, slots = buffers.values
        let values = UnsafeMutablePointer<Double>.allocate(capacity: max(m, 1) * n)
        defer { values.deallocate() }
        let inputs = layout.inputs(buffers)
        var first = 0
        while first < points.count {
            let count = min(n, points.count - first)
            for i in 0..<count {
                for d in 0..<plan.dims { u[d * n + i] = points[first + i][d] }
            }
            if var error = plan.drawBlock(buffers, count: count) {
                error.draw += first
                throw .invalidDraw(error)
            }
            layout.evaluate(inputs, columns: slots, stride: n, count: count, into: values)
            // A NaN metric is a failed draw, never a value.
            for k in 0..<m {
                if let i = (0..<count).first(where: { values[k * n + $0].isNaN }) {
                    throw .invalidDraw(DrawError(input: metrics.definitions[k].id, value: .nan, requirement: "a number",
                                                 draw: first + i, modelInputs: layout.describeInputs(buffers, stride: n, draw: i)))
                }
            }
            for k in 0..<m { out[k].append(contentsOf: UnsafeBufferPointer(start: values + k * n, count: count)) }
            for (k, slot) in inputSlots.enumerated() {
                if let slot { drawn[k].append(contentsOf: UnsafeBufferPointer(start: slots + slot * n, count: count)) }
            }
            first += count
        }
        return (out, drawn)
    }
}
