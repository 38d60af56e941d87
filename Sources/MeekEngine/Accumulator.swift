/// What one worker learns about one metric: a mergeable histogram of the finite values,
/// counts of "never" (+∞) and "no lead" (−∞), and exact counts of values at or below
/// thresholds (for "happened by year Y"). All integer counts, so merging is
/// order-independent. A NaN is no outcome: `add` reports it and the caller fails the draw.
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

    /// Adds a column of a block: one vector pass for the moments, extremes, threshold
    /// counts (the first four at once, any further ones in a pass each) and the never /
    /// no-lead counts, then one pass counting the finite values' bins. Returns the block's
    /// moments and how many values were NaN (the model failed: counted nowhere).
    func add(column: UnsafePointer<Double>, count n: Int) -> (sums: BlockSums, failed: UInt64) {
        var limits = SIMD4<Double>(repeating: -.infinity)  // never ≤ for unused lanes
        for (k, t) in thresholds.prefix(4).enumerated() { limits[k] = t }
        let scan = ColumnScan(column, count: n, limits: limits)
        never &+= scan.never
        noLead &+= scan.noLead
        for k in thresholds.indices.prefix(4) { atOrBelow[k] &+= UInt64(scan.below[k]) }
        for k in thresholds.indices.dropFirst(4) {
            var c: UInt64 = 0
            for i in 0..<n where column[i].isFinite && column[i] <= thresholds[k] { c &+= 1 }
            atOrBelow[k] &+= c
        }
        // While the histogram keeps exact values (a point prior, or its first values) they go
        // through it one by one.
        if histogram.keepsAtoms {
            for i in 0..<n where column[i].isFinite { histogram.add(column[i]) }
        } else {
            histogram.count(column: column, count: n, finite: scan.finite, minimum: scan.minimum, maximum: scan.maximum)
        }
        return (scan.sums, scan.failed)
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
/// (stable without a division per value; `ColumnScan`); blocks are combined in block order (Chan et al.'s
/// pairwise update), so means and standard deviations are bit-identical for any thread
/// count.
///
/// Values beyond ±2^500 would overflow the squares: their deviations are taken in units of
/// `scale`, a power of two (1 for every other column, so its arithmetic and bits are
/// unchanged), and `m2` is the sum of squares in those units. The mean and the standard
/// deviation are then finite whenever their true values are.
struct BlockSums: Sendable {
    var count = 0.0
    var mean = 0.0
    var m2 = 0.0
    var scale = 1.0

    /// Deviations beyond this magnitude are scaled (their squares would exceed 2^1000).
    static let largest = 0x1p500

    /// The sample standard deviation, `nil` with fewer than two values or when it is not
    /// representable.
    var sd: Double? {
        guard count > 1 else { return nil }
        let sd = (m2 / (count - 1)).squareRoot() * scale
        return sd.isFinite ? sd : nil
    }

    mutating func combine(_ o: BlockSums) {
        guard o.count > 0 else { return }
        guard count > 0 else { self = o; return }
        if o.scale != scale { rescale(to: Swift.max(scale, o.scale)) }
        var o = o
        o.rescale(to: scale)
        let n = count + o.count
        let delta = o.mean / scale - mean / scale  // exact divisions by a power of two
        mean = (mean / scale + delta * (o.count / n)) * scale
        m2 += o.m2 + delta * delta * (count * o.count / n)
        count = n
    }

    /// Expresses `m2` in units of `s` ≥ `scale` (exact: powers of two).
    mutating func rescale(to s: Double) {
        guard s != scale else { return }
        let r = scale / s
        m2 *= r * r
        scale = s
    }
}

/// One pass over a column, four values at a time: the finite values' count, moments
/// (deviations from the first finite value, summed per lane, the lanes added in a fixed
/// order), minimum and maximum; how many are at or below each of four limits; and the
/// counts of +∞ (never), of −∞ (no lead) and of NaN (a failed draw, no outcome).
struct ColumnScan {
    var finite: UInt64 = 0, never: UInt64 = 0, noLead: UInt64 = 0, failed: UInt64 = 0
    var minimum = Double.infinity, maximum = -Double.infinity
    var below = SIMD4<Int64>()
    var sums = BlockSums()

    typealias Lanes = SIMD4<Double>
    typealias Counts = SIMD4<Int64>

    @inline(never)
    init(_ column: UnsafePointer<Double>, count n: Int, limits: Lanes) {
        var first = 0
        while first < n, !column[first].isFinite { first += 1 }
        let shift = first < n ? column[first] : 0
        var s1 = Lanes(), s2 = Lanes(), count = Counts(), neverCount = Counts(), noLeadCount = Counts()
        var lo = Lanes(repeating: .infinity), hi = Lanes(repeating: -.infinity)
        var b0 = Counts(), b1 = Counts(), b2 = Counts(), b3 = Counts()
        let l0 = Lanes(repeating: limits[0]), l1 = Lanes(repeating: limits[1])
        let l2 = Lanes(repeating: limits[2]), l3 = Lanes(repeating: limits[3])
        @inline(always) func add(_ v: Lanes, valid: SIMDMask<Counts>) {
            let isFinite = valid .& (v.replacing(with: -v, where: v .< 0) .< .infinity)
            let d = (v - shift).replacing(with: 0, where: .!isFinite)
            s1 += d
            s2 += d * d
            count = count.replacing(with: count &+ 1, where: isFinite)
            neverCount = neverCount.replacing(with: neverCount &+ 1, where: valid .& (v .== .infinity))
            noLeadCount = noLeadCount.replacing(with: noLeadCount &+ 1, where: valid .& (v .== -.infinity))
            lo = lo.replacing(with: v, where: isFinite .& (v .< lo))
            hi = hi.replacing(with: v, where: isFinite .& (v .> hi))
            // Lane k of b_j counts values ≤ limit j (+∞ exceeds every limit; −∞ and NaN
            // are masked).
            b0 = b0.replacing(with: b0 &+ 1, where: isFinite .& (v .<= l0))
            b1 = b1.replacing(with: b1 &+ 1, where: isFinite .& (v .<= l1))
            b2 = b2.replacing(with: b2 &+ 1, where: isFinite .& (v .<= l2))
            b3 = b3.replacing(with: b3 &+ 1, where: isFinite .& (v .<= l3))
        }
        let all = SIMDMask<Counts>(repeating: true)
        var i = 0
        while i + 4 <= n {
            add(UnsafeRawPointer(column + i).loadUnaligned(as: Lanes.self), valid: all)
            i += 4
        }
        if i < n {
            var v = Lanes(), valid = SIMDMask<Counts>(repeating: false)
            for k in 0..<(n - i) { v[k] = column[i + k]; valid[k] = true }
            add(v, valid: valid)
        }
        finite = UInt64(count.wrappedSum())
        never = UInt64(neverCount.wrappedSum())
        noLead = UInt64(noLeadCount.wrappedSum())
        failed = UInt64(n) - finite - never - noLead
        minimum = Swift.min(Swift.min(lo[0], lo[1]), Swift.min(lo[2], lo[3]))
        maximum = Swift.max(Swift.max(hi[0], hi[1]), Swift.max(hi[2], hi[3]))
        below = Counts(b0.wrappedSum(), b1.wrappedSum(), b2.wrappedSum(), b3.wrappedSum())
        if finite > 0 {
            let m = Double(finite)
            if Swift.max(-minimum, maximum) > BlockSums.largest {
                sums = Self.scaledSums(column, count: n, shift: shift, finite: m, largest: Swift.max(-minimum, maximum))
                return
            }
            let t1 = (s1[0] + s1[1]) + (s1[2] + s1[3]), t2 = (s2[0] + s2[1]) + (s2[2] + s2[3])
            sums = BlockSums(count: m, mean: shift + t1 / m, m2: Swift.max(t2 - t1 * t1 / m, 0))
        }
    }

    /// The rare column with a value beyond ±2^500: its sums again, the deviations in units
    /// of the power of two at or above its largest magnitude.
    @inline(never)
    static func scaledSums(_ column: UnsafePointer<Double>, count n: Int, shift: Double, finite m: Double,
                           largest: Double) -> BlockSums {
        let scale = Double(sign: .plus, exponent: largest.exponent + 1, significand: 1)
        let s = shift / scale
        var t1 = 0.0, t2 = 0.0
        for i in 0..<n where column[i].isFinite {
            let d = column[i] / scale - s
            t1 += d
            t2 += d * d
        }
        return BlockSums(count: m, mean: (s + t1 / m) * scale, m2: Swift.max(t2 - t1 * t1 / m, 0), scale: scale)
    }
}
