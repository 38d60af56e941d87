/// A histogram of finite doubles that merges exactly: bins are the double's exponent
/// and its top 13 mantissa bits (relative width 2^-13 ≈ 1.2e-4), counts are integers, and
/// the exact minimum, maximum and up to 8 distinct exact values (atoms) are kept. Merging
/// in any order gives the same histogram, so summaries are identical for any thread count
/// or sharding.
///
/// Quantiles interpolate within a bin; they are exact when the values take at most 8
/// distinct values (e.g. point priors), and otherwise within one bin width (1.2e-4
/// relative) and typically far closer.
final class Histogram {
    /// Resolution: bins per power of two are 2^mantissaBits (relative width 2^-mantissaBits).
    let mantissaBits: Int
    let binsPerPage: Int
    private let shift: UInt64
    static let pageCount = 2047  // biased exponents 1...2046 (normal numbers), index = exponent

    @exclusivity(unchecked) private(set) var pages: [UnsafeMutablePointer<UInt64>?]
    /// Pages of negative values, by the exponent of their magnitude.
    @exclusivity(unchecked) private(set) var negativePages: [UnsafeMutablePointer<UInt64>?]
    /// Exact zeros and values below the smallest normal double.
    @exclusivity(unchecked) fileprivate(set) var zeros: UInt64 = 0
    @exclusivity(unchecked) fileprivate(set) var tiny: UInt64 = 0
    @exclusivity(unchecked) fileprivate(set) var count: UInt64 = 0
    @exclusivity(unchecked) fileprivate(set) var minimum = Double.infinity
    @exclusivity(unchecked) fileprivate(set) var maximum = -Double.infinity
    /// Up to 8 distinct exact values with counts; nil once there were more.
    @exclusivity(unchecked) fileprivate(set) var atoms: [(value: Double, count: UInt64)]? = []
    @exclusivity(unchecked) private var lastAtom = 0

    /// The page table the hot path writes through (no array bounds or uniqueness checks),
    /// indexed by a value's top 12 bits (sign and exponent): positive values' pages at
    /// 0..<2048, negative values' at 2048..<4096. Exponents 0 (zeros, subnormals) and 2047
    /// (±∞, NaN) never get a page. `pages` and `negativePages` mirror it for reading.
    fileprivate let table: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>
    /// The column path counts into 32-bit pages (half the cache footprint of the 64-bit
    /// ones), indexed like `table`, and adds them into `table`'s pages (`flush`) before
    /// anything reads the counts, or before a 32-bit count could overflow.
    private let hotTable: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>
    /// Values counted into the 32-bit pages since the last flush.
    @exclusivity(unchecked) private var hotCount: UInt64 = 0
    fileprivate var positiveTable: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?> { table }
    fileprivate var negativeTable: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?> { table + 2048 }

    /// `mantissaBits` 13 (the default, relative bin width 1.2e-4) for reported metrics; the
    /// drawn inputs use 8 (3.9e-3, pages of 2 KiB that stay in cache).
    init(mantissaBits: Int = 13) {
        self.mantissaBits = mantissaBits
        binsPerPage = 1 << mantissaBits
        shift = UInt64(52 - mantissaBits)
        pages = [UnsafeMutablePointer<UInt64>?](repeating: nil, count: Self.pageCount)
        negativePages = pages
        table = .allocate(capacity: 4096)
        table.initialize(repeating: nil, count: 4096)
        hotTable = .allocate(capacity: 4096)
        hotTable.initialize(repeating: nil, count: 4096)
    }

    deinit {
        for p in pages + negativePages { p?.deallocate() }
        table.deallocate()
        for i in 0..<4096 { hotTable[i]?.deallocate() }
        hotTable.deallocate()
    }

    fileprivate func syncPages() {
        for e in 0..<Self.pageCount {
            pages[e] = positiveTable[e]
            negativePages[e] = negativeTable[e]
        }
    }

    /// Adds one finite value (and records it while exact values are kept).
    func add(_ v: Double) {
        if atoms != nil { recordAtom(v) }
        withUnsafePointer(to: v) { count(column: $0, count: 1, finite: 1, minimum: v, maximum: v) }
    }

    /// Whether the histogram still keeps exact values (`add` must then see every value);
    /// once it has seen more than 8 distinct values it never does again.
    var keepsAtoms: Bool { atoms != nil }

    private enum Rare { case zero, tiny, newPage, notFinite }

