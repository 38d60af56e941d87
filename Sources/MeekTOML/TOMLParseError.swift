/// A malformed TOML document: where (1-based line and column, columns counted in Unicode
/// scalars) and what is wrong, in one line. Any text echoed from the document is escaped and
/// cut short (`echo`), so the message never spans lines and stays short.
public struct TOMLParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Decodes a TOML document's bytes as UTF-8 text, or fails naming the first byte that does
/// not start valid UTF-8 (overlong forms, surrogates and code points above U+10FFFF are invalid too),
/// with its offset, line and column.
public func decodeUTF8(_ bytes: [UInt8]) throws(TOMLParseError) -> String {
    if let bad = firstInvalidUTF8(bytes) { throw .invalidUTF8(bytes, at: bad) }
    return String(decoding: bytes, as: UTF8.self)
}

extension TOMLParseError {
    /// The error for the byte at offset `bad`, which does not start valid UTF-8.
    static func invalidUTF8(_ bytes: [UInt8], at bad: Int) -> TOMLParseError {
        var line = 1, lineStart = 0
        for (offset, byte) in bytes[..<bad].enumerated() where byte == 0x0A {
            line += 1
            lineStart = offset + 1
        }
        let column = bytes[lineStart..<bad].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        let hex = String(bytes[bad], radix: 16, uppercase: true)
        return TOMLParseError(line: line, column: column,
                              message: "invalid UTF-8 at byte offset \(bad) (byte 0x\(hex.count == 1 ? "0" : "")\(hex))")
    }
}

/// The offset of the first byte that does not start a well-formed UTF-8 sequence.
func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
    var i = 0
    while i < b.count {
        let lead = b[i]
        if lead < 0x80 { i += 1; continue }
        // Sequence length and the allowed range of the second byte (RFC 3629, table 3-7).
        let length: Int, low: UInt8, high: UInt8
        switch lead {
        case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
        case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
        case 0xED: (length, low, high) = (3, 0x80, 0x9F)
        case 0xE1...0xEF: (length, low, high) = (3, 0x80, 0xBF)
        case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
        case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
        case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
        default: return i
        }
        guard i + length <= b.count, (low...high).contains(b[i + 1]) else { return i }
        for k in 2..<length where b[i + k] & 0xC0 != 0x80 { return i }
        i += length
    }
    return nil
}

/// Document text as it may appear in a message: control characters escaped (`\n`, `\u0000`),
/// at most `limit` characters, then `…`.
func echo(_ text: some StringProtocol, limit: Int = 60) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit { return out + "…" }
        out += escaped(scalar)
        count += 1
    }
    return out
}

/// A scalar as TOML's basic-string escape when it is a control character (C0, DEL, C1, or a
/// line/paragraph separator), else itself.
func escaped(_ s: Unicode.Scalar) -> String {
    switch s.value {
    case 0x0A: return "\\n"
    case 0x0D: return "\\r"
    case 0x09: return "\\t"
    case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029:
        let hex = String(s.value, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    default: return String(s)
    }
}
