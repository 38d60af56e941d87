import Foundation
import MeekPriors

/// A shard's result on disk: everything a merge needs to produce exactly what one process
/// would have written, and nothing that could let shards of different runs mix.
///
/// Layout: the magic `MEEKPART`, the format version, a JSON header (tool version, the prior
/// file's text and SHA-256, seed, sampler, draws, shard i of n, its block range, the value
/// columns), then the binary payload (per value: counts and the histogram; per block: the
/// moments; per scenario: draws), and last the SHA-256 of everything before it, so a
/// truncated or corrupted file is detected.
public enum Partial {
    public static let magic = Array("MEEKPART".utf8)
    public static let formatVersion: UInt64 = 2
    public static let fileExtension = "meekpart"

    /// Why partials cannot be merged.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// The file name of shard i of n.
    public static func fileName(index: Int, count: Int) -> String { "part-\(index)-of-\(count).\(fileExtension)" }

    /// Encodes a shard's result.
    public static func encode(_ result: RunResult, toolVersion: String) -> Data {
        let c = result.configuration
        let header: [String: Any] = [
            "tool": "meek", "version": toolVersion, "format": Int(formatVersion),
            "prior_file": c.prior.path, "prior_sha256": c.prior.sha256, "prior_text": c.prior.text,
            "prior_directory": c.prior.directory,
            "seed": String(c.seed), "sampler": c.sampler.rawValue, "draws": c.draws,
            "shard_index": c.shard?.index ?? 0, "shard_count": c.shard?.count ?? 1,
            "blocks_from": result.blockRange.lowerBound, "blocks_to": result.blockRange.upperBound,
            "block_size": RunConfiguration.blockSize, "values": result.valueIDs,
            "wall_seconds": result.wallSeconds, "threads": c.threads,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data()
        var w = ByteWriter()
        w.uint(formatVersion)
        w.int(json.count)
        w.bytes.append(contentsOf: json)
        w.int(result.accumulators.count)
        for a in result.accumulators {
            w.uint(a.never); w.uint(a.noLead)
            w.int(a.atOrBelow.count)
            for v in a.atOrBelow { w.uint(v) }
            a.histogram.encode(into: &w)
        }
        w.int(result.blockMoments.count)
        for m in result.blockMoments { w.double(m.count); w.double(m.mean); w.double(m.m2); w.double(m.scale) }
        w.int(result.scenarioCounts.count)
        for s in result.scenarioCounts { w.int(s) }
        return SealedFile.seal(magic: magic, payload: w.bytes)
    }

    /// A decoded partial, with its header.
    public struct Loaded {
        public var path: String
        public var header: [String: Any]
        public var index: Int
        public var count: Int
        var accumulators: [MetricAccumulator]
        var blockMoments: [BlockSums]
        var blockRange: Range<Int>
        var scenarioCounts: [Int]
    }

    /// Reads and checks one partial file (magic, version, checksum, structure).
    public static func load(_ path: String) throws(Failure) -> Loaded {
        let body: [UInt8]
        switch SealedFile.open(path, magic: magic, kind: "meek partial result") {
        case .success(let payload): body = payload
        case .failure(let problem): throw Failure(problem.description)
        }
        var r = ByteReader(bytes: body)
        do {
            guard try r.uint() == formatVersion else { throw Failure("\(path): partial format version differs from this meek's (\(formatVersion))") }
            let length = try r.int()
            guard length > 0, r.offset + length <= body.count else { throw Failure("\(path): corrupted header") }
            let json = Data(body[r.offset..<(r.offset + length)])
            r.offset += length
            guard let header = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
                throw Failure("\(path): corrupted header")
            }
            let values = try r.int()
            guard (0...10_000).contains(values) else { throw Failure("\(path): corrupted payload") }
            var accumulators: [MetricAccumulator] = []
            for _ in 0..<values {
                let never = try r.uint(), noLead = try r.uint()
                let thresholds = try r.int()
                guard (0...10_000).contains(thresholds) else { throw Failure("\(path): corrupted payload") }
                let atOrBelow = try (0..<thresholds).map { _ throws(ByteReader.Failure) in try r.uint() }
                let histogram = try Histogram.decode(from: &r)
                accumulators.append(MetricAccumulator(decoded: histogram, never: never, noLead: noLead, atOrBelow: atOrBelow))
            }
            let moments = try r.int()
            guard moments >= 0, moments <= (body.count - r.offset) / 32 else { throw Failure("\(path): corrupted payload") }
            let blockMoments = try (0..<moments).map { _ throws(ByteReader.Failure) in
                BlockSums(count: try r.double(), mean: try r.double(), m2: try r.double(), scale: try r.double())
            }
            let scenarios = try r.int()
            guard (0...10_000).contains(scenarios) else { throw Failure("\(path): corrupted payload") }
            let scenarioCounts = try (0..<scenarios).map { _ throws(ByteReader.Failure) in try r.int() }
            guard let index = header["shard_index"] as? Int, let count = header["shard_count"] as? Int,
                  let from = header["blocks_from"] as? Int, let to = header["blocks_to"] as? Int, from <= to else {
                throw Failure("\(path): corrupted header")
            }
            return Loaded(path: path, header: header, index: index, count: count, accumulators: accumulators,
                          blockMoments: blockMoments, blockRange: from..<to, scenarioCounts: scenarioCounts)
        } catch let e as Failure {
            throw e
        } catch {
            throw Failure("\(path): truncated or corrupted payload")
        }
    }

