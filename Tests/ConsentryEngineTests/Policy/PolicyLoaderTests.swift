import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// A valid policy, one entry per line (line numbers in comments are 1-based).
private let baseLines = [
    "id: test-policy",                                  // 1
    "title: Test policy",                               // 2
    "uses:",                                            // 3
    "  ai_generative_training:",                        // 4
    "    - id: licensed",                               // 5
    "      when: { label_status: [major, licensed] }",  // 6
    "      verdict: blocked",                           // 7
    "    - id: default",                                // 8
    "      verdict: blocked",                           // 9
    "  ai_training:",                                   // 10
    "    - id: default",                                // 11
    "      verdict: exposed",                           // 12
    "  ai_inference:",                                  // 13
    "    - id: default",                                // 14
    "      verdict: exposed",                           // 15
    "  data_mining:",                                   // 16
    "    - id: default",                                // 17
    "      verdict: blocked",                           // 18
]

/// The base policy with lines replaced, deleted or inserted (all by 1-based base line number).
private func policyText(replace: [Int: String] = [:], delete: Set<Int> = [],
                        insertAfter: [Int: [String]] = [:]) -> String {
    var out: [String] = insertAfter[0] ?? []
    for (index, line) in baseLines.enumerated() {
        let number = index + 1
        if !delete.contains(number) { out.append(replace[number] ?? line) }
        out += insertAfter[number] ?? []
    }
    return out.joined(separator: "\n") + "\n"
}

struct KitPolicyErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var kind: PolicyError.Code = .invalid
    /// The lines a user could be pointed at; empty: any line or none.
    var lines: [Int]
    /// Text the message must contain.
    var mentions: String

    var testDescription: String { name }
}

private let manyRules = (0..<64).flatMap { ["    - id: r\($0)", "      verdict: blocked"] }

