import Foundation
import XCTest

/// Runs the test-only `q8dist-harness` executable (Tests/DistHarness; or, by name, a
/// product such as q8train), under `mpirun -n W` or directly, with a clean MPI environment
/// and a time limit.
enum HarnessRunner {
    struct Result {
        let status: Int32
        let output: String
        let errors: String
        let timedOut: Bool
        var transcript: String { "exit status \(status)\(timedOut ? " (timed out)" : "")\n\(output)\n\(errors)" }
    }

    static let name = "q8dist-harness"

    /// The built executable: `Q8DIST_HARNESS` if set (for the harness), else the first
    /// folder holding it while walking up from the test bundle (SwiftPM puts executables
    /// next to it: .build/<triple>/debug), else the package's .build/debug.
    static func executable(named name: String = HarnessRunner.name) throws -> URL {
        let fm = FileManager.default
        if name == HarnessRunner.name, let path = ProcessInfo.processInfo.environment["Q8DIST_HARNESS"] { return URL(fileURLWithPath: path) }
        var starts = [Bundle.main.bundleURL, Bundle(for: Marker.self).bundleURL]
        if let e = Bundle.main.executableURL { starts.append(e.deletingLastPathComponent()) }
        for start in starts {
            var dir = start.standardizedFileURL
            while dir.path != "/" {
                let candidate = dir.appendingPathComponent(name)
                if fm.isExecutableFile(atPath: candidate.path) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let fallback = root.appendingPathComponent(".build/debug/\(name)")
        if fm.isExecutableFile(atPath: fallback.path) { return fallback }
        throw NotBuilt(name: name)
    }

    struct NotBuilt: Error, CustomStringConvertible {
        let name: String
        var description: String {
            "\(name) is not built: run `swift build --build-tests` (or `swift build --product \(name)`) first"
        }
    }

    /// mpirun from PATH.
    static func mpirun() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw MPIRunNotFound()
    }

    struct MPIRunNotFound: Error, CustomStringConvertible {
        var description: String { "mpirun not found in PATH (install openmpi-bin)" }
    }

    /// This process's environment without an enclosing MPI job's variables (a child would
    /// otherwise try to join that job), allowing root.
    static func cleanEnvironment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "ORTE_", "OPAL_"].contains { key.hasPrefix($0) }
        }
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        return env
    }

    /// Runs the executable with `arguments` on `ranks` ranks (nil: directly, without mpirun),
    /// killing it after `timeout` seconds. `environment` is added to the clean one (and
    /// exported to every rank).
    /// `resolve`: run this program instead of a built product (e.g. /usr/bin/taskset).
    static func run(ranks: Int?, _ arguments: [String], executable name: String = HarnessRunner.name,
                    mpiArguments: [String] = [], environment: [String: String] = [:],
                    timeout: TimeInterval = 60, resolve: String? = nil) throws -> Result {
        let program = try resolve.map { URL(fileURLWithPath: $0) } ?? executable(named: name)
        let process = Process()
        if let ranks {
            process.executableURL = try mpirun()
            let exports = environment.keys.sorted().flatMap { ["-x", $0] }
            process.arguments = ["-n", "\(ranks)", "--oversubscribe", "--bind-to", "none"] + exports + mpiArguments
                + [program.path] + arguments
        } else {
            process.executableURL = program
            process.arguments = arguments
        }
        process.environment = cleanEnvironment().merging(environment) { _, new in new }
        // Files, not pipes: a full pipe would block the children.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q8dist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()   // SIGTERM: mpirun forwards it to the ranks
            if finished.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        try outHandle.close(); try errHandle.close()
        return Result(status: process.terminationStatus,
                      output: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      errors: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                      timedOut: timedOut)
    }

    private final class Marker {}
}
