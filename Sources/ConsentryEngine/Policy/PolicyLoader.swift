import Crypto
import Foundation
import Yams
import ConsentryModel

/// Reads and validates policy YAML (contract §2), naming the file and line of every problem.
public enum PolicyLoader {
    private static let rootKeys: Set<String> = ["id", "title", "source", "uses"]
    private static let ruleKeys: Set<String> = ["id", "when", "verdict", "description"]
    private static let conditionKeys = [
        "label_status", "genai_opt_in", "ai_opt_out", "no_ai_tag", "uploaded_before", "uploaded_on_or_after",
    ]

    /// Resolves `--policy` arguments: a built-in id, or the path of a YAML file.
    public static func resolve(_ reference: String) throws -> Policy {
        if BuiltInPolicies.ids.contains(reference) {
            return try BuiltInPolicies.policy(reference)
        }
        if FileManager.default.fileExists(atPath: reference) {
            return try load(file: reference)
        }
        throw PolicyError(
            .unknownPolicy,
            "'\(reference)' is neither a built-in policy (\(BuiltInPolicies.ids.joined(separator: ", "))) nor a policy file", remedy: "check the id or path (`consentry policy list` shows the built-in ids)",
            file: nil)
    }

    /// Loads a policy file.
    public static func load(file path: String) throws -> Policy {
        try load(yaml: try read(path, what: "policy file"), origin: path)
    }

