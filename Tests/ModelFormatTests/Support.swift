import Foundation
import XCTest

/// Fixture paths of the ModelFormat tests.
enum Fixtures {
    static var root: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}
