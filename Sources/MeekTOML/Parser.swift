/// The structural half of the parser: statements (`key = value`, `[table]`,
/// `[[array of tables]]`), values, and TOML's rules on what may be defined where. Tables are
/// built as `TableNode`s (which remember how each table came to be) and frozen into
/// `TOMLTable`s at the end. Recursion is only into nested arrays and inline tables, and
/// stops at `maxDepth` levels.
extension Parser {
    /// Parses the whole document into the root table.
    mutating func document() throws(TOMLParseError) -> TOMLTable {
        if let bad = firstInvalidUTF8(b) { throw .invalidUTF8(b, at: bad) }
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { advance(3) }
        while !atEnd {
            skipBlanks()
            if peek() == 0x5B {
                try header()
            } else if let c = peek(), c != 0x23, c != 0x0A, c != 0x0D {
                try keyValue(into: current, depth: current.depth)
            }
            skipBlanks()
            try skipComment()
            guard try newline() || atEnd else { throw error("expected the end of the line, found \(found)") }
        }
        return root.frozen()
    }

    // MARK: Statements

    /// `key = value` in `table`, with dotted keys creating tables on the way.
    mutating func keyValue(into table: TableNode, depth: Int) throws(TOMLParseError) {
        let start = mark
        let parts = try key()
        skipBlanks()
        guard peek() == 0x3D else { throw error("expected '=' after key '\(echo(parts.joined(separator: ".")))', found \(found)") }
        advance()
        skipBlanks()
        let value = try self.value(depth: depth + parts.count - 1)
        try assign(parts, value, in: table, at: start)
    }

    /// `[a.b]` or `[[a.b]]`: makes the named table (or a new entry of the array of tables) the
    /// one later keys go into.
    mutating func header() throws(TOMLParseError) {
        let start = mark
        let isArray = peek(1) == 0x5B
        advance(isArray ? 2 : 1)
        skipBlanks()
        let parts = try key()
        skipBlanks()
        guard peek() == 0x5D, !isArray || peek(1) == 0x5D else {
            throw error("expected '\(isArray ? "]]" : "]")' to close the table header, found \(found)")
        }
        advance(isArray ? 2 : 1)
        let name = echo(parts.joined(separator: "."))
        var table = root
        for part in parts.dropLast() {
            switch table.entries[part] {
            case nil:
                let child = try TableNode(origin: .implicit, depth: table.depth + 1, at: start, self)
                table.add(part, .table(child), line: start.line)
                table = child
            case .table(let child)?:
                table = child
            case .tables(let list)?:
                table = list.tables[list.tables.count - 1]
            case .value?:
                throw error("cannot define [\(name)]: '\(echo(part))' is already a value (line \(table.lines[part]!))", at: start)
            }
        }
        let last = parts[parts.count - 1]
        let existing = table.entries[last]
        if isArray {
            let list: TableArrayNode
            switch existing {
            case nil:
                list = TableArrayNode()
                table.add(last, .tables(list), line: start.line)
            case .tables(let l)?:
                list = l
            default:
                throw error("cannot define [[\(name)]]: '\(echo(last))' is already defined (line \(table.lines[last]!)) and is not an array of tables", at: start)
            }
            let entry = try TableNode(origin: .header, depth: table.depth + 2, at: start, self)
            list.tables.append(entry)
            list.lines.append(start.line)
            current = entry
            return
        }
        switch existing {
        case nil:
            let child = try TableNode(origin: .header, depth: table.depth + 1, at: start, self)
            table.add(last, .table(child), line: start.line)
            current = child
        case .table(let child)? where child.origin == .implicit:
            child.origin = .header
            table.lines[last] = start.line
            current = child
        case .table(let child)? where child.origin == .header:
            throw error("table [\(name)] is defined twice (first at line \(table.lines[last]!))", at: start)
        default:
            throw error("cannot define [\(name)]: '\(echo(last))' is already defined (line \(table.lines[last]!))", at: start)
        }
    }

    /// Stores `value` under the dotted key `parts` in `table`. Dotted keys may create tables
    /// and extend tables that dotted keys created, but not reopen any other table or value.
    func assign(_ parts: [String], _ value: TOMLValue, in table: TableNode, at start: Mark) throws(TOMLParseError) {
        let name = echo(parts.joined(separator: "."))
        var table = table
        for part in parts.dropLast() {
            switch table.entries[part] {
            case nil:
                let child = try TableNode(origin: .dotted, depth: table.depth + 1, at: start, self)
                table.add(part, .table(child), line: start.line)
                table = child
            case .table(let child)? where child.origin == .dotted:
                table = child
            default:
                throw error("cannot set '\(name)': '\(echo(part))' is already defined (line \(table.lines[part]!)) and cannot be extended with a dotted key", at: start)
            }
        }
        let last = parts[parts.count - 1]
        if let line = table.lines[last] {
            throw error("key '\(name)' is defined twice (first at line \(line))", at: start)
        }
        table.add(last, .value(value), line: start.line)
    }

    // MARK: Values

    /// A value whose containers are `depth` levels deep.
    mutating func value(depth: Int) throws(TOMLParseError) -> TOMLValue {
        switch peek() {
        case 0x22: return .string(peek(1) == 0x22 && peek(2) == 0x22 ? try multilineString(literal: false) : try basicString())
        case 0x27: return .string(peek(1) == 0x27 && peek(2) == 0x27 ? try multilineString(literal: true) : try literalString())
        case 0x5B: return try array(depth: depth + 1)
        case 0x7B: return try inlineTable(depth: depth + 1)
        default: return try scalar()
        }
    }

    /// `[a, b, …]`: values (of any types), newlines and comments between them, an optional
    /// trailing comma. An array left open is reported at the line that opened it.
    mutating func array(depth: Int) throws(TOMLParseError) -> TOMLValue {
        let open = mark
        guard depth <= Self.maxDepth else { throw error("arrays and tables are nested more than \(Self.maxDepth) levels deep") }
        advance()
        let unclosed = "unclosed array opened at line \(open.line)"
        var elements: [TOMLValue] = []
        var lines: [Int] = []
        while true {
            try skipBlanksCommentsNewlines()
            if atEnd { throw error(unclosed + ": end of file before ']'", at: open) }
            if peek() == 0x5D { advance(); break }
            let start = mark
            do {
                elements.append(try value(depth: depth))
            } catch {
                // A value that fails on a later line which reads like a new statement means
                // the array was never closed: say so, at the line that opened it.
                guard start.line > open.line, startsStatement(at: start) else { throw error }
                throw self.error(unclosed + ": line \(start.line) starts a new key or table", at: open)
            }
            lines.append(start.line)
            let end = mark
            try skipBlanksCommentsNewlines()
            if atEnd { throw error(unclosed + ": end of file before ']'", at: open) }
            if peek() == 0x2C { advance(); continue }
            if peek() == 0x5D { advance(); break }
            if line > end.line { throw error(unclosed + ": expected ',' or ']' before line \(line)", at: open) }
            throw error("expected ',' or ']' after an array element, found \(found)")
        }
        return .array(TOMLArray(elements: elements, lines: lines))
    }

    /// Whether a line, from `m`, reads as `key =` or `[header]`.
    func startsStatement(at m: Mark) -> Bool {
        var probe = self
        probe.i = m.offset
        probe.line = m.line
        probe.lineStart = m.lineStart
        let isHeader = probe.peek() == 0x5B
        if isHeader {
            probe.advance(probe.peek(1) == 0x5B ? 2 : 1)
            probe.skipBlanks()
        }
        guard (try? probe.key()) != nil else { return false }
        probe.skipBlanks()
        return probe.peek() == (isHeader ? 0x5D : 0x3D)
    }

    /// `{ k = v, … }` on one line, no trailing comma; it cannot be extended later.
    mutating func inlineTable(depth: Int) throws(TOMLParseError) -> TOMLValue {
        let open = mark
        guard depth <= Self.maxDepth else { throw error("arrays and tables are nested more than \(Self.maxDepth) levels deep") }
        advance()
        let table = TableNode(origin: .inline, depth: depth)
        func unclosed(_ p: Parser) -> TOMLParseError {
            p.error("unclosed inline table opened at line \(open.line): an inline table must end with '}' on its line, found \(p.found)", at: open)
        }
        skipBlanks()
        if peek() == 0x7D { advance(); return .table(table.frozen()) }
        while true {
            if atEnd || peek() == 0x0A || peek() == 0x0D || peek() == 0x23 { throw unclosed(self) }
            try keyValue(into: table, depth: depth)
            skipBlanks()
            if peek() == 0x7D { advance(); return .table(table.frozen()) }
            guard peek() == 0x2C else {
                if atEnd || peek() == 0x0A || peek() == 0x0D || peek() == 0x23 { throw unclosed(self) }
                throw error("expected ',' or '}' in an inline table, found \(found)")
            }
            advance()
            skipBlanks()
            if peek() == 0x7D { throw error("trailing comma before '}': an inline table cannot end with a comma") }
        }
    }
}

