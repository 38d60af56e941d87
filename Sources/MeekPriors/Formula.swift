import Foundation

/// An arithmetic expression over named inputs, for derived inputs such as
/// `g_i = "g_c / g_h"` or `g_alg = "2^(12 / doubling_months)"`.
///
/// Grammar: numbers, names, `+ - * / ^` (`^` binds tightest and to the right), unary
/// minus, parentheses, and the functions `exp log ln log10 log2 sqrt abs min max pow`.
public indirect enum Formula: Sendable, Equatable {
    case number(Double)
    case variable(String)
    case negate(Formula)
    case binary(Operator, Formula, Formula)
    case call(Function, [Formula])

    public enum Operator: Character, Sendable { case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^" }

    public enum Function: String, Sendable, CaseIterable {
        case exp, log, ln, log10, log2, sqrt, abs, min, max, pow
        var arity: Int { [.min, .max, .pow].contains(self) ? 2 : 1 }
    }

    /// The names the expression reads.
    public var variables: Set<String> {
        switch self {
        case .number: []
        case .variable(let n): [n]
        case .negate(let e): e.variables
        case .binary(_, let l, let r): l.variables.union(r.variables)
        case .call(_, let args): args.reduce(into: Set()) { $0.formUnion($1.variables) }
        }
    }

    /// Evaluates with `value(name)` giving each variable.
    @inlinable public func evaluate(_ value: (String) -> Double) -> Double {
        switch self {
        case .number(let x): return x
        case .variable(let n): return value(n)
        case .negate(let e): return -e.evaluate(value)
        case .binary(let op, let l, let r):
            let a = l.evaluate(value), b = r.evaluate(value)
            switch op {
            case .add: return a + b
            case .subtract: return a - b
            case .multiply: return a * b
            case .divide: return a / b
            case .power: return Foundation.pow(a, b)
            }
        case .call(let f, let args):
            let a = args[0].evaluate(value)
            switch f {
            case .exp: return Foundation.exp(a)
            case .log, .ln: return Foundation.log(a)
            case .log10: return Foundation.log10(a)
            case .log2: return Foundation.log2(a)
            case .sqrt: return a.squareRoot()
            case .abs: return Swift.abs(a)
            case .min: return Swift.min(a, args[1].evaluate(value))
            case .max: return Swift.max(a, args[1].evaluate(value))
            case .pow: return Foundation.pow(a, args[1].evaluate(value))
            }
        }
    }

    /// The longest expression accepted, in characters, and the deepest nesting of its tree
    /// (parentheses, unary minus, powers, and chains such as 1 + 1 + … count alike): every
    /// pass over a formula recurses through its tree, so both bound the stack a formula can
    /// use, and a real model input needs far less.
    public static let maxLength = 1000, maxDepth = 64

    /// Parses `text`; throws a message saying where and what is wrong.
    public static func parse(_ text: String) throws(FormulaError) -> Formula {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= maxLength else {
            throw FormulaError(message: "longer than \(maxLength) characters (\(scalars.count))", position: maxLength + 1)
        }
        var parser = FormulaParser(scalars)
        let e = try parser.expression()
        parser.skipSpaces()
        if parser.position < parser.scalars.count {
            throw parser.error("unexpected '\(parser.scalars[parser.position])'")
        }
        guard e.depth <= maxDepth else {
            throw FormulaError(message: "nested deeper than \(maxDepth) levels", position: 1)
        }
        return e
    }

    /// The height of the tree (a number or a name: 1).
    var depth: Int {
        switch self {
        case .number, .variable: 1
        case .negate(let e): 1 + e.depth
        case .binary(_, let l, let r): 1 + Swift.max(l.depth, r.depth)
        case .call(_, let args): 1 + args.map(\.depth).max()!
        }
    }
}

/// A syntax error in an expression, with the character position (1-based).
public struct FormulaError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var position: Int
    public var description: String { "\(message) at character \(position)" }
}

struct FormulaParser {
    let scalars: [Unicode.Scalar]
    var position = 0
    /// Open `unary` calls: every path of the recursion passes through it, so bounding it
    /// bounds the parser's own stack.
    var depth = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    func error(_ message: String) -> FormulaError { FormulaError(message: message, position: position + 1) }

    mutating func skipSpaces() {
        while position < scalars.count, scalars[position] == " " || scalars[position] == "\t" { position += 1 }
    }

    mutating func peek() -> Unicode.Scalar? {
        skipSpaces()
        return position < scalars.count ? scalars[position] : nil
    }

    mutating func expression() throws(FormulaError) -> Formula {
        var left = try term()
        while let c = peek(), c == "+" || c == "-" {
            position += 1
            let right = try term()
            left = .binary(c == "+" ? .add : .subtract, left, right)
        }
        return left
    }

    mutating func term() throws(FormulaError) -> Formula {
        var left = try unary()
        while let c = peek(), c == "*" || c == "/" {
            position += 1
            let right = try unary()
            left = .binary(c == "*" ? .multiply : .divide, left, right)
        }
        return left
    }

    mutating func unary() throws(FormulaError) -> Formula {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Formula.maxDepth else { throw error("nested deeper than \(Formula.maxDepth) levels") }
        if peek() == "-" {
            position += 1
            return .negate(try unary())
        }
        if peek() == "+" { position += 1 }
        return try power()
    }

    mutating func power() throws(FormulaError) -> Formula {
        let base = try primary()
        if peek() == "^" {
            position += 1
            return .binary(.power, base, try unary())
        }
        return base
    }

    mutating func primary() throws(FormulaError) -> Formula {
        guard let c = peek() else { throw error("expression ends too early") }
        if c == "(" {
            position += 1
            let e = try expression()
            guard peek() == ")" else { throw error("missing ')'") }
            position += 1
            return e
        }
        if c.properties.numericType != nil || c == "." {
            let start = position
            while position < scalars.count {
                let s = scalars[position]
                let prev = position > start ? scalars[position - 1] : " "
                if s.properties.numericType != nil || s == "." || s == "_" || s == "e" || s == "E"
                    || ((s == "+" || s == "-") && (prev == "e" || prev == "E")) {
                    position += 1
                } else { break }
            }
            let text = String(String.UnicodeScalarView(scalars[start..<position])).replacingOccurrences(of: "_", with: "")
            guard let v = Double(text), v.isFinite else {
                position = start
                throw error("'\(text)' is not a number")
            }
            return .number(v)
        }
        if c.properties.isAlphabetic || c == "_" {
            let start = position
            while position < scalars.count,
                  scalars[position].properties.isAlphabetic || scalars[position] == "_"
                    || scalars[position].properties.numericType != nil {
                position += 1
            }
            let name = String(String.UnicodeScalarView(scalars[start..<position]))
            if peek() == "(" {
                guard let f = Formula.Function(rawValue: name) else {
                    position = start
                    throw error("unknown function '\(name)' (known: \(Formula.Function.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                position += 1
                var args: [Formula] = []
                if peek() != ")" {
                    args.append(try expression())
                    while peek() == "," {
                        position += 1
                        args.append(try expression())
                    }
                }
                guard peek() == ")" else { throw error("missing ')' after the arguments of \(name)") }
                position += 1
                guard args.count == f.arity else {
                    throw error("\(name) takes \(f.arity) argument\(f.arity == 1 ? "" : "s"), got \(args.count)")
                }
                return .call(f, args)
            }
            return .variable(name)
        }
        throw error("unexpected '\(c)'")
    }
}
