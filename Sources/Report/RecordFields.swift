/// Typed access to one record's fields; a wrong type is an error naming the line and field,
/// an absent field or `null` is nil.
struct RecordFields {
    var object: JSONObject
    var path: String
    var line: Int
    /// Prepended to field names in messages (for nested objects).
    var prefix = ""

    func number(_ key: String) throws -> Double? {
        guard let value = present(key) else { return nil }
        guard let number = value.number else { throw invalid(prefix + key, expected: "a number") }
        return number
    }

    func int(_ key: String) throws -> Int? {
        guard let number = try number(key) else { return nil }
        guard number.isFinite, number == number.rounded(), let int = Int(exactly: number) else {
            throw invalid(prefix + key, expected: "an integer")
        }
        return int
    }

    func requiredInt(_ key: String) throws -> Int {
        guard let value = try int(key) else { throw missing(prefix + key) }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = present(key) else { return nil }
        guard let string = value.string else { throw invalid(prefix + key, expected: "a string") }
        return string
    }

    func object(_ key: String) throws -> JSONObject? {
        guard let value = present(key) else { return nil }
        guard let object = value.object else { throw invalid(prefix + key, expected: "an object") }
        return object
    }

    /// An object's numeric members in file order; members of other kinds are skipped.
    func numbers(_ key: String) throws -> [(name: String, value: Double)] {
        guard let object = try object(key) else { return [] }
        return object.members.compactMap { m in m.value.number.map { (m.key, $0) } }
    }

    func missing(_ field: String) -> ReportError {
        .missingField(path: path, line: line, field: field)
    }

    func invalid(_ field: String, expected: String) -> ReportError {
        .invalidField(path: path, line: line, field: field, expected: expected)
    }

    private func present(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }
}
