import Testing
@testable import MeekTOML

/// Values of every TOML 1.0 type, and the line of every key.
@Suite struct TOMLValueTests {
    @Test func stringsWithEveryEscapeAndForm() throws {
        let t = try TOMLTable(string: #"""
            basic = "tab\tquote\" back\\ \b\f\n\r é \u00E9 \U0001F600"
            literal = 'C:\Users\x'
            multi = """
            one
            two ""quoted"" \
                joined"""
            multi_literal = '''
            raw \n ''ok'' '''
            quotes = """a"""""
            crlf = "x"
            """#.replacingOccurrences(of: "crlf = \"x\"", with: "crlf = \"\"\"a\r\nb\"\"\""))
        #expect(t["basic"]?.string == "tab\tquote\" back\\ \u{8}\u{C}\n\r é é 😀")
        #expect(t["literal"]?.string == #"C:\Users\x"#)
        #expect(t["multi"]?.string == "one\ntwo \"\"quoted\"\" joined")
        #expect(t["multi_literal"]?.string == "raw \\n ''ok'' ")
        #expect(t["quotes"]?.string == "a\"\"")
        #expect(t["crlf"]?.string == "a\nb")
    }

    @Test func integersInEveryBase() throws {
        let t = try TOMLTable(string: """
            a = 1_000
            b = -17
            c = +0
            d = 0xDEAD_beef
            e = 0o755
            f = 0b1101
            max = 9223372036854775807
            min = -9223372036854775808
            """)
        #expect(t["a"]?.int == 1000)
        #expect(t["b"]?.int == -17)
        #expect(t["c"]?.int == 0)
        #expect(t["d"]?.int == 0xDEADBEEF)
        #expect(t["e"]?.int == 0o755)
        #expect(t["f"]?.int == 13)
        #expect(t["max"]?.int == Int.max)
        #expect(t["min"]?.int == Int.min)
        #expect(t["a"]?.double == nil, "an integer is not a double")
        #expect(t["a"]?.type == .int && t["a"]?.type.description == "integer")
    }

    @Test func floatsIncludingSpecialValues() throws {
        let t = try TOMLTable(string: """
            a = 3.14
            b = -0.5e-3
            c = 1e1_0
            d = 6.626_070E-34
            e = inf
            f = -inf
            g = nan
            h = -0.0
            """)
        #expect(t["a"]?.double == 3.14)
        #expect(t["b"]?.double == -0.0005)
        #expect(t["c"]?.double == 1e10)
        #expect(t["d"]?.double == 6.626070e-34)
        #expect(t["e"]?.double == .infinity)
        #expect(t["f"]?.double == -.infinity)
        #expect(t["g"]?.double?.isNaN == true)
        #expect(t["h"]?.double == 0 && t["h"]?.double?.sign == .minus)
        #expect(t["a"]?.int == nil)
    }

    @Test func booleansDatesAndTimes() throws {
        let t = try TOMLTable(string: """
            yes = true
            no = false
            odt = 1979-05-27T07:32:00.999-07:00
            space = 1979-05-27 07:32:00z
            ldt = 1979-05-27T07:32:00
            ld = 2024-02-29
            lt = 00:32:00.5
            """)
        #expect(t["yes"]?.bool == true && t["no"]?.bool == false)
        #expect(t["odt"]?.dateTime == TOMLDateTime(kind: .offsetDateTime, text: "1979-05-27T07:32:00.999-07:00"))
        #expect(t["space"]?.dateTime == TOMLDateTime(kind: .offsetDateTime, text: "1979-05-27T07:32:00Z"))
        #expect(t["ldt"]?.type == .dateTime)
        #expect(t["ld"]?.type == .date)
        #expect(t["lt"]?.dateTime?.text == "00:32:00.5" && t["lt"]?.type == .time)
    }

    @Test func arraysInlineTablesAndTables() throws {
        let t = try TOMLTable(string: """
            mixed = [1, "two", [3.0], { four = 4 },]
            nested = [
              [1, 2],  # a comment
              [],
            ]
            point = { x = 1, y.z = 2 }
            [a.b]
            c = 1
            [a]
            d = 2
            [[list]]
            n = 1
            [[list]]
            n = 2
            [list.sub]
            m = 3
            """)
        let mixed = try #require(t["mixed"]?.array)
        #expect(mixed.count == 4)
        #expect(mixed[0].int == 1 && mixed[1].string == "two" && mixed[2].array?[0].double == 3)
        #expect(mixed[3].table?["four"]?.int == 4)
        #expect(t["nested"]?.array?.map { $0.array?.count } == [2, 0])
        #expect(t["point"]?.table?["y"]?.table?["z"]?.int == 2)
        #expect(t["a"]?.table?["b"]?.table?["c"]?.int == 1)
        #expect(t["a"]?.table?.keys == ["b", "d"])
        let list = try #require(t["list"]?.array)
        #expect(list.map { $0.table?["n"]?.int } == [1, 2])
        #expect(list[1].table?["sub"]?.table?["m"]?.int == 3)
        #expect(t.keys == ["mixed", "nested", "point", "a", "list"])
    }

    @Test func emptyDocumentCommentsCRLFAndBOM() throws {
        #expect(try TOMLTable(string: "").isEmpty)
        #expect(try TOMLTable(string: "# only a comment\n\n   \t\n").isEmpty)
        let t = try TOMLTable(utf8: [0xEF, 0xBB, 0xBF] + Array("a = 1\r\n[b]\r\nc = 'x' # note\r\n".utf8))
        #expect(t["a"]?.int == 1 && t["b"]?.table?["c"]?.string == "x")
    }

    /// Every key's line: plain, dotted, in inline tables, under headers and [[array]] entries;
    /// a missing key gives its nearest ancestor's line.
    @Test func keyPositions() throws {
        let t = try TOMLTable(string: """
            title = "x"

            [inputs]
            g_h = { dist = "lognormal", median = 1 }
            """)
        #expect(t.line(of: ["title"]) == 1)
        #expect(t.line(of: ["inputs"]) == 3)
        #expect(t.line(of: ["inputs", "g_h", "median"]) == 4)
        let doc = try TOMLTable(string: """
            a.b.c = 1
            [inputs]
            x = 1
            [[scenario]]
            name = "one"
            [[scenario]]
            name = "two"
            inputs.g_h.sigma = 0.1
            [scenario.inputs.alpha]
            value = [
              1,
              2,
            ]
            """)
        #expect(doc.line(of: ["a", "b", "c"]) == 1)
        #expect(doc.line(of: ["a", "b"]) == 1)
        #expect(doc.line(of: ["inputs", "x"]) == 3)
        #expect(doc.line(of: ["scenario"]) == 4)
        #expect(doc.line(of: ["scenario", "1"]) == 4)
        #expect(doc.line(of: ["scenario", "2"]) == 6)
        #expect(doc.line(of: ["scenario", "2", "name"]) == 7)
        #expect(doc.line(of: ["scenario", "2", "inputs", "g_h", "sigma"]) == 8)
        #expect(doc.line(of: ["scenario", "2", "inputs", "alpha"]) == 9)
        #expect(doc.line(of: ["scenario", "2", "inputs", "alpha", "value", "2"]) == 12)
        #expect(doc.line(of: ["scenario", "2", "inputs", "nope", "deeper"]) == 8, "nearest ancestor: inputs")
        #expect(doc.line(of: ["scenario", "3"]) == 4, "no third entry: the array's line")
        #expect(doc.line(of: ["missing"]) == nil)
        #expect(doc["scenario"]?.array?.line(at: 1) == 6)
    }

    /// Values echoed in messages are TOML on one line, cut to about 60 characters.
    @Test func descriptionsAreShortAndOneLine() throws {
        let t = try TOMLTable(string: #"""
            a = "x\ny"  # c
            b = [1, 2.5, true, 'q']
            c = { k = "v", "sp ace" = inf }
            """#)
        #expect(t["a"]!.description == #""x\ny""#)
        #expect(t["b"]!.description == #"[1, 2.5, true, "q"]"#)
        #expect(t["c"]!.description == #"{ k = "v", "sp ace" = inf }"#)
        let long = try TOMLTable(string: "k = \"\(String(repeating: "é", count: 1_000_000))\"")
        #expect(long["k"]!.description == "\"" + String(repeating: "é", count: 59) + "…")
    }
}
