import Foundation
@testable import MeekPriors
import Testing

/// Malformed TOML in a prior file: an error naming the file and the line, in one line, never
/// an abort (TOMLKit's toml++ aborted on the first two inputs below, exit 134).
@Suite struct PriorSyntaxTests {
    static let cases: [(text: String, line: Int, says: String)] = [
        ("[\n[\n", 1, "TOML syntax: expected a key, found end of line"),
        ("y=[}\n", 1, "TOML syntax: expected a value, found '}'"),
        ("[run]\nquantiles = [0.05, 0.5\n[metrics]\ngap_nats = [0.01]\n", 2,
         "TOML syntax: unclosed array opened at line 2: expected ',' or ']' before line 3"),
        ("[run]\nquantiles = [0.05,\ndraws = 10\n", 2, "TOML syntax: unclosed array opened at line 2: line 3 starts a new key or table"),
        ("[inputs]\ng_h = { dist = \"lognormal\", median = 1.4\nsigma = 1\n", 2, "TOML syntax: unclosed inline table opened at line 2"),
        ("[run]\ndraws = 10\nseed = = 3\n", 3, "TOML syntax: expected a value, found '='"),
        ("[run]\ndraws = 99999999999999999999\n", 2, "TOML syntax: integer '99999999999999999999' does not fit in 64 bits"),
    ]

    @Test(arguments: cases.indices)
    func syntaxErrorNamesItsLine(index: Int) throws {
        let c = Self.cases[index]
        let error = try #require(priorError(c.text))
        #expect(error.line == c.line && error.key == "", "\(error)")
        #expect(error.message.hasPrefix(c.says), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    /// A file that is not UTF-8: the offset of the first bad byte and its line.
    @Test func invalidUTF8NamesOffsetAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meek-utf8-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.toml").path
        try Data(Array("[run]\ndraws = 10\n# caf".utf8) + [0xE9] + Array("\n".utf8)).write(to: URL(fileURLWithPath: file))
        do throws(PriorError) {
            _ = try PriorFile.load(path: file)
            Issue.record("accepted a file that is not UTF-8")
        } catch {
            #expect(error.description == "\(file):3: is not UTF-8 text: invalid UTF-8 at byte offset 22 (byte 0xE9)")
        }
    }

    /// A misspelt array of tables is named at its first header (the line finder that read
    /// the text line by line could not match `[[scenarios]]` and gave no line).
    @Test func unknownArrayOfTablesHasItsLine() throws {
        let error = try #require(priorError("[run]\ndraws = 10\n\n[[scenarios]]\nname = \"a\"\n"))
        #expect(error.description.hasPrefix("test.toml:4: scenarios: unknown key"), "\(error)")
    }

    /// Keys inside inline tables of [[scenario]] entries are found on their own line.
    @Test func errorInsideAScenarioNamesItsLine() throws {
        let error = try #require(priorError("""
            [[scenario]]
            name = "a"
            weight = 1

            [[scenario]]
            name = "b"
            weight = 1
            inputs = { g_h = { dist = "lognormal", median = 1.4, sigma = -1 } }
            """))
        #expect(error.description == "test.toml:8: scenario[2].inputs.g_h.sigma: sigma must be > 0 (got -1.0)", "\(error)")
    }
}
