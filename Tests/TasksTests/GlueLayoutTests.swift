import Foundation
import XCTest
@testable import Tasks

/// Every task's fixture files, made to look like the real GLUE files (and our movie data),
/// parse into the right texts and labels; each task's malformed fixture is refused with the
/// file and line, or skipped and counted with `skipMalformed`.
final class GlueLayoutTests: XCTestCase {
    func load(_ task: GlueTask, _ split: Split, options: ReadOptions = ReadOptions()) throws -> Dataset {
        try task.spec.load(split, from: Fixtures.url(task.rawValue), options: options)
    }

    func malformed(_ task: GlueTask) -> TSVError? {
        expectError(TSVError.self) { try task.spec.load(.train, file: Fixtures.url("\(task.rawValue)/malformed.tsv")) }
    }

    func testSST2() throws {
        let train = try load(.sst2, .train)
        XCTAssertEqual(train.count, 4)
        XCTAssertTrue(train.isLabeled)
        XCTAssertEqual(train.examples[0], Example(index: 0, textA: "hide new secretions from the parental units ", label: 0))
        XCTAssertEqual(train.examples.map(\.label), [0, 0, 1, 0])
        XCTAssertEqual(try load(.sst2, .dev).examples.map(\.label), [1, 0, 1])

        let test = try load(.sst2, .test)
        XCTAssertFalse(test.isLabeled)
        XCTAssertEqual(test.examples.map(\.index), [0, 1, 2])
        XCTAssertEqual(test.examples[0], Example(index: 0, textA: "uneasy mishmash of styles and genres ."))
        XCTAssertTrue(test.examples.allSatisfy { $0.label == nil && $0.target == nil && $0.textB == nil })

        let error = malformed(.sst2)
        XCTAssertEqual(error, .missingField(file: Fixtures.url("sst2/malformed.tsv").path, line: 4,
                                            column: "'label'", found: 1, expected: 2))
        assertMessage(error, contains: ["malformed.tsv", "line 4", "found 1 tab-separated field,", "expected at least 2", "'label'"])
    }

    func testCoLA() throws {
        let train = try load(.cola, .train)
        XCTAssertEqual(train.count, 4)
        XCTAssertEqual(train.examples[0].textA, "Our friends won't buy this analysis, let alone the next one we propose.")
        XCTAssertEqual(train.examples.map(\.label), [1, 1, 0, 1])
        XCTAssertEqual(train.examples[2], Example(index: 2, textA: "They drank the pub.", label: 0))
        XCTAssertEqual(try load(.cola, .dev).examples.map(\.label), [1, 0, 1])

        let test = try load(.cola, .test)  // the test file has a header
        XCTAssertEqual(test.examples.map(\.textA), ["Bill whistled past the house.", "The car honked its way down the road."])
        XCTAssertFalse(test.isLabeled)

        // No header: the broken row is line 2.
        let error = malformed(.cola)
        XCTAssertEqual(error?.line, 2)
        assertMessage(error, contains: ["cola/malformed.tsv", "line 2", "found 3", "expected at least 4", "field 4"])
        let skipped = try load(.cola, .train, options: ReadOptions(skipMalformed: true))
        XCTAssertEqual(skipped.skipped, [])
        let dataset = try GlueTask.cola.spec.load(.train, file: Fixtures.url("cola/malformed.tsv"),
                                                  options: ReadOptions(skipMalformed: true))
        XCTAssertEqual(dataset.examples.map(\.index), [0, 2])
        XCTAssertEqual(dataset.skipped.count, 1)
    }

    func testCoLAWithHeaderIsRefused() throws {
        // A CoLA train file with a header line by mistake: the header's label is not 0/1.
        let data = Data("source\tlabel\tstar\tsentence\ngj04\t1\t\tFine.\n".utf8)
        let error = expectError(TSVError.self) { try GlueTask.cola.spec.parse(data, split: .train, file: "cola.tsv") }
        XCTAssertEqual(error, .unknownLabel(file: "cola.tsv", line: 1, label: "label", labels: ["0", "1"]))
    }

