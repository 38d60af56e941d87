/// A plain-text table: a header row, a rule, and rows, with columns padded to fit.
/// The first column is left-aligned, the others right-aligned (numbers) unless listed in
/// `leftColumns`.
public struct TextTable: Sendable {
    public var header: [String]
    public var rows: [[String]] = []
    public var indent = "  "
    /// Columns aligned left; the first always is.
    public var leftColumns: Set<Int> = [0]

    public init(_ header: String...) { self.header = header }
    public init(_ header: [String]) { self.header = header }

    public mutating func add(_ cells: String...) { rows.append(cells) }
    public mutating func add(_ cells: [String]) { rows.append(cells) }

    public func rendered() -> String {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ row: [String]) -> String {
            var parts: [String] = []
            for i in 0..<columns {
                let cell = i < row.count ? row[i] : ""
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                parts.append(leftColumns.contains(i) ? cell + padding : padding + cell)
            }
            var text = indent + parts.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        let rule = indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