// MARK: - Tables under construction

/// A table while the document is parsed, with how it came to be (which decides whether a
/// later header or dotted key may extend it).
final class TableNode {
    enum Origin {
        /// Created on the way to a deeper header, `a` in `[a.b]`: may still get its own header.
        case implicit
        /// Defined by its own header (or the root): defined once.
        case header
        /// Created by a dotted key: dotted keys of the same table may extend it.
        case dotted
        /// An inline table: complete when closed.
        case inline
    }

    enum Entry {
        case value(TOMLValue)
        case table(TableNode)
        case tables(TableArrayNode)
    }

    var origin: Origin
    let depth: Int
    var keys: [String] = []
    var entries: [String: Entry] = [:]
    var lines: [String: Int] = [:]

    init(origin: Origin, depth: Int) {
        self.origin = origin
        self.depth = depth
    }

    /// A table for a header or key at `m`, if it is not nested too deep.
    convenience init(origin: Origin, depth: Int, at m: Parser.Mark, _ p: Parser) throws(TOMLParseError) {
        guard depth <= Parser.maxDepth else {
            throw p.error("arrays and tables are nested more than \(Parser.maxDepth) levels deep", at: m)
        }
        self.init(origin: origin, depth: depth)
    }

    func add(_ key: String, _ entry: Entry, line: Int) {
        keys.append(key)
        entries[key] = entry
        lines[key] = line
    }

    /// The finished table (recursion as deep as the tables, at most `maxDepth`).
    func frozen() -> TOMLTable {
        var values: [String: TOMLValue] = [:]
        for (key, entry) in entries {
            switch entry {
            case .value(let v): values[key] = v
            case .table(let t): values[key] = .table(t.frozen())
            case .tables(let list):
                values[key] = .array(TOMLArray(elements: list.tables.map { .table($0.frozen()) }, lines: list.lines))
            }
        }
        return TOMLTable(keys: keys, values: values, lines: lines)
    }
}

/// An array of tables under construction: one table per `[[header]]`, with its line.
final class TableArrayNode {
    var tables: [TableNode] = []
    var lines: [Int] = []
}