    func testMRPC() throws {
        let train = try load(.mrpc, .train)  // starts with a byte order mark, like the real file
        XCTAssertEqual(train.count, 3)
        XCTAssertEqual(train.examples.map(\.label), [1, 0, 1])
        // Quotes are plain text: GLUE files are not quoted.
        XCTAssertEqual(train.examples[0].textA,
                       "Amrozi accused his brother , whom he called \" the witness \" , of deliberately distorting his evidence .")
        XCTAssertEqual(train.examples[0].textB,
                       "Referring to him as only \" the witness \" , Amrozi accused his brother of deliberately distorting his evidence .")
        XCTAssertEqual(try load(.mrpc, .dev).examples[0].textB,
                       "\" The foodservice pie business does not fit our long-term growth strategy .")
        let test = try load(.mrpc, .test)
        XCTAssertEqual(test.count, 2)
        XCTAssertFalse(test.isLabeled)
        XCTAssertEqual(test.examples[1].textB?.hasPrefix("Domestic sales at both GM"), true)

        let error = malformed(.mrpc)
        XCTAssertEqual(error, .unknownLabel(file: Fixtures.url("mrpc/malformed.tsv").path, line: 3, label: "2", labels: ["0", "1"]))
        assertMessage(error, contains: ["mrpc/malformed.tsv", "line 3", "label '2' not in the label list [\"0\", \"1\"]"])
    }

    func testRTE() throws {
        let train = try load(.rte, .train)
        XCTAssertEqual(train.examples.map(\.label), [1, 0, 0])  // not_entailment = 1
        XCTAssertEqual(train.examples[0].textA, "No Weapons of Mass Destruction Found in Iraq Yet.")
        XCTAssertEqual(train.examples[0].textB, "Weapons of Mass Destruction Found in Iraq.")
        XCTAssertEqual(try load(.rte, .dev).examples.map(\.label), [1, 0])
        let test = try load(.rte, .test)
        XCTAssertEqual(test.examples[1].textB, "Authorities in Brazil hold 200 people as hostage.")
        XCTAssertNil(test.examples[1].label)

        let error = malformed(.rte)
        assertMessage(error, contains: ["rte/malformed.tsv", "line 3", "'entails'", "[\"entailment\", \"not_entailment\"]"])
    }

    func testQNLI() throws {
        let train = try load(.qnli, .train)
        XCTAssertEqual(train.examples.map(\.label), [1, 1, 0])
        XCTAssertEqual(train.examples[0].textA, "When did the third Digimon series begin?")
        XCTAssertEqual(try load(.qnli, .dev).count, 2)
        let test = try load(.qnli, .test)
        XCTAssertEqual(test.examples[0].textB?.contains("\"quiescent\""), true)

        let error = malformed(.qnli)
        XCTAssertEqual(error?.line, 3)
        assertMessage(error, contains: ["qnli/malformed.tsv", "line 3", "found 3", "expected at least 4", "'label'"])
    }

    func testQQP() throws {
        let train = try load(.qqp, .train)
        XCTAssertEqual(train.examples.map(\.label), [0, 1, 0])
        XCTAssertEqual(train.examples[1].textA, "How do I control my horny emotions?")
        XCTAssertEqual(train.examples[1].textB, "How do you control your horniness?")
        XCTAssertEqual(try load(.qqp, .dev).count, 2)
        let test = try load(.qqp, .test)  // id, question1, question2
        XCTAssertEqual(test.examples[1].textA, "What are the top ten Consumer-to-Consumer E-commerce online?")
        XCTAssertFalse(test.isLabeled)
    }

    func testQQPMalformedRows() throws {
        let url = Fixtures.url("qqp/malformed.tsv")
        // Default: the first broken line is an error.
        let error = expectError(TSVError.self) { try GlueTask.qqp.spec.load(.train, file: url) }
        XCTAssertEqual(error, .missingField(file: url.path, line: 3, column: "'is_duplicate'", found: 4, expected: 6))
        // skipMalformed: both halves of the broken record are skipped and reported.
        let dataset = try GlueTask.qqp.spec.load(.train, file: url, options: ReadOptions(skipMalformed: true))
        XCTAssertEqual(dataset.examples.map(\.index), [0, 3])
        XCTAssertEqual(dataset.examples.map(\.label), [0, 1])
        XCTAssertEqual(dataset.skipped.map(\.line), [3, 4])
        XCTAssertEqual(dataset.skipped.last,
                       .missingField(file: url.path, line: 4, column: "'is_duplicate'", found: 3, expected: 6))
    }

