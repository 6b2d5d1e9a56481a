import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// A policy with one rule of each kind per use, for failures and coverage (line numbers 1-based).
private let coveragePolicyYAML = """
id: coverage
uses:
  ai_generative_training:
    - id: labelled
      when: { label_status: [major, licensed] }
      verdict: blocked
    - id: opt-in
      when: { genai_opt_in: true }
      verdict: consented
    - id: default
      verdict: blocked
  ai_training:
    - id: old
      when: { uploaded_before: 2024-01-01 }
      verdict: exposed
    - id: default
      verdict: blocked
  ai_inference:
    - id: default
      verdict: exposed
  data_mining:
    - id: default
      verdict: blocked

"""

/// A test file of the built-in default policy with one case whose track has `field`.
private func trackTest(_ field: String) -> String {
    """
    policy: soundcloud-2025-05
    cases:
      - name: the case
        track: { \(field) }
        expect: { ai_training: exposed }

    """
}

private func loadError(_ yaml: String, origin: String = "t.test.yaml", directory: String? = nil) -> PolicyError? {
    do {
        _ = try PolicyTestSuite.load(yaml: yaml, origin: origin, directory: directory)
        return nil
    } catch let error as PolicyError {
        return error
    } catch {
        Issue.record("unexpected error type \(type(of: error)): \(error)")
        return nil
    }
}

struct KitTestFileErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var kind: PolicyError.Code = .invalidTest
    var line: Int?
    /// Text the message must contain.
    var mentions: String

    var testDescription: String { name }
}

/// A test file of the built-in default policy, with `caseLines` as its only case (starting on line 3).
private func oneCase(_ caseLines: String...) -> String {
    "policy: soundcloud-2025-05\ncases:\n" + caseLines.map { "  " + $0 }.joined(separator: "\n") + "\n"
}

