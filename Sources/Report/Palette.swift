/// Chart colours: distinguishable, and readable on white.
enum Palette {
    static let colors = ["#2563eb", "#ea580c", "#16a34a", "#dc2626", "#7c3aed",
                         "#0891b2", "#db2777", "#92400e", "#4b5563", "#65a30d"]

    /// The `i`th colour, cycling.
    static func color(_ i: Int) -> String { colors[((i % colors.count) + colors.count) % colors.count] }
}
