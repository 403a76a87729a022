import Foundation
import ModelFormat
import RunLog

/// What the report knows of a run: the typed records of its log.jsonl. Record types the
/// report does not show (resume, bad_step, checkpoint, ...) are left out.
struct RunHistory {
    /// The log file inside a run folder.
    static let fileName = "log.jsonl"

    /// The log's path, for messages.
    var path: String
    /// The run's config record, nil when the log has none.
    var config: ConfigRecord<JSONValue>?
    /// Training steps sorted by step; when a resumed run repeats a step, the later line wins.
    var steps: [StepRecord] = []
    var evals: [EvalRecord] = []
    var quant: [QuantRecord] = []
    var summary: SummaryRecord?
    /// Problems that did not stop the report, shown on the page.
    var warnings: [String] = []

    init(path: String, warnings: [String] = []) {
        self.path = path
        self.warnings = warnings
    }

    /// The config record's settings (empty when it has none), nil without a config record.
    var settings: [String: JSONValue]? { config.map { $0.settings?.object ?? [:] } }

    /// The config record's other fields (e.g. total_steps, parameters) by their names in the log.
    var runFacts: [String: JSONValue] {
        guard var facts = config else { return [:] }
        facts.settings = nil
        guard let data = try? JSONEncoder().encode(facts) else { return [:] }
        return (try? JSONDecoder().decode(JSONValue.self, from: data))?.object ?? [:]
    }

    /// A setting's value as text, if present.
    func setting(_ key: String) -> String? { settings?[key]?.displayText }

    /// The evaluations on `split`, in file order.
    func evals(split: String) -> [EvalRecord] { evals.filter { $0.splitName == split } }
}
