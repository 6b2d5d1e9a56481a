import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// A policy whose `ai_generative_training` rules are `rules` (YAML list items, 4-space
/// indented, starting on line 4); the other uses have one rule each.
private func policy(_ rules: String) throws -> Policy {
    try PolicyLoader.load(yaml: """
        id: lint
        uses:
          ai_generative_training:
        \(rules)
          ai_training: [{ id: default, verdict: exposed }]
          ai_inference: [{ id: default, verdict: exposed }]
          data_mining: [{ id: default, verdict: blocked }]

        """, origin: "lint.yaml")
}

private func findings(_ rules: String) throws -> [PolicyLint.Finding] {
    try PolicyLint.findings(policy(rules))
}

@Suite("Policy lint")
struct PolicyLintTests {
    @Test("the built-in policies have no rule that can never decide", arguments: BuiltInPolicies.ids)
    func builtInsAreClean(_ id: String) throws {
        #expect(PolicyLint.findings(try BuiltInPolicies.policy(id)).map(\.description) == [])
    }

    @Test("a rule after one without 'when' can never decide")
    func afterUnconditional() throws {
        let found = try findings("""
                - id: opt-in
                  when: { genai_opt_in: true }
                  verdict: consented
                - id: everything
                  verdict: blocked
                - id: tagged
                  when: { no_ai_tag: true }
                  verdict: blocked
                - id: default
                  verdict: exposed
            """)
        #expect(found.map(\.ruleID) == ["tagged", "default"])
        #expect(found.map(\.reason) == [.afterUnconditional(1), .afterUnconditional(1)])
        #expect(found.map(\.line) == [9, 12])
        #expect(found.map(\.ruleIndex) == [2, 3])
        #expect(found.allSatisfy { $0.use == .aiGenerativeTraining })
        #expect(found[0].description
                == "lint.yaml:9: rule 'tagged' of ai_generative_training can never decide: rule 'everything' (line 7) above it has no 'when'")
    }

    @Test("a rule shadowed by a single broader rule above names it")
    func shadowedBySingleRule() throws {
        let found = try findings("""
                - id: opt-in
                  when: { genai_opt_in: true }
                  verdict: consented
                - id: labelled
                  when: { label_status: [major, licensed] }
                  verdict: blocked
                - id: major-opted-in
                  when: { label_status: major, genai_opt_in: true, no_ai_tag: false }
                  verdict: blocked
                - id: old
                  when: { uploaded_before: 2024-01-01 }
                  verdict: blocked
                - id: older
                  when: { uploaded_before: 2023-01-01, label_status: independent }
                  verdict: exposed
                - id: default
                  verdict: exposed
            """)
        #expect(found.map(\.ruleID) == ["major-opted-in", "older"])
        #expect(found.map(\.reason) == [.shadowed(by: 0), .shadowed(by: 3)])
        #expect(found[0].message
                == "rule 'major-opted-in' of ai_generative_training can never decide: rule 'opt-in' (line 4) above it holds for every track this one holds for")
        #expect(found[1].message.contains("rule 'old' (line 13)"))
    }

    @Test("a rule covered by several rules above together names them all")
    func coveredTogether() throws {
        let found = try findings("""
                - id: opted-in
                  when: { genai_opt_in: true }
                  verdict: consented
                - id: not-opted-in
                  when: { genai_opt_in: false }
                  verdict: blocked
                - id: default
                  verdict: exposed
            """)
        #expect(found.map(\.reason) == [.covered(by: [0, 1])])
        #expect(found[0].description
                == "lint.yaml:10: rule 'default' of ai_generative_training can never decide: rules 'opted-in' (line 4) and 'not-opted-in' (line 7) above it together decide every track this one holds for")

        let dated = try findings("""
                - id: labelled
                  when: { label_status: [major, licensed] }
                  verdict: blocked
                - id: old
                  when: { uploaded_before: 2025-05-01 }
                  verdict: exposed
                - id: new
                  when: { uploaded_on_or_after: 2025-05-01 }
                  verdict: blocked
                - id: indie-dated
                  when: { label_status: [independent, unknown], uploaded_on_or_after: 2020-01-01 }
                  verdict: consented
                - id: default
                  verdict: exposed
            """)
        #expect(dated.map(\.ruleID) == ["indie-dated"])
        #expect(dated.map(\.reason) == [.covered(by: [1, 2])])
        #expect(dated[0].message.contains("rules 'old' (line 7) and 'new' (line 10) above it together"))
    }

    @Test("a rule whose upload-date window is empty can never hold")
    func neverHolds() throws {
        for (before, after) in [("2024-01-01", "2025-01-01"), ("2024-01-01", "2024-01-01")] {
            let found = try findings("""
                    - id: window
                      when: { uploaded_on_or_after: \(after), uploaded_before: \(before) }
                      verdict: blocked
                    - id: default
                      verdict: exposed
                """)
            #expect(found.map(\.reason) == [.neverHolds])
            #expect(found.first?.message
                    == "rule 'window' of ai_generative_training can never decide: its 'when' holds for no track (uploaded_before \(before) is not after uploaded_on_or_after \(after))")
        }
    }

    @Test("rules that look shadowed but are reachable are not reported")
    func reachableRulesAreNotReported() throws {
        let found = try findings("""
                - id: major-opted-in
                  when: { label_status: major, genai_opt_in: true }
                  verdict: consented
                - id: labelled
                  when: { label_status: [major, licensed] }
                  verdict: blocked
                - id: old
                  when: { uploaded_before: 2023-01-01 }
                  verdict: blocked
                - id: less-old
                  when: { uploaded_before: 2024-01-01 }
                  verdict: consented
                - id: new
                  when: { uploaded_on_or_after: 2024-01-01 }
                  verdict: exposed
                - id: indie
                  when: { label_status: independent }
                  verdict: blocked
                - id: one-day-window
                  when: { uploaded_on_or_after: 2022-12-31, uploaded_before: 2023-01-01 }
                  verdict: blocked
                - id: default
                  verdict: exposed
            """)
        // labelled is broader than the narrower rule above it; less-old reaches 2023; indie
        // and default reach tracks without uploaded_at, which neither date rule matches.
        // Only the one-day window is dead: 'old' takes all of it.
        #expect(found.map(\.ruleID) == ["one-day-window"])
        #expect(found.map(\.reason) == [.shadowed(by: 2)])
    }

    @Test("every use is analysed with its own dates, and rule ids repeat across uses")
    func everyUse() throws {
        let policy = try PolicyLoader.load(yaml: """
            id: uses
            uses:
              ai_generative_training: [{ id: a, when: { uploaded_before: 2024-01-01 }, verdict: blocked }, { id: d, verdict: exposed }]
              ai_training: [{ id: d, verdict: exposed }, { id: e, verdict: blocked }]
              ai_inference: [{ id: a, when: { no_ai_tag: true }, verdict: blocked }, { id: b, when: { no_ai_tag: false }, verdict: blocked }, { id: d, verdict: exposed }]
              data_mining: [{ id: d, verdict: blocked }]

            """, origin: "uses.yaml")
        let found = PolicyLint.findings(policy)
        #expect(found.map { "\($0.use.name)/\($0.ruleID)@\($0.line)" } == ["ai_training/e@4", "ai_inference/d@5"])
        #expect(found.map(\.reason) == [.afterUnconditional(0), .covered(by: [0, 1])])
    }

    /// The analysis against brute force: random policies over a few dates, decided for every
    /// track in a grid that includes each date, a second and a day either side, and the extremes.
    @Test("random policies: a rule is reported exactly when no track of a dense grid reaches it")
    func agreesWithBruteForce() throws {
        var rng = SeededRNG(seed: 0x5EED)
        let dates: [Int64] = [1_672_531_200, 1_704_067_200, 1_706_745_600, 1_746_057_600]
        var times: [Int64?] = [nil, Int64.min / 2, Int64.max / 2, 0]
        for date in dates {
            times += [date - 86_400, date - 1, date, date + 1, date + 86_400]
        }
        var tracks: [TrackFacts] = []
        for status in LabelStatus.allCases {
            for flags in 0..<8 {
                for time in times {
                    tracks.append(TrackFacts(labelStatus: status, genaiOptIn: flags & 1 != 0, aiOptOut: flags & 2 != 0,
                                             noAITag: flags & 4 != 0, uploadedAt: time))
                }
            }
        }
        for _ in 0..<300 {
            var rules: [PolicyRule] = []
            let count = 1 + Int(rng.next() % 7)
            for index in 0..<count {
                var condition: Condition? = nil
                if index < count - 1 && rng.next() % 8 != 0 {
                    var c = Condition()
                    if rng.next() % 2 == 0 { c.labelStatuses = UInt8(1 + rng.next() % 15) }
                    if rng.next() % 3 == 0 { c.genaiOptIn = rng.next() % 2 == 0 }
                    if rng.next() % 3 == 0 { c.aiOptOut = rng.next() % 2 == 0 }
                    if rng.next() % 4 == 0 { c.noAITag = rng.next() % 2 == 0 }
                    if rng.next() % 3 == 0 { c.uploadedBefore = dates[Int(rng.next() % 4)] }
                    if rng.next() % 3 == 0 { c.uploadedOnOrAfter = dates[Int(rng.next() % 4)] }
                    condition = c
                }
                rules.append(PolicyRule(id: "r\(index)", condition: condition, verdict: .blocked, line: 10 + index))
            }
            let policy = Policy(id: "random", title: "", source: "", rules: [rules, rules, rules, rules], yaml: "",
                                sha256: "", origin: "random.yaml")
            var reached = Set<Int>()
            for track in tracks { reached.insert(policy.decide(.aiTraining, for: track).rule) }
            let found = PolicyLint.findings(policy).filter { $0.use == .aiTraining }
            #expect(Set(found.map(\.ruleIndex)) == Set(rules.indices).subtracting(reached), "\(rules)")
            for finding in found {
                switch finding.reason {
                case .neverHolds:
                    #expect(tracks.allSatisfy { !(rules[finding.ruleIndex].condition?.holds(for: $0) ?? true) })
                case .afterUnconditional(let above):
                    #expect(above < finding.ruleIndex && rules[above].condition == nil)
                case .shadowed(let above):
                    #expect(above < finding.ruleIndex)
                    let (rule, broader) = (rules[finding.ruleIndex], rules[above])
                    let escapes = tracks.filter { track in
                        rule.condition?.holds(for: track) ?? true && !(broader.condition?.holds(for: track) ?? true)
                    }
                    #expect(escapes.isEmpty)
                case .covered(let above):
                    #expect(above.count >= 2 && above.allSatisfy { $0 < finding.ruleIndex })
                }
            }
        }
    }
}
