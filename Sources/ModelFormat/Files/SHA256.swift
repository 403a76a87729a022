import Crypto
import Foundation

/// SHA-256, for the integrity digests of exported model files and training checkpoints: our
/// interface (hex digests, files read through a fixed buffer) over swift-crypto's SHA256
/// (BoringSSL's, which uses the CPU's SHA extensions where it has them).
///
/// Incremental: `update` with any number of byte runs, then `digest()` (which does not
/// consume the state). One-shot helpers hash a `Data`, raw bytes or a file.
public struct SHA256: Sendable {
    /// Bytes in a digest.
    public static let byteCount = 32

    private var hasher = Crypto.SHA256()
    /// Message length in bytes so far.
    private var length: UInt64 = 0

    public init() {}

    /// Appends `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        hasher.update(bufferPointer: bytes)
    }

    /// Appends `data` to the message.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The digest of the message so far (32 bytes); the state is left as it was.
    public func digest() -> [UInt8] { Array(hasher.finalize()) }

    /// The digest as 64 lowercase hexadecimal digits.
    public func hexDigest() -> String { Self.hexString(digest()) }

    /// Lowercase hexadecimal digits of `bytes`.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for b in bytes { text.append(digits[Int(b >> 4)]); text.append(digits[Int(b & 15)]) }
        return String(decoding: text, as: UTF8.self)
    }

    /// SHA-256 of `data`, as 64 lowercase hexadecimal digits.
    public static func hex(of data: Data) -> String {
        var hasher = SHA256()
        hasher.update(data)
        return hasher.hexDigest()
    }

    /// SHA-256 of `bytes`, as 64 lowercase hexadecimal digits.
    public static func hex(of bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.hexDigest()
    }

    /// SHA-256 of the file at `url` and its size in bytes, read through one buffer of
    /// `bufferSize` bytes (memory stays bounded whatever the file's size).
    public static func hex(ofFile url: URL, bufferSize: Int = 1 << 20) throws -> (sha256: String, bytes: Int) {
        func failure(_ what: String) -> NSError {
            let code = errno
            return NSError(domain: NSPOSIXErrorDomain, code: Int(code),
                           userInfo: [NSLocalizedDescriptionKey: "\(url.path): \(what): \(String(cString: strerror(code)))"])
        }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open") }
        defer { _ = close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bufferSize, 64), alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read")
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return (hasher.hexDigest(), Int(hasher.length))
    }
}
