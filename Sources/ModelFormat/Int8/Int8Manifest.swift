import Foundation

/// quantization.json of an int8 folder (`Int8Format`): what the exporter wrote and the runtime
/// checks. Read strictly: an unknown key, a wrong format or version, a file record that is not
/// a plain name with a 64-digit sha256 are errors naming the field.
public struct Int8Manifest: Codable, Sendable, Equatable {
    public var format: String
    public var formatVersion: Int
    public var method: String
    /// The recipe's name ("q8bert", a config file's stem); "custom" when absent.
    public var preset: String
    /// The recipe's default bit width.
    public var bits: Int?
    public var weightsFile: String?
    /// The training recipe (informational, but read strictly like any config).
    public var config: QuantizationConfig?
    public var layers: [String: QuantizedLayerRecord]
    /// A human-readable description of the tensors, for people opening the file.
    public var tensors: [String: String]?
    /// The digest and size of each file as exported, by file name; nil for an export made
    /// before the field existed (loaded without integrity checks).
    public var files: [String: Int8FileRecord]?

    public init(preset: String, bits: Int, config: QuantizationConfig, layers: [String: QuantizedLayerRecord],
                files: [String: Int8FileRecord]) {
        format = Int8Format.formatName
        formatVersion = Int8Format.formatVersion
        method = Int8Format.method
        self.preset = preset
        self.bits = bits
        weightsFile = Int8Format.weightsFile
        self.config = config
        self.layers = layers
        tensors = Int8Format.tensorDescriptions
        self.files = files
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, formatVersion = "format_version", method, preset, bits, weightsFile = "weights_file", config,
             layers, tensors, files
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        guard formatVersion == Int8Format.formatVersion else {
            throw DecodingError.dataCorruptedError(forKey: .formatVersion, in: c, debugDescription:
                "\(formatVersion) is not supported (this runtime reads version \(Int8Format.formatVersion))")
        }
        format = try c.decodeIfPresent(String.self, forKey: .format) ?? ""
        guard format == Int8Format.formatName else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: c, debugDescription:
                "not \"\(Int8Format.formatName)\": not an int8 export (a QAT checkpoint folder? export it with `q8train export`)")
        }
        method = try c.decodeIfPresent(String.self, forKey: .method) ?? Int8Format.method
        preset = try c.decodeIfPresent(String.self, forKey: .preset) ?? "custom"
        bits = try c.decodeIfPresent(Int.self, forKey: .bits)
        weightsFile = try c.decodeIfPresent(String.self, forKey: .weightsFile)
        config = try c.decodeIfPresent(QuantizationConfig.self, forKey: .config)
        layers = try c.decode([String: QuantizedLayerRecord].self, forKey: .layers)
        for (name, layer) in layers where layer.mode != .none && !(2...8).contains(layer.bits ?? 8) {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [CodingKeys.layers, AnyCodingKey(stringValue: name),
                                                                                  QuantizedLayerRecord.CodingKeys.bits],
                                                    debugDescription: "\(layer.bits ?? 8) is not in 2...8"))
        }
        tensors = try c.decodeIfPresent([String: String].self, forKey: .tensors)
        files = try c.decodeIfPresent([String: Int8FileRecord].self, forKey: .files)
        if let files {
            for name in files.keys where name.isEmpty || name.contains("/") || name == "." || name == ".." {
                throw DecodingError.dataCorruptedError(forKey: .files, in: c, debugDescription:
                    "\"\(name)\" is not a file name of the folder")
            }
            guard files[Int8Format.weightsFile] != nil else {
                throw DecodingError.dataCorruptedError(forKey: .files, in: c, debugDescription:
                    "no entry for \(Int8Format.weightsFile)")
            }
        }
    }

    /// Pretty-printed, keys sorted.
    public func json() throws -> Data { try ModelFormatJSON.encode(self, pretty: true) }

    /// Parses the contents of quantization.json; `path` names it in errors.
    public static func parse(_ data: Data, path: String) throws -> Int8Manifest {
        do {
            return try JSONDecoder().decode(Int8Manifest.self, from: data)
        } catch let error as DecodingError {
            throw Int8FormatError(path: path, reason: describeDecodingError(error))
        } catch {
            throw Int8FormatError(path: path, reason: "not a JSON object (\(error))")
        }
    }
}

/// One entry of an int8 manifest's "files": what the exporter wrote.
public struct Int8FileRecord: Codable, Sendable, Equatable {
    /// 64 lowercase hexadecimal digits.
    public var sha256: String
    public var bytes: Int

    public init(sha256: String, bytes: Int) { self.sha256 = sha256; self.bytes = bytes }

    enum CodingKeys: String, CodingKey, CaseIterable { case sha256, bytes }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let digest = try c.decode(String.self, forKey: .sha256)
        let lower = digest.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw DecodingError.dataCorruptedError(forKey: .sha256, in: c, debugDescription:
                "\"\(digest)\" is not 64 hexadecimal digits")
        }
        sha256 = lower
        bytes = try c.decode(Int.self, forKey: .bytes)
        guard bytes >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .bytes, in: c, debugDescription: "must be >= 0, found \(bytes)")
        }
    }
}

/// A quantization.json that does not describe an int8 folder: its path and what is wrong.
public struct Int8FormatError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
