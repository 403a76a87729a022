import Foundation

/// What a file yields: its examples, the malformed rows skipped (with `skipMalformed`), and
/// whether it had a label column.
public struct TSVRows: Sendable, Equatable {
    public var examples: [Example]
    public var skipped: [TSVError]
    public var isLabeled: Bool
}

/// Reads GLUE-style TSV files into examples.
///
/// The format is the GLUE distribution's: fields split on every tab, no quoting (Hugging Face
/// reads them with `quotechar=None`), so quotes are ordinary text. Lines end with LF or CRLF;
/// the last line may lack its line break; trailing empty lines and a leading UTF-8 byte order
/// mark are ignored. Text fields are kept exactly; label and score fields are trimmed of
/// spaces. Fields past the ones the task needs are ignored. Every line must be UTF-8.
public struct TSVReader: Sendable {
    public let layout: TSVLayout
    /// The label values as written in the file; a label's class id is its position.
    public let labels: [String]
    public let isRegression: Bool
    /// The range a regression target must lie in (nil: any number a Float holds).
    public let targetRange: ClosedRange<Double>?
    public let options: ReadOptions
    private let labelIds: [String: Int]

    public init(layout: TSVLayout, labels: [String] = [], isRegression: Bool = false,
                targetRange: ClosedRange<Double>? = nil, options: ReadOptions = ReadOptions()) {
        self.layout = layout
        self.labels = labels
        self.isRegression = isRegression
        self.targetRange = targetRange
        self.options = options
        var ids: [String: Int] = [:]
        for (id, label) in labels.enumerated() where ids[label] == nil { ids[label] = id }
        labelIds = ids
    }

    /// The reader for one split of a task.
    public init(task: TaskSpec, split: Split, options: ReadOptions = ReadOptions()) throws {
        guard let layout = task.layout(for: split) else {
            throw TaskError.splitUnavailable(task: task.name, split: split, available: task.splits)
        }
        self.init(layout: layout, labels: task.labels, isRegression: task.isRegression,
                  targetRange: task.targetRange, options: options)
    }

