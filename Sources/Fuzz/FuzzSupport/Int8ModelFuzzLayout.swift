/// The files of an Int8ModelFuzz input, in section order (shared with FuzzSeeds).
public enum Int8ModelFuzzLayout {
    public static let fileOrder = ["config.json", "quantization.json", "model.q8.safetensors", "vocab.txt",
                                   "labels.txt", "tokenizer_config.json"]
}