private let errorCases: [KitPolicyErrorCase] = [
    KitPolicyErrorCase(name: "invalid YAML syntax", yaml: policyText(replace: [9: "      verdict: blocked: oops"]),
                    kind: .invalidYAML, lines: [9], mentions: "not valid YAML"),
    KitPolicyErrorCase(name: "unclosed flow sequence",
                    yaml: policyText(replace: [6: "      when: { label_status: [major, licensed }"]),
                    kind: .invalidYAML, lines: [6], mentions: "not valid YAML"),
    KitPolicyErrorCase(name: "tab indentation", yaml: policyText(replace: [12: "\tverdict: exposed"]),
                    kind: .invalidYAML, lines: [12], mentions: "not valid YAML"),
    KitPolicyErrorCase(name: "root is a list", yaml: "- id: x\n- uses: {}\n", lines: [1], mentions: "mapping"),
    KitPolicyErrorCase(name: "root is a scalar", yaml: "just some text\n", lines: [1], mentions: "mapping"),
    KitPolicyErrorCase(name: "empty file", yaml: "", lines: [], mentions: "mapping"),
    KitPolicyErrorCase(name: "unknown top-level key", yaml: policyText(insertAfter: [2: ["owner: someone"]]),
                    lines: [3], mentions: "unknown top-level key 'owner'"),
    KitPolicyErrorCase(name: "missing id", yaml: policyText(delete: [1]), lines: [1], mentions: "'id'"),
    KitPolicyErrorCase(name: "invalid id", yaml: policyText(replace: [1: "id: bad id!"]), lines: [1], mentions: "bad id!"),
    KitPolicyErrorCase(name: "missing uses", yaml: "id: x\ntitle: y\n", lines: [1], mentions: "uses"),
    KitPolicyErrorCase(name: "uses is not a mapping", yaml: "id: x\nuses: [ai_training]\n", lines: [2], mentions: "uses"),
    KitPolicyErrorCase(name: "a use is missing", yaml: policyText(delete: [16, 17, 18]), lines: [3, 4],
                    mentions: "data_mining"),
    KitPolicyErrorCase(name: "unknown use", yaml: policyText(replace: [13: "  ai_cloning:"]), lines: [13],
                    mentions: "ai_cloning"),
    KitPolicyErrorCase(name: "empty rule list", yaml: policyText(replace: [16: "  data_mining: []"], delete: [17, 18]),
                    lines: [16], mentions: "data_mining"),
    KitPolicyErrorCase(name: "rules not a list", yaml: policyText(replace: [16: "  data_mining: blocked"], delete: [17, 18]),
                    lines: [16], mentions: "data_mining"),
    KitPolicyErrorCase(name: "rule is not a mapping", yaml: policyText(replace: [14: "    - exposed"], delete: [15]),
                    lines: [14], mentions: "ai_inference"),
    KitPolicyErrorCase(name: "too many rules", yaml: policyText(delete: [17, 18], insertAfter: [16: manyRules]),
                    lines: [17], mentions: "at most 63"),
    KitPolicyErrorCase(name: "unknown rule key", yaml: policyText(insertAfter: [12: ["      reason: because"]]),
                    lines: [13], mentions: "reason"),
    KitPolicyErrorCase(name: "rule without id", yaml: policyText(replace: [11: "    - verdict: exposed"], delete: [12]),
                    lines: [11], mentions: "'id'"),
    KitPolicyErrorCase(name: "missing verdict", yaml: policyText(delete: [12]), lines: [11], mentions: "verdict"),
    KitPolicyErrorCase(name: "unknown verdict", yaml: policyText(replace: [12: "      verdict: allowed"]),
                    lines: [12], mentions: "allowed"),
    KitPolicyErrorCase(name: "duplicate rule id within a use", yaml: policyText(replace: [8: "    - id: licensed"]),
                    lines: [8], mentions: "licensed"),
    KitPolicyErrorCase(name: "last rule with when", yaml: policyText(insertAfter: [17: ["      when: { no_ai_tag: true }"]]),
                    lines: [17], mentions: "last rule"),
    KitPolicyErrorCase(name: "last rule with an empty when", yaml: policyText(insertAfter: [17: ["      when: {}"]]),
                    lines: [17], mentions: "last rule"),
    KitPolicyErrorCase(name: "unknown condition key", yaml: policyText(replace: [6: "      when: { genre: rock }"]),
                    lines: [6], mentions: "genre"),
    KitPolicyErrorCase(name: "when is not a mapping", yaml: policyText(replace: [6: "      when: major"]),
                    lines: [6], mentions: "when"),
    KitPolicyErrorCase(name: "bad label status", yaml: policyText(replace: [6: "      when: { label_status: [major, indie] }"]),
                    lines: [6], mentions: "indie"),
    KitPolicyErrorCase(name: "empty label status list", yaml: policyText(replace: [6: "      when: { label_status: [] }"]),
                    lines: [6], mentions: "label_status"),
    KitPolicyErrorCase(name: "bad boolean", yaml: policyText(replace: [6: "      when: { genai_opt_in: maybe }"]),
                    lines: [6], mentions: "genai_opt_in"),
    KitPolicyErrorCase(name: "boolean given as a list", yaml: policyText(replace: [6: "      when: { ai_opt_out: [true] }"]),
                    lines: [6], mentions: "ai_opt_out"),
    KitPolicyErrorCase(name: "bad date", yaml: policyText(replace: [6: "      when: { uploaded_before: 2024-02-30 }"]),
                    lines: [6], mentions: "uploaded_before"),
    KitPolicyErrorCase(name: "date with a time", yaml: policyText(replace: [6: "      when: { uploaded_on_or_after: \"2024-02-01T00:00:00Z\" }"]),
                    lines: [6], mentions: "uploaded_on_or_after"),
    KitPolicyErrorCase(name: "unpadded date", yaml: policyText(replace: [6: "      when: { uploaded_before: 2024-2-1 }"]),
                    lines: [6], mentions: "uploaded_before"),
]

/// Duplicate mapping keys, which Yams itself refuses (before the loader's own check).
private let duplicateKeyCases: [KitPolicyErrorCase] = [
    KitPolicyErrorCase(name: "duplicate key in a rule", yaml: policyText(insertAfter: [12: ["      verdict: blocked"]]),
                    kind: .invalidYAML, lines: [12, 13], mentions: "verdict"),
    KitPolicyErrorCase(name: "duplicate top-level key", yaml: policyText(insertAfter: [2: ["id: other"]]),
                    kind: .invalidYAML, lines: [1, 3], mentions: "id"),
    KitPolicyErrorCase(name: "duplicate use", yaml: policyText(insertAfter: [15: ["  ai_inference:", "    - id: again", "      verdict: blocked"]]),
                    kind: .invalidYAML, lines: [13, 16], mentions: "ai_inference"),
]

