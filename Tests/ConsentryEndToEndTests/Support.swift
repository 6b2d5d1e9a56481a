import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every end-to-end test lives in a suite nested in this one, so they all run one after the
/// other: several of them measure how fast the binary reacts (locks, signals), and parallel
/// scans on a two-core machine would make those timings flaky.
@Suite(.serialized) struct EndToEnd {}

// MARK: - The binary

extension Paths {
    /// The `consentry` binary: `$CONSENTRY_BIN`, else the one in the build products directory
    /// this test bundle was built into (searched upward from the bundle / runner location).
    static let consentry: String? = {
        if let env = ProcessInfo.processInfo.environment["CONSENTRY_BIN"], !env.isEmpty { return env }
        var starts: [URL] = [Bundle.main.bundleURL, Bundle.main.executableURL?.deletingLastPathComponent()]
            .compactMap { $0 }
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        starts.append(contentsOf: Bundle.allBundles.map(\.bundleURL))
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<6 {
                for candidate in [directory.appendingPathComponent("consentry"),
                                  directory.appendingPathComponent("debug/consentry"),
                                  directory.appendingPathComponent("release/consentry")] {
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
                       !isDirectory.boolValue, FileManager.default.isExecutableFile(atPath: candidate.path) {
                        return candidate.path
                    }
                }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        return nil
    }()
}

func consentryPath() throws -> String {
    try #require(Paths.consentry, "the consentry binary was not found; build it or set CONSENTRY_BIN")
}

/// Runs `consentry ARGS`, with a timeout so that a hang fails the test.
func consentry(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], directory: String? = nil,
               timeout: TimeInterval = 60) throws -> ProcessResult {
    try runProgram(try consentryPath(), arguments, stdin: stdin, environment: environment, directory: directory,
                   timeout: timeout)
}

/// Starts `consentry ARGS` in the background, with a stdin pipe the test keeps open.
func startConsentry(_ arguments: [String], directory: String? = nil) throws -> Child {
    try Child(executable: try consentryPath(), arguments, keepStdinOpen: true, directory: directory)
}

// MARK: - Test data

/// A deterministic CSV catalogue of `count` tracks with a mix of label statuses and flags.
func generatedCSV(count: Int, prefix: String = "g", quotedTitles: Bool = false) -> String {
    let labels = ["major", "licensed", "independent", "unknown", "unsigned", "", "Independent"]
    var out = "track_id,artist_id,title,label_status,genai_opt_in,ai_opt_out,no_ai_tag,uploaded_at\n"
    for i in 0..<count {
        let label = labels[(i * 7 + i / 3) % labels.count]
        let genai = i % 5 == 0 ? "yes" : "no"
        let optOut = i % 4 == 1 ? "true" : ""
        let title: String
        if quotedTitles && i % 3 == 0 {
            title = "\"Song \(i), part \"\"\(i % 10)\"\"\nsecond line of \(i)\""
        } else {
            title = "Song \(i)"
        }
        out += "\(prefix)-\(i),artist-\(i % 17),\(title),\(label),\(genai),\(optOut),0,2024-0\(1 + i % 9)-1\(i % 10)\n"
    }
    return out
}

/// The line (1-based) and byte offset of the `occurrence`-th line of `text` that starts with `prefix`.
func position(of prefix: String, in text: String, occurrence: Int = 1) -> (line: Int, offset: Int)? {
    var offset = 0
    var seen = 0
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.hasPrefix(prefix) {
            seen += 1
            if seen == occurrence { return (index + 1, offset) }
        }
        offset += line.utf8.count + 1
    }
    return nil
}

// MARK: - The contract §5 report shape

enum Spec {
    static let builtInPolicies = ["soundcloud-2024-02", "soundcloud-2025-05", "soundcloud-opt-out"]
    static let defaultPolicy = "soundcloud-2025-05"
    static let groups = ["major", "licensed", "independent", "unknown", "all"]
    static let labelGroups = ["major", "licensed", "independent", "unknown"]
    static let uses = ["ai_generative_training", "ai_training", "ai_inference", "data_mining"]
    static let verdicts = ["exposed", "consented", "blocked"]
    static let rejectCodes: Set<String> = [
        "record_too_long", "unterminated_quote", "field_count", "invalid_json", "not_an_object", "invalid_utf8",
        "missing_track_id", "invalid_track_id", "invalid_label_status", "invalid_boolean", "invalid_timestamp",
        "duplicate_track_id",
    ]

