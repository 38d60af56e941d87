/// The lexical half of the parser: a cursor over the document's bytes that reads blanks,
/// comments, newlines, keys, strings, numbers, booleans and dates. Every loop consumes at
/// least one byte per turn or stops, and nothing here recurses, so no input can make it
/// hang or trap.
struct Parser {
    let b: [UInt8]
    /// Offset of the next byte, and the 1-based line it is on (with that line's first offset).
    var i = 0
    var line = 1
    var lineStart = 0
    /// The tables being built (see Parser.swift).
    var root: TableNode
    var current: TableNode

    /// Levels of arrays, inline tables and tables a value may sit in.
    static let maxDepth = 128

    init(_ bytes: [UInt8]) {
        b = bytes
        root = TableNode(origin: .header, depth: 0)
        current = root
    }

    /// A place in the document, for errors reported where something started.
    struct Mark {
        var offset: Int
        var line: Int
        var lineStart: Int
    }

    var mark: Mark { Mark(offset: i, line: line, lineStart: lineStart) }
    var atEnd: Bool { i >= b.count }
    func peek(_ k: Int = 0) -> UInt8? { i + k < b.count ? b[i + k] : nil }

    mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where i < b.count {
            if b[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
    }

    func error(_ message: String, at m: Mark? = nil) -> TOMLParseError {
        let m = m ?? mark
        let end = min(m.offset, b.count)
        let column = b[min(m.lineStart, end)..<end].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        return TOMLParseError(line: m.line, column: column, message: message)
    }

    /// What the next byte is, for messages: `'x'`, "end of line" or "end of file".
    var found: String {
        guard let c = peek() else { return "end of file" }
        if c == 0x0A || c == 0x0D { return "end of line" }
        var end = i + 1
        while end < b.count, b[end] & 0xC0 == 0x80 { end += 1 }
        return "'" + echo(String(decoding: b[i..<end], as: UTF8.self)) + "'"
    }

    // MARK: Blanks, comments, newlines

    mutating func skipBlanks() {
        while let c = peek(), c == 0x20 || c == 0x09 { advance() }
    }

    /// A comment up to (not including) the end of its line; control characters other than
    /// tab are not allowed in it.
    mutating func skipComment() throws(TOMLParseError) {
        guard peek() == 0x23 else { return }
        while let c = peek(), c != 0x0A {
            if c == 0x0D, peek(1) == 0x0A { return }
            if Self.isControl(c) { throw error("control character \(escaped(Unicode.Scalar(c))) in a comment") }
            advance()
        }
    }

    /// Consumes one LF or CR LF; false when the next byte is neither.
    mutating func newline() throws(TOMLParseError) -> Bool {
        if peek() == 0x0A { advance(); return true }
        if peek() == 0x0D {
            guard peek(1) == 0x0A else { throw error("carriage return not followed by a line feed") }
            advance(2)
            return true
        }
        return false
    }

    /// Blanks, comments and newlines, as allowed between array elements.
    mutating func skipBlanksCommentsNewlines() throws(TOMLParseError) {
        repeat {
            skipBlanks()
            try skipComment()
        } while try newline()
    }

    static func isControl(_ c: UInt8) -> Bool { (c < 0x20 && c != 0x09) || c == 0x7F }
    static func isBareKey(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
    }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    // MARK: Keys

    /// A key: one or more simple keys (bare or quoted) joined by dots.
    mutating func key() throws(TOMLParseError) -> [String] {
        var parts = [try simpleKey()]
        while true {
            let save = self
            skipBlanks()
            guard peek() == 0x2E else { self = save; return parts }
            advance()
            skipBlanks()
            parts.append(try simpleKey())
        }
    }

    mutating func simpleKey() throws(TOMLParseError) -> String {
        switch peek() {
        case 0x22:
            if peek(1) == 0x22, peek(2) == 0x22 { throw error("a key cannot be a multi-line string") }
            return try basicString()
        case 0x27:
            if peek(1) == 0x27, peek(2) == 0x27 { throw error("a key cannot be a multi-line string") }
            return try literalString()
        case let c? where Self.isBareKey(c):
            let start = i
            while let c = peek(), Self.isBareKey(c) { advance() }
            return String(decoding: b[start..<i], as: UTF8.self)
        default:
            throw error("expected a key, found \(found)")
        }
    }

    // MARK: Strings

    /// `"…"` with escapes, on one line.
    mutating func basicString() throws(TOMLParseError) -> String {
        let open = mark
        advance()
        var out: [UInt8] = []
        while true {
            guard let c = peek(), c != 0x0A, c != 0x0D else {
                throw error("unclosed string (a closing quote must be on the same line)", at: open)
            }
            if c == 0x22 { advance(); return String(decoding: out, as: UTF8.self) }
            if c == 0x5C { try escape(into: &out); continue }
            if Self.isControl(c) { throw error("control character \(escaped(Unicode.Scalar(c))) in a string (write it as an escape)") }
            out.append(c)
            advance()
        }
    }

    /// `'…'`, verbatim, on one line.
    mutating func literalString() throws(TOMLParseError) -> String {
        let open = mark
        advance()
        let start = i
        while true {
            guard let c = peek(), c != 0x0A, c != 0x0D else {
                throw error("unclosed string (a closing quote must be on the same line)", at: open)
            }
            if c == 0x27 { advance(); return String(decoding: b[start..<(i - 1)], as: UTF8.self) }
            if Self.isControl(c) { throw error("control character \(escaped(Unicode.Scalar(c))) in a string") }
            advance()
        }
    }

    /// `"""…"""` (escapes, line-ending backslashes) or `'''…'''` (verbatim): a newline right
    /// after the opening quotes is dropped; CR LF reads as LF; up to two quotes may touch the
    /// closing three.
    mutating func multilineString(literal: Bool) throws(TOMLParseError) -> String {
        let open = mark
        let quote: UInt8 = literal ? 0x27 : 0x22
        advance(3)
        _ = try newline()
        var out: [UInt8] = []
        while true {
            guard let c = peek() else {
                throw error("unclosed multi-line string opened at line \(open.line)", at: open)
            }
            if c == quote {
                var n = 0
                while peek() == quote { advance(); n += 1 }
                if n >= 3 {
                    guard n <= 5 else { throw error("too many quotes at the end of a multi-line string") }
                    out.append(contentsOf: repeatElement(quote, count: n - 3))
                    return String(decoding: out, as: UTF8.self)
                }
                out.append(contentsOf: repeatElement(quote, count: n))
            } else if c == 0x0A || c == 0x0D {
                _ = try newline()
                out.append(0x0A)
            } else if c == 0x5C, !literal {
                // A backslash that ends a line swallows the newline and the blanks after it.
                var k = i + 1
                while k < b.count, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                if k < b.count, b[k] == 0x0A || (b[k] == 0x0D && k + 1 < b.count && b[k + 1] == 0x0A) {
                    advance(k - i)
                    while let c = peek(), c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                        if c == 0x0D { _ = try newline() } else { advance() }
                    }
                } else {
                    try escape(into: &out)
                }
            } else {
                if Self.isControl(c) { throw error("control character \(escaped(Unicode.Scalar(c))) in a string") }
                out.append(c)
                advance()
            }
        }
    }

