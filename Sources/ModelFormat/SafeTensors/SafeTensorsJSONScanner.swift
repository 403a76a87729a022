/// A JSON syntax error at `offset` bytes into the header.
struct SafeTensorsJSONSyntaxError: Error {
    let offset: Int
    let message: String
}

/// A strict RFC 8259 JSON tokenizer over the header bytes, driven by the header's schema.
///
/// There is no generic JSON tree: `SafeTensorsHeader` walks the objects and arrays it expects
/// and refuses anything else on the spot, so memory stays proportional to the tensor table (a
/// 100 MB header of `[0,0,…]` is refused at its first byte) and nesting never exceeds three
/// levels. Duplicate keys are left to the caller (Foundation's `JSONSerialization` silently keeps
/// the last one). Refuses: control characters in strings, invalid escapes, lone UTF-16 surrogates
/// in `\u` escapes, leading zeros, trailing commas. The input must already be valid UTF-8.
struct SafeTensorsJSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position >= bytes.count }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    func syntaxError(_ message: String) -> SafeTensorsJSONSyntaxError {
        SafeTensorsJSONSyntaxError(offset: position, message: message)
    }

    /// "character 'x'", "byte 0x1", or "end of header", for messages.
    func describeCurrent() -> String {
        guard let byte = current else { return "end of header" }
        if byte >= 0x20 && byte < 0x7F { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    /// Whether the next value is an object (after whitespace).
    mutating func atObject() -> Bool {
        skipWhitespace()
        return current == UInt8(ascii: "{")
    }

    /// Whether the next value is an array (after whitespace).
    mutating func atArray() -> Bool {
        skipWhitespace()
        return current == UInt8(ascii: "[")
    }

    /// Whether the next value is `null`; consumes it if so.
    mutating func skipNull() throws -> Bool {
        skipWhitespace()
        guard current == UInt8(ascii: "n") else { return false }
        try parseLiteral("null")
        return true
    }

    /// What the next value is ("an object", "a string", "the number 1.5", …), without consuming
    /// it; a syntax error if no valid value starts here.
    func describeValue() throws -> String {
        var probe = self
        probe.skipWhitespace()
        guard let byte = probe.current else { throw probe.syntaxError("expected a value, found end of header") }
        switch byte {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "the string \"\(try probe.parseString().prefix(40))\""
        case UInt8(ascii: "t"): try probe.parseLiteral("true"); return "true"
        case UInt8(ascii: "f"): try probe.parseLiteral("false"); return "false"
        case UInt8(ascii: "n"): try probe.parseLiteral("null"); return "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let text = try probe.parseNumber()
            return "the number " + (text.count > 40 ? text.prefix(40) + "…" : text)
        default: throw probe.syntaxError("expected a value, found \(probe.describeCurrent())")
        }
    }

    /// Parses `{ "key": value, … }`, calling `member` after each key and its colon; `member`
    /// must consume the value.
    mutating func parseObject(_ member: (inout SafeTensorsJSONScanner, String) throws -> Void) throws {
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "'{'")
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                throw syntaxError("expected a string key, found \(describeCurrent())")
            }
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after key \"\(key.prefix(40))\"")
            try member(&self, key)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "}"), "',' or '}' in object")
            return
        }
    }

    /// Parses `[ value, … ]`, calling `element` with each index; `element` must consume the value.
    mutating func parseArray(_ element: (inout SafeTensorsJSONScanner, Int) throws -> Void) throws {
        skipWhitespace()
        try expect(UInt8(ascii: "["), "'['")
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return
        }
        var index = 0
        while true {
            try element(&self, index)
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "]"), "',' or ']' in array")
            return
        }
    }

    /// The next value if it is a string; nil (consuming nothing) if it is not.
    mutating func parseStringIfPresent() throws -> String? {
        skipWhitespace()
        return current == UInt8(ascii: "\"") ? try parseString() : nil
    }

    /// The next value if it is a non-negative integer literal (digits only: no sign, fraction or
    /// exponent) that fits in `Int`; nil (consuming nothing) otherwise.
    mutating func parseNonNegativeIntIfPresent() throws -> Int? {
        skipWhitespace()
        guard let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        let start = position
        let text = try parseNumber()
        var value = 0
        for digit in text.utf8 {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else {
                position = start
                return nil
            }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !o1, !o2 else {
                position = start
                return nil
            }
            value = sum
        }
        return value
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard current == byte else { throw syntaxError("expected \(what), found \(describeCurrent())") }
        position += 1
    }

    private mutating func parseLiteral(_ word: String) throws {
        let start = position
        for expected in word.utf8 {
            guard current == expected else {
                position = start
                throw syntaxError("invalid literal (expected \(word))")
            }
            position += 1
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as text.
    private mutating func parseNumber() throws -> String {
        let start = position
        func isDigit(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
            if isDigit(current) { throw syntaxError("leading zero in number") }
        } else if isDigit(current) {
            while isDigit(current) { position += 1 }
        } else {
            throw syntaxError("expected a digit in number, found \(describeCurrent())")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard isDigit(current) else { throw syntaxError("expected a digit after '.' in number") }
            while isDigit(current) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard isDigit(current) else { throw syntaxError("expected a digit in exponent") }
            while isDigit(current) { position += 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw syntaxError("unterminated \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw syntaxError("invalid hex digit in \\u escape: \(describeCurrent())")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// A string literal starting at the current `"`, unescaped.
    private mutating func parseString() throws -> String {
        let start = position
        position += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else {
                position = start
                throw syntaxError("unterminated string")
            }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                guard let escape = current else { throw syntaxError("unterminated escape in string") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): utf8.append(0x22)
                case UInt8(ascii: "\\"): utf8.append(0x5C)
                case UInt8(ascii: "/"): utf8.append(0x2F)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if code >= 0xD800 && code < 0xDC00 {
                        guard current == UInt8(ascii: "\\"),
                              position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u")
                        else { throw syntaxError("lone leading surrogate in \\u escape") }
                        position += 2
                        let low = try parseHex4()
                        guard low >= 0xDC00 && low < 0xE000 else {
                            throw syntaxError("invalid trailing surrogate in \\u escape")
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if code >= 0xDC00 && code < 0xE000 {
                        throw syntaxError("lone trailing surrogate in \\u escape")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw syntaxError("invalid \\u escape") }
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    position -= 1
                    throw syntaxError("invalid escape in string: \(describeCurrent())")
                }
            default:
                guard byte >= 0x20 else { throw syntaxError("control character in string: \(describeCurrent())") }
                utf8.append(byte)
                position += 1
            }
        }
    }
}
