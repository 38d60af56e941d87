/// The moments of a run reduced over a fixed tree of its blocks, so that the result is
/// bit-identical for any thread count, any shard count and any order in which blocks
/// complete, while memory and partial files stay O(1) in draws.
///
/// The tree: level 0 holds the blocks; node j of level ℓ + 1 is the left fold (in index
/// order, `BlockSums.combine`) of nodes `j·fanOut ..< (j+1)·fanOut` of level ℓ (fewer at the
/// run's end); the top is the single node covering every block. A run over a range of
/// blocks (all, or a shard's) folds every node whose blocks lie inside the range and keeps
/// the maximal such nodes — at most 2·(fanOut − 1) per level, about 900 at the engine's
/// maximum of 2^50 draws. A merge feeds the shards' nodes into a tree over the whole run,
/// which folds them exactly as one process would have.
struct MomentTree {
    /// Children per node.
    static let fanOut = 64

    /// A finished node: its level, index, and the moments of each value.
    struct Node: Sendable {
        var level: Int
        var index: Int
        var sums: [BlockSums]
    }

    let blockCount: Int
    let range: Range<Int>
    let valueCount: Int
    /// Nodes with some children in, by (level, index): the children so far.
    private var pending: [Key: [BlockSums?]] = [:]
    /// The maximal nodes inside the range, as they finish.
    private(set) var finished: [Node] = []

    private struct Key: Hashable { var level: Int, index: Int }

    init(blockCount: Int, range: Range<Int>, valueCount: Int) {
        self.blockCount = blockCount
        self.range = range
        self.valueCount = valueCount
    }

    /// Blocks spanned by node `index` of `level`, clipped to the run.
    func span(level: Int, index: Int) -> Range<Int> {
        let width = Self.width(level)
        let lower = index.multipliedReportingOverflow(by: width)
        guard !lower.overflow, lower.partialValue < blockCount else { return blockCount..<blockCount }
        return lower.partialValue..<(blockCount - lower.partialValue <= width ? blockCount : lower.partialValue + width)
    }

    /// Blocks per node of a level (saturating: no run has 2^62 blocks).
    static func width(_ level: Int) -> Int {
        var w = 1
        for _ in 0..<level {
            let (next, overflow) = w.multipliedReportingOverflow(by: fanOut)
            if overflow { return Int.max / 2 }
            w = next
        }
        return w
    }

    /// Whether the node covers every block of the run (the top).
    func isTop(level: Int, index: Int) -> Bool { index == 0 && span(level: level, index: 0).count == blockCount }

    /// The maximal nodes inside `range`: what a run over it finishes with, in block order.
    func expectedNodes() -> [(level: Int, index: Int)] {
        var out: [(Int, Int)] = []
        var b = range.lowerBound
        while b < range.upperBound {
            var level = 0, index = b
            while !isTop(level: level, index: index) {
                let parent = index / Self.fanOut
                let s = span(level: level + 1, index: parent)
                guard s.lowerBound >= range.lowerBound, s.upperBound <= range.upperBound else { break }
                level += 1
                index = parent
            }
            out.append((level, index))
            b = span(level: level, index: index).upperBound
        }
        return out
    }

    /// Adds a block's moments (level 0) or a finished node's (a merge).
    mutating func add(level: Int, index: Int, sums: [BlockSums]) {
        var level = level, index = index, sums = sums
        while true {
            let parent = index / Self.fanOut
            let s = span(level: level + 1, index: parent)
            if isTop(level: level, index: index) || s.lowerBound < range.lowerBound || s.upperBound > range.upperBound {
                finished.append(Node(level: level, index: index, sums: sums))
                return
            }
            let key = Key(level: level + 1, index: parent)
            let first = parent * Self.fanOut
            let children = (s.upperBound - s.lowerBound + Self.width(level) - 1) / Self.width(level)
            var slots = pending[key] ?? [BlockSums?](repeating: nil, count: children * valueCount)
            for m in 0..<valueCount { slots[(index - first) * valueCount + m] = sums[m] }
            guard slots.allSatisfy({ $0 != nil }) else { pending[key] = slots; return }
            pending[key] = nil
            var folded = [BlockSums](repeating: BlockSums(), count: valueCount)
            for c in 0..<children { for m in 0..<valueCount { folded[m].combine(slots[c * valueCount + m]!) } }
            level += 1
            index = parent
            sums = folded
        }
    }

    /// The moments of every value over the whole run (a tree over all blocks, complete).
    var total: [BlockSums]? {
        guard finished.count == 1, isTop(level: finished[0].level, index: finished[0].index) else { return nil }
        return finished[0].sums
    }
}