private func loadError(_ yaml: String, origin: String) -> PolicyError? {
    do {
        _ = try PolicyLoader.load(yaml: yaml, origin: origin)
        return nil
    } catch let error as PolicyError {
        return error
    } catch {
        Issue.record("unexpected error type \(type(of: error)): \(error)")
        return nil
    }
}

@Suite("PolicyLoader")
struct PolicyLoaderTests {
    @Test("the base policy is valid; rule ids may repeat across uses")
    func basePolicyLoads() throws {
        let policy = try PolicyLoader.load(yaml: policyText(), origin: "base.yaml")
        #expect(policy.id == "test-policy")
        #expect(policy.title == "Test policy")
        #expect(policy.origin == "base.yaml")
        #expect(policy.rules.map { $0.map(\.id) } == [["licensed", "default"], ["default"], ["default"], ["default"]])
        let first = try #require(policy.rules(for: .aiGenerativeTraining).first)
        #expect(first.line == 5)
        #expect(first.verdict == .blocked)
        #expect(first.condition?.labelStatuses == (1 << LabelStatus.major.rawValue | 1 << LabelStatus.licensed.rawValue))
        #expect(first.condition?.genaiOptIn == nil)
        #expect(policy.rules(for: .aiTraining).first?.condition == nil)
    }

    @Test("conditions: a single label status, booleans, dates, unsigned")
    func conditionsParse() throws {
        let yaml = policyText(replace: [6: "      when: { label_status: unsigned, genai_opt_in: false, ai_opt_out: TRUE, no_ai_tag: true, uploaded_before: 2024-02-01, uploaded_on_or_after: \"2023-01-01\" }"])
        let policy = try PolicyLoader.load(yaml: yaml, origin: "c.yaml")
        let condition = try #require(policy.rules(for: .aiGenerativeTraining)[0].condition)
        #expect(condition.labelStatuses == 1 << LabelStatus.independent.rawValue)
        #expect(condition.genaiOptIn == false)
        #expect(condition.aiOptOut == true)
        #expect(condition.noAITag == true)
        #expect(condition.uploadedBefore == 1_706_745_600)
        #expect(condition.uploadedOnOrAfter == 1_672_531_200)
    }

    @Test("each kind of invalid policy is refused, naming the file, the line and the problem",
          arguments: errorCases)
    func invalidPolicies(_ c: KitPolicyErrorCase) throws {
        try Self.checkRefused(c)
    }

    /// contract §2: a refused policy's message names "the file, the line where possible, and the
    /// problem". Yams reports where the duplicate key is, so the line is possible here.
    @Test("a duplicate mapping key is refused, naming the file and the line", arguments: duplicateKeyCases)
    func duplicateKeys(_ c: KitPolicyErrorCase) throws {
        try Self.checkRefused(c)
    }

    static func checkRefused(_ c: KitPolicyErrorCase) throws {
        let origin = "policies/\(c.name.replacingOccurrences(of: " ", with: "-")).yaml"
        let error = try #require(loadError(c.yaml, origin: origin), "accepted:\n\(c.yaml)")
        #expect(error.kind == c.kind, "\(error)")
        #expect(error.file == origin)
        #expect(error.message.contains(c.mentions), "\(error.message)")
        if !c.lines.isEmpty {
            #expect(error.line.map(c.lines.contains) == true, "line \(String(describing: error.line)), expected one of \(c.lines): \(error)")
            if let line = error.line {
                #expect(error.description.hasPrefix("\(origin):\(line): "), "\(error.description)")
            }
        }
    }

