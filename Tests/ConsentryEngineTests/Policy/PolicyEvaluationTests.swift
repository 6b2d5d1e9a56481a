import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// Every track a table-driven policy can tell apart: 4 label statuses × 3 flags.
private let allTracks: [TrackFacts] = LabelStatus.allCases.flatMap { status in
    (0..<8).map { bits in
        TrackFacts(labelStatus: status, genaiOptIn: bits & 1 != 0, aiOptOut: bits & 2 != 0, noAITag: bits & 4 != 0)
    }
}

/// contract §2's table of built-in policies, written out independently of the YAML files.
private func specVerdict(_ policy: String, _ use: AIUse, _ t: TrackFacts) -> Verdict {
    // "`unknown` label status is not licensed": only major and licensed are protected.
    let labelled = t.labelStatus == .major || t.labelStatus == .licensed
    switch (policy, use) {
    case ("soundcloud-2024-02", .aiGenerativeTraining):
        if labelled { return .blocked }
        return t.genaiOptIn ? .consented : .exposed
    case ("soundcloud-2025-05", .aiGenerativeTraining):
        if labelled { return .blocked }
        return t.genaiOptIn ? .consented : .blocked
    case ("soundcloud-opt-out", .aiGenerativeTraining):
        if labelled || t.aiOptOut { return .blocked }
        return t.genaiOptIn ? .consented : .blocked
    case ("soundcloud-2024-02", .aiTraining), ("soundcloud-2025-05", .aiTraining):
        return labelled ? .blocked : .exposed
    case ("soundcloud-opt-out", .aiTraining):
        return labelled || t.aiOptOut ? .blocked : .exposed
    case (_, .aiInference):
        return .exposed
    case (_, .dataMining):
        return .blocked
    default:
        fatalError("no such built-in policy: \(policy)")
    }
}

private func describe(_ t: TrackFacts) -> String {
    "\(t.labelStatus.name) genai_opt_in=\(t.genaiOptIn) ai_opt_out=\(t.aiOptOut) no_ai_tag=\(t.noAITag)"
        + (t.uploadedAt.map { " uploaded_at=\($0)" } ?? "")
}

/// A policy with date conditions, so the evaluator cannot use its table.
private let datedPolicyYAML = """
id: dated
title: Date conditions
uses:
  ai_generative_training:
    - id: before-2024-02
      when: { uploaded_before: 2024-02-01 }
      verdict: exposed
    - id: since-2025-05
      when: { uploaded_on_or_after: 2025-05-01 }
      verdict: consented
    - id: default
      verdict: blocked
  ai_training:
    - id: window
      when: { uploaded_on_or_after: 2024-02-01, uploaded_before: 2025-05-01, label_status: [independent, unknown] }
      verdict: exposed
    - id: default
      verdict: blocked
  ai_inference:
    - id: tagged
      when: { no_ai_tag: true }
      verdict: blocked
    - id: default
      verdict: exposed
  data_mining:
    - id: default
      verdict: blocked
"""

/// A policy on the flags the built-ins do not use, with a single label status value.
private let flagPolicyYAML = """
id: flags
uses:
  ai_generative_training:
    - id: tagged
      when: { no_ai_tag: true }
      verdict: blocked
    - id: consent
      when: { genai_opt_in: true, ai_opt_out: false }
      verdict: consented
    - id: default
      verdict: exposed
  ai_training:
    - id: indie-untagged
      when: { label_status: independent, no_ai_tag: false }
      verdict: exposed
    - id: default
      verdict: blocked
  ai_inference:
    - id: unknown
      when: { label_status: unknown }
      verdict: consented
    - id: default
      verdict: exposed
  data_mining:
    - id: default
      verdict: exposed
"""

private let midnight2024Feb = Int64(1_706_745_600)   // 2024-02-01T00:00:00Z
private let midnight2025May = Int64(1_746_057_600)   // 2025-05-01T00:00:00Z

