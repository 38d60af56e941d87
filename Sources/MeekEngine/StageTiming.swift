import Dispatch
import MeekModel
import MeekPriors

/// Where the nanoseconds go: times each stage of the block pipeline on one thread, for
/// `meek-bench`. Not used by runs.
public enum StageTiming {
    /// Nanoseconds per draw of: the uniform design, drawing inputs, the gap model and
    /// metrics, and accumulating the values.
    public static func measure(_ config: RunConfiguration, draws: Int) -> [(stage: String, nanoseconds: Double)] {
        let plan = config.plan()
        let layout = BlockLayout(plan: plan, prior: config.prior, metrics: config.metrics)
        let n = RunConfiguration.blockSize, p = RunConfiguration.partSize
        let blocks = max(1, draws / n)
        let design = config.design(plan)
        // As a run: in parts (the uniforms too, under plain Monte Carlo).
        let inParts = design.fillsInParts
        let buffers = BlockBuffers(plan: plan, stride: p, uStride: inParts ? p : n)
        let slots = buffers.values
        let values = UnsafeMutablePointer<Double>.allocate(capacity: config.metrics.count * p)
        defer { values.deallocate() }
        let inputs = layout.inputs(buffers)
        let inputSlots = config.prior.uncertainInputs.map { plan.names.firstIndex(of: $0)! }
        let accumulators = (0..<(config.metrics.count + inputSlots.count)).map {
            MetricAccumulator(thresholds: [], mantissaBits: $0 < config.metrics.count ? 13 : 8)
        }
        var times = [UInt64](repeating: 0, count: 5)
        for b in 0..<blocks {
            var t0 = DispatchTime.now().uptimeNanoseconds
            func lap(_ k: Int) { let t = DispatchTime.now().uptimeNanoseconds; times[k] += t - t0; t0 = t }
            if !inParts { design.fill(buffers.uniforms, block: b, first: b * n, count: n, stride: n) }
            lap(0)
            for start in stride(from: 0, to: n, by: p) {
                if inParts {
                    design.fillPart(buffers.uniforms, block: b, restart: start == 0, count: p, stride: p)
                    lap(0)
                } else {
                    buffers.window(at: start)
                }
                // Lean parts past the inputs-as-drawn table's blocks.
                _ = plan.drawBlock(buffers, count: p, allValues: b < RunConfiguration.inputSummaryBlocks || layout.needsAllValues)
                lap(1)
                layout.evaluate(inputs, columns: slots, stride: p, count: p, into: values)
                lap(2)
                for (m, accumulator) in accumulators.enumerated() where m < config.metrics.count {
                    _ = accumulator.add(column: values + m * p, count: p)
                }
                lap(3)
                // Timed on every block: the cost per draw where a run pays it.
                for (m, accumulator) in accumulators.enumerated() where m >= config.metrics.count {
                    _ = accumulator.add(column: slots + inputSlots[m - config.metrics.count] * p, count: p)
                }
                lap(4)
            }
        }
        let total = Double(blocks * n)
        return zip(["uniforms (design)", "inputs (plan)", "gap model + metrics", "accumulate metrics",
                    "accumulate inputs (first \(RunConfiguration.inputSummaryBlocks * n) draws only)"], times).map { ($0, Double($1) / total) }
    }
}
