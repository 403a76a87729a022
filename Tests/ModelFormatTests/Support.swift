import Foundation
import XCTest

/// Fixture paths of the ModelFormat tests.
enum Fixtures {
    static var root: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The package root (the folder holding Package.swift), found from this file.
    static var packageRoot: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir.deleteLastPathComponent()
        }
        return dir
    }

    /// The bundled MiniLM folder; fails the test with what to run when it is missing.
    static func minilm(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let dir = packageRoot.appendingPathComponent("assets/models/minilm-l6-h384")
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.safetensors").path) else {
            XCTFail("\(dir.path) is missing: run scripts/fetch_assets.sh", file: file, line: line)
            throw XCTSkip("assets missing")
        }
        return dir
    }
}