    /// An escape sequence (the cursor is on the backslash), appended as UTF-8.
    mutating func escape(into out: inout [UInt8]) throws(TOMLParseError) {
        let start = mark
        advance()
        let simple: UInt8?
        switch peek() {
        case 0x62: simple = 0x08
        case 0x74: simple = 0x09
        case 0x6E: simple = 0x0A
        case 0x66: simple = 0x0C
        case 0x72: simple = 0x0D
        case 0x22: simple = 0x22
        case 0x5C: simple = 0x5C
        case 0x75, 0x55: simple = nil
        default: throw error("invalid escape: backslash before \(found) in a string", at: start)
        }
        if let simple {
            out.append(simple)
            advance()
            return
        }
        let letter = peek() == 0x75 ? "u" : "U"
        let digits = letter == "u" ? 4 : 8
        advance()
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let d = peek(), let h = Self.hexValue(d) else {
                throw error("\\\(letter) needs \(digits) hexadecimal digits", at: start)
            }
            value = value << 4 | UInt32(h)
            advance()
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error("escape \\\(letter)\(String(value, radix: 16, uppercase: true)) is not a Unicode scalar value", at: start)
        }
        out.append(contentsOf: Array(String(scalar).utf8))
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    // MARK: Numbers, booleans, dates

    /// A value that is not a string, array or inline table: the longest run of the bytes
    /// such values are made of (with the space of `1979-05-27 07:32:00`), then checked.
    mutating func scalar() throws(TOMLParseError) -> TOMLValue {
        let start = mark
        func isToken(_ c: UInt8) -> Bool { Self.isBareKey(c) || c == 0x2B || c == 0x2E || c == 0x3A }
        while let c = peek(), isToken(c) { advance() }
        if i - start.offset == 10, peek() == 0x20, let h = peek(1), Self.isDigit(h), let h2 = peek(2), Self.isDigit(h2),
           peek(3) == 0x3A {
            advance()
            while let c = peek(), isToken(c) { advance() }
        }
        let token = Array(b[start.offset..<i])
        guard !token.isEmpty else { throw error("expected a value, found \(found)") }
        let text = String(decoding: token, as: UTF8.self)
        func invalid(_ what: String) -> TOMLParseError { error("invalid \(what) '\(echo(text))'", at: start) }
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "inf", "+inf": return .double(.infinity)
        case "-inf": return .double(-.infinity)
        case "nan", "+nan", "-nan": return .double(.nan)
        default: break
        }
        if token.count >= 10, token[0..<4].allSatisfy(Self.isDigit), token[4] == 0x2D {
            guard let d = DateTimeText.parse(token) else { throw invalid("date-time") }
            return .dateTime(d)
        }
        if token.count >= 3, Self.isDigit(token[0]), Self.isDigit(token[1]), token[2] == 0x3A {
            guard let d = DateTimeText.parse(token) else { throw invalid("time") }
            return .dateTime(d)
        }
        if token.count > 2, token[0] == 0x30, let radix = [0x78: 16, 0x6F: 8, 0x62: 2][token[1]] {
            guard let digits = Self.digits(token[2...], radix: radix) else { throw invalid("integer") }
            guard let v = Int(digits, radix: radix) else { throw error("integer '\(echo(text))' does not fit in 64 bits", at: start) }
            return .int(v)
        }
        return try decimal(token, text: text, at: start)
    }

    /// A decimal integer or float: sign, integer part without leading zeros, then an
    /// optional fraction and exponent; underscores only between digits.
    func decimal(_ t: [UInt8], text: String, at start: Mark) throws(TOMLParseError) -> TOMLValue {
        func invalid() -> TOMLParseError {
            t.contains(where: Self.isDigit) ? error("invalid number '\(echo(text))'", at: start)
                : error("invalid value '\(echo(text))' (a string needs quotes)", at: start)
        }
        var k = 0
        if t[k] == 0x2B || t[k] == 0x2D { k += 1 }
        // Runs of digits with single underscores between them, from k.
        func run(_ k: inout Int) -> Int? {
            let from = k
            while k < t.count {
                if Self.isDigit(t[k]) { k += 1 }
                else if t[k] == 0x5F, k > from, k + 1 < t.count, Self.isDigit(t[k + 1]) { k += 1 }
                else { break }
            }
            return k > from ? from : nil
        }
        guard let intStart = run(&k) else { throw invalid() }
        if t[intStart] == 0x30, k - intStart > 1 { throw error("leading zeros are not allowed in '\(echo(text))'", at: start) }
        var isFloat = false
        if k < t.count, t[k] == 0x2E {
            k += 1
            guard run(&k) != nil else { throw invalid() }
            isFloat = true
        }
        if k < t.count, t[k] == 0x65 || t[k] == 0x45 {
            k += 1
            if k < t.count, t[k] == 0x2B || t[k] == 0x2D { k += 1 }
            guard run(&k) != nil else { throw invalid() }
            isFloat = true
        }
        guard k == t.count else { throw invalid() }
        let plain = String(decoding: t.filter { $0 != 0x5F }, as: UTF8.self)
        if isFloat {
            guard let d = Double(plain), d.isFinite else {
                throw error("float '\(echo(text))' is out of the range of a 64-bit float", at: start)
            }
            return .double(d)
        }
        guard let v = Int(plain) else { throw error("integer '\(echo(text))' does not fit in 64 bits", at: start) }
        return .int(v)
    }

    /// Digits of `radix` with single underscores between them, without the underscores.
    static func digits(_ t: ArraySlice<UInt8>, radix: Int) -> String? {
        var out = ""
        var previousDigit = false
        for c in t {
            if c == 0x5F {
                guard previousDigit else { return nil }
                previousDigit = false
                continue
            }
            guard let v = hexValue(c), Int(v) < radix else { return nil }
            out.append(Character(Unicode.Scalar(c)))
            previousDigit = true
        }
        return previousDigit ? out : nil
    }
}

