/// The table of the run's settings (the config record), nested objects flattened to dotted
/// keys, in file order.
enum SettingsTable {
    static func html(_ settings: JSONObject?) -> String {
        var out = "<section class=\"card\" id=\"settings\"><h2>Settings</h2>\n"
        let rows = flatten(settings ?? JSONObject(), prefix: "")
        guard !rows.isEmpty else {
            return out + "<p class=\"note\">The log has no settings (no config record).</p></section>\n"
        }
        // Long lists in two side-by-side columns.
        let cells = rows.map { ["<code>\(HTML.escape($0.key))</code>", HTML.escape($0.value)] }
        let half = cells.count > 10 ? (cells.count + 1) / 2 : cells.count
        out += "<div class=\"settings-columns\">"
        for start in stride(from: 0, to: cells.count, by: half) {
            out += HTML.table(header: ["setting", "value"], rows: Array(cells[start..<min(start + half, cells.count)]),
                              cssClass: "settings")
        }
        return out + "</div></section>\n"
    }

    /// Dotted keys and display text; arrays stay whole, empty objects show as `{}`.
    static func flatten(_ object: JSONObject, prefix: String) -> [(key: String, value: String)] {
        object.members.flatMap { member -> [(key: String, value: String)] in
            let key = prefix + member.key
            if case .object(let nested) = member.value, !nested.members.isEmpty {
                return flatten(nested, prefix: key + ".")
            }
            return [(key, member.value.displayText)]
        }
    }
}
