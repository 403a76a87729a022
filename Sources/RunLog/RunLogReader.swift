import Foundation
import ModelFormat

/// Reads a run's log.jsonl into typed records, each line through Foundation's JSONDecoder.
/// Unknown record types and unknown fields are skipped (logs of a newer q8train read); a
/// line that is not a record is an error naming the file and line, except a last line cut
/// short by a killed run, which is skipped with a warning.
public enum RunLogReader {
    /// Reads the log at `url`.
    public static func read(contentsOf url: URL) throws -> RunLogContents {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RunLogError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes a log's bytes; `path` names it in messages.
    public static func decode(_ data: Data, path: String) throws -> RunLogContents {
        var contents = RunLogContents(path: path, entries: [], warnings: [])
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let isBlank: (Data) -> Bool = { $0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
        let lastContentLine = lines.lastIndex(where: { !isBlank($0) })
        let decoder = JSONDecoder()
        for (offset, line) in lines.enumerated() where !isBlank(line) {
            let number = offset + 1
            do {
                contents.entries.append(RunLogEntry(line: number, record: try record(Data(line), decoder: decoder)))
            } catch let failure as LineFailure {
                if case .malformed = failure, offset == lastContentLine, LineDiagnosis.isCutShort(line) {
                    contents.warnings.append("\(path):\(number): the last line is incomplete (the run was probably "
                                             + "stopped while writing it) and was skipped.")
                    continue
                }
                throw failure.error(path: path, line: number)
            }
        }
        return contents
    }

    /// The record a line holds, by its "type".
    static func record(_ line: Data, decoder: JSONDecoder) throws -> RunLogEntry.Record {
        func decode<R: RunLogRecord>(_ type: R.Type) throws -> R {
            do {
                return try decoder.decode(type, from: line)
            } catch let error as DecodingError {
                throw LineDiagnosis.failure(error, line: line) { _ = try decoder.decode(type, from: $0) }
            }
        }
        switch try recordType(line, decoder: decoder) {
        case ConfigRecord<JSONValue>.type: return .config(try decode(ConfigRecord<JSONValue>.self))
        case ResumeRecord<JSONValue>.type: return .resume(try decode(ResumeRecord<JSONValue>.self))
        case StepRecord.type: return .step(try decode(StepRecord.self))
        case BadStepRecord.type: return .badStep(try decode(BadStepRecord.self))
        case StoppedRecord.type: return .stopped(try decode(StoppedRecord.self))
        case CheckpointRecord.type: return .checkpoint(try decode(CheckpointRecord.self))
        case QuantRecord.type: return .quant(try decode(QuantRecord.self))
        case EvalRecord.type: return .eval(try decode(EvalRecord.self))
        case SummaryRecord.type: return .summary(try decode(SummaryRecord.self))
        case let other: return .unknown(type: other)
        }
    }

    /// The line's "type" field.
    static func recordType(_ line: Data, decoder: JSONDecoder) throws -> String {
        struct Header: Decodable { var type: String }
        do {
            return try decoder.decode(Header.self, from: line).type
        } catch DecodingError.dataCorrupted {
            throw LineFailure.malformed
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw LineFailure.notARecord("expected a JSON object")
        } catch {
            throw LineFailure.notARecord("no string field \"type\"")
        }
    }
}