/// RFC 3339 dates and times as TOML 1.0 allows them.
enum DateTimeText {
    static func parse(_ t: [UInt8]) -> TOMLDateTime? {
        let s = String(decoding: t, as: UTF8.self)
        if Parser.isDigit(t[0]), t.count >= 3, t[2] == 0x3A {
            return time(t[...]) == t.count ? TOMLDateTime(kind: .localTime, text: s) : nil
        }
        guard date(t) else { return nil }
        if t.count == 10 { return TOMLDateTime(kind: .localDate, text: s) }
        guard [0x54, 0x74, 0x20].contains(t[10]), let end = time(t[11...]) else { return nil }
        let head = String(decoding: t[0..<10], as: UTF8.self) + "T" + String(decoding: t[11..<end], as: UTF8.self)
        if end == t.count { return TOMLDateTime(kind: .localDateTime, text: head) }
        let offset = t[end...]
        if offset.count == 1, offset.first == 0x5A || offset.first == 0x7A {
            return TOMLDateTime(kind: .offsetDateTime, text: head + "Z")
        }
        guard offset.count == 6, offset.first == 0x2B || offset.first == 0x2D,
              let h = number(offset, 1, 2), h <= 23, t[end + 3] == 0x3A, let m = number(offset, 4, 2), m <= 59
        else { return nil }
        return TOMLDateTime(kind: .offsetDateTime, text: head + String(decoding: offset, as: UTF8.self))
    }

