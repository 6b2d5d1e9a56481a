import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `runs`, `policy list|show|check`, `report`, and where the database lives.
    @Suite struct Commands {
        @Test func runsListsEveryRun() throws {
            let tmp = try TempDir()
            let dirty = Paths.sample("dirty.jsonl")
            let ok = try consentry(["scan", dirty, "--db", tmp.db])
            #expect(ok.exitCode == 0, "\(ok)")
            let missing = tmp.file("missing.csv")
            let failed = try consentry(["scan", missing, "--db", tmp.db])
            #expect(failed.exitCode == 2, "\(failed)")

            let r = try consentry(["runs", "--db", tmp.db])
            #expect(r.exitCode == 0, "\(r)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            let first = lines.first { $0.range(of: #"^\s*1\s"#, options: .regularExpression) != nil }
            let second = lines.first { $0.range(of: #"^\s*2\s"#, options: .regularExpression) != nil }
            #expect(first?.contains("completed") == true, "\(r.stdout)")
            #expect(first?.contains(dirty) == true, "the inputs of run 1 should be listed: \(r.stdout)")
            #expect(first?.contains("55") == true, "rows read of run 1: \(r.stdout)")
            #expect(second?.contains("failed") == true, "\(r.stdout)")
        }

        @Test func policyListMarksTheDefault() throws {
            let r = try consentry(["policy", "list"])
            #expect(r.exitCode == 0, "\(r)")
            let lines = r.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            for id in Spec.builtInPolicies {
                let line = lines.first { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) == id }
                #expect(line != nil, "policy list lacks \(id): \(r.stdout)")
                #expect(line?.lowercased().contains("default") == (id == Spec.defaultPolicy), "\(id): \(line ?? "")")
            }
        }

        @Test(arguments: Spec.builtInPolicies)
        func policyShowPrintsTheShippedYAML(id: String) throws {
            let r = try consentry(["policy", "show", id])
            #expect(r.exitCode == 0, "\(r)")
            #expect(r.stdout.contains("id: \(id)"), "\(r.stdout)")
            let shipped = try String(contentsOfFile: Paths.builtInPolicy(id), encoding: .utf8)
            #expect(r.stdout == shipped, "policy show \(id) is not the shipped YAML")

            // The printed YAML is a valid policy file that scans like the built-in id.
            let tmp = try TempDir()
            let file = try tmp.write("\(id).yaml", r.stdout)
            let check = try consentry(["policy", "check", file])
            #expect(check.exitCode == 0, "\(check)")
            let (byID, jsonByID) = try scanJSON([Paths.sample("dirty.jsonl"), "--db", tmp.db, "--policy", id])
            let (byFile, jsonByFile) = try scanJSON([Paths.sample("dirty.jsonl"), "--db", tmp.db, "--policy", file])
            #expect(byID.exitCode == 0 && byFile.exitCode == 0, "\(byID)\n\(byFile)")
            #expect(jsonByID?["policies"] != nil && jsonByID?["policies"] == jsonByFile?["policies"])
        }

        @Test func policyShowOfAnUnknownIdIsAUsageError() throws {
            let r = try consentry(["policy", "show", "no-such-policy"])
            #expect(r.exitCode == 64, "\(r)")
            #expect(r.stderr.contains("no-such-policy"), "\(r)")
        }

        @Test func policyCheckAcceptsValidAndRefusesInvalidFiles() throws {
            let tmp = try TempDir()
            for id in Spec.builtInPolicies {
                let r = try consentry(["policy", "check", Paths.builtInPolicy(id)])
                #expect(r.exitCode == 0, "\(id): \(r)")
            }
            let broken = try tmp.write("broken.yaml", invalidPolicyYAML)
            let r = try consentry(["policy", "check", broken])
            #expect(r.exitCode == 64, "\(r)")
            #expect(r.stderr.contains("\(broken):\(invalidPolicyLine)"), "\(r)")
            #expect(r.stderr.contains("maybe"), "the message should quote the bad verdict: \(r)")

            // A policy without its last catch-all rule, and one missing a use.
            let noDefault = try tmp.write("no-default.yaml", """
                id: no-default
                uses:
                  ai_generative_training:
                    - id: only
                      when: { genai_opt_in: true }
                      verdict: consented
                  ai_training: [{ id: d, verdict: exposed }]
                  ai_inference: [{ id: d, verdict: exposed }]
                  data_mining: [{ id: d, verdict: blocked }]

                """)
            let noDefaultResult = try consentry(["policy", "check", noDefault])
            #expect(noDefaultResult.exitCode == 64, "\(noDefaultResult)")
            #expect(noDefaultResult.stderr.contains("\(noDefault):"), "\(noDefaultResult)")
            let missingUse = try tmp.write("missing-use.yaml", """
                id: missing-use
                uses:
                  ai_generative_training: [{ id: d, verdict: blocked }]
                  ai_training: [{ id: d, verdict: exposed }]
                  ai_inference: [{ id: d, verdict: exposed }]

                """)
            let missingUseResult = try consentry(["policy", "check", missingUse])
            #expect(missingUseResult.exitCode == 64, "\(missingUseResult)")
            #expect(missingUseResult.stderr.contains("data_mining"), "\(missingUseResult)")
            let notFound = try consentry(["policy", "check", tmp.file("absent.yaml")])
            #expect(notFound.exitCode == 64 || notFound.exitCode == 2, "\(notFound)")
        }

        @Test func reportJSONEqualsWhatScanPrinted() throws {
            let tmp = try TempDir()
            let (first, firstJSON) = try scanJSON([Paths.sample("dirty.csv"), "--db", tmp.db, "--max-record-bytes", "300",
                                                   "--policy", "soundcloud-opt-out", "--policy", "soundcloud-2024-02"])
            #expect(first.exitCode == 0, "\(first)")
            let (second, secondJSON) = try scanJSON([Paths.sample("dirty.jsonl"), "--db", tmp.db])
            #expect(second.exitCode == 0, "\(second)")
            let firstRun = try #require(firstJSON?["run_id"]?.int)

            let byID = try consentry(["report", "--db", tmp.db, "--run", String(firstRun), "--format", "json"])
            #expect(byID.exitCode == 0, "\(byID)")
            let reported = try JSON.parse(byID.stdoutData)
            #expect(reported == firstJSON, "report --run \(firstRun):\n\(jsonDifferences(reported, firstJSON ?? .null).prefix(20).joined(separator: "\n"))")
            #expect(byID.stdout == first.stdout, "report --format json should print the same text as scan --format json")

            let latest = try consentry(["report", "--db", tmp.db, "--format", "json"])
            #expect(latest.exitCode == 0, "\(latest)")
            #expect(try JSON.parse(latest.stdoutData) == secondJSON)
            let latestByName = try consentry(["report", "--db", tmp.db, "--run", "latest", "--format", "json"])
            #expect(try JSON.parse(latestByName.stdoutData) == secondJSON)

            let absent = try consentry(["report", "--db", tmp.db, "--run", "99", "--format", "json"])
            #expect(absent.exitCode != 0, "\(absent)")
        }

        @Test func theDatabaseComesFromDbThenCONSENTRY_DBThenTheCurrentDirectory() throws {
            let tmp = try TempDir()
            let fromEnv = tmp.file("from-env.sqlite")
            let r = try consentry(["scan", Paths.sample("dirty.jsonl")], environment: ["CONSENTRY_DB": fromEnv], directory: tmp.path)
            #expect(r.exitCode == 0, "\(r)")
            #expect(FileManager.default.fileExists(atPath: fromEnv))
            #expect(!FileManager.default.fileExists(atPath: tmp.file("consentry.sqlite")))

            let explicit = tmp.file("explicit.sqlite")
            let r2 = try consentry(["scan", Paths.sample("dirty.jsonl"), "--db", explicit],
                                   environment: ["CONSENTRY_DB": fromEnv], directory: tmp.path)
            #expect(r2.exitCode == 0, "\(r2)")
            #expect(try SQLite(explicit).int("SELECT count(*) AS n FROM runs") == 1)
            #expect(try SQLite(fromEnv).int("SELECT count(*) AS n FROM runs") == 1)

            let r3 = try consentry(["scan", Paths.sample("dirty.jsonl")], directory: tmp.path)
            #expect(r3.exitCode == 0, "\(r3)")
            #expect(try SQLite(tmp.file("consentry.sqlite")).int("SELECT count(*) AS n FROM runs") == 1)
        }
    }
}