    func testMNLI() throws {
        let spec = GlueTask.mnli.spec
        let dir = Fixtures.url("mnli")
        let train = try load(.mnli, .train)  // 12 columns: label1, gold_label
        XCTAssertEqual(train.count, 6)
        XCTAssertEqual(train.examples[0].textA, "Conceptually cream skimming has two basic dimensions - product and geography.")
        XCTAssertEqual(train.examples[0].textB, "Product and geography are what make cream skimming work. ")
        XCTAssertEqual(train.examples.map(\.label), [2, 1, 1, 1, 2, 0])

        let matched = try spec.load(.dev, from: dir)  // 16 columns: label1...label5, gold_label
        XCTAssertEqual(matched.url.lastPathComponent, "dev_matched.tsv")
        XCTAssertEqual(matched.examples.map(\.label), [2, 0, 1])
        XCTAssertEqual(matched.examples[0].textA, "The new rights are nice enough")
        let mismatched = try spec.load(.devMismatched, from: dir)
        XCTAssertEqual(mismatched.url.lastPathComponent, "dev_mismatched.tsv")
        XCTAssertEqual(mismatched.examples.map(\.label), [0, 0])
        XCTAssertTrue(mismatched.examples[1].textA.contains("`operate'"))

        for split in [Split.test, .testMismatched] {
            let test = try spec.load(split, from: dir)
            XCTAssertEqual(test.count, 1)
            XCTAssertFalse(test.isLabeled)
            XCTAssertNotNil(test.examples[0].textB)
        }
        XCTAssertEqual(try spec.load(.test, from: dir).examples[0].textB, "Hierbas is a name worth looking out for.")

        let error = malformed(.mnli)
        assertMessage(error, contains: ["mnli/malformed.tsv", "line 3", "label '-'", "[\"contradiction\", \"entailment\", \"neutral\"]"])
    }

    func testSTSB() throws {
        let train = try load(.stsb, .train)
        XCTAssertEqual(train.examples.map(\.target), [5, 3.8, 3.8, 2.6, 4.25, 0])
        XCTAssertTrue(train.examples.allSatisfy { $0.label == nil })
        XCTAssertEqual(train.examples[0].textA, "A plane is taking off.")
        XCTAssertEqual(train.examples[0].textB, "An air plane is taking off.")
        XCTAssertEqual(try load(.stsb, .dev).examples.map(\.target), [5, 4.75, 5])
        let test = try load(.stsb, .test)  // 9 columns, no score
        XCTAssertEqual(test.examples[1].textB, "A group of boys are playing soccer on the beach.")
        XCTAssertTrue(test.examples.allSatisfy { $0.target == nil })

        let error = malformed(.stsb)
        XCTAssertEqual(error, .badScore(file: Fixtures.url("stsb/malformed.tsv").path, line: 3, value: "n/a"))
        assertMessage(error, contains: ["stsb/malformed.tsv", "line 3", "score 'n/a' is not a number"])

        let range = expectError(TSVError.self) {
            try GlueTask.stsb.spec.load(.dev, file: Fixtures.url("stsb/out_of_range.tsv"))
        }
        assertMessage(range, contains: ["out_of_range.tsv", "line 2", "score 5.5 is outside [0.0, 5.0]"])
    }

    func testSTSBScoresThatAreNotFiniteNumbers() throws {
        let header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
        for value in ["nan", "inf", "-inf", "", "1e999", "3,5", "five"] {
            let data = Data((header + "0\tg\tf\t2012\t0\tnone\tnone\ta\tb\t\(value)\n").utf8)
            let error = expectError(TSVError.self) { try GlueTask.stsb.spec.parse(data, split: .train, file: "stsb.tsv") }
            XCTAssertEqual(error, .badScore(file: "stsb.tsv", line: 2, value: value), value)
        }
        let error = expectError(TSVError.self) {
            try GlueTask.stsb.spec.parse(Data((header + "0\tg\tf\t2012\t0\tnone\tnone\ta\tb\t-0.5\n").utf8),
                                         split: .train, file: "stsb.tsv")
        }
        XCTAssertEqual(error, .scoreOutOfRange(file: "stsb.tsv", line: 2, value: -0.5, range: 0...5))
        // Spaces around the score are trimmed; 5 is inside the closed range.
        let ok = try GlueTask.stsb.spec.parse(Data((header + "0\tg\tf\t2012\t0\tnone\tnone\ta\tb\t 5 \n").utf8),
                                              split: .train, file: "stsb.tsv")
        XCTAssertEqual(ok.examples[0].target, 5)
    }

