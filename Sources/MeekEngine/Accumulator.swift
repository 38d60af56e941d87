/// What one worker learns about one metric: a mergeable histogram of the finite values,
/// counts of "never" and "no lead", and exact counts of values at or below thresholds
/// (for "happened by year Y"). All integer counts, so merging is order-independent.
final class MetricAccumulator {
    let histogram: Histogram
    @exclusivity(unchecked) var never: UInt64 = 0
    @exclusivity(unchecked) var noLead: UInt64 = 0
    let thresholds: [Double]
    @exclusivity(unchecked) var atOrBelow: [UInt64]

    init(thresholds: [Double], histogram: Histogram) {
        self.histogram = histogram
        self.thresholds = thresholds
        atOrBelow = [UInt64](repeating: 0, count: thresholds.count)
    }

    init(thresholds: [Double], mantissaBits: Int = 13) {
        histogram = Histogram(mantissaBits: mantissaBits)
        self.thresholds = thresholds
        atOrBelow = [UInt64](repeating: 0, count: thresholds.count)
    }

    @inline(always) func add(_ v: Double) {
        if v.isFinite {
            histogram.add(v)
            for i in thresholds.indices where v <= thresholds[i] { atOrBelow[i] &+= 1 }
        } else if v > 0 {
            never &+= 1
        } else {
            noLead &+= 1
        }
    }

    /// Adds a column of a block: the finite values to the histogram and the threshold
    /// counts, ±∞ to the never / no-lead counts. Returns the block's moments. Same result as
    /// `add` value by value, with the bookkeeping held in registers.
    func add(column: UnsafePointer<Double>, count n: Int, scratch: UnsafeMutablePointer<Double>) -> BlockSums {
        if !histogram.keepsAtoms && thresholds.count <= 4 { return addInOnePass(column: column, count: n) }
        var running = BlockSums.Running()
        var finite = 0
        var neverCount: UInt64 = 0, noLeadCount: UInt64 = 0
        for i in 0..<n {
            let v = column[i]
            if v.isFinite {
                scratch[finite] = v
                finite += 1
                running.add(v)
            } else if v > 0 {
                neverCount &+= 1
            } else {
                noLeadCount &+= 1
            }
        }
        never &+= neverCount
        noLead &+= noLeadCount
        histogram.add(finite: scratch, count: finite)
        if !thresholds.isEmpty {
            for (k, threshold) in thresholds.enumerated() {
                var c: UInt64 = 0
                for i in 0..<finite where scratch[i] <= threshold { c &+= 1 }
                atOrBelow[k] &+= c
            }
        }
        return running.finish()
    }

    /// `add(column:count:scratch:)` in a single pass once the histogram keeps no atoms and
    /// there are at most four thresholds (compared four at a time): the same counts and
    /// the same moments, operation for operation.
    private func addInOnePass(column: UnsafePointer<Double>, count n: Int) -> BlockSums {
        var running = BlockSums.Running()
        var neverCount: UInt64 = 0, noLeadCount: UInt64 = 0
        var bins = histogram.bins()
        var limits = SIMD4<Double>(repeating: -.infinity)  // never ≤ for unused lanes
        for (k, t) in thresholds.enumerated() { limits[k] = t }
        var below = SIMD4<Int64>()
        for i in 0..<n {
            let v = column[i]
            if v.isFinite {
                running.add(v)
                bins.add(v)
                below = below.replacing(with: below &+ 1, where: SIMD4(repeating: v) .<= limits)
            } else if v > 0 {
                neverCount &+= 1
            } else {
                noLeadCount &+= 1
            }
        }
        histogram.finish(bins)
        never &+= neverCount
        noLead &+= noLeadCount
        for k in thresholds.indices { atOrBelow[k] &+= UInt64(below[k]) }
        return running.finish()
    }

    func merge(_ other: MetricAccumulator) {
        histogram.merge(other.histogram)
        never &+= other.never
        noLead &+= other.noLead
        for i in atOrBelow.indices { atOrBelow[i] &+= other.atOrBelow[i] }
    }
}

/// Count, mean and sum of squared deviations of one metric's finite values over one block
/// of draws. Within a block the sums are of deviations from the block's first finite value
/// (stable without a division per value); blocks are combined in block order (Chan et al.'s
/// pairwise update), so means and standard deviations are bit-identical for any thread
/// count.
struct BlockSums: Sendable {
    var count = 0.0
    var mean = 0.0
    var m2 = 0.0

    /// Shifted sums of one block, turned into (count, mean, m2) by `finish`.
    struct Running {
        var n = 0.0, shift = 0.0, s1 = 0.0, s2 = 0.0
        @inline(always) mutating func add(_ x: Double) {
            if n == 0 { shift = x }
            n += 1
            let d = x - shift
            s1 += d
            s2 += d * d
        }
        func finish() -> BlockSums {
            guard n > 0 else { return BlockSums() }
            return BlockSums(count: n, mean: shift + s1 / n, m2: max(s2 - s1 * s1 / n, 0))
        }
    }

    mutating func combine(_ o: BlockSums) {
        guard o.count > 0 else { return }
        guard count > 0 else { self = o; return }
        let n = count + o.count
        let delta = o.mean - mean
        mean += delta * (o.count / n)
        m2 += o.m2 + delta * delta * (count * o.count / n)
        count = n
    }
}