    /// A zero, a subnormal, ±∞ or NaN, or a value whose 32-bit page does not exist yet
    /// (allocated here). Out of line, and without access to `self`, so that the counting
    /// loop keeps its state in registers.
    @inline(never) private static func addRare(_ bits: UInt64, table: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>,
                                               shift: UInt64, mask: UInt64) -> Rare {
        let exponent = (bits &>> 52) & 0x7ff
        if exponent == 0x7ff { return .notFinite }
        if exponent == 0 { return bits & ((1 << 63) - 1) == 0 ? .zero : .tiny }
        let page = UnsafeMutablePointer<UInt32>.allocate(capacity: Int(mask) + 1)
        page.initialize(repeating: 0, count: Int(mask) + 1)
        page[Int((bits &>> shift) & mask)] = 1
        table[Int(bits &>> 52)] = page
        return .newPage
    }

    /// Counts a column's finite values into their bins, given their number, minimum and
    /// maximum (from `ColumnScan`; `add` passes one value). Counts go to the 32-bit pages.
    /// While the histogram keeps exact values, every value must come through `add`.
    @inline(never)
    func count(column: UnsafePointer<Double>, count n: Int, finite: UInt64, minimum lo: Double, maximum hi: Double) {
        if hotCount &+ UInt64(n) > UInt64(UInt32.max) { flush() }
        hotCount &+= UInt64(n)
        let hot = hotTable, shift = shift, mask = UInt64(binsPerPage - 1)
        var zeroCount: UInt64 = 0, tinyCount: UInt64 = 0
        for i in 0..<n {
            let bits = column[i].bitPattern
            if let page = hot[Int(bits &>> 52)] {
                page[Int((bits &>> shift) & mask)] &+= 1
                continue
            }
            switch Self.addRare(bits, table: hot, shift: shift, mask: mask) {
            case .zero: zeroCount &+= 1
            case .tiny: tinyCount &+= 1
            case .newPage, .notFinite: break
            }
        }
        count &+= finite
        zeros &+= zeroCount
        tiny &+= tinyCount
        minimum = Swift.min(minimum, lo)
        maximum = Swift.max(maximum, hi)
    }

    /// Adds the 32-bit pages' counts into the 64-bit pages and clears them.
    func flush() {
        guard hotCount > 0 else { return }
        for i in 0..<4096 {
            guard let hot = hotTable[i] else { continue }
            if table[i] == nil {
                let page = UnsafeMutablePointer<UInt64>.allocate(capacity: binsPerPage)
                page.initialize(repeating: 0, count: binsPerPage)
                table[i] = page
            }
            let page = table[i]!
            for b in 0..<binsPerPage { page[b] &+= UInt64(hot[b]) }
            hot.update(repeating: 0, count: binsPerPage)
        }
        hotCount = 0
        syncPages()
    }

    private func recordAtom(_ v: Double) {
        if lastAtom < atoms!.count, atoms![lastAtom].value == v {
            atoms![lastAtom].count &+= 1
            return
        }
        if let i = atoms!.firstIndex(where: { $0.value == v }) {
            atoms![i].count &+= 1
            lastAtom = i
        } else if atoms!.count < 8 {
            atoms!.append((v, 1))
            lastAtom = atoms!.count - 1
        } else {
            atoms = nil
        }
    }

    /// Adds `other`'s counts into this histogram (same resolution).
    func merge(_ other: Histogram) {
        precondition(other.mantissaBits == mantissaBits)
        flush()
        other.flush()
        count &+= other.count
        zeros &+= other.zeros
        tiny &+= other.tiny
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        func add(_ from: [UnsafeMutablePointer<UInt64>?], _ into: inout [UnsafeMutablePointer<UInt64>?]) {
            for (e, page) in from.enumerated() {
                guard let page else { continue }
                if into[e] == nil {
                    let mine = UnsafeMutablePointer<UInt64>.allocate(capacity: binsPerPage)
                    mine.initialize(repeating: 0, count: binsPerPage)
                    into[e] = mine
                }
                let mine = into[e]!
                for b in 0..<binsPerPage { mine[b] &+= page[b] }
            }
        }
        add(other.pages, &pages)
        add(other.negativePages, &negativePages)
        for e in 0..<Self.pageCount {
            positiveTable[e] = pages[e]
            negativeTable[e] = negativePages[e]
        }
        if var mine = atoms, let theirs = other.atoms {
            for (v, c) in theirs {
                if let i = mine.firstIndex(where: { $0.value == v }) { mine[i].count &+= c } else { mine.append((v, c)) }
            }
            atoms = mine.count <= 8 ? mine : nil
        } else {
            atoms = nil
        }
    }