    @Test("load(file:) names the file; an unreadable file is policy_unreadable")
    func fromFile() throws {
        let dir = try TempDir()
        let bad = try dir.write("bad.yaml", Array(policyText(replace: [12: "      verdict: allowed"]).utf8))
        do {
            _ = try PolicyLoader.load(file: bad)
            Issue.record("accepted an unknown verdict")
        } catch let error as PolicyError {
            #expect(error.file == bad)
            #expect(error.line == 12)
            #expect(error.description.hasPrefix("\(bad):12: "))
        }
        let good = try dir.write("good.yaml", Array(policyText().utf8))
        let policy = try PolicyLoader.load(file: good)
        #expect(policy.origin == good)
        #expect(policy.sha256 == (try sha256sum(good)))
        #expect(try PolicyLoader.resolve(good).id == "test-policy")

        let missing = dir.url.appendingPathComponent("missing.yaml").path
        do {
            _ = try PolicyLoader.load(file: missing)
            Issue.record("loaded a missing file")
        } catch let error as PolicyError {
            #expect(error.kind == .unreadable)
            #expect(error.file == missing)
        }
        do {
            _ = try PolicyLoader.resolve(missing)
            Issue.record("resolved a missing file")
        } catch let error as PolicyError {
            #expect(error.kind == .unknownPolicy)
        }
        let binary = try dir.write("binary.yaml", [0xFF, 0xFE, 0x00, 0x41])
        do {
            _ = try PolicyLoader.load(file: binary)
            Issue.record("loaded a file that is not UTF-8")
        } catch let error as PolicyError {
            #expect(error.file == binary)
        }
    }

    @Test("the three built-in policies load with their ids; soundcloud-2025-05 is the default")
    func builtIns() throws {
        #expect(BuiltInPolicies.ids == ["soundcloud-2024-02", "soundcloud-2025-05", "soundcloud-opt-out"])
        #expect(BuiltInPolicies.defaultID == "soundcloud-2025-05")
        for id in BuiltInPolicies.ids {
            let policy = try BuiltInPolicies.policy(id)
            #expect(policy.id == id)
            #expect(policy.origin == "built-in:\(id)")
            #expect(!policy.title.isEmpty)
            #expect(policy.rules.count == AIUse.allCases.count)
            #expect(try PolicyLoader.resolve(id).id == id)
        }
    }

    @Test("BuiltInPolicies.yaml(id) is the text the policy was loaded from and re-parses identically",
          arguments: BuiltInPolicies.ids)
    func builtInYAMLRoundTrip(_ id: String) throws {
        let policy = try BuiltInPolicies.policy(id)
        let text = try BuiltInPolicies.yaml(id)
        #expect(text == policy.yaml)
        let dir = try TempDir()
        let path = try dir.write("\(id).yaml", Array(text.utf8))
        let reloaded = try PolicyLoader.load(file: path)
        #expect(reloaded.id == policy.id)
        #expect(reloaded.title == policy.title)
        #expect(reloaded.source == policy.source)
        #expect(reloaded.rules == policy.rules)
        #expect(reloaded.sha256 == policy.sha256)
        #expect(policy.sha256 == (try sha256sum(path)))
    }

    @Test("the texts compiled into the binary are the YAML files of Policy/BuiltIn, byte for byte (Scripts/generate-builtin-policies)")
    func builtInTextsMatchFiles() throws {
        let folder = Paths.inRepository("Sources/ConsentryEngine/Policy/BuiltIn")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names == BuiltInPolicyTexts.files.keys.sorted(), "run Scripts/generate-builtin-policies")
        for name in names {
            let file = try #require(FileManager.default.contents(atPath: folder + "/" + name))
            #expect(BuiltInPolicyTexts.files[name].map { Data($0.utf8) } == file, "\(name): run Scripts/generate-builtin-policies")
        }
        for id in BuiltInPolicies.ids {
            #expect(try BuiltInPolicies.yaml(id) == String(decoding: try #require(FileManager.default.contents(atPath: Paths.builtInPolicy(id))), as: UTF8.self))
            #expect(names.contains("\(id).test.yaml"), "\(id) has no test file")
        }
    }

    @Test("an unknown built-in id is policy_unknown")
    func unknownBuiltIn() {
        for call in [{ _ = try BuiltInPolicies.yaml("soundcloud-1999") }, { _ = try PolicyLoader.resolve("no-such-policy") }] {
            do {
                try call()
                Issue.record("accepted an unknown id")
            } catch let error as PolicyError {
                #expect(error.kind == .unknownPolicy)
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}
