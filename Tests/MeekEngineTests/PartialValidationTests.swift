import Foundation
import MeekModel
@testable import MeekEngine
@testable import MeekPriors
import Testing

/// A partial with a valid checksum is not trusted: each crafted field below (re-encoded
/// with a valid checksum) is refused with a message, never a trap, a huge allocation or a
/// changed summary.
@Suite struct PartialValidationTests {
    /// Shards 0 and 1 of 2 of a small run, encoded.
    static func shards() throws -> [RunResult] {
        let file = try prior("""
            [run]
            converge_by = [2030, 2040]
            [inputs]
            g_i = { dist = "lognormal", median = 3.5, sigma = 0.2 }
            """)
        return try (0..<2).map { i in
            var c = RunConfiguration(prior: file, draws: 30_000, seed: 4, threads: 1)
            c.shard = (i, 2)
            return try Engine.run(c)
        }
    }

    /// The sealed bytes with the JSON header edited (and the checksum recomputed).
    static func editHeader(_ data: Data, _ edit: (inout [String: Any]) -> Void) -> Data {
        let payload = [UInt8](data.dropFirst(8).dropLast(32))
        var r = ByteReader(bytes: payload, offset: 8)
        let length = try! r.int()
        var header = try! JSONSerialization.jsonObject(with: Data(payload[16..<(16 + length)])) as! [String: Any]
        edit(&header)
        let json = [UInt8](try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        var w = ByteWriter()
        w.uint(Partial.formatVersion)
        w.int(json.count)
        return SealedFile.seal(magic: Partial.magic, payload: w.bytes + json + payload[(16 + length)...])
    }

    /// Merges shard 0 as given with an honest shard 1; returns the failure message.
    static func mergeFailure(_ part0: Data, _ part1: Data) -> String? {
        let dir = NSTemporaryDirectory() + "meek-partial-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = [dir + "/a.meekpart", dir + "/b.meekpart"]
        try! part0.write(to: URL(fileURLWithPath: paths[0]))
        try! part1.write(to: URL(fileURLWithPath: paths[1]))
        do {
            _ = try Partial.merge(try paths.map { path throws(Partial.Failure) in try Partial.load(path) })
            return nil
        } catch { return error.description }
    }

    @Test func honestShardsMerge() throws {
        let s = try Self.shards()
        #expect(Self.mergeFailure(Partial.encode(s[0], toolVersion: "t"), Partial.encode(s[1], toolVersion: "t")) == nil)
    }

    @Test func craftedHeadersAreRefused() throws {
        let s = try Self.shards()
        let good0 = Partial.encode(s[0], toolVersion: "t"), good1 = Partial.encode(s[1], toolVersion: "t")
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("shard count 1e12", { $0["shard_count"] = 1_000_000_000_000 }, "shards given"),
            ("seed abc", { $0["seed"] = "abc" }, "seed must be"),
            ("seed -1", { $0["seed"] = "-1" }, "seed must be"),
            ("draws 2^62", { $0["draws"] = 1 << 62 }, "draws must be"),
            ("other block range", { $0["blocks_to"] = 1 }, "its blocks are not shard 0"),
        ]
        for (name, edit, message) in cases {
            // Both shards carry the edit where it is a run-wide field, so the mismatch check
            // alone cannot catch it.
            let runWide = ["shard count 1e12", "seed abc", "seed -1", "draws 2^62"].contains(name)
            let failure = Self.mergeFailure(Self.editHeader(good0, edit), runWide ? Self.editHeader(good1, edit) : good1)
            #expect(failure?.contains(message) == true, "\(name): \(failure ?? "merged")")
        }
        // A boolean where a whole number belongs: Foundation bridges `true` to 1, which is shard
        // 1's own index, so only reading numbers strictly refuses it.
        let boolean = Self.mergeFailure(good0, Self.editHeader(good1, { $0["shard_index"] = true }))
        #expect(boolean?.contains("corrupted header") == true, "shard_index true: \(boolean ?? "merged")")
        // A header length of 2^63.
        var bytes = [UInt8](good0.dropLast(32))
        for k in 0..<8 { bytes[16 + k] = k == 7 ? 0x80 : 0 }
        let huge = SealedFile.seal(magic: Partial.magic, payload: Array(bytes.dropFirst(8)))
        #expect(Self.mergeFailure(huge, good1)?.contains("corrupted header") == true)
    }

    @Test func craftedPayloadsAreRefused() throws {
        let s = try Self.shards()
        let good1 = Partial.encode(s[1], toolVersion: "t")
        func variant(_ change: (RunResult) -> RunResult) -> Data { Partial.encode(change(s[0]), toolVersion: "t") }
        func rebuilt(_ r: RunResult, accumulators: [MetricAccumulator]? = nil, nodes: [MomentTree.Node]? = nil,
                     scenarioCounts: [Int]? = nil) -> RunResult {
            RunResult(configuration: r.configuration, accumulators: accumulators ?? r.accumulators,
                      momentNodes: nodes ?? r.momentNodes, blockRange: r.blockRange,
                      scenarioCounts: scenarioCounts ?? r.scenarioCounts, wallSeconds: 0, columns: r.columns)
        }
        let cases: [(String, Data, String)] = [
            ("10,000 value columns", variant { r in
                rebuilt(r, accumulators: (0..<10_000).map { _ in MetricAccumulator(thresholds: []) })
            }, "10000 value columns"),
            ("histogram resolution", variant { r in
                var a = r.accumulators
                a[0] = MetricAccumulator(thresholds: [2011, 2021], mantissaBits: 8)
                return rebuilt(r, accumulators: a)
            }, "histogram resolution 8, expected 13"),
            ("NaN moments", variant { r in
                var nodes = r.momentNodes
                nodes[0].sums[0].mean = .nan
                return rebuilt(r, nodes: nodes)
            }, "moments not finite"),
            ("extra never count", variant { r in
                let a = r.accumulators
                let extra = MetricAccumulator(decoded: a[0].histogram, never: a[0].never + 1, noLead: a[0].noLead,
                                              atOrBelow: a[0].atOrBelow)
                return rebuilt(r, accumulators: [extra] + a.dropFirst())
            }, "counts add up to"),
            ("extra scenario draws", variant { r in rebuilt(r, scenarioCounts: r.scenarioCounts.map { $0 + 1 }) },
             "scenario counts"),
            ("missing moment node", variant { r in rebuilt(r, nodes: Array(r.momentNodes.dropLast())) }, "moment nodes"),
        ]
        for (name, data, message) in cases {
            let failure = Self.mergeFailure(data, good1)
            #expect(failure?.contains(message) == true, "\(name): \(failure ?? "merged")")
        }
    }
}
