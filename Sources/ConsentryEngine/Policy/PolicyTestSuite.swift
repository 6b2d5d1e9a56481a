import Foundation
import Yams
import ConsentryModel

/// A policy test file: a policy and example tracks with the verdicts they must get.
///
/// ```yaml
/// policy: soundcloud-2025-05      # a built-in id, or a policy file relative to this file
/// cases:
///   - name: independent track without consent
///     track: { label_status: independent, genai_opt_in: "no" }
///     expect:
///       ai_generative_training: blocked
///       ai_training: { verdict: exposed, rule: default-open }
/// ```
///
/// Track values are read as `scan` reads a CSV cell (contract §1.3), so a test says what a
/// catalogue export would say.
public struct PolicyTestSuite: Sendable {
    /// One track and what some of its uses must decide.
    public struct Case: Sendable {
        public var name: String
        /// Line of the case in the test file.
        public var line: Int
        public var track: TrackFacts
        /// In ``AIUse`` order, at most one per use.
        public var expectations: [Expectation]
    }

    /// What one use must decide: a verdict, a deciding rule, or both.
    public struct Expectation: Sendable {
        public var use: AIUse
        public var verdict: Verdict?
        /// Index into the use's rules.
        public var rule: Int?
    }

    /// One use of a failing case whose decision differs from the expectation.
    public struct Difference: Sendable {
        public var expected: Expectation
        public var verdict: Verdict
        /// Index into the use's rules of the rule that decided.
        public var rule: Int
    }

    /// A case whose track did not get what it expects.
    public struct CaseFailure: Sendable {
        public var name: String
        public var line: Int
        public var differences: [Difference]
    }

    /// A rule that decides no expected use of any case.
    public struct UncoveredRule: Sendable {
        public var use: AIUse
        public var index: Int
        public var id: String
        /// Line of the rule in the policy file; 0 when unknown.
        public var line: Int
    }

    /// What running a suite found.
    public struct Outcome: Sendable {
        public var passed: Int
        public var failures: [CaseFailure]
        /// In use order, then rule order.
        public var uncovered: [UncoveredRule]

        public var failed: Int { failures.count }
    }

    /// The test file as named to the user: the path given, or `built-in:ID.test.yaml`.
    public var file: String
    public var policy: Policy
    public var cases: [Case]

    // MARK: - Running

    /// Decides every case; a rule counts as covered when it decides a use its case expects.
    public func run() -> Outcome {
        var covered = policy.rules.map { Array(repeating: false, count: $0.count) }
        var passed = 0
        var failures: [CaseFailure] = []
        for testCase in cases {
            var differences: [Difference] = []
            for expectation in testCase.expectations {
                let (rule, verdict) = policy.decide(expectation.use, for: testCase.track)
                covered[expectation.use.rawValue][rule] = true
                if expectation.verdict.map({ $0 != verdict }) ?? false || expectation.rule.map({ $0 != rule }) ?? false {
                    differences.append(Difference(expected: expectation, verdict: verdict, rule: rule))
                }
            }
            if differences.isEmpty {
                passed += 1
            } else {
                failures.append(CaseFailure(name: testCase.name, line: testCase.line, differences: differences))
            }
        }
        var uncovered: [UncoveredRule] = []
        for use in AIUse.allCases {
            for (index, rule) in policy.rules(for: use).enumerated() where !covered[use.rawValue][index] {
                uncovered.append(UncoveredRule(use: use, index: index, id: rule.id, line: rule.line))
            }
        }
        return Outcome(passed: passed, failures: failures, uncovered: uncovered)
    }

    /// `FILE:LINE: case 'NAME': USE: expected V (rule R), got V (rule R); ...`
    public func describe(_ failure: CaseFailure) -> String {
        let parts = failure.differences.map { difference -> String in
            let use = difference.expected.use
            let rules = policy.rules(for: use)
            var expected = difference.expected.verdict?.name ?? ""
            if let rule = difference.expected.rule {
                expected += expected.isEmpty ? "rule \(rules[rule].id)" : " (rule \(rules[rule].id))"
            }
            return "\(use.name): expected \(expected), got \(difference.verdict.name) (rule \(rules[difference.rule].id))"
        }
        return "\(file):\(failure.line): case '\(failure.name)': \(parts.joined(separator: "; "))"
    }

    /// `POLICY:LINE: rule 'ID' of USE is never the deciding rule in any case of FILE`
    public func describe(_ rule: UncoveredRule) -> String {
        let location = rule.line > 0 ? "\(policy.origin):\(rule.line)" : policy.origin
        return "\(location): rule '\(rule.id)' of \(rule.use.name) is never the deciding rule in any case of \(file)"
    }

    // MARK: - Loading

