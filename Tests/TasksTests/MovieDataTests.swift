import Foundation
import TestSupport
import XCTest
@testable import Tasks

/// The real bundled movie-review files (assets/data/movie, from scripts/fetch_assets.sh) load
/// as task `movie`.
final class MovieDataTests: XCTestCase {
    func testBundledMovieData() throws {
        let dir = PackageAssets.root.appendingPathComponent("assets/data/movie")
        let spec = GlueTask.movie.spec
        for (split, count) in [(Split.train, 8457), (.dev, 1057), (.test, 1054)] {
            let url = try spec.url(for: split, in: dir)
            guard FileManager.default.fileExists(atPath: url.path) else {
                XCTFail("\(url.path) is missing: run scripts/fetch_assets.sh")
                continue
            }
            let dataset = try spec.load(split, from: dir)
            XCTAssertEqual(dataset.count, count, "\(split)")
            XCTAssertTrue(dataset.isLabeled)
            XCTAssertTrue(dataset.skipped.isEmpty)
            XCTAssertEqual(dataset.examples.map(\.index), Array(0..<count))
            XCTAssertTrue(dataset.examples.allSatisfy { $0.label == 0 || $0.label == 1 })
            XCTAssertTrue(dataset.examples.allSatisfy { !$0.textA.isEmpty && $0.textB == nil })
            // Both classes are present in every split.
            XCTAssertEqual(Set(dataset.examples.compactMap(\.label)), [0, 1], "\(split)")
        }
        if let labels = try? String(contentsOf: dir.appendingPathComponent("labels.txt"), encoding: .utf8) {
            XCTAssertEqual(labels.split(separator: "\n").map(String.init), spec.labelNames)
        }
    }
}
