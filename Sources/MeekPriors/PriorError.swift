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
