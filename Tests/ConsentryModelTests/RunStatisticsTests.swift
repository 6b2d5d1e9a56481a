import Foundation
import Testing
@testable import ConsentryModel

/// Packed decisions (see ``PackedDecisions``) built bit by bit, independently of the code under
/// test: one verdict and rule index per use.
private func packDecisions(_ verdicts: [Verdict], rules: [Int] = [0, 0, 0, 0]) -> UInt32 {
    var packed: UInt32 = 0
    for u in 0..<4 {
        packed |= (UInt32(verdicts[u].rawValue) | UInt32(rules[u]) << 2) << (8 * UInt32(u))
    }
    return packed
}

@Suite("RunStatistics and Headline (contract §3)")
struct RunStatisticsTests {
    let openAll = packDecisions([.exposed, .exposed, .exposed, .exposed])
    let closedAll = packDecisions([.blocked, .blocked, .blocked, .blocked])
    let typical2025 = packDecisions([.blocked, .exposed, .exposed, .blocked], rules: [2, 1, 0, 0])
    let consentedGen = packDecisions([.consented, .blocked, .exposed, .blocked], rules: [1, 0, 0, 0])

    @Test("add counts tracks, any-training-exposed and every use × verdict cell of the right group")
    func addCounts() {
        var stats = RunStatistics(policyCount: 2)
        stats.add(.independent, typical2025, openAll)
        stats.add(.independent, consentedGen, openAll)
        stats.add(.major, closedAll, closedAll)

        let indie = stats.group(policy: 0, label: .independent)
        #expect(indie.tracks == 2)
        #expect(indie.anyTrainingExposed == 1)
        #expect(indie.count(.aiGenerativeTraining, .blocked) == 1)
        #expect(indie.count(.aiGenerativeTraining, .consented) == 1)
        #expect(indie.count(.aiGenerativeTraining, .exposed) == 0)
        #expect(indie.count(.aiTraining, .exposed) == 1)
        #expect(indie.count(.aiTraining, .blocked) == 1)
        #expect(indie.count(.aiInference, .exposed) == 2)
        #expect(indie.count(.dataMining, .blocked) == 2)
        for use in AIUse.allCases {
            #expect(Verdict.allCases.map { indie.count(use, $0) }.reduce(0, +) == indie.tracks, "\(use.name) adds up")
        }
        // Nothing leaks into other groups or the other policy.
        for label in [LabelStatus.licensed, .unknown] {
            #expect(stats.group(policy: 0, label: label) == GroupStatistics())
        }
        #expect(stats.group(policy: 1, label: .independent).tracks == 2)
        #expect(stats.group(policy: 1, label: .independent).count(.aiTraining, .exposed) == 2)
        let major1 = stats.group(policy: 1, label: .major)
        #expect(major1.tracks == 1)
        #expect(major1.anyTrainingExposed == 0)
        #expect(AIUse.allCases.allSatisfy { major1.count($0, .blocked) == 1 })
        // The rule index bits do not disturb the verdict counts.
        var other = RunStatistics(policyCount: 1)
        other.add(.unknown, packDecisions([.consented, .blocked, .exposed, .blocked], rules: [63, 63, 63, 63]))
        let unknown = other.group(policy: 0, label: .unknown)
        #expect(unknown.count(.aiGenerativeTraining, .consented) == 1)
        #expect(unknown.count(.aiTraining, .blocked) == 1)
        #expect(unknown.count(.aiInference, .exposed) == 1)
        #expect(unknown.count(.dataMining, .blocked) == 1)
        #expect(unknown.anyTrainingExposed == 0)
    }

    @Test("sign -1 takes a track back exactly")
    func subtract() {
        var stats = RunStatistics(policyCount: 2)
        stats.add(.licensed, closedAll, openAll)
        let snapshot = stats
        stats.add(.unknown, consentedGen, typical2025)
        stats.add(.unknown, typical2025, consentedGen)
        stats.add(.unknown, consentedGen, typical2025, sign: -1)
        stats.add(.unknown, typical2025, consentedGen, sign: -1)
        #expect(stats == snapshot)
        stats.add(.licensed, closedAll, openAll, sign: -1)
        #expect(stats == RunStatistics(policyCount: 2))
        #expect(stats.counts.allSatisfy { $0 == 0 })
    }