    private static let rootKeys: Set<String> = ["policy", "cases"]
    private static let caseKeys: Set<String> = ["name", "track", "expect"]
    private static let expectKeys: Set<String> = ["verdict", "rule"]
    /// contract §1.3's fields: those policies decide on, and those a test may give for realism.
    private static let trackKeys: Set<String> = [
        "label_status", "genai_opt_in", "ai_opt_out", "no_ai_tag", "uploaded_at",
        "consent_updated_at", "artist_id", "title", "track_id",
    ]

    /// Loads a test file; a relative policy path in it is taken from the file's directory.
    public static func load(file path: String) throws -> PolicyTestSuite {
        try load(yaml: try PolicyLoader.read(path, what: "policy test file"), origin: path,
                 directory: (path as NSString).deletingLastPathComponent)
    }

    /// The test file shipped with a built-in policy.
    public static func builtIn(_ id: String) throws -> PolicyTestSuite {
        try load(yaml: try BuiltInPolicies.testYAML(id), origin: "built-in:\(id).test.yaml", directory: nil)
    }

    /// Parses and validates test YAML; `origin` names it in errors and failures.
    ///
    /// `directory` is where a relative policy path is looked up ("" for the current one);
    /// nil allows built-in policy ids only.
    public static func load(yaml text: String, origin: String, directory: String?) throws -> PolicyTestSuite {
        let checker = PolicyLoader.Checker(origin: origin, kind: .invalidTest)
        let root = try PolicyLoader.compose(text, origin: origin)
        guard let root, let mapping = root.mapping else {
            throw checker.error(root, "a policy test file must be a YAML mapping with keys 'policy' and 'cases'")
        }
        let top = try checker.keyed(mapping, allowed: rootKeys, what: "test file key")
        guard let policyNode = top["policy"] else {
            throw checker.error(root, "the test file has no 'policy'; name a built-in policy id or a policy file")
        }
        let policy = try resolvePolicy(try checker.string(policyNode, "policy"), at: policyNode, directory: directory,
                                       checker: checker)
        guard let casesNode = top["cases"] else {
            throw checker.error(root, "the test file has no 'cases'; list the tracks to decide and what they must get")
        }
        guard let sequence = casesNode.sequence, !sequence.isEmpty else {
            throw checker.error(casesNode, "'cases' must be a non-empty list of cases with name, track and expect")
        }
        var cases: [Case] = []
        var lineOfName: [String: Int] = [:]
        for caseNode in sequence {
            let testCase = try parseCase(caseNode, policy: policy, checker: checker)
            if let first = lineOfName[testCase.name] {
                throw checker.error(caseNode, "the case name '\(testCase.name)' is used twice (first on line \(first)); give each case its own name")
            }
            lineOfName[testCase.name] = testCase.line
            cases.append(testCase)
        }
        return PolicyTestSuite(file: origin, policy: policy, cases: cases)
    }

    private static func resolvePolicy(_ reference: String, at node: Node, directory: String?,
                                      checker: PolicyLoader.Checker) throws -> Policy {
        if BuiltInPolicies.ids.contains(reference) {
            return try BuiltInPolicies.policy(reference)
        }
        let builtIns = BuiltInPolicies.ids.joined(separator: ", ")
        guard let directory else {
            throw checker.error(node, "'\(reference)' is not a built-in policy (\(builtIns)); a shipped test can only test a built-in policy")
        }
        let path: String
        if reference.hasPrefix("/") || directory.isEmpty {
            path = reference
        } else {
            path = directory.hasSuffix("/") ? directory + reference : directory + "/" + reference
        }
        guard !reference.isEmpty, FileManager.default.fileExists(atPath: path) else {
            throw checker.error(node, "'\(reference)' is neither a built-in policy (\(builtIns)) nor a policy file (looked for \(path)); a relative path is taken from the test file's directory")
        }
        return try PolicyLoader.load(file: path)
    }

    private static func parseCase(_ node: Node, policy: Policy, checker: PolicyLoader.Checker) throws -> Case {
        guard let mapping = node.mapping else {
            throw checker.error(node, "each case must be a mapping with name, track and expect")
        }
        let keys = try checker.keyed(mapping, allowed: caseKeys, what: "case key")
        guard let nameNode = keys["name"] else { throw checker.error(node, "a case has no 'name'; name what it shows") }
        let name = try checker.string(nameNode, "name")
        guard !name.isEmpty else { throw checker.error(nameNode, "a case name must not be empty") }
        guard let trackNode = keys["track"] else {
            throw checker.error(node, "the case '\(name)' has no 'track'; give the track's fields (or {} for all empty)")
        }
        let track = try parseTrack(trackNode, checker: checker)
        guard let expectNode = keys["expect"] else {
            throw checker.error(node, "the case '\(name)' has no 'expect'; list the verdict (and rule) it must get for one or more uses")
        }
        let expectations = try parseExpectations(expectNode, case: name, policy: policy, checker: checker)
        return Case(name: name, line: checker.line(node) ?? 0, track: track, expectations: expectations)
    }