private let errorCases: [KitTestFileErrorCase] = [
    KitTestFileErrorCase(name: "invalid boolean", yaml: trackTest("genai_opt_in: maybe"), line: 4, mentions: "genai_opt_in 'maybe' is not a boolean"),
    KitTestFileErrorCase(name: "YAML-only boolean spelling", yaml: trackTest("no_ai_tag: on"), line: 4, mentions: "no_ai_tag 'on'"),
    KitTestFileErrorCase(name: "invalid label status", yaml: trackTest("label_status: indie"), line: 4, mentions: "label_status 'indie'"),
    KitTestFileErrorCase(name: "date that does not exist", yaml: trackTest("uploaded_at: 2023-02-30"), line: 4, mentions: "uploaded_at '2023-02-30'"),
    KitTestFileErrorCase(name: "invalid consent_updated_at", yaml: trackTest("consent_updated_at: yesterday"), line: 4, mentions: "consent_updated_at"),
    KitTestFileErrorCase(name: "unknown track field", yaml: trackTest("genre: rock"), line: 4, mentions: "unknown track field 'genre'"),
    KitTestFileErrorCase(name: "track value is a list", yaml: trackTest("label_status: [major]"), line: 4, mentions: "label_status"),
    KitTestFileErrorCase(name: "track is not a mapping", yaml: oneCase("- name: x", "  track: independent", "  expect: { ai_training: exposed }"),
                         line: 4, mentions: "'track' must be a mapping"),
    KitTestFileErrorCase(name: "case without track", yaml: oneCase("- name: x", "  expect: { ai_training: exposed }"),
                         line: 3, mentions: "no 'track'"),
    KitTestFileErrorCase(name: "case without expect", yaml: oneCase("- name: x", "  track: {}"), line: 3, mentions: "has no 'expect'"),
    KitTestFileErrorCase(name: "empty expect", yaml: oneCase("- name: x", "  track: {}", "  expect: {}"), line: 5, mentions: "expects nothing"),
    KitTestFileErrorCase(name: "expect entry without verdict or rule", yaml: oneCase("- name: x", "  track: {}", "  expect:", "    ai_training: {}"),
                         line: 6, mentions: "expects nothing"),
    KitTestFileErrorCase(name: "unknown use", yaml: oneCase("- name: x", "  track: {}", "  expect:", "    ai_cloning: blocked"),
                         line: 6, mentions: "unknown use 'ai_cloning'"),
    KitTestFileErrorCase(name: "unknown verdict", yaml: oneCase("- name: x", "  track: {}", "  expect:", "    ai_training: allowed"),
                         line: 6, mentions: "unknown verdict 'allowed'"),
    KitTestFileErrorCase(name: "unknown verdict in a mapping", yaml: oneCase("- name: x", "  track: {}", "  expect:", "    ai_training: { verdict: open }"),
                         line: 6, mentions: "unknown verdict 'open'"),
    KitTestFileErrorCase(name: "rule the use does not have", yaml: oneCase("- name: x", "  track: {}", "  expect:", "    ai_training: { rule: opt-in }"),
                         line: 6, mentions: "no rule 'opt-in' in ai_training; its rules there are licensed-excluded, default-open"),
    KitTestFileErrorCase(name: "unknown expectation key", yaml: oneCase("- name: x", "  track: {}", "  expect:", "    ai_training: { reason: default-open }"),
                         line: 6, mentions: "unknown expectation key 'reason'"),
    KitTestFileErrorCase(name: "case without name", yaml: oneCase("- track: {}", "  expect: { ai_training: exposed }"), line: 3, mentions: "no 'name'"),
    KitTestFileErrorCase(name: "unknown case key", yaml: oneCase("- name: x", "  track: {}", "  expect: { ai_training: exposed }", "  note: hi"),
                         line: 6, mentions: "unknown case key 'note'"),
    KitTestFileErrorCase(name: "case name used twice",
                         yaml: oneCase("- name: x", "  track: {}", "  expect: { ai_training: exposed }",
                                       "- name: x", "  track: {}", "  expect: { ai_training: exposed }"),
                         line: 6, mentions: "used twice (first on line 3)"),
    KitTestFileErrorCase(name: "case is not a mapping", yaml: oneCase("- just a name"), line: 3, mentions: "each case must be a mapping"),
    KitTestFileErrorCase(name: "no cases", yaml: "policy: soundcloud-2025-05\ncases: []\n", line: 2, mentions: "non-empty list"),
    KitTestFileErrorCase(name: "missing cases", yaml: "policy: soundcloud-2025-05\n", line: 1, mentions: "no 'cases'"),
    KitTestFileErrorCase(name: "missing policy", yaml: "cases: []\n", line: 1, mentions: "no 'policy'"),
    KitTestFileErrorCase(name: "unknown policy", yaml: "policy: soundcloud-1999\ncases: []\n", line: 1, mentions: "soundcloud-1999"),
    KitTestFileErrorCase(name: "unknown top-level key", yaml: "policy: soundcloud-2025-05\nowner: me\n", line: 2, mentions: "unknown test file key 'owner'"),
    KitTestFileErrorCase(name: "root is a list", yaml: "- policy: soundcloud-2025-05\n", line: 1, mentions: "must be a YAML mapping"),
    KitTestFileErrorCase(name: "empty file", yaml: "", line: nil, mentions: "must be a YAML mapping"),
    KitTestFileErrorCase(name: "invalid YAML", yaml: "policy: soundcloud-2025-05\ncases: [\n", kind: .invalidYAML, line: nil, mentions: "not valid YAML"),
    KitTestFileErrorCase(name: "duplicate key", yaml: trackTest("label_status: major, label_status: licensed"), kind: .invalidYAML, line: nil,
                         mentions: "label_status"),
]

@Suite("Policy test files")
struct PolicyTestSuiteTests {
    @Test("every built-in policy's shipped test file passes and every rule decides one of its cases",
          arguments: BuiltInPolicies.ids)
    func builtInSuitesPassWithFullCoverage(_ id: String) throws {
        let suite = try PolicyTestSuite.builtIn(id)
        #expect(suite.policy.id == id)
        #expect(suite.file == "built-in:\(id).test.yaml")
        let outcome = suite.run()
        #expect(outcome.failures.map(suite.describe).isEmpty)
        #expect(outcome.uncovered.map(suite.describe).isEmpty)
        #expect(outcome.passed == suite.cases.count)
        #expect(suite.cases.count >= 5)
    }

