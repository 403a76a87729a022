import Foundation
import XCTest

/// The package's own folders, for tests that read the bundled assets (fetched by
/// scripts/fetch_assets.sh, git-ignored).
public enum PackageAssets {
    /// The package root: the nearest folder above this file holding Package.swift.
    public static var root: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/", !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir.deleteLastPathComponent()
        }
        return dir
    }

    /// The bundled MiniLM folder; fails the test with what to run when it is missing.
    public static func minilm(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let dir = root.appendingPathComponent("assets/models/minilm-l6-h384")
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.safetensors").path) else {
            XCTFail("\(dir.path) is missing: run scripts/fetch_assets.sh", file: file, line: line)
            throw XCTSkip("assets missing")
        }
        return dir
    }
}
