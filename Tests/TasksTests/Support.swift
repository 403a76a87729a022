import Foundation
import XCTest
@testable import Tasks

/// Fixture paths and error helpers shared by the Tasks tests.
enum Fixtures {
    static var root: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }

    /// `Fixtures/<relative>`, e.g. `url("sst2")` for the SST-2 data folder.
    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

}

/// Runs `body`, which must throw an `E`; fails the test otherwise. Returns the error.
@discardableResult
func expectError<E: Error, T>(_ kind: E.Type, _ body: () throws -> T,
                              file: StaticString = #filePath, line: UInt = #line) -> E? {
    do {
        let value = try body()
        XCTFail("expected \(E.self), got \(value)", file: file, line: line)
    } catch let error as E {
        return error
    } catch {
        XCTFail("expected \(E.self), got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

/// Asserts that the error's message contains every fragment.
func assertMessage(_ error: (any Error)?, contains fragments: [String],
                   file: StaticString = #filePath, line: UInt = #line) {
    guard let error else { return XCTFail("no error", file: file, line: line) }
    let message = String(describing: error)
    for fragment in fragments {
        XCTAssertTrue(message.contains(fragment), "'\(message)' does not contain '\(fragment)'", file: file, line: line)
    }
}