    @Test("merge adds two statistics element by element")
    func merge() {
        let tracks: [(UInt32, LabelStatus, UInt32)] = [
            (openAll, .major, closedAll), (typical2025, .independent, openAll), (closedAll, .independent, typical2025),
            (openAll, .unknown, consentedGen), (closedAll, .licensed, typical2025), (consentedGen, .major, openAll), (openAll, .independent, consentedGen),
        ]
        var all = RunStatistics(policyCount: 2)
        var first = RunStatistics(policyCount: 2)
        var second = RunStatistics(policyCount: 2)
        for (i, t) in tracks.enumerated() {
            all.add(t.1, t.0, t.2)
            if i % 2 == 0 { first.add(t.1, t.0, t.2) } else { second.add(t.1, t.0, t.2) }
        }
        var merged = first
        merged.merge(second)
        #expect(merged == all)
        var reversed = second
        reversed.merge(first)
        #expect(reversed == all)
        var withEmpty = all
        withEmpty.merge(RunStatistics(policyCount: 2))
        #expect(withEmpty == all)
    }

    @Test("group(label: nil) is the sum of the four label groups, for every field")
    func allGroupIsSum() {
        var stats = RunStatistics(policyCount: 1)
        let labels: [LabelStatus] = [.major, .licensed, .independent, .unknown, .independent, .independent, .unknown, .licensed]
        let packs = [closedAll, typical2025, openAll, consentedGen, typical2025, consentedGen, openAll, openAll]
        for (l, p) in zip(labels, packs) { stats.add(l, p) }
        let sum = LabelStatus.allCases.map { stats.group(policy: 0, label: $0) }.reduce(GroupStatistics(), +)
        let all = stats.group(policy: 0, label: nil)
        #expect(all == sum)
        #expect(all.tracks == labels.count)
        #expect(stats.group(policy: 0, label: .major).tracks == 1)
        #expect(stats.group(policy: 0, label: .licensed).tracks == 2)
        #expect(stats.group(policy: 0, label: .independent).tracks == 3)
        #expect(stats.group(policy: 0, label: .unknown).tracks == 2)
        // ReportGroup maps onto these labels.
        for group in ReportGroup.allCases {
            #expect(stats.group(policy: 0, label: group.labelStatus) == (group == .all ? all : stats.group(policy: 0, label: LabelStatus(name: group.rawValue)!)))
        }
    }

    @Test("exposedShare is nil for an empty group and any/tracks otherwise")
    func exposedShare() {
        #expect(GroupStatistics().exposedShare == nil)
        var stats = RunStatistics(policyCount: 1)
        #expect(stats.group(policy: 0, label: .licensed).exposedShare == nil)
        #expect(stats.group(policy: 0, label: nil).exposedShare == nil)
        stats.add(.licensed, closedAll)
        #expect(stats.group(policy: 0, label: .licensed).exposedShare == 0.0)
        stats.add(.licensed, openAll)
        stats.add(.licensed, closedAll)
        #expect(stats.group(policy: 0, label: .licensed).exposedShare == 1.0 / 3.0)
    }

    @Test("any_training_exposed counts ai_generative_training or ai_training exposed, never inference or mining alone",
          arguments: [
            ([Verdict.exposed, .blocked, .blocked, .blocked], 1),
            ([Verdict.blocked, .exposed, .blocked, .blocked], 1),
            ([Verdict.exposed, .exposed, .exposed, .exposed], 1),
            ([Verdict.consented, .exposed, .blocked, .blocked], 1),
            ([Verdict.blocked, .blocked, .exposed, .blocked], 0),
            ([Verdict.blocked, .blocked, .blocked, .exposed], 0),
            ([Verdict.blocked, .blocked, .exposed, .exposed], 0),
            ([Verdict.consented, .consented, .exposed, .exposed], 0),
            ([Verdict.consented, .blocked, .blocked, .blocked], 0),
          ])
    func anyTrainingExposed(verdicts: [Verdict], expected: Int) {
        for rules in [[0, 0, 0, 0], [5, 9, 62, 63]] {
            let packed = packDecisions(verdicts, rules: rules)
            var stats = RunStatistics(policyCount: 1)
            stats.add(.independent, packed)
            #expect(stats.group(policy: 0, label: .independent).anyTrainingExposed == expected, "\(verdicts) rules \(rules)")
            #expect(PackedDecisions.trainingExposed(packed) == (expected == 1))
        }
    }

    @Test("Headline: labelled share is over major and licensed together, not the mean of the two shares")
    func headlinePooled() {
        var stats = RunStatistics(policyCount: 1)
        // major: 1 track, exposed -> share 1.0; licensed: 3 tracks, none exposed -> share 0.0.
        stats.add(.major, openAll)
        for _ in 0..<3 { stats.add(.licensed, closedAll) }
        // independent: 3 of 4 exposed.
        for _ in 0..<3 { stats.add(.independent, typical2025) }
        stats.add(.independent, consentedGen)
        // unknown tracks are in neither figure.
        for _ in 0..<5 { stats.add(.unknown, openAll) }
        let headline = Headline(statistics: stats, policy: 0)
        #expect(headline.labelled == 0.25)
        #expect(headline.labelled != 0.5)
        #expect(headline.independent == 0.75)
        #expect(headline.gap == 0.75 - 0.25)
    }

