/// A problem in a prior file: which file, which key (and line, when found), and what is
/// wrong. Printed as `priors/x.toml:12: inputs.g_h: lognormal needs sigma > 0 (got -1)`.
public struct PriorError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    /// Dotted key path, e.g. `inputs.g_h.sigma` or `scenario[2].weight`; empty for the file.
    public var key: String
    public var line: Int?
    public var message: String

    public init(file: String, key: String, line: Int? = nil, message: String) {
        self.file = file
        self.key = key
        self.line = line
        self.message = message
    }

    /// One line, whatever the file holds: control characters (newlines included) escaped,
    /// the key cut to `PriorError.echoLimit` characters (the file name to 1024), the message to
    /// `messageLimit` (messages cut what they echo with `echo` already; this is the bound).
    public var description: String {
        let file = PriorError.echo(file, limit: 1024), key = PriorError.echo(key)
        let message = PriorError.echo(message, limit: PriorError.messageLimit)
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }

    /// The most characters of a name, key or value a message repeats, and of a message.
    public static let echoLimit = 80, messageLimit = 400

    /// `text` as a message may repeat it: control characters escaped (`\n`, `\u{7}`), cut
    /// to `limit` characters with "…".
    public static func echo(_ text: some StringProtocol, limit: Int = echoLimit) -> String {
        var out = ""
        var count = 0
        for c in text.unicodeScalars {
            guard count < limit else { return out + "…" }
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.properties.generalCategory == .control || c.properties.generalCategory == .format
                    || c == "\u{2028}" || c == "\u{2029}" {
                    out += "\\u{\(String(c.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
            count += 1
        }
        return out
    }
}

/// `echo` for values in messages: a TOML value or anything printable, cut and escaped.
func echo(_ value: Any) -> String { PriorError.echo(String(describing: value)) }

/// Finds the line of a key in TOML text, for error messages (TOMLKit reports positions
/// only for syntax errors). Tracks `[table]` and `[[array]]` headers; a key inside an
/// inline table resolves to the line of the inline table's own key.
struct KeyLocator {
    let lines: [Substring]

    init(_ text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    /// The 1-based line of `path` (components such as `inputs`, `g_h`, `sigma`, or
    /// `scenario`, `2` for the second `[[scenario]]`), or of its nearest ancestor.
    func line(of path: [String]) -> Int? {
        var best: (line: Int, depth: Int)?
        var table: [String] = []
        var arrayCounts: [String: Int] = [:]
        for (index, raw) in lines.enumerated() {
            let text = raw.trimming(" \t\r")
            if text.hasPrefix("[") {
                let isArray = text.hasPrefix("[[")
                let name = text.trimming("[] \t").split(separator: "#").first.map {
                    String($0).trimming("] \t")
                } ?? ""
                table = name.split(separator: ".").map { String($0).trimming(" \"'") }
                if isArray {
                    let key = table.joined(separator: ".")
                    arrayCounts[key, default: 0] += 1
                    table.append(String(arrayCounts[key]!))
                }
                let depth = matchDepth(table, path)
                if depth == table.count, depth > (best?.depth ?? 0) { best = (index + 1, depth) }
                continue
            }
            guard let eq = text.firstIndex(of: "="), !text.hasPrefix("#") else { continue }
            let keyParts = text[..<eq].split(separator: ".").map { String($0).trimming(" \t\"'") }
            let full = table + keyParts
            let depth = matchDepth(full, path)
            if depth >= table.count + 1, depth == min(full.count, path.count) || depth == full.count,
               depth > (best?.depth ?? 0) {
                best = (index + 1, depth)
            }
        }
        return best?.line
    }

    private func matchDepth(_ a: [String], _ b: [String]) -> Int {
        var n = 0
        while n < a.count, n < b.count, a[n] == b[n] { n += 1 }
        return n == a.count || n == b.count ? n : (n == 0 ? 0 : -1)
    }
}

extension StringProtocol {
    func trimming(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}
