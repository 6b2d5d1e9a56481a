import ConsentryModel
import ConsentryStore

/// Renders `consentry track`: per policy, the track's latest state, since when it is exposed
/// and why (the deciding rules), and its changes from run to run.
public enum TrackRenderer {
    static func describe(_ state: TrackHistory.State?) -> String {
        guard let state else { return "not in the run" }
        let uses = AIUse.allCases.map { "\($0.name) \(state.verdicts[$0.rawValue].name) (\(state.rules[$0.rawValue]))" }
        // The artist is part of the state: a new artist is a change of its own.
        let artist = state.artist.isEmpty ? "no artist" : "artist \"\(VisibleText.of(state.artist))\""
        return "\(state.labelStatus.name), \(artist); " + uses.joined(separator: ", ")
    }

    public static func text(_ histories: [TrackHistory]) -> String {
        var out = ""
        for history in histories {
            out += "Track \(VisibleText.of(history.trackID))\n"
            if !history.known {
                out += "  not in any stored run (runs scanned with --store all or exposed, not pruned)\n\n"
                continue
            }
            for policy in history.policies where !policy.changes.isEmpty {
                out += "  \(policy.policyID), as of run \(policy.latestRun.map(String.init) ?? "?") (\(policy.latestStartedAt ?? "")):\n"
                out += "    \(describe(policy.latest))\n"
                if let latest = policy.latest {
                    if let since = policy.exposedSince {
                        out += "    exposed to AI training since run \(since.runID) (\(since.startedAt))"
                        if policy.earlierRunsPruned && since.runID == policy.changes.first?.runID {
                            out += " or earlier: the runs before it were pruned"
                        }
                        out += "\n"
                    } else if !latest.trainingExposed {
                        out += "    not exposed to AI training\n"
                    }
                }
                out += "    changes:\n"
                for (k, change) in policy.changes.enumerated() {
                    let before = k == 0 && policy.earlierRunsPruned ? "unknown (earlier runs pruned)" : describe(change.before)
                    out += "      run \(change.runID) \(change.startedAt): \(before) → \(describe(change.after))\n"
                }
            }
            out += "\n"
        }
        return out
    }

    public static func json(_ histories: [TrackHistory]) -> String {
        let w = JSONWriter()
        func state(_ s: TrackHistory.State?) {
            guard let s else { return w.null() }
            w.object {
                w.key("label_status"); w.string(s.labelStatus.name)
                w.key("artist_id"); s.artist.isEmpty ? w.null() : w.string(s.artist)
                w.key("any_training_exposed"); w.bool(s.trainingExposed)
                w.key("uses")
                w.object {
                    for use in AIUse.allCases {
                        w.key(use.name)
                        w.object {
                            w.key("verdict"); w.string(s.verdicts[use.rawValue].name)
                            w.key("rule_id"); w.string(s.rules[use.rawValue])
                        }
                    }
                }
            }
        }
        w.object {
            w.key("tracks")
            w.array {
                for history in histories {
                    w.object {
                        w.key("track_id"); w.string(history.trackID)
                        w.key("known"); w.bool(history.known)
                        w.key("policies")
                        w.array {
                            for policy in history.policies where !policy.changes.isEmpty {
                                w.object {
                                    w.key("policy_id"); w.string(policy.policyID)
                                    w.key("latest_run_id"); policy.latestRun.map { w.int(Int($0)) } ?? w.null()
                                    w.key("latest"); state(policy.latest)
                                    w.key("exposed_since_run_id"); policy.exposedSince.map { w.int(Int($0.runID)) } ?? w.null()
                                    w.key("earlier_runs_pruned"); w.bool(policy.earlierRunsPruned)
                                    w.key("changes")
                                    w.array {
                                        for change in policy.changes {
                                            w.object {
                                                w.key("run_id"); w.int(Int(change.runID))
                                                w.key("started_at"); w.string(change.startedAt)
                                                w.key("before"); state(change.before)
                                                w.key("after"); state(change.after)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return w.text
    }
}