    static func policyArguments(_ ids: [String]) -> [String] { ids.flatMap { ["--policy", $0] } }

    static func share(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }

    /// Records an issue for every way `json` departs from the contract §5 shape and its arithmetic.
    static func checkReportShape(_ json: JSON, policies: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        func check(_ ok: Bool, _ what: @autoclosure () -> String) {
            if !ok { Issue.record("report shape: \(what())", sourceLocation: sourceLocation) }
        }
        check(json.keys == ["run_id", "status", "rows", "rejects_by_code", "policies", "transitions", "rejects_not_kept"],
              "top-level keys \(json.keys.sorted())")
        check(json["rejects_not_kept"]?.int != nil, "rejects_not_kept is \(String(describing: json["rejects_not_kept"]))")
        check(json["run_id"]?.int != nil, "run_id is \(String(describing: json["run_id"]))")
        check(json["status"]?.string == "completed", "status is \(String(describing: json["status"]))")
        let rows = json["rows"]
        check(rows?.keys == ["read", "scanned", "rejected"], "rows keys \(rows?.keys.sorted() ?? [])")
        if let read = rows?["read"]?.int, let scanned = rows?["scanned"]?.int, let rejected = rows?["rejected"]?.int {
            check(read == scanned + rejected, "rows.read \(read) != scanned \(scanned) + rejected \(rejected)")
        } else {
            check(false, "rows are not integers: \(String(describing: rows))")
        }
        if let byCode = json["rejects_by_code"]?.object {
            check(Set(byCode.keys).isSubset(of: rejectCodes), "unknown reject codes \(byCode.keys.sorted())")
            let total = byCode.values.compactMap(\.int).reduce(0, +)
            check(byCode.values.allSatisfy { ($0.int ?? 0) > 0 }, "rejects_by_code has non-positive counts")
            check(total == rows?["rejected"]?.int, "rejects_by_code adds up to \(total), rows.rejected is \(String(describing: rows?["rejected"]))")
        } else {
            check(false, "rejects_by_code is not an object")
        }
        guard let policyMap = json["policies"]?.object else { check(false, "policies is not an object"); return }
        check(Set(policyMap.keys) == Set(policies), "policy ids \(policyMap.keys.sorted()) != \(policies.sorted())")
        for (id, policy) in policyMap {
            check(policy.keys == ["independent_exposed_share", "labelled_exposed_share", "exposure_gap", "groups"],
                  "\(id) keys \(policy.keys.sorted())")
            for key in ["independent_exposed_share", "labelled_exposed_share", "exposure_gap"] {
                let v = policy[key]
                check(v?.double != nil || v?.isNull == true, "\(id).\(key) is \(String(describing: v))")
            }
            guard let groups = policy["groups"]?.object else { check(false, "\(id).groups is not an object"); continue }
            check(Set(groups.keys) == Set(Spec.groups), "\(id) groups \(groups.keys.sorted())")
            var sums: [String: Int] = [:]
            for name in Spec.groups {
                guard let g = groups[name] else { continue }
                check(g.keys == ["tracks", "any_training_exposed", "exposed_share", "uses"], "\(id).\(name) keys \(g.keys.sorted())")
                guard let tracks = g["tracks"]?.int, let any = g["any_training_exposed"]?.int else {
                    check(false, "\(id).\(name) counts are not integers"); continue
                }
                let expectedShare = share(any, tracks)
                check(g["exposed_share"]?.double == expectedShare || (expectedShare == nil && g["exposed_share"]?.isNull == true),
                      "\(id).\(name).exposed_share \(String(describing: g["exposed_share"])) != \(any)/\(tracks)")
                check(Set(g["uses"]?.keys ?? []) == Set(Spec.uses), "\(id).\(name).uses keys")
                var generativeExposed = 0, trainingExposed = 0
                for use in Spec.uses {
                    let u = g["uses"]?[use]
                    check(u?.keys == Set(Spec.verdicts), "\(id).\(name).\(use) keys \(u?.keys.sorted() ?? [])")
                    let counts = Spec.verdicts.map { u?[$0]?.int ?? -1 }
                    check(counts.allSatisfy { $0 >= 0 } && counts.reduce(0, +) == tracks,
                          "\(id).\(name).\(use) verdicts \(counts) do not add up to tracks \(tracks)")
                    if use == "ai_generative_training" { generativeExposed = counts[0] }
                    if use == "ai_training" { trainingExposed = counts[0] }
                    for (v, n) in zip(Spec.verdicts, counts) where name != "all" { sums["\(use).\(v)", default: 0] += n }
                }
                check(any >= max(generativeExposed, trainingExposed) && any <= min(tracks, generativeExposed + trainingExposed),
                      "\(id).\(name).any_training_exposed \(any) inconsistent with exposed counts \(generativeExposed)/\(trainingExposed)")
                if name != "all" {
                    sums["tracks", default: 0] += tracks
                    sums["any", default: 0] += any
                }
            }
            if let all = groups["all"] {
                check(all["tracks"]?.int == sums["tracks"], "\(id).all.tracks is not the sum of the groups")
                check(all["any_training_exposed"]?.int == sums["any"], "\(id).all.any_training_exposed is not the sum")
                for use in Spec.uses {
                    for v in Spec.verdicts {
                        check(all["uses"]?[use]?[v]?.int == sums["\(use).\(v)"], "\(id).all.\(use).\(v) is not the sum")
                    }
                }
            }
            check(policy["independent_exposed_share"] == groups["independent"]?["exposed_share"],
                  "\(id).independent_exposed_share differs from the independent group's exposed_share")
            let labelledTracks = (groups["major"]?["tracks"]?.int ?? 0) + (groups["licensed"]?["tracks"]?.int ?? 0)
            let labelledAny = (groups["major"]?["any_training_exposed"]?.int ?? 0)
                + (groups["licensed"]?["any_training_exposed"]?.int ?? 0)
            let labelled = share(labelledAny, labelledTracks)
            check(policy["labelled_exposed_share"]?.double == labelled || (labelled == nil && policy["labelled_exposed_share"]?.isNull == true),
                  "\(id).labelled_exposed_share \(String(describing: policy["labelled_exposed_share"])) != \(labelledAny)/\(labelledTracks)")
            if let i = policy["independent_exposed_share"]?.double, let l = policy["labelled_exposed_share"]?.double {
                check(policy["exposure_gap"]?.double == i - l, "\(id).exposure_gap != independent - labelled")
            } else {
                check(policy["exposure_gap"]?.isNull == true, "\(id).exposure_gap should be null")
            }
        }
        checkTransitions(json, policies: policies, check)
    }