    @Test("the test files beside the built-in policies are not policies")
    func testFilesAreNotListed() throws {
        #expect(BuiltInPolicies.ids.count == 3)
        #expect(throws: PolicyError.self) { try BuiltInPolicies.policy("soundcloud-2025-05.test") }
        #expect(throws: PolicyError.self) { try PolicyLoader.resolve("soundcloud-2025-05.test") }
        #expect(throws: PolicyError.self) { try BuiltInPolicies.testYAML("soundcloud-1999") }
        #expect(try BuiltInPolicies.testYAML("soundcloud-opt-out").contains("policy: soundcloud-opt-out"))
    }

    @Test("track values are read as scan reads a CSV cell: trimmed, any case, empty is the default")
    func trackValuesAsScanReadsThem() throws {
        func track(_ field: String) throws -> TrackFacts {
            try PolicyTestSuite.load(yaml: trackTest(field), origin: "t.test.yaml", directory: nil).cases[0].track
        }
        let march1 = Int64(1_709_251_200)  // 2024-03-01T00:00:00Z
        #expect(try track("") == TrackFacts(labelStatus: .unknown))
        #expect(try track("label_status: unsigned").labelStatus == .independent)
        #expect(try track("label_status: ' MAJOR '").labelStatus == .major)
        #expect(try track("label_status: Licensed").labelStatus == .licensed)
        #expect(try track("label_status: ''").labelStatus == .unknown)
        #expect(try track("label_status: ~").labelStatus == .unknown)
        for yes in ["yes", "Y", "1", "true", "T", "'  TRUE '"] {
            #expect(try track("genai_opt_in: \(yes)").genaiOptIn, "\(yes)")
            #expect(try track("ai_opt_out: \(yes)").aiOptOut, "\(yes)")
            #expect(try track("no_ai_tag: \(yes)").noAITag, "\(yes)")
        }
        for no in ["no", "N", "0", "false", "f", "''", "null", "\"\""] {
            #expect(try !track("genai_opt_in: \(no)").genaiOptIn, "\(no)")
        }
        #expect(try track("uploaded_at: 2024-03-01").uploadedAt == march1)
        #expect(try track("uploaded_at: ' 2024-03-01 '").uploadedAt == march1)
        #expect(try track("uploaded_at: 2024-03-01T02:30:00+02:30").uploadedAt == march1)
        #expect(try track("uploaded_at: '2024-03-01 00:00:01.5Z'").uploadedAt == march1 + 1)
        #expect(try track("uploaded_at: ''").uploadedAt == nil)
        #expect(try track("uploaded_at: ~").uploadedAt == nil)
        // Fields no policy decides on are accepted and change nothing.
        let ignored = try track("track_id: 42, artist_id: a, title: 'Song, live', consent_updated_at: 2025-05-01")
        #expect(ignored == TrackFacts(labelStatus: .unknown))
    }

    @Test("each kind of invalid test file is refused, naming the file, the line and the problem",
          arguments: errorCases)
    func invalidTestFiles(_ c: KitTestFileErrorCase) throws {
        let origin = "tests/\(c.name.replacingOccurrences(of: " ", with: "-")).test.yaml"
        let error = try #require(loadError(c.yaml, origin: origin), "accepted:\n\(c.yaml)")
        #expect(error.kind == c.kind, "\(error)")
        #expect(error.file == origin)
        #expect(error.message.contains(c.mentions), "\(error.message)")
        if let line = c.line {
            #expect(error.line == line, "\(error)")
            #expect(error.description.hasPrefix("\(origin):\(line): "), "\(error.description)")
        }
    }

