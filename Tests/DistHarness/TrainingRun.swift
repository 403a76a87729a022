import BERT
import Dist
import FaultInjection
import Foundation
import ModelFormat
import Tensor
import Training

/// `train FILE [POISON]`: a real fine-tuning on every rank through `Trainer`, as `q8train
/// train` runs one, with the settings of the JSON run config FILE (q8train's field names;
/// `quantize` none or a preset) and, with POISON, a `GradientPoison` installed as the
/// trainer's gradient inspector. Threads: the settings' (default 1). An error is written to
/// stderr as "error: ...", as q8train writes it, and fails the mode.
struct TrainingRun {
    let comm: Communicator
    let settingsFile: String
    let poison: GradientPoison?

    func run() throws {
        do {
            try train()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw error
        }
    }

    private func train() throws {
        let settings = try JSONDecoder().decode(TrainingSettings.self,
                                                from: Data(contentsOf: URL(fileURLWithPath: settingsFile)))
        try settings.validate()
        Communicator.abortsOnError = true  // as q8train: a failed MPI call ends the job
        Parallel.configure(threads: settings.threads ?? 1)
        let modelDir = URL(fileURLWithPath: settings.model)
        let vocabulary = modelDir.appendingPathComponent("vocab.txt")
        let task = try TaskData.load(settings, tokenizer: try BertTokenizer(vocabularyFile: vocabulary))
        let (model, _) = try PretrainedLoader.load(directory: modelDir, numLabels: task.labels.count, seed: settings.seed)
        if settings.quantize != "none" {
            let ranges: RangeReducer = comm.size > 1 ? MPIRangeReducer(communicator: comm) : LocalRangeReducer()
            try model.enableQuantization(try QuantizationConfig.preset(settings.quantize), reducer: ranges,
                                         source: settings.quantize)
        }
        let say = { (line: String) in print("rank \(comm.rank)/\(comm.size): \(line)") }
        let trainer = try Trainer(settings: settings, model: model, task: task, vocabulary: vocabulary,
                                  baseConfig: modelDir.appendingPathComponent("config.json"), communicator: comm,
                                  say: say, warn: { say("warning: \($0)") })
        try poison?.install(on: trainer)
        let summary = try trainer.run()
        say("trained \(summary.steps ?? 0) steps, \(summary.skippedSteps ?? 0) skipped")
    }
}
