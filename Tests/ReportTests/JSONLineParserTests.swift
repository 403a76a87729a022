import XCTest
@testable import Report

/// The log-line JSON parser: values, key order, escapes, and telling truncation from damage.
final class JSONLineParserTests: XCTestCase {
    func parse(_ s: String) throws -> JSONValue { try JSONLineParser.parse(Array(s.utf8)) }

    func failure(_ s: String) -> JSONLineParser.Failure? {
        do {
            _ = try parse(s)
            XCTFail("\(s) parsed")
        } catch let f as JSONLineParser.Failure {
            return f
        } catch {
            XCTFail("\(error)")
        }
        return nil
    }

    func testValuesAndKeyOrder() throws {
        let v = try parse(#" {"z": 1, "a": [true, false, null], "m": {"x": -2.5e-3}, "s": "hi"} "#)
        guard case .object(let o) = v else { return XCTFail("not an object") }
        XCTAssertEqual(o.members.map(\.key), ["z", "a", "m", "s"])
        XCTAssertEqual(o["z"], .number(1, literal: "1"))
        XCTAssertEqual(o["a"], .array([.bool(true), .bool(false), .null]))
        XCTAssertEqual(o["m"]?.object?["x"]?.number, -0.0025)
        XCTAssertEqual(o["m"]?.object?["x"]?.displayText, "-2.5e-3")
        XCTAssertEqual(o["s"], .string("hi"))
    }

    func testStringEscapes() throws {
        XCTAssertEqual(try parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#), .string("a\"b\\c/d\né😀"))
        XCTAssertEqual(try parse(#""\ud800x""#), .string("\u{FFFD}x"))  // lone surrogate
    }

    func testPythonNonFiniteLiterals() throws {
        XCTAssertTrue(try parse("NaN").number?.isNaN ?? false)
        XCTAssertEqual(try parse("[Infinity, -Infinity]"),
                       .array([.number(.infinity, literal: "Infinity"), .number(-.infinity, literal: "-Infinity")]))
    }

    func testTruncationIsAtEnd() {
        for cut in [#"{"type": "step", "step": 12, "lo"#, #"{"type": "step", "step": 1"#, #"{"type": "step", "step": 1."#,
                    #"{"a": tr"#, #"{"a": [1, 2"#, #"{"a": "x\"#, #"{"#, #"{"a""#, #"{"a":"#] {
            XCTAssertEqual(failure(cut)?.atEnd, true, cut)
        }
    }

    func testDamageIsNotAtEnd() {
        for bad in [#"{"a": 1}}"#, #"{"a" 1}"#, #"{a: 1}"#, #"{"a": 01}"#, #"{"a": tru}"#, #"{"a": 1,}"#, "[1 2]", #""\q""#] {
            XCTAssertEqual(failure(bad)?.atEnd, false, bad)
        }
        XCTAssertEqual(failure(#"{"a": 1}}"#)?.column, 9)
    }

    func testDeepNestingIsRefused() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        XCTAssertNotNil(failure(deep))
    }
}