    @Test("a failing case reports every use that differs; coverage lists rules that decide no expected use")
    func failuresAndCoverage() throws {
        let dir = try TempDir()
        try FileManager.default.createDirectory(at: dir.url.appendingPathComponent("policies"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.url.appendingPathComponent("tests"), withIntermediateDirectories: true)
        let policyPath = try dir.write("policies/coverage.yaml", Array(coveragePolicyYAML.utf8))
        let testPath = try dir.write("tests/coverage.test.yaml", Array("""
            policy: ../policies/coverage.yaml
            cases:
              - name: passes
                track: { label_status: major }
                expect: { ai_generative_training: { verdict: blocked, rule: labelled } }
              - name: wrong verdict and rule
                track: { label_status: independent, genai_opt_in: "no", uploaded_at: 2023-06-01 }
                expect:
                  ai_generative_training: consented
                  ai_training: { verdict: blocked, rule: default }
                  data_mining: blocked
              - name: wrong rule only
                track: { label_status: independent }
                expect:
                  ai_training: { rule: old }

            """.utf8))
        let suite = try PolicyTestSuite.load(file: testPath)
        #expect(suite.policy.origin == dir.url.appendingPathComponent("tests/../policies/coverage.yaml").path)
        #expect(try sha256sum(policyPath) == suite.policy.sha256)
        let outcome = suite.run()
        #expect(outcome.passed == 1)
        #expect(outcome.failed == 2)
        #expect(outcome.failures.map(\.line) == [6, 12])
        #expect(outcome.failures.map { $0.differences.map(\.expected.use) } == [[.aiGenerativeTraining, .aiTraining], [.aiTraining]])
        #expect(outcome.failures.map(suite.describe) == [
            "\(testPath):6: case 'wrong verdict and rule': ai_generative_training: expected consented, got blocked (rule default); ai_training: expected blocked (rule default), got exposed (rule old)",
            "\(testPath):12: case 'wrong rule only': ai_training: expected rule old, got blocked (rule default)",
        ])
        // opt-in and ai_inference's default decide no use a case expects; the failing cases still count.
        #expect(outcome.uncovered.map { "\($0.use.name)/\($0.id)@\($0.line)" } == ["ai_generative_training/opt-in@7", "ai_inference/default@19"])
        #expect(suite.describe(outcome.uncovered[0])
                == "\(suite.policy.origin):7: rule 'opt-in' of ai_generative_training is never the deciding rule in any case of \(testPath)")
    }

    @Test("a relative policy path is taken from the test file's directory; an absolute one as it is")
    func policyPaths() throws {
        let dir = try TempDir()
        let policyPath = try dir.write("coverage.yaml", Array(coveragePolicyYAML.utf8))
        let body = "cases:\n  - name: c\n    track: {}\n    expect: { data_mining: blocked }\n"
        let relative = try dir.write("relative.test.yaml", Array("policy: coverage.yaml\n\(body)".utf8))
        #expect(try PolicyTestSuite.load(file: relative).policy.id == "coverage")
        let absolute = try dir.write("absolute.test.yaml", Array("policy: \(policyPath)\n\(body)".utf8))
        #expect(try PolicyTestSuite.load(file: absolute).policy.id == "coverage")
        // Not found beside the test file: named with the path that was tried.
        let missing = try dir.write("missing.test.yaml", Array("cases: []\npolicy: nowhere.yaml\n".utf8))
        do {
            _ = try PolicyTestSuite.load(file: missing)
            Issue.record("loaded a test of a missing policy")
        } catch let error as PolicyError {
            #expect(error.file == missing)
            #expect(error.line == 2)
            #expect(error.message.contains(dir.url.appendingPathComponent("nowhere.yaml").path), "\(error)")
        }
        // An invalid policy is reported in the policy file, not the test file.
        let broken = try dir.write("broken.yaml", Array("id: broken\nuses: {}\n".utf8))
        let ofBroken = try dir.write("broken.test.yaml", Array("policy: broken.yaml\n\(body)".utf8))
        do {
            _ = try PolicyTestSuite.load(file: ofBroken)
            Issue.record("loaded a test of an invalid policy")
        } catch let error as PolicyError {
            #expect(error.kind == .invalid)
            #expect(error.file == broken)
        }
        // A built-in test may only name built-in policies.
        #expect(loadError("policy: coverage.yaml\n\(body)", directory: nil)?.message.contains("built-in") == true)
        // An unreadable test file.
        do {
            _ = try PolicyTestSuite.load(file: dir.url.appendingPathComponent("absent.test.yaml").path)
            Issue.record("loaded a missing test file")
        } catch let error as PolicyError {
            #expect(error.kind == .unreadable)
        }
    }
}
