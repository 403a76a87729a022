import Foundation
import XCTest
@testable import Report

/// A temporary run folder per test, removed afterwards.
class RunFolderTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Writes `text` as the folder's log.jsonl, byte for byte.
    func writeLog(_ text: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent("log.jsonl"))
    }

    /// Writes `lines`, each followed by a newline.
    func writeLog(lines: [String]) throws {
        try writeLog(lines.map { $0 + "\n" }.joined())
    }

    /// The error `body` throws, failing the test when it throws none or another kind.
    func reportError(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> ReportError? {
        do {
            try body()
            XCTFail("expected a ReportError", file: file, line: line)
        } catch let error as ReportError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }
}

/// Counting substrings and pulling out one chart of a page.
extension String {
    func occurrences(of needle: String) -> Int {
        components(separatedBy: needle).count - 1
    }

    /// The `<svg>` element whose title is `title`.
    func chart(titled title: String) -> String? {
        guard let titleRange = range(of: "<title>\(title)</title>"),
              let start = self[..<titleRange.lowerBound].range(of: "<svg", options: .backwards),
              let end = self[titleRange.upperBound...].range(of: "</svg>") else { return nil }
        return String(self[start.lowerBound..<end.upperBound])
    }

    /// The `data-points` counts of the polylines of series `name`.
    func polylinePoints(series name: String) -> [Int] {
        components(separatedBy: "data-series=\"\(name)\" data-points=\"").dropFirst().compactMap {
            Int($0.prefix { $0.isNumber })
        }
    }
}
