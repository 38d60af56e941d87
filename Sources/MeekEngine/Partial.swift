import Foundation
import MeekPriors

/// A shard's result on disk: everything a merge needs to produce exactly what one process
/// would have written, and nothing that could let shards of different runs mix.
///
/// Layout: the magic `MEEKPART`, the format version, a JSON header (tool version, the prior
/// file's text and SHA-256, seed, sampler, draws, shard i of n, its block range, the value
/// columns), then the binary payload (per value: counts and the histogram; the shard's
/// moment-tree nodes; per scenario: draws), and last the SHA-256 of everything before it, so
/// a truncated or corrupted file is detected.
///
/// A valid checksum proves only that the file is as written, not that a meek wrote it: a
/// merge recomputes the run's configuration from the embedded prior text and checks every
/// field of every partial against it before using it (each length bounded before
/// anything is allocated, counts adding up to the shard's draws, moments finite).
public enum Partial {
    public static let magic = Array("MEEKPART".utf8)
    public static let formatVersion: UInt64 = 3
    public static let fileExtension = "meekpart"
    /// The longest JSON header a merge reads (the prior file's text is in it).
    static let maximumHeaderBytes = 64 << 20

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
        w.int(result.momentNodes.count)
        for node in result.momentNodes {
            w.int(node.level); w.int(node.index)
            for m in node.sums { w.double(m.count); w.double(m.mean); w.double(m.m2); w.double(m.scale) }
        }
        w.int(result.scenarioCounts.count)
        for s in result.scenarioCounts { w.int(s) }
        return SealedFile.seal(magic: magic, payload: w.bytes)
    }

    /// A partial whose framing and header are read; its payload is decoded by `merge`, which
    /// knows what to expect.
    public struct Loaded {
        public var path: String
        public var header: [String: Any]
        public var index: Int
        public var count: Int
        let body: [UInt8]
        let payloadStart: Int
    }

    /// Reads one partial file: magic, version, checksum and a bounded JSON header.
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
            guard length > 0, length <= maximumHeaderBytes, length <= body.count - r.offset else { throw Failure("\(path): corrupted header") }
            let json = Data(body[r.offset..<(r.offset + length)])
            r.offset += length
            guard let header = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
                  let index = jsonInteger(header["shard_index"]), let count = jsonInteger(header["shard_count"]) else {
                throw Failure("\(path): corrupted header")
            }
            return Loaded(path: path, header: header, index: index, count: count, body: body, payloadStart: r.offset)
        } catch let e as Failure {
            throw e
        } catch {
            throw Failure("\(path): truncated or corrupted header")
        }
    }

    /// Merges the partials of one sharded run into the result a single process would have
    /// produced (identical summaries). Refuses partials of different runs, a missing or
    /// duplicated shard, and any partial whose fields do not fit the run it claims to be of.
    public static func merge(_ parts: [Loaded], threads: Int = 1) throws(Failure) -> RunResult {
        guard let first = parts.first else { throw Failure("no partial results given") }
        for key in ["version", "prior_sha256", "prior_text", "seed", "sampler", "draws", "shard_count", "block_size", "values"] {
            let reference = "\(first.header[key] ?? "none")"
            if let other = parts.first(where: { "\($0.header[key] ?? "none")" != reference }) {
                throw Failure("\(other.path) and \(first.path) come from different runs: \(key) differs")
            }
        }
        // The run, recomputed from the shards' own copy of the prior file's text.
        guard let text = first.header["prior_text"] as? String, let path = first.header["prior_file"] as? String,
              let directory = first.header["prior_directory"] as? String else {
            throw Failure("\(first.path): corrupted header")
        }
        let prior: PriorFile
        do { prior = try PriorFile.parse(text, path: path, directory: directory) } catch {
            throw Failure("\(first.path): its prior file no longer parses here: \(error)")
        }
        guard prior.sha256 == first.header["prior_sha256"] as? String else { throw Failure("\(first.path): corrupted prior text") }
        guard let draws = jsonInteger(first.header["draws"]), (1...RunConfiguration.maximumDraws).contains(draws) else {
            throw Failure("\(first.path): draws must be from 1 to 2^50")
        }
        guard let seedText = first.header["seed"] as? String, let seed = UInt64(seedText), String(seed) == seedText else {
            throw Failure("\(first.path): seed must be a whole number from 0 to 2^64 - 1")
        }
        guard let sampler = SamplerKind(rawValue: first.header["sampler"] as? String ?? "") else {
            throw Failure("\(first.path): unknown sampler")
        }
        guard jsonInteger(first.header["block_size"]) == RunConfiguration.blockSize else {
            throw Failure("\(first.path): block size differs from this meek's (\(RunConfiguration.blockSize))")
        }
        var config = RunConfiguration(prior: prior, draws: draws, seed: seed, sampler: sampler, threads: threads)
        let count = first.count
        guard count >= 1 else { throw Failure("\(first.path): shard count must be at least 1") }
        // Listing the missing shards is O(count): bounded by the files given.
        guard count <= parts.count + 64 else { throw Failure("only \(parts.count) of \(count) shards given") }
        let ordered: [Loaded]
        switch orderedShards(parts, count: count, index: \.index, path: \.path, fileName: { fileName(index: $0, count: count) }) {
        case .success(let parts): ordered = parts
        case .failure(let problem): throw Failure(problem.description)
        }
        let valueIDs = config.metrics.definitions.map(\.id) + prior.uncertainInputs
        guard first.header["values"] as? [String] == valueIDs else { throw Failure("\(first.path): value columns differ from its prior file's") }
        let expected = Expected(config: config)

        var accumulators: [MetricAccumulator] = []
        var tree = MomentTree(blockCount: config.blockCount, range: 0..<config.blockCount, valueCount: valueIDs.count)
        var scenarioCounts = [Int](repeating: 0, count: prior.scenarios.count)
        for p in ordered {
            config.shard = (p.index, count)
            let range = config.blockRange
            guard jsonInteger(p.header["blocks_from"]) == range.lowerBound, jsonInteger(p.header["blocks_to"]) == range.upperBound else {
                throw Failure("\(p.path): its blocks are not shard \(p.index) of \(count)'s (\(range))")
            }
            let decoded: Decoded
            do { decoded = try decode(p, config: config, expected: expected) } catch let e as Failure { throw e } catch {
                throw Failure("\(p.path): truncated or corrupted payload")
            }
            if accumulators.isEmpty { accumulators = decoded.accumulators } else {
                for (m, a) in decoded.accumulators.enumerated() { accumulators[m].merge(a) }
            }
            for n in decoded.nodes { tree.add(level: n.level, index: n.index, sums: n.sums) }
            for (i, c) in decoded.scenarioCounts.enumerated() { scenarioCounts[i] += c }
        }
        config.shard = nil
        guard tree.total != nil else { throw Failure("the shards' moments do not cover the run") }
        let wall = ordered.compactMap { $0.header["wall_seconds"] as? Double }.filter(\.isFinite).reduce(0, +)
        return RunResult(configuration: config, accumulators: accumulators,
                         momentNodes: tree.finished,
                         blockRange: 0..<config.blockCount, scenarioCounts: scenarioCounts, wallSeconds: wall,
                         columns: Engine.columns(config))
    }

    /// What each value column of the run looks like: its thresholds and histogram resolution.
    struct Expected {
        var thresholds: [Int]
        var mantissaBits: [Int]
        var metricCount: Int

        init(config: RunConfiguration) {
            metricCount = config.metrics.count
            let inputs = config.prior.uncertainInputs.count
            thresholds = config.metrics.definitions.map { $0.isTime ? config.prior.run.convergeBy.count : 0 }
                + [Int](repeating: 0, count: inputs)
            mantissaBits = [Int](repeating: 13, count: metricCount) + [Int](repeating: 8, count: inputs)
        }
    }

    struct Decoded {
        var accumulators: [MetricAccumulator]
        var nodes: [MomentTree.Node]
        var scenarioCounts: [Int]
    }

    /// Decodes a partial's payload for the shard `config.shard`, checking every field.
    static func decode(_ p: Loaded, config: RunConfiguration, expected e: Expected) throws -> Decoded {
        var r = ByteReader(bytes: p.body, offset: p.payloadStart)
        func fail(_ what: String) -> Failure { Failure("\(p.path): \(what)") }
        let range = config.blockRange
        let shardDraws = config.rangeDraws
        // The inputs-as-drawn columns cover the run's first blocks only.
        let summaryBlocks = range.clamped(to: 0..<RunConfiguration.inputSummaryBlocks)
        let inputDraws = summaryBlocks.isEmpty ? 0
            : min(summaryBlocks.upperBound * RunConfiguration.blockSize, config.draws) - summaryBlocks.lowerBound * RunConfiguration.blockSize
        let values = try r.int()
        guard values == e.thresholds.count else { throw fail("\(values) value columns, expected \(e.thresholds.count)") }
        var accumulators: [MetricAccumulator] = []
        for m in 0..<values {
            let never = try r.uint(), noLead = try r.uint()
            let thresholds = try r.int()
            guard thresholds == e.thresholds[m] else { throw fail("value \(m): \(thresholds) thresholds, expected \(e.thresholds[m])") }
            let atOrBelow = try (0..<thresholds).map { _ throws(ByteReader.Failure) in try r.uint() }
            let histogram: Histogram
            do { histogram = try Histogram.decode(from: &r, mantissaBits: e.mantissaBits[m]) } catch {
                if case .corrupt(let what) = error { throw fail("value \(m): \(what)") }
                throw error
            }
            let draws = UInt64(m < e.metricCount ? shardDraws : inputDraws)
            let (partial, overflow1) = histogram.count.addingReportingOverflow(never)
            let (sum, overflow2) = partial.addingReportingOverflow(noLead)
            guard !overflow1, !overflow2, sum == draws else { throw fail("value \(m): counts add up to \(sum), not the shard's \(draws) draws") }
            guard atOrBelow.allSatisfy({ $0 <= histogram.count }) else { throw fail("value \(m): threshold counts exceed its values") }
            accumulators.append(MetricAccumulator(decoded: histogram, never: never, noLead: noLead, atOrBelow: atOrBelow))
        }
        let tree = MomentTree(blockCount: config.blockCount, range: range, valueCount: values)
        let shape = tree.expectedNodes()
        let nodeCount = try r.int()
        guard nodeCount == shape.count else { throw fail("\(nodeCount) moment nodes, expected \(shape.count)") }
        var nodes: [MomentTree.Node] = []
        var counts = [Double](repeating: 0, count: values)
        for (level, index) in shape {
            guard try r.int() == level, try r.int() == index else { throw fail("moment nodes do not fit shard \(p.index)") }
            let sums = try (0..<values).map { _ throws(ByteReader.Failure) in
                BlockSums(count: try r.double(), mean: try r.double(), m2: try r.double(), scale: try r.double())
            }
            for (m, s) in sums.enumerated() {
                guard s.count >= 0, s.count == s.count.rounded(), s.mean.isFinite, s.m2.isFinite, s.m2 >= 0,
                      s.scale >= 1, s.scale.isFinite, s.scale.significandBitPattern == 0 else {
                    throw fail("value \(m): moments not finite")
                }
                counts[m] += s.count
            }
            nodes.append(MomentTree.Node(level: level, index: index, sums: sums))
        }
        for m in 0..<values where counts[m] != Double(accumulators[m].histogram.count) {
            throw fail("value \(m): moments count \(counts[m]) values, the histogram \(accumulators[m].histogram.count)")
        }
        let scenarios = try r.int()
        guard scenarios == config.prior.scenarios.count else { throw fail("\(scenarios) scenarios, expected \(config.prior.scenarios.count)") }
        let scenarioCounts = try (0..<scenarios).map { _ throws(ByteReader.Failure) in try r.int() }
        guard scenarioCounts.allSatisfy({ $0 >= 0 && $0 <= shardDraws }), scenarioCounts.reduce(0, +) == shardDraws else {
            throw fail("scenario counts do not add up to the shard's \(shardDraws) draws")
        }
        guard r.offset == p.body.count else { throw fail("unexpected bytes after the payload") }
        return Decoded(accumulators: accumulators, nodes: nodes, scenarioCounts: scenarioCounts)
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

/// A whole number read from a partial's JSON header: an integer, never a boolean (Foundation
/// bridges `true` to 1 through `as? Int`, which let a crafted header pass).
public func jsonInteger(_ value: Any?) -> Int? {
    guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
    let x = n.doubleValue
    guard x == x.rounded(), abs(x) < 0x1p62 else { return nil }
    return n.intValue
}
