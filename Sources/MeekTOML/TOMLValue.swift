/// A TOML value. The accessors (`.int`, `.double`, `.string`, …) return nil for any other
/// type; in particular `.double` is nil for an integer.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case dateTime(TOMLDateTime)
    case array(TOMLArray)
    case table(TOMLTable)

    public var string: String? { if case .string(let v) = self { v } else { nil } }
    public var int: Int? { if case .int(let v) = self { v } else { nil } }
    public var double: Double? { if case .double(let v) = self { v } else { nil } }
    public var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var dateTime: TOMLDateTime? { if case .dateTime(let v) = self { v } else { nil } }
    public var array: TOMLArray? { if case .array(let v) = self { v } else { nil } }
    public var table: TOMLTable? { if case .table(let v) = self { v } else { nil } }

    public var type: TOMLType {
        switch self {
        case .string: .string
        case .int: .int
        case .double: .double
        case .bool: .bool
        case .dateTime(let d): d.kind == .localDate ? .date : d.kind == .localTime ? .time : .dateTime
        case .array: .array
        case .table: .table
        }
    }
}

/// The name TOMLKit gave a value; kept so code that read TOMLKit's values reads ours unchanged.
public typealias TOMLValueConvertible = TOMLValue

/// A value's type, named in messages ("must be a number (got string)").
public enum TOMLType: String, Sendable, CustomStringConvertible {
    case table, array, string, int, double, bool, date, time, dateTime

    public var description: String {
        switch self {
        case .int: "integer"
        case .double: "floating-point number"
        case .dateTime: "date-time"
        default: rawValue
        }
    }
}

/// A date, time or date-time, kept as its checked text (`T` between date and time, `Z` in
/// capitals): meek reads none, but a document holding one must parse.
public struct TOMLDateTime: Sendable, Equatable {
    public enum Kind: Sendable { case offsetDateTime, localDateTime, localDate, localTime }
    public var kind: Kind
    public var text: String
}

/// A table: its keys in the order they were defined, their values, and the line that
/// defined each key.
public struct TOMLTable: Sendable, Equatable {
    public private(set) var keys: [String] = []
    var values: [String: TOMLValue] = [:]
    var lines: [String: Int] = [:]

    public init() {}

    /// Parses a TOML 1.0 document. Never traps: any text gives a table or an error.
    public init(string: String) throws(TOMLParseError) {
        var parser = Parser(Array(string.utf8))
        self = try parser.document()
    }

    /// Parses a TOML 1.0 document from bytes; bytes that are not UTF-8 are an error naming
    /// their offset.
    public init(utf8 bytes: [UInt8]) throws(TOMLParseError) {
        var parser = Parser(bytes)
        self = try parser.document()
    }

    init(keys: [String], values: [String: TOMLValue], lines: [String: Int]) {
        self.keys = keys
        self.values = values
        self.lines = lines
    }

    public subscript(key: String) -> TOMLValue? { values[key] }
    public var isEmpty: Bool { keys.isEmpty }
    public var count: Int { keys.count }

    /// The line of the value at `path`, or of its nearest ancestor that exists (nil when
    /// not even the first component does). Components are keys, or for arrays the 1-based
    /// index as text: `["scenario", "2", "inputs", "g_h", "sigma"]` is key `sigma` in the
    /// `g_h` table of the `inputs` table of the second `[[scenario]]`.
    public func line(of path: [String]) -> Int? {
        var best: Int?
        var current = TOMLValue.table(self)
        for part in path {
            switch current {
            case .table(let t):
                guard let next = t.values[part] else { return best }
                best = t.lines[part] ?? best
                current = next
            case .array(let a):
                guard let i = Int(part), i >= 1, i <= a.count else { return best }
                best = a.lines[i - 1]
                current = a[i - 1]
            default:
                return best
            }
        }
        return best
    }
}

/// An array's values and the line where each one starts (for an array of tables, the line
/// of its `[[header]]`).
public struct TOMLArray: Sendable, Equatable, RandomAccessCollection {
    var elements: [TOMLValue] = []
    var lines: [Int] = []

    public init() {}

    init(elements: [TOMLValue], lines: [Int]) {
        self.elements = elements
        self.lines = lines
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { elements.count }
    public subscript(index: Int) -> TOMLValue { elements[index] }

    /// The 1-based line where the element at 0-based `index` starts.
    public func line(at index: Int) -> Int { lines[index] }
}

// MARK: - Text in messages

extension TOMLValue: CustomStringConvertible {
    /// The value as TOML, on one line and cut to about 60 characters (`…`), for messages.
    public var description: String {
        var out = Rendering()
        out.value(self)
        return out.text
    }
}

extension TOMLTable: CustomStringConvertible {
    public var description: String { TOMLValue.table(self).description }
}

extension TOMLArray: CustomStringConvertible {
    public var description: String { TOMLValue.array(self).description }
}

/// Inline TOML text with a length budget: rendering stops once the budget is spent, so a
/// huge value costs no more than a short one.
struct Rendering {
    private(set) var text = ""
    private var left = 60
    private var cut = false

    mutating func value(_ v: TOMLValue) {
        switch v {
        case .string(let s): string(s)
        case .int(let i): emit(String(i))
        case .double(let d): emit(d.isNaN ? "nan" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : String(d))
        case .bool(let b): emit(b ? "true" : "false")
        case .dateTime(let d): emit(d.text)
        case .array(let a):
            emit("[")
            for (i, e) in a.enumerated() where !cut {
                if i > 0 { emit(", ") }
                value(e)
            }
            emit("]")
        case .table(let t):
            emit("{")
            for (i, k) in t.keys.enumerated() where !cut {
                emit(i > 0 ? ", " : " ")
                key(k)
                emit(" = ")
                value(t.values[k]!)
            }
            emit(t.isEmpty ? "}" : " }")
        }
    }

    mutating func key(_ k: String) {
        let bare = !k.isEmpty && k.utf8.allSatisfy { Parser.isBareKey($0) }
        if bare { emit(k) } else { string(k) }
    }

    private mutating func string(_ s: String) {
        emit("\"")
        for scalar in s.unicodeScalars where !cut {
            emit(scalar == "\"" ? "\\\"" : scalar == "\\" ? "\\\\" : escaped(scalar))
        }
        emit("\"")
    }

    private mutating func emit(_ s: String) {
        guard !cut, !s.isEmpty else { return }
        let n = s.count
        if n <= left {
            text += s
            left -= n
        } else {
            text += s.prefix(left) + "…"
            cut = true
        }
    }
}