    /// `transitions` lists only moves (from != to) between policies listed in that order, and
    /// moving each pair's first policy's counts by them gives the second policy's counts.
    static func checkTransitions(_ json: JSON, policies: [String], _ check: (Bool, @autoclosure () -> String) -> Void) {
        guard let list = json["transitions"]?.array else { check(false, "transitions is not an array"); return }
        var moved: [String: Int] = [:]
        for t in list {
            check(t.keys == ["from_policy", "to_policy", "group", "use", "from", "to", "tracks"], "transition keys \(t.keys.sorted())")
            guard let from = t["from_policy"]?.string, let to = t["to_policy"]?.string, let group = t["group"]?.string,
                  let use = t["use"]?.string, let a = t["from"]?.string, let b = t["to"]?.string, let n = t["tracks"]?.int else {
                check(false, "transition fields \(t)"); continue
            }
            check((policies.firstIndex(of: from) ?? .max) < (policies.firstIndex(of: to) ?? -1), "pair \(from) → \(to) out of scan order")
            check(Spec.groups.contains(group) && Spec.uses.contains(use) && Spec.verdicts.contains(a) && Spec.verdicts.contains(b),
                  "transition names \(t)")
            check(a != b && n > 0, "transition \(t) is not a move")
            moved["\(from)|\(to)|\(group)|\(use)|\(a)", default: 0] -= n
            moved["\(from)|\(to)|\(group)|\(use)|\(b)", default: 0] += n
        }
        for (i, p) in policies.enumerated() {
            for q in policies[(i + 1)...] {
                for group in Spec.groups {
                    for use in Spec.uses {
                        for v in Spec.verdicts {
                            let before = json["policies"]?[p]?["groups"]?[group]?["uses"]?[use]?[v]?.int ?? -1
                            let after = json["policies"]?[q]?["groups"]?[group]?["uses"]?[use]?[v]?.int ?? -1
                            let net = moved["\(p)|\(q)|\(group)|\(use)|\(v)"] ?? 0
                            check(before + net == after, "\(p) → \(q) \(group) \(use) \(v): \(before) + moves \(net) != \(after)")
                        }
                    }
                }
            }
        }
    }
}

