import ConsentryEngine
import ConsentryModel
import Foundation
import GRDB

/// Reads and writes the history tables (contract §4.1) inside a transaction.
enum HistoryTables {
    /// The history numbers of `policies` and of their rules, numbering new ones.
    ///
    /// Numbers stay the same across runs and policy revisions: a rule keeps its number as
    /// long as it keeps its id, so an unchanged track's stored state stays equal.
    static func numbering(_ db: Database, policies: [Policy], path: String) throws
        -> (policyNumbers: [Int32], ruleNumbers: [[[UInt16]]]) {
        try numbering(db, policies: policies.map { policy in
            (policy.id, AIUse.allCases.map { policy.rules(for: $0).map { Optional($0.id) } })
        }, path: path)
    }

    /// The same for policies given as their id and, per use, their rule ids by rule index (nil
    /// where a stored run has no rule at that index).
    static func numbering(_ db: Database, policies: [(id: String, ruleIDs: [[String?]])], path: String) throws
        -> (policyNumbers: [Int32], ruleNumbers: [[[UInt16]]]) {
        var policyNumbers: [Int32] = []
        var ruleNumbers: [[[UInt16]]] = []
        for policy in policies {
            try db.execute(sql: "INSERT OR IGNORE INTO history_policies (policy_id) VALUES (?)", arguments: [policy.id])
            let number = try Int32.fetchOne(db, sql: "SELECT policy_no FROM history_policies WHERE policy_id = ?",
                                            arguments: [policy.id])!
            policyNumbers.append(number)
            var uses: [[UInt16]] = []
            for use in AIUse.allCases {
                var known = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                    SELECT rule_id, rule_no FROM history_rules WHERE policy_no = ? AND use_index = ?
                    """, arguments: [number, use.rawValue]).map { (row: Row) -> (String, Int) in (row[0], row[1]) })
                var next = (known.values.max() ?? -1) + 1
                var numbers: [UInt16] = []
                for ruleID in policy.ruleIDs[use.rawValue] {
                    guard let ruleID else {
                        numbers.append(StableDecisions.unknownRule)
                        continue
                    }
                    if let existing = known[ruleID] {
                        numbers.append(UInt16(existing))
                        continue
                    }
                    guard next < Int(StableDecisions.unknownRule) else {
                        throw StoreError(.other, "policy '\(policy.id)' has had more than \(StableDecisions.ruleNumberLimit) rule ids for \(use.name) over its history",
                                         remedy: "give the policy a new id", file: path)
                    }
                    try db.execute(sql: "INSERT INTO history_rules VALUES (?, ?, ?, ?)",
                                   arguments: [number, use.rawValue, next, ruleID])
                    known[ruleID] = next
                    numbers.append(UInt16(next))
                    next += 1
                }
                uses.append(numbers)
            }
            ruleNumbers.append(uses)
        }
        return (policyNumbers, ruleNumbers)
    }

    /// Every stored combination.
    static func combos(_ db: Database) throws -> ComboTable {
        var stored: [UInt32: [ComboTable.Entry]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT combo, policy_no, state FROM history_combos")
        while let row = try rows.next() {
            let combo: Int64 = row[0], policy: Int64 = row[1], state: Int64 = row[2]
            stored[UInt32(combo), default: []].append(ComboTable.Entry(policy: Int32(policy), state: UInt64(state)))
        }
        return ComboTable(stored: stored)
    }

    static func saveNewCombos(_ db: Database, _ combos: ComboTable) throws {
        for (number, entries) in combos.newCombinations() {
            for entry in entries {
                try db.execute(sql: "INSERT INTO history_combos VALUES (?, ?, ?)",
                               arguments: [Int64(number), Int64(entry.policy), Int64(entry.state)])
            }
        }
    }

    /// Records that `runID` stored history for its policies.
    static func recordRun(_ db: Database, runID: Int64, policyNumbers: [Int32]) throws {
        for (index, number) in policyNumbers.enumerated() {
            try db.execute(sql: "INSERT INTO history_runs VALUES (?, ?, ?)", arguments: [runID, Int64(number), index])
        }
    }

    /// The token of the state files that match the history (``StateDirectory``).
    static func stateToken(_ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM history_meta WHERE key = 'state_token'")
    }

    static func setStateToken(_ db: Database, _ token: String) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO history_meta VALUES ('state_token', ?)", arguments: [token])
    }
}
