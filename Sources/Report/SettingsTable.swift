import ModelFormat
import RunLog

/// The table of the run's settings (the config record): its "settings" with nested objects
/// flattened to dotted keys, then the record's other fields; each sorted by key (the order
/// the trainer writes them in).
enum SettingsTable {
    static func html(_ settings: [String: JSONValue]?, extras: [String: JSONValue] = [:]) -> String {
        var out = "<section class=\"card\" id=\"settings\"><h2>Settings</h2>\n"
        let rows = flatten(settings ?? [:], prefix: "")
        let extraRows = flatten(extras, prefix: "")
        guard !rows.isEmpty || !extraRows.isEmpty else {
            return out + "<p class=\"note\">The log has no settings (no config record).</p></section>\n"
        }
        out += "<div class=\"settings-columns\">"
        // Long lists in two side-by-side columns.
        let cells = rows.map { ["<code>\(HTML.escape($0.key))</code>", HTML.escape($0.value)] }
        let half = cells.count > 10 ? (cells.count + 1) / 2 : max(1, cells.count)
        for start in stride(from: 0, to: cells.count, by: half) {
            out += HTML.table(header: ["setting", "value"], rows: Array(cells[start..<min(start + half, cells.count)]),
                              cssClass: "settings")
        }
        if !extraRows.isEmpty {
            out += HTML.table(header: ["run", "value"],
                              rows: extraRows.map { ["<code>\(HTML.escape($0.key))</code>", HTML.escape($0.value)] },
                              cssClass: "settings")
        }
        return out + "</div></section>\n"
    }

    /// Dotted keys and display text; arrays stay whole, empty objects show as `{}`.
    static func flatten(_ object: [String: JSONValue], prefix: String) -> [(key: String, value: String)] {
        object.keys.sorted().flatMap { name -> [(key: String, value: String)] in
            let key = prefix + name, value = object[name]!
            if case .object(let nested) = value, !nested.isEmpty {
                return flatten(nested, prefix: key + ".")
            }
            return [(key, text(value))]
        }
    }

    /// A value as shown: strings bare; numbers as JSON writes them unless they carry float
    /// noise (a Float setting like 5e-5 widened to Double arrives as 4.9999998736893758e-05
    /// and is shown as 5e-5).
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .number(let v):
            let literal = "\(v)"
            let digits = literal.prefix { $0 != "e" && $0 != "E" }.filter(\.isNumber).drop { $0 == "0" }.count
            return digits > 9 && v.isFinite ? NumberFormat.value(v, significant: 7) : literal
        case .array(let items): return "[" + items.map(jsonText).joined(separator: ", ") + "]"
        default: return value.jsonText
        }
    }

    /// Array items: strings quoted, numbers cleaned as in `text`.
    private static func jsonText(_ value: JSONValue) -> String {
        if case .number = value { return text(value) }
        if case .array = value { return text(value) }
        return value.jsonText
    }
}
