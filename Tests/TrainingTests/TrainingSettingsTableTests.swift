import Foundation
import ModelFormat
import XCTest
@testable import Training

/// TrainingSettings' field table: complete, and the one source of its file and log format.
final class TrainingSettingsTableTests: XCTestCase {
    /// snake_case of a Swift property name (maxSeqLength -> max_seq_length).
    func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }

    func testEveryStoredFieldHasARowNamedInSnakeCase() {
        let properties = Mirror(reflecting: TrainingSettings()).children.compactMap(\.label).map(snakeCase)
        XCTAssertEqual(properties.count, 31)
        XCTAssertEqual(Set(properties), Set(TrainingSettings.fields.map(\.name)),
                       "a field without a table row would be neither read from config files nor logged")
        XCTAssertEqual(TrainingSettings.fields.count, Set(TrainingSettings.fields.map(\.name)).count, "names are unique")
    }

    func testEncodingWritesUnsetOptionalsNowhereAndRoundTrips() throws {
        let defaults = try XCTUnwrap(JSONValue(encoding: TrainingSettings()).object)
        XCTAssertNil(defaults["threads"])
        XCTAssertNil(defaults["resume"])
        XCTAssertEqual(defaults["max_seq_length"], .integer(64))
        XCTAssertEqual(defaults["pad_to_max_length"], .bool(false))

        var s = TrainingSettings()
        s.threads = 3; s.maxSteps = 7; s.textColumns = ["a", "b"]; s.learningRate = 3e-5; s.seed = 7
        s.padToMaxLength = true; s.resume = "auto"; s.quantize = "q8bert"
        let data = try ModelFormatJSON.encode(s, pretty: false)
        XCTAssertEqual(try JSONDecoder().decode(TrainingSettings.self, from: data), s)
    }

    func testQATGemmIsInt8OrFP32() throws {
        var s = TrainingSettings()
        XCTAssertEqual(s.resolvedQATGemm, .int8, "the int8 kernels are the default")
        s.qatGemm = "fp32"
        XCTAssertNoThrow(try s.validate())
        XCTAssertEqual(s.resolvedQATGemm, .fp32)
        s.qatGemm = "int4"
        XCTAssertThrowsError(try s.validate()) { error in
            XCTAssertEqual("\(error)", "\(SettingsError.invalid(field: "qat_gemm", message: "must be int8 or fp32, found int4"))")
        }
    }

    func testPartialAndStrictDecoding() throws {
        let partial = try JSONDecoder().decode(TrainingSettings.self, from: Data(#"{"batch_size": 16, "threads": 2}"#.utf8))
        var expected = TrainingSettings()
        expected.batchSize = 16; expected.threads = 2
        XCTAssertEqual(partial, expected)
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingSettings.self, from: Data(#"{"batch_sise": 16}"#.utf8))) {
            XCTAssertTrue(describeDecodingError($0).contains("did you mean \"batch_size\""), describeDecodingError($0))
        }
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingSettings.self, from: Data(#"{"epochs": "two"}"#.utf8))) {
            XCTAssertTrue(describeDecodingError($0).contains("field epochs"), describeDecodingError($0))
        }
    }
}