    /// The non-empty bins in increasing order, for quantile queries.
    func cumulative() -> CumulativeBins {
        flush()
        var bins: [CumulativeBins.Bin] = []
        if let atoms {
            for (v, c) in atoms.sorted(by: { $0.value < $1.value }) { bins.append(.init(low: v, high: v, count: c)) }
            return CumulativeBins(bins: bins, minimum: minimum, maximum: maximum)
        }
        func edges(_ e: Int, _ b: Int) -> (Double, Double) {
            let lowBits = UInt64(e) << 52 | UInt64(b) << shift
            return (Double(bitPattern: lowBits), Double(bitPattern: lowBits + (1 << shift)))
        }
        for e in (1..<Self.pageCount).reversed() {
            guard let page = negativePages[e] else { continue }
            for b in (0..<binsPerPage).reversed() where page[b] > 0 {
                let (lo, hi) = edges(e, b)
                bins.append(.init(low: -hi, high: -lo, count: page[b]))
            }
        }
        // Exact zeros and subnormals (of either sign) sit between the two.
        if tiny > 0 { bins.append(.init(low: -Double.leastNormalMagnitude, high: Double.leastNormalMagnitude, count: tiny)) }
        if zeros > 0 { bins.append(.init(low: 0, high: 0, count: zeros)) }
        for e in 1..<Self.pageCount {
            guard let page = pages[e] else { continue }
            for b in 0..<binsPerPage where page[b] > 0 {
                let (lo, hi) = edges(e, b)
                bins.append(.init(low: lo, high: hi, count: page[b]))
            }
        }
        return CumulativeBins(bins: bins, minimum: minimum, maximum: maximum)
    }
}

/// Sorted non-empty bins with running counts: order statistics by rank.
struct CumulativeBins {
    struct Bin { var low: Double; var high: Double; var count: UInt64 }
    let bins: [Bin]
    /// Number of values before each bin.
    let before: [UInt64]
    let total: UInt64
    let minimum: Double, maximum: Double

    init(bins: [Bin], minimum: Double, maximum: Double) {
        self.bins = bins
        self.minimum = minimum
        self.maximum = maximum
        var running: UInt64 = 0
        var before: [UInt64] = []
        before.reserveCapacity(bins.count)
        for b in bins { before.append(running); running += b.count }
        self.before = before
        total = running
    }

    /// The k-th smallest value (0-based), interpolated within its bin: the bin's values are
    /// taken as evenly spread over it. Clamped to the exact minimum and maximum.
    func orderStatistic(_ k: UInt64) -> Double {
        precondition(k < total)
        var lo = 0, hi = bins.count - 1
        while lo < hi {  // last bin whose `before` ≤ k
            let mid = (lo + hi + 1) / 2
            if before[mid] <= k { lo = mid } else { hi = mid - 1 }
        }
        let bin = bins[lo]
        let position = (Double(k - before[lo]) + 0.5) / Double(bin.count)
        let v = bin.low + position * (bin.high - bin.low)
        return Swift.min(Swift.max(v, minimum), maximum)
    }

    /// How many values are ≤ x, with a bin's values taken as evenly spread over it.
    func count(atOrBelow x: Double) -> Double {
        if x >= maximum { return Double(total) }
        if x < minimum { return 0 }
        var lo = 0, hi = bins.count  // first bin whose high > x
        while lo < hi {
            let mid = (lo + hi) / 2
            if bins[mid].high <= x { lo = mid + 1 } else { hi = mid }
        }
        guard lo < bins.count else { return Double(total) }
        let bin = bins[lo]
        var c = Double(before[lo])
        if bin.low <= x {
            c += bin.high > bin.low ? Double(bin.count) * (x - bin.low) / (bin.high - bin.low) : Double(bin.count)
        }
        return c
    }

    /// The value at fractional rank h in [0, total − 1] (linear between order statistics).
    func value(atRank h: Double) -> Double {
        let k = UInt64(h.rounded(.down))
        let frac = h - Double(k)
        let a = orderStatistic(k)
        guard frac > 0, k + 1 < total else { return a }
        return a + frac * (orderStatistic(k + 1) - a)
    }
}

// MARK: - Serialisation (shard partials)

