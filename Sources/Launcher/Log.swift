import Foundation
import Logging

/// Logging for the commands: swift-log to stderr, and to a file when asked.
enum Log {
    static func bootstrap(file: String?) -> Logger {
        let fileHandle = file.flatMap { path -> FileHandle? in
            FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }
        LoggingSystem.bootstrap { label in
            var handlers: [LogHandler] = [StreamLogHandler.standardError(label: label)]
            if let fileHandle { handlers.append(FileLogHandler(label: label, handle: fileHandle)) }
            return MultiplexLogHandler(handlers)
        }
        return Logger(label: "q8train")
    }
}

/// A swift-log handler appending "time level message" lines to a file.
struct FileLogHandler: LogHandler {
    let label: String
    let handle: FileHandle
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        let time = ISO8601DateFormatter().string(from: Date())
        handle.write(Data("\(time) \(level) \(message)\n".utf8))
    }
}
