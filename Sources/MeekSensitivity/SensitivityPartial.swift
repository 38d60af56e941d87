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
        let json = [UInt8]((try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data())
        var w = ByteWriter()
        w.int(json.count)
        w.bytes += json
        for column in values { for v in column { w.double(v) } }
        return SealedFile.seal(magic: magic, payload: w.bytes)
    }

    public struct Loaded {
        public var path: String
        public var header: [String: Any]
        public var index: Int, count: Int
        public var range: Range<Int>
        public var values: [[Double]]
    }

    public static func load(_ path: String) throws(Failure) -> Loaded {
        let body: [UInt8]
        switch SealedFile.open(path, magic: magic, kind: "meek sensitivity partial") {
        case .success(let payload): body = payload
        case .failure(let problem): throw Failure(problem.description)
        }
        var r = ByteReader(bytes: body)
        // Every length is checked against the bytes there are before it is used.
        guard let length = try? r.int(), length > 0, length <= body.count - r.offset,
              let header = try? JSONSerialization.jsonObject(with: Data(body[r.offset..<(r.offset + length)])) as? [String: Any],
              let index = jsonInteger(header["shard_index"]), let count = jsonInteger(header["shard_count"]),
              let from = jsonInteger(header["from"]), let to = jsonInteger(header["to"]), from >= 0, from <= to,
              let metrics = header["metrics"] as? [String] else {
            throw Failure("\(path): corrupted header")
        }
        r.offset += length
        let n = to - from
        let (bytes, overflow) = n.multipliedReportingOverflow(by: 8 * metrics.count)
        guard !overflow, body.count - r.offset == bytes else { throw Failure("\(path): corrupted payload") }
        var values: [[Double]] = []
        for _ in metrics {
            var column: [Double] = []
            column.reserveCapacity(n)
            for _ in 0..<n {
                guard let v = try? r.double(), !v.isNaN else { throw Failure("\(path): a value is not a number") }
                column.append(v)
            }
            values.append(column)
        }
        return Loaded(path: path, header: header, index: index, count: count, range: from..<to, values: values)
    }

    /// The design's values from all shards, after checking they belong to this analysis
    /// (prior file, base size, metrics, tool version) and cover it exactly once.
    public static func join(_ parts: [Loaded], prior: PriorFile, baseSize: Int, metricIDs: [String], version: String) throws(Failure) -> [[Double]] {
        guard let first = parts.first else { throw Failure("no sensitivity partials given") }
        guard let total = jsonInteger(first.header["total"]), total >= 0 else { throw Failure("\(first.path): corrupted header") }
        guard first.count >= 1 else { throw Failure("\(first.path): shard count must be at least 1") }
        // Listing the missing shards is O(count): bounded by the files given.
        guard first.count <= parts.count + 64 else { throw Failure("only \(parts.count) of \(first.count) shards given") }
        for p in parts {
            if p.header["prior_sha256"] as? String != prior.sha256 { throw Failure("\(p.path): from another prior file than \(prior.path)") }
            if jsonInteger(p.header["base_size"]) != baseSize { throw Failure("\(p.path): base size \(jsonInteger(p.header["base_size"]).map(String.init) ?? "(not a whole number)") differs from --base \(baseSize)") }
            if p.header["metrics"] as? [String] != metricIDs { throw Failure("\(p.path): its metrics differ from the prior file's") }
            if p.header["version"] as? String != version { throw Failure("\(p.path): written by meek \(p.header["version"] ?? "?"), not \(version)") }
            if p.count != first.count { throw Failure("\(p.path): shard count \(p.count) differs from \(first.count)") }
            if jsonInteger(p.header["total"]) != total { throw Failure("\(p.path): design size differs from \(first.path)'s") }
        }
        let ordered: [Loaded]
        switch orderedShards(parts, count: first.count, index: \.index, path: \.path, fileName: { fileName(index: $0, count: first.count) }) {
        case .success(let parts): ordered = parts
        case .failure(let problem): throw Failure(problem.description)
        }
        var joined = [[Double]](repeating: [], count: metricIDs.count)
        var next = 0
        /// Shard i's first point, `i·total/count`, without overflow.
        func boundary(_ i: Int) -> Int { first.count.dividingFullWidth(i.multipliedFullWidth(by: total)).quotient }
        for (i, p) in ordered.enumerated() {
            guard p.range == boundary(i)..<boundary(i + 1) else { throw Failure("\(p.path): its points are not shard \(i)'s") }
            next = p.range.upperBound
            for m in joined.indices { joined[m] += p.values[m] }
        }
        guard next == total else { throw Failure("the shards do not cover the whole design") }
        return joined
    }
}