    private static func parseExpectations(_ node: Node, case name: String, policy: Policy,
                                          checker: PolicyLoader.Checker) throws -> [Expectation] {
        guard let mapping = node.mapping else {
            throw checker.error(node, "'expect' of case '\(name)' must map uses to a verdict or to { verdict, rule }")
        }
        let byUse = try checker.keyed(mapping, allowed: Set(AIUse.allCases.map(\.name)), what: "use")
        guard !byUse.isEmpty else {
            throw checker.error(node, "the case '\(name)' expects nothing; list the verdict (and rule) it must get for one or more uses")
        }
        var expectations: [Expectation] = []
        for use in AIUse.allCases {
            guard let valueNode = byUse[use.name] else { continue }
            var expectation = Expectation(use: use)
            if valueNode.scalar != nil {
                expectation.verdict = try verdict(valueNode, use: use, checker: checker)
            } else if let entry = valueNode.mapping {
                let keys = try checker.keyed(entry, allowed: expectKeys, what: "expectation key")
                guard !keys.isEmpty else {
                    throw checker.error(valueNode, "'\(use.name)' of case '\(name)' expects nothing; give a verdict, a rule or both")
                }
                expectation.verdict = try keys["verdict"].map { try verdict($0, use: use, checker: checker) }
                if let ruleNode = keys["rule"] {
                    let id = try checker.string(ruleNode, "rule")
                    let rules = policy.rules(for: use)
                    guard let index = rules.firstIndex(where: { $0.id == id }) else {
                        throw checker.error(ruleNode, "the policy '\(policy.id)' has no rule '\(id)' in \(use.name); its rules there are \(rules.map(\.id).joined(separator: ", "))")
                    }
                    expectation.rule = index
                }
            } else {
                throw checker.error(valueNode, "'\(use.name)' of case '\(name)' must be a verdict or { verdict, rule }")
            }
            expectations.append(expectation)
        }
        return expectations
    }

    private static func verdict(_ node: Node, use: AIUse, checker: PolicyLoader.Checker) throws -> Verdict {
        let text = try checker.string(node, use.name)
        guard let verdict = Verdict(name: text) else {
            throw checker.error(node, "unknown verdict '\(text)' for \(use.name); use exposed, consented or blocked")
        }
        return verdict
    }

    /// The track's facts, each field interpreted as `scan` interprets the same CSV cell.
    private static func parseTrack(_ node: Node, checker: PolicyLoader.Checker) throws -> TrackFacts {
        guard let mapping = node.mapping else {
            throw checker.error(node, "'track' must be a mapping of field names to values, like a CSV row")
        }
        let fields = try checker.keyed(mapping, allowed: trackKeys, what: "track field")
        var text: [String: (value: String, node: Node)] = [:]
        for (key, valueNode) in fields {
            let value = try checker.string(valueNode, key)
            // YAML's null (`~`, `null`, nothing) is an absent value, as JSON null is for scan.
            text[key] = (valueNode.null != nil ? "" : value, valueNode)
        }
        func field<T>(_ key: String, _ parse: (UnsafeBufferPointer<UInt8>, Int, Int) -> T?, _ problem: String) throws -> T? {
            guard let (value, valueNode) = text[key] else { return nil }
            guard let parsed = interpret(value, parse) else {
                throw checker.error(valueNode, "\(key) '\(value)' \(problem)")
            }
            return parsed
        }
        let booleans = "is not a boolean; use true/false, yes/no, y/n, t/f, 1/0, or leave it empty"
        let timestamp = "is not an existing ISO 8601 date or time; write YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm]"
        // An empty timestamp is absent: `.some(nil)`; an invalid one nil.
        let parseTime = { (b: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Int64?? in
            start == end ? .some(nil) : FieldText.parseTimestamp(b, start, end).map { .some($0) }
        }
        var track = TrackFacts(labelStatus: try field("label_status", FieldText.parseLabelStatus,
                                                      "is not one of major, licensed, independent (or unsigned), unknown") ?? .unknown)
        track.genaiOptIn = try field("genai_opt_in", FieldText.parseBool, booleans) ?? false
        track.aiOptOut = try field("ai_opt_out", FieldText.parseBool, booleans) ?? false
        track.noAITag = try field("no_ai_tag", FieldText.parseBool, booleans) ?? false
        track.uploadedAt = try field("uploaded_at", parseTime, timestamp) ?? nil
        // Validated like scan does, though no policy decides on it.
        _ = try field("consent_updated_at", parseTime, timestamp)
        return track
    }

    /// Applies a FieldText parser to the trimmed bytes of `text`.
    private static func interpret<T>(_ text: String, _ parse: (UnsafeBufferPointer<UInt8>, Int, Int) -> T?) -> T? {
        Array(text.utf8).withUnsafeBufferPointer { bytes in
            var start = 0
            var end = bytes.count
            FieldText.trim(bytes, &start, &end)
            return parse(bytes, start, end)
        }
    }
}
