import Foundation
import HummingbirdTesting
import Server
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A client that stops sending cannot hold the server: a request whose body stalls halfway has
/// its connection closed after the idle timeout, and the server goes on serving.
final class IdleConnectionTests: XCTestCase {
    func testStalledBodyIsClosedAfterTheIdleTimeout() async throws {
        let server = try Fixture.server { $0.idleTimeout = .milliseconds(300) }
        try await server.makeApplication().test(.live) { client in
            let port = try livePort(client)
            let socket = try RawSocket(port: port)
            defer { socket.close() }
            // Promise 100 bytes of body, send 10, then nothing.
            try socket.send("POST /v1/classify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 100\r\n\r\n{\"texts\": ")
            let start = ContinuousClock.now
            let received = try socket.readUntilClosed(timeout: 20)
            XCTAssertLessThan(ContinuousClock.now - start, .seconds(15), "closed by the idle timeout")
            XCTAssertFalse(received.contains("200 OK"), received)
            let ok = try await send(port: port, .post, "/v1/classify", body: #"{"texts": ["w5 w6"]}"#)
            XCTAssertEqual(ok.status, .ok, "still serving: \(ok.text)")
        }
    }
}

/// A blocking TCP client on 127.0.0.1, for what an HTTP client library will not send.
final class RawSocket: @unchecked Sendable {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { Glibc.close(fd); throw Failure("connect() failed: errno \(errno)") }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw Failure("send() sent \(sent) of \(bytes.count) bytes") }
    }

    /// Everything received until the peer closes; throws if it is still open after `timeout` seconds.
    func readUntilClosed(timeout: Int) throws -> String {
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return String(decoding: received, as: UTF8.self) }
            if n < 0 {
                if errno == ECONNRESET { return String(decoding: received, as: UTF8.self) }
                throw Failure("connection still open after \(timeout) s (errno \(errno))")
            }
            received += buffer[0..<n]
        }
    }

    func close() { Glibc.close(fd) }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
