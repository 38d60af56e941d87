import MeekPriors

/// Parsing of numeric command-line values, with messages that say what was expected.
enum ValueParsing {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The most times `times` accepts.
    static let maximumPoints = 100_000

    /// A finite decimal number, e.g. `0.154`, `1e17`, `-23.77`.
    static func number(_ text: String) throws -> Double {
        guard let v = Double(text.trimmingSpaces), v.isFinite else {
            throw Failure(description: "'\(echo(text))' is not a finite number")
        }
        return v
    }

    /// A comma-separated list of numbers, e.g. `0.05,0.01,0.001`.
    static func list(_ text: String) throws -> [Double] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { try number(String($0)) }
    }

    /// A comma-separated list of positive whole numbers, e.g. `1,2,5`.
    static func steps(_ text: String) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map {
            guard let v = Int($0.trimmingSpaces), v >= 1, v <= 1000 else {
                throw Failure(description: "'\(echo($0))' is not a whole number of steps from 1 to 1000")
            }
            return v
        }
    }

    /// Times: a comma-separated list whose items are numbers or ranges `start:end:step`,
    /// e.g. `1,2,5` or `0:40:0.5`. At most `maximumPoints` points.
    static func times(_ text: String) throws -> [Double] {
        var out: [Double] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            switch parts.count {
            case 1:
                guard out.count < maximumPoints else { throw Failure(description: "more than \(maximumPoints) times") }
                out.append(try number(String(item)))
            case 3:
                let start = try number(String(parts[0])), end = try number(String(parts[1]))
                let step = try number(String(parts[2]))
                guard step > 0, end >= start else {
                    throw Failure(description: "range '\(echo(item))' needs start ≤ end and step > 0")
                }
                // Counted as a Double first: a huge span or a tiny step must be refused, not
                // converted to an Int that does not exist.
                let span = ((end - start) / step + 1e-9).rounded(.down)
                guard span.isFinite, span + 1 + Double(out.count) <= Double(maximumPoints) else {
                    throw Failure(description: "range '\(echo(item))' has more than \(maximumPoints) points")
                }
                for i in 0...Int(span) { out.append(start + Double(i) * step) }
            default:
                throw Failure(description: "'\(echo(item))' is neither a number nor a range start:end:step")
            }
        }
        return out
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// `text` as an error message may repeat it: one line, cut (`PriorError.echo`).
func echo(_ text: some StringProtocol) -> String { PriorError.echo(text) }
