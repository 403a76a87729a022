import ArgumentParser

/// q8train: Q8BERT quantization-aware fine-tuning of BERT, data parallel over MPI, and the
/// int8 runtime that serves what it trains.
@main
struct Q8Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q8train",
        abstract: "Q8BERT: 8-bit quantization-aware fine-tuning of BERT, and int8 inference.",
        subcommands: [Train.self, Eval.self, Export.self, Predict.self, ReportCommand.self, Embed.self, Env.self],
        defaultSubcommand: Train.self)
}
