import Foundation
import ConsentryModel

/// Finds the rules of a policy that can never decide any track (`consentry policy check`).
///
/// The analysis is exact, not a heuristic. Per use, the tracks fall into finitely many
/// classes that every rule treats alike: label status × the three flags × where the upload
/// time lies among the dates that use's rules compare with (or no upload time). A rule
/// never decides iff no class reaches it, so trying one track of each class proves it.
public enum PolicyLint {
    /// A rule that no track can reach, and why.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        /// The policy's origin: its file, or `built-in:ID`.
        public var file: String
        public var use: AIUse
        /// Index into the use's rules.
        public var ruleIndex: Int
        public var ruleID: String
        /// Line of the rule in the policy file; 0 when unknown.
        public var line: Int
        public var reason: Reason
        /// `rule 'ID' of USE can never decide: WHY`, naming the rules involved by id and line.
        public var message: String

        /// `FILE:LINE: MESSAGE`, for a warning.
        public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    }

    public enum Reason: Sendable, Equatable {
        /// Its `when` holds for no track (the upload-date window is empty).
        case neverHolds
        /// A rule above it (this index) has no `when`.
        case afterUnconditional(Int)
        /// A rule above it (this index) holds for every track it holds for.
        case shadowed(by: Int)
        /// No single rule above holds for all its tracks, but these ones above decide them all.
        case covered(by: [Int])
    }

    /// The findings of every use, in use order, then rule order.
    public static func findings(_ policy: Policy) -> [Finding] {
        AIUse.allCases.flatMap { findings(policy, use: $0) }
    }

    static func findings(_ policy: Policy, use: AIUse) -> [Finding] {
        let rules = policy.rules(for: use)
        let classes = representatives(rules)
        let matches = rules.map { rule in classes.indices.filter { rule.condition?.holds(for: classes[$0]) ?? true } }
        var decider = Array(repeating: -1, count: classes.count)
        for (index, matched) in matches.enumerated() {
            for c in matched where decider[c] < 0 { decider[c] = index }
        }
        var result: [Finding] = []
        for (index, rule) in rules.enumerated() where !decider.contains(index) {
            let reason: Reason
            if matches[index].isEmpty {
                reason = .neverHolds
            } else if let above = rules[..<index].firstIndex(where: { $0.condition == nil }) {
                reason = .afterUnconditional(above)
            } else if let above = (0..<index).first(where: { Set(matches[$0]).isSuperset(of: matches[index]) }) {
                reason = .shadowed(by: above)
            } else {
                reason = .covered(by: Set(matches[index].map { decider[$0] }).sorted())
            }
            result.append(Finding(file: policy.origin, use: use, ruleIndex: index, ruleID: rule.id, line: rule.line, reason: reason,
                                  message: message(rule, use: use, reason: reason, rules: rules)))
        }
        return result
    }

    /// One track per class: the status and flag combinations, each with no upload time and,
    /// if the rules compare dates, a time before all of them and each of them.
    static func representatives(_ rules: [PolicyRule]) -> [TrackFacts] {
        var dates: Set<Int64> = []
        for condition in rules.compactMap(\.condition) {
            if let date = condition.uploadedBefore { dates.insert(date) }
            if let date = condition.uploadedOnOrAfter { dates.insert(date) }
        }
        // `at < d` and `at >= d` change only at a date d, so [d, next date) is one class.
        var times: [Int64?] = [nil]
        if let first = dates.min() { times.append(first - 1) }
        times += dates.sorted().map { Optional($0) }
        return (0..<PolicyEvaluator.keyCount).flatMap { key in
            times.map { time in
                var track = PolicyEvaluator.facts(forKey: key)
                track.uploadedAt = time
                return track
            }
        }
    }

    private static func message(_ rule: PolicyRule, use: AIUse, reason: Reason, rules: [PolicyRule]) -> String {
        func name(_ index: Int) -> String {
            let other = rules[index]
            return other.line > 0 ? "'\(other.id)' (line \(other.line))" : "'\(other.id)'"
        }
        let why: String
        switch reason {
        case .neverHolds:
            why = "its 'when' holds for no track" + dateWindow(rule.condition)
        case .afterUnconditional(let above):
            why = "rule \(name(above)) above it has no 'when'"
        case .shadowed(let above):
            why = "rule \(name(above)) above it holds for every track this one holds for"
        case .covered(let above):
            let names = above.map(name)
            why = "rules \(names.dropLast().joined(separator: ", ")) and \(names[names.count - 1]) above it together decide every track this one holds for"
        }
        return "rule '\(rule.id)' of \(use.name) can never decide: \(why)"
    }

    /// Why a condition holds for no track; the dates are the only way that can happen.
    private static func dateWindow(_ condition: Condition?) -> String {
        guard let before = condition?.uploadedBefore, let after = condition?.uploadedOnOrAfter, before <= after else {
            return ""
        }
        return " (uploaded_before \(day(before)) is not after uploaded_on_or_after \(day(after)))"
    }

    private static func day(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
