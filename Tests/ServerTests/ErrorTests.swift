import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import XCTest

/// Every error the API answers, over real HTTP: status, JSON error body, and a message naming
/// the field or the limit. The server keeps serving after each.
final class ErrorTests: XCTestCase {
    /// Runs `body` against a live server with small limits (body 2048 bytes, 8 texts).
    private func withServer(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let server = try Fixture.server { $0.maxBodyBytes = 2048; $0.maxTexts = 8 }
        try await server.makeApplication().test(.live) { client in
            let port = try livePort(client)
            try await body(port)
            // Still serving.
            let ok = try await send(port: port, .post, "/v1/classify", body: #"{"texts": ["w5 w6"]}"#)
            XCTAssertEqual(ok.status, .ok, "after the errors: \(ok.text)")
        }
    }

    /// Posts `body` and checks the status and that the message contains `expected`.
    private static func expect(_ port: Int, _ body: String, _ status: HTTPResponse.Status, _ expected: String,
                        contentType: String? = "application/json", file: StaticString = #filePath, line: UInt = #line) async throws {
        let response = try await send(port: port, .post, "/v1/classify", body: body, contentType: contentType)
        XCTAssertEqual(response.status, status, "\(body.prefix(80)): \(response.text)", file: file, line: line)
        XCTAssertEqual(response.headers[.contentType], "application/json", file: file, line: line)
        let message = try response.errorMessage(file: file, line: line)
        XCTAssertTrue(message.contains(expected), "message \"\(message)\" should contain \"\(expected)\"", file: file, line: line)
    }

    func testMalformedJSONIs400WithThePosition() async throws {
        try await withServer { port in
            try await Self.expect(port, #"{"texts": ["a", }"#, .badRequest, "body is not valid JSON: Invalid value around character 16")
            try await Self.expect(port, "", .badRequest, "body is not valid JSON: Unexpected end of file")
            try await Self.expect(port, "texts=a", .badRequest, "body is not valid JSON")
            // Nesting past the parser's limit is refused, not recursed into.
            let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
            try await Self.expect(port, #"{"texts": "# + deep + "}", .badRequest, "Too many nested arrays or dictionaries")
        }
    }

    func testInvalidStringsAndNumbersAre400() async throws {
        try await withServer { port in
            // Invalid UTF-8 inside a string: the bytes go as they are.
            let response = try await sendBytes(port: port, Array(#"{"texts": [""#.utf8) + [0xFF, 0xFE] + Array(#""]}"#.utf8))
            XCTAssertEqual(response.status, .badRequest, response.text)
            XCTAssertTrue(try response.errorMessage().contains("Invalid UTF-8"), response.text)
            try await Self.expect(port, #"{"texts": [1e999]}"#, .badRequest, "1e999 is not representable")
        }
    }

    func testWrongFieldTypesAre400NamingTheField() async throws {
        try await withServer { port in
            try await Self.expect(port, #"["w5"]"#, .badRequest, "body: expected a JSON object")
            try await Self.expect(port, "null", .badRequest, "body: expected a JSON object")
            try await Self.expect(port, #"{"texts": "w5 w6"}"#, .badRequest, "texts: expected a list, found a string")
            try await Self.expect(port, #"{"texts": ["w5", 7]}"#, .badRequest, "texts[1]: expected a string, found a number")
            try await Self.expect(port, #"{"texts": ["w5", null]}"#, .badRequest, "texts[1]: expected a string, found null")
            try await Self.expect(port, #"{"texts": [["w5"]]}"#, .badRequest, "texts[0]: expected a string, found a list")
            try await Self.expect(port, #"{"pairs": ["w5", "w6"]}"#, .badRequest, "pairs[0]: expected a list, found a string")
            try await Self.expect(port, #"{"pairs": [["w5", "w6"], ["w7"]]}"#, .badRequest, "pairs[1]: expected 2 texts")
            try await Self.expect(port, #"{"pairs": [["w5", {"a": 1}]]}"#, .badRequest, "pairs[0][1]: expected a string, found an object")
            try await Self.expect(port, #"{"pairs": [["w5", true]]}"#, .badRequest, "pairs[0][1]: expected a string, found true/false")
        }
    }

    func testMissingUnknownAndConflictingFieldsAre400() async throws {
        try await withServer { port in
            try await Self.expect(port, "{}", .badRequest, #"missing field "texts""#)
            try await Self.expect(port, #"{"text": ["w5"]}"#, .badRequest, #"unknown field "text""#)
            try await Self.expect(port, #"{"texts": ["w5"], "pairs": [["w5", "w6"]]}"#, .badRequest, "not both")
        }
    }

    func testEmptyListIs400() async throws {
        try await withServer { port in
            try await Self.expect(port, #"{"texts": []}"#, .badRequest, "texts: empty list")
            try await Self.expect(port, #"{"pairs": []}"#, .badRequest, "pairs: empty list")
        }
    }

    func testTooManyTextsIs413() async throws {
        try await withServer { port in
            let nine = (0..<9).map { _ in "\"w5\"" }.joined(separator: ",")
            try await Self.expect(port, "{\"texts\": [\(nine)]}", .contentTooLarge, "9 items, more than the limit of 8")
            let eight = (0..<8).map { _ in "\"w5\"" }.joined(separator: ",")
            let ok = try await send(port: port, .post, "/v1/classify", body: "{\"texts\": [\(eight)]}")
            XCTAssertEqual(ok.status, .ok, "8 texts is the limit, allowed: \(ok.text)")
        }
    }

    func testBodyOverTheLimitIs413() async throws {
        try await withServer { port in
            let padding = String(repeating: " ", count: 2100)
            try await Self.expect(port, #"{"texts": ["w5"]}"# + padding, .contentTooLarge, "larger than 2048 bytes")
            // Exactly at the limit: accepted.
            let base = #"{"texts": ["w5"]}"#
            let atLimit = base + String(repeating: " ", count: 2048 - base.utf8.count)
            let ok = try await send(port: port, .post, "/v1/classify", body: atLimit)
            XCTAssertEqual(ok.status, .ok, ok.text)
        }
    }

    func testWrongContentTypeIs415() async throws {
        try await withServer { port in
            try await Self.expect(port, #"{"texts": ["w5"]}"#, .unsupportedMediaType, "expected Content-Type: application/json",
                                  contentType: "text/plain")
            try await Self.expect(port, #"{"texts": ["w5"]}"#, .unsupportedMediaType, "got none", contentType: nil)
            let withCharset = try await send(port: port, .post, "/v1/classify", body: #"{"texts": ["w5"]}"#,
                                             contentType: "application/json; charset=utf-8")
            XCTAssertEqual(withCharset.status, .ok, withCharset.text)
        }
    }

    func testUnknownRouteIs404() async throws {
        try await withServer { port in
            for (method, uri) in [(HTTPRequest.Method.get, "/nope"), (.get, "/v1/classify"), (.post, "/v1/model"), (.delete, "/metrics")] {
                let response = try await send(port: port, method, uri)
                XCTAssertEqual(response.status, .notFound, "\(method) \(uri)")
                let message = try response.errorMessage()
                XCTAssertTrue(message.contains("no route \(method) \(uri)"), message)
                XCTAssertTrue(message.contains("POST /v1/classify"), "lists the routes: \(message)")
            }
        }
    }
}
