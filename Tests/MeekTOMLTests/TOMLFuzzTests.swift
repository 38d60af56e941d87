import Foundation
import Testing
import MeekTestSupport
@testable import MeekTOML

let repositoryPriors = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("priors")

/// Every `*.toml` under priors/, as bytes, by path relative to priors/.
func priorFiles() throws -> [(name: String, bytes: [UInt8])] {
    let names = try FileManager.default.subpathsOfDirectory(atPath: repositoryPriors.path)
        .filter { $0.hasSuffix(".toml") }.sorted()
    return try names.map { name in
        (name, Array(try Data(contentsOf: repositoryPriors.appendingPathComponent(name))))
    }
}

/// The repository's prior files parse, and their values read right.
@Suite struct PriorFilesParseTests {
    @Test func everyPriorFileParses() throws {
        let files = try priorFiles()
        #expect(files.count >= 17)
        for (name, bytes) in files {
            #expect(throws: Never.self, "\(name)") { try TOMLTable(utf8: bytes) }
        }
    }

    @Test func baselineValuesAndLines() throws {
        let t = try TOMLTable(utf8: Array(try Data(contentsOf: repositoryPriors.appendingPathComponent("baseline.toml"))))
        let run = try #require(t["run"]?.table)
        #expect(run["draws"]?.int == 1_000_000)
        #expect(run["seed"]?.int == 20_250_707)
        #expect(run["quantiles"]?.array?.compactMap(\.double) == [0.05, 0.25, 0.5, 0.75, 0.95])
        #expect(t["metrics"]?.table?["sprt_tokens_at_peak"]?.bool == true)
        let gh = try #require(t["inputs"]?.table?["g_h"]?.table)
        #expect(gh["dist"]?.string == "lognormal" && gh["median"]?.double == 1.40 && gh["sigma10"]?.double == 0.025)
        #expect(t["inputs"]?.table?["meek_budget_usd"]?.int == 1000)
        let scenarios = try #require(t["scenario"]?.array)
        #expect(scenarios.map { $0.table?["name"]?.string } == ["chinchilla", "besiroglu"])
        #expect(scenarios[0].table?["inputs"]?.table?["alpha"]?.double == 0.154)
        let joint = try #require(scenarios[1].table?["joint"]?.array?.first?.table)
        #expect(joint["columns"]?.table?["alpha"]?.string == "alpha_C")
        #expect(t.line(of: ["title"]) == 3)
        #expect(t.line(of: ["run", "seed"]) == 7)
        #expect(t.line(of: ["inputs", "g_h", "sigma10"]) == 24)
        #expect(t.line(of: ["scenario", "1", "inputs", "alpha"]) == 52)
        #expect(t.line(of: ["scenario", "2"]) == 54)
        #expect(t.line(of: ["scenario", "2", "joint", "1", "columns", "L0"]) == 58)
    }
}

/// A fixed-seed mutation fuzzer over the prior files: flipped bytes, inserted TOML
/// punctuation, truncation and duplicated spans. Every outcome must be a table or an error
/// with a line in the document and a one-line message.
@Suite struct TOMLFuzzTests {
    typealias Generator = SeededGenerator

    static let punctuation = Array("[]{}\"'=\n#.,".utf8)

    static func mutate(_ input: [UInt8], _ g: inout Generator) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            let at = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &g)
            switch Int.random(in: 0..<5, using: &g) {
            case 0 where !b.isEmpty: b[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &g))
            case 1: b.insert(punctuation.randomElement(using: &g)!, at: at)
            case 2: b.removeSubrange(at...)
            case 3 where !b.isEmpty:
                let end = min(b.count, at + Int.random(in: 1...200, using: &g))
                b.insert(contentsOf: b[at..<end], at: Int.random(in: 0...b.count, using: &g))
            default: b.insert(UInt8.random(in: 0...255, using: &g), at: at)
            }
        }
        return b
    }

    @Test func mutatedPriorFilesNeverTrap() throws {
        let files = try priorFiles()
        var g = Generator(seed: 13)
        var errors = 0
        for _ in 0..<4000 {
            let bytes = Self.mutate(files.randomElement(using: &g)!.bytes, &g)
            let lines = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            do throws(TOMLParseError) {
                _ = try TOMLTable(utf8: bytes)
            } catch {
                errors += 1
                #expect(error.line >= 1 && error.line <= lines && error.column >= 1, "\(error)")
                #expect(!error.message.isEmpty && !error.description.contains(where: \.isNewline), "\(error)")
                #expect(error.message.count <= 200, "\(error)")
            }
        }
        #expect(errors > 1000, "most mutations break the document (\(errors) of 4000 did)")
    }
}
