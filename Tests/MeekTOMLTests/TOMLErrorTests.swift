import Testing
@testable import MeekTOML

/// The error a document raises (nil when it parses).
func tomlError(_ text: String) -> TOMLParseError? {
    do throws(TOMLParseError) { _ = try TOMLTable(string: text); return nil } catch { return error }
}

/// Malformed documents: an error with the right line and a one-line message, never a trap.
@Suite struct TOMLErrorTests {
    static let cases: [(text: String, line: Int, says: String)] = [
        // The two inputs that made toml++ abort (exit 134).
        ("[\n[\n", 1, "expected a key, found end of line"),
        ("y=[}\n", 1, "expected a value, found '}'"),
        // Unclosed containers and strings, at the line that opened them.
        ("a = 1\nb = [1,\n2,\n", 2, "unclosed array opened at line 2: end of file"),
        ("q = [0.05, 0.5\n[metrics]\ngap = 1\n", 1, "unclosed array opened at line 1: expected ',' or ']' before line 2"),
        ("q = [0.05,\nseed = 3\n", 1, "unclosed array opened at line 1: line 2 starts a new key or table"),
        ("q = [0.05,\n[run]\n", 1, "unclosed array opened at line 1: line 2 starts a new key or table"),
        ("x = 1\nt = { a = 1\nb = 2\n", 2, "unclosed inline table opened at line 2"),
        ("s = \"abc\nt = 1\n", 1, "unclosed string"),
        ("\n\ns = '''abc\n\n", 3, "unclosed multi-line string opened at line 3"),
        // Structure.
        ("a = 1\na = 2\n", 2, "key 'a' is defined twice (first at line 1)"),
        ("[t]\n[t]\n", 2, "table [t] is defined twice (first at line 1)"),
        ("a.b = 1\n[a]\n", 2, "cannot define [a]"),
        ("[a.b.c]\n[a]\nb.c.d = 1\n", 3, "cannot be extended with a dotted key"),
        ("t = { a = 1 }\n[t]\n", 2, "cannot define [t]"),
        ("t = { a = 1 }\nt.b = 2\n", 2, "cannot be extended"),
        ("a = [1]\n[[a]]\n", 2, "is not an array of tables"),
        ("[[a]]\n[a]\n", 2, "cannot define [a]"),
        ("t = { a = 1, }\n", 1, "trailing comma"),
        ("a = 1 b = 2\n", 1, "expected the end of the line, found 'b'"),
        ("= 1\n", 1, "expected a key, found '='"),
        ("a = \n", 1, "expected a value, found end of line"),
        ("[a]]\n", 1, "expected the end of the line, found ']'"),
        // Numbers, dates and strings.
        ("n = 9223372036854775808\n", 1, "does not fit in 64 bits"),
        ("n = 0x8000000000000000\n", 1, "does not fit in 64 bits"),
        ("n = 012\n", 1, "leading zeros"),
        ("n = 1__0\n", 1, "invalid number '1__0'"),
        ("n = 1.\n", 1, "invalid number"),
        ("n = .5\n", 1, "invalid number"),
        ("n = 1e400\n", 1, "out of the range of a 64-bit float"),
        ("d = 2023-02-29\n", 1, "invalid date-time '2023-02-29'"),
        ("d = 1979-05-27T25:00:00\n", 1, "invalid date-time"),
        ("s = \"\\uD800\"\n", 1, "is not a Unicode scalar value"),
        ("s = \"\\x41\"\n", 1, "invalid escape"),
        ("s = \"a\u{1}b\"\n", 1, "control character \\u0001 in a string"),
        ("# bell \u{7}\n", 1, "control character \\u0007 in a comment"),
        ("a = 1\rb = 2\n", 1, "carriage return not followed by a line feed"),
        ("b = maybe\n", 1, "invalid value 'maybe' (a string needs quotes)"),
        // Echoed text stays on one line and short.
        ("\"a\\nb\" = 1\n\"a\\nb\" = 2\n", 2, "key 'a\\nb' is defined twice"),
        ("\(String(repeating: "k", count: 10_000)) 1\n", 1, "expected '=' after key '\(String(repeating: "k", count: 60))…'"),
    ]

    @Test(arguments: cases.indices)
    func malformedDocumentIsAnErrorAtItsLine(index: Int) throws {
        let c = Self.cases[index]
        let error = try #require(tomlError(c.text), "accepted: \(c.text)")
        #expect(error.line == c.line, "\(error)")
        #expect(error.message.contains(c.says), "\(error)")
        #expect(!error.description.contains("\n") && error.message.count < 200, "\(error)")
    }

    @Test func columnsCountCharacters() throws {
        let error = try #require(tomlError("a = 1\n\"é\" = [1 2]\n"))
        #expect(error.line == 2 && error.column == 10, "\(error)")
        #expect(error.description == "line 2, column 10: expected ',' or ']' after an array element, found '2'")
    }

    /// Bytes that are not UTF-8: the offset of the first bad byte, with its line.
    @Test func invalidUTF8NamesTheByteOffsetAndLine() throws {
        let bytes = Array("a = 1\nb = \"é".utf8) + [0xFF] + Array("\"\n".utf8)
        do throws(TOMLParseError) {
            _ = try TOMLTable(utf8: bytes)
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error == TOMLParseError(line: 2, column: 7, message: "invalid UTF-8 at byte offset 13 (byte 0xFF)"))
        }
        #expect(throws: TOMLParseError(line: 1, column: 1, message: "invalid UTF-8 at byte offset 0 (byte 0xC0)")) {
            try decodeUTF8([0xC0, 0x80])  // an overlong NUL
        }
        #expect(throws: TOMLParseError(line: 1, column: 2, message: "invalid UTF-8 at byte offset 1 (byte 0xED)")) {
            try decodeUTF8([0x61, 0xED, 0xA0, 0x80])  // a surrogate
        }
        #expect(throws: TOMLParseError(line: 1, column: 1, message: "invalid UTF-8 at byte offset 0 (byte 0xE2)")) {
            try decodeUTF8([0xE2, 0x82])  // truncated
        }
        #expect(try decodeUTF8(Array("€𝄞".utf8)) == "€𝄞")
    }

    /// Nesting is capped: 10,000 levels give an error, not a stack overflow; 128 parse.
    @Test func deepNestingIsAnError() throws {
        for open in ["[", "{ a = "] {
            let error = try #require(tomlError("x = " + String(repeating: open, count: 10_000)))
            #expect(error.message == "arrays and tables are nested more than 128 levels deep", "\(error)")
            #expect(error.line == 1)
        }
        let header = "[" + Array(repeating: "a", count: 10_000).joined(separator: ".") + "]\n"
        #expect(tomlError(header)?.message == "arrays and tables are nested more than 128 levels deep")
        let dotted = Array(repeating: "a", count: 10_000).joined(separator: ".") + " = 1\n"
        #expect(tomlError(dotted)?.message == "arrays and tables are nested more than 128 levels deep")
        let deepest = "x = " + String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        var value = try #require(try TOMLTable(string: deepest)["x"])
        var levels = 0
        while let inner = value.array {
            levels += 1
            value = inner.first ?? .int(0)
        }
        #expect(levels == 128)
    }
}
