import Foundation
@testable import MeekEngine
@testable import MeekPriors
import Testing

/// Sizes computed from a draw count never overflow, and a run's memory does not grow with
/// its draws (the moment tree keeps O(1) nodes).
@Suite struct SizeLimitTests {
    @Test func hugeDrawCountsAreRefusedWithoutOverflow() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/paper.toml")
        var c = RunConfiguration(prior: file, draws: Int.max)
        #expect(c.blockCount == Int.max / 8192 + 1)
        c.shard = (999_999_999_999, 1_000_000_000_000)
        #expect(c.blockRange.upperBound == c.blockCount)
        c.shard = (0, 0)
        #expect(c.blockRange.isEmpty)
        do {
            _ = try Engine.run(RunConfiguration(prior: file, draws: Int.max))
            Issue.record("2^63 - 1 draws accepted")
        } catch {
            #expect(error.description == "draws must be at most 2^50 = 1125899906842624 (got 9223372036854775807)")
        }
    }

    /// Blocks added in any order fold to the same bits as in order, and a range's maximal
    /// nodes are few even at the maximum draw count.
    @Test func momentTreeIsOrderIndependentAndSmall() {
        var g = SplitMix64(7)
        let blocks = 5000
        let sums = (0..<blocks).map { _ in
            BlockSums(count: Double(g.next() % 8192 + 1), mean: Double(g.next() >> 11) / 1e10, m2: Double(g.next() >> 11) / 1e6)
        }
        func total(_ order: [Int]) -> BlockSums {
            var t = MomentTree(blockCount: blocks, range: 0..<blocks, valueCount: 1)
            for b in order { t.add(level: 0, index: b, sums: [sums[b]]) }
            return t.total![0]
        }
        let inOrder = total(Array(0..<blocks))
        var shuffled = Array(0..<blocks)
        for i in stride(from: blocks - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        let other = total(shuffled)
        #expect(inOrder.mean.bitPattern == other.mean.bitPattern && inOrder.m2.bitPattern == other.m2.bitPattern)
        // Shards: their maximal nodes, fed into a tree over the whole run, give the same bits.
        var merged = MomentTree(blockCount: blocks, range: 0..<blocks, valueCount: 1)
        for (lo, hi) in [(0, 1234), (1234, 1235), (1235, 4097), (4097, 5000)] {
            var t = MomentTree(blockCount: blocks, range: lo..<hi, valueCount: 1)
            for b in (lo..<hi).reversed() { t.add(level: 0, index: b, sums: [sums[b]]) }
            #expect(t.finished.count == t.expectedNodes().count)
            for n in t.finished { merged.add(level: n.level, index: n.index, sums: n.sums) }
        }
        #expect(merged.total![0].mean.bitPattern == inOrder.mean.bitPattern)
        // At 2^50 draws (2^37 blocks), an unaligned range has at most 2·63 nodes per level.
        let most = RunConfiguration.maximumDraws / RunConfiguration.blockSize
        let nodes = MomentTree(blockCount: most, range: 12_345..<(most - 54_321), valueCount: 1).expectedNodes()
        #expect(nodes.count <= 2 * 63 * 7 && nodes.count > 100)
    }
}
