/// HTML text helpers. Every piece of text from the log goes through `escape` before it
/// reaches the page, in element content and in attribute values alike.
enum HTML {
    /// Escapes `& < > " '` so the text is inert in content and in quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in HTML text.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" || scalar.value == 0x7F {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A table of rows of already-escaped cells; `header` cells become `<th>`.
    static func table(header: [String], rows: [[String]], cssClass: String) -> String {
        var out = "<table class=\"\(cssClass)\">"
        if !header.isEmpty {
            out += "<thead><tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr></thead>"
        }
        out += "<tbody>"
        for row in rows {
            out += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        return out + "</tbody></table>\n"
    }
}
