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

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}