    /// The UTF-8 text of a file; `what` names the kind of file in errors.
    static func read(_ path: String, what: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PolicyError(.unreadable, "cannot read the \(what): \(FailureReason.of(error))", remedy: "check the path and its permissions", file: path, underlying: error)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(.invalidYAML, "the \(what) is not UTF-8 text", file: path)
        }
        return text
    }

    /// Parses and validates policy YAML; `origin` names it in errors.
    public static func load(yaml text: String, origin: String) throws -> Policy {
        let root = try compose(text, origin: origin)
        let checker = Checker(origin: origin)
        guard let root, let mapping = root.mapping else {
            throw checker.error(root, "a policy must be a YAML mapping with keys id, title, source and uses")
        }
        let top = try checker.keyed(mapping, allowed: rootKeys, what: "top-level key")
        guard let idNode = top["id"] else { throw checker.error(root, "the policy has no 'id'") }
        let id = try checker.string(idNode, "id")
        guard !id.isEmpty, id.utf8.count <= 100,
              id.utf8.allSatisfy({ $0 < 0x80 && (isalnum(Int32($0)) != 0 || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E) }) else {
            throw checker.error(idNode, "the policy id '\(id)' must be 1 to 100 letters, digits, '-', '_' or '.'")
        }
        let title = try top["title"].map { try checker.string($0, "title") } ?? id
        let source = try top["source"].map { try checker.string($0, "source") } ?? ""
        guard let usesNode = top["uses"] else {
            throw checker.error(root, "the policy has no 'uses'; it must list \(AIUse.allCases.map(\.name).joined(separator: ", "))")
        }
        guard let usesMapping = usesNode.mapping else {
            throw checker.error(usesNode, "'uses' must be a mapping from use name to a list of rules")
        }
        let usesByName = try checker.keyed(usesMapping, allowed: Set(AIUse.allCases.map(\.name)), what: "use")
        var rules: [[PolicyRule]] = []
        for use in AIUse.allCases {
            guard let node = usesByName[use.name] else {
                throw checker.error(usesNode, "the policy does not list the use '\(use.name)'; every policy must list all four uses")
            }
            rules.append(try parseRules(node, use: use, checker: checker))
        }
        let digest = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        return Policy(id: id, title: title, source: source, rules: rules, yaml: text, sha256: digest, origin: origin)
    }

    private static func parseRules(_ node: Node, use: AIUse, checker: Checker) throws -> [PolicyRule] {
        guard let sequence = node.sequence, !sequence.isEmpty else {
            throw checker.error(node, "'\(use.name)' must be a non-empty list of rules")
        }
        guard sequence.count <= Policy.maxRulesPerUse else {
            throw checker.error(node, "'\(use.name)' has \(sequence.count) rules; at most \(Policy.maxRulesPerUse) are supported")
        }
        var rules: [PolicyRule] = []
        var seen: Set<String> = []
        for (index, ruleNode) in sequence.enumerated() {
            guard let mapping = ruleNode.mapping else {
                throw checker.error(ruleNode, "each rule of '\(use.name)' must be a mapping with id, verdict and optionally when")
            }
            let keys = try checker.keyed(mapping, allowed: ruleKeys, what: "rule key")
            guard let idNode = keys["id"] else {
                throw checker.error(ruleNode, "a rule of '\(use.name)' has no 'id'")
            }
            let id = try checker.string(idNode, "rule id")
            guard !id.isEmpty else { throw checker.error(idNode, "a rule id must not be empty") }
            guard seen.insert(id).inserted else {
                throw checker.error(idNode, "the rule id '\(id)' is used twice in '\(use.name)'; rule ids must be unique within a use")
            }
            guard let verdictNode = keys["verdict"] else {
                throw checker.error(ruleNode, "the rule '\(id)' of '\(use.name)' has no 'verdict'")
            }
            let verdictText = try checker.string(verdictNode, "verdict")
            guard let verdict = Verdict(name: verdictText) else {
                throw checker.error(verdictNode, "unknown verdict '\(verdictText)' in rule '\(id)'; use exposed, consented or blocked")
            }
            var condition: Condition? = nil
            if let whenNode = keys["when"] {
                condition = try parseCondition(whenNode, rule: id, checker: checker)
            }
            if index == sequence.count - 1 && condition != nil {
                throw checker.error(ruleNode, "the last rule of '\(use.name)' ('\(id)') has a 'when'; the last rule of each use must have none, so that every track gets a verdict")
            }
            rules.append(PolicyRule(id: id, condition: condition, verdict: verdict, line: checker.line(ruleNode) ?? 0))
        }
        return rules
    }

    private static func parseCondition(_ node: Node, rule: String, checker: Checker) throws -> Condition {
        guard let mapping = node.mapping else {
            throw checker.error(node, "'when' of rule '\(rule)' must be a mapping of conditions")
        }
        let keys = try checker.keyed(mapping, allowed: Set(conditionKeys), what: "condition")
        var condition = Condition()
        if let statusNode = keys["label_status"] {
            let items: [Node]
            if let sequence = statusNode.sequence {
                items = Array(sequence)
            } else {
                items = [statusNode]
            }
            guard !items.isEmpty else { throw checker.error(statusNode, "'label_status' lists no status") }
            var mask: UInt8 = 0
            for item in items {
                let text = try checker.string(item, "label_status")
                guard let status = LabelStatus(name: text) else {
                    throw checker.error(item, "unknown label status '\(text)'; use major, licensed, independent (or unsigned) or unknown")
                }
                mask |= 1 << status.rawValue
            }
            condition.labelStatuses = mask
        }
        func flag(_ key: String) throws -> Bool? {
            guard let n = keys[key] else { return nil }
            switch try checker.string(n, key).lowercased() {
            case "true": return true
            case "false": return false
            default: throw checker.error(n, "'\(key)' must be true or false")
            }
        }
        condition.genaiOptIn = try flag("genai_opt_in")
        condition.aiOptOut = try flag("ai_opt_out")
        condition.noAITag = try flag("no_ai_tag")
        func date(_ key: String) throws -> Int64? {
            guard let n = keys[key] else { return nil }
            let text = try checker.string(n, key)
            guard let value = FieldText.parseDate(text) else {
                throw checker.error(n, "'\(key)' must be a date written YYYY-MM-DD, not '\(text)'")
            }
            return value
        }
        condition.uploadedBefore = try date("uploaded_before")
        condition.uploadedOnOrAfter = try date("uploaded_on_or_after")
        return condition
    }

    /// Parses YAML into nodes that keep their line numbers; `origin` names the text in errors.
    static func compose(_ text: String, origin: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw yamlError(error, origin: origin)
        } catch {
            throw PolicyError(.invalidYAML, "not valid YAML: \(error)", file: origin, underlying: error)
        }
    }

    static func yamlError(_ error: YamlError, origin: String) -> PolicyError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return PolicyError(.invalidYAML, "not valid YAML: \(problem) (column \(mark.column))", file: origin, line: mark.line, underlying: error)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PolicyError(
                .invalidYAML, "\(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")) appears twice in the same mapping", remedy: "keep one of them",
                file: origin, line: context.mark.line)
        default:
            return PolicyError(.invalidYAML, "not valid YAML: \(error)", file: origin, underlying: error)
        }
    }

    /// Helpers that turn YAML nodes into values or errors located in the file.
    ///
    /// Shared with ``PolicyTestSuite``, whose test files are YAML with the same error rules.
    struct Checker {
        let origin: String
        /// The code of the errors it makes: policy files and test files have their own.
        var kind: PolicyError.Code = .invalid

        func line(_ node: Node?) -> Int? { node?.mark?.line }

        func error(_ node: Node?, _ message: String) -> PolicyError {
            PolicyError(kind, message, file: origin, line: line(node))
        }

        func string(_ node: Node, _ what: String) throws -> String {
            guard let scalar = node.scalar else { throw error(node, "'\(what)' must be a single value, not a list or mapping") }
            return scalar.string
        }

        /// The mapping's values by key, refusing unknown and repeated keys.
        func keyed(_ mapping: Node.Mapping, allowed: Set<String>, what: String) throws -> [String: Node] {
            var result: [String: Node] = [:]
            for (keyNode, value) in mapping {
                let key = try string(keyNode, what)
                guard allowed.contains(key) else {
                    throw error(keyNode, "unknown \(what) '\(key)'; expected one of \(allowed.sorted().joined(separator: ", "))")
                }
                guard result[key] == nil else { throw error(keyNode, "'\(key)' appears twice") }
                result[key] = value
            }
            return result
        }
    }
}
