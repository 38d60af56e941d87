import Foundation
import MeekEngine
import MeekPriors

/// A shard of a sensitivity analysis on disk: the model values at a contiguous range of the
/// Saltelli design's points, with the prior file's hash, the base size and the metrics, and
/// a SHA-256 checksum. Joining all shards gives exactly the values one process computes.
public enum SensitivityPartial {
    static let magic = Array("MEEKSENS".utf8)

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    public static func fileName(index: Int, count: Int) -> String { "sensitivity-part-\(index)-of-\(count).meekpart" }

    public static func encode(prior: PriorFile, baseSize: Int, metricIDs: [String], index: Int, count: Int,
                              range: Range<Int>, total: Int, values: [[Double]], version: String) -> Data {
        let header: [String: Any] = [
            "version": version, "prior_sha256": prior.sha256, "base_size": baseSize, "metrics": metricIDs,
            "shard_index": index, "shard_count": count, "from": range.lowerBound, "to": range.upperBound, "total": total,
        ]
        var bytes = magic
        let json = [UInt8]((try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data())
        append(UInt64(json.count), to: &bytes)
        bytes += json
        for column in values { for v in column { append(v.bitPattern, to: &bytes) } }
        bytes += SHA256.digest(bytes)
        return Data(bytes)
    }

    static func append(_ v: UInt64, to bytes: inout [UInt8]) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    static func read(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    public struct Loaded {
        public var path: String
        public var header: [String: Any]
        public var index: Int, count: Int
        public var range: Range<Int>
        public var values: [[Double]]
    }

    public static func load(_ path: String) throws(Failure) -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure("\(path): cannot be read") }
        let bytes = [UInt8](data)
        guard bytes.count > magic.count + 40, Array(bytes.prefix(magic.count)) == magic else {
            throw Failure("\(path): not a meek sensitivity partial")
        }
        let body = Array(bytes.dropLast(32))
        guard SHA256.digest(body) == Array(bytes.suffix(32)) else {
            throw Failure("\(path): checksum mismatch (truncated or corrupted; rerun this shard)")
        }
        let length = Int(read(body, at: magic.count))
        let start = magic.count + 8
        guard length > 0, start + length <= body.count,
              let header = try? JSONSerialization.jsonObject(with: Data(body[start..<(start + length)])) as? [String: Any],
              let index = header["shard_index"] as? Int, let count = header["shard_count"] as? Int,
              let from = header["from"] as? Int, let to = header["to"] as? Int, from <= to,
              let metrics = header["metrics"] as? [String] else {
            throw Failure("\(path): corrupted header")
        }
        let n = to - from
        guard body.count - (start + length) == 8 * n * metrics.count else { throw Failure("\(path): corrupted payload") }
        var offset = start + length
        var values: [[Double]] = []
        for _ in metrics {
            var column: [Double] = []
            column.reserveCapacity(n)
            for _ in 0..<n { column.append(Double(bitPattern: read(body, at: offset))); offset += 8 }
            values.append(column)
        }
        return Loaded(path: path, header: header, index: index, count: count, range: from..<to, values: values)
    }

    /// The design's values from all shards, after checking they belong to this analysis
    /// (prior file, base size, metrics, tool version) and cover it exactly once.
    public static func join(_ parts: [Loaded], prior: PriorFile, baseSize: Int, metricIDs: [String], version: String) throws(Failure) -> [[Double]] {
        guard let first = parts.first else { throw Failure("no sensitivity partials given") }
        for p in parts {
            if p.header["prior_sha256"] as? String != prior.sha256 { throw Failure("\(p.path): from another prior file than \(prior.path)") }
            if p.header["base_size"] as? Int != baseSize { throw Failure("\(p.path): base size \(p.header["base_size"] ?? "?") differs from --base \(baseSize)") }
            if p.header["metrics"] as? [String] != metricIDs { throw Failure("\(p.path): its metrics differ from the prior file's") }
            if p.header["version"] as? String != version { throw Failure("\(p.path): written by meek \(p.header["version"] ?? "?"), not \(version)") }
            if p.count != first.count { throw Failure("\(p.path): shard count \(p.count) differs from \(first.count)") }
        }
        let ordered: [Loaded]
        switch orderedShards(parts, count: first.count, index: \.index, path: \.path, fileName: { fileName(index: $0, count: first.count) }) {
        case .success(let parts): ordered = parts
        case .failure(let problem): throw Failure(problem.description)
        }
        var joined = [[Double]](repeating: [], count: metricIDs.count)
        var next = 0
        for (i, p) in ordered.enumerated() {
            guard p.range.lowerBound == next else { throw Failure("\(p.path): its points do not follow shard \(i - 1)'s") }
            next = p.range.upperBound
            for m in joined.indices { joined[m] += p.values[m] }
        }
        guard next == first.header["total"] as? Int else { throw Failure("the shards do not cover the whole design") }
        return joined
    }
}
