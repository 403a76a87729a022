/// Arranges quantized layer names into a grid for small multiples: names of the form
/// `PREFIX.N.SUFFIX` (e.g. `bert.encoder.layer.3.attention.self.query`) under the most common
/// prefix become rows by N and columns by SUFFIX; every other name is listed after the grid.
struct QuantLayout: Equatable {
    /// The common prefix of the grid's names ("bert.encoder.layer"), empty when there is no grid.
    var prefix: String
    /// Column headings: BERT's layers in forward order, other suffixes after them in order of
    /// first appearance (the trainer writes layer names sorted, which would put key before query).
    var columns: [String]
    /// One row per block index, ascending; each cell the full layer name, or nil if absent.
    var rows: [Row]
    /// Names outside the grid, in log order.
    var others: [String]

    struct Row: Equatable {
        var index: Int
        var cells: [String?]
    }

    /// Grids wider than this are not worth it: everything is listed.
    static let maxColumns = 8

    /// The linear layers of a BERT block in forward order.
    static let bertBlockOrder = ["attention.self.query", "attention.self.key", "attention.self.value",
                                 "attention.output.dense", "intermediate.dense", "output.dense"]

    init(names: [String]) {
        var parsed: [(name: String, prefix: String, index: Int, suffix: String)] = []
        for name in names {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let isIndex = { (i: Int) in i > 0 && !parts[i].isEmpty && parts[i].allSatisfy { $0.isASCII && $0.isNumber } }
            if let i = parts.indices.dropLast().first(where: isIndex),
               let index = Int(parts[i]) {
                parsed.append((name, parts[..<i].joined(separator: "."), index, parts[(i + 1)...].joined(separator: ".")))
            }
        }
        // The prefix shared by most names forms the grid.
        var counts: [String: Int] = [:]
        for p in parsed { counts[p.prefix, default: 0] += 1 }
        let main = parsed.map(\.prefix).max { counts[$0, default: 0] < counts[$1, default: 0] }
        var columns: [String] = []
        for p in parsed where p.prefix == main && !columns.contains(p.suffix) { columns.append(p.suffix) }
        let rank = { (suffix: String) in Self.bertBlockOrder.firstIndex(of: suffix) ?? Self.bertBlockOrder.count }
        columns = columns.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
        guard let prefix = main, columns.count <= Self.maxColumns else {
            self.prefix = ""
            self.columns = []
            self.rows = []
            self.others = names
            return
        }
        var byIndex: [Int: [String?]] = [:]
        for p in parsed where p.prefix == prefix {
            var cells = byIndex[p.index] ?? Array(repeating: nil, count: columns.count)
            if let c = columns.firstIndex(of: p.suffix) { cells[c] = p.name }
            byIndex[p.index] = cells
        }
        self.prefix = prefix
        self.columns = columns
        self.rows = byIndex.keys.sorted().map { Row(index: $0, cells: byIndex[$0] ?? []) }
        let inGrid = Set(parsed.filter { $0.prefix == prefix }.map(\.name))
        self.others = names.filter { !inGrid.contains($0) }
    }
}