@Suite("Policy evaluation")
struct PolicyEvaluationTests {
    @Test("built-in policies give contract §2's verdicts for every label status and flag combination",
          arguments: BuiltInPolicies.ids)
    func builtInTable(_ id: String) throws {
        let policy = try BuiltInPolicies.policy(id)
        for track in allTracks {
            for use in AIUse.allCases {
                let expected = specVerdict(id, use, track)
                #expect(policy.decide(use, for: track).verdict == expected,
                        "\(id) \(use.name) for \(describe(track))")
            }
        }
    }

    @Test("the deciding rule is recorded")
    func decidingRules() throws {
        func rule(_ id: String, _ use: AIUse, _ track: TrackFacts) throws -> String {
            let policy = try BuiltInPolicies.policy(id)
            return policy.rules(for: use)[policy.decide(use, for: track).rule].id
        }
        let indie = TrackFacts(labelStatus: .independent)
        let indieOptIn = TrackFacts(labelStatus: .independent, genaiOptIn: true)
        let indieOptOut = TrackFacts(labelStatus: .independent, genaiOptIn: true, aiOptOut: true)
        let major = TrackFacts(labelStatus: .major, genaiOptIn: true, aiOptOut: true)
        let unknown = TrackFacts(labelStatus: .unknown)
        #expect(try rule("soundcloud-2025-05", .aiGenerativeTraining, major) == "licensed-excluded")
        #expect(try rule("soundcloud-2025-05", .aiGenerativeTraining, indieOptIn) == "opt-in")
        #expect(try rule("soundcloud-2025-05", .aiGenerativeTraining, indie) == "default-closed")
        #expect(try rule("soundcloud-2025-05", .aiTraining, unknown) == "default-open")
        #expect(try rule("soundcloud-2024-02", .aiGenerativeTraining, indie) == "default-open")
        #expect(try rule("soundcloud-opt-out", .aiGenerativeTraining, indieOptOut) == "opted-out")
        #expect(try rule("soundcloud-opt-out", .aiTraining, indieOptOut) == "opted-out")
        #expect(try rule("soundcloud-opt-out", .aiTraining, major) == "licensed-excluded")
        #expect(try rule("soundcloud-opt-out", .dataMining, indie) == "no-scraping")
    }

    @Test("PolicyEvaluator's packed decisions equal Policy.decide for every combination")
    func evaluatorMatchesDecide() throws {
        var policies = try BuiltInPolicies.ids.map(BuiltInPolicies.policy)
        policies.append(try PolicyLoader.load(yaml: flagPolicyYAML, origin: "flags.yaml"))
        policies.append(try PolicyLoader.load(yaml: datedPolicyYAML, origin: "dated.yaml"))
        let evaluator = PolicyEvaluator(policies: policies)
        let times: [Int64?] = [nil, midnight2024Feb - 1, midnight2024Feb, midnight2025May - 1, midnight2025May, 0]
        for (index, policy) in policies.enumerated() {
            for base in allTracks {
                for time in times {
                    var track = base
                    track.uploadedAt = time
                    let packed = evaluator.evaluate(index, track)
                    var anyExposed = false
                    for use in AIUse.allCases {
                        let (rule, verdict) = policy.decide(use, for: track)
                        #expect(PackedDecisions.verdict(packed, use) == verdict, "\(policy.id) \(use.name) \(describe(track))")
                        #expect(PackedDecisions.ruleIndex(packed, use) == rule, "\(policy.id) \(use.name) \(describe(track))")
                        anyExposed = anyExposed || verdict == .exposed
                    }
                    let trainingExposed = policy.decide(.aiGenerativeTraining, for: track).verdict == .exposed
                        || policy.decide(.aiTraining, for: track).verdict == .exposed
                    #expect(PackedDecisions.trainingExposed(packed) == trainingExposed, "\(policy.id) \(describe(track))")
                    #expect(PackedDecisions.anyExposed(packed) == anyExposed, "\(policy.id) \(describe(track))")
                }
            }
        }
    }

    @Test("the flag conditions the built-ins do not use")
    func flagConditions() throws {
        let policy = try PolicyLoader.load(yaml: flagPolicyYAML, origin: "flags.yaml")
        let v = { (use: AIUse, t: TrackFacts) in policy.decide(use, for: t).verdict }
        #expect(v(.aiGenerativeTraining, TrackFacts(labelStatus: .major, genaiOptIn: true, noAITag: true)) == .blocked)
        #expect(v(.aiGenerativeTraining, TrackFacts(labelStatus: .major, genaiOptIn: true)) == .consented)
        #expect(v(.aiGenerativeTraining, TrackFacts(labelStatus: .major, genaiOptIn: true, aiOptOut: true)) == .exposed)
        #expect(v(.aiTraining, TrackFacts(labelStatus: .independent)) == .exposed)
        #expect(v(.aiTraining, TrackFacts(labelStatus: .independent, noAITag: true)) == .blocked)
        #expect(v(.aiTraining, TrackFacts(labelStatus: .unknown)) == .blocked)
        #expect(v(.aiInference, TrackFacts(labelStatus: .unknown)) == .consented)
        #expect(v(.aiInference, TrackFacts(labelStatus: .licensed)) == .exposed)
    }

    @Test("date conditions: boundaries at midnight UTC; a track without uploaded_at never matches")
    func dateConditions() throws {
        let policy = try PolicyLoader.load(yaml: datedPolicyYAML, origin: "dated.yaml")
        let evaluator = PolicyEvaluator(policies: [policy])
        func check(_ uploadedAt: Int64?, _ status: LabelStatus, _ generative: String, _ training: String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
            let track = TrackFacts(labelStatus: status, uploadedAt: uploadedAt)
            let packed = evaluator.evaluate(0, track)
            let genRule = policy.rules(for: .aiGenerativeTraining)[PackedDecisions.ruleIndex(packed, .aiGenerativeTraining)].id
            let trainRule = policy.rules(for: .aiTraining)[PackedDecisions.ruleIndex(packed, .aiTraining)].id
            #expect(genRule == generative, "\(describe(track))", sourceLocation: sourceLocation)
            #expect(trainRule == training, "\(describe(track))", sourceLocation: sourceLocation)
        }
        // uploaded_before 2024-02-01: up to 2024-01-31T23:59:59Z.
        check(midnight2024Feb - 1, .independent, "before-2024-02", "default")
        check(midnight2024Feb, .independent, "default", "window")
        check(midnight2024Feb + 1, .unknown, "default", "window")
        check(midnight2025May - 1, .independent, "default", "window")
        check(midnight2025May, .independent, "since-2025-05", "default")
        check(midnight2025May, .major, "since-2025-05", "default")
        check(midnight2024Feb, .licensed, "default", "default")
        check(Int64.min, .independent, "before-2024-02", "default")
        check(Int64.max, .independent, "since-2025-05", "default")
        // No upload time: neither uploaded_before nor uploaded_on_or_after holds.
        check(nil, .independent, "default", "default")
        check(nil, .unknown, "default", "default")
        // The verdicts that go with those rules.
        let old = evaluator.evaluate(0, TrackFacts(labelStatus: .independent, uploadedAt: midnight2024Feb - 1))
        #expect(PackedDecisions.verdict(old, .aiGenerativeTraining) == .exposed)
        let new = evaluator.evaluate(0, TrackFacts(labelStatus: .independent, uploadedAt: midnight2025May))
        #expect(PackedDecisions.verdict(new, .aiGenerativeTraining) == .consented)
        let none = evaluator.evaluate(0, TrackFacts(labelStatus: .independent, noAITag: true))
        #expect(PackedDecisions.verdict(none, .aiGenerativeTraining) == .blocked)
        #expect(PackedDecisions.verdict(none, .aiTraining) == .blocked)
        #expect(PackedDecisions.verdict(none, .aiInference) == .blocked)
    }

    @Test("a policy without dates decides the same with or without uploaded_at")
    func tablePolicyIgnoresUploadTime() throws {
        let evaluator = PolicyEvaluator(policies: try BuiltInPolicies.ids.map(BuiltInPolicies.policy))
        for index in BuiltInPolicies.ids.indices {
            for track in allTracks {
                var dated = track
                dated.uploadedAt = midnight2024Feb
                #expect(evaluator.evaluate(index, track) == evaluator.evaluate(index, dated))
            }
        }
    }
}
