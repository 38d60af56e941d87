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

    /// Adds a column of a block in one pass: the finite values to the moments, the histogram
    /// and the threshold counts (the first four compared at once, any further ones in a pass
    /// each), ±∞ to the never / no-lead counts. Returns the block's moments.
    func add(column: UnsafePointer<Double>, count n: Int) -> BlockSums {
        // While the histogram keeps exact values (a point prior, or its first values) they go
        // through it one by one; after that its bins are counted with the state in registers.
        if histogram.keepsAtoms { return add(column: column, count: n, into: ExactValues(histogram: histogram)).sums }
        let (sums, bins) = add(column: column, count: n, into: histogram.bins())
        histogram.finish(bins)
        return sums
    }

    /// The column loop, specialised for each sink; returns the sink's final state.
    @inline(never)
    private func add<Sink: FiniteValueSink>(column: UnsafePointer<Double>, count n: Int,
                                            into start: Sink) -> (sums: BlockSums, sink: Sink) {
        var sink = start
        var running = BlockSums.Running()
        var neverCount: UInt64 = 0, noLeadCount: UInt64 = 0
        var limits = SIMD4<Double>(repeating: -.infinity)  // never ≤ for unused lanes
        for (k, t) in thresholds.prefix(4).enumerated() { limits[k] = t }
        var below = SIMD4<Int64>()
        for i in 0..<n {
            let v = column[i]
            if v.isFinite {
                running.add(v)
                sink.add(v)
                below = below.replacing(with: below &+ 1, where: SIMD4(repeating: v) .<= limits)
            } else if v > 0 {
                neverCount &+= 1
            } else {
                noLeadCount &+= 1
            }
        }
        never &+= neverCount
        noLead &+= noLeadCount
        for k in thresholds.indices.prefix(4) { atOrBelow[k] &+= UInt64(below[k]) }
        for k in thresholds.indices.dropFirst(4) {
            var c: UInt64 = 0
            for i in 0..<n where column[i].isFinite && column[i] <= thresholds[k] { c &+= 1 }
            atOrBelow[k] &+= c
        }
        return (running.finish(), sink)
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

/// Where a column's finite values go: the histogram's counting state (`Histogram.Bins`), or
/// the histogram itself, value by value, while it keeps exact values.
protocol FiniteValueSink { mutating func add(_ v: Double) }

extension Histogram.Bins: FiniteValueSink {}

struct ExactValues: FiniteValueSink {
    let histogram: Histogram
    func add(_ v: Double) { histogram.add(v) }
}