    /// Reads and parses the file at `url`.
    public func read(_ url: URL) throws -> TSVRows {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TSVError.unreadable(file: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw TSVError.unreadable(file: path, reason: "is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TSVError.unreadable(file: path, reason: error.localizedDescription)
        }
        return try parse(data, file: path)
    }

    /// Parses file contents; `file` names the source in errors.
    public func parse(_ data: Data, file: String) throws -> TSVRows {
        try data.withUnsafeBytes { raw in
            try parse(raw.bindMemory(to: UInt8.self), file: file)
        }
    }

    // MARK: - Parsing

    /// Field positions the layout resolves to for one file.
    private struct Resolved {
        var textA: Int
        var textB: Int?
        var label: Int?
        /// How many fields a row needs, and the column that needs that many (for messages).
        var needed: Int
        var neededFor: String
    }

    /// Targets are stored as Float: without a task range, anything a Float holds.
    private static let floatRange = -Double(Float.greatestFiniteMagnitude)...Double(Float.greatestFiniteMagnitude)

    private static let tab: UInt8 = 0x09, lineFeed: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D

    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> TSVRows {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        // Drop the final line break and any empty lines after the last row.
        var end = bytes.count
        while end > start, bytes[end - 1] == Self.lineFeed || bytes[end - 1] == Self.carriageReturn { end -= 1 }
        guard end > start else { throw TSVError.emptyFile(file: file, expected: layout.summary) }

        var position = start
        var lineNumber = 0
        /// The next line as a byte range without its line break, or nil at the end.
        func nextLine() -> Range<Int>? {
            guard position < end else { return nil }
            let lower = position
            var upper = lower
            while upper < end, bytes[upper] != Self.lineFeed { upper += 1 }
            position = upper + 1
            lineNumber += 1
            if upper > lower, bytes[upper - 1] == Self.carriageReturn { upper -= 1 }
            return lower..<upper
        }

        var header: [String]?
        if layout.hasHeader, let line = nextLine() {
            if let bad = UTF8Check.firstInvalid(bytes, line.lowerBound, line.upperBound) {
                throw TSVError.invalidUTF8(file: file, line: lineNumber, byte: bad - line.lowerBound + 1)
            }
            header = Self.fields(bytes, line).map { Self.string(bytes, Self.trimmed(bytes, $0)) }
        }
        let columns = try resolve(header: header, file: file)
        let firstDataLine = lineNumber + 1

        var examples: [Example] = []
        var skipped: [TSVError] = []
        var starts: [Int] = []
        starts.reserveCapacity(columns.needed + 1)
        while let line = nextLine() {
            do {
                examples.append(try example(bytes, line, lineNumber: lineNumber, index: lineNumber - firstDataLine,
                                            columns: columns, starts: &starts, file: file))
            } catch let error as TSVError where options.skipMalformed {
                skipped.append(error)
            }
        }
        guard !examples.isEmpty else {
            throw TSVError.noExamples(file: file, line: firstDataLine, skipped: skipped.count)
        }
        return TSVRows(examples: examples, skipped: skipped, isLabeled: columns.label != nil)
    }

    /// Field positions for this file: names looked up in the header, positions checked.
    private func resolve(header: [String]?, file: String) throws -> Resolved {
        func position(_ column: Column, optional: Bool = false) throws -> Int? {
            switch column {
            case let .position(index):
                guard index >= 0, index < 1 << 20 else {
                    throw TSVError.invalidLayout(file: file, detail: "column position \(index) out of range")
                }
                return index
            case let .named(name):
                guard let header else {
                    throw TSVError.invalidLayout(file: file, detail: "column '\(name)' named, but the layout has no header")
                }
                if let index = header.firstIndex(of: name) { return index }
                if optional { return nil }
                throw TSVError.missingHeaderColumn(file: file, line: 1, column: name, header: header)
            }
        }
        var resolved = Resolved(textA: 0, needed: 0, neededFor: "")
        func need(_ index: Int, _ column: Column) {
            if index + 1 > resolved.needed {
                resolved.needed = index + 1
                resolved.neededFor = column.description
            }
        }
        resolved.textA = try position(layout.textA) ?? 0
        need(resolved.textA, layout.textA)
        if let textB = layout.textB, let index = try position(textB) {
            resolved.textB = index
            need(index, textB)
        }
        if let label = layout.label, let index = try position(label, optional: layout.labelIsOptional) {
            resolved.label = index
            need(index, label)
        }
        return resolved
    }

    /// One data row as an example; throws a row-level error.
    private func example(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, lineNumber: Int, index: Int,
                         columns: Resolved, starts: inout [Int], file: String) throws -> Example {
        if let bad = UTF8Check.firstInvalid(bytes, line.lowerBound, line.upperBound) {
            throw TSVError.invalidUTF8(file: file, line: lineNumber, byte: bad - line.lowerBound + 1)
        }
        // Start offsets of the first `needed + 1` fields; `count` counts them all.
        starts.removeAll(keepingCapacity: true)
        starts.append(line.lowerBound)
        var count = 1
        var i = line.lowerBound
        while i < line.upperBound {
            if bytes[i] == Self.tab {
                count += 1
                if starts.count <= columns.needed { starts.append(i + 1) }
            }
            i += 1
        }
        guard count >= columns.needed else {
            throw TSVError.missingField(file: file, line: lineNumber, column: columns.neededFor,
                                        found: count, expected: columns.needed)
        }
        func field(_ k: Int) -> Range<Int> {
            starts[k]..<(k + 1 < starts.count ? starts[k + 1] - 1 : line.upperBound)
        }
        var example = Example(index: index, textA: Self.string(bytes, field(columns.textA)))
        if let b = columns.textB { example.textB = Self.string(bytes, field(b)) }
        if let l = columns.label {
            let value = Self.string(bytes, Self.trimmed(bytes, field(l)))
            if isRegression {
                guard let number = Double(value), number.isFinite else {
                    throw TSVError.badScore(file: file, line: lineNumber, value: value)
                }
                let range = targetRange ?? Self.floatRange
                guard range.contains(number), Float(number).isFinite else {
                    throw TSVError.scoreOutOfRange(file: file, line: lineNumber, value: number, range: range)
                }
                example.target = Float(number)
            } else {
                guard let id = labelIds[value] else {
                    throw TSVError.unknownLabel(file: file, line: lineNumber, label: value, labels: labels)
                }
                example.label = id
            }
        }
        return example
    }

    /// All fields of a line (used for the header).
    private static func fields(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var lower = line.lowerBound
        for i in line where bytes[i] == tab {
            result.append(lower..<i)
            lower = i + 1
        }
        result.append(lower..<line.upperBound)
        return result
    }

    /// The range without leading and trailing spaces (and CR, VT, FF).
    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0D || b == 0x0B || b == 0x0C }
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, isSpace(bytes[lower]) { lower += 1 }
        while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
