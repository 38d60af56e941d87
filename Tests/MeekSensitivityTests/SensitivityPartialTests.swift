import Foundation
import MeekEngine
import MeekModel
import MeekPriors
import MeekSensitivity
import Testing

/// Crafted sensitivity partials with valid checksums are refused with a message.
@Suite struct SensitivityPartialTests {
    static let prior = try! PriorFile.parse("""
        [inputs]
        g_i = { dist = "lognormal", median = 3.5, sigma = 0.1 }
        """, path: "t.toml", directory: priorsDirectory)

    /// Shard `index` of `count` of a 40-point design with one metric (values i + 0.5).
    static func part(_ index: Int, _ count: Int, range: Range<Int>? = nil, total: Int = 40, value: Double = 0.5) -> Data {
        let r = range ?? (index * total / count)..<((index + 1) * total / count)
        return SensitivityPartial.encode(prior: prior, baseSize: 8, metricIDs: ["m"], index: index, count: count, range: r,
                                         total: total, values: [r.map { Double($0) + value }], version: "t")
    }

    /// Loads and joins the given files; the failure message, or nil.
    static func failure(_ parts: [Data]) -> String? {
        let dir = NSTemporaryDirectory() + "meek-senspart-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            var loaded: [SensitivityPartial.Loaded] = []
            for (i, d) in parts.enumerated() {
                let path = dir + "/p\(i).meekpart"
                try! d.write(to: URL(fileURLWithPath: path))
                loaded.append(try SensitivityPartial.load(path))
            }
            _ = try SensitivityPartial.join(loaded, prior: prior, baseSize: 8, metricIDs: ["m"], version: "t")
            return nil
        } catch { return "\(error)" }
    }

    @Test func honestShardsJoin() { #expect(Self.failure([Self.part(0, 2), Self.part(1, 2)]) == nil) }

    @Test func craftedPartialsAreRefused() {
        // A header length of 2^63 (magic 8 bytes, then the length).
        var bytes = [UInt8](Self.part(0, 2).dropLast(32))
        for k in 0..<8 { bytes[8 + k] = k == 7 ? 0x80 : 0 }
        let huge = SealedFile.seal(magic: Array("MEEKSENS".utf8), payload: Array(bytes.dropFirst(8)))
        #expect(Self.failure([huge, Self.part(1, 2)])?.contains("corrupted header") == true)
        #expect(Self.failure([Self.part(0, 2, value: .nan), Self.part(1, 2)])?.contains("not a number") == true)
        #expect(Self.failure([Self.part(0, 1_000_000_000_000), Self.part(1, 1_000_000_000_000)])?.contains("shards given") == true)
        #expect(Self.failure([Self.part(0, 2, range: 0..<10), Self.part(1, 2, range: 10..<40)])?.contains("not shard 0's") == true)
    }
}