    /// Merges the partials of one sharded run into the result a single process would have
    /// produced (identical summaries). Refuses partials of different runs, a missing or
    /// duplicated shard, and (at load) a truncated or corrupted file.
    public static func merge(_ parts: [Loaded], threads: Int = 1) throws(Failure) -> RunResult {
        guard let first = parts.first else { throw Failure("no partial results given") }
        for key in ["version", "prior_sha256", "seed", "sampler", "draws", "shard_count", "block_size", "values"] {
            let reference = "\(first.header[key] ?? "none")"
            if let other = parts.first(where: { "\($0.header[key] ?? "none")" != reference }) {
                throw Failure("\(other.path) and \(first.path) come from different runs: \(key) differs (\(other.header[key] ?? "none") vs \(reference))")
            }
        }
        let count = first.count
        let ordered: [Loaded]
        switch orderedShards(parts, count: count, index: \.index, path: \.path, fileName: { fileName(index: $0, count: count) }) {
        case .success(let parts): ordered = parts
        case .failure(let problem): throw Failure(problem.description)
        }
        // The prior file the shards ran, from their own copy of its text.
        guard let text = first.header["prior_text"] as? String, let path = first.header["prior_file"] as? String,
              let directory = first.header["prior_directory"] as? String else {
            throw Failure("\(first.path): corrupted header")
        }
        let prior: PriorFile
        do { prior = try PriorFile.parse(text, path: path, directory: directory) } catch {
            throw Failure("\(first.path): its prior file no longer parses here: \(error)")
        }
        guard prior.sha256 == first.header["prior_sha256"] as? String else { throw Failure("\(first.path): corrupted prior text") }
        var config = RunConfiguration(prior: prior, draws: first.header["draws"] as? Int,
                                      seed: UInt64(first.header["seed"] as? String ?? ""),
                                      sampler: SamplerKind(rawValue: first.header["sampler"] as? String ?? ""), threads: threads)
        config.shard = nil
        // The shards tile the whole run, in order.
        var next = 0
        for p in ordered {
            guard p.blockRange.lowerBound == next else { throw Failure("\(p.path): its blocks do not follow shard \(p.index - 1)'s") }
            next = p.blockRange.upperBound
        }
        guard next == config.blockCount else { throw Failure("the shards cover \(next) of \(config.blockCount) blocks") }
        let accumulators = ordered[0].accumulators
        for p in ordered.dropFirst() {
            guard p.accumulators.count == accumulators.count else { throw Failure("\(p.path): value columns differ") }
            for (m, a) in p.accumulators.enumerated() { accumulators[m].merge(a) }
        }
        var scenarioCounts = [Int](repeating: 0, count: ordered[0].scenarioCounts.count)
        for p in ordered { for (i, c) in p.scenarioCounts.enumerated() where i < scenarioCounts.count { scenarioCounts[i] += c } }
        let wall = ordered.compactMap { $0.header["wall_seconds"] as? Double }.reduce(0, +)
        return RunResult(configuration: config, accumulators: accumulators, blockMoments: ordered.flatMap(\.blockMoments),
                         blockRange: 0..<config.blockCount, scenarioCounts: scenarioCounts, wallSeconds: wall,
                         columns: Engine.columns(config))
    }
}

extension RunResult {
    /// Ids of the accumulated values: the metrics, then the uncertain inputs.
    var valueIDs: [String] { configuration.metrics.definitions.map(\.id) + configuration.prior.uncertainInputs }
}

extension MetricAccumulator {
    convenience init(decoded histogram: Histogram, never: UInt64, noLead: UInt64, atOrBelow: [UInt64]) {
        self.init(thresholds: [], histogram: histogram)
        self.never = never
        self.noLead = noLead
        self.atOrBelow = atOrBelow
    }
}