    func testMovie() throws {
        let train = try load(.movie, .train)
        XCTAssertEqual(train.examples.map(\.label), [1, 0, 1])
        XCTAssertEqual(train.examples[1].textA, "Effective but too tepid biopic")
        let test = try load(.movie, .test)  // labeled, unlike GLUE test files
        XCTAssertTrue(test.isLabeled)
        XCTAssertEqual(test.examples.map(\.label), [1, 1, 0])
        XCTAssertEqual(try load(.movie, .dev).count, 2)

        let error = malformed(.movie)
        assertMessage(error, contains: ["movie/malformed.tsv", "line 3", "label 'positive'"])
    }

    func testGenericTSV() throws {
        let spec = try TaskSpec.tsv(textColumns: ["premise", "hypothesis"], labelColumn: "verdict",
                                    labels: ["yes", "no", "maybe"])
        let dir = Fixtures.url("tsv")
        let train = try spec.load(.train, from: dir)
        XCTAssertEqual(train.examples[0], Example(index: 0, textA: "A dog runs in the park.",
                                                  textB: "An animal is outside.", label: 0))
        XCTAssertEqual(train.examples.map(\.label), [0, 1, 2])
        XCTAssertEqual(try spec.load(.dev, from: dir).examples.map(\.label), [1, 0])
        let test = try spec.load(.test, from: dir)  // no label column: unlabeled
        XCTAssertFalse(test.isLabeled)
        XCTAssertEqual(test.examples, [Example(index: 0, textA: "A bird flies.", textB: "An animal moves.")])

        let error = expectError(TSVError.self) { try spec.load(.train, file: dir.appendingPathComponent("malformed.tsv")) }
        XCTAssertEqual(error, .missingHeaderColumn(file: dir.appendingPathComponent("malformed.tsv").path, line: 1,
                                                   column: "verdict", header: ["id", "label", "premise", "hypothesis"]))
        assertMessage(error, contains: ["tsv/malformed.tsv", "line 1",
                                        "column 'verdict' not in header [\"id\", \"label\", \"premise\", \"hypothesis\"]"])
    }

    func testGenericRegression() throws {
        let spec = try TaskSpec.tsv(textColumns: ["text"], labelColumn: "y", regression: true)
        let data = Data("y\ttext\n-2.5\tcold\n40\thot\n".utf8)
        let dataset = try spec.parse(data, split: .train, file: "temps.tsv")
        XCTAssertEqual(dataset.examples.map(\.target), [-2.5, 40])  // no range for the generic task
        XCTAssertEqual(dataset.examples.map(\.textA), ["cold", "hot"])
        // Finite as a Double but not as a Float: out of range.
        let error = expectError(TSVError.self) { try spec.parse(Data("y\ttext\n1e300\tsun\n".utf8), split: .train, file: "t.tsv") }
        XCTAssertEqual(error?.line, 2)
        assertMessage(error, contains: ["t.tsv, line 2: score 1e+300 is outside"])
    }

    func testHeaderMissingAColumnOfAGlueTask() throws {
        let data = Data("index\tquestion\tsentence\tgold\n0\tq\ts\tentailment\n".utf8)
        let error = expectError(TSVError.self) { try GlueTask.qnli.spec.parse(data, split: .dev, file: "qnli/dev.tsv") }
        XCTAssertEqual(error, .missingHeaderColumn(file: "qnli/dev.tsv", line: 1, column: "label",
                                                   header: ["index", "question", "sentence", "gold"]))
    }

    func testEverySplitOfEveryTaskLoadsFromItsFixtureFolder() throws {
        for task in GlueTask.allCases {
            let spec = task.spec
            for split in spec.splits {
                let dataset = try spec.load(split, from: Fixtures.url(task.rawValue))
                XCTAssertGreaterThan(dataset.count, 0, "\(task) \(split)")
                XCTAssertEqual(dataset.isLabeled, spec.isLabeled(split), "\(task) \(split)")
                XCTAssertEqual(dataset.examples.map(\.index), Array(0..<dataset.count), "\(task) \(split)")
                for example in dataset.examples {
                    XCTAssertEqual(example.textB != nil, spec.layout(for: split)?.textB != nil, "\(task) \(split)")
                    if dataset.isLabeled {
                        XCTAssertEqual(example.target != nil, spec.isRegression, "\(task) \(split)")
                        if let label = example.label { XCTAssertTrue(spec.labels.indices.contains(label)) }
                    }
                }
            }
        }
    }
}