    @Test("Headline: the gap is nil when either side is nil; zero-track sides are nil, not 0")
    func headlineNil() {
        var onlyIndependent = RunStatistics(policyCount: 1)
        onlyIndependent.add(.independent, typical2025)
        onlyIndependent.add(.unknown, typical2025)
        let a = Headline(statistics: onlyIndependent, policy: 0)
        #expect(a.independent == 1.0)
        #expect(a.labelled == nil)
        #expect(a.gap == nil)

        var onlyLabelled = RunStatistics(policyCount: 1)
        onlyLabelled.add(.licensed, closedAll)
        let b = Headline(statistics: onlyLabelled, policy: 0)
        #expect(b.independent == nil)
        #expect(b.labelled == 0.0)
        #expect(b.gap == nil)

        let c = Headline(statistics: RunStatistics(policyCount: 1), policy: 0)
        #expect(c.independent == nil && c.labelled == nil && c.gap == nil)

        #expect(Headline(independent: 0.5, labelled: nil).gap == nil)
        #expect(Headline(independent: nil, labelled: 0.5).gap == nil)
        #expect(Headline(independent: 0.5, labelled: 0.125).gap == 0.375)
        #expect(Headline(independent: 0.0, labelled: 1.0).gap == -1.0)
    }

    @Test("Headline figures are per policy")
    func headlinePerPolicy() {
        var stats = RunStatistics(policyCount: 2)
        stats.add(.independent, openAll, closedAll)
        stats.add(.major, closedAll, openAll)
        #expect(Headline(statistics: stats, policy: 0) == Headline(independent: 1.0, labelled: 0.0))
        #expect(Headline(statistics: stats, policy: 1) == Headline(independent: 0.0, labelled: 1.0))
        #expect(Headline(statistics: stats, policy: 1).gap == -1.0)
    }

    @Test("transitions count, per pair of policies, group and use, every track's from → to verdicts")
    func transitions() {
        var stats = RunStatistics(policyCount: 3)
        #expect(stats.pairs.map { [$0.from, $0.to] } == [[0, 1], [0, 2], [1, 2]])
        stats.add(.independent, typical2025, typical2025, consentedGen)
        stats.add(.independent, openAll, typical2025, closedAll)
        stats.add(.major, closedAll, closedAll, closedAll)
        // Pair (0, 2), independent, ai_training: exposed → blocked twice.
        #expect(stats.transitions(pair: 1, label: .independent, use: .aiTraining, from: .exposed, to: .blocked) == 2)
        // Pair (0, 1), ai_generative_training: blocked → blocked once, exposed → blocked once.
        #expect(stats.transitions(pair: 0, label: .independent, use: .aiGenerativeTraining, from: .blocked, to: .blocked) == 1)
        #expect(stats.transitions(pair: 0, label: .independent, use: .aiGenerativeTraining, from: .exposed, to: .blocked) == 1)
        // Pair (1, 2): blocked → consented for generative training.
        #expect(stats.transitions(pair: 2, label: .independent, use: .aiGenerativeTraining, from: .blocked, to: .consented) == 1)
        // The 3 × 3 cells of every pair, group and use add up to the group's tracks.
        for pair in stats.pairs.indices {
            for label in [LabelStatus.major, .licensed, .independent, .unknown, nil] {
                for use in AIUse.allCases {
                    let sum = Verdict.allCases.flatMap { f in Verdict.allCases.map { t in
                        stats.transitions(pair: pair, label: label, use: use, from: f, to: t) } }.reduce(0, +)
                    #expect(sum == stats.group(policy: 0, label: label).tracks)
                }
            }
        }
        #expect(stats.transitions(pair: 2, label: nil, use: .dataMining, from: .blocked, to: .blocked) == 3)
        // Taking a track back removes its transitions too.
        var back = stats
        back.add(.independent, openAll, typical2025, closedAll, sign: -1)
        #expect(back.transitions(pair: 1, label: .independent, use: .aiTraining, from: .exposed, to: .blocked) == 1)
        // One policy has no pairs.
        #expect(RunStatistics(policyCount: 1).pairs.isEmpty)
    }
}

extension RunStatistics {
    /// Test shorthand: one track of `label` with `packed[p]` under policy `p`.
    mutating func add(_ label: LabelStatus, _ packed: UInt32..., sign: Int = 1) {
        precondition(packed.count == policyCount)
        packed.withUnsafeBufferPointer { add(label: label, packed: $0, sign: sign) }
    }
}