extension Histogram {
    func encode(into w: inout ByteWriter) {
        flush()
        w.int(mantissaBits)
        w.uint(count); w.uint(zeros); w.uint(tiny)
        w.double(minimum); w.double(maximum)
        if let atoms {
            w.int(atoms.count)
            for (v, c) in atoms { w.double(v); w.uint(c) }
        } else {
            w.int(-1)
        }
        for table in [pages, negativePages] {
            let used = table.indices.filter { table[$0] != nil }
            w.int(used.count)
            for e in used {
                w.int(e)
                let page = table[e]!
                for b in 0..<binsPerPage { w.uint(page[b]) }
            }
        }
    }

    /// Reads a histogram written by `encode`, checking it before trusting it: the
    /// resolution the run uses (`mantissaBits`), every page's size against the bytes left
    /// (before allocating), no page twice, and the counts adding up (zeros, tiny values,
    /// bins and exact values each summing to `count`; finite extremes in order).
    static func decode(from r: inout ByteReader, mantissaBits: Int) throws(ByteReader.Failure) -> Histogram {
        let bits = try r.int()
        guard bits == mantissaBits else { throw .corrupt("histogram resolution \(bits), expected \(mantissaBits)") }
        let h = Histogram(mantissaBits: bits)
        h.count = try r.uint(); h.zeros = try r.uint(); h.tiny = try r.uint()
        h.minimum = try r.double(); h.maximum = try r.double()
        let atomCount = try r.int()
        if atomCount < 0 {
            h.atoms = nil
        } else {
            guard atomCount <= 8 else { throw .corrupt("atoms") }
            h.atoms = try (0..<atomCount).map { _ throws(ByteReader.Failure) in (try r.double(), try r.uint()) }
        }
        var total = h.zeros.addingReportingOverflow(h.tiny)
        for negative in [false, true] {
            let used = try r.int()
            guard (0...pageCount).contains(used) else { throw .corrupt("page count") }
            for _ in 0..<used {
                let e = try r.int()
                guard (1..<pageCount).contains(e) else { throw .corrupt("page exponent") }
                let table = negative ? h.negativeTable : h.positiveTable
                guard table[e] == nil else { throw .corrupt("page \(e) twice") }
                guard (r.bytes.count - r.offset) / 8 >= h.binsPerPage else { throw .truncated }
                let page = UnsafeMutablePointer<UInt64>.allocate(capacity: h.binsPerPage)
                table[e] = page  // owned by h from here (freed by its deinit)
                h.syncPages()
                for b in 0..<h.binsPerPage {
                    page[b] = try r.uint()
                    let sum = total.partialValue.addingReportingOverflow(page[b])
                    total = (sum.partialValue, total.overflow || sum.overflow)
                }
            }
        }
        h.syncPages()
        guard !total.overflow, total.partialValue == h.count else { throw .corrupt("histogram counts") }
        if h.count > 0 {
            guard h.minimum.isFinite, h.maximum.isFinite, h.minimum <= h.maximum else { throw .corrupt("histogram extremes") }
        }
        if let atoms = h.atoms {
            var sum: UInt64 = 0
            for a in atoms {
                guard a.value.isFinite, a.value >= h.minimum, a.value <= h.maximum else { throw .corrupt("exact values") }
                let (next, overflow) = sum.addingReportingOverflow(a.count)
                guard !overflow else { throw .corrupt("exact values") }
                sum = next
            }
            guard sum == h.count else { throw .corrupt("exact values") }
        }
        return h
    }
}

/// Little-endian binary writing for partial results.
public struct ByteWriter {
    public var bytes: [UInt8] = []
    public init() {}
    public mutating func uint(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func int(_ v: Int) { uint(UInt64(bitPattern: Int64(v))) }
    public mutating func double(_ v: Double) { uint(v.bitPattern) }
}

/// Bounds-checked reading; a short or malformed file is an error, never a crash.
public struct ByteReader {
    public enum Failure: Error { case truncated, corrupt(String) }
    public let bytes: [UInt8]
    public var offset = 0
    public init(bytes: [UInt8], offset: Int = 0) { self.bytes = bytes; self.offset = offset }
    public mutating func uint() throws(Failure) -> UInt64 {
        guard offset + 8 <= bytes.count else { throw .truncated }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return v
    }
    public mutating func int() throws(Failure) -> Int { Int(Int64(bitPattern: try uint())) }
    public mutating func double() throws(Failure) -> Double { Double(bitPattern: try uint()) }
}
