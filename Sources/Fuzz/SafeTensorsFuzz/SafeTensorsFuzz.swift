import Foundation
import FuzzSupport
import ModelFormat

/// libFuzzer target: the safetensors reader (`SafeTensorsFile`, its header and JSON scanner).
///
/// Input: the whole file. A file the reader accepts must keep its promises: every tensor's
/// bytes lie inside the file, tile the data buffer, and convert with every accessor its dtype
/// allows; and writing the tensors again (`SafeTensorsWriter`) gives a file that reads back to
/// the same tensors and metadata. A refused file must give an error whose message names it.
@_cdecl("LLVMFuzzerTestOneInput")
public func safeTensorsFuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    let file: SafeTensorsFile
    do {
        file = try SafeTensorsFile(data: data, path: "fuzz.safetensors")
    } catch {
        let message = "\(error)"
        fuzzCheck(message.hasPrefix("fuzz.safetensors: "), "error without the file name: \(message)")
        return 0
    }
    checkAccepted(file)
    return 0
}

private func checkAccepted(_ file: SafeTensorsFile) {
    let dataStart = 8 + file.headerLength
    var cursor = dataStart
    var writer = SafeTensorsWriter(metadata: file.metadata)
    var raw: [String: Data] = [:]
    for info in file.tensors {
        fuzzCheck(info.byteRange.lowerBound == cursor, "\(info.name) does not start where the previous tensor ends")
        fuzzCheck(info.byteCount == info.elementCount * info.dtype.byteSize, "\(info.name): byte count")
        fuzzCheck(info.elementCount == info.shape.reduce(1, *), "\(info.name): element count")
        cursor = info.byteRange.upperBound
        do {
            let bytes = try file.withRawBytes(info.name) { Data($0) }
            fuzzCheck(bytes.count == info.byteCount, "\(info.name): raw bytes")
            raw[info.name] = bytes
            switch info.dtype {
            case .f32, .f16, .bf16, .f64:
                let values = try file.floats(info.name)
                fuzzCheck(values.count == info.elementCount, "\(info.name): float count")
            case .i8:
                try fuzzCheck(file.int8s(info.name).count == info.elementCount, "\(info.name): int8 count")
            case .i32:
                try fuzzCheck(file.int32s(info.name).count == info.elementCount, "\(info.name): int32 count")
                try fuzzCheck(file.int64s(info.name).count == info.elementCount, "\(info.name): widened count")
            case .i64:
                try fuzzCheck(file.int64s(info.name).count == info.elementCount, "\(info.name): int64 count")
            default:
                break
            }
            // The accessors for other dtypes must refuse, not misread.
            if info.dtype != .i8 { fuzzCheck((try? file.int8s(info.name)) == nil, "\(info.name): int8s of \(info.dtype)") }
            try bytes.withUnsafeBytes { try writer.add(info.name, dtype: info.dtype, shape: info.shape, bytes: $0) }
        } catch {
            fuzzCheck(false, "accepted tensor \(info.name) could not be read: \(error)")
        }
    }
    fuzzCheck(cursor == file.fileSize, "the tensors do not cover the data buffer")

    // Round trip through the writer.
    do {
        let again = try SafeTensorsFile(data: try writer.serialized(), path: "rewritten")
        fuzzCheck(again.metadata == file.metadata, "metadata changed in the round trip")
        fuzzCheck(Set(again.tensors.map(\.name)) == Set(file.tensors.map(\.name)), "tensor names changed")
        for info in again.tensors {
            let original = file[info.name]!
            fuzzCheck(info.dtype == original.dtype && info.shape == original.shape, "\(info.name): dtype or shape changed")
            try fuzzCheck(again.withRawBytes(info.name) { Data($0) } == raw[info.name], "\(info.name): bytes changed")
        }
    } catch {
        fuzzCheck(false, "the rewritten file does not read back: \(error)")
    }
}