    /// `YYYY-MM-DD` at the start, a real day of the (proleptic Gregorian) calendar.
    static func date(_ t: [UInt8]) -> Bool {
        guard let y = number(t[...], 0, 4), t[4] == 0x2D, let m = number(t[...], 5, 2), t[7] == 0x2D,
              let d = number(t[...], 8, 2), (1...12).contains(m), d >= 1 else { return false }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= days
    }

    /// `HH:MM:SS[.fraction]` at the start of `t`; returns the index after it.
    static func time(_ t: ArraySlice<UInt8>) -> Int? {
        let s = t.startIndex
        guard let h = number(t, 0, 2), h <= 23, t.count >= 8, t[s + 2] == 0x3A, let m = number(t, 3, 2), m <= 59,
              t[s + 5] == 0x3A, let sec = number(t, 6, 2), sec <= 60 else { return nil }
        var k = s + 8
        if k < t.endIndex, t[k] == 0x2E {
            k += 1
            let digits = k
            while k < t.endIndex, Parser.isDigit(t[k]) { k += 1 }
            guard k > digits else { return nil }
        }
        return k
    }

    /// The decimal number in the `count` bytes at offset `at` from the slice's start.
    static func number(_ t: ArraySlice<UInt8>, _ at: Int, _ count: Int) -> Int? {
        guard at + count <= t.count else { return nil }
        var v = 0
        for c in t.dropFirst(at).prefix(count) {
            guard Parser.isDigit(c) else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }
}
